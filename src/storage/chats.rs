//! The chats the bot posts to: subscribed, or gone (kept for history, never posted to).

use super::{Db, Millis, StorageError};
use crate::vocab::ChatId;
pub use crate::vocab::ChatKind;
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;

/// What Telegram told us about a chat when the bot joined it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewChat {
    pub id: ChatId,
    pub kind: ChatKind,
    pub title: Option<String>,
    pub username: Option<String>,
}

/// A chat as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Chat {
    pub id: ChatId,
    pub kind: ChatKind,
    pub title: Option<String>,
    pub username: Option<String>,
    /// `true` while the bot may post here.
    pub subscribed: bool,
    /// When the chat (last) subscribed.
    pub subscribed_at: DateTime<Utc>,
    /// Why the chat is gone (`left`, `kicked`, `blocked`, `unsubscribed`, `chat not found`…).
    pub gone_reason: Option<String>,
    pub gone_at: Option<DateTime<Utc>>,
    /// The id this chat had before Telegram migrated it to a supergroup.
    pub migrated_from: Option<ChatId>,
}

fn from_row(row: &AnyRow) -> Result<Chat, StorageError> {
    Ok(Chat {
        id: row.try_get("id")?,
        kind: row.try_get::<String, _>("kind")?.parse()?,
        title: row.try_get("title")?,
        username: row.try_get("username")?,
        subscribed: row.try_get::<i64, _>("subscribed")? != 0,
        subscribed_at: Millis::to(row.try_get("subscribed_at")?)?,
        gone_reason: row.try_get("gone_reason")?,
        gone_at: row
            .try_get::<Option<i64>, _>("gone_at")?
            .map(Millis::to)
            .transpose()?,
        migrated_from: row.try_get("migrated_from")?,
    })
}

/// Records the chat as subscribed (new, or coming back after being gone).
/// Returns `true` if this changed anything.
pub async fn subscribe(db: &Db, chat: &NewChat, at: DateTime<Utc>) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "INSERT INTO chats (id, kind, title, username, subscribed, subscribed_at, updated_at)
         VALUES ($1, $2, $3, $4, 1, $5, $5)
         ON CONFLICT (id) DO UPDATE SET
           kind = excluded.kind, title = excluded.title, username = excluded.username,
           subscribed_at = CASE WHEN chats.subscribed = 1 THEN chats.subscribed_at ELSE excluded.subscribed_at END,
           subscribed = 1, gone_reason = NULL, gone_at = NULL, updated_at = excluded.updated_at
         WHERE chats.subscribed = 0 OR chats.title IS DISTINCT FROM excluded.title
            OR chats.username IS DISTINCT FROM excluded.username OR chats.kind <> excluded.kind",
    )
    .bind(chat.id)
    .bind(chat.kind.as_str())
    .bind(chat.title.clone())
    .bind(chat.username.clone())
    .bind(Millis::from(at))
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The gone reason of a chat that asked, with `/unsubscribe`, to get no more posts.
pub const UNSUBSCRIBED: &str = "unsubscribed";

/// Marks a chat gone with a reason; the row stays for history. Returns `true` if the
/// chat was subscribed.
pub async fn mark_gone(
    db: &Db,
    id: ChatId,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "UPDATE chats SET subscribed = 0, gone_reason = $2, gone_at = $3, updated_at = $3
         WHERE id = $1 AND subscribed = 1",
    )
    .bind(id)
    .bind(reason.to_owned())
    .bind(Millis::from(at))
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Moves a group that Telegram upgraded to a supergroup onto its new id, keeping one
/// row. Both Telegram's notices (in the old and the new chat) may arrive; the second
/// finds nothing to move and changes nothing.
pub async fn migrate(
    db: &Db,
    from: ChatId,
    to: ChatId,
    at: DateTime<Utc>,
) -> Result<bool, StorageError> {
    // It reads, then writes: see `Db::begin_write`.
    let mut tx = db.begin_write().await?;
    // The new id may already be known (for example the bot saw the supergroup
    // first): then the old row retires into it.
    let retired = sqlx::query(
        "DELETE FROM chats WHERE id = $1 AND EXISTS (SELECT 1 FROM chats WHERE id = $2)
         RETURNING subscribed",
    )
    .bind(from)
    .bind(to)
    .fetch_optional(&mut *tx)
    .await?;
    let moved = if let Some(old) = &retired {
        let was_subscribed: i64 = old.try_get("subscribed")?;
        sqlx::query(
            "UPDATE chats SET migrated_from = $2, kind = 'supergroup', updated_at = $3,
               subscribed = CASE WHEN $4 = 1 THEN 1 ELSE subscribed END
             WHERE id = $1",
        )
        .bind(to)
        .bind(from)
        .bind(Millis::from(at))
        .bind(was_subscribed)
        .execute(&mut *tx)
        .await?;
        true
    } else {
        // Unknown new id: the row moves onto it (nothing to move if the old id is
        // gone already, as when the second of Telegram's two notices arrives).
        let done = sqlx::query(
            "UPDATE chats SET id = $2, kind = 'supergroup', migrated_from = $1, updated_at = $3
             WHERE id = $1",
        )
        .bind(from)
        .bind(to)
        .bind(Millis::from(at))
        .execute(&mut *tx)
        .await?;
        done.rows_affected() > 0
    };
    // Deliveries waiting for the old id follow the chat, so a broadcast under way
    // still reaches it.
    super::deliveries::follow_chat(&mut tx, from, to, at).await?;
    tx.commit().await?;
    Ok(moved)
}

/// Sets (or clears) the forum topic a chat wants the bot's posts in; `false` when
/// the chat is unknown.
pub async fn set_topic(
    db: &Db,
    chat: ChatId,
    thread_id: Option<i64>,
) -> Result<bool, StorageError> {
    let done = sqlx::query("UPDATE chats SET thread_id = $2 WHERE id = $1")
        .bind(chat)
        .bind(thread_id)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn get(db: &Db, id: ChatId) -> Result<Option<Chat>, StorageError> {
    let row = sqlx::query(
        "SELECT id, kind, title, username, subscribed, subscribed_at, gone_reason, gone_at, migrated_from
         FROM chats WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Every chat the bot may post to, oldest subscription first.
pub async fn list_subscribed(db: &Db) -> Result<Vec<Chat>, StorageError> {
    let rows = sqlx::query(
        "SELECT id, kind, title, username, subscribed, subscribed_at, gone_reason, gone_at, migrated_from
         FROM chats WHERE subscribed = 1 ORDER BY subscribed_at, id",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// The most recently gone chats, newest first, for admins.
pub async fn recently_gone(db: &Db, limit: i64) -> Result<Vec<Chat>, StorageError> {
    let rows = sqlx::query(
        "SELECT id, kind, title, username, subscribed, subscribed_at, gone_reason, gone_at, migrated_from
         FROM chats WHERE subscribed = 0 ORDER BY gone_at DESC, id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// Subscribed chats per kind.
pub async fn count_subscribed_by_kind(db: &Db) -> Result<Vec<(ChatKind, i64)>, StorageError> {
    let rows = sqlx::query(
        "SELECT kind, COUNT(*) AS n FROM chats WHERE subscribed = 1 GROUP BY kind ORDER BY kind",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get::<String, _>("kind")?.parse()?, r.try_get("n")?)))
        .collect()
}
