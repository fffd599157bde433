//! The audit trail: who did what to the bot, when, and how it ended.

use super::{Db, Millis, StorageError};
use chrono::{DateTime, Utc};
use sqlx::Row;

/// One admin action, or one refused attempt at one.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// The Telegram user, or `None` for the CLI.
    pub user_id: Option<i64>,
    /// What was asked, e.g. `milestone add`.
    pub action: String,
    /// The arguments as given (already free of secrets).
    pub detail: String,
    /// `ok`, `refused`, or an error in words.
    pub result: String,
}

pub async fn record(db: &Db, entry: &AuditEntry) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO audit (at, user_id, action, detail, result) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(Millis::from(entry.at))
    .bind(entry.user_id)
    .bind(entry.action.clone())
    .bind(entry.detail.clone())
    .bind(entry.result.clone())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The latest entries, newest first.
pub async fn latest(db: &Db, limit: i64) -> Result<Vec<AuditEntry>, StorageError> {
    let rows = sqlx::query(
        "SELECT at, user_id, action, detail, result FROM audit ORDER BY at DESC, id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(AuditEntry {
                at: Millis::to(row.try_get("at")?)?,
                user_id: row.try_get("user_id")?,
                action: row.try_get("action")?,
                detail: row.try_get("detail")?,
                result: row.try_get("result")?,
            })
        })
        .collect()
}
