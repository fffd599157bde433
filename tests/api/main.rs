//! End-to-end and integration tests: one binary, shared helpers.

mod helpers;
mod membership;
