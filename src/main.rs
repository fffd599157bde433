use clap::Parser;
use milestone_bot::app::{self, App};
use milestone_bot::cli::{self, Cli, Command};
use milestone_bot::config::{Config, DatabaseConfig, ProcessEnv};
use milestone_bot::storage::{self, Db};
use milestone_bot::telemetry;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    // A missing .env is fine: the environment may be set another way.
    let _ = dotenvy::dotenv();
    telemetry::init();
    let cli = Cli::parse();
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
    }
}

async fn open_db() -> anyhow::Result<Db> {
    let config = DatabaseConfig::from_env(&ProcessEnv)?;
    Ok(Db::connect_and_migrate(&config.url).await?)
}
