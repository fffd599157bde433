//! End-to-end and integration tests: one binary, shared helpers.

mod broadcast;
mod crash;
mod helpers;
mod membership;
