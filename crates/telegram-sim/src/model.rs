//! The public vocabulary of the simulator: ids, chat kinds, member statuses and
//! the records tests read back.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A chat id as Telegram spells it: positive for private chats, small negative
/// for basic groups, `-100…` for supergroups and channels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChatId(pub i64);

/// A user id; bots are users too, their id is the token's prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub i64);

/// What a test asks for when it creates a chat; the id scheme and the JSON
/// `type` follow from it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChatKind {
    /// A one-to-one chat; its id is the user's id, so a user is created with it.
    Private {
        /// Shown as the chat's and the user's first name.
        first_name: String,
        /// Optional `@username` of the user.
        username: Option<String>,
    },
    /// A basic group: can be migrated to a supergroup.
    Group,
    /// A supergroup; forums have topics, so `message_thread_id` matters there.
    Supergroup {
        /// Whether topics are enabled.
        is_forum: bool,
    },
    /// A channel; public channels can be addressed as `@username`.
    Channel {
        /// Optional public username, without `@`.
        username: Option<String>,
    },
}

impl ChatKind {
    /// The `type` string of Telegram's Chat object.
    pub fn type_name(&self) -> &'static str {
        match self {
            ChatKind::Private { .. } => "private",
            ChatKind::Group => "group",
            ChatKind::Supergroup { .. } => "supergroup",
            ChatKind::Channel { .. } => "channel",
        }
    }
}

/// A user's standing in a chat, as `getChatMember` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    /// The chat's owner (`creator` on the wire).
    Creator,
    /// An admin with every right: enough for the bot's admin checks.
    Administrator,
    /// A plain member.
    Member,
    /// Not in the chat (the default for anyone never added).
    Left,
    /// Banned from the chat.
    Kicked,
}

/// A chat-wide condition a test imposes, mapped to Telegram's error for sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatState {
    /// Sends succeed.
    Normal,
    /// 403 "bot was blocked by the user" (private chats).
    Blocked,
    /// 403 "bot was kicked from the … chat".
    Kicked,
    /// 400 "chat not found": the chat was deleted.
    Deleted,
    /// 403 "user is deactivated" (private chats).
    Deactivated,
}

/// The bot as `getMe` describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotUser {
    /// Derived from the token's prefix before `:`, as Telegram's is.
    pub id: UserId,
    /// Without `@`; commands in groups may carry it (`/start@name`).
    pub username: String,
    /// The display name.
    pub first_name: String,
}

/// Which kind of message a bot delivered, so tests can tell media from text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SentKind {
    /// `sendMessage`.
    Text,
    /// `sendPhoto`.
    Photo,
    /// `sendAnimation`.
    Animation,
}

/// One earlier version of a message, kept when an edit replaces it, so tests
/// can see how a progress message evolved.
#[derive(Clone, Debug, Serialize)]
pub struct Revision {
    /// Text or caption before the edit.
    pub text: Option<String>,
    /// Reply markup before the edit.
    pub reply_markup: Option<Value>,
    /// When that version was replaced, in Unix milliseconds.
    pub replaced_at_unix_ms: u64,
}

/// A message a bot delivered: the ground truth tests count duplicates and
/// losses against.
#[derive(Clone, Debug, Serialize)]
pub struct SentMessage {
    /// The sending bot.
    pub bot_id: UserId,
    /// Where it was delivered (after resolving `@username`).
    pub chat_id: ChatId,
    /// Telegram's id, unique within the chat.
    pub message_id: i32,
    /// Text, photo or animation.
    pub kind: SentKind,
    /// Current text or caption, as sent (markup not stripped).
    pub text: Option<String>,
    /// `HTML`, `MarkdownV2`… as the bot asked.
    pub parse_mode: Option<String>,
    /// Forum topic, if any.
    pub thread_id: Option<i64>,
    /// Whether the bot asked for a silent message.
    pub disable_notification: bool,
    /// Current inline keyboard (the raw JSON the bot sent).
    pub reply_markup: Option<Value>,
    /// The media's file id in the result (new for uploads, reused otherwise).
    pub file_id: Option<String>,
    /// Whether the media was uploaded in this request (not a file id or URL).
    pub uploaded: bool,
    /// Whether the bot used `allow_paid_broadcast`.
    pub paid_broadcast: bool,
    /// When the server accepted it: the pace seen at the server.
    #[serde(skip)]
    pub at: Instant,
    /// The same moment as wall-clock Unix milliseconds, for out-of-process use.
    pub at_unix_ms: u64,
    /// Earlier versions, oldest first.
    pub history: Vec<Revision>,
    /// Set by `deleteMessage`; the record stays so losses can be explained.
    pub deleted: bool,
    /// Set by `pinChatMessage`.
    pub pinned: bool,
}

/// A file a bot uploaded with `sendPhoto` or `sendAnimation`, kept whole so tests
/// can decode what was sent (the control API serves the bytes at
/// `GET /_sim/files/{file_id}`).
#[derive(Clone, Debug, Serialize)]
pub struct UploadedFile {
    /// The file id the upload's answer carried.
    pub file_id: String,
    /// Photo or animation.
    pub kind: SentKind,
    /// The multipart part's file name.
    pub file_name: Option<String>,
    /// Bytes received.
    pub size: usize,
    /// The content.
    #[serde(skip)]
    pub bytes: Vec<u8>,
    /// `width`, `height` and `duration` as the bot stated them (sendAnimation).
    pub width: Option<i64>,
    /// See `width`.
    pub height: Option<i64>,
    /// See `width`; seconds.
    pub duration: Option<i64>,
}

/// An `answerCallbackQuery` call, kept so tests can check the bot answered
/// every button press.
#[derive(Clone, Debug, Serialize)]
pub struct CallbackAnswer {
    /// The answering bot.
    pub bot_id: UserId,
    /// The query's id, as returned by `press_button`.
    pub callback_query_id: String,
    /// The toast or alert text.
    pub text: Option<String>,
    /// Alert instead of toast.
    pub show_alert: bool,
}

/// One `setMyCommands` registration: commands differ per scope and language.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CommandSet {
    /// The `scope` object (`{"type":"default"}` when omitted).
    pub scope: Value,
    /// The language, if the bot gave one.
    pub language_code: Option<String>,
    /// The `[{command, description}]` list as sent.
    pub commands: Vec<Value>,
}

/// Counters per bot, so tests and benchmarks can assert "zero 429s" and
/// measure what the faults did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Every API request that reached the bot (valid token).
    pub requests: u64,
    /// Messages delivered (send methods that succeeded).
    pub delivered: u64,
    /// 429 answers (rate limits and injected).
    pub too_many_requests: u64,
    /// Injected 500 answers.
    pub server_errors: u64,
    /// Connections closed without an answer.
    pub dropped: u64,
    /// Requests delayed by the slow-response fault.
    pub slowed: u64,
    /// Messages delivered whose answer was held back (the late-answer fault).
    pub late_answers: u64,
    /// Other 4xx answers (403 blocked, 400 chat not found, bad HTML…).
    pub client_errors: u64,
    /// Media uploaded (not file ids or URLs).
    pub uploads: u64,
    /// Bytes of those uploads, to tell a real upload from an empty part.
    pub upload_bytes: u64,
    /// `getUpdates` calls (answered or not).
    pub polls: u64,
    /// 409 Conflict answers: `getUpdates` while another runs or a webhook is set.
    pub conflicts: u64,
    /// Updates the webhook accepted (2xx).
    pub webhook_delivered: u64,
    /// Webhook POSTs that failed (no connection, or a non-2xx answer).
    pub webhook_failed: u64,
}

/// Milliseconds since the Unix epoch, the wall-clock stamp on records.
pub(crate) fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Seconds since the Unix epoch, Telegram's `date`.
pub(crate) fn unix_now() -> i64 {
    (unix_ms(SystemTime::now()) / 1000) as i64
}
