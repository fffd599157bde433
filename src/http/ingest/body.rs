//! Reading an ingest request's body: JSON, NDJSON or plain lines, into a batch of
//! ids not yet validated. Both readers count ids as they parse and stop at the
//! first one over the limit, so a request that is too large is refused without
//! the rest of it being read. Errors name the line or index, never the id.

use super::{Refusal, bad, refuse};
use axum::http::{HeaderMap, StatusCode, header};
use chrono::{Days, NaiveDate};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use std::cell::Cell;
use std::fmt;

/// One request's worth of ids, not yet validated.
pub(super) struct Batch {
    pub(super) metric: Option<String>,
    pub(super) day: Option<String>,
    pub(super) ids: Vec<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct Params {
    pub(super) metric: Option<String>,
    pub(super) day: Option<String>,
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

/// The refusal for the first id over `max_ids`: the count stops there.
pub(super) fn too_many_ids(max_ids: usize) -> Refusal {
    refuse(
        StatusCode::PAYLOAD_TOO_LARGE,
        Some("ids"),
        format!("more than {max_ids} ids in one request"),
    )
}

/// Newline-delimited ids, fed chunk by chunk as they arrive. Lines may span chunks;
/// a line is checked as soon as its newline arrives.
pub(super) struct LineReader {
    /// NDJSON: each line is a JSON string or integer.
    json: bool,
    max_ids: usize,
    ids: Vec<String>,
    /// The start of a line whose newline has not arrived yet.
    partial: Vec<u8>,
    /// Lines completed so far.
    lines: usize,
    /// Bytes of the body before `partial`, for UTF-8 error positions.
    offset: usize,
    /// The body so far is a single bare newline: no ids, unless more follows (then
    /// it was an empty first line).
    lone_newline: bool,
}

impl LineReader {
    pub(super) fn new(json: bool, max_ids: usize) -> Self {
        Self {
            json,
            max_ids,
            ids: Vec::new(),
            partial: Vec::new(),
            lines: 0,
            offset: 0,
            lone_newline: false,
        }
    }

    pub(super) fn feed(&mut self, mut chunk: &[u8]) -> Result<(), Refusal> {
        while let Some(end) = chunk.iter().position(|&b| b == b'\n') {
            if self.partial.is_empty() {
                self.line(&chunk[..end])?;
            } else {
                self.partial.extend_from_slice(&chunk[..end]);
                let line = std::mem::take(&mut self.partial);
                self.line(&line)?;
            }
            self.offset += 1; // the newline
            chunk = &chunk[end + 1..];
        }
        if !chunk.is_empty() {
            self.empty_first_line_is_not_alone()?;
            self.partial.extend_from_slice(chunk);
        }
        Ok(())
    }

    /// The ids, once the body has ended; a last line needs no newline.
    pub(super) fn finish(mut self) -> Result<Vec<String>, Refusal> {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line(&line)?;
        }
        Ok(self.ids)
    }

    fn empty_first_line_is_not_alone(&mut self) -> Result<(), Refusal> {
        if std::mem::take(&mut self.lone_newline) {
            return Err(bad("ids", "line 1 is empty"));
        }
        Ok(())
    }

    fn line(&mut self, raw: &[u8]) -> Result<(), Refusal> {
        self.empty_first_line_is_not_alone()?;
        self.lines += 1;
        let n = self.lines;
        let start = self.offset;
        self.offset += raw.len();
        if raw.is_empty() && n == 1 {
            // "\n" alone is an empty body with its final newline.
            self.lone_newline = true;
            return Ok(());
        }
        let text = std::str::from_utf8(raw).map_err(|e| {
            bad(
                "body",
                format!("the body is not UTF-8 (byte {})", start + e.valid_up_to()),
            )
        })?;
        let text = text.strip_suffix('\r').unwrap_or(text);
        if text.is_empty() {
            return Err(bad("ids", format!("line {n} is empty")));
        }
        let id = if self.json {
            let mut de = serde_json::Deserializer::from_str(text);
            IdSeed
                .deserialize(&mut de)
                .and_then(|id| de.end().map(|()| id))
                .map_err(|_| bad("ids", format!("line {n} is not a JSON string or integer")))?
        } else {
            text.to_owned()
        };
        self.ids.push(id);
        if self.ids.len() > self.max_ids {
            return Err(too_many_ids(self.max_ids));
        }
        Ok(())
    }
}

/// Parses a JSON body from `reader`, counting ids as they are read: at the first id
/// over `max_ids` it stops reading and refuses. serde's messages can quote the
/// offending value, which may be an id, so a refusal says where the problem is and
/// never what was there.
pub(super) fn read_json(reader: impl std::io::Read, max_ids: usize) -> Result<Batch, Refusal> {
    let over_limit = Cell::new(false);
    let mut de = serde_json::Deserializer::from_reader(UntilOverLimit {
        inner: reader,
        over_limit: &over_limit,
    });
    let parsed = BodySeed {
        max_ids,
        over_limit: &over_limit,
    }
    .deserialize(&mut de)
    .and_then(|batch| de.end().map(|()| batch));
    parsed.map_err(|e| {
        if over_limit.get() {
            return too_many_ids(max_ids);
        }
        let place = format!("line {} column {}", e.line(), e.column());
        match e.classify() {
            serde_json::error::Category::Data => bad(
                "body",
                format!("unexpected JSON shape at {place}: expected {{\"metric\": string, \"ids\": [string], \"day\": \"YYYY-MM-DD\"}}"),
            ),
            _ => bad("body", format!("the body is not valid JSON ({place})")),
        }
    })
}

/// A reader that ends once the limit is passed. serde_json still reads on after a
/// visitor's error (to close the array and object it was in), which would wait
/// for the rest of the body; this ends the body for it instead.
struct UntilOverLimit<'a, R> {
    inner: R,
    over_limit: &'a Cell<bool>,
}

impl<R: std::io::Read> std::io::Read for UntilOverLimit<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.over_limit.get() {
            return Ok(0);
        }
        self.inner.read(buf)
    }
}

/// The JSON body `{"metric", "day", "ids"}`, fields in any order, others ignored.
struct BodySeed<'a> {
    max_ids: usize,
    over_limit: &'a Cell<bool>,
}

impl<'de> DeserializeSeed<'de> for BodySeed<'_> {
    type Value = Batch;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Batch, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for BodySeed<'_> {
    type Value = Batch;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object with metric, ids and day")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Batch, A::Error> {
        let mut batch = Batch {
            metric: None,
            day: None,
            ids: Vec::new(),
        };
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "metric" => batch.metric = map.next_value()?,
                "day" => batch.day = map.next_value()?,
                "ids" => {
                    batch.ids = map.next_value_seed(IdsSeed {
                        max_ids: self.max_ids,
                        over_limit: self.over_limit,
                    })?
                }
                _ => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        Ok(batch)
    }
}

/// The `ids` array, counted element by element.
struct IdsSeed<'a> {
    max_ids: usize,
    over_limit: &'a Cell<bool>,
}

impl<'de> DeserializeSeed<'de> for IdsSeed<'_> {
    type Value = Vec<String>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Vec<String>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for IdsSeed<'_> {
    type Value = Vec<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of ids")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
        let mut ids = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(self.max_ids));
        while let Some(id) = seq.next_element_seed(IdSeed)? {
            ids.push(id);
            if ids.len() > self.max_ids {
                self.over_limit.set(true);
                return Err(de::Error::custom("too many ids"));
            }
        }
        Ok(ids)
    }
}

/// An id: a JSON string, or an integer taken as its decimal text.
struct IdSeed;

impl<'de> DeserializeSeed<'de> for IdSeed {
    type Value = String;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(self)
    }
}

impl Visitor<'_> for IdSeed {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an id: a string or an integer")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
}

/// The days a batch may be recorded for: from `oldest` (the longest metric window
/// back from today, and a day of grace for clocks and late batches) to tomorrow
/// (a client a little ahead of UTC). Anything else is a client's clock or format
/// mistake: too old it would count in no window, in the future it would sit unseen.
#[derive(Debug, Clone, Copy)]
pub(super) struct DayRange {
    pub(super) today: NaiveDate,
    pub(super) oldest: NaiveDate,
    pub(super) tomorrow: NaiveDate,
}

impl DayRange {
    /// The range for `today` when the longest configured window is `window_days`.
    pub(super) fn new(today: NaiveDate, window_days: u16) -> Self {
        let back = Days::new(u64::from(window_days) + 1);
        Self {
            today,
            oldest: today.checked_sub_days(back).unwrap_or(NaiveDate::MIN),
            tomorrow: today.checked_add_days(Days::new(1)).unwrap_or(today),
        }
    }

    /// The day given, or today (UTC).
    pub(super) fn parse(&self, raw: Option<&str>) -> Result<NaiveDate, Refusal> {
        let Some(raw) = raw else {
            return Ok(self.today);
        };
        let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .ok()
            .filter(|_| raw.len() == 10)
            .ok_or_else(|| bad("day", "day must be a date like 2026-11-26"))?;
        if day > self.tomorrow {
            return Err(bad(
                "day",
                format!(
                    "day is in the future: the latest accepted is {}",
                    self.tomorrow
                ),
            ));
        }
        if day < self.oldest {
            return Err(bad(
                "day",
                format!(
                    "day is too old to count in any metric's window: the oldest accepted is {}",
                    self.oldest
                ),
            ));
        }
        Ok(day)
    }
}
