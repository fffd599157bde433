//! What was sent can always be withdrawn (and edited): every message the bot posted
//! for a broadcast, whatever state its delivery ended in, including a send that was
//! still on the wire when the admin withdrew.

use crate::broadcast::{LONG, channel, delivered, spawn};
use crate::helpers::{
    announcement, delivery, queue_announcement, subscribed_chats, wait_for_state,
};
use milestone_bot::broadcast::ops;
use milestone_bot::storage::Backend;
use std::time::Duration;
use telegram_sim::Fault;

crate::on_every_backend!(
    a_broadcast_cancelled_mid_way_then_withdrawn_loses_every_posted_message,
    a_withdrawal_while_a_send_is_on_the_wire_deletes_it_once_answered_and_no_note_follows,
    an_edit_reaches_a_chat_whose_note_failed_and_it_still_reads_failed,
);

async fn a_broadcast_cancelled_mid_way_then_withdrawn_loses_every_posted_message(backend: Backend) {
    let Some(app) = spawn(backend, &[("BROADCAST_RATE", "20")]).await else {
        return;
    };
    let chats = subscribed_chats(&app.sim, &app.db, channel(), 40).await;
    let id = queue_announcement(&app.db, announcement("Oops", Some("Thanks"), None)).await;
    // Cancelled after a few announcements, before their notes (a second later).
    app.sim
        .wait_for(Duration::from_secs(10), |s| {
            (delivered(s, app.admin).len() >= 5).then_some(())
        })
        .await
        .expect("sending started");
    ops::cancel(&app.db, id.into()).await.unwrap();
    let reach = ops::reach(&app.db, id.into()).await.unwrap();

    let withdrawing = ops::withdraw(&app.db, id.into()).await.unwrap();
    wait_for_state(&app.db, id, "done", LONG).await;

    let reached: Vec<_> = chats
        .iter()
        .filter(|c| !app.sim.messages(**c).is_empty())
        .collect();
    assert!(
        reached.iter().any(|c| app.sim.messages(**c).len() == 1),
        "some chats had the announcement without its note when cancelled"
    );
    for chat in &reached {
        let msgs = app.sim.messages(**chat);
        assert!(msgs.iter().all(|m| m.deleted), "{chat:?}: {msgs:?}");
        assert_eq!(delivery(&app.db, id, chat.0).await.0, "withdrawn");
    }
    let got = reached.len() as i64;
    assert!(
        withdrawing as i64 <= got && got <= withdrawing as i64 + reach.on_the_wire,
        "the confirmation counts every chat reached: {withdrawing} (+{} on the wire) vs {got}",
        reach.on_the_wire
    );
    let (state, tally) = ops::status(&app.db, id.into()).await.unwrap();
    assert_eq!(ops::shown(state), "withdrawn");
    assert_eq!(tally.withdrawn, got);
    assert_eq!(tally.cancelled, chats.len() as i64 - got);
    app.stop().await;
}

async fn a_withdrawal_while_a_send_is_on_the_wire_deletes_it_once_answered_and_no_note_follows(
    backend: Backend,
) {
    let Some(app) = spawn(backend, &[]).await else {
        return;
    };
    let chat = subscribed_chats(&app.sim, &app.db, channel(), 1).await[0];
    // Telegram takes a second to answer (and post): the admin acts meanwhile.
    app.sim.fail_next(chat, 1, Fault::Slow { ms: 1_000 });
    let id = queue_announcement(&app.db, announcement("Hold on", Some("Thanks"), None)).await;
    // The request has reached Telegram (which holds it for a second): it is on the
    // wire. Waiting for the claimed row alone is too early under load: the
    // cancellation could then come before the request goes out.
    app.sim
        .wait_for(Duration::from_secs(10), |s| {
            (s.stats(&app.token).slowed == 1).then_some(())
        })
        .await
        .expect("the send reached Telegram");
    let reach = ops::reach(&app.db, id.into()).await.unwrap();
    assert_eq!(reach.on_the_wire, 1, "the admin sees the send on the wire");

    ops::cancel(&app.db, id.into()).await.unwrap();
    let now = ops::withdraw(&app.db, id.into()).await.unwrap();
    assert_eq!(now, 0, "nothing was posted yet");
    wait_for_state(&app.db, id, "done", LONG).await;

    let msgs = app.sim.messages(chat);
    assert_eq!(
        msgs.len(),
        1,
        "the announcement landed, no note followed: {msgs:?}"
    );
    assert_eq!(msgs[0].text.as_deref(), Some("Hold on"));
    assert!(msgs[0].deleted, "deleted once its answer came");
    assert_eq!(delivery(&app.db, id, chat.0).await.0, "withdrawn");
    app.stop().await;
}

async fn an_edit_reaches_a_chat_whose_note_failed_and_it_still_reads_failed(backend: Backend) {
    let Some(app) = spawn(backend, &[]).await else {
        return;
    };
    let chats = subscribed_chats(&app.sim, &app.db, channel(), 2).await;
    let id = queue_announcement(&app.db, announcement("Typo", Some("Thanks"), None)).await;
    // The announcement lands; its note (a second later) is refused.
    app.sim
        .wait_for(Duration::from_secs(10), |s| {
            (!s.messages(chats[0]).is_empty()).then_some(())
        })
        .await
        .expect("the announcement landed");
    app.sim.fail_next(
        chats[0],
        1,
        Fault::Api {
            code: 400,
            description: "Bad Request: not enough rights to send text messages".into(),
        },
    );
    wait_for_state(&app.db, id, "done", LONG).await;
    assert_eq!(delivery(&app.db, id, chats[0].0).await.0, "failed");
    assert_eq!(ops::reach(&app.db, id.into()).await.unwrap().announced, 2);

    let editing = ops::edit(
        &app.db,
        id.into(),
        milestone_bot::vocab::Part::Announcement,
        "Fixed",
    )
    .await
    .unwrap();
    wait_for_state(&app.db, id, "done", LONG).await;

    assert_eq!(editing, 2, "both chats have the announcement");
    for chat in &chats {
        assert_eq!(app.sim.messages(*chat)[0].text.as_deref(), Some("Fixed"));
    }
    let (state, .., error) = delivery(&app.db, id, chats[0].0).await;
    assert_eq!(state, "failed", "its note still failed");
    assert!(error.unwrap().contains("not enough rights"));
    assert_eq!(delivery(&app.db, id, chats[1].0).await.0, "sent");
    app.stop().await;
}
