//! The sketch store's contract: the [`SketchStore`] trait every backend implements,
//! and [`SketchError`], why one could not do what was asked.

use super::Estimate;
use super::hll::{Hll, HllError};
use crate::storage::StorageError;
use crate::vocab::{Metric, MetricName};
use chrono::NaiveDate;
use std::future::Future;

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
