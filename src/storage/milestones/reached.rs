//! `milestones_reached`: every milestone a metric passed, and how. The row is
//! unique per (metric, milestone): the first writer wins, later ones change nothing.

use super::super::{Millis, StorageError};
use super::{from_db, metric_from_db, to_db};
use crate::vocab::AnnouncementId;
use crate::vocab::MetricName;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::fmt;

/// How a milestone came to be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// It fired: an announcement was written (queued or draft).
    Announced,
    /// It was passed before the bot watched the metric (or before its rule existed).
    Baseline,
    /// A jump passed it together with a higher one, which was announced instead.
    Skipped,
    /// An admin announced it by hand (`/milestone announce`); the watcher never
    /// announces it again.
    Manual,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Announced => "announced",
            Reason::Baseline => "baseline",
            Reason::Skipped => "skipped",
            Reason::Manual => "manual",
        }
    }

    fn parse(s: &str) -> Result<Self, StorageError> {
        Ok(match s {
            "announced" => Reason::Announced,
            "baseline" => Reason::Baseline,
            "skipped" => Reason::Skipped,
            "manual" => Reason::Manual,
            other => return Err(StorageError::Corrupt(format!("milestone reason {other:?}"))),
        })
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A reached milestone.
#[derive(Debug, Clone, PartialEq)]
pub struct Reached {
    pub metric: MetricName,
    pub milestone: u64,
    pub reason: Reason,
    pub reached_at: DateTime<Utc>,
    /// The reading that decided it.
    pub estimate: u64,
    pub std_error: f64,
    /// The announcement written for it (`Announced` and `Manual`).
    pub announcement_id: Option<AnnouncementId>,
}

fn from_row(row: &AnyRow) -> Result<Reached, StorageError> {
    Ok(Reached {
        metric: metric_from_db(row.try_get("metric")?)?,
        milestone: from_db(row.try_get("milestone")?)?,
        reason: Reason::parse(&row.try_get::<String, _>("reason")?)?,
        reached_at: Millis::to(row.try_get("reached_at")?)?,
        estimate: from_db(row.try_get("estimate")?)?,
        std_error: row.try_get("std_error")?,
        announcement_id: row.try_get("announcement_id")?,
    })
}

/// Records a milestone; `false` (and nothing written) when it was already recorded.
pub async fn insert(conn: &mut AnyConnection, reached: &Reached) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "INSERT INTO milestones_reached
           (metric, milestone, reason, reached_at, estimate, std_error, announcement_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (metric, milestone) DO NOTHING",
    )
    .bind(reached.metric.as_str().to_owned())
    .bind(to_db(reached.milestone)?)
    .bind(reached.reason.as_str())
    .bind(Millis::from(reached.reached_at))
    .bind(to_db(reached.estimate)?)
    .bind(reached.std_error)
    .bind(reached.announcement_id)
    .execute(&mut *conn)
    .await?;
    let recorded = done.rows_affected() == 1;
    if recorded {
        crate::telemetry::metrics::milestones(reached.metric.as_str(), reached.reason.as_str(), 1);
    }
    Ok(recorded)
}

/// Links an announced milestone to its announcement.
pub async fn set_announcement(
    conn: &mut AnyConnection,
    metric: &MetricName,
    milestone: u64,
    announcement_id: AnnouncementId,
) -> Result<(), StorageError> {
    sqlx::query(
        "UPDATE milestones_reached SET announcement_id = $3 WHERE metric = $1 AND milestone = $2",
    )
    .bind(metric.as_str().to_owned())
    .bind(to_db(milestone)?)
    .bind(announcement_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The highest milestone recorded for the metric, however it was reached.
pub async fn highest(
    conn: &mut AnyConnection,
    metric: &MetricName,
) -> Result<Option<Reached>, StorageError> {
    let row = sqlx::query(
        "SELECT metric, milestone, reason, reached_at, estimate, std_error, announcement_id
         FROM milestones_reached WHERE metric = $1 ORDER BY milestone DESC LIMIT 1",
    )
    .bind(metric.as_str().to_owned())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The most recently announced milestone of the metric (by the watcher or by hand).
pub async fn last_announced(
    conn: &mut AnyConnection,
    metric: &MetricName,
) -> Result<Option<Reached>, StorageError> {
    let row = sqlx::query(
        "SELECT metric, milestone, reason, reached_at, estimate, std_error, announcement_id
         FROM milestones_reached WHERE metric = $1 AND reason IN ('announced', 'manual')
         ORDER BY reached_at DESC, milestone DESC LIMIT 1",
    )
    .bind(metric.as_str().to_owned())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The highest milestone announced (by the watcher or by hand) or skipped: no
/// milestone at or below it fires any more.
pub async fn highest_announced(
    conn: &mut AnyConnection,
    metric: &MetricName,
) -> Result<Option<u64>, StorageError> {
    let row = sqlx::query(
        "SELECT MAX(milestone) AS m FROM milestones_reached
         WHERE metric = $1 AND reason IN ('announced', 'skipped', 'manual')",
    )
    .bind(metric.as_str().to_owned())
    .fetch_one(&mut *conn)
    .await?;
    row.try_get::<Option<i64>, _>("m")?.map(from_db).transpose()
}

/// The milestones recorded above `floor`, lowest first.
pub async fn above(
    conn: &mut AnyConnection,
    metric: &MetricName,
    floor: u64,
) -> Result<Vec<u64>, StorageError> {
    let rows = sqlx::query(
        "SELECT milestone FROM milestones_reached WHERE metric = $1 AND milestone > $2
         ORDER BY milestone",
    )
    .bind(metric.as_str().to_owned())
    .bind(to_db(floor)?)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| from_db(r.try_get("milestone")?))
        .collect()
}

/// One milestone's record, if it was reached.
pub async fn get(
    conn: &mut AnyConnection,
    metric: &MetricName,
    milestone: u64,
) -> Result<Option<Reached>, StorageError> {
    let row = sqlx::query(
        "SELECT metric, milestone, reason, reached_at, estimate, std_error, announcement_id
         FROM milestones_reached WHERE metric = $1 AND milestone = $2",
    )
    .bind(metric.as_str().to_owned())
    .bind(to_db(milestone)?)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Turns a milestone recorded without an announcement (baseline, skipped) into one
/// announced by hand with `announcement_id`; `false` when it has an announcement.
pub async fn mark_manual(
    conn: &mut AnyConnection,
    metric: &MetricName,
    milestone: u64,
    announcement_id: AnnouncementId,
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "UPDATE milestones_reached SET reason = 'manual', announcement_id = $3
         WHERE metric = $1 AND milestone = $2 AND announcement_id IS NULL",
    )
    .bind(metric.as_str().to_owned())
    .bind(to_db(milestone)?)
    .bind(announcement_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Every milestone of the metric, lowest first.
pub async fn list(
    conn: &mut AnyConnection,
    metric: &MetricName,
) -> Result<Vec<Reached>, StorageError> {
    let rows = sqlx::query(
        "SELECT metric, milestone, reason, reached_at, estimate, std_error, announcement_id
         FROM milestones_reached WHERE metric = $1 ORDER BY milestone",
    )
    .bind(metric.as_str().to_owned())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The highest milestone below `milestone` that was announced or is the baseline
/// (not one passed over): where the milestone card's count-up starts.
pub async fn highest_below(
    conn: &mut AnyConnection,
    metric: &MetricName,
    milestone: u64,
) -> Result<Option<u64>, StorageError> {
    let row = sqlx::query(
        "SELECT MAX(milestone) AS m FROM milestones_reached
         WHERE metric = $1 AND milestone < $2 AND reason <> 'skipped'",
    )
    .bind(metric.as_str().to_owned())
    .bind(to_db(milestone)?)
    .fetch_one(&mut *conn)
    .await?;
    row.try_get::<Option<i64>, _>("m")?.map(from_db).transpose()
}
