//! Running the teloxide dispatcher until a shutdown signal, then letting the
//! handlers in flight finish.
//!
//! Updates come from one of two sources:
//! - **Long polling**: Telegram answers a second concurrent `getUpdates` with 409,
//!   so with several instances only the holder of the "updates" lease polls; the
//!   others stand by and take over within the lease's TTL when it dies.
//! - **Webhook**: every instance takes the updates a load balancer gives it.
//!
//! Either way each update is handled once: its id is recorded in the database
//! first (`storage::updates`), so a webhook retry or an update a dead poller took
//! but never confirmed is skipped by whoever sees it second.

use super::webhook::WebhookUpdates;
use super::{BotContext, handler_tree};
use crate::broadcast::lease::Lease;
use crate::storage::{Db, updates};
use anyhow::Context;
use chrono::Utc;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use teloxide::dispatching::{Dispatcher, ShutdownToken, UpdateHandler};
use teloxide::error_handlers::ErrorHandler;
use teloxide::prelude::*;
use teloxide::stop::StopToken;
use teloxide::types::AllowedUpdate;
use teloxide::types::UpdateKind;
use teloxide::update_listeners::{AsUpdateStream, Polling, UpdateListener};
use tokio_util::sync::CancellationToken;

/// The update kinds the handler tree handles: what `getUpdates` and `setWebhook`
/// ask Telegram for.
pub fn allowed_updates() -> Vec<AllowedUpdate> {
    vec![
        AllowedUpdate::Message,
        AllowedUpdate::MyChatMember,
        AllowedUpdate::CallbackQuery,
    ]
}

/// Where updates come from.
pub enum UpdateSource {
    /// `getUpdates`, while this instance holds `lease`.
    Polling { timeout: Duration, lease: Lease },
    /// The webhook route's updates.
    Webhook(WebhookUpdates),
}

/// Remembers update ids so each is handled once (see the module docs).
#[derive(Clone)]
struct SeenUpdates {
    db: Db,
    bot_id: Arc<str>,
}

impl SeenUpdates {
    async fn first_sight(&self, update: &Update) -> bool {
        crate::telemetry::metrics::update(kind_name(&update.kind));
        match updates::first_sight(&self.db, &self.bot_id, update.id.0, Utc::now()).await {
            Ok(true) => true,
            Ok(false) => {
                tracing::info!(update = update.id.0, "update already handled; skipped");
                false
            }
            Err(err) => {
                // Better handled twice than lost: the handlers are idempotent where it
                // matters (membership, confirmations).
                tracing::warn!(error = %err, "could not record an update id; handling it anyway");
                true
            }
        }
    }
}

/// The `kind` label of an update: the kinds we ask for by name, the rest as
/// `other` (Telegram sends only what `allowed_updates` lists).
fn kind_name(kind: &teloxide::types::UpdateKind) -> &'static str {
    use teloxide::types::UpdateKind;
    match kind {
        UpdateKind::Message(_) => "message",
        UpdateKind::EditedMessage(_) => "edited_message",
        UpdateKind::ChannelPost(_) => "channel_post",
        UpdateKind::MyChatMember(_) => "my_chat_member",
        UpdateKind::ChatMember(_) => "chat_member",
        UpdateKind::CallbackQuery(_) => "callback_query",
        _ => "other",
    }
}

/// Dispatches updates until `shutdown` resolves; `on_shutdown` runs as soon as it
/// does (so other parts can start winding down beside the dispatcher).
pub async fn dispatch_until(
    bot: Bot,
    ctx: BotContext,
    bot_id: &str,
    source: UpdateSource,
    shutdown: impl Future<Output = ()> + Send,
    on_shutdown: impl FnOnce(),
) -> anyhow::Result<()> {
    let seen = SeenUpdates {
        db: ctx.db.clone(),
        bot_id: bot_id.into(),
    };
    let stop = CancellationToken::new();
    let pruning = tokio::spawn(prune_seen(seen.clone(), stop.clone()));
    let running = async {
        match source {
            UpdateSource::Webhook(updates) => {
                let dispatcher = build(bot, ctx, seen);
                run_with(
                    dispatcher,
                    SkipUnreadable(updates.into_listener()),
                    stop.clone(),
                )
                .await
            }
            UpdateSource::Polling { timeout, lease } => {
                poll_while_leased(bot, ctx, seen, timeout, lease, stop.clone()).await
            }
        }
    };
    tokio::pin!(running, shutdown);
    let result = tokio::select! {
        res = &mut running => res,
        () = &mut shutdown => {
            tracing::info!("shutting down: finishing the work in flight");
            on_shutdown();
            stop.cancel();
            running.await
        }
    };
    stop.cancel();
    let _ = pruning.await;
    result
}

/// Updates of one chat are handled in order; teloxide's default gives every chat
/// its own worker task and queue, kept while the bot runs (about 9.5 KB a chat, a
/// gigabyte at 100,000 chats that subscribe at once). We hash chats onto a fixed
/// number of lanes instead: still in order per chat, and memory that does not grow
/// with the number of chats.
const LANES: i64 = 16;

/// A lane of the dispatcher: the chats whose id falls on it share one worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Lane(i64);

fn lane_of(update: &Update) -> Option<Lane> {
    update.chat().map(|chat| Lane(chat.id.0.rem_euclid(LANES)))
}

type BotDispatcher = Dispatcher<Bot, anyhow::Error, Lane>;

/// The dispatcher over our handler tree, with update ids checked first.
fn build(bot: Bot, ctx: BotContext, seen: SeenUpdates) -> BotDispatcher {
    let tree: UpdateHandler<anyhow::Error> = dptree::entry()
        .filter_async(|upd: Update, seen: SeenUpdates| async move { seen.first_sight(&upd).await })
        .chain(handler_tree());
    Dispatcher::builder(bot, tree)
        .dependencies(dptree::deps![ctx, seen])
        .default_handler(|upd| async move {
            tracing::debug!(update = upd.id.0, "no handler for this update; skipped");
        })
        .error_handler(Arc::new(LogErrors))
        .distribution_function(lane_of)
        .build()
}

/// Runs `dispatcher` over `listener` until `stop` is cancelled, then lets the
/// handlers in flight finish.
async fn run_with<L>(
    mut dispatcher: BotDispatcher,
    listener: L,
    stop: CancellationToken,
) -> anyhow::Result<()>
where
    L: teloxide::update_listeners::UpdateListener + Send + 'static,
    L::Err: std::fmt::Debug + Send,
{
    let token = dispatcher.shutdown_token();
    // The dispatcher runs in its own task so this one can ask it to stop while it
    // keeps running the handlers in flight.
    let mut dispatching = tokio::spawn(async move {
        dispatcher
            .try_dispatch_with_listener(listener, Arc::new(LogErrors))
            .await
            .map_err(|e| anyhow::anyhow!(crate::telemetry::redact(&e.to_string())))
    });
    tokio::select! {
        res = &mut dispatching => res.context("the dispatcher task")?,
        () = stop.cancelled() => {
            stop_dispatcher(&token, &dispatching).await;
            dispatching.await.context("the dispatcher task")?
        }
    }
}

/// Asks a dispatcher to stop; one that has not started dispatching yet is waited
/// for first.
async fn stop_dispatcher(
    token: &ShutdownToken,
    dispatching: &tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    while token.shutdown().is_err() && !dispatching.is_finished() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Long polling in terms of the "updates" lease: wait for it, poll while it is
/// renewed, stop polling the moment it cannot be, and wait again.
async fn poll_while_leased(
    bot: Bot,
    ctx: BotContext,
    seen: SeenUpdates,
    timeout: Duration,
    lease: Lease,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let lease = Arc::new(lease);
    loop {
        if !wait_for_lease(&lease, &stop).await {
            return Ok(());
        }
        tracing::info!("taking updates by long polling");
        crate::telemetry::metrics::set_leader("updates", true);
        let polling = Polling::builder(bot.clone())
            .timeout(timeout)
            .allowed_updates(allowed_updates())
            .delete_webhook()
            .await
            .build();
        let term = stop.child_token();
        let renewing = tokio::spawn(renew_or_stop(lease.clone(), term.clone()));
        let dispatcher = build(bot.clone(), ctx.clone(), seen.clone());
        let result = run_with(dispatcher, SkipUnreadable(polling), term.clone()).await;
        term.cancel();
        let _ = renewing.await;
        crate::telemetry::metrics::set_leader("updates", false);
        if stop.is_cancelled() {
            lease.release().await;
            return result;
        }
        result?;
        tracing::warn!("lost the updates lease; stopped polling");
    }
}

/// Waits until this instance holds `lease`; `false` if stopped first.
async fn wait_for_lease(lease: &Lease, stop: &CancellationToken) -> bool {
    let mut said = false;
    loop {
        match lease.acquire_or_renew().await {
            Ok(true) => return true,
            Ok(false) if !said => {
                tracing::info!("another instance is taking updates for this bot; standing by");
                said = true;
            }
            Ok(false) => {}
            Err(err) => tracing::warn!(error = %err, "could not check the updates lease"),
        }
        tokio::select! {
            () = stop.cancelled() => return false,
            () = tokio::time::sleep(lease.renew_every()) => {}
        }
    }
}

/// Renews `lease` until `term` ends; ends the term once the lease is no longer
/// valid (lost to another instance, or not renewed in time).
async fn renew_or_stop(lease: Arc<Lease>, term: CancellationToken) {
    loop {
        tokio::select! {
            () = term.cancelled() => return,
            () = tokio::time::sleep(lease.renew_every()) => {}
        }
        match lease.acquire_or_renew().await {
            Ok(true) => continue,
            Ok(false) => tracing::error!("another instance took the updates lease"),
            Err(err) => tracing::warn!(error = %err, "could not renew the updates lease"),
        }
        if !lease.is_valid() {
            term.cancel();
            return;
        }
    }
}

/// Forgets update ids older than a day, every hour: Telegram keeps an update it
/// could not deliver for 24 hours, so an older one never comes back.
async fn prune_seen(seen: SeenUpdates, stop: CancellationToken) {
    loop {
        let cutoff = Utc::now() - chrono::Duration::days(1);
        if let Err(err) = updates::prune(&seen.db, cutoff).await {
            tracing::warn!(error = %err, "could not prune seen update ids");
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(3600)) => {}
        }
    }
}

/// Logs handler and polling errors; the writer redacts the token from request URLs.
struct LogErrors;

impl<E: std::fmt::Debug + Send + 'static> ErrorHandler<E> for LogErrors {
    fn handle_error(self: Arc<Self>, error: E) -> futures::future::BoxFuture<'static, ()> {
        Box::pin(async move {
            tracing::error!(error = %crate::telemetry::redact(&format!("{error:?}")), "update failed");
        })
    }
}

/// Drops updates teloxide cannot read (a chat type from a newer Bot API, say) before
/// the dispatcher sees them: the dispatcher would log their raw JSON, names and
/// user ids included. This logs that one was skipped, by its update id only.
struct SkipUnreadable<L>(L);

impl<L> UpdateListener for SkipUnreadable<L>
where
    L: UpdateListener,
    L::Err: Send + 'static,
{
    type Err = L::Err;

    fn stop_token(&mut self) -> StopToken {
        self.0.stop_token()
    }

    fn hint_allowed_updates(&mut self, hint: &mut dyn Iterator<Item = AllowedUpdate>) {
        self.0.hint_allowed_updates(hint)
    }
}

impl<'a, L> AsUpdateStream<'a> for SkipUnreadable<L>
where
    L: AsUpdateStream<'a>,
    L::StreamErr: Send + 'a,
{
    type StreamErr = L::StreamErr;
    type Stream = futures::stream::BoxStream<'a, Result<Update, L::StreamErr>>;

    fn as_stream(&'a mut self) -> Self::Stream {
        use futures::StreamExt;
        Box::pin(self.0.as_stream().filter(|update| {
            let readable = match update {
                Ok(Update {
                    id,
                    kind: UpdateKind::Error(_),
                }) => {
                    tracing::warn!(update = id.0, "an update this bot cannot read; skipped");
                    false
                }
                _ => true,
            };
            std::future::ready(readable)
        }))
    }
}
