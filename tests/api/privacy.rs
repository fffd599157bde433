//! "Not a single byte": people's Telegram ids, names and usernames stay out of the
//! logs, and out of the database except where the bot needs them (a subscriber's
//! chat id, to post to it). The real binary runs the flows people go through, with
//! its log captured, then the log and every table are searched for them.

use crate::helpers::{Clock, DEADLINE, TestDatabase, fast_broadcast};
use milestone_bot::storage::{Backend, Db};
use sqlx::Row;
use std::collections::HashMap;
use std::process::Stdio;
use telegram_sim::{
    ChatId, ChatKind, ChatState, MemberStatus, SentMessage, SimConfig, TelegramSim, UserId,
};
use tokio::process::{Child, Command};

crate::on_every_backend!(
    no_persons_id_name_or_username_reaches_the_logs_or_the_database,
    upgrading_forgets_private_chats_names_and_strangers_ids_and_words,
);

/// Someone with a name and a username nobody else has.
struct Person {
    chat: ChatId,
    name: &'static str,
    username: &'static str,
}

impl Person {
    fn new(sim: &TelegramSim, name: &'static str, username: &'static str) -> Self {
        let chat = sim.create_chat(
            ChatKind::Private {
                first_name: name.into(),
                username: Some(username.into()),
            },
            name,
        );
        Person {
            chat,
            name,
            username,
        }
    }

    fn user(&self) -> UserId {
        UserId(self.chat.0)
    }

    fn id(&self) -> String {
        self.chat.0.to_string()
    }
}

/// The real binary, logging at `info` (ours at every level) into `log`, on the
/// scaled clock (which this sets on `sim` too) with `fast_broadcast`'s settings: the
/// test is about what is logged and stored, not about Telegram's limits, and with
/// the defaults (retries from 2 s, a 30 s request timeout) one slow call could
/// stretch a three-second broadcast past the test's deadline.
fn start_bot(
    sim: &TelegramSim,
    token: &str,
    database_url: &str,
    admin: i64,
    log: &std::path::Path,
) -> Child {
    let mut pace = HashMap::new();
    fast_broadcast(&mut pace);
    Clock::fast().apply(&mut pace, sim);
    Command::new(env!("CARGO_BIN_EXE_milestone-bot"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(pace)
        .env("TELOXIDE_TOKEN", token)
        .env("TELEGRAM_API_URL", sim.api_url())
        .env("DATABASE_URL", database_url)
        .env("HTTP_ADDR", "127.0.0.1:0")
        .env("POLL_TIMEOUT", "1s")
        .env("ADMIN_IDS", admin.to_string())
        .env("RUST_LOG", "info,milestone_bot=trace")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).expect("a log file"))
        .kill_on_drop(true)
        .spawn()
        .expect("the bot binary starts")
}

/// Sends `text` and waits for a new message in `chat` that `done` accepts.
async fn say(
    sim: &TelegramSim,
    token: &str,
    chat: ChatId,
    from: UserId,
    text: &str,
    done: impl Fn(&str) -> bool,
) -> SentMessage {
    let before = sim.messages(chat).len();
    // A person reads the answer first (see `TestApp::send_text`).
    Clock::fast().chat_window_passed(sim, chat).await;
    sim.send_text(token, chat, from, text);
    sim.wait_for(DEADLINE, |sim| {
        sim.messages(chat)
            .into_iter()
            .skip(before)
            .find(|m| done(m.text.as_deref().unwrap_or_default()))
    })
    .await
    .unwrap_or_else(|| panic!("no answer to {text}"))
}

/// What the simulator delivered (when, where, the start of the text) and its
/// counters, to say why a wait timed out.
fn seen_by_the_simulator(sim: &TelegramSim, token: &str) -> String {
    let all = sim.all_messages();
    let Some(first) = all.first().map(|m| m.at) else {
        return format!("the simulator delivered nothing; {:?}", sim.stats(token));
    };
    let lines: Vec<String> = all
        .iter()
        .map(|m| {
            let text: String = m
                .text
                .as_deref()
                .unwrap_or_default()
                .chars()
                .take(40)
                .map(|c| if c == '\n' { ' ' } else { c })
                .collect();
            format!("  +{:.3?} chat {}: {text}", m.at - first, m.chat_id.0)
        })
        .collect();
    format!(
        "the simulator delivered:\n{}\n{:?}",
        lines.join("\n"),
        sim.stats(token)
    )
}

/// The last `lines` lines of the bot's log, to say why a wait timed out.
fn log_tail(log: &std::path::Path, lines: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_else(|e| format!("(no log: {e})"));
    let all: Vec<&str> = text.lines().collect();
    let tail = all[all.len().saturating_sub(lines)..].join("\n");
    format!("the bot's log, last {lines} lines:\n{tail}")
}

/// Does `haystack` hold `id` as a whole number (not inside a longer one)?
fn holds_number(haystack: &str, id: &str) -> bool {
    haystack
        .split(|c: char| !c.is_ascii_digit())
        .any(|token| token == id)
}

async fn no_persons_id_name_or_username_reaches_the_logs_or_the_database(backend: Backend) {
    let Some(database) = TestDatabase::new(backend).await else {
        return;
    };
    let sim = TelegramSim::start(SimConfig::default()).await.unwrap();
    let token = format!(
        "{}:PRIVACY{}",
        100_000 + rand::random::<u32>() % 900_000,
        rand::random::<u32>()
    );
    sim.add_bot(&token, "privacy_test_bot");
    let admin = Person::new(&sim, "Adalbertina", "adalbertina_admin");
    let subscriber = Person::new(&sim, "Zebediah", "zeb_quill_77");
    let stranger = Person::new(&sim, "Ottoline", "otto_line_42");
    let blocker = Person::new(&sim, "Bartholomew", "bart_blocks_9");
    let people = [&admin, &subscriber, &stranger, &blocker];
    let owner = sim.create_user("Olga");
    let channel = sim.create_chat(ChatKind::Channel { username: None }, "News");
    let club = sim.create_chat(ChatKind::Supergroup { is_forum: false }, "Club");
    sim.set_member_status(club, stranger.user(), MemberStatus::Member);
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("bot.log");
    let mut bot = start_bot(&sim, &token, database.url(), admin.chat.0, &log);
    let started = sim
        .wait_for(DEADLINE, |sim| {
            (!sim.commands(&token).is_empty()).then_some(())
        })
        .await;
    assert!(started.is_some(), "the bot started");

    // The flows: a channel and two people subscribe; a stranger tries admin
    // commands, in private and in a group, and presses an admin's button; an
    // update the bot cannot read carries the stranger's name.
    sim.bot_added_to_chat(&token, channel, owner, true);
    sim.bot_added_to_chat(&token, club, owner, false);
    sim.bot_added_to_chat(&token, subscriber.chat, subscriber.user(), false);
    for person in [&subscriber, &blocker] {
        say(
            &sim,
            &token,
            person.chat,
            person.user(),
            "/subscribe",
            |t| t.contains("ubscribed"),
        )
        .await;
    }
    let refused = |t: &str| t.contains("only this bot's admins");
    say(
        &sim,
        &token,
        stranger.chat,
        stranger.user(),
        "/start",
        |t| t.contains("Commands"),
    )
    .await;
    say(
        &sim,
        &token,
        stranger.chat,
        stranger.user(),
        "/milestone add mau 5 from-ottoline",
        refused,
    )
    .await;
    say(
        &sim,
        &token,
        stranger.chat,
        stranger.user(),
        "/milestone otto_line_42",
        refused,
    )
    .await;
    say(
        &sim,
        &token,
        club,
        stranger.user(),
        "/milestone status",
        refused,
    )
    .await;
    say(&sim, &token, club, stranger.user(), "/subscribe", |t| {
        t.contains("admins can")
    })
    .await;
    sim.push_raw_update(
        &token,
        serde_json::json!({
            "update_id": 0,
            "message": {
                "message_id": 1, "date": 1_700_000_000, "text": "/start",
                "chat": {"id": stranger.chat.0, "type": "hologram", "first_name": stranger.name, "username": stranger.username},
                "from": {"id": stranger.chat.0, "is_bot": false, "first_name": stranger.name, "username": stranger.username}
            }
        }),
    );
    let ask = say(
        &sim,
        &token,
        admin.chat,
        admin.user(),
        "/milestone thanks Thank you all!",
        |t| t.contains("Preview"),
    )
    .await;
    let send = ask.reply_markup.as_ref().unwrap()["inline_keyboard"][0][0]["callback_data"]
        .as_str()
        .unwrap()
        .to_owned();
    let press = sim.press_button(&token, admin.chat, ask.message_id, stranger.user(), &send);
    sim.wait_for(DEADLINE, |sim| {
        sim.callback_answers()
            .into_iter()
            .find(|a| a.callback_query_id == press)
    })
    .await
    .expect("the stranger's press is answered");
    // The blocker blocked the bot without Telegram telling it: the post finds out.
    sim.set_chat_state(blocker.chat, ChatState::Blocked);
    sim.press_button(&token, admin.chat, ask.message_id, admin.user(), &send);
    let db = Db::connect(database.url()).await.unwrap();
    crate::helpers::eventually_explained(
        "the broadcast is done",
        || async {
            let state: String = sqlx::query("SELECT state FROM announcements")
                .fetch_one(db.pool())
                .await
                .ok()?
                .get("state");
            (state == "done").then_some(())
        },
        || {
            format!(
                "{}\n{}",
                seen_by_the_simulator(&sim, &token),
                log_tail(&log, 60)
            )
        },
    )
    .await;
    sim.wait_for(DEADLINE, |sim| {
        sim.messages(subscriber.chat).into_iter().find(|m| {
            m.text
                .as_deref()
                .unwrap_or_default()
                .contains("Thank you all")
        })
    })
    .await
    .expect("the subscriber got the note");
    // The subscriber leaves, blocks and unblocks the bot.
    say(
        &sim,
        &token,
        subscriber.chat,
        subscriber.user(),
        "/unsubscribe",
        |t| t.contains("Unsubscribed"),
    )
    .await;
    sim.user_blocks_bot(&token, subscriber.chat);
    sim.bot_added_to_chat(&token, subscriber.chat, subscriber.user(), false);
    say(
        &sim,
        &token,
        subscriber.chat,
        subscriber.user(),
        "/help",
        |t| t.contains("Commands"),
    )
    .await;
    let gone = say(
        &sim,
        &token,
        admin.chat,
        admin.user(),
        "/milestone chats",
        |t| t.contains("Recently gone"),
    )
    .await;
    let gone = gone.text.unwrap_or_default();
    assert!(gone.contains("a person (private, <code>u-"), "{gone}");
    assert!(
        !holds_number(&gone, &subscriber.id()),
        "admins see a pseudonym: {gone}"
    );
    let _ = Command::new("kill")
        .args(["-TERM", &bot.id().unwrap().to_string()])
        .status()
        .await;
    let _ = tokio::time::timeout(DEADLINE, bot.wait()).await;

    // The log: something of every flow, and nothing of anyone.
    let logged = std::fs::read_to_string(&log).unwrap();
    for expected in ["subscribed", "chat is gone", "cannot read", "u-"] {
        assert!(
            logged.contains(expected),
            "the log shows {expected:?}:\n{logged}"
        );
    }
    for person in people {
        assert!(
            !holds_number(&logged, &person.id()),
            "{}'s id in the log:\n{logged}",
            person.name
        );
        for word in [person.name, person.username] {
            assert!(
                !logged.to_lowercase().contains(&word.to_lowercase()),
                "{word} in the log:\n{logged}"
            );
        }
    }

    // The database: names and usernames nowhere; the stranger's id nowhere; the
    // subscribers' ids only where the bot posts to them; admins are known.
    let allowed_ids = [("chats", "id"), ("deliveries", "chat_id")];
    for (table, column, value) in every_value(&db).await {
        let text = String::from_utf8_lossy(&value).to_lowercase();
        for person in people {
            for word in [person.name, person.username] {
                assert!(
                    !text.contains(&word.to_lowercase()),
                    "{word} in {table}.{column}"
                );
            }
        }
        assert!(
            !holds_number(&text, &stranger.id()),
            "the stranger's id in {table}.{column}"
        );
        for person in [&subscriber, &blocker] {
            if holds_number(&text, &person.id()) {
                assert!(
                    allowed_ids.contains(&(table.as_str(), column.as_str())),
                    "{}'s id in {table}.{column}",
                    person.name
                );
            }
        }
    }
    if backend == Backend::Sqlite {
        // Not even in pages SQLite freed or has yet to fold in.
        let dir = std::path::Path::new(database.url().trim_start_matches("sqlite://"))
            .parent()
            .unwrap()
            .to_owned();
        for file in std::fs::read_dir(dir).unwrap() {
            let bytes = std::fs::read(file.unwrap().path()).unwrap();
            for person in people {
                for word in [person.name, person.username] {
                    assert!(
                        !bytes.windows(word.len()).any(|w| w == word.as_bytes()),
                        "{word} in a database file"
                    );
                }
            }
        }
    }
    let chat = milestone_bot::storage::chats::get(&db, subscriber.chat.0.into())
        .await
        .unwrap()
        .unwrap();
    assert!(!chat.subscribed, "unsubscribed, whatever the unblock said");
    db.close().await;
    database.drop_now().await;
}

/// Every value of every column of every table, as (table, column, bytes).
async fn every_value(db: &Db) -> Vec<(String, String, Vec<u8>)> {
    let (tables, columns) = match db.backend() {
        Backend::Sqlite => (
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            "SELECT name, LOWER(type) AS type FROM pragma_table_info($1)",
        ),
        Backend::Postgres => (
            "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.tables WHERE table_schema = 'public'",
            "SELECT CAST(column_name AS TEXT) AS name, CAST(data_type AS TEXT) AS type
             FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1",
        ),
    };
    let mut values = Vec::new();
    let tables: Vec<String> = sqlx::query(tables)
        .fetch_all(db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("name"))
        .collect();
    assert!(tables.iter().any(|t| t == "audit"), "{tables:?}");
    for table in tables {
        let columns: Vec<(String, String)> = sqlx::query(columns)
            .bind(table.clone())
            .fetch_all(db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get("name"), r.get("type")))
            .collect();
        for (column, kind) in columns {
            let bytes = kind.contains("blob") || kind.contains("bytea");
            let select = if bytes {
                format!("SELECT \"{column}\" AS v FROM \"{table}\" WHERE \"{column}\" IS NOT NULL")
            } else {
                format!(
                    "SELECT CAST(\"{column}\" AS TEXT) AS v FROM \"{table}\" WHERE \"{column}\" IS NOT NULL"
                )
            };
            for row in sqlx::query(sqlx::AssertSqlSafe(select))
                .fetch_all(db.pool())
                .await
                .unwrap()
            {
                let value = if bytes {
                    row.get::<Vec<u8>, _>("v")
                } else {
                    row.get::<String, _>("v").into_bytes()
                };
                values.push((table.clone(), column.clone(), value));
            }
        }
    }
    values
}

async fn upgrading_forgets_private_chats_names_and_strangers_ids_and_words(backend: Backend) {
    let Some(database) = TestDatabase::new(backend).await else {
        return;
    };
    // A database as the version before the privacy migrations (0150…) left it.
    let folder = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(folder);
    let db = Db::connect(database.url()).await.unwrap();
    sqlx::migrate::Migrator::new(dir)
        .await
        .unwrap()
        .run_to(149, db.pool())
        .await
        .unwrap();
    for (id, kind, title, username) in [
        (100_000_001_i64, "private", "Zebediah", Some("zeb_quill_77")),
        (-1_001_000_000_002, "channel", "News", Some("news_channel")),
    ] {
        sqlx::query(
            "INSERT INTO chats (id, kind, title, username, subscribed, subscribed_at, updated_at)
             VALUES ($1, $2, $3, $4, 1, 0, 0)",
        )
        .bind(id)
        .bind(kind)
        .bind(title)
        .bind(username)
        .execute(db.pool())
        .await
        .unwrap();
    }
    for (user, action, detail, result) in [
        (
            100_000_003_i64,
            "milestone ottoline",
            "ottoline 555-0100",
            "refused: not an admin",
        ),
        (
            100_000_003,
            "milestone add",
            "add mau 5 secret words",
            "refused: not an admin",
        ),
        (
            100_000_003,
            "confirm",
            "c:0123:send",
            "refused: not the admin who asked",
        ),
        (42, "milestone status", "status", "ok"),
    ] {
        sqlx::query(
            "INSERT INTO audit (at, user_id, action, detail, result) VALUES (0, $1, $2, $3, $4)",
        )
        .bind(user)
        .bind(action)
        .bind(detail)
        .bind(result)
        .execute(db.pool())
        .await
        .unwrap();
    }

    db.migrate().await.unwrap();

    let chats = milestone_bot::storage::chats::list_subscribed(&db)
        .await
        .unwrap();
    let names: Vec<(Option<&str>, Option<&str>)> = chats
        .iter()
        .map(|c| (c.title.as_deref(), c.username.as_deref()))
        .collect();
    assert_eq!(
        names,
        vec![(Some("News"), Some("news_channel")), (None, None)]
    );
    let audit = milestone_bot::storage::audit::latest(&db, 10)
        .await
        .unwrap();
    let shown: Vec<String> = audit
        .iter()
        .map(|e| format!("{} {} [{}] {}", e.who, e.action, e.detail, e.result))
        .collect();
    let mut shown = shown;
    shown.sort();
    assert_eq!(
        shown,
        vec![
            "42 milestone status [status] ok",
            "forgotten confirm [] refused: not the admin who asked",
            "forgotten milestone (unknown) [] refused: not an admin",
            "forgotten milestone add [] refused: not an admin",
        ]
    );
    db.close().await;
    database.drop_now().await;
}
