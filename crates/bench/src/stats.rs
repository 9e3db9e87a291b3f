//! Medians, and ratios taken pair by pair so that the machine's drift cancels.

use std::time::Duration;

/// The median of `values` (the mean of the middle two for an even count); `None` when
/// there are none.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    Some(if sorted.len().is_multiple_of(2) {
        (sorted[middle - 1] + sorted[middle]) / 2.0
    } else {
        sorted[middle]
    })
}

/// The median of `a[i] / b[i]` over the runs where both were measured: each pair ran back
/// to back, so whatever slowed the machine down during that pair slowed both.
pub fn paired_ratio(a: &[Option<f64>], b: &[Option<f64>]) -> Option<f64> {
    let ratios: Vec<f64> = a
        .iter()
        .zip(b)
        .filter_map(|(a, b)| match (a, b) {
            (Some(a), Some(b)) if *b > 0.0 => Some(a / b),
            _ => None,
        })
        .collect();
    median(&ratios)
}

/// The median of the runs that were measured.
pub fn median_of(values: &[Option<f64>]) -> Option<f64> {
    let measured: Vec<f64> = values.iter().flatten().copied().collect();
    median(&measured)
}

/// Seconds, as the tables show them.
pub fn secs(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn ratios_are_taken_per_pair_and_skip_missing_runs() {
        // The machine got twice as slow in the second pair: per-pair ratios stay at 0.5.
        let a = [Some(1.0), Some(2.0), None];
        let b = [Some(2.0), Some(4.0), Some(9.0)];
        assert_eq!(paired_ratio(&a, &b), Some(0.5));
        assert_eq!(paired_ratio(&[None], &[Some(1.0)]), None);
    }
}
