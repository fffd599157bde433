//! The `/milestone` admin command family, in a private chat with the bot.
//!
//! Flow: [`gate`] decides in the handler tree who may use it ([`on_refused`]
//! answers and audits everyone else; [`on_milestone`] gets the admitted
//! [`Admin`]), [`parse`] turns the text into an [`AdminAction`] or a usage error,
//! [`actions`] carries it out and writes the reply, [`confirm`] holds dangerous
//! actions until the same admin presses Send, and [`press`] answers that press.
//! Every attempt lands in the audit table.
//!
//! Imports run one way: `actions` and `press` at the top hand work to the modules
//! of each area (`milestone_actions`, `record_actions`, `broadcast_actions`,
//! `pictures`), which share only the lower [`confirm`], [`error`] and [`parse`].

pub mod actions;
mod broadcast_actions;
pub mod confirm;
pub mod error;
pub mod gate;
mod milestone_actions;
pub mod parse;
mod pictures;
pub mod press;
mod record_actions;

use super::{BotContext, HandlerResult, reply_html};
use crate::storage::audit::{self, Actor, AuditEntry};
use chrono::Utc;
use gate::{Admin, Admission};
use teloxide::prelude::*;
use teloxide::utils::command::BotCommands;

pub use parse::{AdminAction, UsageError};

/// Admin commands; the doc comment is the menu's description.
#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum AdminCommand {
    /// Run the bot: /milestone help lists everything.
    #[command(parse_with = whole_rest)]
    Milestone(String),
}

/// Everything after `/milestone`, however many words; [`parse`] reads it into an
/// [`AdminAction`] in the handler. Reading it here instead would drop bad input
/// silently (a command that fails to parse matches no branch), where the admin
/// must get the problem and the usage line.
fn whole_rest(input: String) -> Result<(String,), teloxide::utils::command::ParseError> {
    Ok((input,))
}

/// Handles `/milestone …` from an admin the gate let through: parses, acts, replies,
/// and audits the attempt.
#[tracing::instrument(skip_all, fields(chat = %crate::privacy::Chat(msg.chat.id.into())))]
pub async fn on_milestone(
    bot: Bot,
    msg: Message,
    cmd: AdminCommand,
    ctx: BotContext,
    admin: Admin,
) -> HandlerResult {
    let AdminCommand::Milestone(args) = cmd;
    let audit_as = |result: String| audit_entry(Actor::Admin(admin.0), &args, result);
    let (reply, result) = match parse::parse(&args, &ctx.metrics) {
        Err(usage) => (
            error::usage_error(&usage),
            format!("bad input: {}", usage.problem),
        ),
        Ok(action) => match actions::run(&bot, &ctx, admin.0, msg.chat.id, action).await {
            Ok(reply) => (reply, "ok".to_owned()),
            Err(error::ActionError::User(problem)) => (
                error::action_refused(&problem),
                format!("refused: {problem}"),
            ),
            Err(error::ActionError::Internal(err)) => {
                audit::record(&ctx.db, &audit_as(format!("error: {err}"))).await?;
                reply_html(
                    &bot,
                    msg.chat.id,
                    "Something went wrong on my side; it is logged.",
                )
                .await?;
                return Err(err);
            }
        },
    };
    audit::record(&ctx.db, &audit_as(result)).await?;
    if !reply.is_empty() {
        reply_html(&bot, msg.chat.id, reply).await?;
    }
    Ok(())
}

/// Handles `/milestone …` the gate did not let through: a polite refusal, audited.
#[tracing::instrument(skip_all, fields(chat = %crate::privacy::Chat(msg.chat.id.into())))]
pub async fn on_refused(
    bot: Bot,
    msg: Message,
    cmd: AdminCommand,
    ctx: BotContext,
    admission: Admission,
) -> HandlerResult {
    let AdminCommand::Milestone(args) = cmd;
    let (who, refusal) = match admission {
        Admission::Refused { who, refusal } => (who, refusal),
        Admission::Unknown(err) => return Err(anyhow::anyhow!("{err:#}")),
        // Never here: the tree hands the admitted to `on_milestone`.
        Admission::Admitted(_) => return Ok(()),
    };
    let entry = audit_entry(who, &args, format!("refused: {}", refusal.reason()));
    audit::record(&ctx.db, &entry).await?;
    reply_html(&bot, msg.chat.id, refusal.reply()).await?;
    Ok(())
}

/// An audit entry for `/milestone args`. Someone who is not an admin leaves no
/// words of theirs: the subcommand's name only when it is one of ours, never the
/// text.
fn audit_entry(who: Actor, args: &str, result: String) -> AuditEntry {
    let is_admin = matches!(who, Actor::Admin(_));
    AuditEntry {
        at: Utc::now(),
        action: audited_action(args, is_admin),
        detail: if is_admin {
            args.chars().take(500).collect()
        } else {
            String::new()
        },
        who,
        result,
    }
}

/// The audit's action: `milestone add`; for someone who is not an admin, a word
/// that is not a subcommand of ours is not kept (it is their text).
fn audited_action(args: &str, is_admin: bool) -> String {
    let sub = args
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let known = parse::usage().iter().any(|(name, _)| *name == sub);
    match sub.as_str() {
        "" => "milestone".to_owned(),
        _ if known || is_admin => format!("milestone {sub}"),
        _ => "milestone (unknown)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_strangers_unknown_word_is_not_kept_as_the_action() {
        assert_eq!(audited_action("add mau 5 my words", false), "milestone add");
        assert_eq!(audited_action("", false), "milestone");
        assert_eq!(audited_action("John555-0100", false), "milestone (unknown)");
        assert_eq!(audited_action("frobnicate", true), "milestone frobnicate");
    }

    #[test]
    fn the_whole_rest_of_the_line_reaches_the_parser() {
        for (text, rest) in [
            ("/milestone", ""),
            ("/milestone chats", "chats"),
            ("/milestone add mau every 10M", "add mau every 10M"),
        ] {
            assert_eq!(
                AdminCommand::parse(text, "bot").ok(),
                Some(AdminCommand::Milestone(rest.into())),
                "{text}"
            );
        }
    }
}
