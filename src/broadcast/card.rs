//! Milestone announcements led by their card. An announcement of a milestone with
//! no media of its own gets the card when its first delivery is loaded: drawn once
//! (cached by announcement), uploaded with the first post, and re-sent by the file
//! id Telegram returns, like any media. The choice is written to the announcement
//! (`media_ref` `card:gif`/`card:png`) before the first post, so edits know the
//! text is a caption. A card that cannot be drawn, or a text longer than a caption,
//! leaves the announcement as text (`card:off`), and the admins are told why.

use super::send::{Content, Media, Upload};
use crate::milestones::template::TemplateKind;
use crate::render::{CardFormat, CardMaker, Picture};
use crate::storage::announcements::{self, CardFacts};
use crate::storage::{Db, StorageError};
use crate::text::html::{self, escape_html};
use crate::text::number::format_short;
use crate::vocab::{AnnouncementId, MediaKind, UserId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use teloxide::prelude::*;
use teloxide::types::ParseMode;

/// What `media_ref` starts with when the media is the milestone card.
pub const CARD_REF: &str = "card:";

/// The cards of this sender's announcements.
pub struct Cards {
    maker: CardMaker,
    /// Per announcement: its drawn card, or `None` when it goes without.
    drawn: Mutex<HashMap<AnnouncementId, Option<Arc<Picture>>>>,
}

impl Cards {
    pub fn new(maker: CardMaker) -> Self {
        Cards {
            maker,
            drawn: Mutex::new(HashMap::new()),
        }
    }

    /// Draws the cards of announcements that start (or are sending and not yet
    /// drawn here), before any of their deliveries is claimed: drawing takes a
    /// moment, and a claimed delivery is in flight until its outcome is written.
    pub async fn prepare(
        &self,
        db: &Db,
        bot: &Bot,
        admins: &[UserId],
        config: &crate::config::BroadcastConfig,
    ) -> Result<(), StorageError> {
        for id in announcements::awaiting_card(db).await? {
            let known = self.drawn.lock().expect("not poisoned").contains_key(&id);
            if !known {
                let mut content = super::queue::load_content(db, id, config).await?;
                self.attach(db, bot, admins, id, &mut content).await?;
            }
        }
        Ok(())
    }

    /// Gives `content` its card when it should have one and it is not uploaded yet.
    pub async fn attach(
        &self,
        db: &Db,
        bot: &Bot,
        admins: &[UserId],
        announcement_id: AnnouncementId,
        content: &mut Content,
    ) -> Result<(), StorageError> {
        let own_media = content
            .media
            .as_ref()
            .is_some_and(|m| !m.source.starts_with(CARD_REF));
        let uploaded = content.media.as_ref().is_some_and(|m| !m.needs_upload());
        if uploaded {
            // Telegram has it now: later posts go by file id, the bytes can go.
            self.drawn
                .lock()
                .expect("not poisoned")
                .remove(&announcement_id);
        }
        if content.announce_text.is_none() || own_media || uploaded {
            return Ok(());
        }
        let cached = self
            .drawn
            .lock()
            .expect("not poisoned")
            .get(&announcement_id)
            .cloned();
        let picture = match cached {
            Some(picture) => picture,
            None => {
                let picture = self
                    .decide(db, bot, admins, announcement_id, content)
                    .await?;
                self.drawn
                    .lock()
                    .expect("not poisoned")
                    .insert(announcement_id, picture.clone());
                picture
            }
        };
        content.media = picture.map(|p| card_media(&p));
        Ok(())
    }

    /// Draws the announcement's card, or decides it goes without (and says why).
    async fn decide(
        &self,
        db: &Db,
        bot: &Bot,
        admins: &[UserId],
        id: AnnouncementId,
        content: &Content,
    ) -> Result<Option<Arc<Picture>>, StorageError> {
        let facts = announcements::card_facts(db, id).await?;
        let format = match facts.media_ref.as_deref() {
            None => self.maker.format(),
            Some("card:gif") => CardFormat::Gif,
            Some("card:png") => CardFormat::Png,
            Some(_) => return Ok(None),
        };
        let (Some(metric), Some(milestone)) = (facts.metric.clone(), facts.milestone) else {
            return Ok(None);
        };
        if format == CardFormat::Off {
            return Ok(None);
        }
        let text = content.announce_text.as_deref().unwrap_or_default();
        let length = html::visible_text(text).map_or(0, |v| html::telegram_len(&v));
        let limit = TemplateKind::Caption.limit();
        let drawn = if length > limit {
            Err(format!(
                "the announcement is {length} characters, longer than a caption ({limit})"
            ))
        } else {
            let card = self
                .maker
                .card(db, &metric, milestone, facts.created_at.date_naive())
                .await?;
            self.maker
                .with_format(format)
                .draw_off_thread(card)
                .await
                .map_err(|e| e.to_string())
        };
        match drawn {
            Ok(Some(picture)) => {
                let (kind, reference) = card_kind(&picture);
                if announcements::set_card(db, id, kind, reference).await? {
                    tracing::info!(
                        announcement = %id,
                        bytes = picture.bytes.len(),
                        "milestone card drawn"
                    );
                    return Ok(Some(Arc::new(picture)));
                }
                Ok(None)
            }
            Ok(None) => Ok(None),
            Err(reason) => {
                tracing::warn!(announcement = %id, %reason, "the milestone card is left out");
                announcements::leave_out_card(db, id).await?;
                tell_admins(bot, admins, &facts, id, &reason).await;
                Ok(None)
            }
        }
    }
}

/// How a drawn card is sent, and the `media_ref` that records it.
fn card_kind(picture: &Picture) -> (MediaKind, &'static str) {
    if picture.animated {
        (MediaKind::Animation, "card:gif")
    } else {
        (MediaKind::Photo, "card:png")
    }
}

fn card_media(picture: &Picture) -> Media {
    let (kind, reference) = card_kind(picture);
    Media {
        kind,
        source: reference.to_owned(),
        file_id: Mutex::new(None),
        upload: Some(Upload {
            bytes: picture.bytes.clone(),
            file_name: picture.file_name(),
            width: picture.width,
            height: picture.height,
            duration: picture.duration_ms.div_ceil(1000),
        }),
    }
}

/// Tells the admin who started the announcement (or every admin, for the
/// watcher's) that it goes out without its card.
async fn tell_admins(
    bot: &Bot,
    admins: &[UserId],
    facts: &CardFacts,
    id: AnnouncementId,
    reason: &str,
) {
    let what = match (&facts.metric, facts.milestone) {
        (Some(metric), Some(m)) => {
            format!(" ({} {})", escape_html(metric.as_str()), format_short(m))
        }
        _ => String::new(),
    };
    let text = format!(
        "🖼 Announcement #{id}{what} goes out as text, without its card: {}.",
        escape_html(reason)
    );
    let to = facts
        .created_by
        .map_or_else(|| admins.to_vec(), |a| vec![a]);
    for admin in to {
        if let Err(err) = bot
            .send_message(admin.private_chat(), text.clone())
            .parse_mode(ParseMode::Html)
            .await
        {
            tracing::warn!(error = %err, "could not tell an admin the card was left out");
        }
    }
}
