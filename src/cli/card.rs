//! `milestone-bot card --metric mau --value 200M --out card.gif`: the milestone
//! card as the broadcast would send it (the look from `CARD_THEME` and
//! `CARD_LOGO`, the title line and previous milestone from the database), written
//! to a file to look at before a milestone fires.

use crate::render::{CardFormat, CardMaker, Picture};
use crate::storage::Db;
use crate::text::number::{format_short, parse_count};
use crate::vocab::MetricName;
use anyhow::Context;
use chrono::NaiveDate;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct CardArgs {
    /// The metric, e.g. mau (its label comes from METRICS).
    #[arg(long)]
    pub metric: String,
    /// The milestone: 200M, 1.5B or 200,000,000.
    #[arg(long, value_parser = value)]
    pub value: u64,
    /// Where to write it: a .gif is the count-up, a .png the still card.
    #[arg(long)]
    pub out: PathBuf,
    /// Count up from here (default: the metric's previous milestone, or 0).
    #[arg(long, value_parser = value)]
    pub from: Option<u64>,
    /// The date on the card (default: today, UTC).
    #[arg(long)]
    pub date: Option<NaiveDate>,
}

fn value(s: &str) -> Result<u64, String> {
    parse_count(s).map_err(|e| e.to_string())
}

/// The format a file name asks for.
pub fn format_for(path: &Path) -> anyhow::Result<CardFormat> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("gif") => Ok(CardFormat::Gif),
        Some("png") => Ok(CardFormat::Png),
        _ => anyhow::bail!("--out must end in .gif (the count-up) or .png (the still card)"),
    }
}

/// Draws and writes the card; the line to print.
pub async fn run(db: &Db, maker: &CardMaker, args: &CardArgs) -> anyhow::Result<String> {
    let format = format_for(&args.out)?;
    let date = args.date.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let metric = MetricName::parse(&args.metric)
        .map_err(|e| anyhow::anyhow!("--metric {:?}: {e}", args.metric))?;
    let mut card = maker.card(db, &metric, args.value, date).await?;
    if let Some(from) = args.from {
        card.from = from;
    }
    let picture = maker
        .with_format(format)
        .draw_off_thread(card)
        .await?
        .context("no card drawn")?;
    std::fs::write(&args.out, &picture.bytes)
        .with_context(|| format!("writing {}", args.out.display()))?;
    Ok(describe(&args.out, args.value, &picture))
}

/// `wrote card.gif: the 200M card, 1280×720, 18 frames over 2.0 s, 157 KB`.
pub fn describe(path: &Path, milestone: u64, p: &Picture) -> String {
    let motion = if p.animated {
        format!(
            ", {} frames over {:.1} s",
            p.frames,
            f64::from(p.duration_ms) / 1000.0
        )
    } else {
        String::new()
    };
    format!(
        "wrote {}: the {} card, {}×{}{motion}, {} KB",
        path.display(),
        format_short(milestone),
        p.width,
        p.height,
        p.bytes.len().div_ceil(1024)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_name_picks_the_format() {
        assert_eq!(format_for(Path::new("a.gif")).unwrap(), CardFormat::Gif);
        assert_eq!(format_for(Path::new("A.PNG")).unwrap(), CardFormat::Png);
        assert!(format_for(Path::new("a.jpg")).is_err());
        assert!(format_for(Path::new("card")).is_err());
    }
}
