//! `POST /v1/events`: activity in, over HTTP. The contract is `openapi/ingest.yaml`.
//!
//! Every refusal is a 4xx with `{"error": "...", "field": "..."}` naming what is wrong.
//! Ids are hashed into the store and never echoed, logged or quoted in an error: a
//! refusal says which index or line is at fault, never what it held.

mod body;
mod read;

use super::HttpState;
use crate::config::IngestConfig;
use crate::sketch::{Metric, Metrics, SketchStore, SketchStoreKind};
use axum::extract::{Query, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use body::{Batch, BodyKind, DayRange, Params, body_kind};
use chrono::Utc;
use serde_json::json;

/// What the endpoint needs; present only when `INGEST_TOKEN` is set.
pub struct Ingest {
    /// Where accepted ids go: the app's one store, shared with the watcher.
    pub store: SketchStoreKind,
    /// The metrics a request may name; anything else is refused.
    pub metrics: Metrics,
    /// Token and limits.
    pub config: IngestConfig,
}

/// A refusal: status, message, and the request part at fault.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    error: String,
    field: Option<&'static str>,
}

fn refuse(status: StatusCode, field: Option<&'static str>, error: impl Into<String>) -> Refusal {
    Refusal {
        status,
        error: error.into(),
        field,
    }
}

fn bad(field: &'static str, error: impl Into<String>) -> Refusal {
    refuse(StatusCode::BAD_REQUEST, Some(field), error)
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = Json(json!({"error": self.error, "field": self.field}));
        if self.status == StatusCode::UNAUTHORIZED {
            (self.status, [(header::WWW_AUTHENTICATE, "Bearer")], body).into_response()
        } else {
            (self.status, body).into_response()
        }
    }
}

#[tracing::instrument(skip_all)]
pub async fn events(state: axum::extract::State<HttpState>, req: Request) -> Response {
    let Some(ingest) = state.0.ingest.clone() else {
        return refuse(StatusCode::NOT_FOUND, None, "not found").into_response();
    };
    match accept(&ingest, req).await {
        Ok(response) => response,
        Err(refusal) => {
            tracing::info!(status = %refusal.status, field = refusal.field, "ingest refused");
            refusal.into_response()
        }
    }
}

async fn accept(ingest: &Ingest, req: Request) -> Result<Response, Refusal> {
    authorize(ingest, req.headers())?;
    let kind = body_kind(req.headers())?;
    let Query(params) = Query::<Params>::try_from_uri(req.uri())
        .map_err(|_| bad("query", "the query string is malformed"))?;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > ingest.config.max_body) {
        return Err(read::body_too_large(ingest.config.max_body));
    }
    let days = DayRange::new(Utc::now().date_naive(), ingest.longest_window());
    let batch = match kind {
        BodyKind::Json => read::json(req.into_body(), &ingest.config).await?,
        BodyKind::Lines { json } => {
            // Metric and day come from the query: refused before the body is read.
            ingest.metric(params.metric.as_deref())?;
            days.parse(params.day.as_deref())?;
            let ids = read::lines(req.into_body(), json, &ingest.config).await?;
            Batch {
                metric: params.metric,
                day: params.day,
                ids,
            }
        }
    };
    let metric = ingest.metric(batch.metric.as_deref())?;
    let day = days.parse(batch.day.as_deref())?;
    if let Some(at) = batch.ids.iter().position(|id| id.is_empty()) {
        return Err(bad("ids", format!("the id at index {at} is empty")));
    }
    let ids: Vec<&[u8]> = batch.ids.iter().map(|id| id.as_bytes()).collect();
    let accepted = ingest.store.add(&metric.name, day, &ids).await.map_err(|err| {
        tracing::error!(error = %err, metric = %metric.name, "ingest could not write to the sketch store");
        refuse(StatusCode::SERVICE_UNAVAILABLE, None, "the sketch store is unavailable; retry later")
    })?;
    tracing::info!(metric = %metric.name, %day, accepted, "ids recorded");
    crate::telemetry::metrics::ingested(metric.name.as_str(), accepted as u64);
    let body =
        json!({"accepted": accepted, "metric": metric.name.as_str(), "day": day.to_string()});
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

impl Ingest {
    /// The metric a request names, which must be configured.
    fn metric(&self, name: Option<&str>) -> Result<&Metric, Refusal> {
        let name = name.ok_or_else(|| bad("metric", "metric is required"))?;
        self.metrics.get(name).ok_or_else(|| {
            bad(
                "metric",
                format!(
                    "unknown metric; this server counts {}",
                    self.metrics.names()
                ),
            )
        })
    }

    /// The longest window of the configured metrics, in days.
    fn longest_window(&self) -> u16 {
        self.metrics
            .iter()
            .map(|m| m.window_days)
            .max()
            .unwrap_or(1)
    }
}

fn authorize(ingest: &Ingest, headers: &HeaderMap) -> Result<(), Refusal> {
    let unauthorized = |msg: &str| refuse(StatusCode::UNAUTHORIZED, Some("authorization"), msg);
    let header = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| unauthorized("missing bearer token"))?;
    let presented = header
        .as_bytes()
        .strip_prefix(b"Bearer ")
        .ok_or_else(|| unauthorized("the Authorization header must be: Bearer <token>"))?;
    let token = ingest
        .config
        .token
        .as_ref()
        .expect("ingest is on only with a token");
    if token.matches(presented.trim_ascii()) {
        Ok(())
    } else {
        Err(unauthorized("bad token"))
    }
}

/// The length limit on the route, from the configuration (0 when ingest is off).
pub fn body_limit(ingest: Option<&Ingest>) -> usize {
    ingest.map_or(0, |i| i.config.max_body)
}

#[cfg(test)]
mod tests;
