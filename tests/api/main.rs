//! End-to-end and integration tests: one binary, shared helpers.

mod clock;
mod helpers;

mod admin;
mod baseline;
mod broadcast;
mod broadcast_eta;
mod broadcast_pace;
mod broadcast_sender;
mod broadcast_unknown;
mod broadcast_withdraw;
mod buttons;
mod cleanup;
mod cli;
mod crash;
mod demo;
mod hll_redis;
mod ingest;
mod instances;
mod lifecycle;
mod membership;
mod milestones;
mod operations;
mod pictures;
mod privacy;
mod queueing;
mod redis_cluster;
mod shutdown;
mod sketch_store;
mod status;
mod updates;
