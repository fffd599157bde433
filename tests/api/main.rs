//! End-to-end and integration tests: one binary, shared helpers.

mod broadcast;
mod crash;
mod helpers;

mod admin;
mod cli;
mod demo;
mod hll_redis;
mod ingest;
mod membership;
mod milestones;
mod sketch_store;
