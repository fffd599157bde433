//! A simulator per test with one bot, and a tiny Bot API client.

use serde_json::Value;
use telegram_sim::{ChatId, ChatKind, Limits, SimConfig, TelegramSim};

pub const TOKEN: &str = "123456:TEST-TOKEN";

/// A started simulator with the bot `TOKEN` registered.
pub struct TestSim {
    pub sim: TelegramSim,
    pub client: reqwest::Client,
}

/// Starts a simulator with Telegram's default limits.
pub async fn spawn() -> TestSim {
    spawn_with(SimConfig::default()).await
}

/// Starts a simulator without flood limits, for tests about something else.
pub async fn spawn_unlimited() -> TestSim {
    spawn_with(SimConfig {
        limits: Limits::off(),
        ..SimConfig::default()
    })
    .await
}

pub async fn spawn_with(config: SimConfig) -> TestSim {
    let sim = TelegramSim::start(config).await.expect("simulator starts");
    sim.add_bot(TOKEN, "test_bot");
    TestSim {
        sim,
        client: reqwest::Client::new(),
    }
}

impl TestSim {
    pub fn url(&self, method: &str) -> String {
        format!("{}bot{TOKEN}/{method}", self.sim.api_url())
    }

    /// Calls `method` with a JSON body; returns the status and the body.
    pub async fn call(&self, method: &str, body: Value) -> (u16, Value) {
        let resp = self
            .client
            .post(self.url(method))
            .json(&body)
            .send()
            .await
            .expect("answer");
        let status = resp.status().as_u16();
        (status, resp.json().await.expect("JSON body"))
    }

    /// A channel with the bot in it.
    pub fn channel(&self) -> ChatId {
        self.sim
            .create_chat(ChatKind::Channel { username: None }, "News")
    }

    /// Sends text to `chat`; returns the status and body.
    pub async fn send(&self, chat: ChatId, text: &str) -> (u16, Value) {
        self.call(
            "sendMessage",
            serde_json::json!({ "chat_id": chat.0, "text": text }),
        )
        .await
    }
}
