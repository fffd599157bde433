//! HyperLogLog sketches and the sketch store.
//!
//! Layout: [`hll`] is the Redis-compatible HyperLogLog (what is counted, a metric's
//! name and window of days, is [`crate::vocab::metric`]); [`estimate`] is a count with
//! its standard error; [`store`] is the [`SketchStore`] trait every backend
//! implements and its [`SketchError`]. The backends: [`embedded`] keeps sketch blobs
//! in the SQL database with hot days cached in memory (the cache itself is
//! `cache.rs`), [`redis`] keeps them as Redis keys `PREFIX:METRIC:DAY` on one server,
//! or `{PREFIX:METRIC}:DAY` on a Redis Cluster. [`settings`] says which backend
//! (handed down by `config`, never read from it), and [`kind`]'s
//! [`SketchStoreKind`] is the one opened from it. Imports run one way: `kind` →
//! backends → `store`.
//!
//! Ids are hashed into registers and forgotten: no backend stores, logs or reports
//! them.

mod cache;
pub mod embedded;
pub mod estimate;
pub mod hll;
pub mod kind;
pub mod redis;
pub mod settings;
pub mod store;

pub use crate::vocab::{Metric, MetricName, Metrics};
pub use embedded::EmbeddedStore;
pub use estimate::Estimate;
pub use hll::Hll;
pub use kind::SketchStoreKind;
pub use redis::RedisStore;
pub use settings::{RedisServers, SketchBackend};
pub use store::{SketchError, SketchStore};
