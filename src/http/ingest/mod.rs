//! `POST /v1/events`: activity in, over HTTP. The contract is `openapi/ingest.yaml`.
//!
//! Every refusal is a 4xx with `{"error": "...", "field": "..."}` naming what is wrong.
//! Ids are hashed into the store and never echoed, logged or quoted in an error: a
//! refusal says which index or line is at fault, never what it held.

mod body;

use super::HttpState;
use crate::config::IngestConfig;
use crate::sketch::{Metrics, SketchStore, SketchStoreKind};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Query, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use body::{BodyKind, Params, body_kind, parse_day, parse_json, parse_lines};
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
    let body = Bytes::from_request(req, &())
        .await
        .map_err(|e| too_large(e, ingest))?;
    let batch = match kind {
        BodyKind::Json => parse_json(&body)?,
        BodyKind::Lines { json } => parse_lines(&body, json, params)?,
    };
    let metric = match batch.metric.as_deref() {
        None => return Err(bad("metric", "metric is required")),
        Some(name) => ingest.metrics.get(name).ok_or_else(|| {
            bad(
                "metric",
                format!(
                    "unknown metric; this server counts {}",
                    ingest.metrics.names()
                ),
            )
        })?,
    };
    let day = parse_day(batch.day.as_deref())?;
    if batch.ids.len() > ingest.config.max_ids {
        return Err(refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            Some("ids"),
            format!(
                "{} ids in one request; at most {}",
                batch.ids.len(),
                ingest.config.max_ids
            ),
        ));
    }
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

fn too_large(rejection: BytesRejection, ingest: &Ingest) -> Refusal {
    let limit = ingest.config.max_body;
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        let error = format!("the body is larger than {limit} bytes");
        refuse(StatusCode::PAYLOAD_TOO_LARGE, Some("body"), error)
    } else {
        bad("body", "the body could not be read")
    }
}

/// The length limit on the route, from the configuration (0 when ingest is off).
pub fn body_limit(ingest: Option<&Ingest>) -> usize {
    ingest.map_or(0, |i| i.config.max_body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    /// `unwrap_err` would need `Batch: Debug`, which would print ids.
    fn refusal<T>(result: Result<T, Refusal>) -> Refusal {
        match result {
            Ok(_) => panic!("accepted"),
            Err(refusal) => refusal,
        }
    }

    #[test]
    fn lines_split_on_newlines_with_an_optional_final_one() {
        for (body, n) in [("a\nb\r\nc\n", 3), ("a", 1), ("", 0), ("\n", 0)] {
            let batch = parse_lines(body.as_bytes(), false, Params::default()).unwrap();
            assert_eq!(batch.ids.len(), n, "{body:?}");
        }
        let err = refusal(parse_lines(b"a\n\nb", false, Params::default()));
        assert_eq!(err.error, "line 2 is empty");
    }

    #[test]
    fn ndjson_lines_are_json_strings_or_integers() {
        let batch = parse_lines(b"\"a\\u0062\"\n42\n", true, Params::default()).unwrap();
        assert_eq!(batch.ids, vec!["ab", "42"]);
        let err = refusal(parse_lines(b"\"a\"\n{\"x\":1}\n", true, Params::default()));
        assert_eq!(err.error, "line 2 is not a JSON string or integer");
    }

    #[test]
    fn a_json_error_never_quotes_the_body() {
        let err = refusal(parse_json(br#"{"metric":"mau","ids":"secret-user-42"}"#));
        assert!(!err.error.contains("secret-user-42"), "{}", err.error);
        let err = refusal(parse_json(
            br#"{"metric":"mau","ids":["secret-user-42", {}]}"#,
        ));
        assert!(!err.error.contains("secret-user-42"), "{}", err.error);
    }

    #[test]
    fn a_day_is_an_iso_date_not_after_tomorrow() {
        assert!(parse_day(Some("2026-01-05")).is_ok());
        assert_eq!(parse_day(None).unwrap(), Utc::now().date_naive());
        for bad_day in ["2026-1-5", "05/01/2026", "2026-02-30", "9999-01-01", ""] {
            assert!(parse_day(Some(bad_day)).is_err(), "{bad_day}");
        }
    }
}
