//! `milestone-bot chats`: the subscribed chats as a table.

use crate::storage::chats::Chat;
use std::fmt::Write;

/// Renders chats as an aligned plain-text table.
pub fn table(chats: &[Chat]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<16} {:<10} {:<32} {:<20} SINCE (UTC)",
        "ID", "TYPE", "TITLE", "USERNAME"
    );
    for chat in chats {
        let title: String = chat
            .title
            .as_deref()
            .unwrap_or("-")
            .chars()
            .take(32)
            .collect();
        let username = chat
            .username
            .as_deref()
            .map(|u| format!("@{u}"))
            .unwrap_or_else(|| "-".into());
        let _ = writeln!(
            out,
            "{:<16} {:<10} {:<32} {:<20} {}",
            chat.id,
            chat.kind,
            title,
            username,
            chat.subscribed_at.format("%Y-%m-%d %H:%M")
        );
    }
    let _ = write!(out, "{} subscribed chat(s)", chats.len());
    out
}
