//! Running the teloxide dispatcher with long polling until a shutdown signal, then
//! letting the handlers in flight finish.

use super::{BotContext, handler_tree};
use anyhow::Context;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use teloxide::dispatching::Dispatcher;
use teloxide::error_handlers::ErrorHandler;
use teloxide::prelude::*;
use teloxide::stop::StopToken;
use teloxide::types::AllowedUpdate;
use teloxide::types::{Update, UpdateKind};
use teloxide::update_listeners::{AsUpdateStream, Polling, UpdateListener};

/// Dispatches updates until `shutdown` resolves; `on_shutdown` runs as soon as it
/// does (so other parts can start winding down beside the dispatcher).
pub async fn dispatch_until(
    bot: Bot,
    ctx: BotContext,
    poll_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send,
    on_shutdown: impl FnOnce(),
) -> anyhow::Result<()> {
    let mut dispatcher = Dispatcher::builder(bot.clone(), handler_tree())
        .dependencies(dptree::deps![ctx])
        .default_handler(|upd| async move {
            tracing::debug!(update = upd.id.0, "no handler for this update; skipped");
        })
        .error_handler(Arc::new(LogErrors))
        .build();
    let token = dispatcher.shutdown_token();
    let polling = Polling::builder(bot)
        .timeout(poll_timeout)
        .allowed_updates(vec![
            AllowedUpdate::Message,
            AllowedUpdate::MyChatMember,
            AllowedUpdate::CallbackQuery,
        ])
        .delete_webhook()
        .await
        .build();
    let polling = SkipUnreadable(polling);

    // The dispatcher runs in its own task so this one can ask it to stop while it
    // keeps running the handlers in flight.
    let mut dispatching = tokio::spawn(async move {
        dispatcher
            .try_dispatch_with_listener(polling, Arc::new(LogErrors))
            .await
            .map_err(|e| anyhow::anyhow!(crate::telemetry::redact(&e.to_string())))
    });
    tokio::pin!(shutdown);
    tokio::select! {
        res = &mut dispatching => res.context("the dispatcher task")?,
        () = &mut shutdown => {
            tracing::info!("shutting down: finishing the work in flight");
            on_shutdown();
            // Not dispatching yet: wait for it to start, then stop it.
            while token.shutdown().is_err() && !dispatching.is_finished() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            dispatching.await.context("the dispatcher task")?
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
