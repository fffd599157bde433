//! The bot's small HTTP server: health now; ingest and metrics join it later.

use crate::storage::Db;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json};
use axum::routing::get;
use serde_json::json;

/// What the HTTP handlers share.
#[derive(Clone)]
pub struct HttpState {
    pub db: Db,
}

pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/health", get(health))
        .with_state(state)
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
