//! Pictures: the milestone card that leads every announcement (a count-up GIF, or a
//! still PNG) and the growth chart admins get with `/milestone status`. Drawn in
//! process from the fonts in `assets/fonts`; nothing depends on system fonts.
//!
//! # Layout
//! - [`font`]: the shipped typeface, text measuring, the renderer's font database.
//! - [`theme`]: the card's colours (`CARD_THEME`) and logo (`CARD_LOGO`).
//! - [`card`]: what a card says and its layout (SVG, drawn by resvg); the still PNG.
//! - [`animate`]: the count-up from the previous milestone, encoded as a GIF.
//! - [`chart`]: the admins' growth chart (plotters, bitmap backend) as a PNG.
//! - [`cards`]: cards for milestones: `CARD`, the look, the database's facts.
//! - [`history`]: the chart's data, read from the database.

pub mod animate;
pub mod card;
pub mod cards;
pub mod chart;
pub mod font;
pub mod history;
pub mod theme;

pub use card::{Card, Look};
pub use cards::{CardFormat, CardMaker, Picture};
pub use theme::{Color, Logo, Theme};

use resvg::usvg;

/// Why a picture could not be made; shown to admins as is, so it carries no ids.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// Our own SVG did not parse (a bug, or text the parser refused).
    #[error("the card's SVG did not parse: {0}")]
    Svg(String),
    /// The logo file is not a PNG or SVG we can draw.
    #[error("the logo: {0}")]
    Logo(String),
    /// PNG or GIF encoding failed.
    #[error("encoding failed: {0}")]
    Encode(String),
    /// The picture came out bigger than Telegram (or we) accept.
    #[error("the picture is {bytes} bytes, over the {limit}-byte limit")]
    TooLarge { bytes: usize, limit: usize },
    /// plotters refused to draw the chart.
    #[error("the chart: {0}")]
    Chart(String),
    /// A canvas of impossible size.
    #[error("a canvas of impossible size")]
    Size,
}

/// Parse options for every SVG we draw: our fonts only, nothing read from disk.
pub(crate) fn svg_options() -> usvg::Options<'static> {
    usvg::Options {
        fontdb: font::database(),
        font_family: font::FAMILY.to_owned(),
        resources_dir: None,
        ..usvg::Options::default()
    }
}
