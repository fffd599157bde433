//! The Redis backend: one Redis HyperLogLog per metric per day, on a single server
//! or a Redis Cluster (Valkey works the same). A service that already `PFADD`s keys
//! of the right shape can point the bot at them and the bot reads them unchanged:
//! - single server (`REDIS_URL`): `PREFIX:METRIC:YYYY-MM-DD`;
//! - cluster (`REDIS_CLUSTER_NODES`): `{PREFIX:METRIC}:YYYY-MM-DD`. The braces are a
//!   hash tag: only `PREFIX:METRIC` picks the slot, so a metric's days live on one
//!   node and one `PFCOUNT` over a window's keys works (Redis refuses a multi-key
//!   command across slots).
//!
//! The single-server shape predates cluster support and operators' data is under
//! it, so it stays as it is.

mod connection;

pub use connection::RedisConnection;

use super::Estimate;
use super::hll::Hll;
use super::store::{SketchError, SketchStore};
use crate::vocab::{Metric, MetricName};
use chrono::NaiveDate;
use std::sync::Arc;

/// Ids per `PFADD`: large enough that the per-command cost vanishes, small enough
/// that one command does not hold Redis for long (about a millisecond).
pub const PFADD_BATCH: usize = 10_000;
/// `PFADD`s sent together before waiting for their replies.
pub const PIPELINE_COMMANDS: usize = 8;

/// How day keys are spelled: the one place the key layout is written down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyShape {
    /// `PREFIX:METRIC:YYYY-MM-DD`, on a single server.
    Plain,
    /// `{PREFIX:METRIC}:YYYY-MM-DD`, on a cluster: a metric's days share a slot.
    HashTagged,
}

impl KeyShape {
    /// The key of one day's sketch, e.g. `milestone:mau:2026-11-26` or
    /// `{milestone:mau}:2026-11-26`.
    pub fn day_key(self, prefix: &str, metric: &MetricName, day: NaiveDate) -> String {
        let day = day.format("%Y-%m-%d");
        match self {
            KeyShape::Plain => format!("{prefix}:{metric}:{day}"),
            KeyShape::HashTagged => format!("{{{prefix}:{metric}}}:{day}"),
        }
    }
}

/// The Redis sketch store; clones share one connection (per node, on a cluster).
#[derive(Clone)]
pub struct RedisStore {
    /// Reconnects on its own; cheap to clone per call.
    conn: RedisConnection,
    /// The first part of every key (`REDIS_PREFIX`).
    prefix: Arc<str>,
    /// Plain on a single server, hash-tagged on a cluster.
    shape: KeyShape,
}

impl RedisStore {
    /// Connects to one server at `url` (`redis://…`, `rediss://…`, `unix://…`) and
    /// checks it answers.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, SketchError> {
        Self::on(RedisConnection::single(url).await?, prefix).await
    }

    /// Connects to the cluster that `nodes` belong to and checks it answers.
    pub async fn connect_cluster(nodes: &[String], prefix: &str) -> Result<Self, SketchError> {
        Self::on(RedisConnection::cluster(nodes).await?, prefix).await
    }

    async fn on(mut conn: RedisConnection, prefix: &str) -> Result<Self, SketchError> {
        redis::cmd("PING").query_async::<()>(&mut conn).await?;
        let shape = if conn.is_cluster() {
            KeyShape::HashTagged
        } else {
            KeyShape::Plain
        };
        Ok(RedisStore {
            conn,
            prefix: prefix.into(),
            shape,
        })
    }

    /// The key of one day's sketch, in this store's shape.
    pub fn key(&self, metric: &MetricName, day: NaiveDate) -> String {
        self.shape.day_key(&self.prefix, metric, day)
    }

    /// The connection, for tools that read or clean up keys beside the store.
    pub fn connection(&self) -> RedisConnection {
        self.conn.clone()
    }
}

impl SketchStore for RedisStore {
    #[tracing::instrument(skip_all, fields(%metric, %day, ids = ids.len()))]
    async fn add(
        &self,
        metric: &MetricName,
        day: NaiveDate,
        ids: &[impl AsRef<[u8]> + Sync],
    ) -> Result<usize, SketchError> {
        let key = self.key(metric, day);
        let mut conn = self.conn.clone();
        for group in ids.chunks(PFADD_BATCH * PIPELINE_COMMANDS) {
            let mut pipe = redis::pipe();
            for batch in group.chunks(PFADD_BATCH) {
                let cmd = pipe.cmd("PFADD").arg(&key);
                for id in batch {
                    cmd.arg(id.as_ref());
                }
                cmd.ignore();
            }
            pipe.query_async::<()>(&mut conn).await?;
        }
        Ok(ids.len())
    }

    #[tracing::instrument(skip_all, fields(metric = %metric.name, %at))]
    async fn count(&self, metric: &Metric, at: NaiveDate) -> Result<Estimate, SketchError> {
        let keys: Vec<String> = metric
            .window(at)
            .into_iter()
            .map(|day| self.key(&metric.name, day))
            .collect();
        let value: u64 = redis::cmd("PFCOUNT")
            .arg(&keys)
            .query_async(&mut self.conn.clone())
            .await?;
        Ok(Estimate::new(value))
    }

    #[tracing::instrument(skip_all, fields(%metric, %day))]
    async fn day_sketch(
        &self,
        metric: &MetricName,
        day: NaiveDate,
    ) -> Result<Option<Hll>, SketchError> {
        let bytes: Option<Vec<u8>> = redis::cmd("GET")
            .arg(self.key(metric, day))
            .query_async(&mut self.conn.clone())
            .await?;
        bytes
            .map(|b| Hll::from_redis_bytes(&b))
            .transpose()
            .map_err(|source| SketchError::Corrupt {
                metric: metric.clone(),
                day,
                source,
            })
    }

    /// `SET`s the sketch under a temporary key and `PFMERGE`s it into the day's key,
    /// atomically, so Redis itself does the union. The temporary key extends the
    /// day's key, so on a cluster it carries the same hash tag and slot.
    #[tracing::instrument(skip_all, fields(%metric, %day))]
    async fn put_day_sketch(
        &self,
        metric: &MetricName,
        day: NaiveDate,
        sketch: Hll,
    ) -> Result<(), SketchError> {
        let key = self.key(metric, day);
        let scratch = format!("{key}:import:{:016x}", rand::random::<u64>());
        redis::pipe()
            .atomic()
            .cmd("SET")
            .arg(&scratch)
            .arg(sketch.to_redis_bytes())
            .ignore()
            .cmd("PFMERGE")
            .arg(&key)
            .arg(&scratch)
            .ignore()
            .cmd("DEL")
            .arg(&scratch)
            .ignore()
            .query_async::<()>(&mut self.conn.clone())
            .await?;
        Ok(())
    }

    /// Every add is already in Redis once acknowledged.
    async fn flush(&self) -> Result<(), SketchError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_server_key_is_prefix_metric_and_iso_day() {
        let mau = MetricName::parse("mau").unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        assert_eq!(
            KeyShape::Plain.day_key("milestone", &mau, day),
            "milestone:mau:2026-01-05"
        );
    }

    #[test]
    fn a_cluster_key_puts_prefix_and_metric_in_the_hash_tag() {
        let mau = MetricName::parse("mau").unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        assert_eq!(
            KeyShape::HashTagged.day_key("milestone", &mau, day),
            "{milestone:mau}:2026-01-05"
        );
    }
}
