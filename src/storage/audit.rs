//! The audit trail: who did what to the bot, when, and how it ended.

use super::{Db, Millis, StorageError};
use crate::vocab::UserId;
use chrono::{DateTime, Utc};
use sqlx::Row;
use std::fmt;

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The command line (`milestone-bot …`).
    Cli,
    /// An admin (from `ADMIN_IDS` or added from Telegram): known, so their id is kept.
    Admin(UserId),
    /// Anyone else: only their pseudonym (`privacy::Pseudonym`), never their id.
    Stranger(String),
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Cli => f.pad("cli"),
            Actor::Admin(id) => f.pad(&id.to_string()),
            Actor::Stranger(pseudonym) => f.pad(pseudonym),
        }
    }
}

/// One admin action, or one refused attempt at one.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub who: Actor,
    /// What was asked, e.g. `milestone add`; for a stranger, only a known
    /// subcommand's name.
    pub action: String,
    /// The arguments as given (already free of secrets); empty for a stranger.
    pub detail: String,
    /// `ok`, `refused`, or an error in words.
    pub result: String,
}

pub async fn record(db: &Db, entry: &AuditEntry) -> Result<(), StorageError> {
    let (user_id, user_hash) = match &entry.who {
        Actor::Cli => (None, None),
        Actor::Admin(id) => (Some(*id), None),
        Actor::Stranger(pseudonym) => (None, Some(pseudonym.clone())),
    };
    sqlx::query(
        "INSERT INTO audit (at, user_id, user_hash, action, detail, result)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(Millis::from(entry.at))
    .bind(user_id)
    .bind(user_hash)
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
        "SELECT at, user_id, user_hash, action, detail, result FROM audit
         ORDER BY at DESC, id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let user_id: Option<UserId> = row.try_get("user_id")?;
            let user_hash: Option<String> = row.try_get("user_hash")?;
            Ok(AuditEntry {
                at: Millis::to(row.try_get("at")?)?,
                who: match (user_id, user_hash) {
                    (Some(id), _) => Actor::Admin(id),
                    (None, Some(pseudonym)) => Actor::Stranger(pseudonym),
                    (None, None) => Actor::Cli,
                },
                action: row.try_get("action")?,
                detail: row.try_get("detail")?,
                result: row.try_get("result")?,
            })
        })
        .collect()
}
