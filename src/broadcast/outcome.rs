//! What a Bot API error means for a delivery, decided in one place.
//!
//! teloxide turns Telegram's error bodies into [`RequestError`]; this module turns
//! those into the worker's actions. It never looks at the request, so it is plain
//! logic with tests beside it.

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
    Migrated(i64),
    /// A request Telegram will refuse again (most 400s): fail with its words.
    Fail(String),
    /// 5xx, timeouts, dropped connections: try again later, up to the limit.
    Retry(String),
    /// The answer could not be read: Telegram may or may not have posted the
    /// message, so it must not be sent again without an admin's say.
    Unknown(String),
}

/// Maps one error to its action.
pub fn classify(err: &RequestError) -> Action {
    match err {
        RequestError::RetryAfter(secs) => WaitAll(secs.duration().max(Duration::from_secs(1))),
        RequestError::MigrateToChatId(to) => Migrated(to.0),
        RequestError::Api(api) => classify_api(api),
        RequestError::Network(e) => {
            // reqwest's own message names the URL, which holds the bot token: say
            // only what kind of failure it was.
            let kind = if e.is_timeout() {
                "timed out"
            } else if e.is_connect() {
                "cannot connect"
            } else {
                "connection lost"
            };
            Retry(format!("network error: {kind}"))
        }
        RequestError::Io(e) => Retry(format!("i/o error: {e}")),
        RequestError::InvalidJson { .. } => Unknown("unreadable answer from Telegram".into()),
    }
}

use Action::*;

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
                Migrated(-1_001_005),
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
