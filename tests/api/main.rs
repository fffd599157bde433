//! End-to-end and integration tests: one binary, shared helpers.

mod admin;
mod cli;
mod helpers;
mod membership;
