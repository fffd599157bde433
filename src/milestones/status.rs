//! Where each metric stands: the latest estimate ± error, the last milestone and how
//! it was reached, the next one and when the trend reaches it. Shared by
//! `milestone-bot status` and the admins' `/milestone status`.

use super::detector::{Reading, expected_date, growth_per_day};
use super::number::{format_grouped, format_short};
use super::rules::{Rule, next_above};
use super::watcher::WatchedMetric;
use crate::storage::milestones::reached::{self, Reached};
use crate::storage::milestones::{metrics, readings, rules};
use crate::storage::{Db, StorageError};
use chrono::{DateTime, Duration, Utc};
use std::fmt::Write;

/// The readings growth is fitted over.
pub const GROWTH_WINDOW: Duration = Duration::days(7);

/// The readings the status chart shows (so they are kept at least this long).
pub const HISTORY_WINDOW: Duration = Duration::days(30);

/// One metric's status.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricStatus {
    pub metric: String,
    /// `monthly active users`, when the metric is configured.
    pub label: Option<String>,
    pub latest: Option<Reading>,
    /// The highest milestone recorded (announced, baseline or skipped).
    pub last: Option<Reached>,
    /// The next milestone above the last one (or above the count, before any).
    pub next: Option<u64>,
    /// When the trend of the last [`GROWTH_WINDOW`] reaches `next`.
    pub expected: Option<DateTime<Utc>>,
    pub growth_per_day: Option<f64>,
    /// The rules, as stored.
    pub rules: Vec<String>,
}

/// The status of every metric the database knows and every watched one.
pub async fn status(
    db: &Db,
    watched: &[WatchedMetric],
    now: DateTime<Utc>,
) -> Result<Vec<MetricStatus>, StorageError> {
    let mut conn = db.pool().acquire().await?;
    let mut names: Vec<String> = metrics::list(&mut conn)
        .await?
        .into_iter()
        .map(|row| row.metric)
        .collect();
    names.extend(watched.iter().map(|m| m.name.clone()));
    names.sort();
    names.dedup();
    let mut out = Vec::with_capacity(names.len());
    for metric in names {
        let rule_texts: Vec<String> = rules::list_for(&mut conn, &metric)
            .await?
            .into_iter()
            .map(|r| r.rule)
            .collect();
        let parsed: Vec<Rule> = rule_texts.iter().filter_map(|r| r.parse().ok()).collect();
        let recent = readings::since(&mut conn, &metric, now - GROWTH_WINDOW).await?;
        let last = reached::highest(&mut conn, &metric).await?;
        let latest = recent.last().copied();
        let floor = match (&last, &latest) {
            (Some(last), _) => last.milestone,
            (None, Some(latest)) => latest.estimate,
            (None, None) => 0,
        };
        let next = next_above(&parsed, floor);
        out.push(MetricStatus {
            label: watched
                .iter()
                .find(|m| m.name == metric)
                .map(|m| m.label.clone()),
            latest,
            expected: next.and_then(|n| expected_date(&recent, GROWTH_WINDOW, n)),
            growth_per_day: growth_per_day(&recent, GROWTH_WINDOW),
            last,
            next,
            rules: rule_texts,
            metric,
        });
    }
    Ok(out)
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
        let next = match (s.next, s.expected) {
            (None, _) => "none (no rule gives a higher one)".into(),
            (Some(n), Some(at)) => format!(
                "{}, expected {} ({})",
                format_short(n),
                in_days(at, now),
                at.format("%Y-%m-%d")
            ),
            (Some(n), None) => format!("{}, no growth to extrapolate yet", format_short(n)),
        };
        let _ = writeln!(out, "  next milestone: {next}");
        if let Some(g) = s.growth_per_day {
            let _ = writeln!(out, "  growth: {:+.0} per day", g);
        }
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
