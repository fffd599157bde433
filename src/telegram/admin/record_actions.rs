//! Admin actions that put milestones on record or on air: a manual announcement
//! (recorded as reached when its Send queues it), the approval of a draft the
//! watcher held, and an explicit baseline. Built on `milestones::{manual, release,
//! baseline}`; this module only adapts them to replies and confirmations.

use super::confirm;
use super::error::ActionError;
use super::milestone_actions::{resolve_target, sample_context};
use super::parse::Target;
use crate::milestones::{baseline, manual, release, texts};
use crate::storage::announcements::{AnnouncementKind, AnnouncementState, NewAnnouncement};
use crate::telegram::BotContext;
use crate::text::html::escape_html;
use crate::text::number;
use crate::vocab::{AnnouncementId, MetricName, UserId};
use chrono::Utc;
use teloxide::prelude::*;

/// A manual announcement: rendered, written as a draft, shown with Send / Cancel.
pub async fn announce(
    bot: &Bot,
    ctx: &BotContext,
    admin: UserId,
    chat: ChatId,
    metric: Option<MetricName>,
    target: Target,
) -> Result<String, ActionError> {
    let (metric, value) = resolve_target(ctx, metric, target).await?;
    let sample = sample_context(ctx, &metric, Some(value)).await?;
    let composed = texts::preview(&ctx.db, &sample).await?;
    let earlier = manual::earlier(&ctx.db, &metric, value).await?;
    let warning = earlier
        .as_ref()
        .map(|e| {
            format!(
                "⚠️ <b>{} {} was already announced</b> on {} (broadcast #{}). Send announces it again.\n\n",
                number::format_short(value),
                escape_html(metric.as_str()),
                e.at.format("%Y-%m-%d"),
                e.announcement_id
            )
        })
        .unwrap_or_default();
    let now = Utc::now();
    let new = NewAnnouncement {
        dedupe_key: format!(
            "manual:{metric}:{value}:{}:{:08x}",
            now.timestamp_millis(),
            rand::random::<u32>()
        ),
        kind: AnnouncementKind::Manual,
        metric: Some(metric.clone()),
        milestone: Some(value),
        state: AnnouncementState::Draft,
        announce_text: Some(composed.announce.clone()),
        thanks_text: Some(composed.thanks.clone()),
        media_kind: composed.media.as_ref().map(|m| m.kind),
        media_ref: composed.media.as_ref().map(|m| m.reference.clone()),
        options: "{}".into(),
        created_by: Some(admin),
        created_at: now,
        release_at: None,
    };
    let acknowledged = earlier.map(|e| e.announcement_id);
    confirm::ask_to_release(bot, ctx, admin, chat, &new, acknowledged, |id, reach| {
        format!(
            "{warning}<b>Announcement #{id}</b> of {} {}, reaches {reach} chat(s):\n\n{}\n\n<b>Then the thank-you note:</b>\n\n{}",
            number::format_short(value),
            escape_html(metric.as_str()),
            composed.announce,
            composed.thanks
        )
    })
    .await?;
    Ok(String::new())
}

pub async fn approve(
    ctx: &BotContext,
    admin: UserId,
    chat: ChatId,
    id: AnnouncementId,
) -> Result<String, ActionError> {
    match release::approve_by(&ctx.db, id, admin, chat.into(), Utc::now()).await? {
        Ok(()) => {
            ctx.broadcast.wake();
            Ok(format!("Approved: announcement #{id} is on its way."))
        }
        Err(why) => Err(ActionError::User(why.to_string())),
    }
}

/// Shows what a baseline of `metric` would record now, with Send / Cancel.
pub async fn ask_baseline(
    bot: &Bot,
    ctx: &BotContext,
    admin: UserId,
    chat: ChatId,
    metric: MetricName,
) -> Result<String, ActionError> {
    let plan = baseline::plan(&ctx.db, &ctx.counter, &metric, &ctx.detector, Utc::now())
        .await
        .map_err(anyhow::Error::from)?;
    let what = if plan.recorded.is_empty() {
        "No milestone would be newly recorded.".to_owned()
    } else {
        format!(
            "Recorded as passed, never announced: {}.",
            short_list(&plan.recorded)
        )
    };
    let text = format!(
        "<b>Baseline {}?</b>\nCount now: {} ± {}; lower bound ({} standard errors below): {}.\n{what}\nMilestones above the lower bound are announced when the count clears them. Use this after importing history.",
        escape_html(metric.as_str()),
        number::format_grouped(plan.reading.estimate),
        number::format_grouped(plan.reading.std_error.round() as u64),
        ctx.detector.confidence_k(),
        number::format_grouped(plan.bound),
    );
    confirm::ask(
        bot,
        ctx,
        admin,
        chat,
        text,
        &confirm::Pending::Baseline { metric },
    )
    .await?;
    Ok(String::new())
}

/// Records the baseline of `metric` (its Send was pressed), counting it again now.
pub async fn confirmed_baseline(ctx: &BotContext, metric: &MetricName) -> anyhow::Result<String> {
    let done = baseline::baseline(&ctx.db, &ctx.counter, metric, &ctx.detector, Utc::now()).await?;
    Ok(if done.recorded.is_empty() {
        format!(
            "Baseline of {metric} at {}: nothing new to record.",
            number::format_grouped(done.bound)
        )
    } else {
        format!(
            "Baseline of {metric} at {}: recorded {}.",
            number::format_grouped(done.bound),
            short_list(&done.recorded)
        )
    })
}

/// `1K, 2K, 5K`, or the highest twelve after `…`.
fn short_list(milestones: &[u64]) -> String {
    const SHOWN: usize = 12;
    let start = milestones.len().saturating_sub(SHOWN);
    let list: Vec<String> = milestones[start..]
        .iter()
        .map(|&m| number::format_short(m))
        .collect();
    if start > 0 {
        format!("…, {}", list.join(", "))
    } else {
        list.join(", ")
    }
}
