//! `milestone_metrics`: one row per watched metric. Its baseline bound says what was
//! passed before the bot watched it, and its release columns override the
//! configured defaults. Updating the row is how a decision (or a rule change) takes
//! the metric's lock: two writers decide one metric one after the other.

use super::super::{Millis, StorageError};
use super::{from_db, metric_from_db, to_db};
use crate::vocab::MetricName;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// A metric's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricRow {
    pub metric: MetricName,
    /// Bumped by every rule added or removed.
    pub rules_version: i64,
    /// Milestones at or below it were passed before the bot watched the metric
    /// (its first reading, or an explicit `baseline`); `None` before the first
    /// reading was decided.
    pub baseline: Option<u64>,
    /// Whether the configured default rules were copied in (once per metric).
    pub seeded: bool,
    /// `auto` or `approve`; `None` follows `RELEASE_MODE`.
    pub release_mode: Option<String>,
    /// `None` follows `MILESTONE_APPROVE_TIMEOUT`; `Some(0)` means never.
    pub approve_timeout_ms: Option<i64>,
    /// `None` follows `MILESTONE_MIN_GAP`; `Some(0)` means no gap.
    pub min_gap_ms: Option<i64>,
}

fn from_row(row: &AnyRow) -> Result<MetricRow, StorageError> {
    Ok(MetricRow {
        metric: metric_from_db(row.try_get("metric")?)?,
        rules_version: row.try_get("rules_version")?,
        baseline: row
            .try_get::<Option<i64>, _>("baseline_bound")?
            .map(from_db)
            .transpose()?,
        seeded: row.try_get::<Option<i64>, _>("seeded_at")?.is_some(),
        release_mode: row.try_get("release_mode")?,
        approve_timeout_ms: row.try_get("approve_timeout_ms")?,
        min_gap_ms: row.try_get("min_gap_ms")?,
    })
}

/// Creates the metric's row if it does not exist.
pub async fn ensure(
    conn: &mut AnyConnection,
    metric: &MetricName,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO milestone_metrics (metric, checked_at) VALUES ($1, $2)
         ON CONFLICT (metric) DO NOTHING",
    )
    .bind(metric.as_str().to_owned())
    .bind(Millis::from(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks the default rules as copied in; `true` only for the caller that did it.
pub async fn mark_seeded(
    conn: &mut AnyConnection,
    metric: &MetricName,
    now: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "UPDATE milestone_metrics SET seeded_at = $2 WHERE metric = $1 AND seeded_at IS NULL",
    )
    .bind(metric.as_str().to_owned())
    .bind(Millis::from(now))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes the metric's row lock for the rest of the transaction (a write: a row lock
/// on PostgreSQL, the write lock on SQLite). `false` when the row does not exist.
pub async fn lock(
    conn: &mut AnyConnection,
    metric: &MetricName,
    now: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let done = sqlx::query("UPDATE milestone_metrics SET checked_at = $2 WHERE metric = $1")
        .bind(metric.as_str().to_owned())
        .bind(Millis::from(now))
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get(
    conn: &mut AnyConnection,
    metric: &MetricName,
) -> Result<Option<MetricRow>, StorageError> {
    let row = sqlx::query(
        "SELECT metric, rules_version, baseline_bound, seeded_at, release_mode, approve_timeout_ms, min_gap_ms
         FROM milestone_metrics WHERE metric = $1",
    )
    .bind(metric.as_str().to_owned())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Every metric with a row, by name.
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<MetricRow>, StorageError> {
    let rows = sqlx::query(
        "SELECT metric, rules_version, baseline_bound, seeded_at, release_mode, approve_timeout_ms, min_gap_ms
         FROM milestone_metrics ORDER BY metric",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Records a rule change, taking the metric's lock for the rest of the transaction
/// (so a rule's baseline and the watcher's decisions do not interleave).
pub async fn bump_rules_version(
    conn: &mut AnyConnection,
    metric: &MetricName,
) -> Result<(), StorageError> {
    sqlx::query("UPDATE milestone_metrics SET rules_version = rules_version + 1 WHERE metric = $1")
        .bind(metric.as_str().to_owned())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Raises the metric's baseline to `bound` (never lowers it).
pub async fn raise_baseline(
    conn: &mut AnyConnection,
    metric: &MetricName,
    bound: u64,
) -> Result<(), StorageError> {
    sqlx::query(
        "UPDATE milestone_metrics SET baseline_bound = $2
         WHERE metric = $1 AND COALESCE(baseline_bound, -1) < $2",
    )
    .bind(metric.as_str().to_owned())
    .bind(to_db(bound)?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Sets (or with `None` clears) the metric's release mode.
pub async fn set_release_mode(
    conn: &mut AnyConnection,
    metric: &MetricName,
    mode: Option<&str>,
) -> Result<(), StorageError> {
    sqlx::query("UPDATE milestone_metrics SET release_mode = $2 WHERE metric = $1")
        .bind(metric.as_str().to_owned())
        .bind(mode.map(str::to_owned))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Sets (or with `None` clears) the approval timeout, in milliseconds.
pub async fn set_approve_timeout(
    conn: &mut AnyConnection,
    metric: &MetricName,
    ms: Option<i64>,
) -> Result<(), StorageError> {
    sqlx::query("UPDATE milestone_metrics SET approve_timeout_ms = $2 WHERE metric = $1")
        .bind(metric.as_str().to_owned())
        .bind(ms)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Sets (or with `None` clears) the minimum gap between announcements, in ms.
pub async fn set_min_gap(
    conn: &mut AnyConnection,
    metric: &MetricName,
    ms: Option<i64>,
) -> Result<(), StorageError> {
    sqlx::query("UPDATE milestone_metrics SET min_gap_ms = $2 WHERE metric = $1")
        .bind(metric.as_str().to_owned())
        .bind(ms)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
