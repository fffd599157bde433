//! What a Bot API error means for a delivery, decided in one place.
//!
//! teloxide turns Telegram's error bodies into [`RequestError`]; this module turns
//! those into the worker's actions. It never looks at the request, so it is plain
//! logic with tests beside it.
//!
//! The line that matters most is between a call that certainly did not post and one
//! that may have: the first is retried, the second never is (a second post would be
//! a double), so its delivery becomes `unknown` and waits for an admin. Each
//! [`RequestError`] variant, and why it falls where it does:
//!
//! | error | action | why |
//! |---|---|---|
//! | `RetryAfter` (429) | wait, retry | Telegram refused the call: nothing posted |
//! | `MigrateToChatId` | move, resend | refused: the chat has a new id |
//! | `Api`: 403, chat not found | chat gone | refused, for good |
//! | `Api`: other 4xx | fail | refused, and would be refused again |
//! | `Api`: 5xx with Telegram's JSON body | retry | Telegram answered that it did not do it |
//! | `Network`, `is_connect()` | retry | no connection, so no request reached Telegram |
//! | `Network`, hyper's `IncompleteMessage` | retry | the server closed the connection without any answer: the stale keep-alive case ("connection closed before message completed") |
//! | `Network`, hyper's `Canceled` | retry | the request was never written |
//! | `Network`, `is_timeout()` | unknown | the request was written and no answer came within `BROADCAST_REQUEST_TIMEOUT`: Telegram may have posted it |
//! | `Network`, anything else | unknown | the request was written and the answer lost (a reset, a body cut off): it may have posted |
//! | `InvalidJson` | unknown | an answer came that we cannot read (a proxy's error page): it may have posted |
//! | `Io` | retry | a local file to upload could not be read: nothing was sent |
//!
//! "Unknown" only matters for posts: an edit or a deletion done twice changes
//! nothing, so the worker retries those instead (see `worker::execute`).

use std::time::Duration;
use teloxide::{ApiError, RequestError};

/// What the worker does after a failed call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// 429: the whole sender waits this long (the limit is per bot); the delivery
    /// goes back to the queue and the attempt does not count.
    WaitAll(Duration),
    /// 403 and friends: the chat is gone for good (blocked, kicked, deactivated,
    /// deleted); mark it so and skip the delivery.
    ChatGone(String),
    /// The group became a supergroup: move the chat and send there at once.
    Migrated(crate::vocab::ChatId),
    /// A request Telegram will refuse again (most 400s): fail with its words.
    Fail(String),
    /// 5xx answers, connections that failed or closed without an answer: nothing
    /// was posted; try again later, up to the limit.
    Retry(String),
    /// The request was written but its answer never came (or could not be read):
    /// Telegram may or may not have posted the message, so it must not be sent again
    /// without an admin's say.
    Unknown(String),
}

/// Maps one error to its action.
pub fn classify(err: &RequestError) -> Action {
    match err {
        RequestError::RetryAfter(secs) => WaitAll(secs.duration().max(Duration::from_secs(1))),
        RequestError::MigrateToChatId(to) => Migrated((*to).into()),
        RequestError::Api(api) => classify_api(api),
        RequestError::Network(e) => network(e.is_connect(), e.is_timeout(), &**e),
        RequestError::Io(e) => Retry(format!("i/o error: {e}")),
        RequestError::InvalidJson { .. } => Unknown("unreadable answer from Telegram".into()),
    }
}

use Action::*;

/// A network failure (reqwest's `is_connect()` and `is_timeout()`, and its error
/// chain): did the request certainly not reach Telegram? reqwest's own message is
/// never used: it names the URL, which holds the bot token.
fn network(is_connect: bool, is_timeout: bool, e: &(dyn std::error::Error + 'static)) -> Action {
    if is_connect {
        // Connecting failed (refused, unreachable, or the connect timeout): no
        // request was written.
        Retry("network error: cannot connect".into())
    } else if closed_without_answer(e) {
        Retry("network error: the connection closed without an answer".into())
    } else if is_timeout {
        Unknown("no answer from Telegram within the request timeout".into())
    } else {
        Unknown("network error: the connection broke before the answer".into())
    }
}

/// hyper's `IncompleteMessage` ("connection closed before message completed"): the
/// server closed the connection without a byte of answer, as a stale keep-alive
/// connection does; or `Canceled`: the request was never written.
fn closed_without_answer(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(e);
    while let Some(err) = source {
        if let Some(hyper) = err.downcast_ref::<hyper::Error>()
            && (hyper.is_incomplete_message() || hyper.is_canceled())
        {
            return true;
        }
        source = err.source();
    }
    false
}

fn classify_api(api: &ApiError) -> Action {
    match api {
        ApiError::BotBlocked => ChatGone("blocked".into()),
        ApiError::BotKicked
        | ApiError::BotKickedFromSupergroup
        | ApiError::BotKickedFromChannel => ChatGone("kicked".into()),
        ApiError::UserDeactivated => ChatGone("deactivated".into()),
        ApiError::ChatNotFound => ChatGone("chat not found".into()),
        ApiError::GroupDeactivated => ChatGone("group deactivated".into()),
        ApiError::CantInitiateConversation | ApiError::CantTalkWithBots => {
            ChatGone("cannot write to this user".into())
        }
        ApiError::InvalidToken => Retry("the bot token was refused".into()),
        ApiError::Unknown(text) => classify_text(text),
        other => Fail(other.to_string()),
    }
}

/// Errors teloxide does not know by name, by Telegram's own prefix.
fn classify_text(text: &str) -> Action {
    if let Some(reason) = text.strip_prefix("Forbidden: ") {
        ChatGone(reason.trim_start_matches("bot ").to_owned())
    } else if text.starts_with("Bad Request") || text.starts_with("Unauthorized") {
        Fail(text.to_owned())
    } else {
        // "Internal Server Error", "Bad Gateway", "Too Many Requests" without a
        // retry_after, or anything new: transient until proven otherwise.
        Retry(text.to_owned())
    }
}

/// The delay before retry number `attempt` (1-based): `base` doubled each time, times
/// a jitter factor in `0.5..1.5` drawn by the caller, at most ten minutes.
pub fn backoff(attempt: u32, base: Duration, jitter: f64) -> Duration {
    let doubled = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    doubled
        .mul_f64(0.5 + jitter.clamp(0.0, 1.0))
        .min(Duration::from_secs(600))
}

#[cfg(test)]
mod tests {
    use super::*;
    use teloxide::types::{ChatId, Seconds};

    #[test]
    fn every_telegram_error_maps_to_its_action() {
        let cases = [
            (
                RequestError::RetryAfter(Seconds::from_seconds(7)),
                WaitAll(Duration::from_secs(7)),
            ),
            (
                RequestError::MigrateToChatId(ChatId(-1_001_005)),
                Migrated(crate::vocab::ChatId(-1_001_005)),
            ),
            (
                RequestError::Api(ApiError::BotBlocked),
                ChatGone("blocked".into()),
            ),
            (
                RequestError::Api(ApiError::BotKickedFromChannel),
                ChatGone("kicked".into()),
            ),
            (
                RequestError::Api(ApiError::BotKickedFromSupergroup),
                ChatGone("kicked".into()),
            ),
            (
                RequestError::Api(ApiError::UserDeactivated),
                ChatGone("deactivated".into()),
            ),
            (
                RequestError::Api(ApiError::ChatNotFound),
                ChatGone("chat not found".into()),
            ),
            (
                RequestError::Api(ApiError::Unknown(
                    "Forbidden: bot is not a member of the channel chat".into(),
                )),
                ChatGone("is not a member of the channel chat".into()),
            ),
            (
                RequestError::Api(ApiError::Unknown(
                    "Bad Request: can't parse entities".into(),
                )),
                Fail("Bad Request: can't parse entities".into()),
            ),
            (
                RequestError::Api(ApiError::MessageIsTooLong),
                Fail("Bad Request: message is too long".into()),
            ),
            (
                RequestError::Api(ApiError::Unknown("Internal Server Error".into())),
                Retry("Internal Server Error".into()),
            ),
            (
                RequestError::Api(ApiError::Unknown("Bad Gateway".into())),
                Retry("Bad Gateway".into()),
            ),
        ];
        for (err, action) in cases {
            assert_eq!(classify(&err), action, "{err:?}");
        }
    }

    #[test]
    fn a_429_of_zero_seconds_still_waits_a_second() {
        let err = RequestError::RetryAfter(Seconds::from_seconds(0));
        assert_eq!(classify(&err), WaitAll(Duration::from_secs(1)));
    }

    #[test]
    fn an_unreadable_answer_is_unknown_never_retried() {
        let source = serde_json::from_str::<u8>("x").unwrap_err();
        let err = RequestError::InvalidJson {
            source: source.into(),
            raw: "x".into(),
        };
        assert!(matches!(classify(&err), Unknown(_)));
    }

    /// What a request to a server behaving like `serve` fails with, classified.
    async fn over_the_wire(serve: Option<fn(tokio::net::TcpStream)>) -> Action {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        match serve {
            // Nobody listens: the port is closed.
            None => drop(listener),
            Some(serve) => {
                tokio::spawn(async move {
                    let (mut socket, _) = listener.accept().await.unwrap();
                    // Read the whole request (headers, no body) before acting, so a
                    // close is a clean one.
                    let mut seen = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                        let n = socket.read(&mut buf).await.unwrap();
                        if n == 0 {
                            break;
                        }
                        seen.extend_from_slice(&buf[..n]);
                    }
                    serve(socket);
                });
            }
        }
        let client = teloxide::net::default_reqwest_settings()
            .timeout(Duration::from_millis(300))
            .build()
            .unwrap();
        let sent = async {
            client
                .get(format!("http://{addr}/bot1:T/SendMessage"))
                .send()
                .await?
                .text()
                .await
        };
        let err = sent.await.expect_err("the call fails");
        classify(&RequestError::from(err))
    }

    #[tokio::test]
    async fn a_call_that_certainly_did_not_post_is_retried_one_that_may_have_is_unknown() {
        use tokio::io::AsyncWriteExt;
        let refused = over_the_wire(None).await;
        assert!(
            matches!(refused, Retry(ref d) if d.contains("cannot connect")),
            "{refused:?}"
        );

        // The stale keep-alive case: closed without a byte of answer.
        let closed = over_the_wire(Some(drop)).await;
        assert!(
            matches!(closed, Retry(ref d) if d.contains("without an answer")),
            "{closed:?}"
        );

        // Written, never answered: Telegram may have posted it.
        let silent = over_the_wire(Some(|socket| {
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(5)).await;
                drop(socket);
            });
        }))
        .await;
        assert!(
            matches!(silent, Unknown(ref d) if d.contains("timeout")),
            "{silent:?}"
        );

        // An answer cut off half-way: it was handled, its result is lost.
        let cut = over_the_wire(Some(|mut socket| {
            tokio::spawn(async move {
                let head = "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"ok\":";
                socket.write_all(head.as_bytes()).await.unwrap();
                socket.shutdown().await.unwrap();
            });
        }))
        .await;
        assert!(matches!(cut, Unknown(_)), "{cut:?}");
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let base = Duration::from_secs(2);
        let cases = [
            (1, 0.5, 2_000),
            (2, 0.5, 4_000),
            (3, 0.5, 8_000),
            (3, 0.0, 4_000),
            (3, 1.0, 12_000),
            (40, 0.5, 600_000),
        ];
        for (attempt, jitter, want_ms) in cases {
            assert_eq!(
                backoff(attempt, base, jitter).as_millis(),
                want_ms,
                "{attempt} {jitter}"
            );
        }
    }
}
