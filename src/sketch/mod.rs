//! HyperLogLog sketches and the sketch store.
pub mod hll;
