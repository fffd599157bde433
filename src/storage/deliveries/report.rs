//! Deliveries counted for the people watching a broadcast: by state (progress, the
//! admins' lists), by what is left (the ETA), and the unknown ones (the report).

use super::{DeliveryState, Step};
use crate::storage::{Db, StorageError};
use crate::vocab::AnnouncementId;
use crate::vocab::ChatKind;
use sqlx::{AnyConnection, Row};

/// Deliveries of `announcement` by state, in the order of the states' names.
pub async fn counts(
    conn: &mut AnyConnection,
    announcement: AnnouncementId,
) -> Result<Vec<(DeliveryState, i64)>, StorageError> {
    let rows = sqlx::query(
        "SELECT state, COUNT(*) AS n FROM deliveries WHERE announcement_id = $1 GROUP BY state ORDER BY state",
    )
    .bind(announcement)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                DeliveryState::parse(&r.try_get::<String, _>("state")?)?,
                r.try_get("n")?,
            ))
        })
        .collect()
}

/// How many chats `announcement` will reach (its deliveries).
pub async fn count(
    conn: &mut AnyConnection,
    announcement: AnnouncementId,
) -> Result<i64, StorageError> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM deliveries WHERE announcement_id = $1")
        .bind(announcement)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get("n")?)
}

/// Deliveries still to go of one step into one kind of chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Left {
    pub step: Step,
    /// `None` when the chat row is gone.
    pub chat_kind: Option<ChatKind>,
    /// When the latest of them may go (UTC ms).
    pub due_ms: i64,
    /// Whether the announcement has a thank-you note.
    pub has_thanks: bool,
}

/// The deliveries of `announcement` still to go (pending or in flight), grouped by
/// step and chat kind.
pub async fn left(db: &Db, announcement: AnnouncementId) -> Result<Vec<Left>, StorageError> {
    let rows = sqlx::query(
        "SELECT d.step, c.kind, MAX(d.next_attempt_at) AS due,
                CASE WHEN a.thanks_text IS NULL THEN 0 ELSE 1 END AS has_thanks
         FROM deliveries d
         JOIN announcements a ON a.id = d.announcement_id
         LEFT JOIN chats c ON c.id = d.chat_id
         WHERE d.announcement_id = $1 AND d.state IN ('pending', 'in_flight')
         GROUP BY d.step, c.kind, a.thanks_text",
    )
    .bind(announcement)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let has_thanks: i32 = r
                .try_get::<i32, _>("has_thanks")
                .or_else(|_| r.try_get::<i64, _>("has_thanks").map(|v| v as i32))?;
            Ok(Left {
                step: Step::parse(&r.try_get::<String, _>("step")?)?,
                chat_kind: r
                    .try_get::<Option<String>, _>("kind")?
                    .map(|k| k.parse())
                    .transpose()?,
                due_ms: r.try_get("due")?,
                has_thanks: has_thanks == 1,
            })
        })
        .collect()
}

/// A delivery of unknown outcome: where it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownChat {
    /// `None` when the chat row is gone.
    pub chat_kind: Option<ChatKind>,
    pub title: Option<String>,
}

/// The unknown deliveries of `announcement`, in delivery order.
pub async fn unknown_chats(
    db: &Db,
    announcement: AnnouncementId,
) -> Result<Vec<UnknownChat>, StorageError> {
    let rows = sqlx::query(
        "SELECT c.kind, c.title FROM deliveries d LEFT JOIN chats c ON c.id = d.chat_id
         WHERE d.announcement_id = $1 AND d.state = 'unknown' ORDER BY d.id",
    )
    .bind(announcement)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(UnknownChat {
                chat_kind: r
                    .try_get::<Option<String>, _>("kind")?
                    .map(|k| k.parse())
                    .transpose()?,
                title: r.try_get("title")?,
            })
        })
        .collect()
}
