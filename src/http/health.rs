//! Liveness and readiness, as orchestrators probe them.
//!
//! - `GET /healthz`: the process is alive and serving HTTP (always 200).
//! - `GET /readyz` (and `/health`, kept for older probes): 200 only when every part
//!   this instance needs answers: the database, the sketch store, the Bot API (a
//!   `getMe` answered within [`BOT_API_MAX_SILENCE`]), and the broadcast sender
//!   (running, standing by for another instance, or disabled; not failing).
//!   Otherwise 503 with a JSON body naming each part that is not ready and why. The
//!   body always carries the sender's own report (`sender`: state, running, error,
//!   since).

use crate::broadcast::{SenderState, SenderStatus};
use crate::sketch::{MetricName, SketchStore, SketchStoreKind};
use crate::storage::Db;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::Utc;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use teloxide::prelude::*;
use tokio_util::sync::CancellationToken;

/// How often the Bot API is asked `getMe` to prove it answers.
pub const BOT_API_PROBE_EVERY: Duration = Duration::from_secs(30);
/// How long without an answer before the Bot API counts as not ready: a few probes,
/// so one slow answer does not take the instance out of rotation.
pub const BOT_API_MAX_SILENCE: Duration = Duration::from_secs(120);

/// What readiness looks at; shared by the probes and the handlers.
pub struct Readiness {
    pub db: Db,
    pub store: SketchStoreKind,
    /// A configured metric, to read today's sketch of.
    pub probe_metric: Option<MetricName>,
    /// The broadcast sender's status, where this process has one.
    pub sender: Option<SenderStatus>,
    /// When `getMe` last answered (UTC ms), 0 for never.
    bot_api_answered_at: AtomicI64,
}

impl Readiness {
    pub fn new(
        db: Db,
        store: SketchStoreKind,
        probe_metric: Option<MetricName>,
        sender: Option<SenderStatus>,
    ) -> Self {
        Self {
            db,
            store,
            probe_metric,
            sender,
            bot_api_answered_at: AtomicI64::new(0),
        }
    }

    /// The Bot API just answered.
    pub fn bot_api_answered(&self) {
        self.bot_api_answered_at
            .store(Utc::now().timestamp_millis(), Ordering::Relaxed);
    }

    /// Each part that is not ready, with why.
    async fn problems(&self) -> Map<String, Value> {
        let mut problems = Map::new();
        if let Err(err) = self.db.ping().await {
            problems.insert("database".into(), json!(err.to_string()));
        }
        if let Some(metric) = &self.probe_metric
            && let Err(err) = self.store.day_sketch(metric, Utc::now().date_naive()).await
        {
            problems.insert("sketch_store".into(), json!(err.to_string()));
        }
        let answered = self.bot_api_answered_at.load(Ordering::Relaxed);
        let silent_ms = Utc::now().timestamp_millis() - answered;
        if answered == 0 {
            problems.insert("bot_api".into(), json!("getMe has not answered yet"));
        } else if silent_ms > BOT_API_MAX_SILENCE.as_millis() as i64 {
            problems.insert(
                "bot_api".into(),
                json!(format!("getMe has not answered for {}s", silent_ms / 1000)),
            );
        }
        if let Some(report) = self.sender.as_ref().map(SenderStatus::get)
            && report.state == SenderState::Failing
        {
            problems.insert(
                "sender".into(),
                json!(report.error.unwrap_or_else(|| "failing".into())),
            );
        }
        problems
    }
}

/// `GET /healthz`.
pub async fn alive() -> impl IntoResponse {
    (StatusCode::OK, Json(json!({ "status": "alive" })))
}

/// `GET /readyz` and `GET /health`.
pub async fn ready(State(ready): State<Arc<Readiness>>) -> impl IntoResponse {
    let problems = ready.problems().await;
    let (code, mut body) = if problems.is_empty() {
        (StatusCode::OK, json!({ "status": "ok" }))
    } else {
        tracing::warn!(parts = ?problems.keys().collect::<Vec<_>>(), "not ready");
        (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "status": "not ready", "not_ready": problems }),
        )
    };
    if let Some(sender) = &ready.sender {
        body["sender"] = json!(sender.get());
    }
    (code, Json(body))
}

/// Asks `getMe` every [`BOT_API_PROBE_EVERY`] until `stop`, recording answers.
pub async fn probe_bot_api(bot: Bot, ready: Arc<Readiness>, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(BOT_API_PROBE_EVERY) => {}
        }
        let started = std::time::Instant::now();
        let answer = bot.get_me().await;
        crate::telemetry::metrics::telegram_request(
            "getMe",
            crate::telemetry::metrics::answer_of(&answer),
            started.elapsed(),
        );
        match answer {
            Ok(_) => ready.bot_api_answered(),
            Err(err) => tracing::warn!(
                error = %crate::telemetry::redact(&err.to_string()),
                "the Bot API did not answer getMe"
            ),
        }
    }
}
