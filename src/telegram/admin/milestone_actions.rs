//! Admin actions on milestones: status, rules, templates and previews (manual
//! announcements, approvals and baselines are in `record_actions`). Built on
//! `milestones::{rules_store, texts, status}`; this module only adapts them to
//! replies.

use super::error::ActionError;
use super::parse::Target;
use crate::milestones::rules::Rule;
use crate::milestones::rules_store;
use crate::milestones::status;
use crate::milestones::template::{Template, TemplateContext, TemplateKind};
use crate::milestones::texts::{self, Slot};
use crate::storage::announcements;
use crate::telegram::{BotContext, reply_html};
use crate::text::html::escape_html;
use crate::text::number;
use crate::vocab::{MetricName, RuleId, UserId};
use chrono::{Duration, Utc};
use std::fmt::Write;
use teloxide::prelude::*;

pub async fn status(ctx: &BotContext) -> Result<String, ActionError> {
    let now = Utc::now();
    let statuses = status::status(&ctx.db, &ctx.watched, now).await?;
    let mut out = format!(
        "<b>Status</b>\n<pre>{}</pre>\n",
        escape_html(&status::render(&statuses, now))
    );
    let counts = crate::storage::chats::count_subscribed_by_kind(&ctx.db).await?;
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    let by_kind: Vec<String> = counts.iter().map(|(k, n)| format!("{k}: {n}")).collect();
    let _ = writeln!(
        out,
        "<b>Subscribed chats:</b> {total} ({})",
        by_kind.join(", ")
    );
    let mut conn = ctx.db.acquire().await?;
    let _ = writeln!(
        out,
        "<b>Broadcast sender:</b> {}",
        escape_html(&ctx.broadcast.sender().describe())
    );
    let active = announcements::active(&mut conn).await?;
    if active.is_empty() {
        out.push_str("No broadcast in progress.");
    }
    for a in active {
        let _ = writeln!(out, "Broadcast #{} ({}): {}", a.id, a.state, a.tally_line());
    }
    Ok(out)
}

pub async fn list(ctx: &BotContext, metric: Option<MetricName>) -> Result<String, ActionError> {
    let rules = rules_store::list_rules(&ctx.db, metric.as_ref()).await?;
    if rules.is_empty() {
        return Ok(
            "No milestone rules yet. Add one with <code>/milestone add mau 200M</code>.".into(),
        );
    }
    let mut out = String::from("<b>Milestone rules</b>\n");
    for r in rules {
        let _ = writeln!(
            out,
            "#{} {}: {}",
            r.id,
            escape_html(r.metric.as_str()),
            escape_html(&r.rule)
        );
    }
    Ok(out)
}

pub async fn add(
    ctx: &BotContext,
    admin: UserId,
    metric: MetricName,
    rule: Rule,
    text: Option<String>,
) -> Result<String, ActionError> {
    let threshold = match rule {
        Rule::Threshold(v) => Some(v.get()),
        _ => None,
    };
    if let Some(text) = &text {
        if threshold.is_none() {
            return Err(ActionError::User(
                "a text can be given only with a single threshold; for a series use /milestone template".into(),
            ));
        }
        Template::parse(text, TemplateKind::Text).map_err(|e| ActionError::User(e.to_string()))?;
        super::pictures::check_fits_caption(ctx, text)?;
    }
    let added = rules_store::add_rule(
        &ctx.db,
        &metric,
        &rule.to_string(),
        Some(admin),
        &ctx.detector,
    )
    .await?;
    if let (Some(text), Some(value)) = (&text, threshold) {
        texts::set_template(&ctx.db, &metric, Some(value), Slot::Announce, Some(text)).await?;
    }
    let stored = &added.rule;
    let mut reply = format!(
        "Added #{}: {} {}{}",
        stored.id,
        escape_html(stored.metric.as_str()),
        escape_html(&stored.rule),
        if text.is_some() {
            " with its own announcement text"
        } else {
            ""
        }
    );
    if !added.baseline.is_empty() {
        let passed: Vec<String> = added
            .baseline
            .iter()
            .map(|&m| number::format_short(m))
            .collect();
        let _ = write!(
            reply,
            "\nAlready passed, recorded as baseline (not announced): {}",
            passed.join(", ")
        );
    }
    Ok(reply)
}

pub async fn remove(ctx: &BotContext, id: RuleId) -> Result<String, ActionError> {
    let removed = rules_store::remove_rule(&ctx.db, id).await?;
    Ok(format!(
        "Removed #{}: {} {}",
        removed.id,
        escape_html(removed.metric.as_str()),
        escape_html(&removed.rule)
    ))
}

pub async fn template(
    ctx: &BotContext,
    metric: MetricName,
    slot: Slot,
    text: String,
) -> Result<String, ActionError> {
    if slot == Slot::Card {
        return super::pictures::template_card(ctx, &metric, &text).await;
    }
    if slot == Slot::Announce {
        super::pictures::check_fits_caption(ctx, &text)?;
    }
    texts::set_template(&ctx.db, &metric, None, slot, Some(&text)).await?;
    let sample = sample_context(ctx, &metric, None).await?;
    let composed = texts::preview(&ctx.db, &sample).await?;
    let shown = if slot == Slot::Announce {
        composed.announce
    } else {
        composed.thanks
    };
    Ok(format!(
        "Saved the {} template of {}. Preview for {}:\n\n{shown}",
        if slot == Slot::Announce {
            "announcement"
        } else {
            "thank-you"
        },
        escape_html(metric.as_str()),
        number::format_short(sample.milestone)
    ))
}

/// Sends the rendered announcement and thank-you note to the admin only.
pub async fn preview(
    bot: &Bot,
    ctx: &BotContext,
    chat: ChatId,
    metric: Option<MetricName>,
    target: Target,
) -> Result<String, ActionError> {
    let (metric, value) = resolve_target(ctx, metric, target).await?;
    let sample = sample_context(ctx, &metric, Some(value)).await?;
    let composed = texts::preview(&ctx.db, &sample).await?;
    super::pictures::preview_announcement(bot, ctx, chat, &sample, &composed).await?;
    reply_html(bot, chat, composed.thanks)
        .await
        .map_err(anyhow::Error::from)?;
    Ok(format!(
        "That was the preview of {} {}; nothing was sent to any channel.",
        number::format_short(value),
        escape_html(metric.as_str())
    ))
}

/// `#3` is rule 3; `200M` is that value; a plain `7` is rule 7 if it exists, else 7.
pub(super) async fn resolve_target(
    ctx: &BotContext,
    metric: Option<MetricName>,
    target: Target,
) -> Result<(MetricName, u64), ActionError> {
    let rule_id = match target {
        Target::Id(id) => Some(id),
        Target::IdOrValue(n) => Some(RuleId(n as i64)),
        Target::Value(_) => None,
    };
    if let Some(id) = rule_id {
        let rules = rules_store::list_rules(&ctx.db, metric.as_ref()).await?;
        if let Some(rule) = rules.into_iter().find(|r| r.id == id) {
            return match Rule::parse(&rule.rule) {
                Ok(Rule::Threshold(v)) => Ok((rule.metric, v.get())),
                Ok(series) => {
                    let count = latest_count(ctx, &rule.metric).await?;
                    let next = series.next_above(count).ok_or_else(|| {
                        ActionError::User("that series has no next milestone".into())
                    })?;
                    Ok((rule.metric, next))
                }
                Err(e) => Err(ActionError::User(e.to_string())),
            };
        }
    }
    let value = match target {
        Target::Value(v) | Target::IdOrValue(v) => v,
        Target::Id(id) => {
            return Err(ActionError::User(format!(
                "there is no milestone rule with id {id}; /milestone list shows the ids"
            )));
        }
    };
    let metric = metric.unwrap_or_else(|| default_metric(ctx));
    Ok((metric, value))
}

/// `mau` when it is watched, else the first watched metric.
fn default_metric(ctx: &BotContext) -> MetricName {
    ctx.watched
        .iter()
        .find(|m| m.name.as_str() == "mau")
        .or_else(|| ctx.watched.first())
        .map(|m| m.name.clone())
        .unwrap_or_else(|| MetricName::parse("mau").expect("a metric name"))
}

async fn latest_count(ctx: &BotContext, metric: &MetricName) -> Result<u64, ActionError> {
    let mut conn = ctx.db.acquire().await?;
    let recent = crate::storage::milestones::readings::since(
        &mut conn,
        metric,
        Utc::now() - Duration::days(30),
    )
    .await?;
    Ok(recent.last().map(|r| r.estimate).unwrap_or(0))
}

/// The values a preview renders with: the milestone (or the next round one), today,
/// and the latest count when it is above the milestone.
pub(super) async fn sample_context(
    ctx: &BotContext,
    metric: &MetricName,
    milestone: Option<u64>,
) -> Result<TemplateContext, ActionError> {
    let count = latest_count(ctx, metric).await?;
    let milestone =
        milestone.unwrap_or_else(|| Rule::RoundNumbers.next_above(count).unwrap_or(1_000_000));
    let label = ctx
        .watched
        .iter()
        .find(|m| &m.name == metric)
        .map(|m| m.label.clone())
        .unwrap_or_else(|| metric.to_string());
    Ok(TemplateContext {
        milestone,
        metric: metric.clone(),
        metric_label: label,
        count: count.max(milestone),
        date: Utc::now().date_naive(),
        days_since_previous: None,
    })
}
