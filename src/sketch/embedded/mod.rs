//! The embedded backend: day sketches as Redis-format blobs in the bot's SQL database
//! (table `sketches`), with hot days kept in memory.
//!
//! Adds go to memory only; a background task flushes the changed days every
//! `SKETCH_FLUSH_INTERVAL`, and the app flushes once more on shutdown. So a clean
//! shutdown loses nothing acknowledged, and a crash loses at most the adds of the
//! last interval.
//!
//! A flush reads, merges and writes each day in one transaction, so two processes
//! writing the same day (the bot and `milestone-bot record`) keep each other's ids.
//! Each write moves the row's `updated_at` strictly forward, and a count first asks
//! for the window's `updated_at`s: a day is re-read only when someone else wrote it.
//! A repeated count asks only for a fingerprint of the window's rows (how many, and
//! the sum of their `updated_at`, which any write changes) and lists the days again
//! only when it changed; the days it must re-read come in one query.
//!
//! The SQL itself is `storage::sketches`; this module decides what to ask and when,
//! and what the bytes mean.

mod reader;
mod wal;

use super::Estimate;
use super::cache::{Cache, Key, WindowKey};
use super::hll::Hll;
use super::store::{SketchError, SketchStore};
use crate::storage::{Db, Millis, sketches};
use crate::vocab::{Metric, MetricName};
use chrono::{NaiveDate, Utc};
use reader::Reader;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How many day sketches (16 KiB each in memory) stay cached: 1024 is 16 MiB, a
/// year of days for a couple of metrics, or 30-day windows for thirty.
pub const CACHE_SKETCHES: usize = 1024;

/// The embedded sketch store; clones share the cache.
#[derive(Clone)]
pub struct EmbeddedStore {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    /// Held only for memory work, never across an await.
    cache: Mutex<Cache>,
    /// One flush at a time per process (the background one or an explicit one), so
    /// a key taken by one flush is not written concurrently by another.
    flushing: tokio::sync::Mutex<()>,
    /// The count's queries, on a connection of their own.
    reader: Reader,
}

impl EmbeddedStore {
    pub fn new(db: Db) -> Self {
        EmbeddedStore {
            inner: Arc::new(Inner {
                reader: Reader::new(db.clone()),
                db,
                cache: Mutex::new(Cache::new(CACHE_SKETCHES)),
                flushing: tokio::sync::Mutex::new(()),
            }),
        }
    }

    fn cache(&self) -> MutexGuard<'_, Cache> {
        // A panic while holding the lock leaves plain maps behind; keep using them.
        self.inner.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Flushes every `interval` until `stop` is cancelled. Errors are logged and the
    /// days stay dirty for the next attempt.
    pub async fn run_flusher(self, interval: Duration, stop: CancellationToken) {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = ticker.tick() => {
                    if let Err(err) = self.flush().await {
                        tracing::warn!(error = %err, "sketch flush failed; retrying next interval");
                    }
                }
            }
        }
    }

    /// The union of the stored and cached sketches of `days`; `None` if none exists.
    async fn union(
        &self,
        metric: &MetricName,
        days: &[NaiveDate],
    ) -> Result<Option<Hll>, SketchError> {
        let (Some(first), Some(last)) = (days.first(), days.last()) else {
            return Ok(None);
        };
        let window: WindowKey = (metric.clone(), *first, *last);
        let keys: Vec<Key> = days.iter().map(|d| (metric.clone(), *d)).collect();
        let reader = &self.inner.reader;
        let fingerprint = reader.fingerprint(&window).await?;
        let remembered = self.cache().window_versions(&window, fingerprint);
        let nothing_cached = remembered.is_none() && !self.cache().holds_any(&keys);
        let mut union = Hll::new();
        let mut found = 0;
        let versions = match remembered {
            Some(versions) => versions,
            // Every stored day must be read anyway, and the rows carry their versions.
            None if nothing_cached => {
                let loaded = reader.load(metric, days).await?;
                let versions = loaded.iter().map(|(day, _, v)| (*day, *v)).collect();
                found += self.keep_loaded(metric, &loaded, &mut union);
                versions
            }
            None => reader.versions(&window).await?,
        };
        let stale: Vec<NaiveDate> = {
            let mut cache = self.cache();
            keys.iter()
                .filter(|key| {
                    let version = versions.get(&key.1).copied().unwrap_or(0);
                    !cache.is_current(key, version)
                })
                .map(|(_, day)| *day)
                .collect()
        };
        let loaded = reader.load(metric, &stale).await?;
        found += self.keep_loaded(metric, &loaded, &mut union);
        let mut cache = self.cache();
        cache.remember_window_versions(&window, fingerprint, versions);
        found += cache.union_into(&keys, &mut union);
        Ok((found > 0).then_some(union))
    }

    /// Merges days read from the database into `union` and the cache; how many.
    fn keep_loaded(
        &self,
        metric: &MetricName,
        loaded: &[(NaiveDate, Hll, i64)],
        union: &mut Hll,
    ) -> usize {
        let mut cache = self.cache();
        for (day, hll, version) in loaded {
            union.merge(hll);
            cache.stored(&(metric.clone(), *day), hll, *version);
        }
        loaded.len()
    }

    /// Writes the batch in one transaction, each day merged with what is stored;
    /// returns each day's merged sketch and its new version.
    #[tracing::instrument(skip_all, fields(days = batch.len()))]
    async fn write_batch(&self, batch: &[(Key, Hll)]) -> Result<Vec<(Hll, i64)>, SketchError> {
        let backend = self.inner.db.backend();
        let mut tx = self.inner.db.pool().begin().await?;
        let mut written = Vec::with_capacity(batch.len());
        for ((metric, day), ours) in batch {
            let now = Millis::from(Utc::now());
            if sketches::insert_new(&mut tx, metric, *day, ours.to_redis_bytes(), now).await? {
                written.push((ours.clone(), now));
                continue;
            }
            let (bytes, stored_version) =
                sketches::lock_for_merge(&mut tx, backend, metric, *day).await?;
            let mut merged = ours.clone();
            match Hll::from_redis_bytes(&bytes) {
                Ok(stored) => merged.merge(&stored),
                // Unreadable bytes count nothing; keeping them would block this day
                // forever, so they are replaced and the loss is said out loud.
                Err(err) => tracing::error!(%metric, %day, error = %err,
                    "the stored sketch was unreadable and is replaced by this process's"),
            }
            let version = now.max(stored_version + 1);
            sketches::update_merged(&mut tx, metric, *day, merged.to_redis_bytes(), version)
                .await?;
            written.push((merged, version));
        }
        tx.commit().await?;
        Ok(written)
    }
}

impl SketchStore for EmbeddedStore {
    async fn add(
        &self,
        metric: &MetricName,
        day: NaiveDate,
        ids: &[impl AsRef<[u8]> + Sync],
    ) -> Result<usize, SketchError> {
        self.cache()
            .add(&(metric.clone(), day), ids.iter().map(AsRef::as_ref));
        Ok(ids.len())
    }

    async fn count(&self, metric: &Metric, at: NaiveDate) -> Result<Estimate, SketchError> {
        let union = self.union(&metric.name, &metric.window(at)).await?;
        Ok(Estimate::new(union.map_or(0, |u| u.count())))
    }

    async fn day_sketch(
        &self,
        metric: &MetricName,
        day: NaiveDate,
    ) -> Result<Option<Hll>, SketchError> {
        self.union(metric, &[day]).await
    }

    async fn put_day_sketch(
        &self,
        metric: &MetricName,
        day: NaiveDate,
        sketch: Hll,
    ) -> Result<(), SketchError> {
        self.cache().merge(&(metric.clone(), day), &sketch);
        Ok(())
    }

    async fn flush(&self) -> Result<(), SketchError> {
        let _one_at_a_time = self.inner.flushing.lock().await;
        let batch = self.cache().take_dirty();
        if batch.is_empty() {
            return Ok(());
        }
        match self.write_batch(&batch).await {
            Ok(written) => {
                let mut cache = self.cache();
                for ((key, _), (merged, version)) in batch.iter().zip(&written) {
                    cache.stored(key, merged, *version);
                }
                tracing::debug!(days = batch.len(), "sketches flushed");
                Ok(())
            }
            Err(err) => {
                self.cache().restore_dirty(batch);
                Err(err)
            }
        }
    }
}
