//! The `/milestone` admin command family, in a private chat with the bot.
//!
//! Flow: [`gate`] decides who may use it (and audits refusals), [`parse`] turns the
//! text into an [`AdminAction`] or a usage error, [`actions`] carries it out and
//! writes the reply, [`confirm`] holds dangerous actions until the same admin presses
//! Send. Every attempt lands in the audit table.

pub mod actions;
mod broadcast_actions;
pub mod confirm;
pub mod gate;
mod milestone_actions;
pub mod parse;
mod pictures;

use super::{BotContext, HandlerResult, reply_html};
use crate::storage::audit::{self, AuditEntry};
use chrono::Utc;
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

/// Everything after `/milestone`, however many words (teloxide's default parser wants
/// an exact count); [`parse`] reads it.
fn whole_rest(input: String) -> Result<(String,), teloxide::utils::command::ParseError> {
    Ok((input,))
}

/// Handles `/milestone …` from anyone: refuses politely, or parses and acts.
#[tracing::instrument(skip_all, fields(chat = msg.chat.id.0))]
pub async fn on_milestone(
    bot: Bot,
    msg: Message,
    cmd: AdminCommand,
    ctx: BotContext,
) -> HandlerResult {
    let AdminCommand::Milestone(args) = cmd;
    let user_id = msg.from.as_ref().map(|u| u.id.0 as i64);
    let sub = args
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let action_name = if sub.is_empty() {
        "milestone".to_owned()
    } else {
        format!("milestone {sub}")
    };
    let audit_as = |result: String| AuditEntry {
        at: Utc::now(),
        user_id,
        action: action_name.clone(),
        detail: args.chars().take(500).collect(),
        result,
    };

    if let Err(refusal) = gate::check(&ctx, &msg).await? {
        audit::record(&ctx.db, &audit_as(format!("refused: {}", refusal.reason()))).await?;
        reply_html(&bot, msg.chat.id, refusal.reply()).await?;
        return Ok(());
    }
    let admin_id = user_id.expect("the gate lets only known users through");
    let (reply, result) = match parse::parse(&args, &ctx.metrics) {
        Err(usage) => (
            super::replies::usage_error(&usage),
            format!("bad input: {}", usage.problem),
        ),
        Ok(action) => match actions::run(&bot, &ctx, admin_id, msg.chat.id, action).await {
            Ok(reply) => (reply, "ok".to_owned()),
            Err(actions::ActionError::User(problem)) => (
                super::replies::action_refused(&problem),
                format!("refused: {problem}"),
            ),
            Err(actions::ActionError::Internal(err)) => {
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

#[cfg(test)]
mod tests {
    use super::*;

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
