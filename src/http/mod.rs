//! The bot's small HTTP server: health and ingest; metrics join it later.

pub mod ingest;

use crate::storage::Db;
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
    /// The webhook route (`WEBHOOK_URL`'s path), when updates come by webhook.
    pub webhook: Option<Router>,
}

pub fn router(mut state: HttpState) -> Router {
    let body_limit = ingest::body_limit(state.ingest.as_deref());
    let webhook = state.webhook.take();
    let router = Router::new()
        .route("/health", get(health))
        .route(
            "/v1/events",
            post(ingest::events).layer(DefaultBodyLimit::max(body_limit)),
        )
        .with_state(state);
    match webhook {
        Some(webhook) => router.merge(webhook),
        None => router,
    }
}

/// `200 {"status":"ok"}` while the database answers, `503` otherwise.
async fn health(State(state): State<HttpState>) -> impl IntoResponse {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({"status": "ok"}))),
        Err(err) => {
            tracing::warn!(error = %err, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "database unavailable"})),
            )
        }
    }
}
