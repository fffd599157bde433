//! Pictures in admin replies: the milestone card with `/milestone preview`, the
//! growth chart with `/milestone status`, and the card's own template (its title
//! line). A picture that cannot be drawn never costs the admin the text.

use super::error::ActionError;
use crate::milestones::template::{Template, TemplateContext, TemplateKind};
use crate::milestones::texts::{self, Composed, Slot};
use crate::render::{self, CardFormat, Picture};
use crate::telegram::{BotContext, reply_html};
use crate::text::html::{self, escape_html};
use crate::vocab::MetricName;
use chrono::Utc;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{InputFile, ParseMode};

/// `/milestone status`: the chart with the status `text` (`milestone_actions`
/// writes it) as its caption (or the text, then the chart, when the text is longer
/// than a caption). Returns what is left to reply: nothing once the chart went out,
/// else the text.
pub async fn status(
    bot: &Bot,
    ctx: &BotContext,
    chat: ChatId,
    text: String,
) -> Result<String, ActionError> {
    let now = Utc::now();
    let chart = render::history::status_chart(&ctx.db, &ctx.watched, now).await?;
    let png = tokio::task::spawn_blocking(move || chart.png())
        .await
        .map_err(|e| ActionError::Internal(e.into()))?;
    let png = match png {
        Ok(Some(png)) => png,
        Ok(None) => return Ok(text),
        Err(e) => {
            tracing::warn!(error = %e, "the status chart could not be drawn");
            return Ok(format!(
                "{text}\n\n(The chart could not be drawn: {})",
                escape_html(&e.to_string())
            ));
        }
    };
    if fits_caption(&text) {
        send_picture(bot, chat, png, "status.png", false, Some(text)).await?;
    } else {
        reply_html(bot, chat, text)
            .await
            .map_err(anyhow::Error::from)?;
        send_picture(bot, chat, png, "status.png", false, None).await?;
    }
    Ok(String::new())
}

/// The announcement of a preview, led by its card as the broadcast would send it.
pub async fn preview_announcement(
    bot: &Bot,
    ctx: &BotContext,
    chat: ChatId,
    sample: &TemplateContext,
    composed: &Composed,
) -> Result<(), ActionError> {
    let announce = composed.announce.clone();
    if composed.media.is_some() || ctx.cards.format() == CardFormat::Off {
        reply_html(bot, chat, announce)
            .await
            .map_err(anyhow::Error::from)?;
        return Ok(());
    }
    let card = ctx
        .cards
        .card(&ctx.db, &sample.metric, sample.milestone, sample.date)
        .await?;
    match ctx.cards.draw_off_thread(card).await {
        Ok(Some(picture)) if fits_caption(&announce) => {
            send_card(bot, chat, picture, Some(announce)).await?;
        }
        Ok(Some(picture)) => {
            send_card(bot, chat, picture, None).await?;
            reply_html(bot, chat, announce)
                .await
                .map_err(anyhow::Error::from)?;
            reply_html(
                bot,
                chat,
                "(This text is longer than a caption: the broadcast would send it without the card.)",
            )
            .await
            .map_err(anyhow::Error::from)?;
        }
        Ok(None) => {
            reply_html(bot, chat, announce)
                .await
                .map_err(anyhow::Error::from)?;
        }
        Err(e) => {
            reply_html(bot, chat, announce)
                .await
                .map_err(anyhow::Error::from)?;
            reply_html(
                bot,
                chat,
                format!(
                    "(The card could not be drawn: {}. The broadcast would go out as text.)",
                    escape_html(&e.to_string())
                ),
            )
            .await
            .map_err(anyhow::Error::from)?;
        }
    }
    Ok(())
}

/// `/milestone template <metric> card <text>`: the card's title line, checked and
/// saved, answered with how it reads.
pub async fn template_card(
    ctx: &BotContext,
    metric: &MetricName,
    text: &str,
) -> Result<String, ActionError> {
    render::cards::check_title(text).map_err(ActionError::User)?;
    texts::set_template(&ctx.db, metric, None, Slot::Card, Some(text)).await?;
    let card = ctx
        .cards
        .card(&ctx.db, metric, 200_000_000, Utc::now().date_naive())
        .await?;
    Ok(format!(
        "Saved the card's title line of {}. It reads: <b>{}</b>",
        escape_html(metric.as_str()),
        escape_html(&card.title)
    ))
}

/// With cards on, an announcement is the card's caption: it must fit 1024
/// characters, checked when the template is saved, as with any media.
pub fn check_fits_caption(ctx: &BotContext, template: &str) -> Result<(), ActionError> {
    if ctx.cards.format() == CardFormat::Off {
        return Ok(());
    }
    Template::parse(template, TemplateKind::Caption).map_err(|e| {
        ActionError::User(format!(
            "as the milestone card's caption: {e} (CARD=off sends announcements as text)"
        ))
    })?;
    Ok(())
}

fn fits_caption(html_text: &str) -> bool {
    html::visible_text(html_text)
        .is_ok_and(|v| html::telegram_len(&v) <= TemplateKind::Caption.limit())
}

async fn send_card(
    bot: &Bot,
    chat: ChatId,
    picture: Picture,
    caption: Option<String>,
) -> Result<(), ActionError> {
    let name = picture.file_name();
    send_picture(bot, chat, picture.bytes, name, picture.animated, caption).await
}

/// Sends a picture, waiting out Telegram's flood control a few times.
async fn send_picture(
    bot: &Bot,
    chat: ChatId,
    bytes: Vec<u8>,
    name: &'static str,
    animated: bool,
    caption: Option<String>,
) -> Result<(), ActionError> {
    let mut waits = 0;
    loop {
        let file = InputFile::memory(bytes.clone()).file_name(name);
        let result = if animated {
            let mut req = bot.send_animation(chat, file);
            if let Some(c) = &caption {
                req = req.caption(c.clone()).parse_mode(ParseMode::Html);
            }
            req.await
        } else {
            let mut req = bot.send_photo(chat, file);
            if let Some(c) = &caption {
                req = req.caption(c.clone()).parse_mode(ParseMode::Html);
            }
            req.await
        };
        match result {
            Err(RequestError::RetryAfter(after)) if waits < 3 => {
                waits += 1;
                tokio::time::sleep(after.duration()).await;
            }
            Err(e) => return Err(ActionError::Internal(e.into())),
            Ok(_) => return Ok(()),
        }
    }
}
