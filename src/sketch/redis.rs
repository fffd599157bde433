//! The Redis backend: one Redis HyperLogLog per metric per day, under the key
//! `PREFIX:METRIC:YYYY-MM-DD`, so a service that already `PFADD`s such keys can point
//! the bot at them and the bot reads them unchanged. Works with Redis 7 and Valkey.

use super::Estimate;
use super::hll::Hll;
use super::metric::{Metric, MetricName};
use super::store::{SketchError, SketchStore};
use chrono::NaiveDate;
use redis::aio::ConnectionManager;
use std::sync::Arc;

/// Ids per `PFADD`: large enough that the per-command cost vanishes, small enough
/// that one command does not hold Redis for long (about a millisecond).
pub const PFADD_BATCH: usize = 10_000;
/// `PFADD`s sent together before waiting for their replies.
pub const PIPELINE_COMMANDS: usize = 8;

/// The Redis sketch store; clones share one reconnecting connection.
#[derive(Clone)]
pub struct RedisStore {
    /// Reconnects on its own after Redis restarts; cheap to clone per call.
    conn: ConnectionManager,
    /// The first part of every key (`REDIS_PREFIX`).
    prefix: Arc<str>,
}

impl RedisStore {
    /// Connects to `url` (`redis://…`, `rediss://…`, `unix://…`) and checks Redis answers.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, SketchError> {
        let client = redis::Client::open(url)?;
        let mut conn = ConnectionManager::new(client).await?;
        redis::cmd("PING").query_async::<()>(&mut conn).await?;
        Ok(RedisStore {
            conn,
            prefix: prefix.into(),
        })
    }

    /// The key of one day's sketch: `milestone:mau:2026-11-26`.
    pub fn key(&self, metric: &MetricName, day: NaiveDate) -> String {
        day_key(&self.prefix, metric, day)
    }
}

/// `PREFIX:METRIC:YYYY-MM-DD`, the one place the key layout is written down.
pub fn day_key(prefix: &str, metric: &MetricName, day: NaiveDate) -> String {
    format!("{prefix}:{metric}:{}", day.format("%Y-%m-%d"))
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
    /// atomically, so Redis itself does the union.
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
    fn a_day_key_is_prefix_metric_and_iso_day() {
        let mau = MetricName::parse("mau").unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        assert_eq!(day_key("milestone", &mau, day), "milestone:mau:2026-01-05");
    }
}
