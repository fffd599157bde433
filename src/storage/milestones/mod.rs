//! The milestone tables, one module each: per-metric state and settings
//! ([`metrics`]), [`rules`], the watcher's [`readings`] (and [`readings::Reading`],
//! the row every layer above shares), the milestones [`reached`], the [`drafts`]
//! and the [`templates`]. Plain SQL; validation lives in `crate::milestones`, and
//! nothing here imports it.
//!
//! Counts are `u64` in the bot and `BIGINT` (i64) in the databases; [`to_db`] and
//! [`from_db`] convert at this edge and refuse what does not fit. Metric names are
//! bound as their text and read back through [`metric_from_db`], validated again:
//! a stored name that is no metric name is corruption, not a metric.

pub mod metrics;
pub mod reached;
pub mod readings;
pub mod rules;
pub mod templates;

use super::StorageError;
use crate::vocab::MetricName;

/// A count as stored. Counts above `i64::MAX` (9.2 quintillion) cannot be stored.
pub fn to_db(n: u64) -> Result<i64, StorageError> {
    i64::try_from(n).map_err(|_| StorageError::Corrupt(format!("count {n} is above i64")))
}

/// A stored count back; a negative one is corruption.
pub fn from_db(n: i64) -> Result<u64, StorageError> {
    u64::try_from(n).map_err(|_| StorageError::Corrupt(format!("negative count {n}")))
}

/// A stored metric name back, validated as on the way in.
pub fn metric_from_db(raw: String) -> Result<MetricName, StorageError> {
    MetricName::parse(&raw).map_err(|e| StorageError::Corrupt(format!("metric name {raw:?}: {e}")))
}
