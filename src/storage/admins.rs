//! Admins added from Telegram, and confirmations waiting for an admin's button press.

use super::{Db, Millis, StorageError};
use crate::vocab::UserId;
use chrono::{DateTime, Utc};
use sqlx::Row;

/// Adds an admin; `false` if they already were one.
pub async fn add(
    db: &Db,
    user_id: UserId,
    added_by: UserId,
    at: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "INSERT INTO admins (user_id, added_by, added_at) VALUES ($1, $2, $3) ON CONFLICT (user_id) DO NOTHING",
    )
    .bind(user_id)
    .bind(added_by)
    .bind(Millis::from(at))
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Removes an admin added from Telegram; `false` if there was none.
pub async fn remove(db: &Db, user_id: UserId) -> Result<bool, StorageError> {
    let done = sqlx::query("DELETE FROM admins WHERE user_id = $1")
        .bind(user_id)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn contains(db: &Db, user_id: UserId) -> Result<bool, StorageError> {
    Ok(sqlx::query("SELECT 1 FROM admins WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(db.pool())
        .await?
        .is_some())
}

/// Admins added from Telegram: (user id, added by, when), oldest first.
pub async fn list(db: &Db) -> Result<Vec<(UserId, UserId, DateTime<Utc>)>, StorageError> {
    let rows =
        sqlx::query("SELECT user_id, added_by, added_at FROM admins ORDER BY added_at, user_id")
            .fetch_all(db.pool())
            .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("user_id")?,
                r.try_get("added_by")?,
                Millis::to(r.try_get("added_at")?)?,
            ))
        })
        .collect()
}

/// A stored confirmation.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirmation {
    pub nonce: String,
    pub admin_id: UserId,
    pub action: String,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

pub async fn create_confirmation(
    db: &Db,
    nonce: &str,
    admin_id: UserId,
    action: &str,
    at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO confirmations (nonce, admin_id, action, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(nonce.to_owned())
    .bind(admin_id)
    .bind(action.to_owned())
    .bind(Millis::from(at))
    .bind(Millis::from(expires_at))
    .execute(db.pool())
    .await?;
    Ok(())
}

pub async fn get_confirmation(db: &Db, nonce: &str) -> Result<Option<Confirmation>, StorageError> {
    let row = sqlx::query(
        "SELECT nonce, admin_id, action, expires_at, used_at FROM confirmations WHERE nonce = $1",
    )
    .bind(nonce.to_owned())
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| {
        Ok(Confirmation {
            nonce: r.try_get("nonce")?,
            admin_id: r.try_get("admin_id")?,
            action: r.try_get("action")?,
            expires_at: Millis::to(r.try_get("expires_at")?)?,
            used_at: r
                .try_get::<Option<i64>, _>("used_at")?
                .map(Millis::to)
                .transpose()?,
        })
    })
    .transpose()
}

/// Marks a confirmation used, if it still is unused and unexpired. Exactly one caller
/// wins, however many presses race.
pub async fn use_confirmation(
    db: &Db,
    nonce: &str,
    outcome: &str,
    at: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "UPDATE confirmations SET used_at = $2, outcome = $3
         WHERE nonce = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(nonce.to_owned())
    .bind(Millis::from(at))
    .bind(outcome.to_owned())
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() > 0)
}
