//! `milestone_readings`: what the watcher read, kept for the detector's hold window
//! and for growth estimates, pruned beyond that. [`Reading`] is the row; what it
//! proves (its lower bound) is the detector's (`milestones::detector`).

use super::super::{Millis, StorageError};
use super::{from_db, to_db};
use crate::vocab::MetricName;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// One count of a metric, as the watcher read it from the sketch store.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// When the sketch was counted.
    pub at: DateTime<Utc>,
    /// The HyperLogLog estimate.
    pub estimate: u64,
    /// One standard error of the estimate, in ids (not a fraction).
    pub std_error: f64,
}

fn from_row(row: &AnyRow) -> Result<Reading, StorageError> {
    Ok(Reading {
        at: Millis::to(row.try_get("at")?)?,
        estimate: from_db(row.try_get("estimate")?)?,
        std_error: row.try_get("std_error")?,
    })
}

pub async fn insert(
    conn: &mut AnyConnection,
    metric: &MetricName,
    reading: &Reading,
) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO milestone_readings (metric, at, estimate, std_error) VALUES ($1, $2, $3, $4)",
    )
    .bind(metric.as_str().to_owned())
    .bind(Millis::from(reading.at))
    .bind(to_db(reading.estimate)?)
    .bind(reading.std_error)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The readings the detector needs at a hold `cutoff` (`now − hold`): the newest one
/// at or before it and every later one, oldest first. All of them when none is old
/// enough (the detector then cannot clear the hold yet).
pub async fn since_cutoff(
    conn: &mut AnyConnection,
    metric: &MetricName,
    cutoff: DateTime<Utc>,
) -> Result<Vec<Reading>, StorageError> {
    let rows = sqlx::query(
        "SELECT at, estimate, std_error FROM milestone_readings
         WHERE metric = $1 AND at >= (
             SELECT COALESCE(MAX(at), 0) FROM milestone_readings WHERE metric = $1 AND at <= $2)
         ORDER BY at, id",
    )
    .bind(metric.as_str().to_owned())
    .bind(Millis::from(cutoff))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The newest reading, if any.
pub async fn latest(
    conn: &mut AnyConnection,
    metric: &MetricName,
) -> Result<Option<Reading>, StorageError> {
    let row = sqlx::query(
        "SELECT at, estimate, std_error FROM milestone_readings
         WHERE metric = $1 ORDER BY at DESC, id DESC LIMIT 1",
    )
    .bind(metric.as_str().to_owned())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The readings taken at or after `from`, oldest first.
pub async fn since(
    conn: &mut AnyConnection,
    metric: &MetricName,
    from: DateTime<Utc>,
) -> Result<Vec<Reading>, StorageError> {
    let rows = sqlx::query(
        "SELECT at, estimate, std_error FROM milestone_readings
         WHERE metric = $1 AND at >= $2 ORDER BY at, id",
    )
    .bind(metric.as_str().to_owned())
    .bind(Millis::from(from))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Deletes readings older than `before`, but never the newest one before it (the
/// detector's hold needs a reading at or before its cutoff). Returns how many.
pub async fn prune(
    conn: &mut AnyConnection,
    metric: &MetricName,
    before: DateTime<Utc>,
) -> Result<u64, StorageError> {
    let done = sqlx::query(
        "DELETE FROM milestone_readings WHERE metric = $1 AND at < $2 AND at < (
             SELECT COALESCE(MAX(at), 0) FROM milestone_readings WHERE metric = $1 AND at < $2)",
    )
    .bind(metric.as_str().to_owned())
    .bind(Millis::from(before))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}
