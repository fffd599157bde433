//! Updates by webhook: Telegram POSTs each update to `WEBHOOK_URL`, whose path the
//! bot serves on its own HTTP server.
//!
//! A POST must carry `X-Telegram-Bot-Api-Secret-Token` equal to `WEBHOOK_SECRET`
//! (else 401, and nothing changes); its body is at most [`MAX_BODY`] (else 413).
//! The update is handed to the dispatcher and answered 200 at once: the work goes
//! on after the answer, so Telegram never waits on a handler. An update delivered
//! twice is handled once: the dispatcher remembers update ids in the database
//! (see `dispatch`), which also covers several instances behind a load balancer.

use crate::config::WebhookSecret;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use futures::channel::mpsc;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use teloxide::stop::{StopToken, mk_stop_token};
use teloxide::types::Update;
use teloxide::update_listeners::{StatefulListener, UpdateListener};

/// The largest update body accepted. Telegram's updates are a few KiB; a message
/// with every entity and a long reply chain stays far below this.
pub const MAX_BODY: usize = 1 << 20;

/// The header Telegram puts the secret in.
const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

type Sender = mpsc::UnboundedSender<Result<Update, Infallible>>;
type Receiver = mpsc::UnboundedReceiver<Result<Update, Infallible>>;

/// The receiving end of the webhook, for one dispatcher run.
pub struct WebhookUpdates {
    receiver: Receiver,
    stop: StopToken,
}

/// The HTTP side of the webhook: what the route handler shares.
#[derive(Clone)]
struct Inbox {
    secret: WebhookSecret,
    /// `None` once the dispatcher stopped taking updates: answered 503, so Telegram
    /// retries later (or at another instance).
    sender: Arc<Mutex<Option<Sender>>>,
}

/// The webhook's route (to merge into the bot's HTTP server) and the updates it
/// receives (for the dispatcher).
pub fn webhook(path: &str, secret: WebhookSecret) -> (Router, WebhookUpdates) {
    let (tx, rx) = mpsc::unbounded();
    let (stop, flag) = mk_stop_token();
    let inbox = Inbox {
        secret,
        sender: Arc::new(Mutex::new(Some(tx))),
    };
    // Stop taking updates as soon as the dispatcher asks its listener to stop.
    let closing = inbox.sender.clone();
    tokio::spawn(async move {
        flag.await;
        closing.lock().unwrap_or_else(|e| e.into_inner()).take();
    });
    let router = Router::new()
        .route(path, post(receive))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(inbox);
    (router, WebhookUpdates { receiver: rx, stop })
}

impl WebhookUpdates {
    /// A teloxide update listener over the received updates.
    pub fn into_listener(self) -> impl UpdateListener<Err = Infallible> + Send {
        StatefulListener::new(self, updates_of, |st: &mut WebhookUpdates| st.stop.clone())
    }
}

fn updates_of(st: &mut WebhookUpdates) -> &mut Receiver {
    &mut st.receiver
}

/// One POST from Telegram.
async fn receive(State(inbox): State<Inbox>, headers: HeaderMap, body: String) -> StatusCode {
    let presented = headers.get(SECRET_HEADER).map(|v| v.as_bytes());
    if !presented.is_some_and(|p| inbox.secret.matches(p)) {
        tracing::warn!("webhook call without the right secret token; refused");
        return StatusCode::UNAUTHORIZED;
    }
    let update: Update = match serde_json::from_str(&body) {
        Ok(update) => update,
        Err(err) => {
            // The body may hold user data: say where it broke, not what it held.
            tracing::warn!(
                line = err.line(),
                column = err.column(),
                "webhook body is not an update; refused"
            );
            return StatusCode::BAD_REQUEST;
        }
    };
    let sender = inbox
        .sender
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    match sender {
        Some(tx) if tx.unbounded_send(Ok(update)).is_ok() => StatusCode::OK,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    }
}
