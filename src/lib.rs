//! milestone-bot announces milestones ("200,000,000 monthly active users") to the
//! Telegram channels and groups that follow it.
//!
//! # Layout
//! - [`config`]: typed settings from the environment, one struct per area; settings
//!   are handed down (no module below `config` imports it).
//! - [`app`]: builds every part from a `Config` and runs them under one shutdown.
//! - [`storage`]: the SQL database (SQLite or PostgreSQL), migrations, one module per
//!   table family (`chats`, `announcements`, `deliveries`, `sketches`, `milestones`,
//!   …), each the only one with SQL on its tables and the owner of their state
//!   transitions.
//! - [`broadcast`]: the delivery queue, pace, worker, error mapping, progress and
//!   admin operations on broadcasts.
//! - [`telegram`]: the teloxide handler tree: membership tracking, public commands,
//!   the `/milestone` admin family (`telegram::admin`: the gate in the tree,
//!   subcommands as a `BotCommands` enum, actions, confirmations) and admin
//!   notifications.
//! - [`sketch`]: HyperLogLog sketches (byte-compatible with Redis) and the sketch store
//!   (its SQL is `storage::sketches`).
//! - [`milestones`]: rules, the pure detector, templates, and the watcher that reads
//!   each metric, records milestones and writes their announcements.
//! - [`http`]: the bot's HTTP server (health, ingest).
//! - [`render`]: pictures: the animated milestone card and the admins' growth chart.
//! - [`cli`]: the subcommands of the `milestone-bot` binary, `demo` included (the
//!   real bot against the Bot API simulator).
//! - [`telemetry`]: logging, and the one place secrets are scrubbed from output.
//! - [`privacy`]: pseudonyms (a keyed hash) for people in logs and the audit.
//! - [`text`]: Telegram HTML (escaping, checking, length in UTF-16, splitting a long
//!   reply) and number formatting, shared by milestones, broadcast, telegram and
//!   render.
//! - [`vocab`]: the words every layer shares: `ChatId`, `UserId`, `AnnouncementId`,
//!   `RuleId`, `ChatKind`, `MetricName`, `Part`, `MediaKind`, used for every id and
//!   metric name that travels between modules. The lowest module: it imports no
//!   other.
//!
//! No two modules import each other, directly or round a cycle, at any level:
//! `.ci/modcycles.py` checks it in CI.

pub mod app;
pub mod broadcast;
pub mod cli;
pub mod config;
pub mod http;
pub mod milestones;
pub mod privacy;
pub mod render;
pub mod sketch;
pub mod storage;
pub mod telegram;
pub mod telemetry;
pub mod text;
pub mod vocab;
