//! Claiming: when to claim more work (shortly before the next slot, within the
//! requests-in-flight budget, once the lease is held and what was left in flight is
//! recovered), how many rows, loading their content, and handing each to a task of
//! its own; idling until woken or due when nothing is.

use super::{Worker, at_ms, nap, restart_backoff};
use crate::broadcast::queue::{self, Finish, Job, Step};
use crate::broadcast::send::Content;
use crate::broadcast::status::SenderState;
use crate::storage::Millis;
use crate::vocab::AnnouncementId;
use anyhow::Context;
use chrono::Utc;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How far ahead of its slot a delivery is claimed: long enough to batch claims,
/// short enough that few rows sit in flight before their request.
const LOOKAHEAD: Duration = Duration::from_millis(100);

impl Worker {
    pub(super) async fn claim_loop(&self, stop: &CancellationToken) -> anyhow::Result<()> {
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

    pub(super) async fn claim(&self, n: usize) -> Result<Vec<Job>, crate::storage::StorageError> {
        if queue::start_queued(&self.inner.db).await? > 0 {
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

    pub(super) async fn contents(
        &self,
        jobs: &[Job],
    ) -> anyhow::Result<HashMap<AnnouncementId, Arc<Content>>> {
        let mut out = HashMap::new();
        let mut ids: Vec<AnnouncementId> = jobs.iter().map(|j| j.announcement_id).collect();
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
}
