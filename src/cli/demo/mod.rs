//! `milestone-bot demo`: the whole flow in under a minute, with no token. The Bot
//! API simulator plays Telegram (its flood limits on), the real bot is built by
//! [`App::build`] and run as `run` runs it, and the demo plays the operator: it
//! imports the service's history and records it as a baseline before the bot
//! starts (as `milestone-bot record` and `milestone-bot baseline` would), then
//! records made-up user ids until a milestone passes, and shows what each chat and
//! the admin received.
//!
//! - [`world`]: the simulator, the token, the admin and the chats.
//! - [`settings`]: the bot's configuration, as environment variables.
//! - [`growth`]: recording ids in steps and waiting for the watcher's readings.
//! - [`feed`]: the messages as Telegram accepted them.
//! - [`card`]: the milestone card the broadcast led with, written to a file.
//! - [`narrate`]: how lines are stamped and shortened.

pub mod card;
pub mod feed;
pub mod growth;
pub mod narrate;
pub mod settings;
pub mod world;

use crate::app::App;
use crate::config::Config;
use crate::milestones::baseline;
use crate::milestones::counter::SketchCounter;
use crate::milestones::detector::DetectorConfig;
use crate::milestones::watcher::MilestoneEvent;
use crate::sketch::{MetricName, SketchStoreKind};
use crate::storage::Db;
use crate::storage::milestones::reached::Reason;
use crate::text::number::format_short;
use anyhow::Context;
use chrono::Utc;
use narrate::Narrator;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::broadcast;
use world::World;

/// Logs stay quiet unless `RUST_LOG` asks: the terminal is for the story.
pub const LOG_FILTER: &str = "warn";

/// How long any one wait of the demo may take before it gives up with an error.
const DEADLINE: Duration = Duration::from_secs(20);

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// How many simulated channels follow the bot (plus one group).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=100))]
    pub channels: u16,
    /// Keep the demo's SQLite database and print its path, to look around after
    /// (`DATABASE_URL=… milestone-bot status`).
    #[arg(long)]
    pub keep: bool,
    /// Where to write the milestone card the announcement led with (default: the
    /// system's temporary directory).
    #[arg(long, value_name = "FILE.gif")]
    pub card: Option<PathBuf>,
}

/// Runs the demo; an error means some step did not happen in time.
pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let out = Narrator::new();
    let world = World::start(usize::from(args.channels))
        .await
        .context("starting the Bot API simulator")?;
    let dir = tempfile::Builder::new()
        .prefix("milestone-bot-demo-")
        .tempdir()
        .context("creating a temporary directory for the demo database")?;
    let db_path = dir.path().join("demo.db");
    let env = settings::env(
        &world.token,
        &world.sim.api_url(),
        &format!("sqlite://{}?mode=rwc", db_path.display()),
        crate::vocab::UserId(world.admin.0),
    );
    let config = Config::from_env(&env)?;
    let metrics = config.sketch.metrics.clone();
    let detector = config.milestones.detector;
    let app = App::build(config).await?;
    let db = app.db().clone();
    let store = app.store().clone();
    let counter = SketchCounter {
        store: store.clone(),
        metrics,
    };
    import_history(&db, &counter, &detector, &out).await?;
    let events = app.milestone_events();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));

    let card_path = args.card.clone().unwrap_or_else(card::default_path);
    let story = tell(&world, &db, &store, events, &out, &card_path).await;
    out.act("Stopping");
    let _ = stop.send(());
    let stopped = running.await.context("the bot task").and_then(|r| r);
    // A story that broke off is the error worth reporting; a failed stop comes next.
    story?;
    stopped?;
    out.say("the bot stopped gracefully: work in flight finished, database closed");
    summary(&world, &out);
    keep_or_remove(dir, db_path, args.keep, &out)
}

/// The acts: the bot joins the chats, the metric grows, the broadcast goes out.
async fn tell(
    world: &World,
    db: &Db,
    store: &SketchStoreKind,
    mut events: broadcast::Receiver<MilestoneEvent>,
    out: &Narrator,
    card_path: &std::path::Path,
) -> anyhow::Result<()> {
    out.act("Telegram, simulated");
    out.say(format!(
        "Bot API simulator at {} (Telegram's flood limits on)",
        world.sim.api_url()
    ));
    anyhow::ensure!(
        world.wait_until_bot_started(DEADLINE).await,
        "the bot never started"
    );
    out.say(format!(
        "@{} is polling it; admin: Ada (user {})",
        world::BOT_USERNAME,
        world.admin.0
    ));
    world.add_bot_everywhere();
    subscribed(world, db, out).await?;

    out.act(&format!(
        "Growing {} (daily active users)",
        settings::METRIC
    ));
    grow(db, store, out).await?;
    let (milestone, id) = announced(&mut events).await?;
    let fired = growth::reached(
        db,
        &MetricName::parse(settings::METRIC)?,
        Reason::Announced,
        DEADLINE,
    )
    .await?;
    let chats = crate::broadcast::progress::tally(db, id).await?.total();
    out.say_at_utc(
        fired.last().map_or_else(Utc::now, |r| r.reached_at),
        format!(
            "milestone {} reached → announcement #{id} queued for {chats} chats",
            format_short(milestone)
        ),
    );

    out.act("Broadcast: times as Telegram accepted each message");
    out.say("  Telegram's pace: 30 messages/s in all, 1/s per chat, 20/min per group");
    feed::follow(world, out, DEADLINE).await?;
    card::save(world, card_path, out)
}

/// Before the bot runs, as an operator installing it on a live service would: the
/// past activity goes in (`milestone-bot record`) and what it passed is recorded as
/// a baseline (`milestone-bot baseline dau`), so the bot does not announce history.
async fn import_history(
    db: &Db,
    counter: &SketchCounter,
    detector: &DetectorConfig,
    out: &Narrator,
) -> anyhow::Result<()> {
    out.act(&format!(
        "Before the bot starts: importing {}'s history",
        settings::METRIC
    ));
    let metric = MetricName::parse(settings::METRIC)?;
    let users = growth::HISTORY.users;
    growth::record(&counter.store, &metric, 0, users).await?;
    let done = baseline::baseline(db, counter, &metric, detector, Utc::now())
        .await
        .context("recording the baseline")?;
    out.say(narrate::reading(settings::METRIC, users, &done.reading));
    out.say(format!("  {}", growth::HISTORY.shows));
    let passed: Vec<String> = done.recorded.iter().map(|&m| format_short(m)).collect();
    out.say(format!(
        "  `milestone-bot baseline {}` recorded them as passed, never announced: {}",
        settings::METRIC,
        passed.join(", ")
    ));
    Ok(())
}

/// Records the growth steps; each reading is stamped when the watcher took it.
async fn grow(db: &Db, store: &SketchStoreKind, out: &Narrator) -> anyhow::Result<()> {
    let metric = MetricName::parse(settings::METRIC)?;
    let mut users = growth::HISTORY.users;
    for step in &growth::STEPS {
        growth::record(store, &metric, users, step.users).await?;
        users = step.users;
        let after = Utc::now() + chrono::Duration::milliseconds(1);
        let reading = growth::next_reading(db, &metric, after, DEADLINE).await?;
        out.say_at_utc(
            reading.at,
            narrate::reading(settings::METRIC, users, &reading),
        );
        out.say_at_utc(reading.at, format!("  {}", step.shows));
    }
    Ok(())
}

/// Waits until every chat the bot was added to is a subscription, and names them.
async fn subscribed(world: &World, db: &Db, out: &Narrator) -> anyhow::Result<()> {
    let end = tokio::time::Instant::now() + DEADLINE;
    let chats = loop {
        let chats = crate::storage::chats::list_subscribed(db).await?;
        if chats.len() >= world.chats.len() {
            break chats;
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < end,
            "the chats never subscribed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    for chat in world
        .chats
        .iter()
        .filter_map(|c| chats.iter().find(|s| s.id.get() == c.id.0))
    {
        let title = chat.title.clone().unwrap_or_default();
        out.say(format!(
            "subscribed: {title} ({}, id {})",
            chat.kind.as_str(),
            chat.id
        ));
    }
    Ok(())
}

/// The watcher's news of the announcement: (milestone, announcement id).
async fn announced(
    events: &mut broadcast::Receiver<MilestoneEvent>,
) -> anyhow::Result<(u64, crate::vocab::AnnouncementId)> {
    let wait = async {
        loop {
            match events.recv().await {
                Ok(MilestoneEvent::Announced {
                    milestone,
                    announcement_id,
                    ..
                }) => {
                    return Ok((milestone, announcement_id));
                }
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => return Err(anyhow::anyhow!("the watcher stopped: {e}")),
            }
        }
    };
    tokio::time::timeout(DEADLINE, wait)
        .await
        .context("no milestone was announced")?
}

/// Per chat, what arrived; then the 429s Telegram would have answered, and time.
fn summary(world: &World, out: &Narrator) {
    out.act("Summary");
    for chat in &world.chats {
        let n = world.sim.messages(chat.id).len();
        println!(
            "  {} ({}): {n} messages, {}",
            chat.title,
            chat.kind,
            narrate::delivered(n)
        );
    }
    let stats = world.sim.stats(&world.token);
    println!(
        "  429 Too Many Requests received: {}",
        stats.too_many_requests
    );
    println!("  wall time: {:.1}s", out.start.elapsed().as_secs_f64());
}

/// Removes the database with its directory, or keeps it and says where.
fn keep_or_remove(
    dir: tempfile::TempDir,
    db: PathBuf,
    keep: bool,
    out: &Narrator,
) -> anyhow::Result<()> {
    if keep {
        let _ = dir.keep();
        out.act("Kept");
        println!("  the database: {}", db.display());
        println!(
            "  look around: DATABASE_URL='sqlite://{}' milestone-bot status",
            db.display()
        );
    } else {
        dir.close().context("removing the demo database")?;
    }
    Ok(())
}
