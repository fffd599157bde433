//! Executing one claimed delivery: check it may still go, wait for its turn at
//! Telegram's pace, make the call its step asks for, and have the outcome decided
//! (`decide`) and recorded (`record`).

use super::{Worker, at_ms};
use crate::broadcast::outcome::{self, Action};
use crate::broadcast::pace::turn::{self, NoTurn};
use crate::broadcast::queue::{self, Finish, Job, Step};
use crate::broadcast::send::{self, Content, Target};
use crate::vocab::Part;
use std::sync::Arc;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

impl Worker {
    /// Paces, sends and records one claimed delivery; the permit is released once
    /// its outcome is written. `lease` is the lease generation the row was claimed
    /// under (`None` when driven by hand, without the lease).
    pub(super) async fn process(
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

    /// Whether a claimed post may still go; when the database cannot say, it waits.
    async fn may_post(&self, job: &Job) -> bool {
        queue::may_post(&self.inner.db, job.announcement_id)
            .await
            .unwrap_or_else(|err| {
                tracing::warn!(delivery = job.id, error = %err, "could not check the broadcast before posting");
                false
            })
    }

    /// Waits for the delivery's turn at the bot's pace; a delivery that should not
    /// go now gets the finish that puts it back.
    async fn wait_for_slot(&self, job: &Job, stop: &CancellationToken) -> Result<(), Finish> {
        if job.chat_gone.is_some() && job.step.posts() {
            return Ok(());
        }
        let chat = job.chat_id;
        turn::delivery(&self.inner.pacer, chat, job.is_group(), stop)
            .await
            .map_err(|no_turn| match no_turn {
                NoTurn::Defer(at) | NoTurn::Stopped(at) => Finish::Release { at: at_ms(at) },
            })
    }

    /// Makes the call the delivery's step asks for and decides what follows.
    async fn execute(&self, job: &Job, content: &Content) -> Finish {
        let inner = &self.inner;
        if let (Some(reason), true) = (&job.chat_gone, job.step.posts()) {
            return Finish::Skipped(reason.clone());
        }
        let target = Target {
            chat_id: job.chat_id,
            thread_id: job.thread_id,
        };
        let result = match job.step {
            Step::Announce | Step::Thanks => {
                let part = if job.step == Step::Announce {
                    Part::Announcement
                } else {
                    Part::Thanks
                };
                match send::post(&inner.bot, target, content, part).await {
                    Ok(posted) => return self.posted(job, content, target, posted).await,
                    Err(e) => e,
                }
            }
            Step::EditAnnounce | Step::EditThanks => {
                let (mid, part) = if job.step == Step::EditAnnounce {
                    (job.announce_message_id, Part::Announcement)
                } else {
                    (job.thanks_message_id, Part::Thanks)
                };
                let Some(mid) = mid else {
                    return Finish::Changed;
                };
                match send::edit(&inner.bot, target, mid, content, part).await {
                    Ok(()) => return Finish::Changed,
                    Err(e) => e,
                }
            }
            Step::Withdraw => {
                let mut failed = None;
                for mid in [job.thanks_message_id, job.announce_message_id]
                    .into_iter()
                    .flatten()
                {
                    if let Err(e) = send::delete(&inner.bot, target, mid).await {
                        failed = Some(e);
                        break;
                    }
                }
                match failed {
                    None => return Finish::Changed,
                    Some(e) => e,
                }
            }
        };
        let action = match outcome::classify(&result) {
            // An edit or a deletion done twice changes nothing: one that may have
            // gone through is simply tried again.
            Action::Unknown(why) if !job.step.posts() => Action::Retry(why),
            action => action,
        };
        self.failed(job, action).await
    }
}
