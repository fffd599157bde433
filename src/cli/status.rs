//! `milestone-bot status [--chart FILE.png]`: per metric, the estimate ± error, the
//! last milestone, the next one and when it is expected; with `--chart`, the
//! growth chart admins get with `/milestone status`, written to a file.

use crate::milestones::counter::watched;
use crate::milestones::status;
use crate::render::history::status_chart;
use crate::sketch::Metrics;
use crate::storage::Db;
use anyhow::Context;
use chrono::Utc;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug, Default)]
pub struct StatusArgs {
    /// Also write the growth chart (a PNG) to this file.
    #[arg(long, value_name = "FILE.png")]
    pub chart: Option<PathBuf>,
}

/// The status text for every metric in the database or in `METRICS`, and the
/// chart when asked for.
pub async fn run(db: &Db, metrics: &Metrics, chart: Option<&Path>) -> anyhow::Result<String> {
    let now = Utc::now();
    let watched = watched(metrics);
    let statuses = status::status(db, &watched, now).await?;
    let mut out = status::render(&statuses, now);
    if let Some(path) = chart {
        let data = status_chart(db, &watched, now).await?;
        let png = tokio::task::spawn_blocking(move || data.png()).await??;
        match png {
            Some(png) => {
                std::fs::write(path, &png)
                    .with_context(|| format!("writing {}", path.display()))?;
                out.push_str(&format!("\nchart written to {}", path.display()));
            }
            None => out.push_str("\nno metric has a reading yet: no chart written"),
        }
    }
    Ok(out)
}
