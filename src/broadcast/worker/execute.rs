//! Executing one claimed delivery: wait for its slot at Telegram's pace, make the
//! call its step asks for, and turn Telegram's answer into the row's next state.

use super::{Worker, at_ms};
use crate::broadcast::outcome::{self, Action};
use crate::broadcast::pace::turn::{self, NoTurn};
use crate::broadcast::queue::{self, Finish, Job, Step};
use crate::broadcast::send::{self, Content, Part, Target};
use crate::storage::{Millis, chats};
use crate::vocab::ChatId;
use chrono::Utc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

impl Worker {
    /// Waits for the delivery's turn at the bot's pace; a delivery that should not
    /// go now gets the finish that puts it back.
    pub(super) async fn wait_for_slot(
        &self,
        job: &Job,
        stop: &CancellationToken,
    ) -> Result<(), Finish> {
        if job.chat_gone.is_some() && job.step.posts() {
            return Ok(());
        }
        let chat = ChatId(job.chat_id);
        turn::delivery(&self.inner.pacer, chat, job.is_group(), stop)
            .await
            .map_err(|no_turn| match no_turn {
                NoTurn::Defer(at) | NoTurn::Stopped(at) => Finish::Release { at: at_ms(at) },
            })
    }

    /// Makes the call the delivery's step asks for and decides what follows.
    pub(super) async fn execute(&self, job: &Job, content: &Content) -> Finish {
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

    pub(super) async fn posted(
        &self,
        job: &Job,
        content: &Content,
        target: Target,
        posted: send::Posted,
    ) -> Finish {
        let inner = &self.inner;
        if let Some(file_id) = &posted.file_id
            && let Err(err) = queue::save_file_id(&inner.db, job.announcement_id, file_id).await
        {
            tracing::warn!(error = %err, "could not store the media's file id; it stays in memory");
        }
        let then = if job.step == Step::Announce {
            if content.options.pin {
                send::pin(&inner.bot, target, posted.message_id).await;
            }
            content.thanks_text.as_ref().map(|_| {
                // The note follows only after the announcement is acknowledged, and
                // no sooner than the chat's own limit allows.
                let gap = inner
                    .pacer
                    .lock()
                    .expect("not poisoned")
                    .rules()
                    .chat_interval(job.is_group());
                (
                    Step::Thanks,
                    Millis::from(Utc::now()) + gap.as_millis() as i64,
                )
            })
        } else {
            None
        };
        Finish::Posted {
            message_id: posted.message_id,
            then,
        }
    }

    pub(super) async fn failed(&self, job: &Job, action: Action) -> Finish {
        let inner = &self.inner;
        let now = Utc::now();
        match action {
            Action::WaitAll(wait) => {
                tracing::warn!(retry_after = ?wait, "Telegram asked the bot to slow down; the whole sender waits");
                let until = Instant::now() + wait;
                inner.pacer.lock().expect("not poisoned").hold(until);
                Finish::Release { at: at_ms(until) }
            }
            Action::ChatGone(reason) => {
                if let Err(err) = chats::mark_gone(&inner.db, job.chat_id, &reason, now).await {
                    tracing::warn!(chat = %crate::privacy::Chat(job.chat_id), error = %err, "could not mark the chat gone");
                }
                tracing::info!(chat = %crate::privacy::Chat(job.chat_id), reason, "chat is gone; delivery skipped");
                Finish::Skipped(reason)
            }
            Action::Migrated(to) => {
                if let Err(err) = chats::migrate(&inner.db, job.chat_id, to, now).await {
                    tracing::warn!(from = %crate::privacy::Chat(job.chat_id), to = %crate::privacy::Chat(to), error = %err, "could not move the migrated chat");
                }
                Finish::MovedTo(to)
            }
            Action::Fail(description) => Finish::Failed(description),
            Action::Unknown(description) => {
                tracing::warn!(
                    announcement = job.announcement_id,
                    delivery = job.id,
                    why = %description,
                    "a post may or may not have gone out; marked unknown, not resent"
                );
                Finish::Unknown(description)
            }
            Action::Retry(error) => {
                let attempt = job.attempts + 1;
                if attempt >= inner.config.max_attempts {
                    Finish::Failed(format!("{error} (after {attempt} attempts)"))
                } else {
                    // The first retry goes as soon as its chat allows: most 5xx and
                    // closed connections are one-offs. Then exponential backoff.
                    let chat_gap = inner
                        .pacer
                        .lock()
                        .expect("not poisoned")
                        .rules()
                        .chat_interval(job.is_group());
                    let delay = if attempt == 1 {
                        chat_gap
                    } else {
                        outcome::backoff(attempt - 1, inner.config.retry_base, rand::random())
                            .max(chat_gap)
                    };
                    Finish::Retry {
                        at: Millis::from(now) + delay.as_millis() as i64,
                        error,
                    }
                }
            }
        }
    }
}
