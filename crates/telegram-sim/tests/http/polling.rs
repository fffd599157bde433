//! Long polling and offsets.

use std::time::{Duration, Instant};

use serde_json::json;
use telegram_sim::ChatKind;

use crate::helpers::{TOKEN, spawn};

fn private(t: &crate::helpers::TestSim) -> telegram_sim::ChatId {
    t.sim.create_chat(
        ChatKind::Private {
            first_name: "Ann".into(),
            username: None,
        },
        "",
    )
}

#[tokio::test]
async fn a_long_poll_returns_as_soon_as_an_update_is_pushed() {
    let t = spawn().await;
    let chat = private(&t);
    let sim = t.sim.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        sim.send_text(TOKEN, chat, telegram_sim::UserId(chat.0), "/start");
    });
    let started = Instant::now();
    let (_, body) = t.call("getUpdates", json!({ "timeout": 20 })).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "waited {:?}",
        started.elapsed()
    );
    let update = &body["result"][0];
    assert_eq!(update["message"]["text"], "/start");
    assert_eq!(update["message"]["entities"][0]["type"], "bot_command");
    assert_eq!(update["message"]["entities"][0]["length"], 6);
}

#[tokio::test]
async fn a_long_poll_with_nothing_pending_times_out_with_an_empty_list() {
    let t = spawn().await;
    let started = Instant::now();
    let (status, body) = t.call("getUpdates", json!({ "timeout": 1 })).await;
    assert_eq!(status, 200);
    assert_eq!(body["result"], json!([]));
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn an_offset_confirms_the_updates_before_it() {
    let t = spawn().await;
    let chat = private(&t);
    for text in ["a", "b", "c"] {
        t.sim
            .send_text(TOKEN, chat, telegram_sim::UserId(chat.0), text);
    }
    let (_, all) = t.call("getUpdates", json!({})).await;
    let ids: Vec<i64> = all["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["update_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);

    let (_, rest) = t.call("getUpdates", json!({ "offset": ids[2] })).await;
    assert_eq!(rest["result"].as_array().unwrap().len(), 1);
    assert_eq!(rest["result"][0]["message"]["text"], "c");

    let (_, none) = t.call("getUpdates", json!({ "offset": ids[2] + 1 })).await;
    assert_eq!(none["result"], json!([]));
    assert_eq!(t.sim.pending_updates(TOKEN), 0);
}

#[tokio::test]
async fn limit_caps_how_many_updates_one_poll_returns() {
    let t = spawn().await;
    let chat = private(&t);
    for _ in 0..5 {
        t.sim
            .send_text(TOKEN, chat, telegram_sim::UserId(chat.0), "hi");
    }
    let (_, body) = t.call("getUpdates", json!({ "limit": 2 })).await;
    assert_eq!(body["result"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn allowed_updates_without_my_chat_member_drops_membership_updates() {
    let t = spawn().await;
    let chat = t.channel();
    let owner = t.sim.create_user("Owner");
    t.call("getUpdates", json!({ "allowed_updates": ["message"] }))
        .await;
    t.sim.bot_added_to_chat(TOKEN, chat, owner, true);
    assert_eq!(t.sim.pending_updates(TOKEN), 0);
    t.call(
        "getUpdates",
        json!({ "allowed_updates": ["message", "my_chat_member"] }),
    )
    .await;
    t.sim.bot_added_to_chat(TOKEN, chat, owner, true);
    assert_eq!(t.sim.pending_updates(TOKEN), 1);
}
