//! Live progress for admins: one message per admin per broadcast, edited as the
//! broadcast goes (no more than once per interval), then a final tally. When a
//! sending broadcast has nothing left, progress asks the announcements' owner to
//! finish it (`finish_if_drained`) and reports what the owner answered.
//!
//! The report of unknown deliveries carries a resend button; the buttons are the
//! Telegram side's, so it hands them in as a [`ResendOffer`] (this module never
//! imports `telegram`).

mod eta;
mod tally;
mod unknown;

use tally::RateMeter;
pub use tally::{Tally, render, shown_state, tally};
pub use unknown::{UnknownChats, unknown_chats};

use super::pace::{Pacer, turn};
use crate::storage::announcements::{self, AnnouncementState};
use crate::storage::{Db, StorageError, progress_messages};
use crate::vocab::{AnnouncementId, ChatId, UserId};
use futures::future::BoxFuture;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use teloxide::prelude::*;
use teloxide::types::{MessageId, ParseMode};
use tokio::time::Instant;

/// Sends a report to an admin with a button that resends a broadcast's unknown
/// deliveries when pressed, valid for `ttl`. The Telegram side implements it (its
/// confirmations own the buttons) and hands it to the worker when the app is wired.
pub trait ResendOffer: Send + Sync {
    fn offer(
        &self,
        admin: UserId,
        text: String,
        announcement: AnnouncementId,
        ttl: chrono::Duration,
    ) -> BoxFuture<'_, anyhow::Result<()>>;
}

/// Keeps every admin's progress message current.
pub struct Progress {
    db: Db,
    bot: Bot,
    admin_ids: Vec<UserId>,
    interval: Duration,
    pacer: Arc<Mutex<Pacer>>,
    /// The resend button under the unknown-deliveries report; without it the
    /// report goes as plain text.
    resend: Option<Arc<dyn ResendOffer>>,
    meters: HashMap<AnnouncementId, RateMeter>,
    /// Per (announcement, chat): when the message was last edited, and its text.
    shown: HashMap<(AnnouncementId, ChatId), (Instant, String)>,
    /// Broadcasts whose unknown deliveries were reported since they last ended.
    reported: HashSet<AnnouncementId>,
}

/// How long the report's resend button stays valid: a report may be read hours
/// later; after that, `/milestone resend-unknown` asks again.
const RESEND_BUTTON_TTL: chrono::Duration = chrono::Duration::hours(24);

impl Progress {
    pub fn new(
        db: Db,
        bot: Bot,
        admin_ids: Vec<UserId>,
        interval: Duration,
        pacer: Arc<Mutex<Pacer>>,
    ) -> Self {
        Self {
            db,
            bot,
            admin_ids,
            interval,
            pacer,
            resend: None,
            meters: HashMap::new(),
            shown: HashMap::new(),
            reported: HashSet::new(),
        }
    }

    /// Offers the resend button under the unknown-deliveries report.
    pub fn with_resend_offer(mut self, resend: Option<Arc<dyn ResendOffer>>) -> Self {
        self.resend = resend;
        self
    }

    /// One pass: finish broadcasts with nothing left, update every progress message.
    pub async fn tick(&mut self) -> Result<(), StorageError> {
        for showing in announcements::to_show(&self.db).await? {
            let id = showing.id;
            let mut state = showing.status.state;
            let created_by = showing.created_by;
            let t = tally(&self.db, id).await?;
            if state == AnnouncementState::Sending
                && t.left == 0
                && announcements::finish_if_drained(&self.db, id).await?
            {
                state = AnnouncementState::Done;
                tracing::info!(
                    announcement = %id,
                    sent = t.sent,
                    skipped = t.skipped,
                    failed = t.failed,
                    unknown = t.unknown,
                    "broadcast finished"
                );
            }
            let (rate, _) =
                self.meters
                    .entry(id)
                    .or_default()
                    .observe(Instant::now(), t.processed(), t.left);
            let eta = if state == AnnouncementState::Sending && t.left > 0 {
                let waiting = eta::waiting(&self.db, id).await?;
                let rules = self.pacer.lock().expect("not poisoned").rules();
                eta::eta(t.left, rate, &waiting, eta::now_ms(), &rules)
            } else {
                None
            };
            let text = render(
                id,
                shown_state(state, showing.status.withdrawn),
                &t,
                rate,
                eta,
            );
            let is_final = matches!(
                state,
                AnnouncementState::Done | AnnouncementState::Cancelled
            );
            self.show(id, created_by, &text, is_final).await?;
            if is_final {
                self.meters.remove(&id);
                self.shown.retain(|(a, _), _| *a != id);
                if t.unknown > 0 && self.reported.insert(id) {
                    self.report_unknown_chats(id, created_by).await?;
                }
            } else {
                self.reported.remove(&id);
            }
        }
        Ok(())
    }

    fn recipients(&self, created_by: Option<UserId>) -> Vec<UserId> {
        created_by.map_or_else(|| self.admin_ids.clone(), |admin| vec![admin])
    }

    async fn show(
        &mut self,
        id: AnnouncementId,
        created_by: Option<UserId>,
        text: &str,
        is_final: bool,
    ) -> Result<(), StorageError> {
        for admin in self.recipients(created_by) {
            progress_messages::add(&self.db, id, admin.private_chat()).await?;
        }
        for (chat, message_id) in progress_messages::open(&self.db, id).await? {
            let now = Instant::now();
            let due = match self.shown.get(&(id, chat)) {
                Some((at, shown)) => {
                    shown != text && (is_final || now.duration_since(*at) >= self.interval)
                }
                None => true,
            };
            if !due {
                continue;
            }
            let delivered = match message_id {
                None => self.send(chat, text).await,
                Some(mid) => self.edit(chat, mid, text).await.map(|()| mid),
            };
            match delivered {
                Ok(mid) => {
                    self.shown.insert((id, chat), (now, text.to_owned()));
                    progress_messages::shown(&self.db, id, chat, mid, is_final).await?;
                }
                // Flood control on the admin's chat: try again on the next tick.
                Err(teloxide::RequestError::RetryAfter(_)) => {}
                Err(err) => {
                    tracing::warn!(announcement = %id, chat = %crate::privacy::Chat(chat), error = %err, "could not update the progress message");
                    if is_final {
                        // An admin who never started the bot cannot get messages;
                        // don't try forever.
                        progress_messages::give_up(&self.db, id, chat).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Waits for the bot's pace: admin messages count against it like any other.
    async fn paced(&self) {
        turn::call(&self.pacer).await;
    }

    async fn send(&self, chat: ChatId, text: &str) -> Result<i64, teloxide::RequestError> {
        self.paced().await;
        let msg = self
            .bot
            .send_message(chat, text)
            .parse_mode(ParseMode::Html)
            .disable_notification(true)
            .await?;
        Ok(i64::from(msg.id.0))
    }

    async fn edit(
        &self,
        chat: ChatId,
        message_id: i64,
        text: &str,
    ) -> Result<(), teloxide::RequestError> {
        self.paced().await;
        let id = MessageId(i32::try_from(message_id).unwrap_or(i32::MAX));
        match self
            .bot
            .edit_message_text(chat, id, text)
            .parse_mode(ParseMode::Html)
            .await
        {
            Ok(_) | Err(teloxide::RequestError::Api(teloxide::ApiError::MessageNotModified)) => {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Tells the admins about deliveries a stopped sender left unknown, at once; the
    /// broadcast's final report lists them with the resend button.
    pub async fn report_unknown(
        &self,
        counts: &[(AnnouncementId, i64)],
    ) -> Result<(), StorageError> {
        for &(id, n) in counts {
            tracing::warn!(
                announcement = %id,
                unknown = n,
                "deliveries were in flight when the sender stopped; marked unknown, not resent"
            );
            let created_by = announcements::created_by(&self.db, id).await?;
            let text = format!(
                "⚠️ <b>Broadcast #{id}</b>: {n} deliveries were in flight when the sender stopped. \
                 Telegram may or may not have posted them, so they are marked unknown and will \
                 not be sent again unless an admin asks. The broadcast's final report lists \
                 them with a resend button."
            );
            for admin in self.recipients(created_by) {
                if let Err(err) = self.send(admin.private_chat(), &text).await {
                    tracing::warn!(error = %err, "could not report unknown deliveries");
                }
            }
            // A broadcast that had already ended shows its final report again.
            progress_messages::reopen(&self.db, id).await?;
        }
        Ok(())
    }

    /// Lists a finished broadcast's unknown deliveries to its admins, with a resend
    /// button of their own when the Telegram side offers one.
    async fn report_unknown_chats(
        &self,
        id: AnnouncementId,
        created_by: Option<UserId>,
    ) -> Result<(), StorageError> {
        let chats = unknown_chats(&self.db, id).await?;
        tracing::warn!(
            announcement = %id,
            unknown = chats.total(),
            "broadcast ended with deliveries of unknown outcome; reported to admins"
        );
        let text = unknown::render(id, &chats);
        for admin in self.recipients(created_by) {
            let offered = match &self.resend {
                Some(resend) => {
                    self.paced().await;
                    resend
                        .offer(admin, text.clone(), id, RESEND_BUTTON_TTL)
                        .await
                }
                None => (self.send(admin.private_chat(), &text).await)
                    .map(drop)
                    .map_err(Into::into),
            };
            if let Err(err) = offered {
                tracing::warn!(announcement = %id, error = %err, "could not send the unknown-deliveries report");
            }
        }
        Ok(())
    }
}
