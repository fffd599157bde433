//! A method's parameters, whichever way the client sent them: JSON body,
//! multipart form (teloxide's uploads), urlencoded form or query string.
//! Multipart and form values arrive as strings, so the accessors accept both.

use std::collections::HashMap;

use axum::{
    extract::{FromRequest, Multipart, Request},
    http::header::CONTENT_TYPE,
};
use serde_json::{Map, Value};

use crate::error::ApiError;

/// An uploaded file part, kept whole so tests can decode what a bot sent.
#[derive(Clone, Debug)]
pub(crate) struct Upload {
    pub bytes: axum::body::Bytes,
    /// The part's file name, as the client gave it.
    pub file_name: Option<String>,
}

/// Parsed parameters of one call.
#[derive(Debug, Default)]
pub(crate) struct Params {
    fields: Map<String, Value>,
    files: HashMap<String, Upload>,
}

impl Params {
    /// Reads the request's query string and body.
    pub async fn from_request(req: Request) -> Result<Self, ApiError> {
        let mut params = Params::default();
        if let Some(q) = req.uri().query() {
            for (k, v) in form_pairs(q) {
                params.fields.insert(k, Value::String(v));
            }
        }
        let ctype = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if ctype.starts_with("multipart/form-data") {
            params.read_multipart(req).await?;
        } else {
            let body = axum::body::to_bytes(req.into_body(), 64 << 20)
                .await
                .map_err(|_| ApiError::bad_request("request body is too big"))?;
            if ctype.starts_with("application/x-www-form-urlencoded") {
                let text = String::from_utf8_lossy(&body);
                for (k, v) in form_pairs(&text) {
                    params.fields.insert(k, Value::String(v));
                }
            } else if !body.iter().all(u8::is_ascii_whitespace) {
                let Value::Object(map) = serde_json::from_slice(&body)
                    .map_err(|_| ApiError::bad_request("invalid JSON body"))?
                else {
                    return Err(ApiError::bad_request("JSON body must be an object"));
                };
                params.fields.extend(map);
            }
        }
        Ok(params)
    }

    async fn read_multipart(&mut self, req: Request) -> Result<(), ApiError> {
        let bad = |_| ApiError::bad_request("invalid multipart body");
        let mut form = Multipart::from_request(req, &())
            .await
            .map_err(|_| ApiError::bad_request("invalid multipart body"))?;
        while let Some(field) = form.next_field().await.map_err(bad)? {
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let bytes = field.bytes().await.map_err(bad)?;
            if file_name.is_some() {
                self.files.insert(name, Upload { bytes, file_name });
            } else {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                self.fields.insert(name, Value::String(text));
            }
        }
        Ok(())
    }

    /// A raw value.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields.get(key).filter(|v| !v.is_null())
    }

    /// A string value (numbers are stringified, as Telegram does).
    pub fn str(&self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }

    /// An integer given as a number or a numeric string.
    pub fn i64(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| invalid(key)),
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| invalid(key)),
            Some(_) => Err(invalid(key)),
        }
    }

    /// A required integer.
    pub fn need_i64(&self, key: &str) -> Result<i64, ApiError> {
        self.i64(key)?.ok_or_else(|| missing(key))
    }

    /// A required string.
    pub fn need_str(&self, key: &str) -> Result<String, ApiError> {
        self.str(key).ok_or_else(|| missing(key))
    }

    /// A boolean given as `true` or `"true"`; absent is false.
    pub fn bool(&self, key: &str) -> bool {
        match self.get(key) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true" || s == "1",
            _ => false,
        }
    }

    /// A JSON object or array, given inline or as a JSON string (multipart).
    pub fn json(&self, key: &str) -> Result<Option<Value>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => serde_json::from_str(s).map(Some).map_err(|_| invalid(key)),
            Some(v) => Ok(Some(v.clone())),
        }
    }

    /// The file part named `name`, if one was uploaded.
    pub fn file(&self, name: &str) -> Option<&Upload> {
        self.files.get(name)
    }
}

fn missing(key: &str) -> ApiError {
    ApiError::bad_request(format!("{key} is required"))
}

fn invalid(key: &str) -> ApiError {
    ApiError::bad_request(format!("invalid {key} specified"))
}

/// Splits `a=1&b=x%20y` into decoded pairs.
fn form_pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match hex_byte(bytes[i + 1], bytes[i + 2]) {
                Some(b) => {
                    out.push(b);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_byte(hi: u8, lo: u8) -> Option<u8> {
    let digit = |c: u8| (c as char).to_digit(16);
    Some((digit(hi)? * 16 + digit(lo)?) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_values_are_percent_decoded() {
        let pairs = form_pairs("chat_id=-100&text=a%20b+c&x");
        assert_eq!(pairs[0], ("chat_id".into(), "-100".into()));
        assert_eq!(pairs[1], ("text".into(), "a b c".into()));
        assert_eq!(pairs[2], ("x".into(), "".into()));
    }
}
