//! Carrying out admin actions and composing the replies (Telegram HTML, every
//! user-supplied piece escaped): [`run`] hands each action to the module of its
//! area (`milestone_actions`, `record_actions`, `broadcast_actions`, `pictures`)
//! and answers the small ones (help, chats, admins, thanks, broadcasts) itself.

use super::confirm;
use super::error::ActionError;
use super::parse::{self, AdminAction, AdminChange};
use super::{broadcast_actions, milestone_actions, pictures, record_actions};
use crate::storage::{admins, announcements, chats};
use crate::telegram::BotContext;
use crate::text::html::escape_html;
use crate::vocab::UserId;
use chrono::Utc;
use std::fmt::Write;
use teloxide::prelude::*;

/// Runs one action; the returned text is the reply (empty when the action already
/// replied, e.g. with a confirmation).
pub async fn run(
    bot: &Bot,
    ctx: &BotContext,
    admin: UserId,
    chat: ChatId,
    action: AdminAction,
) -> Result<String, ActionError> {
    match action {
        AdminAction::Overview | AdminAction::Help => Ok(help()),
        AdminAction::Chats => chats_overview(ctx).await,
        AdminAction::Admins { change: None } => admins_list(ctx).await,
        AdminAction::Admins {
            change: Some(AdminChange::Add(user)),
        } => {
            if admins::add(&ctx.db, user, admin, Utc::now()).await? || ctx.admin_ids.contains(&user)
            {
                Ok(format!("User <code>{user}</code> is now an admin."))
            } else {
                Ok(format!("User <code>{user}</code> already is an admin."))
            }
        }
        AdminAction::Admins {
            change: Some(AdminChange::Remove(user)),
        } => {
            if ctx.admin_ids.contains(&user) {
                Err(ActionError::User(format!(
                    "User {user} is configured in ADMIN_IDS; remove them there."
                )))
            } else if admins::remove(&ctx.db, user).await? {
                Ok(format!("User <code>{user}</code> is no longer an admin."))
            } else {
                Err(ActionError::User(format!(
                    "User {user} is not an admin added here."
                )))
            }
        }
        AdminAction::Thanks { text } => thanks(bot, ctx, admin, chat, text).await,
        AdminAction::Status => {
            let text = milestone_actions::status(ctx).await?;
            pictures::status(bot, ctx, chat, text).await
        }
        AdminAction::List { metric } => milestone_actions::list(ctx, metric).await,
        AdminAction::Add { metric, rule, text } => {
            milestone_actions::add(ctx, admin, metric, rule, text).await
        }
        AdminAction::Remove { id } => milestone_actions::remove(ctx, id).await,
        AdminAction::Baseline { metric } => {
            record_actions::ask_baseline(bot, ctx, admin, chat, metric).await
        }
        AdminAction::Template { metric, part, text } => {
            milestone_actions::template(ctx, metric, part, text).await
        }
        AdminAction::Preview { metric, target } => {
            milestone_actions::preview(bot, ctx, chat, metric, target).await
        }
        AdminAction::Announce { metric, target } => {
            record_actions::announce(bot, ctx, admin, chat, metric, target).await
        }
        AdminAction::Approve { id } => record_actions::approve(ctx, admin, chat, id).await,
        AdminAction::Broadcasts => broadcasts(ctx).await,
        AdminAction::Pause { id } => broadcast_actions::pause(ctx, id).await,
        AdminAction::Resume { id } => broadcast_actions::resume(ctx, id).await,
        AdminAction::Cancel { id } => broadcast_actions::cancel(ctx, id).await,
        AdminAction::ResendUnknown { id } => {
            broadcast_actions::ask_resend_unknown(bot, ctx, admin, chat, id).await
        }
        AdminAction::Edit { id, text } => {
            broadcast_actions::ask_edit(bot, ctx, admin, chat, id, text).await
        }
        AdminAction::Withdraw { id } => {
            broadcast_actions::ask_withdraw(bot, ctx, admin, chat, id).await
        }
    }
}

fn help() -> String {
    let mut out = String::from("<b>/milestone</b> commands\n\n");
    for (_, usage) in parse::usage() {
        let _ = writeln!(out, "<code>{}</code>", escape_html(&usage));
    }
    out
}

async fn chats_overview(ctx: &BotContext) -> Result<String, ActionError> {
    let counts = chats::count_subscribed_by_kind(&ctx.db).await?;
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    let mut out = format!("<b>Subscribed chats: {total}</b>\n");
    for (kind, n) in counts {
        let _ = writeln!(out, "{kind}: {n}");
    }
    let gone = chats::recently_gone(&ctx.db, 10).await?;
    if !gone.is_empty() {
        out.push_str("\n<b>Recently gone</b>\n");
        for chat in gone {
            // A private chat is a person: shown by pseudonym, as in the logs.
            let (title, id) = match chat.kind {
                chats::ChatKind::Private => (
                    "a person".to_owned(),
                    ctx.pseudonyms.user(chat.id.private_user()).to_string(),
                ),
                _ => (
                    chat.title.unwrap_or_else(|| "untitled".into()),
                    chat.id.to_string(),
                ),
            };
            let _ = writeln!(
                out,
                "{} ({}, <code>{}</code>): {} {}",
                escape_html(&title),
                chat.kind,
                id,
                escape_html(chat.gone_reason.as_deref().unwrap_or("gone")),
                chat.gone_at
                    .map(|t| t.format("%Y-%m-%d").to_string())
                    .unwrap_or_default()
            );
        }
    }
    Ok(out)
}

async fn admins_list(ctx: &BotContext) -> Result<String, ActionError> {
    let mut out = String::from("<b>Admins</b>\nFrom ADMIN_IDS (permanent):\n");
    for id in ctx.admin_ids.iter() {
        let _ = writeln!(out, "<code>{id}</code>");
    }
    let added = admins::list(&ctx.db).await?;
    out.push_str("Added here:\n");
    if added.is_empty() {
        out.push_str("none\n");
    }
    for (id, by, at) in added {
        let _ = writeln!(
            out,
            "<code>{id}</code> (by {by}, {})",
            at.format("%Y-%m-%d")
        );
    }
    Ok(out)
}

/// A thank-you note on its own: validated, written as a draft with its deliveries, and
/// shown with Send / Cancel.
async fn thanks(
    bot: &Bot,
    ctx: &BotContext,
    admin: UserId,
    chat: ChatId,
    text: String,
) -> Result<String, ActionError> {
    crate::text::html::check_text(&text).map_err(ActionError::User)?;
    let now = Utc::now();
    let new = announcements::NewAnnouncement {
        dedupe_key: format!(
            "thanks:{admin}:{}:{:08x}",
            now.timestamp_millis(),
            rand::random::<u32>()
        ),
        kind: announcements::AnnouncementKind::Thanks,
        metric: None,
        milestone: None,
        state: announcements::AnnouncementState::Draft,
        announce_text: None,
        thanks_text: Some(text.clone()),
        media_kind: None,
        media_ref: None,
        options: "{}".into(),
        created_by: Some(admin),
        created_at: now,
        release_at: None,
    };
    confirm::ask_to_release(bot, ctx, admin, chat, &new, None, |id, reach| {
        format!("<b>Preview</b> (thank-you note #{id}, reaches {reach} chat(s)):\n\n{text}")
    })
    .await?;
    Ok(String::new())
}

async fn broadcasts(ctx: &BotContext) -> Result<String, ActionError> {
    let mut conn = ctx.db.acquire().await?;
    let recent = announcements::recent(&mut conn, 10).await?;
    if recent.is_empty() {
        return Ok("No announcements yet.".into());
    }
    let mut out = String::from("<b>Recent announcements</b>\n");
    for a in recent {
        let what = match (&a.metric, a.milestone) {
            (Some(metric), Some(value)) => format!(
                "{} {}",
                crate::text::number::format_short(value as u64),
                escape_html(metric.as_str())
            ),
            _ => a.kind.clone(),
        };
        let _ = writeln!(
            out,
            "#{} {what} ({}, {}): {}",
            a.id,
            a.state,
            a.created_at.format("%Y-%m-%d %H:%M"),
            a.tally_line()
        );
    }
    Ok(out)
}
