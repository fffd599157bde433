//! The SQL database: one code path for SQLite and PostgreSQL through sqlx's `Any`
//! driver, migrations per database, one module per table family. Each table's
//! SQL lives in its module only; a table with a lifecycle has its transitions there
//! as functions on typed states, and the rest of the bot calls them.
//!
//! # Layout
//! - [`announcements`]: announcements, their lifecycle (`AnnouncementState`), drafts
//!   and content.
//! - [`deliveries`]: one row per (announcement, chat): claimed, finished, following
//!   their announcement (`DeliveryState`, `Step`), counted for progress.
//! - [`leases`]: who sends (and polls) for a bot token.
//! - [`progress_messages`]: the admins' progress messages per broadcast.
//! - [`chats`], [`admins`], [`audit`], [`install`], [`updates`]: one table each.
//! - [`milestones`]: the milestone tables (rules, readings, reached, templates, …).
//!
//! Timestamps are stored as UTC milliseconds since the epoch (`BIGINT`), because the
//! `Any` driver moves only plain integers, floats, text and bytes between both
//! databases; [`Millis`] converts at this edge so the rest of the bot sees `chrono`.

pub mod admins;
pub mod announcements;
pub mod audit;
pub mod chats;
pub mod deliveries;
pub mod install;
pub mod leases;
pub mod milestones;
pub mod progress_messages;
pub mod sketches;
pub mod updates;
mod url;

pub use url::{Backend, DatabaseUrl, UrlError};

use chrono::{DateTime, Utc};
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use std::sync::Once;
use std::time::Duration;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Errors at the storage boundary.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database URL could not be understood.
    #[error(transparent)]
    Url(#[from] UrlError),
    /// The database could not be reached or refused the connection.
    #[error("cannot open the database: {0}")]
    Connect(#[source] sqlx::Error),
    /// A migration failed; the database is left as the failing migration found it.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
    /// A row holds a value this version of the bot does not understand.
    #[error("unexpected value in the database: {0}")]
    Corrupt(String),
}

impl From<crate::vocab::UnknownChatKind> for StorageError {
    fn from(e: crate::vocab::UnknownChatKind) -> Self {
        StorageError::Corrupt(e.to_string())
    }
}

/// A handle to the database, cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    /// The connection pool shared by every part of the bot.
    pool: AnyPool,
    /// Which SQL dialect is behind the pool, for the few queries that differ.
    backend: Backend,
}

impl Db {
    /// Connects (creating a SQLite file if the URL says `mode=rwc`). Does not migrate.
    pub async fn connect(url: &str) -> Result<Db, StorageError> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let parsed = DatabaseUrl::parse(url)?;
        let mut options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        if parsed.backend == Backend::Sqlite {
            // WAL lets the watcher read while the worker writes; the busy timeout turns
            // short lock waits into waits instead of errors.
            options = options.max_connections(4).after_connect(|conn, _| {
                Box::pin(async move {
                    use sqlx::Executor;
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA busy_timeout = 5000").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    Ok(())
                })
            });
        } else {
            options = options.max_connections(10);
        }
        let pool = options
            .connect(&parsed.url)
            .await
            .map_err(StorageError::Connect)?;
        Ok(Db {
            pool,
            backend: parsed.backend,
        })
    }

    /// Connects and applies every pending migration.
    pub async fn connect_and_migrate(url: &str) -> Result<Db, StorageError> {
        let db = Db::connect(url).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// Applies pending migrations; safe to call on every start.
    pub async fn migrate(&self) -> Result<(), StorageError> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await?;
        Ok(())
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A connection of the pool, for a few owner functions in a row.
    pub async fn acquire(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, StorageError> {
        Ok(self.pool.acquire().await?)
    }

    /// A transaction that will write after it reads. On SQLite it takes the write
    /// lock at `BEGIN` (`BEGIN IMMEDIATE`), waiting behind another writer for the
    /// busy timeout: a deferred transaction that read first cannot take the lock
    /// once another writer has committed, and fails with "database is locked"
    /// whatever the timeout. PostgreSQL's row locks need nothing more than `BEGIN`.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StorageError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Checks the database answers, for the health endpoint.
    pub async fn ping(&self) -> Result<(), StorageError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Waits for queries in flight and closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Conversion between `chrono` and the stored milliseconds.
pub struct Millis;

impl Millis {
    pub fn from(at: DateTime<Utc>) -> i64 {
        at.timestamp_millis()
    }

    pub fn to(ms: i64) -> Result<DateTime<Utc>, StorageError> {
        DateTime::from_timestamp_millis(ms)
            .ok_or_else(|| StorageError::Corrupt(format!("timestamp {ms} out of range")))
    }
}
