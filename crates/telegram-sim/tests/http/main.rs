//! Integration tests over real HTTP: one binary, shared helpers.

mod chats;
mod control;
mod faults;
mod helpers;
mod limits;
mod messages;
mod polling;
mod protocol;
mod teloxide;
mod webhook;
