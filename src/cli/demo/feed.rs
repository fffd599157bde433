//! Watching the broadcast from Telegram's side: every message the simulator
//! accepted, stamped with the moment it accepted it (so the per-chat spacing is
//! the one Telegram would see), and the admin's progress message as it is edited.

use super::narrate::{Narrator, one_line};
use super::world::World;
use std::collections::HashMap;
use std::time::Duration;
use telegram_sim::SentKind;

/// How many posts every chat gets: the announcement and the thank-you note.
pub const POSTS_PER_CHAT: usize = 2;

/// What has been told so far.
#[derive(Debug, Default)]
struct Feed {
    /// Messages already printed, in the simulator's delivery order.
    seen: usize,
    /// The admin's messages by id, with the text last printed, to print edits.
    admin_texts: HashMap<i32, String>,
}

impl Feed {
    /// Prints what was delivered or edited since the last call.
    fn catch_up(&mut self, world: &World, out: &Narrator) {
        let all = world.sim.all_messages();
        for m in all.iter().skip(self.seen) {
            if m.chat_id.0 != world.admin.0 {
                let text = one_line(m.text.as_deref().unwrap_or_default(), 64);
                let card = match (m.kind, m.uploaded) {
                    (SentKind::Text, _) => "",
                    (_, true) => "[card, uploaded] ",
                    (_, false) => "[card, by file id] ",
                };
                out.say_at(
                    m.at,
                    format!("  → {:<16} {card}{text}", world.title_of(m.chat_id)),
                );
            }
        }
        self.seen = all.len();
        for m in all.iter().filter(|m| m.chat_id.0 == world.admin.0) {
            let text = one_line(m.text.as_deref().unwrap_or_default(), 120);
            if self.admin_texts.get(&m.message_id) != Some(&text) {
                let verb = if self.admin_texts.contains_key(&m.message_id) {
                    "admin's progress message edited"
                } else {
                    "admin's progress message"
                };
                out.say(format!("  ✉ {verb}: {text}"));
                self.admin_texts.insert(m.message_id, text);
            }
        }
    }

    /// Every chat has its posts and the admin was told the broadcast finished.
    fn finished(&self, world: &World) -> bool {
        let all_posted = world
            .chats
            .iter()
            .all(|c| world.sim.messages(c.id).len() >= POSTS_PER_CHAT);
        all_posted && self.admin_texts.values().any(|t| t.contains("finished"))
    }
}

/// Prints deliveries as they happen until the broadcast is complete, or fails
/// after `deadline`.
pub async fn follow(world: &World, out: &Narrator, deadline: Duration) -> anyhow::Result<()> {
    let end = tokio::time::Instant::now() + deadline;
    let mut feed = Feed::default();
    loop {
        feed.catch_up(world, out);
        if feed.finished(world) {
            return Ok(());
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < end,
            "the broadcast did not complete within {deadline:?}"
        );
        let seen = feed.seen;
        // Wakes on any delivery or edit, at the latest after 100 ms.
        let _ = world
            .sim
            .wait_for(Duration::from_millis(100), move |sim| {
                (sim.all_messages().len() > seen).then_some(())
            })
            .await;
    }
}
