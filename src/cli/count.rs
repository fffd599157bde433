//! `milestone-bot count`: each metric's estimate with its error bounds.

use crate::sketch::estimate::Z_95;
use crate::sketch::{Estimate, Metric};
use crate::text::number::format_grouped;
use chrono::NaiveDate;
use std::fmt::Write;

#[derive(clap::Args, Debug)]
pub struct CountArgs {
    /// Only this metric (default: every configured metric).
    #[arg(long)]
    pub metric: Option<String>,
    /// The last day of the window, UTC (default: today).
    #[arg(long)]
    pub at: Option<NaiveDate>,
}

/// Renders the counts as an aligned plain-text table.
pub fn table(at: NaiveDate, rows: &[(Metric, Estimate)]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<10} {:<8} {:>13} {:>19} {:>27}",
        "METRIC", "WINDOW", "ESTIMATE", "± STD ERROR", "95% INTERVAL"
    );
    for (metric, estimate) in rows {
        let window = match metric.window_days {
            1 => "1 day".to_owned(),
            n => format!("{n} days"),
        };
        let error = format!(
            "± {} ({:.2}%)",
            format_grouped(estimate.std_error.round() as u64),
            estimate.relative_error() * 100.0
        );
        let (lo, hi) = estimate.interval(Z_95);
        let interval = format!("{} – {}", format_grouped(lo), format_grouped(hi));
        let _ = writeln!(
            out,
            "{:<10} {:<8} {:>13} {:>19} {:>27}",
            metric.name,
            window,
            format_grouped(estimate.value),
            error,
            interval
        );
    }
    let _ = write!(out, "windows end {at} (UTC)");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_shows_window_estimate_error_and_interval() {
        let mau = Metric::parse_spec("mau").unwrap();
        let at = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        let out = table(at, &[(mau, Estimate::new(1_000_000))]);
        assert!(out.contains("30 days"), "{out}");
        assert!(out.contains("1,000,000"), "{out}");
        assert!(out.contains("± 8,125 (0.81%)"), "{out}");
        assert!(out.contains("984,075 – 1,015,925"), "{out}");
        assert!(out.ends_with("windows end 2026-11-26 (UTC)"), "{out}");
    }
}
