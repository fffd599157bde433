//! The Telegram side: the handler tree, membership tracking and the public commands.
//!
//! Each branch of the tree is a small module; the tree itself only routes. Handlers
//! get a [`BotContext`] through dptree's dependency injection. Commands are
//! `BotCommands` enums ([`PublicCommand`], [`admin::AdminCommand`] whose
//! subcommands are [`admin::AdminAction`]); the admin gate is a step of the tree
//! ([`admin::gate::admission`]), so the `/milestone` handler runs only for an
//! admitted admin and everyone else is refused before it.
//!
//! - [`dispatch`]: running the dispatcher (long polling under a lease, or webhook)
//!   until shutdown; [`webhook`]: the webhook route's updates.
//! - [`membership`]: `my_chat_member` and group migrations; [`commands`]: the public
//!   commands, their texts in `replies`.
//! - [`admin`]: the `/milestone` family; [`notify`]: what the watcher did, told
//!   to admins.
//! - [`fit`]: a text over Telegram's limit as several messages.

pub mod admin;
pub mod commands;
pub mod dispatch;
pub mod membership;
pub mod notify;
mod replies;
pub mod resend;
pub mod webhook;

use crate::storage::Db;
use crate::text::fit;
use std::sync::Arc;
use teloxide::dispatching::{HandlerExt, UpdateFilterExt, UpdateHandler};
use teloxide::prelude::*;
use teloxide::types::{BotCommandScope, ChatKind as TgChatKind};
use teloxide::utils::command::BotCommands;

pub use commands::PublicCommand;

/// What every handler may need, shared across updates.
#[derive(Clone)]
pub struct BotContext {
    /// The bot's database.
    pub db: Db,
    /// Telegram user ids configured as admins (`ADMIN_IDS`).
    pub admin_ids: Arc<Vec<crate::vocab::UserId>>,
    /// Names of the configured metrics, for validating admin input.
    pub metrics: Arc<Vec<String>>,
    /// How long a Send button stays valid.
    pub confirm_ttl: std::time::Duration,
    /// The metrics the watcher reads, with their labels.
    pub watched: Arc<Vec<crate::milestones::watcher::WatchedMetric>>,
    /// Wakes the broadcast worker when an admin queues or changes a broadcast.
    pub broadcast: crate::broadcast::BroadcastHandle,
    /// `CONFIDENCE_K` and `MILESTONE_HOLD`: the lower bound a new rule's baseline
    /// and `/milestone baseline` are taken at.
    pub detector: crate::milestones::detector::DetectorConfig,
    /// Counts a metric now, for `/milestone baseline`.
    pub counter: crate::milestones::counter::SketchCounter,
    /// This install's key for pseudonyms of people who are not admins (audit).
    pub pseudonyms: crate::privacy::PseudonymKey,
    /// Draws milestone cards for previews, and the status chart's look.
    pub cards: crate::render::CardMaker,
}

/// The error type of every handler; logged (redacted) by the dispatcher.
pub type HandlerResult = anyhow::Result<()>;

/// Routes updates: membership changes, group migrations, then commands.
pub fn handler_tree() -> UpdateHandler<anyhow::Error> {
    let messages = Update::filter_message()
        .branch(
            dptree::filter(|msg: Message| {
                msg.migrate_to_chat_id().is_some() || msg.migrate_from_chat_id().is_some()
            })
            .endpoint(membership::on_group_migrated),
        )
        .branch(
            dptree::entry()
                .filter_command::<admin::AdminCommand>()
                .map_async(admin::gate::admission)
                .branch(
                    dptree::filter_map(admin::gate::Admission::admitted)
                        .endpoint(admin::on_milestone),
                )
                .endpoint(admin::on_refused),
        )
        .branch(
            dptree::entry()
                .filter_command::<PublicCommand>()
                .endpoint(commands::on_public),
        );
    let callbacks = Update::filter_callback_query().branch(
        dptree::filter(|q: CallbackQuery| admin::press::is_confirmation(&q))
            .endpoint(admin::press::on_press),
    );
    dptree::entry()
        .branch(Update::filter_my_chat_member().endpoint(membership::on_my_chat_member))
        .branch(messages)
        .branch(callbacks)
}

/// The menu entries of a command enum, without teloxide's leading `/` (Telegram's
/// `BotCommand.command` is the bare name).
fn menu<C: BotCommands>() -> Vec<teloxide::types::BotCommand> {
    C::bot_commands()
        .into_iter()
        .map(|mut c| {
            c.command = c.command.trim_start_matches('/').to_owned();
            c
        })
        .collect()
}

/// Registers the command menus: the public one for everyone, public plus `/milestone`
/// in each configured admin's private chat. The menu is a convenience: if Telegram
/// refuses, the bot says so in the log and goes on.
pub async fn register_commands(bot: &Bot, admin_ids: &[crate::vocab::UserId]) {
    let public = menu::<PublicCommand>();
    if let Err(err) = bot
        .set_my_commands(public.clone())
        .scope(BotCommandScope::Default)
        .await
    {
        tracing::warn!(error = %err, "could not register the command menu; continuing without it");
    }
    let mut admin_menu = public;
    admin_menu.extend(menu::<admin::AdminCommand>());
    for id in admin_ids {
        let scope = BotCommandScope::Chat {
            chat_id: teloxide::types::Recipient::Id(id.private_chat().into()),
        };
        if let Err(err) = bot.set_my_commands(admin_menu.clone()).scope(scope).await {
            tracing::warn!(error = %err, admin = %crate::privacy::User(*id), "could not register an admin's command menu");
        }
    }
}

/// Our storage's view of a Telegram chat kind.
pub fn chat_kind(chat: &teloxide::types::Chat) -> crate::storage::chats::ChatKind {
    use crate::storage::chats::ChatKind;
    use teloxide::types::PublicChatKind;
    match &chat.kind {
        TgChatKind::Private(_) => ChatKind::Private,
        TgChatKind::Public(public) => match public.kind {
            PublicChatKind::Channel(_) => ChatKind::Channel,
            PublicChatKind::Group => ChatKind::Group,
            PublicChatKind::Supergroup(_) => ChatKind::Supergroup,
        },
    }
}

/// The chat as we store it when it subscribes. A private chat is a person: only
/// its id is kept (to post to it), never their name or username.
pub fn new_chat(chat: &teloxide::types::Chat) -> crate::storage::chats::NewChat {
    let kind = chat_kind(chat);
    let public = kind != crate::storage::chats::ChatKind::Private;
    crate::storage::chats::NewChat {
        id: chat.id.into(),
        kind,
        title: chat.title().filter(|_| public).map(str::to_owned),
        username: chat.username().filter(|_| public).map(str::to_owned),
    }
}

/// Sends an HTML reply to a person or group, waiting out Telegram's flood control
/// (429 `retry_after`) a few times instead of dropping the answer.
pub async fn reply_html(
    bot: &Bot,
    chat: ChatId,
    text: impl Into<String>,
) -> Result<Message, teloxide::RequestError> {
    send_html(bot, chat, text.into(), None).await
}

/// [`reply_html`] with optional inline buttons. A text over Telegram's limit goes
/// as several messages ([`fit::split`]); buttons then come under a short last
/// message of their own, which has room for the line that replaces them when
/// pressed. The message returned is the last one sent.
pub async fn send_html(
    bot: &Bot,
    chat: ChatId,
    text: String,
    buttons: Option<teloxide::types::InlineKeyboardMarkup>,
) -> Result<Message, teloxide::RequestError> {
    let fits = match buttons {
        Some(_) => fit::TEXT_LIMIT - fit::BUTTONS_NOTE_ROOM,
        None => fit::TEXT_LIMIT,
    };
    if fit::visible_len(&text) <= fits {
        return send_one(bot, chat, text, buttons).await;
    }
    let mut parts = fit::split(&text, fit::TEXT_LIMIT);
    let last = match buttons {
        Some(_) => fit::BUTTONS_BELOW_LONG_TEXT.to_owned(),
        None => parts.pop().unwrap_or_default(),
    };
    for part in parts {
        send_one(bot, chat, part, None).await?;
    }
    send_one(bot, chat, last, buttons).await
}

async fn send_one(
    bot: &Bot,
    chat: ChatId,
    text: String,
    buttons: Option<teloxide::types::InlineKeyboardMarkup>,
) -> Result<Message, teloxide::RequestError> {
    use teloxide::types::ParseMode;
    let mut waits = 0;
    loop {
        let mut request = bot
            .send_message(chat, text.clone())
            .parse_mode(ParseMode::Html);
        if let Some(buttons) = &buttons {
            request = request.reply_markup(buttons.clone());
        }
        let started = std::time::Instant::now();
        let answer = request.await;
        crate::telemetry::metrics::telegram_request(
            "sendMessage",
            crate::telemetry::metrics::answer_of(&answer),
            started.elapsed(),
        );
        match answer {
            Err(teloxide::RequestError::RetryAfter(after)) if waits < 3 => {
                waits += 1;
                tokio::time::sleep(after.duration()).await;
            }
            other => return other,
        }
    }
}
