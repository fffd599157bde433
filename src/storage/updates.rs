//! Updates already taken in: the guard that makes a Telegram update handled once,
//! whether Telegram redelivers it (a webhook retry) or a new poller is handed what
//! the old one took but never confirmed.

use super::{Db, Millis, StorageError};
use chrono::{DateTime, Utc};

/// Records `update_id` for `bot_id`; `true` if it is new (handle it), `false` if an
/// instance took it before (skip it).
pub async fn first_sight(
    db: &Db,
    bot_id: &str,
    update_id: u32,
    now: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "INSERT INTO updates_seen (bot_id, update_id, seen_at) VALUES ($1, $2, $3)
         ON CONFLICT (bot_id, update_id) DO NOTHING",
    )
    .bind(bot_id.to_owned())
    .bind(i64::from(update_id))
    .bind(Millis::from(now))
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Forgets updates seen before `before`; returns how many.
pub async fn prune(db: &Db, before: DateTime<Utc>) -> Result<u64, StorageError> {
    let done = sqlx::query("DELETE FROM updates_seen WHERE seen_at < $1")
        .bind(Millis::from(before))
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}
