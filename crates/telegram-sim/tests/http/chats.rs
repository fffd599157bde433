//! Chat states, membership and migration.

use serde_json::json;
use telegram_sim::{ChatId, ChatKind, ChatState, MemberStatus, UserId};

use crate::helpers::{TOKEN, spawn_unlimited};

#[tokio::test]
async fn a_user_who_blocked_the_bot_makes_sends_fail_403_blocked() {
    let t = spawn_unlimited().await;
    let chat = t.sim.create_chat(
        ChatKind::Private {
            first_name: "Ann".into(),
            username: None,
        },
        "",
    );
    assert_eq!(t.send(chat, "hello").await.0, 200);
    t.sim.user_blocks_bot(TOKEN, chat);
    let (status, body) = t.send(chat, "again").await;
    assert_eq!(status, 403);
    assert_eq!(
        body["description"],
        "Forbidden: bot was blocked by the user"
    );
    let (_, updates) = t.call("getUpdates", json!({})).await;
    let change = &updates["result"][0]["my_chat_member"];
    assert_eq!(change["old_chat_member"]["status"], "member");
    assert_eq!(change["new_chat_member"]["status"], "kicked");
}

#[tokio::test]
async fn a_bot_kicked_from_a_channel_gets_403_kicked_from_the_channel_chat() {
    let t = spawn_unlimited().await;
    let chat = t.channel();
    let owner = t.sim.create_user("Owner");
    t.sim.bot_added_to_chat(TOKEN, chat, owner, true);
    assert_eq!(t.send(chat, "hello").await.0, 200);
    t.sim.bot_removed_from_chat(TOKEN, chat, owner, true);
    let (status, body) = t.send(chat, "again").await;
    assert_eq!(status, 403);
    assert_eq!(
        body["description"],
        "Forbidden: bot was kicked from the channel chat"
    );
}

#[tokio::test]
async fn chat_states_map_to_telegrams_errors() {
    let t = spawn_unlimited().await;
    let cases = [
        (
            ChatState::Kicked,
            403,
            "Forbidden: bot was kicked from the group chat",
        ),
        (ChatState::Deleted, 400, "Bad Request: chat not found"),
        (
            ChatState::Deactivated,
            403,
            "Forbidden: user is deactivated",
        ),
        (
            ChatState::Blocked,
            403,
            "Forbidden: bot was blocked by the user",
        ),
    ];
    for (state, code, description) in cases {
        let chat = t.sim.create_chat(ChatKind::Group, "Team");
        t.sim.set_chat_state(chat, state);
        let (status, body) = t.send(chat, "hi").await;
        assert_eq!(
            (status, body["description"].as_str().unwrap()),
            (code, description)
        );
        t.sim.set_chat_state(chat, ChatState::Normal);
        assert_eq!(t.send(chat, "hi").await.0, 200, "{state:?} lifted");
    }
}

#[tokio::test]
async fn an_unknown_chat_id_answers_400_chat_not_found() {
    let t = spawn_unlimited().await;
    let (status, body) = t.send(ChatId(-1009999), "hi").await;
    assert_eq!(status, 400);
    assert_eq!(body["description"], "Bad Request: chat not found");
}

#[tokio::test]
async fn the_old_id_of_a_migrated_group_answers_with_migrate_to_chat_id() {
    let t = spawn_unlimited().await;
    let group = t.sim.create_chat(ChatKind::Group, "Team");
    let owner = t.sim.create_user("Owner");
    t.sim.set_member_status(group, owner, MemberStatus::Creator);
    t.sim.bot_added_to_chat(TOKEN, group, owner, false);
    let supergroup = t.sim.migrate_group(group);

    let (status, body) = t.send(group, "hi").await;
    assert_eq!(status, 400);
    assert_eq!(
        body["description"],
        "Bad Request: group chat was upgraded to a supergroup chat"
    );
    assert_eq!(body["parameters"]["migrate_to_chat_id"], supergroup.0);
    assert!(supergroup.0.to_string().starts_with("-100"));
    assert_eq!(t.send(supergroup, "hi").await.0, 200);

    let (_, updates) = t.call("getUpdates", json!({})).await;
    let r = &updates["result"];
    assert_eq!(r[1]["message"]["migrate_to_chat_id"], supergroup.0);
    assert_eq!(r[2]["message"]["migrate_from_chat_id"], group.0);
    assert_eq!(r[2]["message"]["chat"]["type"], "supergroup");
}

#[tokio::test]
async fn get_chat_member_reports_each_users_status() {
    let t = spawn_unlimited().await;
    let chat = t.channel();
    let (owner, admin, stranger) = (
        t.sim.create_user("O"),
        t.sim.create_user("A"),
        t.sim.create_user("S"),
    );
    t.sim.set_member_status(chat, owner, MemberStatus::Creator);
    t.sim
        .set_member_status(chat, admin, MemberStatus::Administrator);
    let status = |u: UserId| {
        let t = &t;
        async move {
            let (_, b) = t
                .call(
                    "getChatMember",
                    json!({ "chat_id": chat.0, "user_id": u.0 }),
                )
                .await;
            b["result"]["status"].as_str().unwrap().to_owned()
        }
    };
    assert_eq!(status(owner).await, "creator");
    assert_eq!(status(admin).await, "administrator");
    assert_eq!(status(stranger).await, "left");
    let (_, count) = t
        .call("getChatMemberCount", json!({ "chat_id": chat.0 }))
        .await;
    assert_eq!(count["result"], 2);
    let (_, admins) = t
        .call("getChatAdministrators", json!({ "chat_id": chat.0 }))
        .await;
    assert_eq!(admins["result"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_channel_can_be_addressed_by_its_username() {
    let t = spawn_unlimited().await;
    let kind = ChatKind::Channel {
        username: Some("news".into()),
    };
    let chat = t.sim.create_chat(kind, "News");
    let (status, body) = t
        .call("sendMessage", json!({ "chat_id": "@news", "text": "hi" }))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["result"]["chat"]["id"], chat.0);
    assert_eq!(t.sim.messages(chat).len(), 1);
}
