//! The card in broadcasts: animated or still, uploaded once, edited as a caption;
//! left out (and admins told) when the text cannot be a caption; drawn before any
//! delivery is claimed.

use super::{colours, gif_frames, milestone, spawn, upload_of, wait_for_posts};
use crate::helpers::{DEADLINE, channels_with_the_bot, queue_announcement, wait_for_state};
use chrono::{Duration, Utc};
use milestone_bot::broadcast::ops;
use milestone_bot::storage::Backend;
use resvg::tiny_skia::Pixmap;
use telegram_sim::{ChatId, SentKind};

crate::on_every_backend!(
    a_milestone_broadcast_leads_with_its_animated_card_uploaded_once,
    with_card_png_the_announcement_leads_with_the_still_card,
    a_text_longer_than_a_caption_goes_out_without_the_card_and_the_admin_is_told_why,
    a_card_announcement_is_edited_as_a_caption_and_withdrawn,
    a_starting_announcements_card_is_drawn_before_any_delivery_is_claimed,
);

async fn a_milestone_broadcast_leads_with_its_animated_card_uploaded_once(backend: Backend) {
    let Some(app) = spawn(backend, "gif").await else {
        return;
    };
    let chats = channels_with_the_bot(&app, 3).await;
    let text = "🎉 <b>200 million monthly active users!</b>";

    queue_announcement(&app.db, milestone("mau", 200_000_000, text)).await;

    let posts = wait_for_posts(&app, &chats, 2).await;
    for chat in &posts {
        assert_eq!(chat[0].kind, SentKind::Animation, "{chat:?}");
        assert_eq!(
            chat[0].text.as_deref(),
            Some(text),
            "the text is the caption"
        );
        assert_eq!(chat[1].kind, SentKind::Text, "then the thank-you note");
    }
    let ids: Vec<&str> = posts
        .iter()
        .map(|c| c[0].file_id.as_deref().unwrap())
        .collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "one file id for all: {ids:?}"
    );
    assert_eq!(posts.iter().filter(|c| c[0].uploaded).count(), 1);
    assert_eq!(app.sim.uploaded_files().len(), 1, "uploaded once");

    let file = upload_of(&app, &posts.iter().find(|c| c[0].uploaded).unwrap()[0]);
    assert!(file.size <= 1 << 20, "{} bytes", file.size);
    assert_eq!(file.file_name.as_deref(), Some("milestone.gif"));
    let (w, h, frames) = gif_frames(&file.bytes);
    assert_eq!((w, h), (1280, 720));
    assert_eq!(
        (file.width, file.height),
        (Some(1280), Some(720)),
        "as stated"
    );
    assert!(frames.len() >= 10, "a count-up, {} frames", frames.len());
    assert!(frames.windows(2).all(|f| f[0] != f[1]), "every frame moves");
    assert!(colours(frames.last().unwrap()) > 16, "not blank");
    assert_eq!(
        file.duration,
        Some(3),
        "about 2 s, rounded up to whole seconds"
    );
    app.stop().await;
}

async fn with_card_png_the_announcement_leads_with_the_still_card(backend: Backend) {
    let Some(app) = spawn(backend, "png").await else {
        return;
    };
    let chats = channels_with_the_bot(&app, 2).await;

    queue_announcement(&app.db, milestone("dau", 10_000, "<b>10K</b> a day!")).await;

    let posts = wait_for_posts(&app, &chats, 2).await;
    assert!(posts.iter().all(|c| c[0].kind == SentKind::Photo));
    let file = upload_of(&app, &posts.iter().find(|c| c[0].uploaded).unwrap()[0]);
    let png = Pixmap::decode_png(&file.bytes).expect("a valid PNG");
    assert_eq!((png.width(), png.height()), (1280, 720));
    assert!(colours(png.data()) > 16, "not blank");
    assert_eq!(app.sim.uploaded_files().len(), 1);
    app.stop().await;
}

async fn a_text_longer_than_a_caption_goes_out_without_the_card_and_the_admin_is_told_why(
    backend: Backend,
) {
    let Some(app) = spawn(backend, "gif").await else {
        return;
    };
    let chats = channels_with_the_bot(&app, 2).await;
    let long = format!("<b>200M!</b> {}", "So many of you. ".repeat(80));

    let id = queue_announcement(&app.db, milestone("mau", 200_000_000, &long)).await;

    let posts = wait_for_posts(&app, &chats, 2).await;
    assert!(
        posts.iter().all(|c| c[0].kind == SentKind::Text),
        "{posts:?}"
    );
    assert!(app.sim.uploaded_files().is_empty());
    let admin = ChatId(app.admin.0);
    let told = app
        .sim
        .wait_for(DEADLINE, |sim| {
            sim.messages(admin)
                .into_iter()
                .find(|m| m.text.as_deref().unwrap_or("").contains("without its card"))
        })
        .await
        .expect("the admins are told");
    let told = told.text.unwrap();
    assert!(told.contains(&format!("#{id}")), "{told}");
    assert!(told.contains("longer than a caption"), "{told}");
    app.stop().await;
}

async fn a_card_announcement_is_edited_as_a_caption_and_withdrawn(backend: Backend) {
    let Some(app) = spawn(backend, "gif").await else {
        return;
    };
    let chats = channels_with_the_bot(&app, 2).await;
    let id = queue_announcement(&app.db, milestone("mau", 200_000_000, "Typo")).await;
    wait_for_state(&app.db, id, "done", DEADLINE).await;

    let too_long = "x".repeat(1100);
    assert!(
        ops::edit(
            &app.db,
            id.into(),
            milestone_bot::vocab::Part::Announcement,
            &too_long
        )
        .await
        .is_err(),
        "a caption cannot grow past 1024"
    );
    let edited = ops::edit(
        &app.db,
        id.into(),
        milestone_bot::vocab::Part::Announcement,
        "Fixed",
    )
    .await
    .unwrap();
    assert_eq!(edited, 2);
    wait_for_state(&app.db, id, "done", DEADLINE).await;
    for chat in &chats {
        let first = &app.sim.messages(*chat)[0];
        assert_eq!(first.kind, SentKind::Animation);
        assert_eq!(
            first.text.as_deref(),
            Some("Fixed"),
            "the caption was edited"
        );
    }

    ops::withdraw(&app.db, id.into()).await.unwrap();
    wait_for_state(&app.db, id, "done", DEADLINE).await;
    for chat in &chats {
        assert!(app.sim.messages(*chat).iter().all(|m| m.deleted));
    }
    app.stop().await;
}

async fn a_starting_announcements_card_is_drawn_before_any_delivery_is_claimed(backend: Backend) {
    let Some(app) = spawn(backend, "gif").await else {
        return;
    };
    let chats = channels_with_the_bot(&app, 2).await;
    // Its deliveries fall due in an hour: nothing can be claimed before then.
    let mut new = milestone("mau", 200_000_000, "Soon");
    new.created_at = Utc::now() + Duration::hours(1);

    let id = queue_announcement(&app.db, new).await;

    crate::helpers::eventually("the card is drawn", || async {
        let media: Option<String> =
            sqlx::query_scalar("SELECT media_ref FROM announcements WHERE id = $1")
                .bind(id)
                .fetch_one(app.db.pool())
                .await
                .unwrap();
        (media.as_deref() == Some("card:gif")).then_some(())
    })
    .await;
    for chat in &chats {
        assert!(app.sim.messages(*chat).is_empty(), "nothing sent yet");
        assert_eq!(
            crate::helpers::delivery(&app.db, id, chat.0).await.0,
            "pending"
        );
    }
    app.stop().await;
}
