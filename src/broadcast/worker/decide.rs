//! Deciding what follows a call: Telegram's answer (a post, or an error already
//! classified by `outcome`) becomes the row's next state, with its side effects on
//! the bot's pace (a 429 holds everyone) and on the chat (gone, migrated).

use super::{Worker, at_ms};
use crate::broadcast::outcome::{self, Action};
use crate::broadcast::queue::{self, Finish, Job, Step};
use crate::broadcast::send::{self, Content, Target};
use crate::storage::{Millis, chats};
use chrono::Utc;
use tokio::time::Instant;

impl Worker {
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
                let gap = self.chat_gap(job);
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
            // The delivery follows the chat only once the chat list has moved: a
            // delivery pointed at an id the list does not have would be skipped.
            // Otherwise it is retried, and the old id answers "migrated" again.
            Action::Migrated(to) => match chats::migrate(&inner.db, job.chat_id, to, now).await {
                Ok(_) => Finish::MovedTo(to),
                Err(err) => {
                    tracing::warn!(from = %crate::privacy::Chat(job.chat_id), to = %crate::privacy::Chat(to), error = %err, "could not move the migrated chat; the delivery is retried");
                    self.retry(job, format!("could not move the migrated chat: {err}"))
                }
            },
            Action::Fail(description) => Finish::Failed(description),
            Action::Unknown(description) => {
                tracing::warn!(
                    announcement = %job.announcement_id,
                    delivery = job.id,
                    why = %description,
                    "a post may or may not have gone out; marked unknown, not resent"
                );
                Finish::Unknown(description)
            }
            Action::Retry(error) => self.retry(job, error),
        }
    }

    /// Another attempt after a backoff, or failed once the attempts are spent.
    fn retry(&self, job: &Job, error: String) -> Finish {
        let inner = &self.inner;
        let now = Utc::now();
        let attempt = job.attempts + 1;
        if attempt >= inner.config.max_attempts {
            Finish::Failed(format!("{error} (after {attempt} attempts)"))
        } else {
            // The first retry goes as soon as its chat allows: most 5xx and
            // closed connections are one-offs. Then exponential backoff.
            let chat_gap = self.chat_gap(job);
            let delay = if attempt == 1 {
                chat_gap
            } else {
                outcome::backoff(attempt - 1, inner.config.retry_base, rand::random()).max(chat_gap)
            };
            Finish::Retry {
                at: Millis::from(now) + delay.as_millis() as i64,
                error,
            }
        }
    }

    /// The least time between two messages into the job's chat, at the bot's pace.
    fn chat_gap(&self, job: &Job) -> std::time::Duration {
        self.inner
            .pacer
            .lock()
            .expect("not poisoned")
            .rules()
            .chat_interval(job.is_group())
    }
}
