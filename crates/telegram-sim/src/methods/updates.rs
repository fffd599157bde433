//! `getUpdates` long polling: offsets confirm, a poll waits until an update
//! arrives or its timeout passes.

use std::time::Duration;

use serde_json::{Value, json};

use super::Failure;
use crate::{error::ApiError, params::Params, shared::Shared, state::Bot};

/// `getUpdates`: answers at once when updates are pending, otherwise waits up
/// to `timeout` seconds for one to be pushed.
pub(super) async fn get_updates(sh: &Shared, token: &str, p: &Params) -> Result<Value, Failure> {
    let offset = p.i64("offset")?;
    let limit = p.i64("limit")?.unwrap_or(100).clamp(1, 100) as usize;
    let timeout = Duration::from_secs(p.i64("timeout")?.unwrap_or(0).clamp(0, 3600) as u64);
    let allowed = allowed_updates(p)?;
    let deadline = tokio::time::Instant::now() + timeout;
    wait_for_the_previous_poll(sh, token).await;
    let notify = {
        let mut st = sh.lock();
        let bot = st.bots.get_mut(token).ok_or_else(ApiError::unauthorized)?;
        if bot.webhook.is_some() {
            bot.stats.conflicts += 1;
            return Err(ApiError::plain(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            )
            .into());
        }
        if bot.polling {
            bot.stats.conflicts += 1;
            return Err(ApiError::plain(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
            )
            .into());
        }
        if allowed.is_some() {
            bot.allowed_updates = allowed;
        }
        bot.polling = true;
        bot.notify.clone()
    };
    // Ends the poll however it ends: answered, timed out, or dropped with its
    // connection.
    let _active = PollGuard { sh, token };
    loop {
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let mut st = sh.lock();
            let bot = st.bots.get_mut(token).ok_or_else(ApiError::unauthorized)?;
            confirm(bot, offset);
            if bot.webhook.is_some() {
                // setWebhook during the poll: it ends empty, as Telegram's does.
                return Ok(json!([]));
            }
            if !bot.updates.is_empty() {
                let batch: Vec<Value> = bot.updates.iter().take(limit).cloned().collect();
                return Ok(Value::Array(batch));
            }
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            return Ok(json!([]));
        }
    }
}

/// Forgets updates the offset confirms; a negative offset keeps only the
/// last `-offset` ones, as Telegram does.
fn confirm(bot: &mut Bot, offset: Option<i64>) {
    match offset {
        Some(o) if o > 0 => {
            while bot
                .updates
                .front()
                .is_some_and(|u| u["update_id"].as_i64() < Some(o))
            {
                bot.updates.pop_front();
            }
        }
        Some(o) if o < 0 => {
            while bot.updates.len() as i64 > -o {
                bot.updates.pop_front();
            }
        }
        _ => {}
    }
}

/// Marks the bot's poll as over when dropped.
struct PollGuard<'a> {
    sh: &'a Shared,
    token: &'a str,
}

impl Drop for PollGuard<'_> {
    fn drop(&mut self) {
        if let Some(bot) = self.sh.lock().bots.get_mut(self.token) {
            bot.polling = false;
            bot.notify.notify_waiters();
        }
    }
}

/// How long a new poll waits for one in progress to end before it is a conflict.
/// A client that gives up a long poll closes its connection and polls again at
/// once (teloxide does so when it stops); the server notices the closed
/// connection a moment later. Telegram does not answer that second poll with
/// 409, so neither do we.
const HANDOVER: Duration = Duration::from_millis(250);

async fn wait_for_the_previous_poll(sh: &Shared, token: &str) {
    let until = tokio::time::Instant::now() + HANDOVER;
    loop {
        let notify = match sh.lock().bots.get(token) {
            Some(bot) if bot.polling => bot.notify.clone(),
            _ => return,
        };
        let ended = notify.notified();
        tokio::pin!(ended);
        ended.as_mut().enable();
        if !sh.lock().bots.get(token).is_some_and(|b| b.polling) {
            return;
        }
        if tokio::time::timeout_at(until, ended).await.is_err() {
            return;
        }
    }
}

pub(super) fn allowed_updates(p: &Params) -> Result<Option<Vec<String>>, ApiError> {
    let Some(list) = p.json("allowed_updates")? else {
        return Ok(None);
    };
    let names = list
        .as_array()
        .ok_or_else(|| ApiError::bad_request("invalid allowed_updates specified"))?
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    Ok(Some(names))
}
