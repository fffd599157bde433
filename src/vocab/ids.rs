//! Ids as types, so a chat id is never passed where an announcement id belongs.
//!
//! Each is the number Telegram or the database gives, unchanged: `ChatId` and
//! `UserId` are Telegram's (a private chat's id is its person's id), `AnnouncementId`
//! and `RuleId` are the `announcements` and `milestone_rules` rows'. They bind to SQL
//! as the `BIGINT` they are stored as, and read and write JSON as the bare number.

use std::fmt;
use std::num::ParseIntError;
use std::str::FromStr;

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            sqlx::Type,
            serde::Serialize,
            serde::Deserialize,
        )]
        #[sqlx(transparent)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        /// Read as the bare number, refused as `i64` refuses it (same message).
        impl FromStr for $name {
            type Err = ParseIntError;
            fn from_str(s: &str) -> Result<Self, ParseIntError> {
                s.parse().map(Self)
            }
        }

        impl From<i64> for $name {
            fn from(id: i64) -> Self {
                Self(id)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }
    };
}

id!(
    /// A Telegram chat: a channel, a group or a person's private chat with the bot.
    ChatId
);
id!(
    /// A Telegram user: an admin of the bot, or a person who wrote to it.
    UserId
);
id!(
    /// An announcement: one post (announcement and thank-you note) to every chat.
    AnnouncementId
);
id!(
    /// A milestone rule: thresholds or a series for one metric, as stored.
    RuleId
);

impl From<teloxide::types::ChatId> for ChatId {
    fn from(id: teloxide::types::ChatId) -> Self {
        Self(id.0)
    }
}

impl From<ChatId> for teloxide::types::ChatId {
    fn from(id: ChatId) -> Self {
        teloxide::types::ChatId(id.0)
    }
}

impl From<ChatId> for teloxide::types::Recipient {
    /// So a request can be addressed to a chat as it is: `bot.send_message(chat, …)`.
    fn from(id: ChatId) -> Self {
        teloxide::types::Recipient::Id(id.into())
    }
}

impl From<teloxide::types::UserId> for UserId {
    /// Telegram's user ids fit in 52 bits, so the conversion never wraps.
    fn from(id: teloxide::types::UserId) -> Self {
        Self(id.0 as i64)
    }
}

impl UserId {
    /// A person's private chat with the bot has the person's id.
    pub fn private_chat(self) -> ChatId {
        ChatId(self.0)
    }
}

impl ChatId {
    /// The person of a private chat (the chat's id is theirs); meaningless for a
    /// group or channel, so ask only of a chat known to be private.
    pub fn private_user(self) -> UserId {
        UserId(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_as_the_number_telegram_gave() {
        assert_eq!(ChatId(-1001234567890).to_string(), "-1001234567890");
        assert_eq!(format!("{:>6}", AnnouncementId(42)), "    42");
        let from_telegram: ChatId = teloxide::types::ChatId(-42).into();
        assert_eq!(from_telegram, ChatId(-42));
        assert_eq!(
            UserId::from(teloxide::types::UserId(7)).private_chat(),
            ChatId(7)
        );
    }

    #[test]
    fn ids_are_the_bare_number_in_json() {
        assert_eq!(serde_json::to_string(&AnnouncementId(42)).unwrap(), "42");
        assert_eq!(
            serde_json::from_str::<Option<AnnouncementId>>("7").unwrap(),
            Some(AnnouncementId(7))
        );
    }
}
