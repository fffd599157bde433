//! Telegram's error envelope: every failure a method can answer with.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use crate::model::ChatId;

/// An error answer, rendered as `{"ok":false,"error_code":…,"description":…}`.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{code} {description}")]
pub struct ApiError {
    /// HTTP status and `error_code` (Telegram uses the same number for both).
    pub code: u16,
    /// Telegram's exact wording: clients match on it (teloxide's `ApiError`).
    pub description: String,
    /// `retry_after` or `migrate_to_chat_id`, which clients act upon.
    pub parameters: Option<Value>,
}

impl ApiError {
    /// A 400 with `Bad Request: ` before the detail.
    pub fn bad_request(detail: impl AsRef<str>) -> Self {
        Self::plain(400, format!("Bad Request: {}", detail.as_ref()))
    }

    /// A 403 with `Forbidden: ` before the detail.
    pub fn forbidden(detail: impl AsRef<str>) -> Self {
        Self::plain(403, format!("Forbidden: {}", detail.as_ref()))
    }

    /// A 429 telling the client to wait whole seconds, never less than one.
    pub fn too_many_requests(retry_after: u64) -> Self {
        let secs = retry_after.max(1);
        Self {
            code: 429,
            description: format!("Too Many Requests: retry after {secs}"),
            parameters: Some(json!({ "retry_after": secs })),
        }
    }

    /// The answer for any request naming a group that became a supergroup.
    pub fn migrated(to: ChatId) -> Self {
        Self {
            code: 400,
            description: "Bad Request: group chat was upgraded to a supergroup chat".into(),
            parameters: Some(json!({ "migrate_to_chat_id": to.0 })),
        }
    }

    /// The generic 500 Telegram sends when its side fails.
    pub fn internal() -> Self {
        Self::plain(500, "Internal Server Error")
    }

    /// 401 for a token the simulator does not know.
    pub fn unauthorized() -> Self {
        Self::plain(401, "Unauthorized")
    }

    /// 404 for a method the simulator does not know.
    pub fn not_found() -> Self {
        Self::plain(404, "Not Found")
    }

    /// 400 "chat not found".
    pub fn chat_not_found() -> Self {
        Self::bad_request("chat not found")
    }

    /// Any code and description, without parameters.
    pub fn plain(code: u16, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
            parameters: None,
        }
    }

    /// The JSON body Telegram sends.
    pub fn body(&self) -> Value {
        let mut body = json!({
            "ok": false,
            "error_code": self.code,
            "description": self.description,
        });
        if let Some(p) = &self.parameters {
            body["parameters"] = p.clone();
        }
        body
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code).unwrap_or(StatusCode::BAD_REQUEST);
        (status, Json(self.body())).into_response()
    }
}

/// The success envelope `{"ok":true,"result":…}`.
pub fn ok(result: Value) -> Response {
    Json(json!({ "ok": true, "result": result })).into_response()
}
