//! Integration tests, one binary. Each module is one area; the lead merges
//! the others in here.

mod hll_redis;
mod ingest;
mod sketch_store;
