//! `POST /v1/events`: activity in, over HTTP. The contract is `openapi/ingest.yaml`.
//!
//! Every refusal is a 4xx with `{"error": "...", "field": "..."}` naming what is wrong.
//! Ids are hashed into the store and never echoed, logged or quoted in an error: a
//! refusal says which index or line is at fault, never what it held.

use super::HttpState;
use crate::config::IngestConfig;
use crate::sketch::{Metrics, SketchStore, SketchStoreKind};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Query, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use chrono::{Days, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;
use std::borrow::Cow;

/// What the endpoint needs; present only when `INGEST_TOKEN` is set.
pub struct Ingest {
    pub store: SketchStoreKind,
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

/// One request's worth of ids, not yet validated.
struct Batch<'a> {
    metric: Option<String>,
    day: Option<String>,
    ids: Vec<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct JsonBody<'a> {
    metric: Option<String>,
    day: Option<String>,
    #[serde(borrow, default)]
    ids: Vec<Id<'a>>,
}

#[derive(Deserialize, Default)]
struct Params {
    metric: Option<String>,
    day: Option<String>,
}

/// An id: a JSON string, or an integer taken as its decimal text.
struct Id<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Id<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw<'a> {
            #[serde(borrow)]
            Text(Cow<'a, str>),
            Unsigned(u64),
            Signed(i64),
        }
        match Raw::deserialize(d) {
            Ok(Raw::Text(s)) => Ok(Id(s)),
            Ok(Raw::Unsigned(n)) => Ok(Id(Cow::Owned(n.to_string()))),
            Ok(Raw::Signed(n)) => Ok(Id(Cow::Owned(n.to_string()))),
            Err(_) => Err(serde::de::Error::custom("an id is a string or an integer")),
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

enum BodyKind {
    Json,
    /// One id per line; with `json`, each line is a JSON string or integer (NDJSON).
    Lines {
        json: bool,
    },
}

fn body_kind(headers: &HeaderMap) -> Result<BodyKind, Refusal> {
    let unsupported = || {
        refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Some("content-type"),
            "Content-Type must be application/json, application/x-ndjson or text/plain",
        )
    };
    let value = headers.get(header::CONTENT_TYPE).ok_or_else(unsupported)?;
    let essence = value.to_str().map_err(|_| unsupported())?;
    let essence = essence
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/json" => Ok(BodyKind::Json),
        "application/x-ndjson" => Ok(BodyKind::Lines { json: true }),
        "text/plain" => Ok(BodyKind::Lines { json: false }),
        _ => Err(unsupported()),
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

/// serde's messages can quote the offending value, which may be an id, so the
/// refusal says where the problem is and never what was there.
fn parse_json(body: &[u8]) -> Result<Batch<'_>, Refusal> {
    let parsed: JsonBody = serde_json::from_slice(body).map_err(|e| {
        let place = format!("line {} column {}", e.line(), e.column());
        match e.classify() {
            serde_json::error::Category::Data => bad(
                "body",
                format!("unexpected JSON shape at {place}: expected {{\"metric\": string, \"ids\": [string], \"day\": \"YYYY-MM-DD\"}}"),
            ),
            _ => bad("body", format!("the body is not valid JSON ({place})")),
        }
    })?;
    Ok(Batch {
        metric: parsed.metric,
        day: parsed.day,
        ids: parsed.ids.into_iter().map(|id| id.0).collect(),
    })
}

fn parse_lines(body: &[u8], json: bool, params: Params) -> Result<Batch<'_>, Refusal> {
    let text = std::str::from_utf8(body).map_err(|e| {
        bad(
            "body",
            format!("the body is not UTF-8 (byte {})", e.valid_up_to()),
        )
    })?;
    let text = text.strip_suffix('\n').unwrap_or(text);
    let mut ids = Vec::new();
    if !text.is_empty() {
        for (n, line) in text.split('\n').enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() {
                return Err(bad("ids", format!("line {} is empty", n + 1)));
            }
            ids.push(if json {
                serde_json::from_str::<Id>(line)
                    .map_err(|_| {
                        bad(
                            "ids",
                            format!("line {} is not a JSON string or integer", n + 1),
                        )
                    })?
                    .0
            } else {
                Cow::Borrowed(line)
            });
        }
    }
    Ok(Batch {
        metric: params.metric,
        day: params.day,
        ids,
    })
}

/// The day given, or today (UTC). A day past tomorrow is refused: it is a client's
/// clock or format mistake, and would sit unseen in the future.
fn parse_day(raw: Option<&str>) -> Result<NaiveDate, Refusal> {
    let today = Utc::now().date_naive();
    let Some(raw) = raw else { return Ok(today) };
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .filter(|_| raw.len() == 10)
        .ok_or_else(|| bad("day", "day must be a date like 2026-11-26"))?;
    if day > today.checked_add_days(Days::new(1)).unwrap_or(today) {
        return Err(bad("day", "day is in the future"));
    }
    Ok(day)
}

/// The length limit on the route, from the configuration (0 when ingest is off).
pub fn body_limit(ingest: Option<&Ingest>) -> usize {
    ingest.map_or(0, |i| i.config.max_body)
}

#[cfg(test)]
mod tests {
    use super::*;

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
