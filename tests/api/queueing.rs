//! Queueing a broadcast: one pending delivery per subscribed chat, written with the
//! announcement in one transaction (the statement `benches/broadcast.rs --scale`
//! times at a million chats).

use crate::helpers::TestDatabase;
use milestone_bot::broadcast::progress;
use milestone_bot::storage::announcements::{
    self, AnnouncementKind, AnnouncementState, NewAnnouncement,
};
use milestone_bot::storage::chats::{self, ChatKind, NewChat};
use milestone_bot::storage::{Backend, Db};
use sqlx::Row;
use std::collections::BTreeSet;

crate::on_every_backend!(
    queueing_writes_one_pending_delivery_per_subscribed_chat_and_none_for_gone_ones,
    an_announcement_rolled_back_leaves_no_delivery_behind,
    the_same_announcement_queued_twice_writes_its_deliveries_once,
);

const CHATS: i64 = 1_000;
const GONE: i64 = 100;

fn new_announcement(key: &str) -> NewAnnouncement {
    NewAnnouncement {
        dedupe_key: key.into(),
        kind: AnnouncementKind::Manual,
        metric: None,
        milestone: None,
        state: AnnouncementState::Queued,
        announce_text: Some("<b>1,000</b> chats".into()),
        thanks_text: Some("Thank you!".into()),
        media_kind: None,
        media_ref: None,
        options: "{}".into(),
        created_by: None,
        created_at: chrono::Utc::now(),
        release_at: None,
    }
}

/// `CHATS` channels subscribe, then the first `GONE` of them leave; returns the ids
/// still subscribed.
async fn chats_with_some_gone(db: &Db) -> BTreeSet<i64> {
    let now = chrono::Utc::now();
    let mut subscribed = BTreeSet::new();
    for i in 0..CHATS {
        let id = -1_001_000_000_000 - i;
        let chat = NewChat {
            id: id.into(),
            kind: ChatKind::Channel,
            title: Some(format!("Channel {i}")),
            username: None,
        };
        chats::subscribe(db, &chat, now).await.unwrap();
        if i < GONE {
            chats::mark_gone(db, id.into(), "left", now).await.unwrap();
        } else {
            subscribed.insert(id);
        }
    }
    subscribed
}

async fn deliveries(db: &Db) -> Vec<(i64, i64, String, String)> {
    sqlx::query(
        "SELECT announcement_id, chat_id, state, step FROM deliveries ORDER BY announcement_id, chat_id",
    )
    .fetch_all(db.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| {
        (
            r.get("announcement_id"),
            r.get("chat_id"),
            r.get("state"),
            r.get("step"),
        )
    })
    .collect()
}

async fn queueing_writes_one_pending_delivery_per_subscribed_chat_and_none_for_gone_ones(
    backend: Backend,
) {
    let Some(database) = TestDatabase::new(backend).await else {
        return;
    };
    let db = Db::connect_and_migrate(database.url()).await.unwrap();
    let subscribed = chats_with_some_gone(&db).await;

    let mut tx = db.pool().begin().await.unwrap();
    let id = announcements::create(&mut tx, &new_announcement("one"))
        .await
        .unwrap()
        .expect("a new announcement");
    tx.commit().await.unwrap();

    let rows = deliveries(&db).await;
    let reached: BTreeSet<i64> = rows.iter().map(|(_, chat, _, _)| *chat).collect();
    assert_eq!(rows.len(), subscribed.len(), "one row per chat, no more");
    assert_eq!(reached, subscribed, "every subscribed chat, no gone one");
    assert!(
        rows.iter()
            .all(|(a, _, state, step)| *a == id.get() && state == "pending" && step == "announce"),
        "all pending, announcement first"
    );
    let tally = progress::tally(&db, id).await.unwrap();
    assert_eq!(tally.left, CHATS - GONE);
    assert_eq!(tally.total(), CHATS - GONE);
    database.drop_now().await;
}

async fn an_announcement_rolled_back_leaves_no_delivery_behind(backend: Backend) {
    let Some(database) = TestDatabase::new(backend).await else {
        return;
    };
    let db = Db::connect_and_migrate(database.url()).await.unwrap();
    chats_with_some_gone(&db).await;

    // The cause (a milestone row, an admin's confirmation) fails after queueing.
    let mut tx = db.pool().begin().await.unwrap();
    announcements::create(&mut tx, &new_announcement("rolled back"))
        .await
        .unwrap()
        .expect("a new announcement");
    tx.rollback().await.unwrap();

    assert!(deliveries(&db).await.is_empty());
    let mut conn = db.pool().acquire().await.unwrap();
    assert!(
        announcements::recent(&mut conn, 10)
            .await
            .unwrap()
            .is_empty()
    );
    drop(conn);
    database.drop_now().await;
}

async fn the_same_announcement_queued_twice_writes_its_deliveries_once(backend: Backend) {
    let Some(database) = TestDatabase::new(backend).await else {
        return;
    };
    let db = Db::connect_and_migrate(database.url()).await.unwrap();
    let subscribed = chats_with_some_gone(&db).await;

    for attempt in 0..2 {
        let mut tx = db.pool().begin().await.unwrap();
        let created = announcements::create(&mut tx, &new_announcement("twice"))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(created.is_some(), attempt == 0, "attempt {attempt}");
    }
    // A different announcement gets its own set.
    let mut tx = db.pool().begin().await.unwrap();
    announcements::create(&mut tx, &new_announcement("another"))
        .await
        .unwrap()
        .expect("a new announcement");
    tx.commit().await.unwrap();

    assert_eq!(deliveries(&db).await.len(), 2 * subscribed.len());
    database.drop_now().await;
}
