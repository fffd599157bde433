//! The simulated Telegram the demo bot lives in: the Bot API simulator with
//! Telegram's flood limits on, a bot token, an admin and the chats that follow the
//! bot. Everything here is made up on the spot; no real account is involved.

use std::time::Duration;
use telegram_sim::{ChatId, ChatKind, SimConfig, TelegramSim, UserId};

/// The demo bot's `@username` in the simulator.
pub const BOT_USERNAME: &str = "milestone_demo_bot";

/// A chat the bot is added to, as the story names it.
#[derive(Debug, Clone)]
pub struct DemoChat {
    pub id: ChatId,
    pub title: String,
    /// `channel` or `group`, as Telegram's `type` says.
    pub kind: &'static str,
}

/// The simulator and what the demo created in it.
pub struct World {
    pub sim: TelegramSim,
    /// A fresh token per run: its numeric prefix is the bot's id.
    pub token: String,
    /// The user in `ADMIN_IDS`; their private chat has the same id.
    pub admin: UserId,
    /// Adds the bot to the chats (channel owner, group creator).
    owner: UserId,
    /// `channels` channels, then one group.
    pub chats: Vec<DemoChat>,
}

impl World {
    /// Starts the simulator on a free local port and creates the admin's private
    /// chat, `channels` channels and one group. The bot is not in them yet.
    pub async fn start(channels: usize) -> std::io::Result<World> {
        let sim = TelegramSim::start(SimConfig::default()).await?;
        let token = format!(
            "{}:DEMO{:016x}",
            700_000 + rand::random::<u32>() % 100_000,
            rand::random::<u64>()
        );
        sim.add_bot(&token, BOT_USERNAME);
        let admin_chat = sim.create_chat(
            ChatKind::Private {
                first_name: "Ada (admin)".into(),
                username: Some("demo_admin".into()),
            },
            "Ada (admin)",
        );
        let owner = sim.create_user("Owen (chat owner)");
        let mut chats: Vec<DemoChat> = (1..=channels)
            .map(|i| {
                let title = format!("Demo Channel {i}");
                let id = sim.create_chat(ChatKind::Channel { username: None }, &title);
                DemoChat {
                    id,
                    title,
                    kind: "channel",
                }
            })
            .collect();
        let title = "Demo Group".to_owned();
        let id = sim.create_chat(ChatKind::Group, &title);
        chats.push(DemoChat {
            id,
            title,
            kind: "group",
        });
        Ok(World {
            sim,
            token,
            admin: UserId(admin_chat.0),
            owner,
            chats,
        })
    }

    /// The owner adds the bot to every chat: one `my_chat_member` update each, which
    /// the bot turns into a subscription (as administrator in channels, which is
    /// what posting there needs).
    pub fn add_bot_everywhere(&self) {
        for chat in &self.chats {
            let as_admin = chat.kind == "channel";
            self.sim
                .bot_added_to_chat(&self.token, chat.id, self.owner, as_admin);
        }
    }

    /// Waits until the bot has registered its command menu, which it does after
    /// `getMe` and before it starts polling.
    pub async fn wait_until_bot_started(&self, deadline: Duration) -> bool {
        let token = self.token.clone();
        self.sim
            .wait_for(deadline, move |sim| {
                (!sim.commands(&token).is_empty()).then_some(())
            })
            .await
            .is_some()
    }

    /// The title of a chat the demo created, the admin's included.
    pub fn title_of(&self, id: ChatId) -> String {
        if id.0 == self.admin.0 {
            return "Ada (admin)".into();
        }
        self.chats
            .iter()
            .find(|c| c.id == id)
            .map_or_else(|| format!("chat {}", id.0), |c| c.title.clone())
    }
}
