//! Webhooks: `setWebhook`, `deleteWebhook`, `getWebhookInfo`, and the pusher
//! that POSTs each pending update to the registered URL, as Telegram does.
//!
//! Telegram's behaviour, kept here: updates go out in order, each with the
//! `X-Telegram-Bot-Api-Secret-Token` header when a secret was set; an update
//! leaves the queue only when the bot answered 2xx, else it is retried after a
//! pause and the failure shows in `getWebhookInfo`. While a webhook is set,
//! `getUpdates` answers 409.

use std::{sync::Arc, time::Duration};

use serde_json::{Value, json};

use crate::{error::ApiError, model::unix_now, params::Params, shared::Shared, state::Webhook};

/// The first pause after a failed POST; doubled up to [`MAX_BACKOFF`]. Telegram
/// waits longer; tests want a retry they can see within a second.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// How long one POST may take before it counts as failed.
const POST_TIMEOUT: Duration = Duration::from_secs(10);

/// `setWebhook`: registers the URL and starts pushing pending updates to it.
pub(super) fn set_webhook(sh: &Arc<Shared>, token: &str, p: &Params) -> Result<Value, ApiError> {
    let url = p.need_str("url")?;
    if url.is_empty() {
        return delete_webhook(sh, token, p);
    }
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(ApiError::bad_request(
            "bad webhook: An HTTPS URL must be provided for webhook",
        ));
    }
    let secret = p.str("secret_token").filter(|s| !s.is_empty());
    if let Some(secret) = &secret {
        let allowed = secret.len() <= 256
            && secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !allowed {
            return Err(ApiError::bad_request(
                "secret token contains unallowed characters",
            ));
        }
    }
    let allowed = super::updates::allowed_updates(p)?;
    let generation = {
        let mut st = sh.lock();
        let bot = st.bots.get_mut(token).ok_or_else(ApiError::unauthorized)?;
        if p.bool("drop_pending_updates") {
            bot.updates.clear();
        }
        if allowed.is_some() {
            bot.allowed_updates = allowed;
        }
        bot.webhook = Some(Webhook { url, secret });
        bot.webhook_error = None;
        bot.webhook_generation += 1;
        bot.notify.notify_waiters();
        bot.webhook_generation
    };
    tokio::spawn(push_updates(sh.clone(), token.to_owned(), generation));
    Ok(Value::Bool(true))
}

/// `deleteWebhook`: back to `getUpdates`; pending updates stay unless dropped.
pub(super) fn delete_webhook(sh: &Shared, token: &str, p: &Params) -> Result<Value, ApiError> {
    let mut st = sh.lock();
    let bot = st.bots.get_mut(token).ok_or_else(ApiError::unauthorized)?;
    if p.bool("drop_pending_updates") {
        bot.updates.clear();
    }
    bot.webhook = None;
    bot.webhook_error = None;
    bot.webhook_generation += 1;
    bot.notify.notify_waiters();
    Ok(Value::Bool(true))
}

/// `getWebhookInfo`: the URL (empty without a webhook), the pending count and the
/// last delivery error.
pub(super) fn webhook_info(sh: &Shared, token: &str) -> Result<Value, ApiError> {
    let st = sh.lock();
    let bot = st.bot(token).ok_or_else(ApiError::unauthorized)?;
    let mut info = json!({
        "url": bot.webhook.as_ref().map_or("", |w| w.url.as_str()),
        "has_custom_certificate": false,
        "pending_update_count": bot.updates.len(),
    });
    if let Some(allowed) = &bot.allowed_updates {
        info["allowed_updates"] = json!(allowed);
    }
    if let Some((date, message)) = &bot.webhook_error {
        info["last_error_date"] = json!(date);
        info["last_error_message"] = json!(message);
    }
    Ok(info)
}

/// POSTs the bot's pending updates one by one until its webhook changes.
async fn push_updates(sh: Arc<Shared>, token: String, generation: u64) {
    let client = reqwest::Client::builder()
        .timeout(POST_TIMEOUT)
        .build()
        .expect("a plain HTTP client builds");
    let mut backoff = FIRST_BACKOFF;
    loop {
        let (next, notify) = {
            let st = sh.lock();
            let Some(bot) = st.bot(&token) else { return };
            if bot.webhook_generation != generation {
                return;
            }
            let hook = bot
                .webhook
                .clone()
                .expect("a current generation has a webhook");
            (
                bot.updates.front().cloned().map(|u| (hook, u)),
                bot.notify.clone(),
            )
        };
        let Some((hook, update)) = next else {
            let notified = notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let empty = sh
                .lock()
                .bot(&token)
                .is_none_or(|b| b.updates.is_empty() && b.webhook_generation == generation);
            if empty {
                let _ = tokio::time::timeout(Duration::from_secs(1), notified).await;
            }
            continue;
        };
        match post(&client, &hook, &update).await {
            Ok(()) => {
                backoff = FIRST_BACKOFF;
                let mut st = sh.lock();
                let Some(bot) = st.bots.get_mut(&token) else {
                    return;
                };
                let id = update["update_id"].as_i64();
                if bot
                    .updates
                    .front()
                    .is_some_and(|u| u["update_id"].as_i64() == id)
                {
                    bot.updates.pop_front();
                }
                bot.stats.webhook_delivered += 1;
                drop(st);
                sh.changed.notify_waiters();
            }
            Err(message) => {
                {
                    let mut st = sh.lock();
                    let Some(bot) = st.bots.get_mut(&token) else {
                        return;
                    };
                    bot.stats.webhook_failed += 1;
                    bot.webhook_error = Some((unix_now(), message));
                }
                sh.changed.notify_waiters();
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// One delivery: 2xx is success, anything else Telegram's wording of the failure.
async fn post(client: &reqwest::Client, hook: &Webhook, update: &Value) -> Result<(), String> {
    let mut request = client.post(&hook.url).json(update);
    if let Some(secret) = &hook.secret {
        request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
    }
    match request.send().await {
        Ok(answer) if answer.status().is_success() => Ok(()),
        Ok(answer) => Err(format!(
            "Wrong response from the webhook: {}",
            answer.status()
        )),
        Err(err) if err.is_timeout() => Err("Read timeout expired".into()),
        Err(_) => Err("Connection refused".into()),
    }
}
