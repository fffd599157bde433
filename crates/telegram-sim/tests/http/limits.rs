//! Flood limits seen over HTTP.

use std::time::Duration;

use serde_json::json;
use telegram_sim::{ChatKind, Limits, Rate, SimConfig};

use crate::helpers::{TOKEN, spawn, spawn_with};

#[tokio::test]
async fn a_second_message_to_a_chat_within_a_second_gets_429_with_retry_after() {
    let t = spawn().await;
    let chat = t.channel();
    assert_eq!(t.send(chat, "one").await.0, 200);
    let (status, body) = t.send(chat, "two").await;
    assert_eq!(status, 429);
    assert_eq!(body["description"], "Too Many Requests: retry after 1");
    assert_eq!(body["parameters"]["retry_after"], 1);
    assert_eq!(t.sim.stats(TOKEN).too_many_requests, 1);
    assert_eq!(t.sim.messages(chat).len(), 1);
}

#[tokio::test]
async fn the_global_limit_counts_sends_across_chats_and_paid_broadcast_lifts_it() {
    let global = Rate::new(3, Duration::from_secs(60));
    let paid_global = Rate::new(10, Duration::from_secs(60));
    let limits = Limits {
        global,
        paid_global,
        ..Limits::default()
    };
    let t = spawn_with(SimConfig {
        limits,
        ..SimConfig::default()
    })
    .await;
    let chats: Vec<_> = (0..5).map(|_| t.channel()).collect();
    for chat in &chats[..3] {
        assert_eq!(t.send(*chat, "hi").await.0, 200);
    }
    let (status, body) = t.send(chats[3], "hi").await;
    assert_eq!(status, 429);
    assert!(
        body["parameters"]["retry_after"].as_u64().unwrap() > 50,
        "{body}"
    );
    let paid = json!({ "chat_id": chats[4].0, "text": "hi", "allow_paid_broadcast": true });
    assert_eq!(t.call("sendMessage", paid).await.0, 200);
}

#[tokio::test]
async fn a_group_gets_twenty_messages_a_minute() {
    let per_chat = Rate::new(100, Duration::from_secs(1));
    let limits = Limits {
        per_chat,
        ..Limits::default()
    };
    let t = spawn_with(SimConfig {
        limits,
        ..SimConfig::default()
    })
    .await;
    let group = t.sim.create_chat(ChatKind::Group, "Team");
    for _ in 0..20 {
        assert_eq!(t.send(group, "hi").await.0, 200);
    }
    let (status, body) = t.send(group, "hi").await;
    assert_eq!(status, 429);
    assert!(
        body["parameters"]["retry_after"].as_u64().unwrap() >= 59,
        "{body}"
    );
}

#[tokio::test]
async fn limits_can_be_turned_off_at_runtime() {
    let t = spawn().await;
    let chat = t.channel();
    t.send(chat, "one").await;
    assert_eq!(t.send(chat, "two").await.0, 429);
    t.sim.set_limits(Limits::off());
    assert_eq!(t.send(chat, "three").await.0, 200);
}
