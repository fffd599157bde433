//! `sketches`: one row per metric and UTC day, the day's HyperLogLog as Redis-format
//! bytes and `updated_at`, its version (UTC milliseconds, strictly growing with
//! every write). All SQL of the embedded sketch store is here; what the bytes mean,
//! the cache and when to ask is `sketch::embedded`'s.
//!
//! Writes run inside the caller's transaction (a flush writes its batch in one);
//! reads run on whatever connection the caller holds (the count keeps one of its
//! own). Rows are never deleted.

use super::{Backend, StorageError};
use crate::vocab::MetricName;
use chrono::NaiveDate;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// A stored day: its bytes and version.
pub type StoredDay = (Vec<u8>, i64);

const INSERT_NEW: &str = "INSERT INTO sketches (metric, day, bytes, updated_at) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (metric, day) DO NOTHING";
// On SQLite the INSERT above already took the database's write lock for the
// transaction; PostgreSQL needs the row locked explicitly.
const SELECT_FOR_MERGE_SQLITE: &str =
    "SELECT bytes, updated_at FROM sketches WHERE metric = $1 AND day = $2";
const SELECT_FOR_MERGE_POSTGRES: &str =
    "SELECT bytes, updated_at FROM sketches WHERE metric = $1 AND day = $2 FOR UPDATE";
const UPDATE_MERGED: &str =
    "UPDATE sketches SET bytes = $3, updated_at = $4 WHERE metric = $1 AND day = $2";

// The sum is cast because PostgreSQL sums BIGINTs into NUMERIC.
const SELECT_FINGERPRINT: &str = "SELECT COUNT(*) AS n, \
     CAST(COALESCE(SUM(updated_at), 0) AS BIGINT) AS total FROM sketches \
     WHERE metric = $1 AND day >= $2 AND day <= $3";
const SELECT_VERSIONS: &str = "SELECT day, updated_at FROM sketches \
     WHERE metric = $1 AND day >= $2 AND day <= $3";
const SELECT_ONE: &str = "SELECT bytes, updated_at FROM sketches WHERE metric = $1 AND day = $2";
const SELECT_RANGE: &str = "SELECT day, bytes, updated_at FROM sketches \
     WHERE metric = $1 AND day >= $2 AND day <= $3";

/// Stores a day that has no row yet; `false` (nothing written) if it has one.
pub async fn insert_new(
    conn: &mut AnyConnection,
    metric: &MetricName,
    day: NaiveDate,
    bytes: Vec<u8>,
    version: i64,
) -> Result<bool, StorageError> {
    let inserted = sqlx::query(INSERT_NEW)
        .bind(metric.to_string())
        .bind(day.to_string())
        .bind(bytes)
        .bind(version)
        .execute(&mut *conn)
        .await?;
    Ok(inserted.rows_affected() == 1)
}

/// The stored day, locked until the caller's transaction ends, so a merge of it
/// cannot lose another writer's ids.
pub async fn lock_for_merge(
    conn: &mut AnyConnection,
    backend: Backend,
    metric: &MetricName,
    day: NaiveDate,
) -> Result<StoredDay, StorageError> {
    let select = match backend {
        Backend::Sqlite => SELECT_FOR_MERGE_SQLITE,
        Backend::Postgres => SELECT_FOR_MERGE_POSTGRES,
    };
    let row = sqlx::query(select)
        .bind(metric.to_string())
        .bind(day.to_string())
        .fetch_one(&mut *conn)
        .await?;
    Ok((row.try_get("bytes")?, row.try_get("updated_at")?))
}

/// Replaces a day's bytes with the merged ones, at `version`.
pub async fn update_merged(
    conn: &mut AnyConnection,
    metric: &MetricName,
    day: NaiveDate,
    bytes: Vec<u8>,
    version: i64,
) -> Result<(), StorageError> {
    sqlx::query(UPDATE_MERGED)
        .bind(metric.to_string())
        .bind(day.to_string())
        .bind(bytes)
        .bind(version)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// How many rows the window `first..=last` has and the sum of their `updated_at`:
/// any write to one of its days changes it.
pub async fn fingerprint(
    conn: &mut AnyConnection,
    metric: &MetricName,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<(i64, i64), StorageError> {
    let row = window_query(SELECT_FINGERPRINT, metric, first, last)
        .fetch_one(&mut *conn)
        .await?;
    Ok((row.try_get("n")?, row.try_get("total")?))
}

/// The `updated_at` of each stored day of the window.
pub async fn versions(
    conn: &mut AnyConnection,
    metric: &MetricName,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Vec<(NaiveDate, i64)>, StorageError> {
    let rows = window_query(SELECT_VERSIONS, metric, first, last)
        .fetch_all(&mut *conn)
        .await?;
    let mut versions = Vec::with_capacity(rows.len());
    for row in rows {
        if let Some(day) = parse_day(&row)? {
            versions.push((day, row.try_get("updated_at")?));
        }
    }
    Ok(versions)
}

/// One stored day, `None` if it has no row.
pub async fn one(
    conn: &mut AnyConnection,
    metric: &MetricName,
    day: NaiveDate,
) -> Result<Option<StoredDay>, StorageError> {
    let row = sqlx::query(SELECT_ONE)
        .bind(metric.to_string())
        .bind(day.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|row| Ok((row.try_get("bytes")?, row.try_get("updated_at")?)))
        .transpose()
}

/// Every stored day of the window, with its bytes and version.
pub async fn range(
    conn: &mut AnyConnection,
    metric: &MetricName,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Vec<(NaiveDate, StoredDay)>, StorageError> {
    let rows = window_query(SELECT_RANGE, metric, first, last)
        .fetch_all(&mut *conn)
        .await?;
    let mut days = Vec::with_capacity(rows.len());
    for row in rows {
        if let Some(day) = parse_day(&row)? {
            days.push((day, (row.try_get("bytes")?, row.try_get("updated_at")?)));
        }
    }
    Ok(days)
}

/// The path of the SQLite file `conn` has open, if it is in WAL mode (so its
/// `-shm` wal-index can be watched); `None` for anything else.
pub async fn sqlite_wal_file(conn: &mut AnyConnection) -> Option<String> {
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut *conn)
        .await
        .ok()?;
    if !mode.eq_ignore_ascii_case("wal") {
        return None;
    }
    let path: String =
        sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
            .fetch_one(&mut *conn)
            .await
            .ok()?;
    (!path.is_empty()).then_some(path)
}

/// A query over a window: metric, first and last day, bound as text.
fn window_query(
    sql: &'static str,
    metric: &MetricName,
    first: NaiveDate,
    last: NaiveDate,
) -> sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments> {
    sqlx::query(sql)
        .bind(metric.to_string())
        .bind(first.to_string())
        .bind(last.to_string())
}

/// The row's `day`; `None` (and a warning) if it is not a date.
fn parse_day(row: &AnyRow) -> Result<Option<NaiveDate>, StorageError> {
    let day: String = row.try_get("day")?;
    let parsed = day.parse::<NaiveDate>().ok();
    if parsed.is_none() {
        tracing::warn!("a sketches row has a malformed day; ignored");
    }
    Ok(parsed)
}
