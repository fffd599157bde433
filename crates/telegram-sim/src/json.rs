//! Telegram objects as JSON, shaped as teloxide-core 0.13 deserializes them
//! (required fields present, optional ones omitted rather than null).

use serde_json::{Map, Value, json};

use crate::{
    model::{ChatKind, MemberStatus, SentKind, SentMessage, unix_now},
    state::{Chat, User},
};

/// A `User`.
pub(crate) fn user(u: &User) -> Value {
    let mut v = json!({ "id": u.id.0, "is_bot": u.is_bot, "first_name": u.first_name });
    if let Some(name) = &u.username {
        v["username"] = name.clone().into();
    }
    v
}

/// A `Chat`: private chats carry names, the others a title.
pub(crate) fn chat(c: &Chat) -> Value {
    let mut v = json!({ "id": c.id.0, "type": c.kind.type_name() });
    match &c.kind {
        ChatKind::Private {
            first_name,
            username,
        } => {
            v["first_name"] = first_name.clone().into();
            if let Some(u) = username {
                v["username"] = u.clone().into();
            }
        }
        ChatKind::Group => v["title"] = c.title.clone().into(),
        ChatKind::Supergroup { is_forum } => {
            v["title"] = c.title.clone().into();
            if *is_forum {
                v["is_forum"] = true.into();
            }
        }
        ChatKind::Channel { username } => {
            v["title"] = c.title.clone().into();
            if let Some(u) = username {
                v["username"] = u.clone().into();
            }
        }
    }
    v
}

/// A `ChatFullInfo` for `getChat`: the chat plus the fields teloxide requires.
pub(crate) fn chat_full(c: &Chat) -> Value {
    let mut v = chat(c);
    v["accent_color_id"] = 0.into();
    v["max_reaction_count"] = 11.into();
    v["accepted_gift_types"] = json!({
        "unlimited_gifts": false,
        "limited_gifts": false,
        "unique_gifts": false,
        "premium_subscription": false,
    });
    v
}

/// A `ChatMember`; administrators get every right, with the channel-only
/// ones in channels.
pub(crate) fn member(u: &User, status: MemberStatus, kind: &ChatKind) -> Value {
    let mut v = json!({ "user": user(u) });
    let status_name = match status {
        MemberStatus::Creator => {
            v["is_anonymous"] = false.into();
            "creator"
        }
        MemberStatus::Administrator => {
            for right in [
                "can_be_edited",
                "is_anonymous",
                "can_post_stories",
                "can_edit_stories",
                "can_delete_stories",
            ] {
                v[right] = false.into();
            }
            for right in [
                "can_manage_chat",
                "can_change_info",
                "can_delete_messages",
                "can_invite_users",
                "can_restrict_members",
                "can_pin_messages",
                "can_promote_members",
                "can_manage_video_chats",
            ] {
                v[right] = true.into();
            }
            if matches!(kind, ChatKind::Channel { .. }) {
                v["can_post_messages"] = true.into();
                v["can_edit_messages"] = true.into();
            }
            "administrator"
        }
        MemberStatus::Member => "member",
        MemberStatus::Left => "left",
        MemberStatus::Kicked => {
            v["until_date"] = 0.into();
            "kicked"
        }
    };
    v["status"] = status_name.into();
    v
}

/// A `ChatMemberUpdated` about `subject` moving from `old` to `new`.
pub(crate) fn member_updated(
    c: &Chat,
    by: &User,
    subject: &User,
    old: MemberStatus,
    new: MemberStatus,
) -> Value {
    json!({
        "chat": chat(c),
        "from": user(by),
        "date": unix_now(),
        "old_chat_member": member(subject, old, &c.kind),
        "new_chat_member": member(subject, new, &c.kind),
    })
}

/// The `Message` a bot's delivery is, as the send and edit methods return it.
/// Channel posts have `sender_chat` instead of `from`.
pub(crate) fn sent_message(m: &SentMessage, c: &Chat, bot: &User) -> Value {
    let mut v = Map::new();
    v.insert("message_id".into(), m.message_id.into());
    v.insert("date".into(), (m.at_unix_ms / 1000).into());
    v.insert("chat".into(), chat(c));
    if matches!(c.kind, ChatKind::Channel { .. }) {
        v.insert("sender_chat".into(), chat(c));
    } else {
        v.insert("from".into(), user(bot));
    }
    if let Some(t) = m.thread_id {
        v.insert("message_thread_id".into(), t.into());
    }
    if let Some(last) = m.history.last() {
        v.insert("edit_date".into(), (last.replaced_at_unix_ms / 1000).into());
    }
    let text = m.text.clone().map(|t| visible(&t, m.parse_mode.as_deref()));
    let file = |ext: Value| {
        let mut f = json!({
            "file_id": m.file_id,
            "file_unique_id": format!("u{}", m.file_id.as_deref().unwrap_or_default()),
            "file_size": 1024,
        });
        if let (Value::Object(f), Value::Object(ext)) = (&mut f, ext) {
            f.extend(ext);
        }
        f
    };
    match m.kind {
        SentKind::Text => {
            v.insert("text".into(), text.clone().unwrap_or_default().into());
        }
        SentKind::Photo => {
            v.insert(
                "photo".into(),
                json!([file(json!({"width": 1280, "height": 720}))]),
            );
        }
        SentKind::Animation => {
            let anim = file(json!({
                "width": 480, "height": 270, "duration": 3, "mime_type": "video/mp4",
            }));
            v.insert("animation".into(), anim);
        }
    }
    if m.kind != SentKind::Text
        && let Some(caption) = text
    {
        v.insert("caption".into(), caption.into());
    }
    if let Some(markup) = &m.reply_markup {
        v.insert("reply_markup".into(), markup.clone());
    }
    Value::Object(v)
}

/// Telegram returns the text with markup removed (and entities beside it).
fn visible(text: &str, parse_mode: Option<&str>) -> String {
    match parse_mode {
        Some(m) if m.eq_ignore_ascii_case("html") => {
            crate::html::visible_text(text).unwrap_or_else(|_| text.to_owned())
        }
        _ => text.to_owned(),
    }
}

/// A message a user sends, with a `bot_command` entity for a leading `/cmd`.
pub(crate) fn user_message(message_id: i32, c: &Chat, from: &User, text: &str) -> Value {
    let mut v = json!({
        "message_id": message_id,
        "date": unix_now(),
        "chat": chat(c),
        "from": user(from),
        "text": text,
    });
    if text.starts_with('/') {
        let len = text
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .encode_utf16()
            .count();
        v["entities"] = json!([{ "type": "bot_command", "offset": 0, "length": len }]);
    }
    v
}
