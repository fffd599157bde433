//! The progress message's ETA counts the waits Telegram's limits impose on each
//! chat, not only the rate: a group's note waits three seconds (20 a minute).

use crate::broadcast::{LONG, spawn_on};
use crate::helpers::Clock;
use crate::helpers::{announcement, queue_announcement, subscribed_chats, wait_for_state};
use milestone_bot::storage::Backend;
use telegram_sim::{ChatId, ChatKind};

crate::on_every_backend!(while_the_last_group_waits_out_its_limit_the_eta_says_so,);

async fn while_the_last_group_waits_out_its_limit_the_eta_says_so(backend: Backend) {
    let Some(app) = spawn_on(Clock::Telegram, backend, &[]).await else {
        return;
    };
    let admin = ChatId(app.admin.0);
    subscribed_chats(&app.sim, &app.db, ChatKind::Group, 1).await;
    let id = queue_announcement(
        &app.db,
        announcement("Hello group", Some("Thanks"), Some(app.admin.0)),
    )
    .await;
    wait_for_state(&app.db, id, "done", LONG).await;

    let progress = app
        .sim
        .wait_for(crate::helpers::DEADLINE, move |sim| {
            sim.messages(admin).into_iter().find(|m| {
                m.text
                    .as_deref()
                    .is_some_and(|t| t.contains(&format!("Broadcast #{id}")))
            })
        })
        .await
        .expect("a progress message");
    let shown: Vec<String> = progress
        .history
        .iter()
        .map(|r| r.text.clone())
        .chain(std::iter::once(progress.text.clone()))
        .flatten()
        .filter(|t| t.contains("sending"))
        .collect();
    assert!(
        shown
            .iter()
            .any(|t| t.contains("ETA 3s") || t.contains("ETA 2s")),
        "the note's wait shows: {shown:#?}"
    );
    assert!(
        !shown.iter().any(|t| t.contains("ETA 0s")),
        "never ETA 0s while a note waits: {shown:#?}"
    );
    app.stop().await;
}
