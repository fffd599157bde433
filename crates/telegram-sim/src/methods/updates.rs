//! `getUpdates` long polling: offsets confirm, a poll waits until an update
//! arrives or its timeout passes.

use std::time::Duration;

use serde_json::{Value, json};

use super::Failure;
use crate::{error::ApiError, params::Params, sim::Shared, state::Bot};

/// `getUpdates`: answers at once when updates are pending, otherwise waits up
/// to `timeout` seconds for one to be pushed.
pub(super) async fn get_updates(sh: &Shared, token: &str, p: &Params) -> Result<Value, Failure> {
    let offset = p.i64("offset")?;
    let limit = p.i64("limit")?.unwrap_or(100).clamp(1, 100) as usize;
    let timeout = Duration::from_secs(p.i64("timeout")?.unwrap_or(0).clamp(0, 3600) as u64);
    let allowed = allowed_updates(p)?;
    let deadline = tokio::time::Instant::now() + timeout;
    let notify = {
        let mut st = sh.lock();
        let bot = st.bots.get_mut(token).ok_or_else(ApiError::unauthorized)?;
        if allowed.is_some() {
            bot.allowed_updates = allowed;
        }
        bot.notify.clone()
    };
    loop {
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let mut st = sh.lock();
            let bot = st.bots.get_mut(token).ok_or_else(ApiError::unauthorized)?;
            confirm(bot, offset);
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

fn allowed_updates(p: &Params) -> Result<Option<Vec<String>>, ApiError> {
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

/// `getWebhookInfo`: never a webhook, and the pending count.
pub(super) fn webhook_info(sh: &Shared, token: &str) -> Value {
    let pending = sh.lock().bot(token).map_or(0, |b| b.updates.len());
    json!({ "url": "", "has_custom_certificate": false, "pending_update_count": pending })
}
