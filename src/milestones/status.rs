//! Where each metric stands: the latest estimate ± error, the last milestone and how
//! it was reached, the next one and when the trend reaches it. Shared by
//! `milestone-bot status` and the admins' `/milestone status`: metrics in the
//! configured order (`METRICS`), then any other the database knows; growth and the
//! forecast only from readings at least [`MIN_HISTORY`] apart, so a first import
//! is not extrapolated from two readings seconds apart.

use super::counter::WatchedMetric;
use super::detector::{Reading, expected_date, growth_per_day};
use super::rule_check::RuleStoreError;
use super::state;
use crate::storage::milestones::reached::{self, Reached};
use crate::storage::milestones::{metrics, readings, rules};
use crate::storage::{Db, StorageError};
use crate::text::number::{format_grouped, format_short};
use crate::vocab::MetricName;
use chrono::{DateTime, Duration, Utc};
use std::fmt::Write;

/// The readings growth is fitted over.
pub const GROWTH_WINDOW: Duration = Duration::days(7);

/// Growth is shown only when the readings in the window span at least this long.
pub const MIN_HISTORY: Duration = Duration::hours(1);
/// The readings the status chart shows (so they are kept at least this long).
pub const HISTORY_WINDOW: Duration = Duration::days(30);

/// One metric's status.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricStatus {
    pub metric: MetricName,
    /// `monthly active users`, when the metric is configured.
    pub label: Option<String>,
    pub latest: Option<Reading>,
    /// The highest milestone recorded (announced, baseline or skipped).
    pub last: Option<Reached>,
    /// The next milestone above the last one (or above the count, before any).
    pub next: Option<u64>,
    /// When the trend of the last [`GROWTH_WINDOW`] reaches `next`.
    pub expected: Option<DateTime<Utc>>,
    /// Ids per day over the last [`GROWTH_WINDOW`]; `None` without readings at
    /// least [`MIN_HISTORY`] apart.
    pub growth_per_day: Option<f64>,
    /// The rules, as stored.
    pub rules: Vec<String>,
}

/// The status of every watched metric, in the configured order, then of every other
/// metric the database knows, by name.
pub async fn status(
    db: &Db,
    watched: &[WatchedMetric],
    now: DateTime<Utc>,
) -> Result<Vec<MetricStatus>, StorageError> {
    let mut conn = db.pool().acquire().await?;
    let mut names: Vec<MetricName> = watched.iter().map(|m| m.name.clone()).collect();
    for row in metrics::list(&mut conn).await? {
        if !names.contains(&row.metric) {
            names.push(row.metric);
        }
    }
    let mut out = Vec::with_capacity(names.len());
    for metric in names {
        let rule_texts: Vec<String> = rules::list_for(&mut conn, &metric)
            .await?
            .into_iter()
            .map(|r| r.rule)
            .collect();
        let recent = readings::since(&mut conn, &metric, now - GROWTH_WINDOW).await?;
        let history = enough_history(&recent);
        let last = reached::highest(&mut conn, &metric).await?;
        // Above the last milestone recorded or, before any, above the count.
        let from = match (&last, recent.last()) {
            (Some(last), _) => last.milestone,
            (None, Some(latest)) => latest.estimate,
            (None, None) => 0,
        };
        let next = match state::load(&mut conn, &metric).await {
            Ok(state) => state.live().next_above(from),
            Err(RuleStoreError::Storage(e)) => return Err(e),
            // A rule this version cannot read: no forecast, the rules line shows it.
            Err(_) => None,
        };
        out.push(MetricStatus {
            label: watched
                .iter()
                .find(|m| m.name == metric)
                .map(|m| m.label.clone()),
            latest: recent.last().copied(),
            expected: next
                .filter(|_| history)
                .and_then(|n| expected_date(&recent, GROWTH_WINDOW, n)),
            growth_per_day: growth_per_day(&recent, GROWTH_WINDOW).filter(|_| history),
            last,
            next,
            rules: rule_texts,
            metric,
        });
    }
    Ok(out)
}

/// Whether the readings (oldest first) span at least [`MIN_HISTORY`].
fn enough_history(readings: &[Reading]) -> bool {
    match (readings.first(), readings.last()) {
        (Some(first), Some(last)) => last.at - first.at >= MIN_HISTORY,
        _ => false,
    }
}

/// `+54,089,946 per day`, grouped like every other count.
pub fn per_day(growth: f64) -> String {
    let sign = if growth < 0.0 { '-' } else { '+' };
    format!(
        "{sign}{} per day",
        format_grouped(growth.abs().round() as u64)
    )
}

/// `in ~12 days`, `within a day`, or `any time now` for a date already passed.
pub fn in_days(expected: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (expected - now).num_seconds();
    if seconds <= 0 {
        return "any time now".into();
    }
    let days = (seconds + 86_399) / 86_400;
    match days {
        1 => "within a day".into(),
        n => format!("in ~{n} days"),
    }
}

/// Plain text, one block per metric.
pub fn render(statuses: &[MetricStatus], now: DateTime<Utc>) -> String {
    let mut out = String::new();
    if statuses.is_empty() {
        return "no metrics watched yet".into();
    }
    for s in statuses {
        let label = s
            .label
            .as_deref()
            .map(|l| format!(" ({l})"))
            .unwrap_or_default();
        let _ = writeln!(out, "{}{label}", s.metric);
        let count = match &s.latest {
            Some(r) => format!(
                "{} ± {} at {}",
                format_grouped(r.estimate),
                format_grouped(r.std_error.round() as u64),
                r.at.format("%Y-%m-%d %H:%M UTC")
            ),
            None => "no reading yet".into(),
        };
        let _ = writeln!(out, "  count: {count}");
        let last = match &s.last {
            Some(l) => format!(
                "{} on {} ({})",
                format_short(l.milestone),
                l.reached_at.format("%Y-%m-%d"),
                l.reason
            ),
            None => "none yet".into(),
        };
        let _ = writeln!(out, "  last milestone: {last}");
        let next = match (s.next, s.expected, s.growth_per_day) {
            (None, _, _) => "none (no rule gives a higher one)".into(),
            (Some(n), Some(at), _) => format!(
                "{}, expected {} ({})",
                format_short(n),
                in_days(at, now),
                at.format("%Y-%m-%d")
            ),
            (Some(n), None, None) => format!("{}, not enough history yet", format_short(n)),
            (Some(n), None, Some(_)) => format!("{}, no growth to extrapolate", format_short(n)),
        };
        let _ = writeln!(out, "  next milestone: {next}");
        let growth = s
            .growth_per_day
            .map_or_else(|| "not enough history yet".to_owned(), per_day);
        let _ = writeln!(out, "  growth: {growth}");
        let rules = if s.rules.is_empty() {
            "none".into()
        } else {
            s.rules.join(", ")
        };
        let _ = writeln!(out, "  rules: {rules}");
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn reading(at: DateTime<Utc>, estimate: u64) -> Reading {
        Reading {
            at,
            estimate,
            std_error: estimate as f64 * 0.0081,
        }
    }

    #[test]
    fn growth_needs_readings_an_hour_apart_and_is_grouped() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap();
        let seconds_apart = [
            reading(now - Duration::seconds(40), 100),
            reading(now, 1_500_000),
        ];
        let hours_apart = [
            reading(now - Duration::hours(2), 1_000_000),
            reading(now, 3_000_000),
        ];
        assert!(!enough_history(&seconds_apart));
        assert!(enough_history(&hours_apart));
        assert!(!enough_history(&hours_apart[1..]));
        assert_eq!(per_day(24_000_000.4), "+24,000,000 per day");
        assert_eq!(per_day(-1234.0), "-1,234 per day");
        let status = |recent: &[Reading]| MetricStatus {
            metric: crate::vocab::MetricName::parse("mau").unwrap(),
            label: None,
            latest: recent.last().copied(),
            last: None,
            next: Some(5_000_000),
            expected: None,
            growth_per_day: growth_per_day(recent, GROWTH_WINDOW)
                .filter(|_| enough_history(recent)),
            rules: vec!["round".into()],
        };
        let early = render(&[status(&seconds_apart)], now);
        let later = render(&[status(&hours_apart)], now);
        assert!(
            early.contains("  growth: not enough history yet\n"),
            "{early}"
        );
        assert!(
            early.contains("next milestone: 5M, not enough history yet"),
            "{early}"
        );
        assert!(later.contains("  growth: +24,000,000 per day\n"), "{later}");
    }

    #[test]
    fn days_until_are_rounded_up_and_never_negative() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap();
        let cases = [
            (Duration::hours(-1), "any time now"),
            (Duration::hours(5), "within a day"),
            (Duration::hours(25), "in ~2 days"),
            (Duration::days(12), "in ~12 days"),
        ];
        for (offset, expected) in cases {
            assert_eq!(in_days(now + offset, now), expected, "{offset}");
        }
    }
}
