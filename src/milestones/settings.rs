//! The milestone settings: [`MilestonesConfig`], what the watcher runs with (handed
//! down by `config`, which reads it from the environment), and how a metric's
//! announcements are released: at once (`auto`) or as a draft an admin approves
//! (`approve`), optionally released by itself after a timeout, and an optional
//! minimum gap between two announcements of the metric. Each metric may override
//! the configured defaults (`RELEASE_MODE`, `MILESTONE_APPROVE_TIMEOUT`,
//! `MILESTONE_MIN_GAP`).

use super::detector::DetectorConfig;
use super::rule_check::{check_metric, parse_rule};
use super::rules::Rule;
use crate::storage::milestones::metrics::{self, MetricRow};
use crate::storage::{Db, StorageError};
use crate::vocab::MetricName;
use chrono::Utc;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// `MILESTONE_RULES` when unset: round numbers (1K, 2K, 5K, 10K, …) for the three
/// default metrics.
pub const DEFAULT_RULES: &str = "dau=round;wau=round;mau=round";

/// Settings of the milestone watcher.
#[derive(Debug, Clone)]
pub struct MilestonesConfig {
    /// `WATCH_INTERVAL` (default 5m): how often each metric is read and decided.
    pub watch_interval: Duration,
    /// `CONFIDENCE_K` (default 2) and `MILESTONE_HOLD` (default 0s): how sure the
    /// detector must be, in standard errors and in time held, before a milestone fires.
    pub detector: DetectorConfig,
    /// `MILESTONE_RULES`: `metric=rule` items separated by `;` (a metric may appear
    /// several times), copied into the database the first time a metric is watched.
    pub default_rules: Vec<(MetricName, Rule)>,
    /// `RELEASE_MODE` (auto), `MILESTONE_APPROVE_TIMEOUT` (unset: wait for an admin)
    /// and `MILESTONE_MIN_GAP` (unset: none): the defaults each metric may override.
    pub release: ReleaseSettings,
}

impl Default for MilestonesConfig {
    fn default() -> Self {
        Self {
            watch_interval: Duration::from_secs(300),
            detector: DetectorConfig::default(),
            default_rules: parse_rules(DEFAULT_RULES).expect("the default rules parse"),
            release: ReleaseSettings::default(),
        }
    }
}

/// Reads `mau=round;mau=250M;dau=every 1M`. `;` separates items because counts may
/// contain commas (`200,000,000`).
pub fn parse_rules(raw: &str) -> Result<Vec<(MetricName, Rule)>, String> {
    raw.split(';')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            let (metric, rule) = item
                .split_once('=')
                .ok_or_else(|| format!("\"{item}\" is not metric=rule (e.g. mau=round)"))?;
            let metric = metric.trim();
            let name = check_metric(metric).map_err(|e| e.to_string())?;
            let rule = parse_rule(rule).map_err(|e| format!("{metric}: {e}"))?;
            Ok((name, rule))
        })
        .collect()
}

/// What happens to an announcement when its milestone fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReleaseMode {
    /// Queued at once.
    #[default]
    Auto,
    /// Written as a draft; admins approve it (or the timeout releases it).
    Approve,
}

impl ReleaseMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseMode::Auto => "auto",
            ReleaseMode::Approve => "approve",
        }
    }
}

impl fmt::Display for ReleaseMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ReleaseMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(ReleaseMode::Auto),
            "approve" => Ok(ReleaseMode::Approve),
            other => Err(format!(
                "\"{other}\" is not a release mode; use auto or approve"
            )),
        }
    }
}

/// A metric's effective release settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReleaseSettings {
    pub mode: ReleaseMode,
    /// In `approve` mode, a draft goes out by itself this long after it was written;
    /// `None`: it waits for an admin.
    pub approve_timeout: Option<Duration>,
    /// A milestone that fires sooner than this after the metric's previous
    /// announcement is held as a draft until the gap has passed; `None`: no gap.
    pub min_gap: Option<Duration>,
}

/// Why a setting could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The duration does not fit the database's milliseconds.
    #[error("{0:?} is too long")]
    TooLong(Duration),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<sqlx::Error> for SettingsError {
    fn from(e: sqlx::Error) -> Self {
        SettingsError::Storage(e.into())
    }
}

/// The defaults with the metric's overrides applied (pure). A stored 0 turns a
/// default timeout or gap off.
pub fn effective(row: Option<&MetricRow>, defaults: &ReleaseSettings) -> ReleaseSettings {
    let Some(row) = row else { return *defaults };
    let duration = |ms: Option<i64>, default: Option<Duration>| match ms {
        None => default,
        Some(ms) if ms <= 0 => None,
        Some(ms) => Some(Duration::from_millis(ms as u64)),
    };
    ReleaseSettings {
        mode: row
            .release_mode
            .as_deref()
            .and_then(|m| m.parse().ok())
            .unwrap_or(defaults.mode),
        approve_timeout: duration(row.approve_timeout_ms, defaults.approve_timeout),
        min_gap: duration(row.min_gap_ms, defaults.min_gap),
    }
}

/// A metric's effective release settings.
pub async fn release_settings(
    db: &Db,
    metric: &MetricName,
    defaults: &ReleaseSettings,
) -> Result<ReleaseSettings, SettingsError> {
    let mut conn = db.pool().acquire().await?;
    let row = metrics::get(&mut conn, metric).await?;
    Ok(effective(row.as_ref(), defaults))
}

/// Sets a metric's release mode; `None` follows `RELEASE_MODE` again.
pub async fn set_release_mode(
    db: &Db,
    metric: &MetricName,
    mode: Option<ReleaseMode>,
) -> Result<(), SettingsError> {
    let mut conn = db.pool().acquire().await?;
    metrics::ensure(&mut conn, metric, Utc::now()).await?;
    metrics::set_release_mode(&mut conn, metric, mode.map(ReleaseMode::as_str)).await?;
    Ok(())
}

/// Sets how long a draft waits for approval; `None` follows the default,
/// `Some(Duration::ZERO)` waits for an admin however long it takes.
pub async fn set_approve_timeout(
    db: &Db,
    metric: &MetricName,
    timeout: Option<Duration>,
) -> Result<(), SettingsError> {
    let ms = timeout.map(to_ms).transpose()?;
    let mut conn = db.pool().acquire().await?;
    metrics::ensure(&mut conn, metric, Utc::now()).await?;
    metrics::set_approve_timeout(&mut conn, metric, ms).await?;
    Ok(())
}

/// Sets the minimum gap between two announcements of the metric; `None` follows
/// the default, `Some(Duration::ZERO)` turns it off.
pub async fn set_min_gap(
    db: &Db,
    metric: &MetricName,
    gap: Option<Duration>,
) -> Result<(), SettingsError> {
    let ms = gap.map(to_ms).transpose()?;
    let mut conn = db.pool().acquire().await?;
    metrics::ensure(&mut conn, metric, Utc::now()).await?;
    metrics::set_min_gap(&mut conn, metric, ms).await?;
    Ok(())
}

fn to_ms(d: Duration) -> Result<i64, SettingsError> {
    i64::try_from(d.as_millis()).map_err(|_| SettingsError::TooLong(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(mode: Option<&str>, timeout: Option<i64>, gap: Option<i64>) -> MetricRow {
        MetricRow {
            metric: crate::vocab::MetricName::parse("mau").unwrap(),
            rules_version: 1,
            baseline: Some(0),
            seeded: true,
            release_mode: mode.map(Into::into),
            approve_timeout_ms: timeout,
            min_gap_ms: gap,
        }
    }

    #[test]
    fn a_metric_without_overrides_follows_the_defaults() {
        let defaults = ReleaseSettings {
            mode: ReleaseMode::Approve,
            approve_timeout: Some(Duration::from_secs(3600)),
            min_gap: Some(Duration::from_secs(60)),
        };
        assert_eq!(effective(None, &defaults), defaults);
        assert_eq!(effective(Some(&row(None, None, None)), &defaults), defaults);
    }

    #[test]
    fn overrides_replace_the_defaults_and_zero_turns_a_duration_off() {
        let defaults = ReleaseSettings {
            mode: ReleaseMode::Auto,
            approve_timeout: Some(Duration::from_secs(3600)),
            min_gap: None,
        };
        let got = effective(Some(&row(Some("approve"), Some(0), Some(5_000))), &defaults);
        assert_eq!(
            got,
            ReleaseSettings {
                mode: ReleaseMode::Approve,
                approve_timeout: None,
                min_gap: Some(Duration::from_secs(5)),
            }
        );
    }

    #[test]
    fn release_modes_parse_case_insensitively_and_refuse_others() {
        assert_eq!("AUTO".parse(), Ok(ReleaseMode::Auto));
        assert_eq!(" approve ".parse(), Ok(ReleaseMode::Approve));
        assert!(
            "manual"
                .parse::<ReleaseMode>()
                .unwrap_err()
                .contains("auto or approve")
        );
    }
}
