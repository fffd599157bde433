//! The simulated world behind one lock: bots, users, chats, delivered
//! messages. Handlers take the lock briefly and never across an await.

use std::{
    collections::{HashMap, VecDeque},
    sync::Arc,
};

use serde_json::Value;
use tokio::sync::Notify;

use crate::{
    error::ApiError,
    faults::FaultState,
    limits::{Limits, RateLimiter},
    model::{
        BotUser, CallbackAnswer, ChatId, ChatKind, ChatState, CommandSet, MemberStatus, SentKind,
        SentMessage, Stats, UploadedFile, UserId,
    },
};

/// A registered bot and everything kept per token.
pub(crate) struct Bot {
    pub user: BotUser,
    /// Updates not yet confirmed by an offset.
    pub updates: VecDeque<Value>,
    pub next_update_id: i64,
    /// Wakes a long poll when an update is pushed.
    pub notify: Arc<Notify>,
    /// The last `allowed_updates` the bot gave; Telegram remembers it.
    pub allowed_updates: Option<Vec<String>>,
    pub limiter: RateLimiter,
    pub stats: Stats,
    pub commands: Vec<CommandSet>,
    /// Set by `setWebhook`: updates are then pushed by POST, and `getUpdates`
    /// answers 409.
    pub webhook: Option<Webhook>,
    /// Bumped by every `setWebhook`/`deleteWebhook`, so an old pusher stops.
    pub webhook_generation: u64,
    /// The last failed webhook delivery (Unix seconds, description).
    pub webhook_error: Option<(i64, String)>,
    /// Whether a `getUpdates` call is in progress: Telegram answers a second,
    /// concurrent one with 409.
    pub polling: bool,
}

/// A webhook as `setWebhook` registered it.
#[derive(Clone, Debug)]
pub(crate) struct Webhook {
    pub url: String,
    /// Sent back in `X-Telegram-Bot-Api-Secret-Token` with every update.
    pub secret: Option<String>,
}

/// A user (bots included, so `getChatMember` can answer about them).
pub(crate) struct User {
    pub id: UserId,
    pub first_name: String,
    pub username: Option<String>,
    pub is_bot: bool,
}

/// A chat and who is in it.
pub(crate) struct Chat {
    pub id: ChatId,
    pub kind: ChatKind,
    pub title: String,
    pub state: ChatState,
    pub members: HashMap<UserId, MemberStatus>,
    /// Set once a group became a supergroup: every call to it fails.
    pub migrated_to: Option<ChatId>,
    pub next_message_id: i32,
}

impl Chat {
    /// Groups and supergroups share the 20-per-minute limit.
    pub fn is_group(&self) -> bool {
        matches!(self.kind, ChatKind::Group | ChatKind::Supergroup { .. })
    }

    /// The public `@username` a channel can be addressed by.
    pub fn username(&self) -> Option<&str> {
        match &self.kind {
            ChatKind::Channel { username } => username.as_deref(),
            _ => None,
        }
    }

    /// Telegram's error for a send to this chat in `state`, if any.
    pub fn state_error(&self, state: ChatState) -> Option<ApiError> {
        let kind = self.kind.type_name();
        match state {
            ChatState::Normal => None,
            ChatState::Blocked => Some(ApiError::forbidden("bot was blocked by the user")),
            ChatState::Kicked => Some(ApiError::forbidden(format!(
                "bot was kicked from the {kind} chat"
            ))),
            ChatState::Deleted => Some(ApiError::chat_not_found()),
            ChatState::Deactivated => Some(ApiError::forbidden("user is deactivated")),
        }
    }

    pub fn take_message_id(&mut self) -> i32 {
        self.next_message_id += 1;
        self.next_message_id
    }
}

/// Everything the simulator knows.
pub(crate) struct State {
    pub bots: HashMap<String, Bot>,
    pub users: HashMap<UserId, User>,
    pub chats: HashMap<ChatId, Chat>,
    pub messages: Vec<SentMessage>,
    /// (chat, message id) → index into `messages`.
    pub message_index: HashMap<(ChatId, i32), usize>,
    pub callback_answers: Vec<CallbackAnswer>,
    /// Known file ids and what they hold, so a resent id is accepted.
    pub files: HashMap<String, SentKind>,
    /// Every uploaded file, in upload order.
    pub uploads: Vec<UploadedFile>,
    pub limits: Limits,
    pub faults: FaultState,
    /// Methods (lowercase) answered with 400 and this description until allowed
    /// again: a Bot API that refuses a call outright.
    pub refused: HashMap<String, String>,
    pub next_id: i64,
}

impl State {
    pub fn new(limits: Limits, faults: FaultState) -> Self {
        Self {
            bots: HashMap::new(),
            users: HashMap::new(),
            chats: HashMap::new(),
            messages: Vec::new(),
            message_index: HashMap::new(),
            callback_answers: Vec::new(),
            files: HashMap::new(),
            uploads: Vec::new(),
            limits,
            refused: HashMap::new(),
            faults,
            next_id: 0,
        }
    }

    /// A fresh number for ids of every kind; one counter keeps them distinct.
    pub fn take_id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn bot(&self, token: &str) -> Option<&Bot> {
        self.bots.get(token)
    }

    pub fn bot_mut(&mut self, token: &str) -> &mut Bot {
        self.bots
            .get_mut(token)
            .unwrap_or_else(|| panic!("unknown bot token"))
    }

    pub fn chat(&self, id: ChatId) -> &Chat {
        self.chats
            .get(&id)
            .unwrap_or_else(|| panic!("unknown chat {}", id.0))
    }

    pub fn chat_mut(&mut self, id: ChatId) -> &mut Chat {
        self.chats
            .get_mut(&id)
            .unwrap_or_else(|| panic!("unknown chat {}", id.0))
    }

    /// Resolves `chat_id` (a number or `@username`) for a call by `bot`,
    /// refusing migrated and unknown chats as Telegram does.
    pub fn resolve_chat(&self, chat_id: &Value) -> Result<ChatId, ApiError> {
        let id = match chat_id {
            Value::Number(n) => n.as_i64().map(ChatId),
            Value::String(s) if s.starts_with('@') => self
                .chats
                .values()
                .find(|c| {
                    c.username()
                        .is_some_and(|u| u.eq_ignore_ascii_case(&s[1..]))
                })
                .map(|c| c.id),
            Value::String(s) => s.trim().parse().ok().map(ChatId),
            _ => None,
        };
        let chat = id
            .and_then(|id| self.chats.get(&id))
            .ok_or_else(ApiError::chat_not_found)?;
        if let Some(to) = chat.migrated_to {
            return Err(ApiError::migrated(to));
        }
        if chat.state == ChatState::Deleted {
            return Err(ApiError::chat_not_found());
        }
        Ok(chat.id)
    }

    /// The error a send from `bot` to `chat` meets, from the chat's state or
    /// the bot's own membership (removed bots cannot post).
    pub fn send_error(&self, bot: UserId, chat: ChatId) -> Option<ApiError> {
        let c = self.chat(chat);
        if let Some(e) = c.state_error(c.state) {
            return Some(e);
        }
        let kind = c.kind.type_name();
        let private = matches!(c.kind, ChatKind::Private { .. });
        match c.members.get(&bot) {
            Some(MemberStatus::Kicked) if private => {
                Some(ApiError::forbidden("bot was blocked by the user"))
            }
            Some(MemberStatus::Kicked) => Some(ApiError::forbidden(format!(
                "bot was kicked from the {kind} chat"
            ))),
            Some(MemberStatus::Left) => Some(ApiError::forbidden(format!(
                "bot is not a member of the {kind} chat"
            ))),
            _ => None,
        }
    }

    /// Queues `update` (without its id) for the bot, unless the bot's
    /// `allowed_updates` excludes its kind, and wakes a waiting poll.
    pub fn push_update(&mut self, token: &str, mut update: Value) {
        let bot = self.bot_mut(token);
        let kind = update
            .as_object()
            .and_then(|o| o.keys().find(|k| *k != "update_id").cloned())
            .unwrap_or_default();
        if !update_allowed(bot.allowed_updates.as_deref(), &kind) {
            return;
        }
        bot.next_update_id += 1;
        update["update_id"] = bot.next_update_id.into();
        bot.updates.push_back(update);
        bot.notify.notify_waiters();
    }

    /// Records a delivered message and indexes it.
    pub fn record(&mut self, msg: SentMessage) {
        self.message_index
            .insert((msg.chat_id, msg.message_id), self.messages.len());
        self.messages.push(msg);
    }

    /// A delivered message, for edits, deletes and button presses.
    pub fn message_mut(&mut self, chat: ChatId, id: i32) -> Option<&mut SentMessage> {
        let i = *self.message_index.get(&(chat, id))?;
        self.messages.get_mut(i)
    }
}

/// Telegram's default excludes `chat_member` and reactions.
fn update_allowed(allowed: Option<&[String]>, kind: &str) -> bool {
    match allowed {
        Some(list) if !list.is_empty() => list.iter().any(|a| a == kind),
        _ => !matches!(
            kind,
            "chat_member" | "message_reaction" | "message_reaction_count"
        ),
    }
}
