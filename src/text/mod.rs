//! Text as Telegram shows it, and numbers as people read them: used alike by
//! milestones (templates, rules, status), broadcast (progress, edits), telegram
//! (admin replies) and render (cards, charts).
//!
//! Layout: [`html`] is Telegram's HTML subset (`parse_mode=HTML`): escaping,
//! checking, and the visible length in UTF-16 code units that Telegram counts
//! against its limits ([`html::TEXT_LIMIT`], [`html::CAPTION_LIMIT`]); [`fit`]
//! splits a reply too long for one message; [`number`] reads counts an admin typed
//! (`200M`, `1.5B`, `200,000,000`) and prints them (`200,000,000`, `200M`,
//! `200 million`, `6th`). Nothing here imports another module of the crate.

pub mod fit;
pub mod html;
pub mod number;
