//! Building the Bot API calls of a broadcast: what channels expect (HTML, media with
//! a caption, link previews, silent posts, pins, forum topics) in one place.

use super::api;
use crate::vocab::{MediaKind, Part};
use serde::Deserialize;
use std::sync::Mutex;
use teloxide::RequestError;
use teloxide::payloads::{
    DeleteMessage, EditMessageCaption, EditMessageText, PinChatMessage, SendAnimation, SendMessage,
    SendPhoto,
};
use teloxide::prelude::*;
use teloxide::types::{
    InputFile, LinkPreviewOptions, Message, MessageId, ParseMode, Recipient, ThreadId,
};

/// The media of an announcement: uploaded once, then re-sent by the `file_id`
/// Telegram returned for that first upload.
#[derive(Debug)]
pub struct Media {
    pub kind: MediaKind,
    /// A local file path, an http(s) URL, or already a Telegram file id.
    pub source: String,
    /// The file id once Telegram has one for this media.
    pub file_id: Mutex<Option<String>>,
    /// Bytes to upload instead of reading `source` (a drawn milestone card).
    pub upload: Option<Upload>,
}

/// A picture made in process, uploaded as a file.
#[derive(Debug, Clone)]
pub struct Upload {
    pub bytes: Vec<u8>,
    /// Telegram reads the type from the name (`milestone.gif`).
    pub file_name: &'static str,
    pub width: u32,
    pub height: u32,
    /// Seconds, for an animation.
    pub duration: u32,
}

impl Media {
    /// `true` until a first send has returned a file id (and the source is a file or
    /// URL); such a send must go alone, so the file is uploaded once.
    pub fn needs_upload(&self) -> bool {
        self.file_id.lock().expect("not poisoned").is_none()
    }

    /// What to send, and whether it is a file to upload (multipart): a local file or
    /// a drawn card.
    fn input(&self) -> (InputFile, bool) {
        if let Some(id) = self.file_id.lock().expect("not poisoned").clone() {
            return (InputFile::file_id(id.into()), false);
        }
        if let Some(upload) = &self.upload {
            return (
                InputFile::memory(upload.bytes.clone()).file_name(upload.file_name),
                true,
            );
        }
        let src = &self.source;
        let url = (src.starts_with("http://") || src.starts_with("https://"))
            .then(|| src.parse().ok())
            .flatten();
        if let Some(url) = url {
            (InputFile::url(url), false)
        } else if std::path::Path::new(src).exists() {
            (InputFile::file(src), true)
        } else {
            (InputFile::file_id(src.clone().into()), false)
        }
    }
}

/// Per-announcement options, stored as JSON in `announcements.options`; anything
/// missing falls back to the configured defaults.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StoredOptions {
    pub silent: Option<bool>,
    pub pin: Option<bool>,
    /// `false` turns link previews off.
    pub link_preview: Option<bool>,
}

/// The options in force for one announcement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostOptions {
    pub silent: bool,
    pub pin: bool,
    pub link_preview: bool,
    /// Send with `allow_paid_broadcast` (the bot's setting, not the announcement's).
    pub paid: bool,
}

/// Everything needed to post one announcement anywhere.
#[derive(Debug)]
pub struct Content {
    pub announce_text: Option<String>,
    pub thanks_text: Option<String>,
    pub media: Option<Media>,
    pub options: PostOptions,
}

/// Where a message goes: a chat and, in a forum, its topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub chat_id: crate::vocab::ChatId,
    pub thread_id: Option<i64>,
}

impl Target {
    fn recipient(&self) -> Recipient {
        Recipient::Id(self.chat_id.into())
    }

    fn thread(&self) -> Option<ThreadId> {
        self.thread_id
            .and_then(|t| i32::try_from(t).ok())
            .map(|t| ThreadId(MessageId(t)))
    }
}

/// A message Telegram accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    pub message_id: i64,
    /// The media's file id, when this call carried media.
    pub file_id: Option<String>,
}

fn preview(options: &PostOptions) -> LinkPreviewOptions {
    LinkPreviewOptions {
        is_disabled: !options.link_preview,
        url: None,
        prefer_small_media: false,
        prefer_large_media: false,
        show_above_text: false,
    }
}

/// A photo or animation payload (teloxide's `SendPhoto`/`SendAnimation`, which share
/// these fields but no trait) with its caption and the post's options.
macro_rules! captioned {
    ($payload:ident, $target:expr, $input:expr, $text:expr, $opts:expr) => {{
        let mut p = $payload::new($target.recipient(), $input);
        p.caption = Some($text);
        p.parse_mode = Some(ParseMode::Html);
        p.disable_notification = Some($opts.silent);
        p.allow_paid_broadcast = Some($opts.paid);
        p.message_thread_id = $target.thread();
        p
    }};
}

/// Sends one part of the pair into `target`. The announcement carries the media
/// (with its text as the caption); the thank-you note is always text. Every call is
/// JSON through [`api::call`] except the first upload of a local file (multipart,
/// through teloxide).
pub async fn post(
    bot: &Bot,
    target: Target,
    content: &Content,
    part: Part,
) -> Result<Posted, RequestError> {
    let opts = &content.options;
    let text = match part {
        Part::Announcement => content.announce_text.clone(),
        Part::Thanks => content.thanks_text.clone(),
    }
    .unwrap_or_default();
    let media = match part {
        Part::Announcement => content.media.as_ref(),
        Part::Thanks => None,
    };
    let message = match media {
        None => {
            let mut p = SendMessage::new(target.recipient(), text);
            p.parse_mode = Some(ParseMode::Html);
            p.link_preview_options = Some(preview(opts));
            p.disable_notification = Some(opts.silent);
            p.allow_paid_broadcast = Some(opts.paid);
            p.message_thread_id = target.thread();
            api::call(bot, &p).await?
        }
        Some(m) => {
            let (input, uploads) = m.input();
            if uploads {
                upload(bot, target, m, input, text, opts).await?
            } else if m.kind == MediaKind::Photo {
                api::call(bot, &captioned!(SendPhoto, target, input, text, opts)).await?
            } else {
                api::call(bot, &captioned!(SendAnimation, target, input, text, opts)).await?
            }
        }
    };
    let file_id = if let Some(photo) = message.photo() {
        photo.last().map(|p| p.file.id.to_string())
    } else {
        message.animation().map(|a| a.file.id.to_string())
    };
    if let (Some(m), Some(id)) = (media, &file_id) {
        m.file_id
            .lock()
            .expect("not poisoned")
            .get_or_insert_with(|| id.clone());
    }
    Ok(Posted {
        message_id: i64::from(message.id.0),
        file_id,
    })
}

/// The first post of a local file or a drawn card: multipart, so through teloxide.
async fn upload(
    bot: &Bot,
    target: Target,
    media: &Media,
    input: InputFile,
    text: String,
    opts: &PostOptions,
) -> Result<Message, RequestError> {
    if media.kind == MediaKind::Photo {
        let mut req = bot
            .send_photo(target.recipient(), input)
            .caption(text)
            .parse_mode(ParseMode::Html)
            .disable_notification(opts.silent)
            .allow_paid_broadcast(opts.paid);
        if let Some(thread) = target.thread() {
            req = req.message_thread_id(thread);
        }
        req.await
    } else {
        let mut req = bot
            .send_animation(target.recipient(), input)
            .caption(text)
            .parse_mode(ParseMode::Html)
            .disable_notification(opts.silent)
            .allow_paid_broadcast(opts.paid);
        if let Some(u) = &media.upload {
            req = req.width(u.width).height(u.height).duration(u.duration);
        }
        if let Some(thread) = target.thread() {
            req = req.message_thread_id(thread);
        }
        req.await
    }
}

/// Pins a just-posted announcement, quietly; not having the right is not an error
/// worth failing the delivery for.
pub async fn pin(bot: &Bot, target: Target, message_id: i64) {
    let Ok(id) = i32::try_from(message_id) else {
        return;
    };
    let mut p = PinChatMessage::new(target.recipient(), MessageId(id));
    p.disable_notification = Some(true);
    if let Err(err) = api::call(bot, &p).await {
        tracing::info!(chat = %crate::privacy::Chat(target.chat_id), error = %err, "could not pin the announcement");
    }
}

/// Replaces the text (or the caption, for media) of an already posted part.
pub async fn edit(
    bot: &Bot,
    target: Target,
    message_id: i64,
    content: &Content,
    part: Part,
) -> Result<(), RequestError> {
    let id = MessageId(i32::try_from(message_id).unwrap_or(i32::MAX));
    let (text, has_media) = match part {
        Part::Announcement => (content.announce_text.clone(), content.media.is_some()),
        Part::Thanks => (content.thanks_text.clone(), false),
    };
    let text = text.unwrap_or_default();
    let result = if has_media {
        let mut p = EditMessageCaption::new(target.recipient(), id);
        p.caption = Some(text);
        p.parse_mode = Some(ParseMode::Html);
        api::call(bot, &p).await.map(drop)
    } else {
        let mut p = EditMessageText::new(target.recipient(), id, text);
        p.parse_mode = Some(ParseMode::Html);
        p.link_preview_options = Some(preview(&content.options));
        api::call(bot, &p).await.map(drop)
    };
    match result {
        // Editing to the same text is not a failure: the chat shows what we want.
        Err(RequestError::Api(teloxide::ApiError::MessageNotModified)) => Ok(()),
        other => other,
    }
}

/// Deletes a posted message; one already gone counts as deleted.
pub async fn delete(bot: &Bot, target: Target, message_id: i64) -> Result<(), RequestError> {
    let id = MessageId(i32::try_from(message_id).unwrap_or(i32::MAX));
    match api::call(bot, &DeleteMessage::new(target.recipient(), id)).await {
        Ok(_) | Err(RequestError::Api(teloxide::ApiError::MessageToDeleteNotFound)) => Ok(()),
        Err(e) => Err(e),
    }
}
