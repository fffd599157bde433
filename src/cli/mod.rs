//! The command line: one binary, a few subcommands; each lives in its own function
//! so `main` only parses and dispatches.

pub mod audit;
pub mod baseline;
pub mod card;
pub mod chats;
pub mod count;
pub mod demo;
pub mod milestone;
pub mod record;
pub mod sketch;
pub mod status;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "milestone-bot",
    version,
    about = "Announces milestones to Telegram channels and groups"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the bot (the default): Telegram dispatcher, HTTP server, background work.
    Run,
    /// Apply database migrations and exit (`run` also does this on start).
    Migrate,
    /// List the subscribed chats.
    Chats,
    /// Print the latest admin actions and refused attempts.
    Audit {
        /// How many entries to show, newest first.
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
    /// Record user ids (one per line, from FILE or stdin) into a metric's day sketch.
    Record(record::RecordArgs),
    /// Print each metric's estimate with its standard error and 95% interval.
    Count(count::CountArgs),
    /// Copy a day's sketch between the store and a Redis key.
    #[command(subcommand)]
    Sketch(sketch::SketchCommand),
    /// Add, list or remove milestone rules.
    #[command(subcommand)]
    Milestone(milestone::MilestoneCommand),
    /// Per metric: estimate ± error, last milestone, next milestone and when
    /// (`--chart FILE.png` also writes the growth chart).
    Status(status::StatusArgs),
    /// Draw a milestone's card (.gif count-up or .png still) to look at it.
    Card(card::CardArgs),
    /// After importing history: record every milestone the metric's count has
    /// passed (its lower bound, CONFIDENCE_K standard errors below the estimate) as
    /// baseline, so none of them is announced.
    Baseline {
        /// The metric, e.g. mau.
        metric: String,
    },
    /// No token needed: the real bot against the Bot API simulator, a metric grown
    /// past a milestone, every message shown as it arrives (under a minute).
    Demo(demo::DemoArgs),
}
