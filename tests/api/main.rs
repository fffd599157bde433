//! End-to-end and integration tests: one binary, shared helpers.

mod helpers;

mod admin;
mod baseline;
mod broadcast;
mod buttons;
mod cli;
mod crash;
mod demo;
mod hll_redis;
mod ingest;
mod instances;
mod membership;
mod milestones;
mod operations;
mod queueing;
mod redis_cluster;
mod shutdown;
mod sketch_store;
mod status;
mod updates;
