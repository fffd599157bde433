//! Reading an ingest request's body: JSON, NDJSON or plain lines, into a batch of
//! ids not yet validated. Errors name the line or index, never the id.

use super::{Refusal, bad, refuse};
use axum::http::{HeaderMap, StatusCode, header};
use chrono::{Days, NaiveDate, Utc};
use serde::Deserialize;
use std::borrow::Cow;

/// One request's worth of ids, not yet validated.
pub(super) struct Batch<'a> {
    pub(super) metric: Option<String>,
    pub(super) day: Option<String>,
    pub(super) ids: Vec<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct JsonBody<'a> {
    metric: Option<String>,
    day: Option<String>,
    #[serde(borrow, default)]
    ids: Vec<Id<'a>>,
}

#[derive(Deserialize, Default)]
pub(super) struct Params {
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

pub(super) enum BodyKind {
    Json,
    /// One id per line; with `json`, each line is a JSON string or integer (NDJSON).
    Lines {
        json: bool,
    },
}

pub(super) fn body_kind(headers: &HeaderMap) -> Result<BodyKind, Refusal> {
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

/// serde's messages can quote the offending value, which may be an id, so the
/// refusal says where the problem is and never what was there.
pub(super) fn parse_json(body: &[u8]) -> Result<Batch<'_>, Refusal> {
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

pub(super) fn parse_lines(body: &[u8], json: bool, params: Params) -> Result<Batch<'_>, Refusal> {
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
pub(super) fn parse_day(raw: Option<&str>) -> Result<NaiveDate, Refusal> {
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
