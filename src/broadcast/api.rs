//! The broadcast's own Bot API calls: teloxide's payloads, sent as JSON with the
//! broadcast's client, and Telegram's answer read the moment it arrives.
//!
//! Why not teloxide's `Requester` for these: on any 5xx it sleeps ten seconds before
//! reading the answer (`DELAY_ON_SERVER_ERROR` in teloxide-core). In a broadcast that
//! sleep holds the delivery's request slot and delays its retry for nothing; the
//! worker decides its own retries, and a delivery waits its backoff in the queue,
//! holding nothing. Errors come back as teloxide's [`RequestError`], built the way
//! teloxide builds them, so [`super::outcome`] classifies both paths alike. Uploads
//! of a local file (multipart, once per announcement) still go through teloxide.

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use teloxide::prelude::*;
use teloxide::requests::Payload;
use teloxide::types::ResponseParameters;
use teloxide::{ApiError, RequestError};

/// Calls the method of `payload` and returns its result.
pub async fn call<P>(bot: &Bot, payload: &P) -> Result<P::Output, RequestError>
where
    P: Payload + Serialize,
    P::Output: DeserializeOwned,
{
    let started = std::time::Instant::now();
    let result = send(bot, payload).await;
    crate::telemetry::metrics::telegram_request(
        P::NAME,
        crate::telemetry::metrics::answer_of(&result),
        started.elapsed(),
    );
    result
}

async fn send<P>(bot: &Bot, payload: &P) -> Result<P::Output, RequestError>
where
    P: Payload + Serialize,
    P::Output: DeserializeOwned,
{
    let body = serde_json::to_vec(payload)
        .map_err(|e| RequestError::Io(Arc::new(std::io::Error::other(e))))?;
    let answer = bot
        .client()
        .post(method_url(bot, P::NAME))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await?
        .text()
        .await?;
    read_answer(&answer)
}

/// `{api_url}/bot{token}/{method}`, as teloxide builds it.
fn method_url(bot: &Bot, method: &str) -> url::Url {
    let mut url = bot.api_url();
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty();
        segments.push(&format!("bot{}", bot.token()));
        segments.push(method);
    }
    url
}

/// Telegram's answer, `{"ok": true, "result": …}` or `{"ok": false, "description":
/// …, "parameters": …}`.
#[derive(serde::Deserialize)]
struct Answer<R> {
    ok: bool,
    result: Option<R>,
    description: Option<String>,
    parameters: Option<ResponseParameters>,
}

/// Reads an answer whatever its HTTP status: Telegram's 4xx and 5xx carry the same
/// JSON as its 200s. A body that is not Telegram's JSON (a proxy's HTML error page)
/// is [`RequestError::InvalidJson`].
fn read_answer<R: DeserializeOwned>(text: &str) -> Result<R, RequestError> {
    let invalid = |source: serde_json::Error| RequestError::InvalidJson {
        source: Arc::new(source),
        raw: text.into(),
    };
    let answer: Answer<R> = serde_json::from_str(text).map_err(invalid)?;
    if answer.ok {
        return answer.result.ok_or_else(|| {
            invalid(serde::de::Error::custom(
                "an answer marked ok without a result",
            ))
        });
    }
    match answer.parameters {
        Some(ResponseParameters::RetryAfter(secs)) => Err(RequestError::RetryAfter(secs)),
        Some(ResponseParameters::MigrateToChatId(to)) => Err(RequestError::MigrateToChatId(to)),
        None => {
            let description = answer.description.unwrap_or_default();
            let api = serde_json::from_value::<ApiError>(serde_json::Value::String(description))
                .map_err(invalid)?;
            Err(RequestError::Api(api))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use teloxide::types::{ChatId, Seconds, True};

    #[test]
    fn telegrams_answers_become_teloxides_errors() {
        type Expect = fn(&RequestError) -> bool;
        let cases: [(&str, Expect); 5] = [
            (
                r#"{"ok":false,"error_code":500,"description":"Internal Server Error"}"#,
                |e| matches!(e, RequestError::Api(ApiError::Unknown(d)) if d == "Internal Server Error"),
            ),
            (
                r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 5","parameters":{"retry_after":5}}"#,
                |e| matches!(e, RequestError::RetryAfter(s) if *s == Seconds::from_seconds(5)),
            ),
            (
                r#"{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1005}}"#,
                |e| matches!(e, RequestError::MigrateToChatId(ChatId(-1005))),
            ),
            (
                r#"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#,
                |e| matches!(e, RequestError::Api(ApiError::BotBlocked)),
            ),
            ("<html><body>502 Bad Gateway</body></html>", |e| {
                matches!(e, RequestError::InvalidJson { .. })
            }),
        ];
        for (text, expected) in cases {
            let err = read_answer::<True>(text).unwrap_err();
            assert!(expected(&err), "{text}: {err:?}");
        }
    }

    #[test]
    fn a_successful_answer_gives_its_result() {
        assert!(read_answer::<True>(r#"{"ok":true,"result":true}"#).is_ok());
        assert!(read_answer::<True>(r#"{"ok":true}"#).is_err());
    }

    #[test]
    fn the_method_url_is_teloxides() {
        let bot = Bot::new("123:ABC").set_api_url("http://127.0.0.1:9/".parse().unwrap());
        assert_eq!(
            method_url(&bot, "SendMessage").as_str(),
            "http://127.0.0.1:9/bot123:ABC/SendMessage"
        );
        let bot = Bot::new("123:ABC").set_api_url("https://example.com/tg".parse().unwrap());
        assert_eq!(
            method_url(&bot, "DeleteMessage").as_str(),
            "https://example.com/tg/bot123:ABC/DeleteMessage"
        );
    }
}
