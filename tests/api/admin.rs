//! The /milestone admin commands over HTTP through the simulator: who may use them,
//! bad input, confirmations with buttons, and the audit trail.

use crate::helpers::{DEADLINE, TestApp, channels_with_the_bot, eventually};
use milestone_bot::storage::audit::Actor;
use milestone_bot::storage::{Backend, audit};
use telegram_sim::{ChatId, ChatKind, MemberStatus, SentMessage, UserId};

crate::on_every_backend!(
    a_non_admin_is_refused_politely_and_the_attempt_is_audited,
    an_admin_in_a_group_is_asked_to_use_a_private_chat,
    milestone_alone_lists_every_subcommand,
    every_kind_of_bad_input_gets_the_problem_and_the_usage_and_changes_nothing,
    chats_shows_counts_by_type_and_recently_gone_chats,
    admins_can_be_added_listed_and_removed,
    a_thanks_note_is_sent_only_after_the_same_admin_presses_send_once,
    a_stale_or_cancelled_confirmation_starts_nothing,
    commands_addressed_to_another_bot_are_ignored,
    the_admin_menu_is_registered_for_admins_and_the_public_one_for_everyone,
    rules_are_added_listed_and_removed_from_telegram,
    a_template_is_saved_with_a_preview_or_refused_with_the_exact_error,
    preview_sends_both_posts_to_the_admin_only,
    a_manual_announcement_is_queued_after_send_and_listed_in_broadcasts,
    status_shows_metrics_chats_and_broadcasts,
    a_confirmed_thanks_note_reaches_every_channel_with_a_live_progress_message,
    an_announcement_is_edited_and_withdrawn_in_every_chat_after_send,
    broadcast_controls_refuse_unknown_ids_and_wrong_states,
    every_subcommand_from_a_non_admin_is_refused_and_changes_nothing,
    replies_and_confirmations_too_long_for_one_message_come_in_parts_and_still_send,
);

/// The private chat with the configured admin (same id as the admin).
fn admin_chat(app: &TestApp) -> ChatId {
    ChatId(app.admin.0)
}

/// Sends `text` from `from` in `chat` and waits for the bot's reply there (skipping
/// broadcast progress messages, which arrive on their own schedule).
async fn ask(app: &TestApp, chat: ChatId, from: UserId, text: &str) -> SentMessage {
    let before = app.sim.messages(chat).len();
    app.send_text(chat, from, text).await;
    app.sim
        .wait_for(DEADLINE, |sim| {
            sim.messages(chat)
                .into_iter()
                .skip(before)
                .find(|m| !is_progress(m))
        })
        .await
        .unwrap_or_else(|| panic!("no reply to {text:?}"))
}

fn is_progress(msg: &SentMessage) -> bool {
    let text = text_of(msg);
    ["✅", "⛔", "⏸", "📣"]
        .iter()
        .any(|mark| text.starts_with(&format!("{mark} <b>Broadcast #")))
}

fn text_of(msg: &SentMessage) -> String {
    msg.text.clone().unwrap_or_default()
}

async fn audit_results(app: &TestApp) -> Vec<(Actor, String, String)> {
    audit::latest(&app.db, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.who, e.action, e.result))
        .collect()
}

async fn a_non_admin_is_refused_politely_and_the_attempt_is_audited(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let stranger = app.sim.create_chat(
        ChatKind::Private {
            first_name: "Eve".into(),
            username: None,
        },
        "Eve",
    );

    let reply = ask(
        &app,
        stranger,
        UserId(stranger.0),
        "/milestone admins add 666 my-private-words",
    )
    .await;
    ask(
        &app,
        stranger,
        UserId(stranger.0),
        "/milestone Eve-555-0100",
    )
    .await;

    assert!(
        text_of(&reply).contains("only this bot's admins"),
        "{reply:?}"
    );
    // Only a pseudonym and the subcommand's name: not the id, not the words.
    let entries = audit::latest(&app.db, 10).await.unwrap();
    assert_eq!(entries.len(), 2);
    let Actor::Stranger(pseudonym) = &entries[1].who else {
        panic!("{entries:?}")
    };
    assert!(pseudonym.starts_with("u-"), "{pseudonym}");
    assert_eq!(
        entries[0].who, entries[1].who,
        "the same person, told apart"
    );
    assert_eq!(entries[1].action, "milestone admins");
    assert_eq!(entries[0].action, "milestone (unknown)");
    assert!(entries.iter().all(|e| e.detail.is_empty()), "{entries:?}");
    assert!(entries[1].result.starts_with("refused"), "{entries:?}");
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_milestone-bot"))
        .args(["audit"])
        .env("DATABASE_URL", app.database_url())
        .output()
        .expect("the CLI runs");
    let printed = String::from_utf8_lossy(&cli.stdout);
    assert!(
        printed.contains("milestone admins")
            && printed.contains("refused")
            && printed.contains(pseudonym.as_str())
            && printed.contains("pseudonym"),
        "{printed}"
    );
    for secret in [
        stranger.0.to_string(),
        "my-private-words".into(),
        "555-0100".into(),
    ] {
        assert!(!printed.contains(&secret), "{secret} in {printed}");
    }
    assert!(
        milestone_bot::storage::admins::list(&app.db)
            .await
            .unwrap()
            .is_empty(),
        "nothing changed"
    );
    app.stop().await;
}

async fn an_admin_in_a_group_is_asked_to_use_a_private_chat(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let group = app
        .sim
        .create_chat(ChatKind::Supergroup { is_forum: false }, "Team");
    app.sim
        .set_member_status(group, app.admin, MemberStatus::Administrator);

    let reply = ask(&app, group, app.admin, "/milestone status").await;

    assert!(text_of(&reply).contains("private chat"), "{reply:?}");
    app.stop().await;
}

async fn milestone_alone_lists_every_subcommand(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let chat = admin_chat(&app);

    let reply = text_of(&ask(&app, chat, app.admin, "/milestone").await);

    for (_, usage) in milestone_bot::telegram::admin::parse::usage() {
        let shown = usage.replace('<', "&lt;").replace('>', "&gt;");
        assert!(reply.contains(&shown), "{usage} missing from {reply}");
    }
    app.stop().await;
}

async fn every_kind_of_bad_input_gets_the_problem_and_the_usage_and_changes_nothing(
    backend: Backend,
) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let chat = admin_chat(&app);
    let too_long = format!("/milestone thanks {}", "x".repeat(4100));
    let cases: Vec<(&str, &str)> = vec![
        ("/milestone add mau -5", "negative"),
        ("/milestone add mau abc", "not a milestone rule"),
        ("/milestone add mau 1e40", "1e40"),
        ("/milestone add mau 0", "zero"),
        ("/milestone add users 200M", "unknown metric"),
        ("/milestone frobnicate", "unknown subcommand"),
        ("/milestone remove abc", "not an id"),
        ("/milestone admins add bob", "not a telegram user id"),
        ("/milestone thanks <b>unclosed", "invalid html"),
        (&too_long, "over the 4096-character limit by 4 characters"),
    ];
    for (input, problem) in &cases {
        let reply = text_of(&ask(&app, chat, app.admin, input).await);
        assert!(reply.to_lowercase().contains(problem), "{input}: {reply}");
        if !input.starts_with("/milestone thanks") {
            assert!(reply.contains("Usage:"), "{input}: {reply}");
        }
    }
    let mut conn = app.db.pool().acquire().await.unwrap();
    let announcements: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM announcements")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(announcements, 0, "bad input created nothing");
    drop(conn);
    let entries = audit_results(&app).await;
    assert_eq!(entries.len(), cases.len());
    assert!(
        entries
            .iter()
            .all(|(_, _, result)| !result.starts_with("ok")),
        "{entries:?}"
    );
    app.stop().await;
}

async fn chats_shows_counts_by_type_and_recently_gone_chats(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let owner = app.sim.create_user("Olga");
    let a = app
        .sim
        .create_chat(ChatKind::Channel { username: None }, "Alpha");
    let b = app
        .sim
        .create_chat(ChatKind::Channel { username: None }, "Beta <news>");
    for ch in [a, b] {
        app.sim.bot_added_to_chat(&app.token, ch, owner, true);
    }
    eventually("two chats", || async {
        (milestone_bot::storage::chats::list_subscribed(&app.db)
            .await
            .unwrap()
            .len()
            == 2)
            .then_some(())
    })
    .await;
    app.sim.bot_removed_from_chat(&app.token, b, owner, true);
    eventually("one gone", || async {
        (milestone_bot::storage::chats::list_subscribed(&app.db)
            .await
            .unwrap()
            .len()
            == 1)
            .then_some(())
    })
    .await;
    let chat = admin_chat(&app);

    let reply = text_of(&ask(&app, chat, app.admin, "/milestone chats").await);

    assert!(reply.contains("Subscribed chats: 1"), "{reply}");
    assert!(reply.contains("channel: 1"), "{reply}");
    assert!(
        reply.contains("Beta &lt;news&gt;") && reply.contains("kicked"),
        "title escaped, reason shown: {reply}"
    );
    app.stop().await;
}

async fn admins_can_be_added_listed_and_removed(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let chat = admin_chat(&app);
    let helper = app.sim.create_chat(
        ChatKind::Private {
            first_name: "Hal".into(),
            username: None,
        },
        "Hal",
    );

    assert!(
        text_of(
            &ask(
                &app,
                chat,
                app.admin,
                &format!("/milestone admins add {}", helper.0)
            )
            .await
        )
        .contains("now an admin")
    );
    let listed = text_of(&ask(&app, chat, app.admin, "/milestone admins").await);
    assert!(
        listed.contains(&app.admin.0.to_string()) && listed.contains(&helper.0.to_string()),
        "{listed}"
    );
    // The new admin can use the commands now.
    let as_helper = text_of(&ask(&app, helper, UserId(helper.0), "/milestone chats").await);
    assert!(as_helper.contains("Subscribed chats"), "{as_helper}");
    // The configured admin cannot be removed from Telegram.
    let refused = text_of(
        &ask(
            &app,
            chat,
            app.admin,
            &format!("/milestone admins remove {}", app.admin.0),
        )
        .await,
    );
    assert!(refused.contains("ADMIN_IDS"), "{refused}");
    assert!(
        text_of(
            &ask(
                &app,
                chat,
                app.admin,
                &format!("/milestone admins remove {}", helper.0)
            )
            .await
        )
        .contains("no longer")
    );
    let after = text_of(&ask(&app, helper, UserId(helper.0), "/milestone chats").await);
    assert!(after.contains("only this bot's admins"), "{after}");
    app.stop().await;
}

fn button_data(msg: &SentMessage, label: &str) -> String {
    let markup = msg.reply_markup.as_ref().expect("buttons");
    markup["inline_keyboard"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row.as_array().cloned().unwrap_or_default())
        .find(|b| b["text"] == label)
        .and_then(|b| b["callback_data"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no {label} button in {markup}"))
}

async fn answer_to(app: &TestApp, callback_id: &str) -> String {
    let id = callback_id.to_owned();
    app.sim
        .wait_for(DEADLINE, move |sim| {
            sim.callback_answers()
                .into_iter()
                .find(|a| a.callback_query_id == id)
                .map(|a| a.text.unwrap_or_default())
        })
        .await
        .expect("the press is answered")
}

async fn announcement_state(app: &TestApp) -> Vec<String> {
    let mut conn = app.db.pool().acquire().await.unwrap();
    sqlx::query_scalar("SELECT state FROM announcements ORDER BY id")
        .fetch_all(&mut *conn)
        .await
        .unwrap()
}

async fn a_thanks_note_is_sent_only_after_the_same_admin_presses_send_once(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let channel = channels_with_the_bot(&app, 1).await[0];
    let chat = admin_chat(&app);
    let other_admin_chat = app.sim.create_chat(
        ChatKind::Private {
            first_name: "Ola".into(),
            username: None,
        },
        "Ola",
    );
    ask(
        &app,
        chat,
        app.admin,
        &format!("/milestone admins add {}", other_admin_chat.0),
    )
    .await;

    let preview = ask(
        &app,
        chat,
        app.admin,
        "/milestone thanks Thank you, <b>all</b>!",
    )
    .await;
    assert!(text_of(&preview).contains("reaches 1 chat"), "{preview:?}");
    assert_eq!(announcement_state(&app).await, vec!["draft"]);
    let send = button_data(&preview, "Send");

    let by_other = app.sim.press_button(
        &app.token,
        chat,
        preview.message_id,
        UserId(other_admin_chat.0),
        &send,
    );
    assert!(
        answer_to(&app, &by_other)
            .await
            .contains("Only the admin who asked")
    );
    assert_eq!(
        announcement_state(&app).await,
        vec!["draft"],
        "someone else's press starts nothing"
    );

    let first = app
        .sim
        .press_button(&app.token, chat, preview.message_id, app.admin, &send);
    assert!(!answer_to(&app, &first).await.is_empty());
    eventually("released", || async {
        (announcement_state(&app).await != vec!["draft"]).then_some(())
    })
    .await;
    let second = app
        .sim
        .press_button(&app.token, chat, preview.message_id, app.admin, &send);
    assert!(answer_to(&app, &second).await.contains("Already done"));
    let entries = audit_results(&app).await;
    assert!(
        entries
            .iter()
            .any(|(_, action, result)| action == "confirm" && result == "ok: confirmed"),
        "{entries:?}"
    );
    let got = app
        .sim
        .wait_for(DEADLINE, |sim| {
            Some(sim.messages(channel)).filter(|m| !m.is_empty())
        })
        .await
        .expect("the note reaches the channel");
    assert_eq!(got.len(), 1, "sent once, whatever the presses: {got:?}");
    app.stop().await;
}

async fn a_stale_or_cancelled_confirmation_starts_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |env| {
        // Long enough for the second confirmation to be cancelled while it is still
        // valid, on a loaded machine; the first one is then waited out to the
        // moment the database says it expires, not by a fixed sleep.
        env.insert("CONFIRM_TTL".into(), "1s".into());
    })
    .await
    else {
        return;
    };
    let chat = admin_chat(&app);

    let stale = ask(&app, chat, app.admin, "/milestone thanks First").await;
    let cancelled = ask(&app, chat, app.admin, "/milestone thanks Second").await;
    let cancel = app.sim.press_button(
        &app.token,
        chat,
        cancelled.message_id,
        app.admin,
        &button_data(&cancelled, "Cancel"),
    );
    assert_eq!(answer_to(&app, &cancel).await, "Cancelled.");
    wait_until_expired(&app, &button_data(&stale, "Send")).await;
    let late = app.sim.press_button(
        &app.token,
        chat,
        stale.message_id,
        app.admin,
        &button_data(&stale, "Send"),
    );
    assert!(answer_to(&app, &late).await.contains("expired"));
    let unknown = app.sim.press_button(
        &app.token,
        chat,
        stale.message_id,
        app.admin,
        "c:0000000000000000:send",
    );
    assert!(answer_to(&app, &unknown).await.contains("no longer valid"));

    assert_eq!(
        announcement_state(&app).await,
        vec!["cancelled", "cancelled"],
        "nothing was released, and neither draft can be approved any more"
    );
    for id in [1, 2] {
        let approve =
            text_of(&ask(&app, chat, app.admin, &format!("/milestone approve {id}")).await);
        assert!(approve.contains("cannot be approved"), "{approve}");
    }
    app.stop().await;
}

/// Sleeps until the confirmation behind `data` (`c:<nonce>:send`) has expired by
/// the time the database records for it.
async fn wait_until_expired(app: &TestApp, data: &str) {
    let nonce = data.split(':').nth(1).expect("c:<nonce>:<choice>");
    let expires_ms: i64 =
        sqlx::query_scalar("SELECT expires_at FROM confirmations WHERE nonce = $1")
            .bind(nonce)
            .fetch_one(app.db.pool())
            .await
            .expect("the confirmation is stored");
    let left = expires_ms - chrono::Utc::now().timestamp_millis();
    if left >= 0 {
        // The bot refuses at `expires_at <= now`, now in whole milliseconds.
        tokio::time::sleep(std::time::Duration::from_millis(left as u64 + 1)).await;
    }
}

async fn commands_addressed_to_another_bot_are_ignored(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let group = app.sim.create_chat(ChatKind::Group, "Club");

    app.send_text(group, app.admin, "/help@some_other_bot")
        .await;
    let ours = ask(
        &app,
        group,
        app.admin,
        &format!("/help@{}", app.bot.username),
    )
    .await;

    assert!(text_of(&ours).contains("/subscribe"));
    assert_eq!(
        app.sim.messages(group).len(),
        1,
        "only the command addressed to us was answered"
    );
    app.stop().await;
}

async fn the_admin_menu_is_registered_for_admins_and_the_public_one_for_everyone(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let sets = app.sim.commands(&app.token);
    let names = |scope_type: &str| -> Vec<String> {
        sets.iter()
            .filter(|s| s.scope["type"] == scope_type)
            .flat_map(|s| {
                s.commands
                    .iter()
                    .map(|c| c["command"].as_str().unwrap_or_default().to_owned())
            })
            .collect()
    };
    assert!(names("default").contains(&"help".to_owned()), "{sets:?}");
    assert!(!names("default").contains(&"milestone".to_owned()));
    assert!(names("chat").contains(&"milestone".to_owned()), "{sets:?}");
    app.stop().await;
}

async fn rules_are_added_listed_and_removed_from_telegram(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let chat = admin_chat(&app);

    let added = text_of(
        &ask(
            &app,
            chat,
            app.admin,
            "/milestone add mau 250M Quarter of a billion!",
        )
        .await,
    );
    assert!(
        added.contains("Added #") && added.contains("250M"),
        "{added}"
    );
    let id: i64 = added
        .split('#')
        .nth(1)
        .unwrap()
        .split(':')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let duplicate = text_of(&ask(&app, chat, app.admin, "/milestone add mau 250,000,000").await);
    assert!(duplicate.contains("already has"), "{duplicate}");
    let listed = text_of(&ask(&app, chat, app.admin, "/milestone list mau").await);
    assert!(listed.contains(&format!("#{id} mau: 250M")), "{listed}");

    let removed = text_of(&ask(&app, chat, app.admin, &format!("/milestone remove {id}")).await);
    assert!(removed.contains("Removed"), "{removed}");
    let again = text_of(&ask(&app, chat, app.admin, &format!("/milestone remove {id}")).await);
    assert!(
        again.contains(&format!("no milestone rule with id {id}")),
        "{again}"
    );
    let after = text_of(&ask(&app, chat, app.admin, "/milestone list mau").await);
    assert!(!after.contains("250M"), "{after}");
    app.stop().await;
}

async fn a_template_is_saved_with_a_preview_or_refused_with_the_exact_error(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let chat = admin_chat(&app);

    let typo = text_of(
        &ask(
            &app,
            chat,
            app.admin,
            "/milestone template mau announce We passed {milestone_wrds}!",
        )
        .await,
    );
    assert!(typo.contains("unknown variable {milestone_wrds}"), "{typo}");
    let html = text_of(
        &ask(
            &app,
            chat,
            app.admin,
            "/milestone template mau announce <b>We passed {milestone}",
        )
        .await,
    );
    assert!(
        html.to_lowercase().contains("<b>") || html.contains("&lt;b&gt;"),
        "{html}"
    );
    assert!(html.contains("⚠️"), "{html}");
    let long = format!("/milestone template mau thanks {}", "y".repeat(4200));
    let too_long = text_of(&ask(&app, chat, app.admin, &long).await);
    assert!(
        too_long.contains("over the 4096-character limit by"),
        "{too_long}"
    );

    let saved = text_of(
        &ask(
            &app,
            chat,
            app.admin,
            "/milestone template mau announce We passed <b>{milestone_words}</b> {metric_label}!",
        )
        .await,
    );
    assert!(saved.contains("Saved the announcement template"), "{saved}");
    assert!(
        saved.contains("monthly active users"),
        "the preview is rendered: {saved}"
    );
    app.stop().await;
}

async fn preview_sends_both_posts_to_the_admin_only(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let channel = channels_with_the_bot(&app, 1).await[0];
    let chat = admin_chat(&app);

    app.send_text(chat, app.admin, "/milestone preview mau 200M")
        .await;

    let sent = app
        .sim
        .wait_for(DEADLINE, |sim| {
            Some(sim.messages(chat)).filter(|m| m.len() >= 3)
        })
        .await
        .expect("announcement, thank-you note and a closing line");
    assert!(
        text_of(&sent[0]).contains("200,000,000") || text_of(&sent[0]).contains("200 million"),
        "{sent:?}"
    );
    assert!(
        text_of(&sent[1]).to_lowercase().contains("thank"),
        "{sent:?}"
    );
    assert!(text_of(&sent[2]).contains("nothing was sent"), "{sent:?}");
    assert!(app.sim.messages(channel).is_empty());
    app.stop().await;
}

async fn a_manual_announcement_is_queued_after_send_and_listed_in_broadcasts(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let channel = channels_with_the_bot(&app, 1).await[0];
    let chat = admin_chat(&app);

    let confirm = ask(&app, chat, app.admin, "/milestone announce mau 200M").await;
    assert!(text_of(&confirm).contains("reaches 1 chat"), "{confirm:?}");
    let press = app.sim.press_button(
        &app.token,
        chat,
        confirm.message_id,
        app.admin,
        &button_data(&confirm, "Send"),
    );
    answer_to(&app, &press).await;
    eventually("queued", || async {
        (announcement_state(&app).await != vec!["draft"]).then_some(())
    })
    .await;

    let listed = text_of(&ask(&app, chat, app.admin, "/milestone broadcasts").await);
    assert!(listed.contains("200M mau"), "{listed}");
    let approve = text_of(&ask(&app, chat, app.admin, "/milestone approve 999").await);
    assert!(approve.contains("not a draft"), "{approve}");
    let posts = app
        .sim
        .wait_for(DEADLINE, |sim| {
            Some(sim.messages(channel)).filter(|m| m.len() >= 2)
        })
        .await
        .expect("the announcement and its note reach the channel");
    assert_eq!(posts.len(), 2, "{posts:?}");
    app.stop().await;
}

async fn status_shows_metrics_chats_and_broadcasts(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let chat = admin_chat(&app);

    let status = text_of(&ask(&app, chat, app.admin, "/milestone status").await);

    assert!(status.contains("mau") && status.contains("dau"), "{status}");
    assert!(status.contains("Subscribed chats:</b> 0"), "{status}");
    assert!(status.contains("No broadcast in progress"), "{status}");
    app.stop().await;
}

/// Sends a thank-you note through the confirmation and waits until every channel has it.
async fn send_thanks(app: &TestApp, chats: &[ChatId], text: &str) -> i64 {
    let chat = admin_chat(app);
    let confirm = ask(app, chat, app.admin, &format!("/milestone thanks {text}")).await;
    let id: i64 = text_of(&confirm)
        .split("note #")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let press = app.sim.press_button(
        &app.token,
        chat,
        confirm.message_id,
        app.admin,
        &button_data(&confirm, "Send"),
    );
    answer_to(app, &press).await;
    for &c in chats {
        app.sim
            .wait_for(DEADLINE, |sim| (!sim.messages(c).is_empty()).then_some(()))
            .await
            .expect("the note reaches every channel");
    }
    id
}

async fn a_confirmed_thanks_note_reaches_every_channel_with_a_live_progress_message(
    backend: Backend,
) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let chats = channels_with_the_bot(&app, 3).await;

    let id = send_thanks(&app, &chats, "Thank you, <b>everyone</b>!").await;

    for &c in &chats {
        let got = app.sim.messages(c);
        assert_eq!(got.len(), 1, "exactly once: {got:?}");
        assert_eq!(text_of(&got[0]), "Thank you, <b>everyone</b>!");
    }
    let progress = app
        .sim
        .wait_for(DEADLINE, |sim| {
            sim.messages(admin_chat(&app))
                .into_iter()
                .find(|m| text_of(m).contains(&format!("Broadcast #{id} finished")))
        })
        .await
        .expect("the progress message ends with the final tally");
    assert!(text_of(&progress).contains('3'), "{progress:?}");
    app.stop().await;
}

async fn an_announcement_is_edited_and_withdrawn_in_every_chat_after_send(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let chats = channels_with_the_bot(&app, 2).await;
    let id = send_thanks(&app, &chats, "Thanks!").await;
    let chat = admin_chat(&app);
    eventually("done", || async {
        (announcement_state(&app).await == vec!["done"]).then_some(())
    })
    .await;

    let confirm = ask(
        &app,
        chat,
        app.admin,
        &format!("/milestone edit {id} Thanks, <i>truly</i>!"),
    )
    .await;
    assert!(text_of(&confirm).contains("2 chat(s)"), "{confirm:?}");
    let press = app.sim.press_button(
        &app.token,
        chat,
        confirm.message_id,
        app.admin,
        &button_data(&confirm, "Send"),
    );
    answer_to(&app, &press).await;
    for &c in &chats {
        let edited = app
            .sim
            .wait_for(DEADLINE, |sim| {
                sim.messages(c)
                    .pop()
                    .filter(|m| text_of(m) == "Thanks, <i>truly</i>!")
            })
            .await
            .expect("edited in every chat");
        assert_eq!(
            edited.history.len(),
            1,
            "one edit, the old text kept in history"
        );
    }

    eventually("the edit finished", || async {
        (announcement_state(&app).await == vec!["done"]).then_some(())
    })
    .await;
    let confirm = ask(&app, chat, app.admin, &format!("/milestone withdraw {id}")).await;
    let press = app.sim.press_button(
        &app.token,
        chat,
        confirm.message_id,
        app.admin,
        &button_data(&confirm, "Send"),
    );
    answer_to(&app, &press).await;
    for &c in &chats {
        app.sim
            .wait_for(DEADLINE, |sim| sim.messages(c).pop().filter(|m| m.deleted))
            .await
            .expect("deleted in every chat");
    }
    app.stop().await;
}

async fn broadcast_controls_refuse_unknown_ids_and_wrong_states(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let chats = channels_with_the_bot(&app, 1).await;
    let id = send_thanks(&app, &chats, "Thanks!").await;
    eventually("done", || async {
        (announcement_state(&app).await == vec!["done"]).then_some(())
    })
    .await;
    let chat = admin_chat(&app);

    for cmd in [
        "pause 999",
        "resume 999",
        "cancel 999",
        "withdraw 999",
        "resend-unknown 999",
    ] {
        let reply = text_of(&ask(&app, chat, app.admin, &format!("/milestone {cmd}")).await);
        assert!(reply.contains("no broadcast #999"), "{cmd}: {reply}");
    }
    let resume = text_of(&ask(&app, chat, app.admin, &format!("/milestone resume {id}")).await);
    assert!(resume.contains("is done"), "{resume}");
    let resend = text_of(
        &ask(
            &app,
            chat,
            app.admin,
            &format!("/milestone resend-unknown {id}"),
        )
        .await,
    );
    assert!(
        resend.contains("no deliveries of unknown outcome"),
        "{resend}"
    );
    assert_eq!(
        app.sim.messages(chats[0]).len(),
        1,
        "nothing was sent again"
    );
    app.stop().await;
}

async fn every_subcommand_from_a_non_admin_is_refused_and_changes_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let examples = [
        "status",
        "list",
        "add mau 300M",
        "remove 1",
        "baseline mau",
        "template mau thanks Hi",
        "preview 200M",
        "announce 200M",
        "thanks Hi",
        "approve 1",
        "edit 1 Hi",
        "withdraw 1",
        "broadcasts",
        "pause 1",
        "resume 1",
        "cancel 1",
        "resend-unknown 1",
        "chats",
        "admins add 5",
        "help",
    ];
    assert_eq!(
        examples.len(),
        milestone_bot::telegram::admin::parse::usage().len(),
        "one example per subcommand"
    );
    let rules_before = milestone_bot::milestones::rules_store::list_rules(&app.db, None)
        .await
        .unwrap();
    // One stranger per command: Telegram allows one message a second into a chat.
    let strangers: Vec<ChatId> = examples
        .iter()
        .enumerate()
        .map(|(i, _)| {
            app.sim.create_chat(
                ChatKind::Private {
                    first_name: format!("Eve {i}"),
                    username: None,
                },
                "Eve",
            )
        })
        .collect();
    for (chat, example) in strangers.iter().zip(examples) {
        app.send_text(*chat, UserId(chat.0), &format!("/milestone {example}"))
            .await;
    }
    for chat in &strangers {
        let reply = app
            .sim
            .wait_for(DEADLINE, |sim| sim.messages(*chat).pop())
            .await
            .expect("a refusal");
        assert!(
            text_of(&reply).contains("only this bot's admins"),
            "{reply:?}"
        );
    }
    let entries = audit_results(&app).await;
    assert_eq!(entries.len(), examples.len());
    assert!(
        entries
            .iter()
            .all(|(_, _, result)| result.starts_with("refused")),
        "{entries:?}"
    );
    let rules_after = milestone_bot::milestones::rules_store::list_rules(&app.db, None)
        .await
        .unwrap();
    assert_eq!(rules_before.len(), rules_after.len(), "no rule changed");
    assert!(
        announcement_state(&app).await.is_empty(),
        "no announcement was created"
    );
    app.stop().await;
}

/// Telegram's length: UTF-16 code units of the visible text.
fn telegram_len(msg: &SentMessage) -> usize {
    milestone_bot::text::fit::visible_len(&text_of(msg))
}

/// Sends `text` and waits for the bot's messages up to the first `until` accepts.
async fn ask_until(
    app: &TestApp,
    text: &str,
    until: impl Fn(&SentMessage) -> bool,
) -> Vec<SentMessage> {
    let chat = admin_chat(app);
    let before = app.sim.messages(chat).len();
    app.send_text(chat, app.admin, text).await;
    app.sim
        .wait_for(DEADLINE, |sim| {
            let new: Vec<SentMessage> = sim.messages(chat).into_iter().skip(before).collect();
            let end = new.iter().position(&until)?;
            Some(new[..=end].to_vec())
        })
        .await
        .unwrap_or_else(|| panic!("no complete reply to {:.60}", text))
}

async fn replies_and_confirmations_too_long_for_one_message_come_in_parts_and_still_send(
    backend: Backend,
) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    channels_with_the_bot(&app, 1).await;
    // 2,040 characters each, but 4,080 UTF-16 units: within Telegram's limit for
    // a post, too long for a post with anything around it.
    let announce = "🎉".repeat(2_040);
    let thanks = "🙏".repeat(2_040);
    let has_buttons = |m: &SentMessage| m.reply_markup.is_some();

    let saved = ask_until(
        &app,
        &format!("/milestone template mau announce {announce}"),
        |m| text_of(m).ends_with(&announce),
    )
    .await;
    assert!(text_of(&saved[0]).contains("Saved the announcement template"));
    ask_until(
        &app,
        &format!("/milestone template mau thanks {thanks}"),
        |m| text_of(m).ends_with(&thanks),
    )
    .await;
    let confirmation = ask_until(&app, "/milestone announce 200M", has_buttons).await;
    let thanks_only = ask_until(
        &app,
        &format!("/milestone thanks {}", "é".repeat(4_090)),
        has_buttons,
    )
    .await;

    for reply in [&saved, &confirmation, &thanks_only] {
        let lens: Vec<usize> = reply.iter().map(telegram_len).collect();
        assert!(lens.len() >= 2, "came in parts: {lens:?}");
        assert!(lens.iter().all(|&n| n <= 4096), "{lens:?}");
    }
    let shown: String = confirmation.iter().map(text_of).collect();
    assert!(
        shown.contains(&announce) && shown.contains(&thanks),
        "both posts are shown whole"
    );
    let buttons = confirmation.last().unwrap();
    let press = app.sim.press_button(
        &app.token,
        admin_chat(&app),
        buttons.message_id,
        app.admin,
        &button_data(buttons, "Send"),
    );
    answer_to(&app, &press).await;
    eventually("the announcement is released", || async {
        (announcement_state(&app).await.first().map(String::as_str) != Some("draft")).then_some(())
    })
    .await;
    app.stop().await;
}
