//! Milestone announcements waiting as drafts: listed for admins, approved by one,
//! or released by the watcher once their `release_at` has passed.

use super::super::{Millis, StorageError};
use super::from_db;
use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

/// A draft milestone announcement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub announcement_id: i64,
    pub metric: String,
    pub milestone: u64,
    pub created_at: DateTime<Utc>,
    /// When it goes out by itself; `None`: only when an admin approves it.
    pub release_at: Option<DateTime<Utc>>,
}

/// Every milestone draft, oldest first.
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<Draft>, StorageError> {
    let rows = sqlx::query(
        "SELECT id, metric, milestone, created_at, release_at FROM announcements
         WHERE kind = 'milestone' AND state = 'draft' ORDER BY created_at, id",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Draft {
                announcement_id: r.try_get("id")?,
                metric: r
                    .try_get::<Option<String>, _>("metric")?
                    .unwrap_or_default(),
                milestone: from_db(r.try_get::<Option<i64>, _>("milestone")?.unwrap_or(0))?,
                created_at: Millis::to(r.try_get("created_at")?)?,
                release_at: r
                    .try_get::<Option<i64>, _>("release_at")?
                    .map(Millis::to)
                    .transpose()?,
            })
        })
        .collect()
}

/// Queues one draft; `false` when it is not a draft (any more).
pub async fn queue(conn: &mut AnyConnection, announcement_id: i64) -> Result<bool, StorageError> {
    let done =
        sqlx::query("UPDATE announcements SET state = 'queued' WHERE id = $1 AND state = 'draft'")
            .bind(announcement_id)
            .execute(&mut *conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Queues every milestone draft whose `release_at` is at or before `now`; their ids.
pub async fn queue_due(
    conn: &mut AnyConnection,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, StorageError> {
    let rows = sqlx::query(
        "UPDATE announcements SET state = 'queued'
         WHERE kind = 'milestone' AND state = 'draft' AND release_at IS NOT NULL AND release_at <= $1
         RETURNING id",
    )
    .bind(Millis::from(now))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
}
