//! The report: a Markdown table and an SVG chart of the same figures.

use std::fmt::Write as _;

/// One measured figure of a workload, for each side.
#[derive(Debug, Clone, Default)]
pub struct Row {
    /// Which workload, e.g. `1. Redis`.
    pub workload: String,
    /// What was measured, e.g. `time to ready`.
    pub measure: String,
    /// Median seconds with throwaway.
    pub throwaway: Option<f64>,
    /// Median seconds with the `testcontainers` crate.
    pub testcontainers: Option<f64>,
    /// Median of throwaway / testcontainers, pair by pair.
    pub ratio: Option<f64>,
    /// Median seconds of the raw-API floor, where one applies.
    pub floor: Option<f64>,
    /// Median of throwaway / floor, pair by pair.
    pub vs_floor: Option<f64>,
    /// How many measured runs the medians are of.
    pub runs: usize,
}

/// Whether a target was met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Met.
    Met,
    /// Missed.
    Missed,
    /// Not measured (a side failed).
    Unknown,
}

/// A target of the issue, and how this run did against it.
#[derive(Debug, Clone)]
pub struct Target {
    /// The target, as the issue states it.
    pub goal: String,
    /// Met or not.
    pub verdict: Verdict,
    /// The figure that decided it.
    pub detail: String,
}

impl Target {
    /// A target met when `value` is at most `limit` (or at least, with `at_least`).
    pub fn bound(goal: &str, value: Option<f64>, limit: f64, at_least: bool, what: &str) -> Self {
        let (verdict, detail) = match value {
            Some(v) if at_least == (v >= limit) => (Verdict::Met, format!("{what} {v:.2}×")),
            Some(v) => (Verdict::Missed, format!("{what} {v:.2}×")),
            None => (Verdict::Unknown, format!("{what}: not measured")),
        };
        Target {
            goal: goal.to_string(),
            verdict,
            detail,
        }
    }
}

/// What one workload contributes to the report.
#[derive(Debug, Clone, Default)]
pub struct Section {
    /// Its figures.
    pub rows: Vec<Row>,
    /// Its targets.
    pub targets: Vec<Target>,
    /// What a reader needs to know to read its figures.
    pub notes: Vec<String>,
    /// Whether throwaway or the floor failed (the bench exits non-zero then).
    pub failed: bool,
}

/// Where and how the figures were taken.
#[derive(Debug, Clone)]
pub struct Header {
    /// `YYYY-MM-DD HH:MM UTC`.
    pub date: String,
    /// e.g. `Docker 20.10.24 (API 1.41, linux/amd64)`.
    pub engine: String,
    /// e.g. `2 cores, 24 GiB`.
    pub machine: String,
    /// `full: median of 7 runs after a warm-up` or `quick: one run each`.
    pub mode: String,
    /// The versions compared.
    pub versions: String,
}

/// The whole report.
#[derive(Debug, Clone)]
pub struct Report {
    /// Where and how.
    pub header: Header,
    /// Every workload's section, in order.
    pub sections: Vec<Section>,
}

fn seconds(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_string(), |v| format!("{v:.3}"))
}

fn times(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_string(), |v| format!("{v:.2}×"))
}

impl Report {
    /// The report as Markdown.
    pub fn to_markdown(&self) -> String {
        let h = &self.header;
        let mut out = String::new();
        let _ = writeln!(out, "# throwaway benchmark\n");
        let _ = writeln!(out, "- date: {}", h.date);
        let _ = writeln!(out, "- engine: {}", h.engine);
        let _ = writeln!(out, "- machine: {}", h.machine);
        let _ = writeln!(out, "- mode: {}", h.mode);
        let _ = writeln!(out, "- compared: {}\n", h.versions);
        let _ = writeln!(
            out,
            "Median seconds. Ratios are medians of per-pair ratios (each pair ran back to back), \
             below 1 means throwaway is faster.\n"
        );
        let _ = writeln!(
            out,
            "| workload | measure | throwaway (s) | testcontainers (s) | throwaway / testcontainers | floor (s) | throwaway / floor | runs |"
        );
        let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|");
        for row in self.sections.iter().flat_map(|s| &s.rows) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                row.workload,
                row.measure,
                seconds(row.throwaway),
                seconds(row.testcontainers),
                times(row.ratio),
                seconds(row.floor),
                times(row.vs_floor),
                row.runs
            );
        }
        let _ = writeln!(out, "\n## Targets\n");
        for target in self.sections.iter().flat_map(|s| &s.targets) {
            let mark = match target.verdict {
                Verdict::Met => "met",
                Verdict::Missed => "MISSED",
                Verdict::Unknown => "not measured",
            };
            let _ = writeln!(out, "- **{mark}**: {} ({})", target.goal, target.detail);
        }
        let notes: Vec<&String> = self.sections.iter().flat_map(|s| &s.notes).collect();
        if !notes.is_empty() {
            let _ = writeln!(out, "\n## Notes\n");
            for note in notes {
                let _ = writeln!(out, "- {note}");
            }
        }
        out
    }

    /// The same figures as an SVG bar chart: one group per row, bars scaled to the row's
    /// largest value (the rows' scales differ by orders of magnitude), seconds written on
    /// each bar.
    pub fn to_svg(&self) -> String {
        let rows: Vec<&Row> = self.sections.iter().flat_map(|s| &s.rows).collect();
        let width = 1100.0;
        let label_width = 400.0;
        let bar_area = width - label_width - 110.0;
        let bar_height = 14.0;
        let group_height = 3.0 * bar_height + 18.0;
        let top = 112.0;
        let height = top + group_height * rows.len() as f64 + 40.0;
        let series = [
            ("throwaway", "#2b7a4b"),
            ("testcontainers", "#c0504d"),
            ("floor (raw API)", "#7f7f7f"),
        ];
        let h = &self.header;
        let mut svg = String::new();
        let _ = writeln!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
        );
        let _ = writeln!(
            svg,
            r#"<rect width="100%" height="100%" fill="white"/>
<text x="16" y="26" font-size="18" font-weight="bold">throwaway vs testcontainers vs the engine's floor (median seconds)</text>
<text x="16" y="46">{}</text>
<text x="16" y="62">{}</text>
<text x="16" y="78">{}</text>"#,
            escape(&format!("{} · {} · {}", h.date, h.engine, h.machine)),
            escape(&h.mode),
            escape(&h.versions),
        );
        for (i, (name, color)) in series.iter().enumerate() {
            let x = 16.0 + i as f64 * 170.0;
            let _ = writeln!(
                svg,
                r#"<rect x="{x}" y="88" width="12" height="12" fill="{color}"/><text x="{}" y="98">{name}</text>"#,
                x + 16.0
            );
        }
        for (i, row) in rows.iter().enumerate() {
            let y = top + i as f64 * group_height;
            let values = [row.throwaway, row.testcontainers, row.floor];
            let max = values.iter().flatten().copied().fold(0.0_f64, f64::max);
            let _ = writeln!(
                svg,
                r#"<text x="16" y="{}" font-weight="bold">{}</text><text x="16" y="{}">{}</text>"#,
                y + 16.0,
                escape(&row.workload),
                y + 32.0,
                escape(&row.measure)
            );
            if let Some(ratio) = row.ratio {
                let _ = writeln!(
                    svg,
                    r##"<text x="16" y="{}" fill="#555">{:.2}× testcontainers</text>"##,
                    y + 48.0,
                    ratio
                );
            }
            for (j, value) in values.iter().enumerate() {
                let Some(value) = value else { continue };
                let length = if max > 0.0 {
                    (value / max * bar_area).max(1.0)
                } else {
                    1.0
                };
                let bar_y = y + 6.0 + j as f64 * bar_height;
                let _ = writeln!(
                    svg,
                    r#"<rect x="{label_width}" y="{bar_y}" width="{length:.1}" height="{}" fill="{}"/><text x="{:.1}" y="{:.1}">{value:.3} s</text>"#,
                    bar_height - 2.0,
                    series[j].1,
                    label_width + length + 6.0,
                    bar_y + bar_height - 4.0,
                );
            }
        }
        let _ = writeln!(svg, "</svg>");
        svg
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `YYYY-MM-DD HH:MM UTC` for a time since the Unix epoch.
pub fn utc_date(since_epoch: std::time::Duration) -> String {
    let at = time::OffsetDateTime::UNIX_EPOCH + since_epoch;
    format!("{} {:02}:{:02} UTC", at.date(), at.hour(), at.minute())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates_from_the_epoch() {
        assert_eq!(utc_date(Duration::ZERO), "1970-01-01 00:00 UTC");
        assert_eq!(
            utc_date(Duration::from_secs(1_709_210_096)),
            "2024-02-29 12:34 UTC"
        );
    }

    fn report() -> Report {
        Report {
            header: Header {
                date: "2024-02-29 12:34 UTC".into(),
                engine: "Docker 20.10".into(),
                machine: "2 cores".into(),
                mode: "quick".into(),
                versions: "a <b>".into(),
            },
            sections: vec![Section {
                rows: vec![Row {
                    workload: "1. Redis".into(),
                    measure: "whole cycle".into(),
                    throwaway: Some(0.5),
                    testcontainers: Some(1.0),
                    ratio: Some(0.5),
                    floor: None,
                    vs_floor: None,
                    runs: 1,
                }],
                targets: vec![Target::bound(
                    "whole cycle ≤ 0.9× testcontainers",
                    Some(0.5),
                    0.9,
                    false,
                    "ratio",
                )],
                notes: vec!["a note".into()],
                failed: false,
            }],
        }
    }

    #[test]
    fn markdown_has_the_row_the_verdict_and_the_notes() {
        let md = report().to_markdown();
        assert!(
            md.contains("| 1. Redis | whole cycle | 0.500 | 1.000 | 0.50× | – | – | 1 |"),
            "{md}"
        );
        assert!(md.contains("**met**: whole cycle ≤ 0.9× testcontainers (ratio 0.50×)"));
        assert!(md.contains("- a note"));
    }

    #[test]
    fn svg_is_escaped_and_has_a_bar_per_value() {
        let svg = report().to_svg();
        assert!(svg.contains("a &lt;b&gt;"));
        assert!(!svg.contains("a <b>"));
        assert_eq!(svg.matches(" s</text>").count(), 2);
    }

    #[test]
    fn targets_can_be_bounds_from_above_or_below() {
        let at_least = Target::bound("≥ 20×", Some(25.0), 20.0, true, "speed-up");
        assert_eq!(at_least.verdict, Verdict::Met);
        let missed = Target::bound("≥ 20×", Some(5.0), 20.0, true, "speed-up");
        assert_eq!(missed.verdict, Verdict::Missed);
        let unknown = Target::bound("≤ 1.1×", None, 1.1, false, "ratio");
        assert_eq!(unknown.verdict, Verdict::Unknown);
    }
}
