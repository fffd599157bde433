//! `sendMessage`, `sendPhoto`, `sendAnimation`: the calls that deliver, and
//! so the ones the flood limits, chat states and queued faults apply to.

use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use super::{Failure, chat_param};
use crate::{
    error::ApiError,
    faults::{Fault, fault_error},
    html, json,
    limits::Limits,
    model::{ChatId, SentKind, SentMessage, UploadedFile, unix_ms},
    params::Params,
    shared::Shared,
    state::State,
};

/// Delivers one message of `kind` for the bot with `token`.
pub(super) async fn send(
    sh: &Shared,
    token: &str,
    kind: SentKind,
    p: &Params,
) -> Result<Value, Failure> {
    let chat_id = chat_param(p)?;
    let (chat, queued) = {
        let mut st = sh.lock();
        let chat = st.resolve_chat(&chat_id)?;
        (chat, st.faults.take(chat))
    };
    let late = match queued {
        Some(Fault::LateAnswer { ms }) => Some(Duration::from_millis(ms)),
        Some(fault) => {
            apply_queued(sh, token, chat, fault).await?;
            None
        }
        None => None,
    };
    let answer = deliver(sh, token, kind, p, chat, late.is_some())?;
    if let Some(late) = late {
        tokio::time::sleep(late).await;
    }
    Ok(answer)
}

/// The delivery itself, under the lock: checks, limits, the record, the answer.
fn deliver(
    sh: &Shared,
    token: &str,
    kind: SentKind,
    p: &Params,
    chat: ChatId,
    late: bool,
) -> Result<Value, Failure> {
    let mut st = sh.lock();
    let text = content(&st.limits, kind, p)?;
    let bot_id = st
        .bot(token)
        .map(|b| b.user.id)
        .ok_or_else(ApiError::unauthorized)?;
    if let Some(e) = st.send_error(bot_id, chat) {
        return Err(e.into());
    }
    let (file_id, upload) = media(&mut st, kind, p)?;
    let uploaded = upload.is_some();
    let (limits, is_group, paid) = (
        st.limits.clone(),
        st.chat(chat).is_group(),
        p.bool("allow_paid_broadcast"),
    );
    let now = Instant::now();
    st.bot_mut(token)
        .limiter
        .admit(&limits, chat, is_group, paid, now)
        .map_err(ApiError::too_many_requests)?;
    let msg = SentMessage {
        bot_id,
        chat_id: chat,
        message_id: st.chat_mut(chat).take_message_id(),
        kind,
        text,
        parse_mode: p.str("parse_mode"),
        thread_id: p.i64("message_thread_id")?,
        disable_notification: p.bool("disable_notification"),
        reply_markup: p.json("reply_markup")?,
        file_id,
        uploaded,
        paid_broadcast: paid,
        at: now,
        at_unix_ms: unix_ms(SystemTime::now()),
        history: Vec::new(),
        deleted: false,
        pinned: false,
    };
    let answer = json::sent_message(&msg, st.chat(chat), &st.users[&bot_id]);
    st.record(msg);
    let stats = &mut st.bot_mut(token).stats;
    stats.delivered += 1;
    stats.uploads += u64::from(uploaded);
    stats.upload_bytes += upload.unwrap_or(0) as u64;
    stats.late_answers += u64::from(late);
    drop(st);
    sh.changed.notify_waiters();
    Ok(answer)
}

/// Carries out a one-shot fault a test queued for this chat; a slow one
/// lets the send go on afterwards.
async fn apply_queued(sh: &Shared, token: &str, chat: ChatId, fault: Fault) -> Result<(), Failure> {
    match fault {
        Fault::Drop => Err(Failure::Drop),
        Fault::Slow { ms } => {
            if let Some(bot) = sh.lock().bots.get_mut(token) {
                bot.stats.slowed += 1;
            }
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(())
        }
        other => {
            let st = sh.lock();
            let c = st.chat(chat);
            Err(fault_error(&other, |s| {
                c.state_error(s).unwrap_or_else(ApiError::internal)
            })
            .into())
        }
    }
}

/// The text (or caption) of a send, checked as Telegram checks it.
fn content(limits: &Limits, kind: SentKind, p: &Params) -> Result<Option<String>, ApiError> {
    let parse_mode = p.str("parse_mode");
    if kind == SentKind::Text {
        let text = p.str("text").unwrap_or_default();
        check_text(limits, &text, parse_mode.as_deref())?;
        Ok(Some(text))
    } else {
        let caption = p.str("caption");
        if let Some(c) = &caption {
            check_caption(limits, c, parse_mode.as_deref())?;
        }
        Ok(caption)
    }
}

/// Refuses empty, unparsable or too long message text.
pub(super) fn check_text(limits: &Limits, text: &str, mode: Option<&str>) -> Result<(), ApiError> {
    let len = visible_len(text, mode)?;
    if len == 0 || text.trim().is_empty() {
        return Err(ApiError::bad_request("message text is empty"));
    }
    if len > limits.max_text_chars {
        return Err(ApiError::bad_request("message is too long"));
    }
    Ok(())
}

/// Refuses unparsable or too long captions.
pub(super) fn check_caption(
    limits: &Limits,
    text: &str,
    mode: Option<&str>,
) -> Result<(), ApiError> {
    if visible_len(text, mode)? > limits.max_caption_chars {
        return Err(ApiError::bad_request("message caption is too long"));
    }
    Ok(())
}

fn visible_len(text: &str, mode: Option<&str>) -> Result<usize, ApiError> {
    html::visible_len(text, mode)
        .map_err(|e| ApiError::bad_request(format!("can't parse entities: {e}")))
}

/// The file id the result carries and the bytes uploaded, if this call
/// uploaded the media: uploads and URLs get a new id, a known file id is
/// reused.
fn media(
    st: &mut State,
    kind: SentKind,
    p: &Params,
) -> Result<(Option<String>, Option<usize>), ApiError> {
    let field = match kind {
        SentKind::Text => return Ok((None, None)),
        SentKind::Photo => "photo",
        SentKind::Animation => "animation",
    };
    let value = p.str(field);
    let attached = value.as_deref().and_then(|v| v.strip_prefix("attach://"));
    let upload = match attached {
        Some(name) => p.file(name),
        None => p.file(field),
    };
    let (prefix, uploaded) = match (upload, value.as_deref()) {
        (Some(u), _) => {
            // Telegram's limits for bots: 10 MB for a photo, 50 MB for other files.
            let limit = if kind == SentKind::Photo {
                10 << 20
            } else {
                50 << 20
            };
            if u.bytes.len() > limit {
                return Err(ApiError::bad_request("file is too big"));
            }
            if u.bytes.is_empty() {
                return Err(ApiError::bad_request("file must be non-empty"));
            }
            ("upload", Some(u))
        }
        (None, Some(v)) if v.starts_with("http://") || v.starts_with("https://") => ("url", None),
        (None, Some(v)) if st.files.get(v) == Some(&kind) => return Ok((Some(v.to_owned()), None)),
        (None, Some(_)) => {
            return Err(ApiError::bad_request(
                "wrong file identifier/HTTP URL specified",
            ));
        }
        (None, None) => {
            return Err(ApiError::bad_request(format!(
                "there is no {field} in the request"
            )));
        }
    };
    let id = format!("sim-{field}-{prefix}-{}", st.take_id());
    st.files.insert(id.clone(), kind);
    let size = uploaded.map(|u| u.bytes.len());
    if let Some(u) = uploaded {
        st.uploads.push(UploadedFile {
            file_id: id.clone(),
            kind,
            file_name: u.file_name.clone(),
            size: u.bytes.len(),
            bytes: u.bytes.to_vec(),
            width: p.i64("width")?,
            height: p.i64("height")?,
            duration: p.i64("duration")?,
        });
    }
    Ok((Some(id), size))
}
