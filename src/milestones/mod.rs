//! Milestones: rules, detection, templates, and the watcher that records them.
//!
//! Pure logic (counts are read and printed by [`crate::text::number`]): [`rules`]
//! says which counts are milestones, [`live`] which of them may still fire,
//! [`detector`] decides when one fires, [`template`] renders the announcements,
//! [`country`] compares a count with populations, [`release`]'s `release_for`
//! picks an announcement's state.
//!
//! With the database: [`state`] (what is recorded about a metric, loaded in one
//! place), [`rules_store`] (rules admins add and remove; what they may type and why
//! a rule operation fails is [`rule_check`]), [`settings`] (the watcher's settings,
//! handed down by `config`; release mode, approval timeout, minimum gap per
//! metric), [`texts`] (templates and media per metric or milestone, preview),
//! [`counter`] (where counts come from, and the metrics watched), [`watcher`]
//! (reads, decides and records every `WATCH_INTERVAL`; the transaction itself and
//! its outcome are `apply.rs`),
//! [`release`] (drafts, approval), [`manual`] (announcements admins release with
//! Send), [`baseline`] (importing history quietly) and [`status`] (what
//! `milestone-bot status` shows).
//!
//! Imports run one way: `watcher` → `apply` → `status`/`state` →
//! `rule_check`/`counter`; `rules_store` → `apply`; nothing here imports `config`.

mod apply;
pub mod baseline;
pub mod counter;
pub mod country;
pub mod detector;
pub mod live;
pub mod manual;
pub mod release;
pub mod rule_check;
pub mod rules;
pub mod rules_store;
pub mod settings;
pub mod state;
pub mod status;
pub mod template;
pub mod texts;
pub mod watcher;

pub use apply::dedupe_key;
