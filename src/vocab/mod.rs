//! The words every layer shares, kept low so that any module can use them without
//! importing another layer: the ids of chats, people, announcements and milestone
//! rules ([`ids`]), the kinds of chat ([`chat`]), what is counted ([`metric`]), and
//! the parts and media of a post ([`post`]). Nothing here touches the database,
//! the network or the configuration.

pub mod chat;
pub mod ids;
pub mod metric;
pub mod post;

pub use chat::{ChatKind, UnknownChatKind};
pub use ids::{AnnouncementId, ChatId, RuleId, UserId};
pub use metric::{Metric, MetricName, MetricNameError, Metrics};
pub use post::{MediaKind, Part, UnknownMediaKind};
