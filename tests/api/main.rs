//! End-to-end and integration tests: one binary, shared helpers.

mod cli;
mod helpers;
mod ingest;
mod membership;
mod milestones;
mod sketch_store;
