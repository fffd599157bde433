//! The `broadcast_leases` table: one row per bot, naming who may act for it (send
//! broadcasts, poll updates) and until when. The rules are in `broadcast::lease`.

use super::{Db, StorageError};

/// Takes the lease of `bot_id` for `holder` until `expires_ms` if it is free,
/// expired at `now_ms`, or already `holder`'s. Returns whether `holder` holds it.
pub async fn take(
    db: &Db,
    bot_id: &str,
    holder: &str,
    expires_ms: i64,
    now_ms: i64,
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "INSERT INTO broadcast_leases (bot_id, holder, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (bot_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE broadcast_leases.holder = excluded.holder OR broadcast_leases.expires_at < $4",
    )
    .bind(bot_id.to_owned())
    .bind(holder.to_owned())
    .bind(expires_ms)
    .bind(now_ms)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Gives up `holder`'s lease of `bot_id`, if it still holds it.
pub async fn give_up(db: &Db, bot_id: &str, holder: &str) -> Result<(), StorageError> {
    sqlx::query("DELETE FROM broadcast_leases WHERE bot_id = $1 AND holder = $2")
        .bind(bot_id.to_owned())
        .bind(holder.to_owned())
        .execute(db.pool())
        .await?;
    Ok(())
}
