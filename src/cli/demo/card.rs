//! The milestone card the broadcast led with, taken from what the simulated
//! Telegram received and written where the newcomer can open it.

use super::narrate::Narrator;
use super::world::World;
use anyhow::Context;
use std::path::{Path, PathBuf};
use telegram_sim::SentKind;

/// Where the card goes unless `--card` says otherwise: outside the demo's
/// temporary directory, which is removed on exit.
pub fn default_path() -> PathBuf {
    std::env::temp_dir().join("milestone-bot-demo-card.gif")
}

/// Writes the first card uploaded to `path` and says where it is.
pub fn save(world: &World, path: &Path, out: &Narrator) -> anyhow::Result<()> {
    let card = world
        .sim
        .uploaded_files()
        .into_iter()
        .find(|f| matches!(f.kind, SentKind::Animation | SentKind::Photo));
    let Some(card) = card else {
        out.say("no card was uploaded with the announcement");
        return Ok(());
    };
    std::fs::write(path, &card.bytes)
        .with_context(|| format!("writing the card to {}", path.display()))?;
    let size = match (card.width, card.height) {
        (Some(w), Some(h)) => format!("{w}×{h}, "),
        _ => String::new(),
    };
    out.say(format!(
        "the card the announcement led with ({size}{} KB, uploaded once, then re-sent by file id): {}",
        card.size.div_ceil(1024),
        path.display()
    ));
    Ok(())
}
