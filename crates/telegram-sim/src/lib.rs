//! A Telegram Bot API simulator for end-to-end tests, benchmarks and the demo.
//!
//! # Layout
//! - [`sim`]: [`TelegramSim`], the handle tests hold: start, build chats and
//!   users, set limits and faults, read back delivered messages and stats.
//! - `scenario`: what users do to the bot (add it, block it, write, press a
//!   button, migrate a group), pushed as updates to its `getUpdates` queue.
//! - `server`: starting the simulator, the accept loop and per-call pipeline;
//!   `control` is the JSON API under `/_sim/…` for a simulator in another
//!   process.
//! - `methods`: the Bot API methods; `params` reads JSON, multipart and form
//!   bodies; `json` shapes Telegram objects as teloxide expects them.
//! - [`limits`], [`faults`], [`html`]: flood limits, injected faults and
//!   HTML checks, pure logic with unit tests.
//! - `shared` is what the server and every handle share: `state`, the world
//!   behind one lock, and the bell rung on each delivery; [`model`] the public
//!   records.
//!
//! Imports run one way: `server` → `control` → `sim` → `shared` → `state`, and
//! `server` → `methods` → `shared`.

#![warn(missing_docs)]

mod control;
pub mod error;
pub mod faults;
pub mod html;
mod json;
pub mod limits;
mod methods;
pub mod model;
mod params;
mod scenario;
mod serde_ms;
mod server;
mod shared;
pub mod sim;
mod state;

pub use error::ApiError;
pub use faults::{Fault, Faults};
pub use limits::{Limits, Rate};
pub use model::{
    BotUser, CallbackAnswer, ChatId, ChatKind, ChatState, CommandSet, MemberStatus, Revision,
    SentKind, SentMessage, Stats, UploadedFile, UserId,
};
pub use sim::{SimConfig, TelegramSim};
