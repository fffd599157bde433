//! The sender: claims due deliveries, spaces them at Telegram's pace, keeps enough
//! requests in flight for the pace to hold despite latency, and records each outcome.
//!
//! [`Worker::run`] is the loop `App` runs (it never gives up before shutdown, see
//! `supervise`); [`Worker::try_execute_step`] does one delivery and returns, so tests
//! can drive the queue without timing.

mod execute;
mod lease_loop;
mod record;
mod supervise;

use super::BroadcastHandle;
use super::lease::Lease;
use super::pace::{PaceRules, Pacer};
use super::progress::Progress;
use super::queue::{self, Finish, Job, Step};
use super::send::Content;
use super::status::{SenderState, SenderStatus};
use crate::config::BroadcastConfig;
use crate::storage::{Db, Millis};
use anyhow::Context;
use chrono::Utc;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use teloxide::prelude::*;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How far ahead of its slot a delivery is claimed: long enough to batch claims,
/// short enough that few rows sit in flight before their request.
const LOOKAHEAD: Duration = Duration::from_millis(100);

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
    admin_ids: Vec<i64>,
    /// What the sender is doing, shown by `/health` and `/milestone status`.
    status: SenderStatus,
    /// Outcomes that could not be written yet (their writes are being retried): the
    /// sender does not read as running while any is stuck.
    stuck_outcomes: std::sync::atomic::AtomicUsize,
    /// Milestone cards, when the app gives the worker a card maker.
    cards: Option<super::card::Cards>,
}

impl Worker {
    /// A worker for the bot whose token starts with `bot_id`; `bot` should have a
    /// client whose timeout is `config.request_timeout`.
    pub fn new(
        db: Db,
        bot: Bot,
        config: BroadcastConfig,
        admin_ids: Vec<i64>,
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

    /// A handle to wake the worker when work is queued.
    pub fn handle(&self) -> BroadcastHandle {
        BroadcastHandle {
            wake: self.inner.wake.clone(),
            status: self.inner.status.clone(),
        }
    }

    async fn claim_loop(&self, stop: &CancellationToken) -> anyhow::Result<()> {
        let inner = &self.inner;
        let rules = inner.pacer.lock().expect("not poisoned").rules();
        let batch = rules.slots_in(LOOKAHEAD);
        let mut recovered = 0;
        let mut claim_failures = 0;
        while !stop.is_cancelled() {
            if !inner.lease.is_valid() {
                nap(stop, Duration::from_millis(200)).await;
                continue;
            }
            // Whoever (re)takes the lease recovers first what was left in flight,
            // by a crashed process or by whoever held the lease meanwhile.
            let generation = inner.lease.generation();
            if generation != recovered {
                self.recover().await?;
                // Cards of broadcasts already sending (a restart) before their rows.
                self.prepare_cards().await;
                recovered = generation;
            }
            // Claim only shortly before the next slot, so rows are not in flight
            // long before their request (a 429 hold lands here too).
            let next = inner
                .pacer
                .lock()
                .expect("not poisoned")
                .next_global(Instant::now());
            if let Some(wait) = next.checked_duration_since(Instant::now() + LOOKAHEAD / 2) {
                nap(stop, wait).await;
                continue;
            }
            let first = tokio::select! {
                p = inner.in_flight.clone().acquire_owned() => p.expect("never closed"),
                () = stop.cancelled() => break,
            };
            let mut permits = vec![first];
            while permits.len() < batch {
                match inner.in_flight.clone().try_acquire_owned() {
                    Ok(p) => permits.push(p),
                    Err(_) => break,
                }
            }
            let jobs = match self.claim(permits.len()).await {
                Ok(jobs) => {
                    claim_failures = 0;
                    self.mark_running();
                    jobs
                }
                Err(err) => {
                    drop(permits);
                    claim_failures += 1;
                    let wait = restart_backoff(claim_failures);
                    let why = format!("claiming deliveries failed: {err}");
                    tracing::error!(error = %why, retry_in = ?wait, "the sender cannot claim work; retrying");
                    inner.status.fail(&why);
                    nap(stop, wait).await;
                    continue;
                }
            };
            if jobs.is_empty() {
                drop(permits);
                self.idle(stop).await;
                continue;
            }
            let contents = match self.contents(&jobs).await {
                Ok(contents) => contents,
                Err(err) => {
                    // Nothing was sent: put the rows back rather than leave them in
                    // flight (they would read as unknown after a restart).
                    tracing::error!(error = %err, "loading announcement content failed; retrying shortly");
                    let back = Finish::Release {
                        at: at_ms(Instant::now()),
                    };
                    for job in &jobs {
                        if let Err(err) = queue::finish(&inner.db, job, &back).await {
                            tracing::warn!(delivery = job.id, error = %err, "could not put a delivery back");
                        }
                    }
                    drop(permits);
                    nap(stop, Duration::from_secs(1)).await;
                    continue;
                }
            };
            for (job, permit) in jobs.into_iter().zip(permits) {
                let content = contents[&job.announcement_id].clone();
                let uploads = job.step == Step::Announce
                    && content.media.as_ref().is_some_and(|m| m.needs_upload());
                let worker = self.clone();
                let stop = stop.clone();
                let lease = Some(generation);
                if uploads {
                    // The first post with media goes alone: its file id serves every
                    // later chat, so the file is uploaded once.
                    worker.process(job, content, stop, permit, lease).await;
                } else {
                    tokio::spawn(
                        async move { worker.process(job, content, stop, permit, lease).await },
                    );
                }
            }
        }
        Ok(())
    }

    async fn claim(&self, n: usize) -> Result<Vec<Job>, crate::storage::StorageError> {
        if queue::start_due_announcements(&self.inner.db).await? > 0 {
            self.prepare_cards().await;
        }
        queue::claim(&self.inner.db, n).await
    }

    /// Draws the cards of starting announcements before their rows are claimed; a
    /// failure here is retried when their content is loaded.
    async fn prepare_cards(&self) {
        let inner = &self.inner;
        if let Some(cards) = &inner.cards
            && let Err(err) = cards
                .prepare(&inner.db, &inner.bot, &inner.admin_ids, &inner.config)
                .await
        {
            tracing::warn!(error = %err, "preparing milestone cards failed; retried when sending");
        }
    }

    /// Sleeps until woken, until the next delivery falls due, or the poll interval.
    async fn idle(&self, stop: &CancellationToken) {
        let inner = &self.inner;
        let notified = inner.wake.notified();
        let mut wait = inner.config.poll_interval;
        if let Ok(Some(due)) = queue::next_due(&inner.db).await {
            let ms = (due - Millis::from(Utc::now())).max(0) as u64;
            wait = wait.min(Duration::from_millis(ms));
        }
        tokio::select! {
            () = notified => {}
            () = stop.cancelled() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }

    async fn contents(&self, jobs: &[Job]) -> anyhow::Result<HashMap<i64, Arc<Content>>> {
        let mut out = HashMap::new();
        let mut ids: Vec<i64> = jobs.iter().map(|j| j.announcement_id).collect();
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            let mut c = queue::load_content(&self.inner.db, id, &self.inner.config)
                .await
                .context("loading an announcement")?;
            if let Some(cards) = &self.inner.cards {
                let inner = &self.inner;
                cards
                    .attach(&inner.db, &inner.bot, &inner.admin_ids, id, &mut c)
                    .await
                    .context("preparing the milestone card")?;
            }
            out.insert(id, Arc::new(c));
        }
        Ok(out)
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

    /// Paces, sends and records one claimed delivery; the permit is released once
    /// its outcome is written. `lease` is the lease generation the row was claimed
    /// under (`None` when driven by hand, without the lease).
    async fn process(
        &self,
        job: Job,
        content: Arc<Content>,
        stop: CancellationToken,
        permit: OwnedSemaphorePermit,
        lease: Option<u64>,
    ) -> Finish {
        let lease_lapsed = |claimed_under: u64| {
            !self.inner.lease.is_valid() || self.inner.lease.generation() != claimed_under
        };
        // Paused, cancelled or withdrawn since the claim: post nothing more. Checked
        // before the slot, not between the slot and the request: nothing may delay
        // a request once it has departed, or requests bunch up at the server.
        let gone_quiet = job.step.posts() && !self.may_post(&job).await;
        let slot = if gone_quiet {
            Err(Finish::Release {
                at: at_ms(Instant::now()),
            })
        } else {
            self.wait_for_slot(&job, &stop).await
        };
        let finish = match slot {
            Err(finish) => finish,
            // The lease lapsed while this row waited (even if we hold it again):
            // another instance may have been the sender and recovered the row, so
            // this one does not send it.
            Ok(()) if lease.is_some_and(lease_lapsed) => Finish::Release {
                at: at_ms(Instant::now()),
            },
            Ok(()) => self.execute(&job, &content).await,
        };
        self.record(&job, &finish, &stop).await;
        if matches!(finish, Finish::MovedTo(_)) {
            self.inner.wake.notify_one();
        }
        drop(permit);
        finish
    }
}

impl Worker {
    /// Says the sender runs, unless an outcome is still waiting to be written.
    fn mark_running(&self) {
        let stuck = self
            .inner
            .stuck_outcomes
            .load(std::sync::atomic::Ordering::SeqCst);
        if stuck == 0 {
            self.inner.status.set(SenderState::Running);
        }
    }

    /// Whether a claimed post may still go; when the database cannot say, it waits.
    async fn may_post(&self, job: &Job) -> bool {
        queue::may_post(&self.inner.db, job.announcement_id)
            .await
            .unwrap_or_else(|err| {
                tracing::warn!(delivery = job.id, error = %err, "could not check the broadcast before posting");
                false
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

/// Updates progress messages twice a second (each message is edited no more often
/// than its interval), and once more after the sender stops.
async fn report_progress(mut progress: Progress, stop: CancellationToken) {
    loop {
        if let Err(err) = progress.tick().await {
            tracing::warn!(error = %err, "updating broadcast progress failed");
        }
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
    if let Err(err) = progress.tick().await {
        tracing::warn!(error = %err, "updating broadcast progress failed");
    }
}
