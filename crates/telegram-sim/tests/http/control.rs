//! The control API under `/_sim`, for a simulator in another process.

use serde_json::{Value, json};

use crate::helpers::{TOKEN, spawn_unlimited};

#[tokio::test]
async fn the_control_api_builds_a_channel_and_reads_back_what_was_delivered() {
    let t = spawn_unlimited().await;
    let base = format!("{}_sim", t.sim.api_url());
    let post = |path: &str, body: Value| {
        let req = t.client.post(format!("{base}{path}")).json(&body);
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let user = post("/users", json!({ "first_name": "Owner" })).await["user_id"].clone();
    let kind = json!({ "type": "channel", "username": "news" });
    let chat = post("/chats", json!({ "kind": kind, "title": "News" })).await["chat_id"].clone();
    let membership =
        json!({ "token": TOKEN, "chat_id": chat, "by": user, "action": "added_as_admin" });
    post("/membership", membership).await;
    assert_eq!(t.sim.pending_updates(TOKEN), 1);

    assert_eq!(
        t.call("sendMessage", json!({ "chat_id": chat, "text": "hi" }))
            .await
            .0,
        200
    );
    let messages: Value = t
        .client
        .get(format!("{base}/chats/{chat}/messages"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(messages[0]["text"], "hi");
    let stats: Value = t
        .client
        .get(format!("{base}/bots/{TOKEN}/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["delivered"], 1);

    let state = t
        .client
        .put(format!("{base}/chats/{chat}/state"))
        .json(&json!("kicked"));
    state.send().await.unwrap();
    assert_eq!(
        t.call("sendMessage", json!({ "chat_id": chat, "text": "hi" }))
            .await
            .0,
        403
    );
}
