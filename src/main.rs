use anyhow::Context;
use clap::Parser;
use milestone_bot::app::{self, App};
use milestone_bot::cli::sketch::SketchCommand;
use milestone_bot::cli::{self, Cli, Command};
use milestone_bot::config::{
    CardConfig, Config, DatabaseConfig, FromEnv, MilestonesConfig, ProcessEnv, SketchBackend,
    SketchConfig,
};
use milestone_bot::milestones::counter::{SketchCounter, watched};
use milestone_bot::render::CardMaker;
use milestone_bot::sketch::{Metric, SketchStore, SketchStoreKind};
use milestone_bot::storage::{self, Db};
use milestone_bot::telemetry;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    // A missing .env is fine: the environment may be set another way.
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let format = match milestone_bot::config::log_format(&ProcessEnv) {
        Ok(format) => format,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Some(Command::Demo(_)) => telemetry::init_with_default(cli::demo::LOG_FILTER),
        _ => telemetry::init(format),
    }
    match run(cli.command.unwrap_or(Command::Run)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", telemetry::redact(&format!("{err:#}")));
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Run => {
            let config = Config::from_env(&ProcessEnv)?;
            App::build(config)
                .await?
                .run_until_stopped(app::shutdown_signal())
                .await
        }
        Command::Migrate => {
            let db = open_db().await?;
            db.close().await;
            println!("migrations applied");
            Ok(())
        }
        Command::Audit { limit } => {
            let db = open_db().await?;
            println!(
                "{}",
                cli::audit::table(&storage::audit::latest(&db, limit).await?)
            );
            Ok(())
        }
        Command::Chats => {
            let db = open_db().await?;
            println!(
                "{}",
                cli::chats::table(&storage::chats::list_subscribed(&db).await?)
            );
            Ok(())
        }
        Command::Record(args) => {
            let (config, store, db) = open_store().await?;
            let metric = metric(&config, &args.metric)?;
            let day = args.day.unwrap_or_else(today);
            let (input, size) = cli::record::open(args.input.as_ref()).await?;
            let bar = cli::record::progress(size);
            let done = cli::record::record(&store, &metric, day, input, &bar).await?;
            println!("{}", done.summary(&metric, day));
            close(db).await;
            Ok(())
        }
        Command::Count(args) => {
            let (config, store, db) = open_store().await?;
            let at = args.at.unwrap_or_else(today);
            let metrics: Vec<Metric> = match &args.metric {
                Some(name) => vec![metric(&config, name)?],
                None => config.metrics.iter().cloned().collect(),
            };
            let mut rows = Vec::with_capacity(metrics.len());
            for metric in metrics {
                let estimate = store.count(&metric, at).await?;
                rows.push((metric, estimate));
            }
            println!("{}", cli::count::table(at, &rows));
            close(db).await;
            Ok(())
        }
        Command::Sketch(command) => {
            let (config, store, db) = open_store().await?;
            let message = match command {
                SketchCommand::Export(a) => {
                    let name = metric(&config, &a.metric)?.name;
                    let n = cli::sketch::export(&store, &name, a.day, &a.redis_url, &a.key).await?;
                    cli::sketch::exported(&name, a.day, &a.key, n)
                }
                SketchCommand::Import(a) => {
                    let name = metric(&config, &a.metric)?.name;
                    let n = cli::sketch::import(&store, &name, a.day, &a.redis_url, &a.key).await?;
                    cli::sketch::imported(&name, a.day, &a.key, n)
                }
            };
            println!("{message}");
            close(db).await;
            Ok(())
        }
        Command::Milestone(command) => {
            let metrics = SketchConfig::from_env(&ProcessEnv)?.metrics;
            let detector = MilestonesConfig::from_env(&ProcessEnv)?.detector;
            let db = open_db().await?;
            let result = cli::milestone::run(&db, &metrics, &detector, command).await;
            db.close().await;
            println!("{}", result?);
            Ok(())
        }
        Command::Demo(args) => cli::demo::run(args).await,
        Command::Baseline { metric: name } => {
            let (config, store, db) = open_store().await?;
            let name = metric(&config, &name)?.name;
            let detector = MilestonesConfig::from_env(&ProcessEnv)?.detector;
            let db = match db {
                Some(db) => db,
                None => open_db().await?,
            };
            let counter = SketchCounter {
                store: store.clone(),
                metrics: config.metrics.clone(),
            };
            let result = milestone_bot::milestones::baseline::baseline(
                &db,
                &counter,
                &name,
                &detector,
                chrono::Utc::now(),
            )
            .await;
            db.close().await;
            println!(
                "{}",
                cli::baseline::report(&result?, detector.confidence_k())
            );
            Ok(())
        }
        Command::Status(args) => {
            let metrics = SketchConfig::from_env(&ProcessEnv)?.metrics;
            let db = open_db().await?;
            let result = cli::status::run(&db, &metrics, args.chart.as_deref()).await;
            db.close().await;
            println!("{}", result?);
            Ok(())
        }
        Command::Card(args) => {
            let metrics = SketchConfig::from_env(&ProcessEnv)?.metrics;
            let card = CardConfig::from_env(&ProcessEnv)?;
            let maker = CardMaker::new(card.format, card.look, watched(&metrics));
            let db = open_db().await?;
            let result = cli::card::run(&db, &maker, &args).await;
            db.close().await;
            println!("{}", result?);
            Ok(())
        }
    }
}

/// The configured store; the database is opened only for the embedded backend.
async fn open_store() -> anyhow::Result<(SketchConfig, SketchStoreKind, Option<Db>)> {
    let config = SketchConfig::from_env(&ProcessEnv)?;
    let db = match config.backend {
        SketchBackend::Embedded => Some(open_db().await?),
        SketchBackend::Redis { .. } => None,
    };
    let store = SketchStoreKind::open(&config.backend, db.as_ref()).await?;
    Ok((config, store, db))
}

/// A metric named on the command line must be one of `METRICS`.
fn metric(config: &SketchConfig, name: &str) -> anyhow::Result<Metric> {
    config.metrics.get(name).cloned().with_context(|| {
        format!(
            "unknown metric {name:?}; METRICS has {}",
            config.metrics.names()
        )
    })
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

async fn close(db: Option<Db>) {
    if let Some(db) = db {
        db.close().await;
    }
}

async fn open_db() -> anyhow::Result<Db> {
    let config = DatabaseConfig::from_env(&ProcessEnv)?;
    Ok(Db::connect_and_migrate(&config.url).await?)
}
