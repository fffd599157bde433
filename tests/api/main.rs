//! End-to-end and integration tests: one binary, shared helpers.

mod broadcast;
mod helpers;
mod membership;
