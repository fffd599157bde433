//! The bot's small HTTP server: health and ingest; metrics join it later.

pub mod ingest;

use crate::broadcast::SenderStatus;
use crate::storage::Db;
use axum::Extension;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json};
use axum::routing::{get, post};
use serde_json::json;
use std::sync::Arc;

/// What the HTTP handlers share.
#[derive(Clone)]
pub struct HttpState {
    pub db: Db,
    /// `POST /v1/events`; `None` (no `INGEST_TOKEN`) answers 404.
    pub ingest: Option<Arc<ingest::Ingest>>,
}

pub fn router(state: HttpState) -> Router {
    let body_limit = ingest::body_limit(state.ingest.as_deref());
    Router::new()
        .route("/health", get(health))
        .route(
            "/v1/events",
            post(ingest::events).layer(DefaultBodyLimit::max(body_limit)),
        )
        .with_state(state)
}

/// `200 {"status":"ok", …}` while the database answers, `503` otherwise. The
/// `sender` field says whether this instance's broadcast sender runs and, if not,
/// why (`{"state":"failing","running":false,"error":"…","since":"…"}`); it does not
/// change the status code: the bot still serves commands and ingest.
async fn health(
    State(state): State<HttpState>,
    sender: Option<Extension<SenderStatus>>,
) -> impl IntoResponse {
    let (code, status) = match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(err) => {
            tracing::warn!(error = %err, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    };
    let mut body = json!({ "status": status });
    if let Some(Extension(sender)) = sender {
        body["sender"] = json!(sender.get());
    }
    (code, Json(body))
}
