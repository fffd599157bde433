//! The `broadcast_progress` table: which admin chat shows a broadcast's progress in
//! which message, and whether its final report is shown. What the message says is
//! `broadcast::progress`'s.

use super::{Db, StorageError};
use crate::vocab::{AnnouncementId, ChatId};
use sqlx::Row;

/// Makes sure `chat` is shown the progress of `announcement` (no message yet).
pub async fn add(db: &Db, announcement: AnnouncementId, chat: ChatId) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO broadcast_progress (announcement_id, chat_id) VALUES ($1, $2)
         ON CONFLICT (announcement_id, chat_id) DO NOTHING",
    )
    .bind(announcement)
    .bind(chat)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The chats whose progress message of `announcement` is not final yet, with the
/// message shown so far.
pub async fn open(
    db: &Db,
    announcement: AnnouncementId,
) -> Result<Vec<(ChatId, Option<i64>)>, StorageError> {
    let rows = sqlx::query(
        "SELECT chat_id, message_id FROM broadcast_progress WHERE announcement_id = $1 AND final = 0",
    )
    .bind(announcement)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((ChatId(r.try_get("chat_id")?), r.try_get("message_id")?)))
        .collect()
}

/// Records the message showing `announcement` in `chat`, and whether it is final.
pub async fn shown(
    db: &Db,
    announcement: AnnouncementId,
    chat: ChatId,
    message_id: i64,
    is_final: bool,
) -> Result<(), StorageError> {
    sqlx::query(
        "UPDATE broadcast_progress SET message_id = $3, final = $4 WHERE announcement_id = $1 AND chat_id = $2",
    )
    .bind(announcement)
    .bind(chat)
    .bind(message_id)
    .bind(i64::from(is_final))
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Stops trying to show `announcement` in `chat` (its final report cannot reach it).
pub async fn give_up(
    db: &Db,
    announcement: AnnouncementId,
    chat: ChatId,
) -> Result<(), StorageError> {
    sqlx::query(
        "UPDATE broadcast_progress SET final = 1 WHERE announcement_id = $1 AND chat_id = $2",
    )
    .bind(announcement)
    .bind(chat)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Shows `announcement`'s progress again in every chat (it has new work, or its
/// final report has more to say).
pub async fn reopen(db: &Db, announcement: AnnouncementId) -> Result<(), StorageError> {
    sqlx::query("UPDATE broadcast_progress SET final = 0 WHERE announcement_id = $1")
        .bind(announcement)
        .execute(db.pool())
        .await?;
    Ok(())
}
