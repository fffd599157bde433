//! The broadcast engine end to end: the real app against the simulator over HTTP,
//! each Bot API error path, ordering, media reuse, pace, operations, and one sender
//! per bot across instances.

use crate::helpers::{
    Clock, TestApp, announcement, announcement_state, delivery, fast_broadcast, queue_announcement,
    subscribed_chats, wait_for_state,
};
use milestone_bot::broadcast::{StepOutcome, Worker, ops};
use milestone_bot::config::BroadcastConfig;
use milestone_bot::storage::{Backend, chats};
use std::collections::HashMap;
use std::time::Duration;
use telegram_sim::{ChatId, ChatKind, ChatState, Fault, Limits, Rate, SentKind};

crate::on_every_backend!(
    every_chat_gets_the_announcement_then_the_note_exactly_once,
    a_429_makes_the_whole_sender_wait_and_is_not_a_failure,
    blocked_kicked_deactivated_and_deleted_chats_are_marked_gone_and_skipped,
    a_migrated_group_moves_and_gets_the_message_at_once,
    a_bad_request_fails_with_telegrams_description_without_retry,
    server_errors_and_dropped_connections_are_retried_until_delivered,
    a_chat_failing_past_the_attempt_limit_ends_failed_visibly,
    media_is_uploaded_once_and_resent_by_file_id,
    the_pace_provokes_no_429_when_the_server_enforces_the_same_limits,
    the_admin_sees_one_progress_message_ending_with_the_final_tally,
    pause_resume_and_cancel_control_what_is_sent,
    a_finished_broadcast_can_be_edited_and_withdrawn_everywhere,
    rows_in_flight_at_start_become_unknown_are_reported_and_resent_only_on_request,
    the_worker_can_be_driven_step_by_step,
    two_workers_on_one_database_only_one_sends_and_the_other_takes_over,
    silent_pinned_posts_go_to_a_forums_configured_topic,
);

pub(crate) const LONG: Duration = Duration::from_secs(30);

pub(crate) fn channel() -> ChatKind {
    ChatKind::Channel { username: None }
}

pub(crate) fn private() -> ChatKind {
    ChatKind::Private {
        first_name: "Ann".into(),
        username: None,
    }
}

/// The bot with fast broadcast settings (and `extra`) on the scaled clock.
pub(crate) async fn spawn(backend: Backend, extra: &[(&str, &str)]) -> Option<TestApp> {
    spawn_on(Clock::fast(), backend, extra).await
}

/// [`spawn`] on the given clock: [`Clock::Telegram`] for tests of Telegram's limits.
pub(crate) async fn spawn_on(
    clock: Clock,
    backend: Backend,
    extra: &[(&str, &str)],
) -> Option<TestApp> {
    let extra: Vec<(String, String)> = extra
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    TestApp::spawn_on(clock, backend, move |env| {
        fast_broadcast(env);
        env.extend(extra);
    })
    .await
}

async fn every_chat_gets_the_announcement_then_the_note_exactly_once(backend: Backend) {
    let Some(app) = spawn(backend, &[]).await else {
        return;
    };
    let mut chats = subscribed_chats(&app.sim, &app.db, channel(), 8).await;
    chats.extend(
        subscribed_chats(
            &app.sim,
            &app.db,
            ChatKind::Supergroup { is_forum: false },
            4,
        )
        .await,
    );

    let id = queue_announcement(
        &app.db,
        announcement("<b>1M</b> users!", Some("Thank you ❤️"), None),
    )
    .await;
    wait_for_state(&app.db, id, "done", LONG).await;

    for chat in &chats {
        let msgs = app.sim.messages(*chat);
        assert_eq!(msgs.len(), 2, "chat {chat:?}: {msgs:?}");
        assert_eq!(msgs[0].text.as_deref(), Some("<b>1M</b> users!"));
        assert_eq!(msgs[0].parse_mode.as_deref(), Some("HTML"));
        assert_eq!(msgs[1].text.as_deref(), Some("Thank you ❤️"));
        assert!(
            msgs[1].at >= msgs[0].at + app.clock.per_chat(),
            "the note respects the per-chat limit"
        );
        let (state, _, _, announce_id, thanks_id, _) = delivery(&app.db, id, chat.0).await;
        assert_eq!(state, "sent");
        assert_eq!(announce_id, Some(i64::from(msgs[0].message_id)));
        assert_eq!(thanks_id, Some(i64::from(msgs[1].message_id)));
    }
    assert_eq!(app.sim.stats(&app.token).too_many_requests, 0);
    app.stop().await;
}

async fn a_429_makes_the_whole_sender_wait_and_is_not_a_failure(backend: Backend) {
    let Some(app) = spawn(backend, &[]).await else {
        return;
    };
    let chats = subscribed_chats(&app.sim, &app.db, channel(), 6).await;
    // Not the first chat, so some messages land before the 429 and some after.
    app.sim
        .fail_next(chats[2], 1, Fault::RetryAfter { secs: 2 });

    let id = queue_announcement(&app.db, announcement("Hello", None, None)).await;
    wait_for_state(&app.db, id, "done", LONG).await;

    let all = delivered(&app.sim, app.admin);
    assert_eq!(all.len(), 6, "every chat got it once");
    let first = all.iter().map(|m| m.at).min().unwrap();
    let last = all.iter().map(|m| m.at).max().unwrap();
    assert!(
        last - first >= Duration::from_millis(1900),
        "the sender waited retry_after: {:?}",
        last - first
    );
    let (state, _, attempts, ..) = delivery(&app.db, id, chats[2].0).await;
    assert_eq!(
        (state.as_str(), attempts),
        ("sent", 0),
        "a 429 is not an attempt"
    );
    assert_eq!(app.sim.stats(&app.token).too_many_requests, 1);
    app.stop().await;
}

async fn blocked_kicked_deactivated_and_deleted_chats_are_marked_gone_and_skipped(
    backend: Backend,
) {
    let Some(app) = spawn(backend, &[]).await else {
        return;
    };
    let users = subscribed_chats(&app.sim, &app.db, private(), 3).await;
    let channels = subscribed_chats(&app.sim, &app.db, channel(), 3).await;
    app.sim.set_chat_state(users[0], ChatState::Blocked);
    app.sim.set_chat_state(users[1], ChatState::Deactivated);
    app.sim.set_chat_state(channels[0], ChatState::Kicked);
    app.sim.set_chat_state(channels[1], ChatState::Deleted);

    let id = queue_announcement(&app.db, announcement("News", Some("Thanks"), None)).await;
    wait_for_state(&app.db, id, "done", LONG).await;

    let cases = [
        (users[0], "blocked"),
        (users[1], "deactivated"),
        (channels[0], "kicked"),
        (channels[1], "chat not found"),
    ];
    for (chat, reason) in cases {
        let (state, ..) = delivery(&app.db, id, chat.0).await;
        assert_eq!(state, "skipped", "{reason}");
        let stored = chats::get(&app.db, chat.0.into()).await.unwrap().unwrap();
        assert!(!stored.subscribed, "{reason}");
        assert_eq!(stored.gone_reason.as_deref(), Some(reason));
        assert!(
            app.sim.messages(chat).is_empty(),
            "{reason}: nothing arrives, not even the note"
        );
    }
    for chat in [users[2], channels[2]] {
        assert_eq!(app.sim.messages(chat).len(), 2);
    }
    app.stop().await;
}

async fn a_migrated_group_moves_and_gets_the_message_at_once(backend: Backend) {
    let Some(app) = spawn(backend, &[]).await else {
        return;
    };
    let group = subscribed_chats(&app.sim, &app.db, ChatKind::Group, 1).await[0];
    let supergroup = app
        .sim
        .create_chat(ChatKind::Supergroup { is_forum: false }, "Fans (super)");
    app.sim
        .fail_next(group, 1, Fault::Migrated { to: supergroup });

    let id = queue_announcement(&app.db, announcement("Moved?", Some("Thanks"), None)).await;
    wait_for_state(&app.db, id, "done", LONG).await;

    assert!(app.sim.messages(group).is_empty());
    let msgs = app.sim.messages(supergroup);
    assert_eq!(
        msgs.iter()
            .map(|m| m.text.as_deref().unwrap())
            .collect::<Vec<_>>(),
        ["Moved?", "Thanks"]
    );
    assert!(
        chats::get(&app.db, group.0.into()).await.unwrap().is_none(),
        "the old id is gone"
    );
    let moved = chats::get(&app.db, supergroup.0.into())
        .await
        .unwrap()
        .expect("the chat moved");
    assert_eq!(moved.migrated_from, Some(group.0.into()));
    assert_eq!(delivery(&app.db, id, supergroup.0).await.0, "sent");
    app.stop().await;
}

async fn a_bad_request_fails_with_telegrams_description_without_retry(backend: Backend) {
    let Some(app) = spawn(backend, &[]).await else {
        return;
    };
    let chat = subscribed_chats(&app.sim, &app.db, channel(), 1).await[0];
    let description = "Bad Request: message thread not found";
    app.sim.fail_next(
        chat,
        1,
        Fault::Api {
            code: 400,
            description: description.into(),
        },
    );

    let id = queue_announcement(&app.db, announcement("Hi", Some("Thanks"), None)).await;
    wait_for_state(&app.db, id, "done", LONG).await;

    let (state, step, attempts, _, _, error) = delivery(&app.db, id, chat.0).await;
    assert_eq!(
        (state.as_str(), step.as_str(), attempts),
        ("failed", "announce", 1)
    );
    assert_eq!(error.as_deref(), Some(description));
    assert!(
        app.sim.messages(chat).is_empty(),
        "no retry, and no note without its announcement"
    );
    assert!(
        chats::get(&app.db, chat.0.into())
            .await
            .unwrap()
            .unwrap()
            .subscribed,
        "the chat stays"
    );
    app.stop().await;
}

async fn server_errors_and_dropped_connections_are_retried_until_delivered(backend: Backend) {
    let Some(app) = spawn(backend, &[]).await else {
        return;
    };
    let chats = subscribed_chats(&app.sim, &app.db, channel(), 3).await;
    app.sim.fail_next(chats[0], 2, Fault::Drop);
    app.sim.fail_next(chats[1], 1, Fault::ServerError);
    // Slow, but answered within BROADCAST_REQUEST_TIMEOUT (2s here).
    app.sim.fail_next(chats[2], 1, Fault::Slow { ms: 500 });

    let id = queue_announcement(&app.db, announcement("Retry me", None, None)).await;
    wait_for_state(&app.db, id, "done", LONG).await;

    for chat in &chats {
        let (state, ..) = delivery(&app.db, id, chat.0).await;
        assert_eq!(state, "sent");
    }
    for chat in &chats {
        assert_eq!(app.sim.messages(*chat).len(), 1, "exactly once: {chat:?}");
    }
    let stats = app.sim.stats(&app.token);
    assert_eq!((stats.dropped, stats.server_errors), (2, 1));
    app.stop().await;
}

async fn a_chat_failing_past_the_attempt_limit_ends_failed_visibly(backend: Backend) {
    let Some(app) = spawn(backend, &[("BROADCAST_MAX_ATTEMPTS", "3")]).await else {
        return;
    };
    let chats = subscribed_chats(&app.sim, &app.db, channel(), 2).await;
    app.sim.fail_next(chats[0], 10, Fault::Drop);

    let id = queue_announcement(&app.db, announcement("Hi", None, None)).await;
    wait_for_state(&app.db, id, "done", LONG).await;

    let (state, _, attempts, _, _, error) = delivery(&app.db, id, chats[0].0).await;
    assert_eq!((state.as_str(), attempts), ("failed", 3));
    assert!(error.unwrap().contains("after 3 attempts"));
    assert_eq!(app.sim.stats(&app.token).dropped, 3);
    assert_eq!(
        app.sim.messages(chats[1]).len(),
        1,
        "one bad chat does not hold up the rest"
    );
    app.stop().await;
}

async fn media_is_uploaded_once_and_resent_by_file_id(backend: Backend) {
    let Some(app) = spawn(backend, &[]).await else {
        return;
    };
    let chats = subscribed_chats(&app.sim, &app.db, channel(), 12).await;
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("milestone.png");
    std::fs::write(&photo, vec![0x89u8; 2048]).unwrap();
    let mut new = announcement("<i>1,000,000</i> users", Some("Thanks!"), None);
    new.media_kind = Some(milestone_bot::vocab::MediaKind::Photo);
    new.media_ref = Some(photo.display().to_string());

    let id = queue_announcement(&app.db, new).await;
    wait_for_state(&app.db, id, "done", LONG).await;

    let stats = app.sim.stats(&app.token);
    assert_eq!(stats.uploads, 1, "one upload for {} chats", chats.len());
    let mut file_ids = Vec::new();
    for chat in &chats {
        let msgs = app.sim.messages(*chat);
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].kind, SentKind::Photo);
        assert_eq!(
            msgs[0].text.as_deref(),
            Some("<i>1,000,000</i> users"),
            "the text is the caption"
        );
        assert_eq!(msgs[1].kind, SentKind::Text);
        file_ids.push(msgs[0].file_id.clone().unwrap());
    }
    file_ids.dedup();
    assert_eq!(
        file_ids.len(),
        1,
        "every chat got the same file: {file_ids:?}"
    );
    app.stop().await;
}

async fn the_pace_provokes_no_429_when_the_server_enforces_the_same_limits(backend: Backend) {
    let Some(app) = spawn_on(
        Clock::Telegram,
        backend,
        &[("BROADCAST_RATE", "200"), ("BROADCAST_IN_FLIGHT", "32")],
    )
    .await
    else {
        return;
    };
    app.sim.set_limits(Limits {
        global: Rate::new(200, Duration::from_secs(1)),
        ..Limits::default()
    });
    let mut chats = subscribed_chats(&app.sim, &app.db, channel(), 280).await;
    chats.extend(subscribed_chats(&app.sim, &app.db, ChatKind::Group, 20).await);
    app.sim.set_faults(telegram_sim::Faults {
        latency: Duration::from_millis(50),
        jitter: Duration::from_millis(20),
        ..Default::default()
    });

    let id = queue_announcement(&app.db, announcement("Pace", Some("Thanks"), None)).await;
    wait_for_state(&app.db, id, "done", LONG).await;

    let all = delivered(&app.sim, app.admin);
    let stats = app.sim.stats(&app.token);
    assert_eq!(
        stats.too_many_requests, 0,
        "no 429 at the server's own limits"
    );
    assert_eq!(all.len(), 600, "every chat got both messages once");
    let mut per_chat: HashMap<ChatId, usize> = HashMap::new();
    for m in &all {
        *per_chat.entry(m.chat_id).or_default() += 1;
    }
    assert!(per_chat.values().all(|n| *n == 2));
    // The pace actually reached: 600 messages at 200/s take about 3 s; allow for the
    // start and the notes' one-second gap.
    let span = all.iter().map(|m| m.at).max().unwrap() - all.iter().map(|m| m.at).min().unwrap();
    assert!(span < Duration::from_secs(6), "too slow: {span:?}");
    app.stop().await;
}

async fn the_admin_sees_one_progress_message_ending_with_the_final_tally(backend: Backend) {
    let Some(app) = spawn(backend, &[("BROADCAST_RATE", "10")]).await else {
        return;
    };
    let admin = app.sim.create_chat(private(), "Admin");
    let chats = subscribed_chats(&app.sim, &app.db, channel(), 20).await;
    app.sim.set_chat_state(chats[0], ChatState::Kicked);

    let id = queue_announcement(&app.db, announcement("Big news", None, Some(admin.0))).await;
    wait_for_state(&app.db, id, "done", LONG).await;

    let progress = app
        .sim
        .wait_for(crate::helpers::DEADLINE, |sim| {
            let msgs = sim.messages(admin);
            msgs.last()
                .filter(|m| m.text.as_deref().is_some_and(|t| t.contains("finished")))
                .cloned()
                .map(|m| (msgs.len(), m))
        })
        .await
        .expect("the final tally");
    let (count, msg) = progress;
    assert_eq!(count, 1, "one message, edited");
    let text = msg.text.unwrap();
    assert!(
        text.contains("sent 19 · skipped 1 · failed 0 · left 0 (of 20)"),
        "{text}"
    );
    assert!(
        !msg.history.is_empty(),
        "the message was edited along the way"
    );
    app.stop().await;
}

async fn pause_resume_and_cancel_control_what_is_sent(backend: Backend) {
    let Some(app) = spawn(backend, &[("BROADCAST_RATE", "20")]).await else {
        return;
    };
    let chats = subscribed_chats(&app.sim, &app.db, channel(), 60).await;
    let id = queue_announcement(&app.db, announcement("Slow", None, None)).await;
    let sent = |n: usize| {
        app.sim.wait_for(Duration::from_secs(10), move |s| {
            (delivered(s, app.admin).len() >= n).then_some(())
        })
    };
    sent(5).await.expect("sending started");

    ops::pause(&app.db, id.into()).await.unwrap();
    crate::helpers::eventually("the requests on the wire are answered", || async {
        (in_flight(&app.db, id).await == 0).then_some(())
    })
    .await;
    let paused_at = delivered(&app.sim, app.admin).len();
    // The sleep is the assertion: nothing happens within it. 500 ms is ten of the
    // worker's idle polls (50 ms) and ten sends at this pace (20/s).
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        delivered(&app.sim, app.admin).len(),
        paused_at,
        "nothing is sent while paused"
    );
    assert_eq!(announcement_state(&app.db, id).await, "paused");
    assert!(
        ops::resume(&app.db, milestone_bot::vocab::AnnouncementId(999_999))
            .await
            .is_err()
    );

    ops::resume(&app.db, id.into()).await.unwrap();
    sent(paused_at + 5).await.expect("sending resumed");
    let cancelled = ops::cancel(&app.db, id.into()).await.unwrap();
    assert!(cancelled > 0);
    crate::helpers::eventually("the requests on the wire are answered", || async {
        (in_flight(&app.db, id).await == 0).then_some(())
    })
    .await;
    let (state, tally) = ops::status(&app.db, id.into()).await.unwrap();
    assert_eq!(ops::shown(state), "cancelled");
    assert_eq!(tally.left, 0);
    assert_eq!(tally.sent as usize, delivered(&app.sim, app.admin).len());
    assert_eq!(tally.sent + tally.cancelled, chats.len() as i64);
    app.stop().await;
}

async fn a_finished_broadcast_can_be_edited_and_withdrawn_everywhere(backend: Backend) {
    let Some(app) = spawn(backend, &[]).await else {
        return;
    };
    let chats = subscribed_chats(&app.sim, &app.db, channel(), 5).await;
    let id = queue_announcement(&app.db, announcement("Typo", Some("Thanks"), None)).await;
    wait_for_state(&app.db, id, "done", LONG).await;
    assert!(matches!(
        ops::edit(
            &app.db,
            milestone_bot::vocab::AnnouncementId(424_242),
            milestone_bot::vocab::Part::Announcement,
            "x"
        )
        .await,
        Err(ops::OpsError::NotFound(_))
    ));

    let edited = ops::edit(
        &app.db,
        id.into(),
        milestone_bot::vocab::Part::Announcement,
        "Fixed",
    )
    .await
    .unwrap();
    assert_eq!(edited, 5);
    wait_for_state(&app.db, id, "done", LONG).await;
    for chat in &chats {
        let msgs = app.sim.messages(*chat);
        assert_eq!(msgs[0].text.as_deref(), Some("Fixed"));
        assert_eq!(msgs[0].history[0].text.as_deref(), Some("Typo"));
        assert_eq!(msgs.len(), 2, "an edit posts nothing new");
    }

    let withdrawn = ops::withdraw(&app.db, id.into()).await.unwrap();
    assert_eq!(withdrawn, 5);
    wait_for_state(&app.db, id, "done", LONG).await;
    for chat in &chats {
        assert!(
            app.sim.messages(*chat).iter().all(|m| m.deleted),
            "both messages deleted"
        );
        assert_eq!(delivery(&app.db, id, chat.0).await.0, "withdrawn");
    }
    app.stop().await;
}

async fn rows_in_flight_at_start_become_unknown_are_reported_and_resent_only_on_request(
    backend: Backend,
) {
    let Some(app) = spawn(backend, &[("BROADCAST_WORKER", "false")]).await else {
        return;
    };
    let admin = app.sim.create_chat(private(), "Admin");
    let chats = subscribed_chats(&app.sim, &app.db, channel(), 6).await;
    let id = queue_announcement(&app.db, announcement("Crash", None, Some(admin.0))).await;
    // As a crash leaves them: two rows marked in flight, their fate unknown.
    for chat in &chats[..2] {
        sqlx::query(
            "UPDATE deliveries SET state = 'in_flight' WHERE announcement_id = $1 AND chat_id = $2",
        )
        .bind(id)
        .bind(chat.0)
        .execute(app.db.pool())
        .await
        .unwrap();
    }

    let stop = tokio_util::sync::CancellationToken::new();
    let worker = tokio::spawn(test_worker(&app, &app.token).run(stop.clone()));
    wait_for_state(&app.db, id, "done", LONG).await;

    for chat in &chats[..2] {
        assert_eq!(delivery(&app.db, id, chat.0).await.0, "unknown");
        assert!(
            app.sim.messages(*chat).is_empty(),
            "never resent by default"
        );
    }
    for chat in &chats[2..] {
        assert_eq!(app.sim.messages(*chat).len(), 1);
    }
    let report = app.sim.messages(admin);
    assert!(
        report.iter().any(|m| m
            .text
            .as_deref()
            .unwrap_or("")
            .contains("2 deliveries were in flight")),
        "{report:?}"
    );

    assert_eq!(ops::resend_unknown(&app.db, id.into()).await.unwrap(), 2);
    wait_for_state(&app.db, id, "done", LONG).await;
    for chat in &chats[..2] {
        assert_eq!(app.sim.messages(*chat).len(), 1, "sent on request");
    }
    stop.cancel();
    worker.await.unwrap().unwrap();
    app.stop().await;
}

async fn the_worker_can_be_driven_step_by_step(backend: Backend) {
    let Some(app) = spawn(backend, &[("BROADCAST_WORKER", "false")]).await else {
        return;
    };
    let chats = subscribed_chats(&app.sim, &app.db, private(), 3).await;
    app.sim.set_chat_state(chats[1], ChatState::Blocked);
    let worker = test_worker(&app, &app.token);
    assert_eq!(
        worker.try_execute_step().await.unwrap(),
        StepOutcome::EmptyQueue
    );
    let id = queue_announcement(&app.db, announcement("Step", None, None)).await;

    let mut outcomes = Vec::new();
    while let StepOutcome::Executed { finish, .. } = worker.try_execute_step().await.unwrap() {
        outcomes.push(finish);
    }

    assert_eq!(outcomes.len(), 3);
    assert_eq!(
        outcomes
            .iter()
            .filter(|f| matches!(f, milestone_bot::broadcast::queue::Finish::Skipped(_)))
            .count(),
        1
    );
    assert_eq!(delivered(&app.sim, app.admin).len(), 2);
    assert_eq!(
        announcement_state(&app.db, id).await,
        "sending",
        "only the reporter declares it done"
    );
    app.stop().await;
}

async fn two_workers_on_one_database_only_one_sends_and_the_other_takes_over(backend: Backend) {
    let Some(app) = spawn(
        backend,
        &[("BROADCAST_WORKER", "false"), ("BROADCAST_RATE", "20")],
    )
    .await
    else {
        return;
    };
    // Two processes of one bot: two clients (told apart by token in the simulator's
    // stats), one lease key.
    let second_token = format!("{}:SECOND", app.bot.id.0);
    app.sim.add_bot(&second_token, "milestone_test_bot_2");
    let chats = subscribed_chats(&app.sim, &app.db, channel(), 40).await;
    let (a, b) = (
        test_worker(&app, &app.token),
        test_worker(&app, &second_token),
    );
    let (stop_a, stop_b) = (
        tokio_util::sync::CancellationToken::new(),
        tokio_util::sync::CancellationToken::new(),
    );
    let status_a = a.status();
    let task_a = tokio::spawn(a.run(stop_a.clone()));
    // The first holds the lease once it runs (it claims only under the lease).
    crate::helpers::eventually("the first worker runs", || async {
        (status_a.get().state == milestone_bot::broadcast::SenderState::Running).then_some(())
    })
    .await;
    let task_b = tokio::spawn(b.run(stop_b.clone()));

    let id = queue_announcement(&app.db, announcement("Once", None, None)).await;
    app.sim
        .wait_for(Duration::from_secs(10), |s| {
            (delivered(s, app.admin).len() >= 10).then_some(())
        })
        .await
        .unwrap();
    assert_eq!(
        app.sim.stats(&second_token).delivered,
        0,
        "the standby sends nothing"
    );

    // The sender dies without a word (its lease is not released): the standby takes
    // over once the lease expires.
    task_a.abort();
    let _ = task_a.await;
    wait_for_state(&app.db, id, "done", LONG).await;

    let taken_over = app.sim.stats(&second_token).delivered;
    assert!(taken_over > 0, "the standby took over");
    let unknown = ops::status(&app.db, id.into()).await.unwrap().1.unknown;
    assert!(
        unknown <= 4,
        "at most the rows in flight at the death are unknown: {unknown}"
    );
    let all = delivered(&app.sim, app.admin);
    let mut per_chat: HashMap<ChatId, usize> = HashMap::new();
    for m in &all {
        *per_chat.entry(m.chat_id).or_default() += 1;
    }
    assert!(per_chat.values().all(|n| *n == 1), "no chat got it twice");
    assert!(
        chats.len() - per_chat.len() <= unknown as usize,
        "every chat got it, unless unknown"
    );
    assert_eq!(
        app.sim.stats(&app.token).delivered + taken_over,
        all.len() as u64
    );
    stop_b.cancel();
    task_b.await.unwrap().unwrap();
    app.stop().await;
}

/// A worker built by hand (as `App` builds one) on the test app's database.
pub(crate) fn test_worker(app: &TestApp, token: &str) -> Worker {
    let mut env: HashMap<String, String> = HashMap::new();
    fast_broadcast(&mut env);
    env.insert("BROADCAST_RATE".into(), "20".into());
    env.insert("BROADCAST_IN_FLIGHT".into(), "4".into());
    let config = BroadcastConfig::from_env(&env).unwrap();
    let client = teloxide::net::default_reqwest_settings()
        .timeout(config.request_timeout)
        .build()
        .unwrap();
    let bot =
        teloxide::Bot::with_client(token, client).set_api_url(app.sim.api_url().parse().unwrap());
    Worker::new(
        app.db.clone(),
        bot,
        config,
        vec![],
        &app.bot.id.0.to_string(),
    )
}

/// Every message delivered to a chat other than the admin's private chat (where the
/// progress message goes).
pub(crate) fn delivered(
    sim: &telegram_sim::TelegramSim,
    admin: telegram_sim::UserId,
) -> Vec<telegram_sim::SentMessage> {
    sim.all_messages()
        .into_iter()
        .filter(|m| m.chat_id.0 != admin.0)
        .collect()
}

async fn silent_pinned_posts_go_to_a_forums_configured_topic(backend: Backend) {
    let Some(app) = spawn(backend, &[]).await else {
        return;
    };
    let forum = subscribed_chats(
        &app.sim,
        &app.db,
        ChatKind::Supergroup { is_forum: true },
        1,
    )
    .await[0];
    let plain = subscribed_chats(&app.sim, &app.db, channel(), 1).await[0];
    assert!(
        ops::set_chat_topic(&app.db, milestone_bot::vocab::ChatId(forum.0), Some(42))
            .await
            .unwrap()
    );
    let mut new = announcement("<b>Hello</b>", Some("Thanks"), None);
    new.options = r#"{"silent": true, "pin": true, "link_preview": false}"#.into();

    let id = queue_announcement(&app.db, new).await;
    wait_for_state(&app.db, id, "done", LONG).await;

    let in_forum = app.sim.messages(forum);
    assert_eq!(in_forum.len(), 2, "{in_forum:?}");
    assert!(
        in_forum.iter().all(|m| m.thread_id == Some(42)),
        "every call carries the topic: {in_forum:?}"
    );
    assert!(
        in_forum.iter().all(|m| m.disable_notification),
        "silent: {in_forum:?}"
    );
    assert!(
        in_forum[0].pinned,
        "the announcement is pinned: {in_forum:?}"
    );
    assert_eq!(in_forum[0].parse_mode.as_deref(), Some("HTML"));
    let in_channel = app.sim.messages(plain);
    assert!(
        in_channel.iter().all(|m| m.thread_id.is_none()),
        "no topic outside the forum: {in_channel:?}"
    );
    app.stop().await;
}

/// How many of the announcement's deliveries are on the wire (claimed, unanswered).
async fn in_flight(db: &milestone_bot::storage::Db, id: i64) -> i64 {
    use sqlx::Row;
    sqlx::query(
        "SELECT COUNT(*) AS n FROM deliveries WHERE announcement_id = $1 AND state = 'in_flight'",
    )
    .bind(id)
    .fetch_one(db.pool())
    .await
    .expect("count the deliveries in flight")
    .get("n")
}
