//! Secrets made once per install and kept in the database (`install_secrets`).

use super::{Db, Millis, StorageError};
use chrono::Utc;
use sqlx::Row;

/// The secret `name`, made with `make` the first time any instance asks. Two
/// instances starting at once both offer one; the first stored wins and both read it.
pub async fn secret(
    db: &Db,
    name: &str,
    make: impl FnOnce() -> Vec<u8>,
) -> Result<Vec<u8>, StorageError> {
    sqlx::query(
        "INSERT INTO install_secrets (name, value, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(name.to_owned())
    .bind(make())
    .bind(Millis::from(Utc::now()))
    .execute(db.pool())
    .await?;
    let row = sqlx::query("SELECT value FROM install_secrets WHERE name = $1")
        .bind(name.to_owned())
        .fetch_one(db.pool())
        .await?;
    Ok(row.try_get("value")?)
}
