//! The admins' report of deliveries whose outcome is unknown: which chats, why, and
//! what an admin can do about it (the resend button).
//!
//! A delivery is unknown when its request was written but no answer came (the
//! request timeout), or when it was in flight as a sender stopped. Telegram may or may
//! not have posted it, so the bot never sends it again by itself: a second post would
//! be a double. Its thank-you note waits with it. An admin who would rather risk a
//! double than a gap presses Resend.

use crate::storage::{Db, StorageError, deliveries};
use crate::vocab::AnnouncementId;
use crate::vocab::ChatKind;

/// How many chats the report names; the rest are counted.
const NAMED: usize = 10;

/// The unknown deliveries of one broadcast, as the report shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnknownChats {
    /// Titles of the channels and groups (private chats are never named).
    pub named: Vec<String>,
    /// Unknown deliveries not named above (private chats, untitled ones, the rest).
    pub others: i64,
}

impl UnknownChats {
    pub fn total(&self) -> i64 {
        self.named.len() as i64 + self.others
    }
}

/// Loads the unknown deliveries of `announcement_id`.
pub async fn unknown_chats(
    db: &Db,
    announcement_id: AnnouncementId,
) -> Result<UnknownChats, StorageError> {
    let mut out = UnknownChats::default();
    for chat in deliveries::unknown_chats(db, announcement_id).await? {
        match chat.title {
            Some(title) if chat.chat_kind != Some(ChatKind::Private) && out.named.len() < NAMED => {
                out.named.push(title)
            }
            _ => out.others += 1,
        }
    }
    Ok(out)
}

/// The report, in Telegram HTML, shown above the Send (resend) / Cancel buttons.
pub fn render(id: AnnouncementId, chats: &UnknownChats) -> String {
    let n = chats.total();
    let mut lines = vec![
        format!(
            "⚠️ <b>Broadcast #{id}</b>: {n} deliver{} of unknown outcome.",
            plural(n)
        ),
        "Telegram did not answer in time (or the sender stopped while waiting), so it may \
         or may not have posted there. The bot will not send it again by itself; any \
         thank-you note waits with it."
            .to_owned(),
    ];
    for title in &chats.named {
        lines.push(format!("• {}", crate::text::html::escape_html(title)));
    }
    if chats.others > 0 && !chats.named.is_empty() {
        lines.push(format!("• and {} more", chats.others));
    }
    lines.push(format!(
        "Send resends to these chats (some may get it twice); Cancel leaves them. \
         Later: /milestone resend-unknown {id}"
    ));
    lines.join("\n")
}

fn plural(n: i64) -> &'static str {
    if n == 1 { "y" } else { "ies" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_names_channels_counts_the_rest_and_says_how_to_resend() {
        let chats = UnknownChats {
            named: vec!["News <1>".into(), "Fans".into()],
            others: 3,
        };
        let text = render(AnnouncementId(12), &chats);
        assert!(text.contains("5 deliveries of unknown outcome"), "{text}");
        assert!(text.contains("• News &lt;1&gt;"), "escaped: {text}");
        assert!(text.contains("• and 3 more"), "{text}");
        assert!(text.contains("/milestone resend-unknown 12"), "{text}");
        let one = render(
            AnnouncementId(3),
            &UnknownChats {
                named: vec![],
                others: 1,
            },
        );
        assert!(one.contains("1 delivery of unknown outcome"), "{one}");
        assert!(!one.contains("more"), "{one}");
    }
}
