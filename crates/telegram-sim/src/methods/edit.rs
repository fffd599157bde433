//! Edits, deletes and pins of delivered messages; they change the records
//! and keep the earlier versions.

use std::time::{Instant, SystemTime};

use serde_json::Value;

use super::{
    chat_param,
    send::{check_caption, check_text},
};
use crate::{
    error::ApiError,
    json,
    model::{ChatId, Revision, SentKind, unix_ms},
    params::Params,
    shared::Shared,
    state::State,
};

/// Which part of the message an edit replaces.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Edit {
    Text,
    Caption,
    Markup,
}

const NOT_MODIFIED: &str = "message is not modified: specified new message content and reply \
                            markup are exactly the same as a current content and reply markup \
                            of the message";

/// `editMessageText`, `editMessageCaption`, `editMessageReplyMarkup`.
pub(super) fn edit(sh: &Shared, token: &str, what: Edit, p: &Params) -> Result<Value, ApiError> {
    let mut st = sh.lock();
    let (chat, message_id) = target(&st, token, p, "message to edit not found")?;
    let limits = st.limits.clone();
    let mode = p.str("parse_mode");
    let markup = p.json("reply_markup")?;
    let msg = st.message_mut(chat, message_id).expect("target checked it");
    let new_text = match what {
        Edit::Text if msg.kind != SentKind::Text => {
            return Err(ApiError::bad_request(
                "there is no text in the message to edit",
            ));
        }
        Edit::Caption if msg.kind == SentKind::Text => {
            return Err(ApiError::bad_request(
                "there is no caption in the message to edit",
            ));
        }
        Edit::Text => {
            let text = p.need_str("text")?;
            check_text(&limits, &text, mode.as_deref())?;
            Some(text)
        }
        Edit::Caption => {
            let caption = p.str("caption");
            if let Some(c) = &caption {
                check_caption(&limits, c, mode.as_deref())?;
            }
            caption
        }
        Edit::Markup => msg.text.clone(),
    };
    if new_text == msg.text && markup == msg.reply_markup {
        return Err(ApiError::bad_request(NOT_MODIFIED));
    }
    if limits.count_edits {
        let is_group = st.chat(chat).is_group();
        st.bot_mut(token)
            .limiter
            .admit(&limits, chat, is_group, false, Instant::now())
            .map_err(ApiError::too_many_requests)?;
    }
    let msg = st.message_mut(chat, message_id).expect("target checked it");
    msg.history.push(Revision {
        text: msg.text.clone(),
        reply_markup: msg.reply_markup.clone(),
        replaced_at_unix_ms: unix_ms(SystemTime::now()),
    });
    msg.text = new_text;
    msg.reply_markup = markup;
    if what != Edit::Markup {
        msg.parse_mode = mode;
    }
    let msg = msg.clone();
    let answer = json::sent_message(&msg, st.chat(chat), &st.users[&msg.bot_id]);
    drop(st);
    sh.changed.notify_waiters();
    Ok(answer)
}

/// `deleteMessage`: the record stays, marked deleted.
pub(super) fn delete(sh: &Shared, token: &str, p: &Params) -> Result<Value, ApiError> {
    let mut st = sh.lock();
    let (chat, id) = target(&st, token, p, "message to delete not found")?;
    st.message_mut(chat, id).expect("target checked it").deleted = true;
    drop(st);
    sh.changed.notify_waiters();
    Ok(Value::Bool(true))
}

/// `pinChatMessage`.
pub(super) fn pin(sh: &Shared, token: &str, p: &Params) -> Result<Value, ApiError> {
    let mut st = sh.lock();
    let (chat, id) = target(&st, token, p, "message to pin not found")?;
    st.message_mut(chat, id).expect("target checked it").pinned = true;
    Ok(Value::Bool(true))
}

/// The chat and message a call names, which must be a live message of this
/// bot in a chat it can still reach.
fn target(st: &State, token: &str, p: &Params, not_found: &str) -> Result<(ChatId, i32), ApiError> {
    if p.get("inline_message_id").is_some() {
        return Err(ApiError::bad_request("inline messages are not simulated"));
    }
    let chat = st.resolve_chat(&chat_param(p)?)?;
    let bot_id = st
        .bot(token)
        .map(|b| b.user.id)
        .ok_or_else(ApiError::unauthorized)?;
    if let Some(e) = st.send_error(bot_id, chat) {
        return Err(e);
    }
    let id = i32::try_from(p.need_i64("message_id")?)
        .map_err(|_| ApiError::bad_request("invalid message_id specified"))?;
    let idx = st.message_index.get(&(chat, id));
    match idx.map(|&i| &st.messages[i]) {
        Some(m) if !m.deleted && m.bot_id == bot_id => Ok((chat, id)),
        _ => Err(ApiError::bad_request(not_found)),
    }
}
