//! The bot's small HTTP server: probes (`/healthz`, `/readyz`, `/health`),
//! Prometheus `/metrics`, ingest (`POST /v1/events`) and, in webhook mode, the
//! webhook route.

pub mod health;
pub mod ingest;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use std::sync::Arc;

/// What the HTTP handlers share.
#[derive(Clone)]
pub struct HttpState {
    /// What `/readyz` checks.
    pub ready: Arc<health::Readiness>,
    /// `POST /v1/events`; `None` (no `INGEST_TOKEN`) answers 404.
    pub ingest: Option<Arc<ingest::Ingest>>,
    /// The webhook route (`WEBHOOK_URL`'s path), when updates come by webhook.
    pub webhook: Option<Router>,
}

pub fn router(mut state: HttpState) -> Router {
    let webhook = state.webhook.take();
    let body_limit = ingest::body_limit(state.ingest.as_deref());
    let probes = Router::new()
        .route("/healthz", get(health::alive))
        .route("/readyz", get(health::ready))
        .route("/health", get(health::ready))
        .with_state(state.ready.clone());
    let router = Router::new()
        .route("/metrics", get(metrics))
        .route(
            "/v1/events",
            post(ingest::events).layer(DefaultBodyLimit::max(body_limit)),
        )
        .with_state(state)
        .merge(probes);
    match webhook {
        Some(webhook) => router.merge(webhook),
        None => router,
    }
}

/// `GET /metrics`: Prometheus text format.
async fn metrics() -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::telemetry::metrics::render(),
    )
}
