//! `milestone-bot record`: user ids, one per line, from a file or stdin into a
//! metric's day sketch, in batches, with a progress bar on a terminal.

use crate::sketch::{Metric, SketchStore, SketchStoreKind};
use crate::text::number::format_grouped;
use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, BufReader};

#[derive(clap::Args, Debug)]
pub struct RecordArgs {
    /// The metric to record into (see METRICS), e.g. mau.
    #[arg(long)]
    pub metric: String,
    /// The UTC day the activity belongs to (default: today).
    #[arg(long)]
    pub day: Option<NaiveDate>,
    /// A file of ids, one per line; `-` or nothing reads stdin.
    pub input: Option<PathBuf>,
}

/// Ids handed to the store at a time.
pub const BATCH: usize = 50_000;

/// What a recording did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    pub ids: u64,
    /// Blank lines, skipped rather than recorded as an empty id.
    pub blank_lines: u64,
}

impl Recorded {
    /// `recorded 1,000 ids into mau 2026-11-26`.
    pub fn summary(&self, metric: &Metric, day: NaiveDate) -> String {
        let mut line = format!(
            "recorded {} ids into {} {day}",
            format_grouped(self.ids),
            metric.name
        );
        if self.blank_lines > 0 {
            line += &format!(
                " (skipped {} blank lines)",
                format_grouped(self.blank_lines)
            );
        }
        line
    }
}

/// Opens the input: the file, or stdin for `-`/nothing. Returns its size when known.
pub async fn open(
    input: Option<&PathBuf>,
) -> anyhow::Result<(Box<dyn AsyncBufRead + Unpin + Send>, Option<u64>)> {
    use anyhow::Context;
    match input.filter(|p| p.as_os_str() != "-") {
        None => Ok((Box::new(BufReader::new(tokio::io::stdin())), None)),
        Some(path) => {
            let file = tokio::fs::File::open(path)
                .await
                .with_context(|| format!("cannot open {}", path.display()))?;
            let size = file.metadata().await.ok().map(|m| m.len());
            Ok((Box::new(BufReader::with_capacity(1 << 20, file)), size))
        }
    }
}

/// A progress bar on stderr when it is a terminal, else a hidden one.
pub fn progress(size: Option<u64>) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    match size {
        Some(bytes) => ProgressBar::new(bytes).with_style(
            ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} ({eta})")
                .expect("a valid template"),
        ),
        None => ProgressBar::new_spinner()
            .with_style(ProgressStyle::with_template("{spinner} {msg}").expect("a valid template")),
    }
}

/// Streams `input` into the store in batches of [`BATCH`] ids. A trailing `\r` is
/// dropped (files from Windows); any other byte is part of the id.
pub async fn record(
    store: &SketchStoreKind,
    metric: &Metric,
    day: NaiveDate,
    mut input: impl AsyncBufRead + Unpin,
    bar: &ProgressBar,
) -> anyhow::Result<Recorded> {
    let mut done = Recorded {
        ids: 0,
        blank_lines: 0,
    };
    let mut batch: Vec<Vec<u8>> = Vec::with_capacity(BATCH);
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = input.read_until(b'\n', &mut line).await?;
        if read == 0 {
            break;
        }
        bar.inc(read as u64);
        let id = line.strip_suffix(b"\n").unwrap_or(&line);
        let id = id.strip_suffix(b"\r").unwrap_or(id);
        if id.is_empty() {
            done.blank_lines += 1;
            continue;
        }
        batch.push(id.to_vec());
        if batch.len() == BATCH {
            done.ids += store.add(&metric.name, day, &batch).await? as u64;
            batch.clear();
            bar.set_message(format!("{} ids", format_grouped(done.ids)));
        }
    }
    done.ids += store.add(&metric.name, day, &batch).await? as u64;
    store.flush().await?;
    bar.finish_and_clear();
    Ok(done)
}
