//! HyperLogLog sketches and the sketch store.
//!
//! Layout: [`hll`] is the Redis-compatible HyperLogLog (what is counted, a metric's
//! name and window of days, is [`crate::vocab::metric`]); [`estimate`] is a count with its standard
//! error; [`store`] is the [`SketchStore`] trait every backend implements, and
//! [`SketchStoreKind`], the one chosen by configuration. The backends: [`embedded`]
//! keeps sketch blobs in the SQL database with hot days cached in memory (the cache
//! itself is `cache.rs`), [`redis`] keeps them as Redis keys `PREFIX:METRIC:DAY` on
//! one server, or `{PREFIX:METRIC}:DAY` on a Redis Cluster.
//!
//! Ids are hashed into registers and forgotten: no backend stores, logs or reports
//! them.

mod cache;
pub mod embedded;
pub mod estimate;
pub mod hll;
pub mod redis;
pub mod store;

pub use crate::vocab::{Metric, MetricName, Metrics};
pub use embedded::EmbeddedStore;
pub use estimate::Estimate;
pub use hll::Hll;
pub use redis::RedisStore;
pub use store::{SketchError, SketchStore, SketchStoreKind};
