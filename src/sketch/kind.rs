//! [`SketchStoreKind`]: the backend chosen at run time (embedded or Redis), opened
//! from the [`SketchBackend`] settings, and itself a [`SketchStore`].

use super::Estimate;
use super::embedded::EmbeddedStore;
use super::hll::Hll;
use super::redis::RedisStore;
use super::settings::{RedisServers, SketchBackend};
use super::store::{SketchError, SketchStore};
use crate::storage::Db;
use crate::vocab::{Metric, MetricName};
use chrono::NaiveDate;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

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
    pub async fn open(backend: &SketchBackend, db: Option<&Db>) -> anyhow::Result<Self> {
        use anyhow::Context;
        Ok(match backend {
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
