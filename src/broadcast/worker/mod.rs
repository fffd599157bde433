//! The sender: claims due deliveries, spaces them at Telegram's pace, keeps enough
//! requests in flight for the pace to hold despite latency, and records each outcome.
//!
//! [`Worker::run`] is the loop `App` runs (it never gives up before shutdown, see
//! `supervise`); [`Worker::try_execute_step`] does one delivery and returns, so tests
//! can drive the queue without timing.
//!
//! # Layout
//! `impl Worker` is split by idea, one file each, in the order a delivery meets them:
//! - `supervise`: one life of the sender (lease, claim loop, lease renewal and
//!   progress side by side), restarted after any failure until shutdown; recovery
//!   of what was left in flight.
//! - `lease_loop`: holding the sender lease: waiting for it, renewing it.
//! - `claim`: when and how many rows to claim, their content, a task for each.
//! - `execute`: one claimed delivery: may it still go, its turn at the pace
//!   (`pace::turn`), the Bot API call its step asks for.
//! - `decide`: Telegram's answer turned into the row's next state.
//! - `record`: that state written, retried until it is.
//!
//! This file holds the type, its construction and handles, the drivable step, and
//! the small helpers the others share (time as UTC milliseconds, naps, backoff).

mod claim;
mod decide;
mod execute;
mod lease_loop;
mod record;
mod supervise;

use super::BroadcastHandle;
use super::lease::Lease;
use super::pace::{PaceRules, Pacer};
use super::queue::Finish;
use super::status::SenderStatus;
use crate::config::BroadcastConfig;
use crate::storage::{Db, Millis};
use crate::vocab::UserId;
use chrono::Utc;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use teloxide::prelude::*;
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// What one step of the worker did.
#[derive(Debug, Clone, PartialEq)]
pub enum StepOutcome {
    /// A delivery was attempted; this is how it ended (or went back to the queue).
    Executed { delivery_id: i64, finish: Finish },
    /// Nothing is due.
    EmptyQueue,
}

/// The broadcast sender of one bot.
#[derive(Clone)]
pub struct Worker {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    /// A client of its own, with the broadcast's request timeout.
    bot: Bot,
    config: BroadcastConfig,
    /// The bot's one schedule, shared with the progress messages.
    pacer: Arc<Mutex<Pacer>>,
    /// Requests (and claimed rows) in flight; a claimed row holds a permit until
    /// its outcome is written, so at most this many rows are ever `in_flight`.
    in_flight: Arc<Semaphore>,
    wake: Arc<Notify>,
    lease: Lease,
    admin_ids: Vec<UserId>,
    /// What the sender is doing, shown by `/health` and `/milestone status`.
    status: SenderStatus,
    /// Outcomes that could not be written yet (their writes are being retried): the
    /// sender does not read as running while any is stuck.
    stuck_outcomes: std::sync::atomic::AtomicUsize,
    /// Milestone cards, when the app gives the worker a card maker.
    cards: Option<super::card::Cards>,
    /// The resend button under reports of unknown deliveries, when the app gives
    /// the worker one (the Telegram side's).
    resend: Option<Arc<dyn super::progress::ResendOffer>>,
}

impl Worker {
    /// A worker for the bot whose token starts with `bot_id`; `bot` should have a
    /// client whose timeout is `config.request_timeout`.
    pub fn new(
        db: Db,
        bot: Bot,
        config: BroadcastConfig,
        admin_ids: Vec<UserId>,
        bot_id: &str,
    ) -> Self {
        let rules = PaceRules::new(
            config.pace(),
            config.per_chat_interval,
            config.group_per_minute,
        );
        let lease = Lease::new(db.clone(), bot_id, config.lease_ttl);
        Self {
            inner: Arc::new(Inner {
                in_flight: Arc::new(Semaphore::new(config.in_flight)),
                pacer: Arc::new(Mutex::new(Pacer::new(rules))),
                wake: Arc::new(Notify::new()),
                db,
                bot,
                config,
                lease,
                admin_ids,
                status: SenderStatus::new(),
                stuck_outcomes: std::sync::atomic::AtomicUsize::new(0),
                cards: None,
                resend: None,
            }),
        }
    }

    /// Whether the sender runs, and if not, why.
    pub fn status(&self) -> SenderStatus {
        self.inner.status.clone()
    }

    /// Leads milestone announcements with their card (before the worker is shared).
    pub fn with_cards(mut self, cards: super::card::Cards) -> Self {
        Arc::get_mut(&mut self.inner)
            .expect("cards are given before the worker is cloned")
            .cards = Some(cards);
        self
    }

    /// Offers a resend button under reports of unknown deliveries (before the
    /// worker is shared).
    pub fn with_resend_offer(mut self, resend: Arc<dyn super::progress::ResendOffer>) -> Self {
        Arc::get_mut(&mut self.inner)
            .expect("the resend offer is given before the worker is cloned")
            .resend = Some(resend);
        self
    }

    /// A handle to wake the worker when work is queued.
    pub fn handle(&self) -> BroadcastHandle {
        BroadcastHandle {
            wake: self.inner.wake.clone(),
            status: self.inner.status.clone(),
        }
    }

    /// Claims, sends and records one due delivery, honouring the pace; returns at
    /// once with [`StepOutcome::EmptyQueue`] when nothing is due. For tests and
    /// tools: it does not take the sender lease.
    pub async fn try_execute_step(&self) -> anyhow::Result<StepOutcome> {
        let Some(job) = self.claim(1).await?.pop() else {
            return Ok(StepOutcome::EmptyQueue);
        };
        let content =
            self.contents(std::slice::from_ref(&job)).await?[&job.announcement_id].clone();
        let delivery_id = job.id;
        let permit = self
            .inner
            .in_flight
            .clone()
            .acquire_owned()
            .await
            .expect("never closed");
        let finish = self
            .process(job, content, CancellationToken::new(), permit, None)
            .await;
        Ok(StepOutcome::Executed {
            delivery_id,
            finish,
        })
    }
}

/// An `Instant` as UTC milliseconds, for `next_attempt_at`.
fn at_ms(at: Instant) -> i64 {
    let ahead = at.saturating_duration_since(Instant::now());
    Millis::from(Utc::now()) + ahead.as_millis() as i64
}

/// The wait before retry number `failures` of something that keeps failing (a
/// claim, a restart): one second, doubling, at most a minute.
fn restart_backoff(failures: u32) -> Duration {
    Duration::from_secs(1 << failures.saturating_sub(1).min(6)).min(Duration::from_secs(60))
}

async fn nap(stop: &CancellationToken, d: Duration) {
    tokio::select! {
        () = stop.cancelled() => {}
        () = tokio::time::sleep(d) => {}
    }
}
