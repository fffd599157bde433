//! End-to-end and integration tests: one binary, shared helpers.

mod helpers;

mod admin;
mod broadcast;
mod cli;
mod crash;
mod demo;
mod hll_redis;
mod ingest;
mod membership;
mod milestones;
mod pictures;
mod shutdown;
mod sketch_store;
