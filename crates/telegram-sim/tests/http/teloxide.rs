//! The real client: teloxide-core must parse every answer and update the
//! simulator produces, and map its errors to the same `RequestError`s.

use telegram_sim::{ChatKind, MemberStatus};
use teloxide_core::{
    ApiError, Bot, RequestError,
    payloads::SendMessageSetters,
    requests::Requester,
    types::{self as tg, InputFile, UpdateKind},
};

use crate::helpers::{TOKEN, TestSim, spawn_unlimited};

fn bot(t: &TestSim) -> Bot {
    Bot::new(TOKEN).set_api_url(reqwest::Url::parse(&t.sim.api_url()).unwrap())
}

#[tokio::test]
async fn teloxide_parses_get_me_and_sent_messages() {
    let t = spawn_unlimited().await;
    let chat = t.channel();
    let me = bot(&t).get_me().await.unwrap();
    assert_eq!(me.username(), "test_bot");
    let keyboard =
        tg::InlineKeyboardMarkup::new([[tg::InlineKeyboardButton::callback("Go", "go")]]);
    let msg = bot(&t)
        .send_message(tg::ChatId(chat.0), "<b>1,000,000</b> users")
        .parse_mode(tg::ParseMode::Html)
        .reply_markup(keyboard)
        .await
        .unwrap();
    assert_eq!(msg.text(), Some("1,000,000 users"));
    assert!(msg.reply_markup().is_some());
    let edited = bot(&t)
        .edit_message_text(tg::ChatId(chat.0), msg.id, "2,000,000 users")
        .await
        .unwrap();
    assert_eq!(edited.text(), Some("2,000,000 users"));
}

#[tokio::test]
async fn teloxide_parses_every_kind_of_pushed_update() {
    let t = spawn_unlimited().await;
    let owner = t.sim.create_user("Owner");
    let channel = t.channel();
    let group = t.sim.create_chat(ChatKind::Group, "Team");
    t.sim.set_member_status(group, owner, MemberStatus::Creator);
    t.sim.bot_added_to_chat(TOKEN, channel, owner, true);
    t.sim.bot_added_to_chat(TOKEN, group, owner, false);
    t.sim.send_text(TOKEN, group, owner, "/subscribe@test_bot");
    let sent = bot(&t)
        .send_message(tg::ChatId(group.0), "Sure?")
        .await
        .unwrap();
    t.sim.press_button(TOKEN, group, sent.id.0, owner, "yes");
    let supergroup = t.sim.migrate_group(group);
    t.sim.bot_removed_from_chat(TOKEN, channel, owner, true);

    let updates = bot(&t).get_updates().await.unwrap();
    let kinds: Vec<&str> = updates
        .iter()
        .map(|u| match &u.kind {
            UpdateKind::MyChatMember(_) => "member",
            UpdateKind::Message(_) => "message",
            UpdateKind::CallbackQuery(_) => "callback",
            UpdateKind::Error(e) => panic!("teloxide could not parse {e}"),
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "member", "member", "message", "callback", "message", "message", "member"
        ]
    );
    let UpdateKind::MyChatMember(added) = &updates[0].kind else {
        unreachable!()
    };
    assert!(added.new_chat_member.is_administrator());
    assert!(added.chat.is_channel());
    let UpdateKind::Message(cmd) = &updates[2].kind else {
        unreachable!()
    };
    assert_eq!(cmd.text(), Some("/subscribe@test_bot"));
    let UpdateKind::Message(to) = &updates[4].kind else {
        unreachable!()
    };
    assert_eq!(to.migrate_to_chat_id(), Some(&tg::ChatId(supergroup.0)));
    let UpdateKind::Message(from) = &updates[5].kind else {
        unreachable!()
    };
    assert_eq!(from.migrate_from_chat_id(), Some(&tg::ChatId(group.0)));
    let UpdateKind::MyChatMember(kicked) = &updates[6].kind else {
        unreachable!()
    };
    assert!(kicked.new_chat_member.is_banned());
}

#[tokio::test]
async fn teloxide_maps_simulated_errors_to_its_request_errors() {
    let t = spawn_unlimited().await;
    let private = t.sim.create_chat(
        ChatKind::Private {
            first_name: "Ann".into(),
            username: None,
        },
        "",
    );
    t.sim.user_blocks_bot(TOKEN, private);
    let blocked = bot(&t)
        .send_message(tg::ChatId(private.0), "hi")
        .await
        .unwrap_err();
    assert!(
        matches!(blocked, RequestError::Api(ApiError::BotBlocked)),
        "{blocked:?}"
    );

    let group = t.sim.create_chat(ChatKind::Group, "Team");
    let to = t.sim.migrate_group(group);
    let migrated = bot(&t)
        .send_message(tg::ChatId(group.0), "hi")
        .await
        .unwrap_err();
    assert!(
        matches!(migrated, RequestError::MigrateToChatId(id) if id.0 == to.0),
        "{migrated:?}"
    );

    t.sim.set_limits(telegram_sim::Limits::default());
    let channel = t.channel();
    bot(&t)
        .send_message(tg::ChatId(channel.0), "one")
        .await
        .unwrap();
    let flood = bot(&t)
        .send_message(tg::ChatId(channel.0), "two")
        .await
        .unwrap_err();
    assert!(
        matches!(flood, RequestError::RetryAfter(s) if s.seconds() == 1),
        "{flood:?}"
    );
}

#[tokio::test]
async fn teloxide_uploads_a_photo_and_resends_it_by_file_id() {
    let t = spawn_unlimited().await;
    let chat = t.channel();
    let first = bot(&t)
        .send_photo(tg::ChatId(chat.0), InputFile::memory(vec![7u8; 100]))
        .await
        .unwrap();
    let file_id = first.photo().unwrap()[0].file.id.clone();
    let again = bot(&t)
        .send_photo(tg::ChatId(chat.0), InputFile::file_id(file_id.clone()))
        .await;
    assert_eq!(again.unwrap().photo().unwrap()[0].file.id, file_id);
    let uploaded: Vec<bool> = t.sim.messages(chat).iter().map(|m| m.uploaded).collect();
    assert_eq!(uploaded, [true, false]);
    let anim = bot(&t)
        .send_animation(tg::ChatId(chat.0), InputFile::memory(vec![1u8; 10]))
        .await;
    assert!(anim.unwrap().animation().is_some());
}

#[tokio::test]
async fn teloxide_parses_chat_and_member_queries() {
    let t = spawn_unlimited().await;
    let owner = t.sim.create_user("Owner");
    let group = t
        .sim
        .create_chat(ChatKind::Supergroup { is_forum: true }, "Forum");
    t.sim.set_member_status(group, owner, MemberStatus::Creator);
    let chat = bot(&t).get_chat(tg::ChatId(group.0)).await.unwrap();
    assert!(chat.is_supergroup());
    let member = bot(&t)
        .get_chat_member(tg::ChatId(group.0), tg::UserId(owner.0 as u64))
        .await;
    assert!(member.unwrap().is_owner());
    let admins = bot(&t)
        .get_chat_administrators(tg::ChatId(group.0))
        .await
        .unwrap();
    assert_eq!(admins.len(), 1);
    assert_eq!(
        bot(&t)
            .get_chat_member_count(tg::ChatId(group.0))
            .await
            .unwrap(),
        1
    );
    let private = t.sim.create_chat(
        ChatKind::Private {
            first_name: "Ann".into(),
            username: None,
        },
        "",
    );
    assert!(
        bot(&t)
            .get_chat(tg::ChatId(private.0))
            .await
            .unwrap()
            .is_private()
    );
    let commands = vec![tg::BotCommand::new("help", "Help")];
    bot(&t).set_my_commands(commands).await.unwrap();
    assert_eq!(bot(&t).get_my_commands().await.unwrap().len(), 1);
}
