//! End-to-end and integration tests: one binary, shared helpers.

mod helpers;

mod admin;
mod broadcast;
mod broadcast_eta;
mod broadcast_pace;
mod broadcast_sender;
mod broadcast_unknown;
mod broadcast_withdraw;
mod cli;
mod crash;
mod demo;
mod hll_redis;
mod ingest;
mod membership;
mod milestones;
mod shutdown;
mod sketch_store;
