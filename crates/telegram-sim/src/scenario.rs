//! What users and Telegram do to a bot, turned into updates on its
//! `getUpdates` queue: membership changes, messages, button presses,
//! migrations.

use serde_json::{Value, json};

use crate::{
    json,
    model::{ChatId, ChatKind, MemberStatus, UserId},
    sim::{TelegramSim, chat_like},
    state::{State, User},
};

/// Telegram's stand-in sender of the supergroup's first service message.
const GROUP_ANONYMOUS_BOT: i64 = 1_087_968_824;

impl TelegramSim {
    /// The bot is added to `chat` by `by`: a `my_chat_member` update from
    /// left to member (or administrator).
    pub fn bot_added_to_chat(&self, token: &str, chat: ChatId, by: UserId, as_admin: bool) {
        let status = if as_admin {
            MemberStatus::Administrator
        } else {
            MemberStatus::Member
        };
        self.change_bot_status(token, chat, by, status);
    }

    /// The bot is removed (or banned): a `my_chat_member` update to left or
    /// kicked; later sends to the chat get 403.
    pub fn bot_removed_from_chat(&self, token: &str, chat: ChatId, by: UserId, kicked: bool) {
        let status = if kicked {
            MemberStatus::Kicked
        } else {
            MemberStatus::Left
        };
        self.change_bot_status(token, chat, by, status);
    }

    /// The user of a private chat blocks the bot: `my_chat_member` to kicked,
    /// then 403 "bot was blocked by the user" for this bot.
    pub fn user_blocks_bot(&self, token: &str, private_chat: ChatId) {
        self.change_bot_status(
            token,
            private_chat,
            UserId(private_chat.0),
            MemberStatus::Kicked,
        );
    }

    fn change_bot_status(&self, token: &str, chat: ChatId, by: UserId, new: MemberStatus) {
        let mut st = self.shared.lock();
        let bot_id = st.bot(token).expect("unknown bot token").user.id;
        let c = st.chat(chat);
        // A user chatting with the bot has started it; elsewhere it starts outside.
        let absent = match c.kind {
            ChatKind::Private { .. } => MemberStatus::Member,
            _ => MemberStatus::Left,
        };
        let old = c.members.get(&bot_id).copied().unwrap_or(absent);
        let update = json::member_updated(c, user(&st, by), user(&st, bot_id), old, new);
        st.chat_mut(chat).members.insert(bot_id, new);
        st.push_update(token, json!({ "my_chat_member": update }));
    }

    /// Upgrades a basic group to a new supergroup. Bots in the group get the
    /// two service messages; calls naming the old id then fail with
    /// `migrate_to_chat_id`.
    pub fn migrate_group(&self, chat: ChatId) -> ChatId {
        let mut st = self.shared.lock();
        let new_id = ChatId(-(1_001_000_000_000 + st.take_id()));
        let old = st.chat(chat);
        assert!(old.kind == ChatKind::Group, "only basic groups migrate");
        let new = chat_like(old, new_id, ChatKind::Supergroup { is_forum: false });
        let upgrader = old
            .members
            .iter()
            .find(|(_, s)| **s == MemberStatus::Creator)
            .map(|(id, _)| *id)
            .unwrap_or(UserId(GROUP_ANONYMOUS_BOT));
        st.chats.insert(new_id, new);
        st.users
            .entry(UserId(GROUP_ANONYMOUS_BOT))
            .or_insert_with(|| User {
                id: UserId(GROUP_ANONYMOUS_BOT),
                first_name: "Group".into(),
                username: Some("GroupAnonymousBot".into()),
                is_bot: true,
            });
        let bots = bots_in(&st, chat);
        let old_msg_id = st.chat_mut(chat).take_message_id();
        let new_msg_id = st.chat_mut(new_id).take_message_id();
        let mut to = json::user_message(old_msg_id, st.chat(chat), user(&st, upgrader), "");
        to.as_object_mut().map(|o| o.remove("text"));
        to["migrate_to_chat_id"] = new_id.0.into();
        let new_chat = st.chat(new_id);
        let anon = user(&st, UserId(GROUP_ANONYMOUS_BOT));
        let mut from = json::user_message(new_msg_id, new_chat, anon, "");
        from.as_object_mut().map(|o| o.remove("text"));
        from["migrate_from_chat_id"] = chat.0.into();
        from["sender_chat"] = json::chat(new_chat);
        st.chat_mut(chat).migrated_to = Some(new_id);
        for token in bots {
            st.push_update(&token, json!({ "message": to }));
            st.push_update(&token, json!({ "message": from }));
        }
        new_id
    }

    /// A user's text message (a leading `/cmd` gets a `bot_command` entity);
    /// returns its message id.
    pub fn send_text(&self, token: &str, chat: ChatId, from: UserId, text: &str) -> i32 {
        let mut st = self.shared.lock();
        let id = st.chat_mut(chat).take_message_id();
        let msg = json::user_message(id, st.chat(chat), user(&st, from), text);
        st.push_update(token, json!({ "message": msg }));
        id
    }

    /// A user presses an inline button under the bot's message; returns the
    /// callback query id the bot must answer.
    pub fn press_button(
        &self,
        token: &str,
        chat: ChatId,
        message_id: i32,
        from: UserId,
        data: &str,
    ) -> String {
        let mut st = self.shared.lock();
        let id = format!("cb{}", st.take_id());
        let msg = st
            .message_mut(chat, message_id)
            .expect("no such bot message")
            .clone();
        let message = json::sent_message(&msg, st.chat(chat), user(&st, msg.bot_id));
        let query = json!({
            "id": id,
            "from": json::user(user(&st, from)),
            "message": message,
            "chat_instance": format!("ci{}", chat.0),
            "data": data,
        });
        st.push_update(token, json!({ "callback_query": query }));
        id
    }

    /// Pushes any update (its `update_id` is assigned here), for shapes the
    /// helpers above do not make.
    pub fn push_raw_update(&self, token: &str, update: Value) {
        self.shared.lock().push_update(token, update);
    }
}

/// A known user; tests passing an unknown id is a bug in the test.
fn user(st: &State, id: UserId) -> &User {
    st.users
        .get(&id)
        .unwrap_or_else(|| panic!("unknown user {}", id.0))
}

/// Tokens of the bots present in `chat`.
fn bots_in(st: &State, chat: ChatId) -> Vec<String> {
    let members = &st.chat(chat).members;
    st.bots
        .iter()
        .filter(|(_, b)| {
            matches!(
                members.get(&b.user.id),
                Some(MemberStatus::Member | MemberStatus::Administrator | MemberStatus::Creator)
            )
        })
        .map(|(t, _)| t.clone())
        .collect()
}
