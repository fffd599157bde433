//! The sketch store: one trait, two backends, and the enum that picks one at run time.

use super::Estimate;
use super::embedded::EmbeddedStore;
use super::hll::{Hll, HllError};
use super::redis::RedisStore;
use crate::config::{RedisServers, SketchBackend, SketchConfig};
use crate::storage::{Db, StorageError};
use crate::vocab::{Metric, MetricName};
use chrono::NaiveDate;
use std::future::Future;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Why the store could not do what was asked. No variant carries an id.
#[derive(Debug, thiserror::Error)]
pub enum SketchError {
    /// The SQL database (embedded backend) failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Redis refused the command or could not be reached.
    #[error("redis: {0}")]
    Redis(#[from] ::redis::RedisError),
    /// A stored day sketch is not a HyperLogLog we can read.
    #[error("the stored sketch for {metric} on {day} is unreadable: {source}")]
    Corrupt {
        /// Whose sketch it is.
        metric: MetricName,
        /// Which day's.
        day: NaiveDate,
        /// What is wrong with the bytes.
        #[source]
        source: HllError,
    },
}

impl From<sqlx::Error> for SketchError {
    fn from(e: sqlx::Error) -> Self {
        SketchError::Storage(StorageError::Query(e))
    }
}

/// Where sketches live: one sketch per metric per UTC day.
///
/// Methods return `Send` futures so handlers and background tasks can call them.
pub trait SketchStore {
    /// Adds `ids` to `metric`'s sketch for `day`; returns how many ids were taken in
    /// (all of them; duplicates are counted once by the sketch, not here).
    fn add(
        &self,
        metric: &MetricName,
        day: NaiveDate,
        ids: &[impl AsRef<[u8]> + Sync],
    ) -> impl Future<Output = Result<usize, SketchError>> + Send;

    /// The count of distinct ids over `metric`'s window ending at `at` (the union of
    /// its days, as `PFCOUNT key1 … keyN`).
    fn count(
        &self,
        metric: &Metric,
        at: NaiveDate,
    ) -> impl Future<Output = Result<Estimate, SketchError>> + Send;

    /// One day's sketch, `None` when nothing was ever recorded for that day.
    fn day_sketch(
        &self,
        metric: &MetricName,
        day: NaiveDate,
    ) -> impl Future<Output = Result<Option<Hll>, SketchError>> + Send;

    /// Stores the union of `sketch` and the day's stored sketch (an import never
    /// loses ids already there).
    fn put_day_sketch(
        &self,
        metric: &MetricName,
        day: NaiveDate,
        sketch: Hll,
    ) -> impl Future<Output = Result<(), SketchError>> + Send;

    /// Makes everything added so far durable.
    fn flush(&self) -> impl Future<Output = Result<(), SketchError>> + Send;
}

/// The backend chosen by `SKETCH_BACKEND`, cheap to clone.
#[derive(Clone)]
pub enum SketchStoreKind {
    /// `SKETCH_BACKEND=embedded`: the SQL database, cached in memory.
    Embedded(EmbeddedStore),
    /// `SKETCH_BACKEND=redis`: `PREFIX:METRIC:DAY` keys on one server, or
    /// `{PREFIX:METRIC}:DAY` on a cluster.
    Redis(RedisStore),
}

impl SketchStoreKind {
    /// Opens the configured backend. `db` is needed by the embedded backend only.
    pub async fn open(config: &SketchConfig, db: Option<&Db>) -> anyhow::Result<Self> {
        use anyhow::Context;
        Ok(match &config.backend {
            SketchBackend::Embedded => {
                let db = db.context("the embedded sketch store needs the database")?;
                SketchStoreKind::Embedded(EmbeddedStore::new(db.clone()))
            }
            SketchBackend::Redis {
                servers: RedisServers::Single { url },
                prefix,
            } => SketchStoreKind::Redis(
                RedisStore::connect(url, prefix)
                    .await
                    .context("connecting to Redis (REDIS_URL)")?,
            ),
            SketchBackend::Redis {
                servers: RedisServers::Cluster { nodes, url_ignored },
                prefix,
            } => {
                log_cluster_choice(nodes.len(), *url_ignored);
                SketchStoreKind::Redis(
                    RedisStore::connect_cluster(nodes, prefix)
                        .await
                        .context("connecting to the Redis Cluster (REDIS_CLUSTER_NODES)")?,
                )
            }
        })
    }

    /// Starts the background flush every `interval` (embedded only) until `stop`; the
    /// caller flushes once more after stopping it.
    pub fn spawn_flusher(
        &self,
        interval: std::time::Duration,
        stop: CancellationToken,
    ) -> Option<JoinHandle<()>> {
        match self {
            SketchStoreKind::Embedded(store) => {
                Some(tokio::spawn(store.clone().run_flusher(interval, stop)))
            }
            SketchStoreKind::Redis(_) => None,
        }
    }
}

/// Says which Redis is used, before connecting, so a failed start names it too.
/// Node URLs may hold passwords: only their number is logged.
fn log_cluster_choice(nodes: usize, url_ignored: bool) {
    if url_ignored {
        tracing::warn!(
            seed_nodes = nodes,
            "sketch store: Redis Cluster from REDIS_CLUSTER_NODES; REDIS_URL is ignored"
        );
    } else {
        tracing::info!(
            seed_nodes = nodes,
            "sketch store: Redis Cluster from REDIS_CLUSTER_NODES"
        );
    }
}

impl SketchStore for SketchStoreKind {
    async fn add(
        &self,
        metric: &MetricName,
        day: NaiveDate,
        ids: &[impl AsRef<[u8]> + Sync],
    ) -> Result<usize, SketchError> {
        match self {
            SketchStoreKind::Embedded(s) => s.add(metric, day, ids).await,
            SketchStoreKind::Redis(s) => s.add(metric, day, ids).await,
        }
    }

    async fn count(&self, metric: &Metric, at: NaiveDate) -> Result<Estimate, SketchError> {
        match self {
            SketchStoreKind::Embedded(s) => s.count(metric, at).await,
            SketchStoreKind::Redis(s) => s.count(metric, at).await,
        }
    }

    async fn day_sketch(
        &self,
        metric: &MetricName,
        day: NaiveDate,
    ) -> Result<Option<Hll>, SketchError> {
        match self {
            SketchStoreKind::Embedded(s) => s.day_sketch(metric, day).await,
            SketchStoreKind::Redis(s) => s.day_sketch(metric, day).await,
        }
    }

    async fn put_day_sketch(
        &self,
        metric: &MetricName,
        day: NaiveDate,
        sketch: Hll,
    ) -> Result<(), SketchError> {
        match self {
            SketchStoreKind::Embedded(s) => s.put_day_sketch(metric, day, sketch).await,
            SketchStoreKind::Redis(s) => s.put_day_sketch(metric, day, sketch).await,
        }
    }

    async fn flush(&self) -> Result<(), SketchError> {
        match self {
            SketchStoreKind::Embedded(s) => s.flush().await,
            SketchStoreKind::Redis(s) => s.flush().await,
        }
    }
}
