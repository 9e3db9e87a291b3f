//! Go's `time.ParseDuration`: the format of Ryuk's `RYUK_*` durations, and so of the reaper
//! timeouts the library reads and passes on to the reaper.
//!
//! One parser for two crates, so that they cannot disagree: the library compiles this file
//! as a module of its settings, and `throwaway-reaper` compiles the same file through
//! `#[path]`. That is why it uses std alone and names nothing outside itself.

use std::time::Duration;

/// A Go duration, which may be negative (Ryuk's default `RYUK_RETRY_OFFSET` is `-1s`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SignedDuration {
    pub(crate) negative: bool,
    pub(crate) magnitude: Duration,
}

/// What a message about a bad duration suggests writing instead.
pub(crate) const EXPECTED: &str = "a Go duration such as 10s, 1m30s or 500ms";

/// Parses `text` as Go does: an optional sign, then one or more `<number><unit>` parts
/// (`1h30m`, `1.5s`, `.5s`, `300ms`), or a bare `0`. Units are `ns`, `us` (also `µs`, `μs`),
/// `ms`, `s`, `m` and `h`; no spaces, no other case. Fractions are cut to the nanosecond and,
/// as in Go, the total must fit 2⁶³−1 nanoseconds (about 292 years).
///
/// # Errors
/// Why `text` is not a Go duration, ending with [`EXPECTED`].
pub(crate) fn parse(text: &str) -> Result<SignedDuration, String> {
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    // Go's one exception to "every number has a unit".
    if rest == "0" {
        return Ok(SignedDuration {
            negative: false,
            magnitude: Duration::ZERO,
        });
    }
    if rest.is_empty() {
        return Err(EXPECTED.to_string());
    }
    let too_long = || format!("too long (at most about 292 years); {EXPECTED}");
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let whole_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let whole = &rest[..whole_len];
        rest = &rest[whole_len..];
        let mut fraction = "";
        if let Some(after_dot) = rest.strip_prefix('.') {
            let len = after_dot.bytes().take_while(u8::is_ascii_digit).count();
            fraction = &after_dot[..len];
            rest = &after_dot[len..];
        }
        if whole.is_empty() && fraction.is_empty() {
            return Err(EXPECTED.to_string());
        }
        let unit_len = rest
            .char_indices()
            .find(|&(_, c)| c == '.' || c.is_ascii_digit())
            .map_or(rest.len(), |(at, _)| at);
        let unit_nanos: u128 = match &rest[..unit_len] {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => return Err(format!("missing unit; {EXPECTED}")),
            unit => return Err(format!("unknown unit {unit:?}; {EXPECTED}")),
        };
        rest = &rest[unit_len..];
        let whole: u128 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| too_long())?
        };
        let mut part = whole.checked_mul(unit_nanos).ok_or_else(too_long)?;
        // The fraction, scaled by the unit, to the nanosecond (rounded down, as Go does).
        let mut scale = unit_nanos;
        for digit in fraction.bytes().take(30) {
            scale /= 10;
            part += u128::from(digit - b'0') * scale;
        }
        total = total.checked_add(part).ok_or_else(too_long)?;
    }
    // Go keeps durations in an i64 of nanoseconds.
    if total > i64::MAX as u128 {
        return Err(too_long());
    }
    Ok(SignedDuration {
        negative: negative && total > 0,
        magnitude: Duration::from_nanos(total as u64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn duration(text: &str) -> Result<(bool, Duration), String> {
        parse(text).map(|d| (d.negative, d.magnitude))
    }

    #[test]
    fn go_durations() {
        let ms = Duration::from_millis;
        assert_eq!(duration("10s"), Ok((false, ms(10_000))));
        assert_eq!(duration("-1s"), Ok((true, ms(1_000))));
        assert_eq!(duration("+5m"), Ok((false, ms(300_000))));
        assert_eq!(duration("1h30m"), Ok((false, ms(5_400_000))));
        assert_eq!(duration("1m30s"), Ok((false, ms(90_000))));
        assert_eq!(duration("1.5h"), Ok((false, ms(5_400_000))));
        assert_eq!(duration("1.5h30m"), Ok((false, ms(7_200_000))));
        assert_eq!(duration("1.5s"), Ok((false, ms(1_500))));
        assert_eq!(duration(".5s"), Ok((false, ms(500))));
        assert_eq!(duration("2.s"), Ok((false, ms(2_000))));
        assert_eq!(duration("0.1s"), Ok((false, ms(100))));
        assert_eq!(duration("250ms"), Ok((false, ms(250))));
        assert_eq!(duration("30s30s"), Ok((false, ms(60_000))));
        assert_eq!(
            duration("1us1µs1μs1ns"),
            Ok((false, Duration::from_nanos(3_001)))
        );
        assert_eq!(
            duration("1.0000000009s"),
            Ok((false, Duration::from_nanos(1_000_000_000)))
        );
        assert_eq!(duration("0"), Ok((false, Duration::ZERO)));
        assert_eq!(duration("-0"), Ok((false, Duration::ZERO)));
        assert_eq!(duration("0s"), Ok((false, Duration::ZERO)));
        assert_eq!(duration("-0s"), Ok((false, Duration::ZERO)));
        assert_eq!(
            duration("2562047h47m16.854775807s"),
            Ok((false, Duration::from_nanos(i64::MAX as u64)))
        );
    }

    #[test]
    fn what_go_refuses_is_refused() {
        for text in [
            "",
            "-",
            "+",
            "60",
            "1",
            "s",
            ".s",
            "1x",
            "1 s",
            " 1s",
            "1s ",
            "1S",
            "1.5.5s",
            "1h-5m",
            "1d",
            "1sec",
            "3000000h",
            "2562047h47m16.854775808s",
        ] {
            assert!(parse(text).is_err(), "{text:?} was accepted");
        }
        assert!(parse("60").unwrap_err().contains("missing unit"));
        assert!(parse("1d").unwrap_err().contains("unknown unit \"d\""));
        assert!(parse("3000000h").unwrap_err().contains("too long"));
        assert!(parse("soon").unwrap_err().ends_with(EXPECTED));
    }
}
