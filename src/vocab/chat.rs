//! What kind of chat Telegram says a chat is.

use std::fmt;
use std::str::FromStr;

/// The kinds of chat Telegram has; anything else is refused at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChatKind {
    Private,
    Group,
    Supergroup,
    Channel,
}

impl ChatKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChatKind::Private => "private",
            ChatKind::Group => "group",
            ChatKind::Supergroup => "supergroup",
            ChatKind::Channel => "channel",
        }
    }

    /// Groups have their own, stricter Telegram rate limit.
    pub fn is_group(self) -> bool {
        matches!(self, ChatKind::Group | ChatKind::Supergroup)
    }
}

impl fmt::Display for ChatKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad` so tables can align it with `{:<10}`.
        f.pad(self.as_str())
    }
}

/// A chat kind this version does not know, as stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("chat kind {0:?}")]
pub struct UnknownChatKind(pub String);

impl FromStr for ChatKind {
    type Err = UnknownChatKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "private" => ChatKind::Private,
            "group" => ChatKind::Group,
            "supergroup" => ChatKind::Supergroup,
            "channel" => ChatKind::Channel,
            other => return Err(UnknownChatKind(other.to_owned())),
        })
    }
}
