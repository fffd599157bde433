//! The chat list follows what Telegram tells the bot: added, removed, kicked,
//! migrated, and `/subscribe` by a group's admins.

use crate::helpers::{TestApp, TestDatabase, eventually};
use milestone_bot::storage::chats::{self, Chat, ChatKind as StoredKind};
use milestone_bot::storage::{Backend, Db};
use telegram_sim::{ChatId, ChatKind, MemberStatus};

crate::on_every_backend!(
    a_channel_that_adds_the_bot_is_recorded_as_subscribed,
    a_channel_that_removes_the_bot_is_marked_gone_and_kept,
    a_group_migrated_to_a_supergroup_keeps_one_row_under_the_new_id,
    subscribe_by_a_group_admin_subscribes_the_group,
    subscribe_by_a_group_member_who_is_not_admin_changes_nothing,
    start_in_a_private_chat_answers_with_the_help_text,
    an_update_with_an_unknown_chat_type_is_skipped_and_the_bot_goes_on,
    a_person_subscribes_and_unsubscribes_in_a_private_chat,
    a_user_who_blocks_the_bot_is_marked_gone_as_blocked,
    a_delivery_waiting_for_a_group_follows_it_to_the_supergroup,
    promoting_the_bot_does_not_undo_an_unsubscribe,
    a_person_who_unsubscribed_stays_unsubscribed_after_blocking_and_unblocking_the_bot,
    a_person_who_blocked_the_bot_without_unsubscribing_is_back_when_they_unblock_it,
    a_private_chat_is_stored_without_the_persons_name_or_username,
    a_group_migrates_while_another_writer_holds_the_database,
);

/// A supergroup and a user who administers it.
fn club_with_an_admin(app: &TestApp) -> (ChatId, telegram_sim::UserId) {
    let admin = app.sim.create_user("Ada");
    let group = app
        .sim
        .create_chat(ChatKind::Supergroup { is_forum: false }, "Club");
    app.sim
        .set_member_status(group, admin, MemberStatus::Administrator);
    (group, admin)
}

async fn stored(app: &TestApp, id: ChatId) -> Option<Chat> {
    chats::get(&app.db, id.0.into())
        .await
        .expect("the query runs")
}

async fn a_channel_that_adds_the_bot_is_recorded_as_subscribed(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let owner = app.sim.create_user("Olga");
    let channel = app.sim.create_chat(
        ChatKind::Channel {
            username: Some("news".into()),
        },
        "News",
    );

    app.sim.bot_added_to_chat(&app.token, channel, owner, true);

    let chat = eventually("the channel is stored", || async {
        stored(&app, channel).await
    })
    .await;
    assert!(chat.subscribed);
    assert_eq!(chat.kind, StoredKind::Channel);
    assert_eq!(chat.title.as_deref(), Some("News"));
    assert_eq!(chat.username.as_deref(), Some("news"));
    app.stop().await;
}

async fn a_channel_that_removes_the_bot_is_marked_gone_and_kept(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let owner = app.sim.create_user("Olga");
    let channel = app
        .sim
        .create_chat(ChatKind::Channel { username: None }, "News");
    app.sim.bot_added_to_chat(&app.token, channel, owner, true);
    eventually("subscribed", || async {
        stored(&app, channel).await.filter(|c| c.subscribed)
    })
    .await;

    app.sim
        .bot_removed_from_chat(&app.token, channel, owner, true);

    let chat = eventually("marked gone", || async {
        stored(&app, channel).await.filter(|c| !c.subscribed)
    })
    .await;
    assert_eq!(chat.gone_reason.as_deref(), Some("kicked"));
    assert!(chat.gone_at.is_some());
    assert!(chats::list_subscribed(&app.db).await.unwrap().is_empty());
    app.stop().await;
}

async fn a_group_migrated_to_a_supergroup_keeps_one_row_under_the_new_id(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let owner = app.sim.create_user("Olga");
    let group = app.sim.create_chat(ChatKind::Group, "Fans");
    app.sim.bot_added_to_chat(&app.token, group, owner, false);
    eventually("group subscribed", || async { stored(&app, group).await }).await;

    let supergroup = app.sim.migrate_group(group);

    let moved = eventually("row moved", || async { stored(&app, supergroup).await }).await;
    assert_eq!(moved.kind, StoredKind::Supergroup);
    assert_eq!(moved.migrated_from, Some(group.0.into()));
    assert!(moved.subscribed);
    assert!(stored(&app, group).await.is_none(), "the old id is gone");
    let subscribed = chats::list_subscribed(&app.db).await.unwrap();
    assert_eq!(
        subscribed.iter().map(|c| c.id.get()).collect::<Vec<_>>(),
        vec![supergroup.0]
    );
    app.stop().await;
}

async fn subscribe_by_a_group_admin_subscribes_the_group(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (group, admin) = club_with_an_admin(&app);

    app.send_text(group, admin, "/subscribe").await;

    let chat = eventually("group subscribed", || async { stored(&app, group).await }).await;
    assert!(chat.subscribed);
    let reply = app
        .sim
        .wait_for(crate::helpers::DEADLINE, |sim| sim.messages(group).pop())
        .await
        .expect("a reply");
    assert!(
        reply
            .text
            .as_deref()
            .unwrap_or_default()
            .contains("Subscribed"),
        "{reply:?}"
    );
    app.stop().await;
}

async fn subscribe_by_a_group_member_who_is_not_admin_changes_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let member = app.sim.create_user("Max");
    let group = app.sim.create_chat(ChatKind::Group, "Club");
    app.sim
        .set_member_status(group, member, MemberStatus::Member);

    app.send_text(group, member, "/subscribe").await;

    let reply = app
        .sim
        .wait_for(crate::helpers::DEADLINE, |sim| sim.messages(group).pop())
        .await
        .expect("a reply");
    assert!(
        reply
            .text
            .as_deref()
            .unwrap_or_default()
            .contains("only this group's admins"),
        "{reply:?}"
    );
    assert!(stored(&app, group).await.is_none());
    app.stop().await;
}

async fn start_in_a_private_chat_answers_with_the_help_text(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let private = app.sim.create_chat(
        ChatKind::Private {
            first_name: "Pat".into(),
            username: None,
        },
        "Pat",
    );
    let user = telegram_sim::UserId(private.0);

    app.send_text(private, user, "/start").await;

    let reply = app
        .sim
        .wait_for(crate::helpers::DEADLINE, |sim| sim.messages(private).pop())
        .await
        .expect("a reply");
    let text = reply.text.unwrap_or_default();
    assert!(
        text.contains("/subscribe") && text.contains("milestone"),
        "{text}"
    );
    assert!(
        stored(&app, private).await.is_none(),
        "/start alone subscribes nothing"
    );
    app.stop().await;
}

async fn an_update_with_an_unknown_chat_type_is_skipped_and_the_bot_goes_on(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let owner = app.sim.create_user("Olga");
    app.sim.push_raw_update(
        &app.token,
        serde_json::json!({
            "update_id": 0,
            "my_chat_member": {
                "chat": {"id": -555, "type": "hologram", "title": "From the future"},
                "from": {"id": owner.0, "is_bot": false, "first_name": "Olga"},
                "date": 1_700_000_000,
                "old_chat_member": {"status": "left", "user": {"id": app.bot.id.0, "is_bot": true, "first_name": "bot"}},
                "new_chat_member": {"status": "member", "user": {"id": app.bot.id.0, "is_bot": true, "first_name": "bot"}}
            }
        }),
    );
    let channel = app
        .sim
        .create_chat(ChatKind::Channel { username: None }, "After");
    app.sim.bot_added_to_chat(&app.token, channel, owner, true);

    eventually("the next update is handled", || async {
        stored(&app, channel).await
    })
    .await;
    assert!(stored(&app, ChatId(-555)).await.is_none());
    app.stop().await;
}

async fn a_person_subscribes_and_unsubscribes_in_a_private_chat(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let private = app.sim.create_chat(
        ChatKind::Private {
            first_name: "Pat".into(),
            username: Some("pat".into()),
        },
        "Pat",
    );
    let user = telegram_sim::UserId(private.0);

    app.send_text(private, user, "/subscribe").await;
    let chat = eventually("subscribed", || async {
        stored(&app, private).await.filter(|c| c.subscribed)
    })
    .await;
    assert_eq!(chat.kind, StoredKind::Private);

    app.send_text(private, user, "/unsubscribe").await;
    let chat = eventually("unsubscribed", || async {
        stored(&app, private).await.filter(|c| !c.subscribed)
    })
    .await;
    assert_eq!(chat.gone_reason.as_deref(), Some("unsubscribed"));
    let replies = app
        .sim
        .wait_for(crate::helpers::DEADLINE, |sim| {
            Some(sim.messages(private)).filter(|m| m.len() >= 2)
        })
        .await
        .unwrap();
    assert!(
        replies[1]
            .text
            .as_deref()
            .unwrap_or_default()
            .contains("Unsubscribed"),
        "{replies:?}"
    );
    app.stop().await;
}

async fn a_user_who_blocks_the_bot_is_marked_gone_as_blocked(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let private = app.sim.create_chat(
        ChatKind::Private {
            first_name: "Pat".into(),
            username: None,
        },
        "Pat",
    );
    app.send_text(private, telegram_sim::UserId(private.0), "/subscribe")
        .await;
    eventually("subscribed", || async { stored(&app, private).await }).await;

    app.sim.user_blocks_bot(&app.token, private);

    let chat = eventually("gone", || async {
        stored(&app, private).await.filter(|c| !c.subscribed)
    })
    .await;
    assert_eq!(chat.gone_reason.as_deref(), Some("blocked"));
    app.stop().await;
}

async fn a_delivery_waiting_for_a_group_follows_it_to_the_supergroup(backend: Backend) {
    // No sender: the delivery stays pending while the group migrates.
    let Some(app) = TestApp::spawn_with(backend, |env| {
        env.insert("BROADCAST_WORKER".into(), "false".into());
    })
    .await
    else {
        return;
    };
    let owner = app.sim.create_user("Olga");
    let group = app.sim.create_chat(ChatKind::Group, "Fans");
    app.sim.bot_added_to_chat(&app.token, group, owner, false);
    eventually("group subscribed", || async { stored(&app, group).await }).await;
    let id =
        crate::helpers::queue_announcement(&app.db, crate::helpers::announcement("Hi", None, None))
            .await;

    let supergroup = app.sim.migrate_group(group);

    eventually("row moved", || async { stored(&app, supergroup).await }).await;
    let chat_ids: Vec<i64> =
        sqlx::query_scalar("SELECT chat_id FROM deliveries WHERE announcement_id = $1")
            .bind(id)
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    assert_eq!(
        chat_ids,
        vec![supergroup.0],
        "the pending delivery moved with the chat"
    );
    app.stop().await;
}

async fn promoting_the_bot_does_not_undo_an_unsubscribe(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (group, admin) = club_with_an_admin(&app);
    app.sim.bot_added_to_chat(&app.token, group, admin, false);
    eventually("subscribed", || async { stored(&app, group).await }).await;
    app.send_text(group, admin, "/unsubscribe").await;
    eventually("unsubscribed", || async {
        stored(&app, group).await.filter(|c| !c.subscribed)
    })
    .await;

    app.sim.bot_added_to_chat(&app.token, group, admin, true);
    // The promotion is handled once the bot has answered a later command.
    let before = app.sim.messages(group).len();
    app.send_text(group, admin, "/help").await;
    app.sim
        .wait_for(crate::helpers::DEADLINE, |sim| {
            (sim.messages(group).len() > before).then_some(())
        })
        .await
        .expect("a reply to /help");

    let chat = stored(&app, group).await.unwrap();
    assert!(!chat.subscribed, "still unsubscribed: {chat:?}");
    assert_eq!(chat.gone_reason.as_deref(), Some("unsubscribed"));
    app.stop().await;
}

/// `setMyCommands` is a convenience: a Bot API that refuses it must not stop the bot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_keeps_running_when_telegram_refuses_its_command_menu() {
    let database = crate::helpers::TestDatabase::new(Backend::Sqlite)
        .await
        .unwrap();
    let sim = telegram_sim::TelegramSim::start(telegram_sim::SimConfig::default())
        .await
        .unwrap();
    sim.refuse_method("setMyCommands", Some("BOT_COMMANDS_TOO_MUCH"));
    let token = format!(
        "{}:MENU{}",
        100_000 + rand::random::<u32>() % 900_000,
        rand::random::<u32>()
    );
    sim.add_bot(&token, "milestone_menu_bot");
    let admin = sim.create_chat(
        ChatKind::Private {
            first_name: "Pat".into(),
            username: None,
        },
        "Pat",
    );
    let env = crate::helpers::test_env(&sim, &token, database.url(), telegram_sim::UserId(admin.0));
    let config = milestone_bot::config::Config::from_env(&env).unwrap();
    let app = milestone_bot::app::App::build(config).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));

    sim.send_text(&token, admin, telegram_sim::UserId(admin.0), "/start");

    let reply = sim
        .wait_for(crate::helpers::DEADLINE, |s| s.messages(admin).pop())
        .await
        .expect("the bot answers although its menu was refused");
    assert!(reply.text.unwrap_or_default().contains("/subscribe"));
    assert!(sim.commands(&token).is_empty(), "no menu was accepted");
    assert!(sim.stats(&token).client_errors > 0, "the refusal happened");
    let _ = stop.send(());
    task.await.unwrap().unwrap();
    database.drop_now().await;
}

/// A private chat with a person who has a name and a username.
fn person(app: &TestApp) -> (ChatId, telegram_sim::UserId) {
    let private = app.sim.create_chat(
        ChatKind::Private {
            first_name: "Pat".into(),
            username: Some("pat_private".into()),
        },
        "Pat",
    );
    (private, telegram_sim::UserId(private.0))
}

/// Waits until the bot has handled everything sent to `chat` so far: it answers
/// `/help` after the updates before it (one chat's updates are handled in order).
async fn settled(app: &TestApp, chat: ChatId, user: telegram_sim::UserId) {
    let helps = |sim: &telegram_sim::TelegramSim| {
        sim.messages(chat)
            .iter()
            .filter(|m| {
                m.text
                    .as_deref()
                    .is_some_and(|t| t.contains("/unsubscribe: stop"))
            })
            .count()
    };
    let before = helps(&app.sim);
    app.send_text(chat, user, "/help").await;
    app.sim
        .wait_for(crate::helpers::DEADLINE, |sim| {
            (helps(sim) > before).then_some(())
        })
        .await
        .expect("a reply to /help");
}

/// Blocks the bot, then unblocks it (Telegram: `my_chat_member` kicked, then member).
async fn block_and_unblock(app: &TestApp, chat: ChatId, user: telegram_sim::UserId) {
    app.sim.user_blocks_bot(&app.token, chat);
    app.sim.bot_added_to_chat(&app.token, chat, user, false);
    settled(app, chat, user).await;
}

async fn a_person_who_unsubscribed_stays_unsubscribed_after_blocking_and_unblocking_the_bot(
    backend: Backend,
) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (private, user) = person(&app);
    app.send_text(private, user, "/subscribe").await;
    app.send_text(private, user, "/unsubscribe").await;
    eventually("unsubscribed", || async {
        stored(&app, private)
            .await
            .filter(|c| c.gone_reason.as_deref() == Some("unsubscribed"))
    })
    .await;

    block_and_unblock(&app, private, user).await;

    let chat = stored(&app, private).await.unwrap();
    assert!(!chat.subscribed, "still unsubscribed: {chat:?}");
    assert_eq!(chat.gone_reason.as_deref(), Some("unsubscribed"));
    app.stop().await;
}

async fn a_person_who_blocked_the_bot_without_unsubscribing_is_back_when_they_unblock_it(
    backend: Backend,
) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (private, user) = person(&app);
    app.send_text(private, user, "/subscribe").await;
    eventually("subscribed", || async { stored(&app, private).await }).await;

    block_and_unblock(&app, private, user).await;

    let chat = stored(&app, private).await.unwrap();
    assert!(chat.subscribed, "subscribed again: {chat:?}");
    app.stop().await;
}

async fn a_private_chat_is_stored_without_the_persons_name_or_username(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (private, user) = person(&app);
    app.send_text(private, user, "/subscribe").await;
    let chat = eventually("subscribed", || async { stored(&app, private).await }).await;
    assert_eq!((chat.title, chat.username), (None, None));
    let (channel, owner) = (
        app.sim.create_chat(
            ChatKind::Channel {
                username: Some("news_channel".into()),
            },
            "News",
        ),
        app.sim.create_user("Olga"),
    );
    app.sim.bot_added_to_chat(&app.token, channel, owner, true);
    let channel = eventually("subscribed", || async { stored(&app, channel).await }).await;
    assert_eq!(
        (channel.title.as_deref(), channel.username.as_deref()),
        (Some("News"), Some("news_channel")),
        "a channel keeps its public title"
    );
    app.stop().await;
}

/// The migration waits its turn behind another writer and then moves the chat: a
/// `database is locked` here once pointed a broadcast's delivery at a supergroup the
/// chat list did not have, and the post was lost. (SQLite: a transaction that read
/// first cannot take the write lock after another writer committed.)
async fn a_group_migrates_while_another_writer_holds_the_database(backend: Backend) {
    let Some(database) = TestDatabase::new(backend).await else {
        return;
    };
    let db = Db::connect_and_migrate(database.url()).await.unwrap();
    let group = milestone_bot::vocab::ChatId(-400_000_001);
    let supergroup = milestone_bot::vocab::ChatId(-1_001_000_000_001);
    let now = chrono::Utc::now();
    let chat = chats::NewChat {
        id: group,
        kind: StoredKind::Group,
        title: None,
        username: None,
    };
    chats::subscribe(&db, &chat, now).await.unwrap();

    // Another writer holds the write lock, changes the chat list and commits while
    // the migration runs.
    let mut other = db.pool().begin().await.unwrap();
    sqlx::query("UPDATE chats SET updated_at = updated_at + 1 WHERE id = $1")
        .bind(group)
        .execute(&mut *other)
        .await
        .unwrap();
    let migrating = tokio::spawn({
        let db = db.clone();
        async move { chats::migrate(&db, group, supergroup, now).await }
    });
    // Time for the migration to start and queue behind the lock (if it has not by
    // then, the test only checks less: it cannot pass wrongly).
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    other.commit().await.unwrap();

    let moved = migrating.await.unwrap();
    assert!(
        matches!(moved, Ok(true)),
        "the migration waits its turn and moves the chat: {moved:?}"
    );
    let row = chats::get(&db, supergroup).await.unwrap().expect("moved");
    assert_eq!(row.migrated_from, Some(group));
    assert!(chats::get(&db, group).await.unwrap().is_none());
    db.close().await;
    database.drop_now().await;
}
