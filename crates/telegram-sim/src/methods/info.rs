//! The read-mostly methods: who the bot is, chats and members, the command
//! menu, and answers to button presses.

use serde_json::{Value, json};

use super::chat_param;
use crate::{
    error::ApiError,
    json,
    model::{CallbackAnswer, CommandSet, MemberStatus, UserId},
    params::Params,
    shared::Shared,
};

/// `getMe`: the bot's user plus the capabilities teloxide's `Me` requires.
pub(super) fn get_me(sh: &Shared, token: &str) -> Value {
    let st = sh.lock();
    let id = st.bot(token).map(|b| b.user.id).unwrap_or(UserId(0));
    let mut me = st.users.get(&id).map(json::user).unwrap_or_default();
    me["can_join_groups"] = true.into();
    me["can_read_all_group_messages"] = false.into();
    me["supports_inline_queries"] = false.into();
    me["has_main_web_app"] = false.into();
    me
}

/// `getChat`.
pub(super) fn get_chat(sh: &Shared, p: &Params) -> Result<Value, ApiError> {
    let st = sh.lock();
    let chat = st.resolve_chat(&chat_param(p)?)?;
    Ok(json::chat_full(st.chat(chat)))
}

/// `getChatMember`: anyone never added is `left`.
pub(super) fn get_chat_member(sh: &Shared, p: &Params) -> Result<Value, ApiError> {
    let st = sh.lock();
    let chat = st.chat(st.resolve_chat(&chat_param(p)?)?);
    let user_id = UserId(p.need_i64("user_id")?);
    let user = st
        .users
        .get(&user_id)
        .ok_or_else(|| ApiError::bad_request("user not found"))?;
    let status = chat
        .members
        .get(&user_id)
        .copied()
        .unwrap_or(MemberStatus::Left);
    Ok(json::member(user, status, &chat.kind))
}

/// `getChatMemberCount`: creators, admins and members.
pub(super) fn member_count(sh: &Shared, p: &Params) -> Result<Value, ApiError> {
    let st = sh.lock();
    let chat = st.chat(st.resolve_chat(&chat_param(p)?)?);
    let present = chat.members.values().filter(|s| is_present(**s)).count();
    Ok(present.into())
}

/// `getChatAdministrators`, ordered by user id for stable answers.
pub(super) fn administrators(sh: &Shared, p: &Params) -> Result<Value, ApiError> {
    let st = sh.lock();
    let chat = st.chat(st.resolve_chat(&chat_param(p)?)?);
    let mut admins: Vec<_> = chat
        .members
        .iter()
        .filter(|(_, s)| matches!(s, MemberStatus::Creator | MemberStatus::Administrator))
        .collect();
    admins.sort_by_key(|(id, _)| **id);
    let list = admins
        .into_iter()
        .filter_map(|(id, s)| Some(json::member(st.users.get(id)?, *s, &chat.kind)))
        .collect();
    Ok(Value::Array(list))
}

fn is_present(s: MemberStatus) -> bool {
    matches!(
        s,
        MemberStatus::Creator | MemberStatus::Administrator | MemberStatus::Member
    )
}

/// The `scope` and `language_code` that key a command set.
fn command_key(p: &Params) -> Result<(Value, Option<String>), ApiError> {
    let scope = p
        .json("scope")?
        .unwrap_or_else(|| json!({ "type": "default" }));
    Ok((scope, p.str("language_code").filter(|l| !l.is_empty())))
}

/// `setMyCommands`: replaces the set for its scope and language.
pub(super) fn set_my_commands(sh: &Shared, token: &str, p: &Params) -> Result<Value, ApiError> {
    let commands = p
        .json("commands")?
        .ok_or_else(|| ApiError::bad_request("commands is empty"))?;
    let commands = commands
        .as_array()
        .cloned()
        .ok_or_else(|| ApiError::bad_request("invalid commands specified"))?;
    let (scope, language_code) = command_key(p)?;
    let mut st = sh.lock();
    let bot = st.bots.get_mut(token).ok_or_else(ApiError::unauthorized)?;
    bot.commands
        .retain(|c| c.scope != scope || c.language_code != language_code);
    bot.commands.push(CommandSet {
        scope,
        language_code,
        commands,
    });
    Ok(Value::Bool(true))
}

/// `getMyCommands`.
pub(super) fn get_my_commands(sh: &Shared, token: &str, p: &Params) -> Result<Value, ApiError> {
    let (scope, language_code) = command_key(p)?;
    let st = sh.lock();
    let bot = st.bot(token).ok_or_else(ApiError::unauthorized)?;
    let set = bot
        .commands
        .iter()
        .find(|c| c.scope == scope && c.language_code == language_code);
    Ok(Value::Array(
        set.map(|c| c.commands.clone()).unwrap_or_default(),
    ))
}

/// `deleteMyCommands`.
pub(super) fn delete_my_commands(sh: &Shared, token: &str, p: &Params) -> Result<Value, ApiError> {
    let (scope, language_code) = command_key(p)?;
    let mut st = sh.lock();
    let bot = st.bots.get_mut(token).ok_or_else(ApiError::unauthorized)?;
    bot.commands
        .retain(|c| c.scope != scope || c.language_code != language_code);
    Ok(Value::Bool(true))
}

/// `answerCallbackQuery`: recorded for tests.
pub(super) fn answer_callback(sh: &Shared, token: &str, p: &Params) -> Result<Value, ApiError> {
    let callback_query_id = p.need_str("callback_query_id")?;
    let mut st = sh.lock();
    let bot_id = st
        .bot(token)
        .map(|b| b.user.id)
        .ok_or_else(ApiError::unauthorized)?;
    st.callback_answers.push(CallbackAnswer {
        bot_id,
        callback_query_id,
        text: p.str("text"),
        show_alert: p.bool("show_alert"),
    });
    drop(st);
    sh.changed.notify_waiters();
    Ok(Value::Bool(true))
}
