//! Ids as types, so a chat id is never passed where an announcement id belongs.
//!
//! Each is the number Telegram or the database gives, unchanged: `ChatId` and
//! `UserId` are Telegram's (a private chat's id is its person's id), `AnnouncementId`
//! is the `announcements` row's. They bind to SQL as the `BIGINT` they are stored as.

use std::fmt;

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, sqlx::Type)]
        #[sqlx(transparent)]
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
}
