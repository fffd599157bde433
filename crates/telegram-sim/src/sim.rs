//! `TelegramSim`, the handle tests hold: build the world, set limits and faults,
//! read back what was delivered. `server` starts it (`TelegramSim::start`) over
//! the `shared` state it hands to every handle.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use tokio::sync::Notify;

use crate::{
    faults::{Fault, Faults},
    limits::Limits,
    model::{
        BotUser, CallbackAnswer, ChatId, ChatKind, ChatState, CommandSet, MemberStatus,
        SentMessage, Stats, UploadedFile, UserId,
    },
    shared::Shared,
    state::{Bot, Chat, User},
};

/// How the simulator starts; the default behaves like Telegram.
#[derive(Clone, Debug, Default)]
pub struct SimConfig {
    /// Flood and length limits.
    pub limits: Limits,
    /// Random faults (none by default).
    pub faults: Faults,
}

/// A running simulator: a cheap handle to clone into tasks. The server runs
/// on the tokio runtime that started it and ends with it.
#[derive(Clone)]
pub struct TelegramSim {
    pub(crate) shared: Arc<Shared>,
}

impl TelegramSim {
    /// A handle over state the server already shares (the control API's).
    pub(crate) fn from_shared(shared: Arc<Shared>) -> Self {
        TelegramSim { shared }
    }

    /// The base URL for teloxide's `set_api_url` (ends with `/`).
    pub fn api_url(&self) -> String {
        format!("http://{}/", self.shared.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// Registers a bot; its id is the token's numeric prefix, as Telegram's.
    pub fn add_bot(&self, token: &str, username: &str) -> BotUser {
        let mut st = self.shared.lock();
        let prefix = token.split(':').next().and_then(|p| p.parse().ok());
        let id = UserId(prefix.unwrap_or_else(|| 7_000_000_000 + st.take_id()));
        let user = BotUser {
            id,
            username: username.to_owned(),
            first_name: username.to_owned(),
        };
        st.users.insert(
            id,
            User {
                id,
                first_name: username.into(),
                username: Some(username.into()),
                is_bot: true,
            },
        );
        st.bots.insert(
            token.to_owned(),
            Bot {
                user: user.clone(),
                updates: Default::default(),
                next_update_id: 0,
                notify: Arc::new(Notify::new()),
                allowed_updates: None,
                limiter: Default::default(),
                stats: Stats::default(),
                commands: Vec::new(),
                webhook: None,
                webhook_generation: 0,
                webhook_error: None,
                polling: false,
            },
        );
        user
    }

    /// Creates a user who can send messages and press buttons.
    pub fn create_user(&self, first_name: &str) -> UserId {
        let mut st = self.shared.lock();
        let id = UserId(100_000_000 + st.take_id());
        st.users.insert(
            id,
            User {
                id,
                first_name: first_name.into(),
                username: None,
                is_bot: false,
            },
        );
        id
    }

    /// Creates a chat with Telegram-like ids: a private chat's id is its
    /// (new) user's, groups are small negatives, the rest `-100…`.
    pub fn create_chat(&self, kind: ChatKind, title: &str) -> ChatId {
        let mut st = self.shared.lock();
        let n = st.take_id();
        let id = match &kind {
            ChatKind::Private {
                first_name,
                username,
            } => {
                let uid = UserId(100_000_000 + n);
                let user = User {
                    id: uid,
                    first_name: first_name.clone(),
                    username: username.clone(),
                    is_bot: false,
                };
                st.users.insert(uid, user);
                ChatId(uid.0)
            }
            ChatKind::Group => ChatId(-(400_000_000 + n)),
            ChatKind::Supergroup { .. } | ChatKind::Channel { .. } => {
                ChatId(-(1_001_000_000_000 + n))
            }
        };
        let mut chat = new_chat(id, kind, title);
        if id.0 > 0 {
            chat.members.insert(UserId(id.0), MemberStatus::Member);
        }
        st.chats.insert(id, chat);
        id
    }

    /// Sets a user's status in a chat, as `getChatMember` reports it.
    pub fn set_member_status(&self, chat: ChatId, user: UserId, status: MemberStatus) {
        self.shared
            .lock()
            .chat_mut(chat)
            .members
            .insert(user, status);
    }

    /// Imposes a chat-wide state; sends then fail with Telegram's error.
    pub fn set_chat_state(&self, chat: ChatId, state: ChatState) {
        self.shared.lock().chat_mut(chat).state = state;
    }

    /// Makes the next `n` sends to `chat` fail with `fault`, in order.
    pub fn fail_next(&self, chat: ChatId, n: usize, fault: Fault) {
        self.shared.lock().faults.queue(chat, n, fault);
    }

    /// Replaces the random faults (and reseeds them).
    pub fn set_faults(&self, faults: Faults) {
        self.shared.lock().faults.set(faults);
    }

    /// Makes every call of `method` (any case) answer 400 with `description`, as a
    /// Bot API that refuses it would; `None` accepts it again.
    pub fn refuse_method(&self, method: &str, description: Option<&str>) {
        let mut st = self.shared.lock();
        let method = method.to_ascii_lowercase();
        match description {
            Some(d) => {
                st.refused.insert(method, d.to_owned());
            }
            None => {
                st.refused.remove(&method);
            }
        }
    }

    /// Replaces the limits; windows already filled stay filled.
    pub fn set_limits(&self, limits: Limits) {
        self.shared.lock().limits = limits;
    }

    /// Messages delivered to `chat`, in delivery order.
    pub fn messages(&self, chat: ChatId) -> Vec<SentMessage> {
        let st = self.shared.lock();
        st.messages
            .iter()
            .filter(|m| m.chat_id == chat)
            .cloned()
            .collect()
    }

    /// Every delivered message, in delivery order.
    pub fn all_messages(&self) -> Vec<SentMessage> {
        self.shared.lock().messages.clone()
    }

    /// Every file bots uploaded (photos and animations sent as multipart), in
    /// upload order, with their bytes.
    pub fn uploaded_files(&self) -> Vec<UploadedFile> {
        self.shared.lock().uploads.clone()
    }

    /// The uploaded file a message's `file_id` names, if it was an upload.
    pub fn uploaded_file(&self, file_id: &str) -> Option<UploadedFile> {
        self.shared
            .lock()
            .uploads
            .iter()
            .find(|f| f.file_id == file_id)
            .cloned()
    }

    /// Every `answerCallbackQuery` call.
    pub fn callback_answers(&self) -> Vec<CallbackAnswer> {
        self.shared.lock().callback_answers.clone()
    }

    /// The command sets the bot registered with `setMyCommands`.
    pub fn commands(&self, token: &str) -> Vec<CommandSet> {
        self.shared
            .lock()
            .bot(token)
            .map(|b| b.commands.clone())
            .unwrap_or_default()
    }

    /// The bot's counters (all zero for an unknown token).
    pub fn stats(&self, token: &str) -> Stats {
        self.shared
            .lock()
            .bot(token)
            .map(|b| b.stats.clone())
            .unwrap_or_default()
    }

    /// Updates pushed to the bot and not yet confirmed by an offset.
    pub fn pending_updates(&self, token: &str) -> usize {
        self.shared.lock().bot(token).map_or(0, |b| b.updates.len())
    }

    /// Waits until `f` returns `Some` or `deadline` passes; re-checks on every
    /// delivery and at least every 50 ms, so tests need no fixed sleeps.
    pub async fn wait_for<T>(
        &self,
        deadline: Duration,
        f: impl Fn(&Self) -> Option<T>,
    ) -> Option<T> {
        let end = tokio::time::Instant::now() + deadline;
        loop {
            let changed = self.shared.changed.notified();
            if let Some(v) = f(self) {
                return Some(v);
            }
            let now = tokio::time::Instant::now();
            if now >= end {
                return None;
            }
            let nap = (end - now).min(Duration::from_millis(50));
            let _ = tokio::time::timeout(nap, changed).await;
        }
    }
}

/// A chat in its normal state with no members yet.
fn new_chat(id: ChatId, kind: ChatKind, title: &str) -> Chat {
    Chat {
        id,
        kind,
        title: title.to_owned(),
        state: ChatState::Normal,
        members: Default::default(),
        migrated_to: None,
        next_message_id: 0,
    }
}

pub(crate) fn chat_like(old: &Chat, id: ChatId, kind: ChatKind) -> Chat {
    let mut c = new_chat(id, kind, &old.title);
    c.members = old.members.clone();
    c
}
