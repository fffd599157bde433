//! End-to-end and integration tests: one binary, shared helpers.

mod cli;
mod helpers;
mod membership;
