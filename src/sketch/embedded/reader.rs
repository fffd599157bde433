//! The count's queries, on a database connection of their own.
//!
//! A warm count is at most one small query (the window's fingerprint). Taking a
//! connection from the pool and handing it back costs several times that query
//! (measured on SQLite: 12 µs through the pool, 2.5 µs on a held connection), so counts keep one
//! connection: taken from the pool once and detached from it (already open and set
//! up; the pool opens another when it needs one, and its `close` at shutdown never
//! waits for ours). Counts take turns on it; a query that fails on it is tried once
//! more on a new one.
//!
//! On SQLite the fingerprint is asked again only when something was committed since
//! the last time (see [`super::wal`]); otherwise the one it gave still holds.
//!
//! Statements run one by one in autocommit, so the connection holds no read
//! transaction between counts (on SQLite that would stop checkpoints).

use super::wal::{Header, WalIndex};
use crate::sketch::cache::{Fingerprint, Versions, WindowKey};
use crate::sketch::hll::Hll;
use crate::sketch::store::SketchError;
use crate::storage::{Backend, Db, sketches};
use crate::vocab::MetricName;
use chrono::NaiveDate;
use sqlx::AnyConnection;
use std::collections::HashMap;
use tokio::sync::Mutex;

/// Windows whose last fingerprint is kept beside the header it was asked under.
const SEEN_WINDOWS: usize = 64;

/// Runs `$ask` (a query of [`sketches`] on the connection `$conn`) on the reader
/// connection `$open` (already locked). A connection that served earlier counts may
/// have been closed by the server since (a PostgreSQL restart): the query gets one
/// more try on a new connection, as the pool's check before handing out a
/// connection would give it. (A macro, not a function taking a closure: the
/// query's future borrows the connection, which a closure cannot say and stay
/// `Send`.)
macro_rules! ask_on {
    ($reader:expr, $open:expr, |$conn:ident| $ask:expr) => {{
        let open: &mut Option<Open> = $open;
        let mut answer = None;
        if let Some(current) = open.as_mut() {
            let $conn = &mut current.conn;
            match $ask.await {
                Ok(found) => answer = Some(found),
                Err(err) => {
                    tracing::debug!(error = %err, "the count's connection failed; opening another");
                    *open = None;
                }
            }
        }
        match answer {
            Some(found) => Ok::<_, SketchError>(found),
            None => {
                let current = open.insert($reader.open().await?);
                let $conn = &mut current.conn;
                let again = $ask.await;
                if again.is_err() {
                    *open = None;
                }
                Ok(again?)
            }
        }
    }};
}

/// [`ask_on!`] on the reader connection, locking it for the query.
macro_rules! ask {
    ($reader:expr, |$conn:ident| $ask:expr) => {{
        let mut open = $reader.open.lock().await;
        ask_on!($reader, &mut *open, |$conn| $ask)
    }};
}

pub(super) struct Reader {
    db: Db,
    /// Opened on the first count; `None` again after a failed query.
    open: Mutex<Option<Open>>,
}

struct Open {
    conn: AnyConnection,
    /// The SQLite file's wal-index, watched while `conn` is open; `None` elsewhere.
    wal: Option<WalIndex>,
    /// Per window: the header read just before its last fingerprint query, and the
    /// fingerprint that query gave.
    seen: HashMap<WindowKey, (Header, Fingerprint)>,
}

/// A day read from the database: its sketch and `updated_at`.
pub(super) type Loaded = (NaiveDate, Hll, i64);

impl Reader {
    pub(super) fn new(db: Db) -> Self {
        Reader {
            db,
            open: Mutex::new(None),
        }
    }

    /// One of the pool's connections, no longer the pool's, and on SQLite the
    /// wal-index to watch beside it.
    async fn open(&self) -> Result<Open, SketchError> {
        let mut conn = self.db.pool().acquire().await?.detach();
        let wal = match self.db.backend() {
            Backend::Sqlite => WalIndex::of(&mut conn).await,
            Backend::Postgres => None,
        };
        Ok(Open {
            conn,
            wal,
            seen: HashMap::new(),
        })
    }

    /// How many rows the window has and the sum of their `updated_at`: any write to
    /// one of its days changes it (rows are never deleted; `updated_at` only grows).
    pub(super) async fn fingerprint(&self, window: &WindowKey) -> Result<Fingerprint, SketchError> {
        let mut open = self.open.lock().await;
        if open.is_none() {
            *open = Some(self.open().await?);
        }
        // Read before the query: a commit after this read moves the header, and the
        // next count asks again.
        let header = open.as_ref().and_then(|o| o.wal.as_ref()?.header());
        if let (Some(now), Some(current)) = (header, open.as_ref())
            && let Some(&(seen, fingerprint)) = current.seen.get(window)
            && seen == now
        {
            return Ok(fingerprint);
        }
        let (metric, first, last) = window;
        let fingerprint = ask_on!(self, &mut *open, |conn| sketches::fingerprint(
            conn, metric, *first, *last
        ))?;
        if let (Some(header), Some(current)) = (header, open.as_mut()) {
            if current.seen.len() >= SEEN_WINDOWS {
                current.seen.clear();
            }
            current.seen.insert(window.clone(), (header, fingerprint));
        }
        Ok(fingerprint)
    }

    /// The `updated_at` of each stored day of the window.
    #[tracing::instrument(skip_all, fields(metric = %window.0))]
    pub(super) async fn versions(&self, window: &WindowKey) -> Result<Versions, SketchError> {
        let (metric, first, last) = window;
        let rows = ask!(self, |conn| sketches::versions(conn, metric, *first, *last))?;
        Ok(rows.into_iter().collect())
    }

    /// The stored sketches of `days` (those that have a row) with their versions: one
    /// query for one day, else one over the range they span.
    #[tracing::instrument(skip_all, fields(%metric, days = days.len()))]
    pub(super) async fn load(
        &self,
        metric: &MetricName,
        days: &[NaiveDate],
    ) -> Result<Vec<Loaded>, SketchError> {
        let rows = match days {
            [] => return Ok(Vec::new()),
            [day] => ask!(self, |conn| sketches::one(conn, metric, *day))?
                .map(|stored| (*day, stored))
                .into_iter()
                .collect(),
            [first, .., last] => {
                let mut rows = ask!(self, |conn| sketches::range(conn, metric, *first, *last))?;
                rows.retain(|(day, _)| days.contains(day));
                rows
            }
        };
        let mut loaded = Vec::with_capacity(rows.len());
        for (day, (bytes, version)) in rows {
            let hll = Hll::from_redis_bytes(&bytes).map_err(|source| SketchError::Corrupt {
                metric: metric.clone(),
                day,
                source,
            })?;
            loaded.push((day, hll, version));
        }
        Ok(loaded)
    }
}
