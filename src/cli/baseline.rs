//! `milestone-bot baseline <metric>`: after importing history, record every milestone
//! the count has passed (by its lower bound) as `baseline`, so none is announced.
//! Run it before the bot reads the imported count (stop the bot for the import, or
//! import before its first start); see `milestones::baseline`.

use crate::milestones::baseline::Baselined;
use crate::text::number::{format_grouped, format_short};

/// What to print after a baseline.
pub fn report(done: &Baselined, confidence_k: f64) -> String {
    let r = &done.reading;
    let mut out = format!(
        "{}: {} ± {} now; lower bound ({confidence_k} standard errors below) {}\n",
        done.metric,
        format_grouped(r.estimate),
        format_grouped(r.std_error.round() as u64),
        format_grouped(done.bound)
    );
    if done.recorded.is_empty() {
        out.push_str("no milestone to record: every one at or below the lower bound already is");
    } else {
        let passed: Vec<String> = done.recorded.iter().map(|&m| format_short(m)).collect();
        out.push_str(&format!(
            "recorded as baseline (never announced): {}",
            passed.join(", ")
        ));
    }
    out.push_str(&format!(
        "\nmilestones above {} are announced when the count clears them",
        format_grouped(done.bound)
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::milestones::detector::Reading;

    #[test]
    fn the_report_names_the_count_the_bound_and_what_was_recorded() {
        let done = Baselined {
            metric: crate::vocab::MetricName::parse("mau").unwrap(),
            reading: Reading {
                at: chrono::Utc::now(),
                estimate: 6_011,
                std_error: 48.7,
            },
            bound: 5_913,
            recorded: vec![1_000, 2_000, 5_000],
        };

        let text = report(&done, 2.0);

        assert!(text.starts_with("mau: 6,011 ± 49 now"), "{text}");
        assert!(
            text.contains("lower bound (2 standard errors below) 5,913"),
            "{text}"
        );
        assert!(
            text.contains("recorded as baseline (never announced): 1K, 2K, 5K"),
            "{text}"
        );
    }
}
