//! The milestone card: what it says ([`Card`]) and how it is laid out, as SVG drawn
//! by resvg. The card has two layers: everything that stays (background, title,
//! badge, label, country line, logo), drawn once, and the big number, drawn on a
//! band of it for each frame of the count-up ([`super::animate`]); the still card is
//! the last frame.

mod text;

use super::font::{self, FAMILY, Weight};
use super::theme::{Logo, Theme};
use super::{RenderError, svg_options};
use crate::text::number::{format_grouped, format_short};
use chrono::NaiveDate;
use resvg::tiny_skia::{IntRect, Pixmap, Transform};
use resvg::usvg;
use std::fmt::Write;
use text::{fit, fitting_size, wrap, xml};

/// The card's size: 16:9, what Telegram shows full width in a channel.
pub const WIDTH: u32 = 1280;
pub const HEIGHT: u32 = 720;

/// The title line when the metric's template gives none.
pub const DEFAULT_TITLE: &str = "New milestone";

/// Left and right margin.
const MARGIN: f32 = 88.0;
/// The widest the big number may be set.
const NUMBER_MAX_SIZE: f32 = 188.0;
const NUMBER_BASELINE: f32 = 404.0;
const LABEL_SIZE: f32 = 50.0;
const LABEL_MIN_SIZE: f32 = 30.0;
const COUNTRY_SIZE: f32 = 30.0;
/// The header: logo, title and date on the left, the short form's badge right.
const HEADER_TOP: f32 = 78.0;
const LOGO_HEIGHT: f32 = 72.0;

/// What a card says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// The line above everything ("New milestone", or the metric's own template).
    pub title: String,
    /// The milestone, shown in full ("200,000,000") and short ("200M").
    pub milestone: u64,
    /// Where the count-up starts: the previous milestone of the metric, or 0.
    pub from: u64,
    /// What is counted: "monthly active users".
    pub label: String,
    pub date: NaiveDate,
    /// "If it were a country, …", when it reads well.
    pub country: Option<String>,
}

/// The look every card shares: colours and logo.
#[derive(Debug, Clone, Default)]
pub struct Look {
    pub theme: Theme,
    pub logo: Option<Logo>,
}

/// Where the big number goes, and the band of the card it may cover.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct NumberSlot {
    pub x: f32,
    pub baseline: f32,
    pub size: f32,
    /// Rows of the card the number can touch (full width).
    pub band: IntRect,
}

/// A card laid out and its steady layer drawn.
pub(super) struct Canvas {
    pub base: Pixmap,
    pub slot: NumberSlot,
    foreground: String,
}

impl Canvas {
    /// Lays `card` out and draws everything but the number.
    pub fn new(card: &Card, look: &Look) -> Result<Canvas, RenderError> {
        let slot = number_slot(card.milestone);
        let svg = steady_svg(card, look);
        let tree = parse(&svg)?;
        let mut base = Pixmap::new(WIDTH, HEIGHT).ok_or(RenderError::Size)?;
        resvg::render(&tree, Transform::identity(), &mut base.as_mut());
        if let Some(logo) = &look.logo {
            logo.draw(&mut base, MARGIN, HEADER_TOP, LOGO_HEIGHT, 260.0)?;
        }
        Ok(Canvas {
            base,
            slot,
            foreground: look.theme.foreground.to_string(),
        })
    }

    /// The band of the card with `value` as the big number.
    pub fn band_with(&self, value: u64) -> Result<Pixmap, RenderError> {
        let band = self.slot.band;
        let mut pixmap = self.base.clone_rect(band).ok_or(RenderError::Size)?;
        let tree = parse(&number_svg(&self.slot, value, &self.foreground))?;
        let shift = Transform::from_translate(-(band.x() as f32), -(band.y() as f32));
        resvg::render(&tree, shift, &mut pixmap.as_mut());
        Ok(pixmap)
    }

    /// The whole card with `value` as the big number.
    pub fn with(&self, value: u64) -> Result<Pixmap, RenderError> {
        let band = self.band_with(value)?;
        let mut card = self.base.clone();
        card.draw_pixmap(
            self.slot.band.x(),
            self.slot.band.y(),
            band.as_ref(),
            &Default::default(),
            Transform::identity(),
            None,
        );
        Ok(card)
    }
}

/// The still card as a PNG.
pub fn png(card: &Card, look: &Look) -> Result<Vec<u8>, RenderError> {
    let still = Canvas::new(card, look)?.with(card.milestone)?;
    still
        .encode_png()
        .map_err(|e| RenderError::Encode(e.to_string()))
}

fn parse(svg: &str) -> Result<usvg::Tree, RenderError> {
    usvg::Tree::from_str(svg, &svg_options()).map_err(|e| RenderError::Svg(e.to_string()))
}

/// The number is set as large as fits the card's width, up to [`NUMBER_MAX_SIZE`].
fn number_slot(milestone: u64) -> NumberSlot {
    let text = format_grouped(milestone);
    let per_px = font::width(&text, Weight::ExtraBold, 1.0);
    let size = ((WIDTH as f32 - 2.0 * MARGIN) / per_px).min(NUMBER_MAX_SIZE);
    let (ascent, descent) = font::vertical_metrics(Weight::ExtraBold, size);
    let top = (NUMBER_BASELINE - ascent).floor().max(0.0);
    let bottom = (NUMBER_BASELINE + descent).ceil().min(HEIGHT as f32);
    NumberSlot {
        x: MARGIN - size * 0.04,
        baseline: NUMBER_BASELINE,
        size,
        band: IntRect::from_xywh(0, top as i32, WIDTH, (bottom - top) as u32)
            .expect("the band is inside the card"),
    }
}

fn number_svg(slot: &NumberSlot, value: u64, color: &str) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}"><text x="{:.1}" y="{:.1}" font-family="{FAMILY}" font-weight="800" font-size="{:.1}" fill="{color}" letter-spacing="-2">{}</text></svg>"#,
        slot.x,
        slot.baseline,
        slot.size,
        format_grouped(value)
    )
}

/// Everything but the number.
fn steady_svg(card: &Card, look: &Look) -> String {
    let t = &look.theme;
    let (bg, fg, accent) = (
        t.background.to_string(),
        t.foreground.to_string(),
        t.accent.to_string(),
    );
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="{FAMILY}">"#
    );
    let _ = write!(
        svg,
        r#"<rect width="{WIDTH}" height="{HEIGHT}" fill="{bg}"/>"#
    );
    decoration(&mut svg, &accent);

    // Header: logo, then the title over the date; the short form's badge right.
    let badge = badge(&mut svg, card, look);
    let text_x = match &look.logo {
        Some(logo) => MARGIN + logo.width_at(LOGO_HEIGHT, 260.0) + 24.0,
        None => MARGIN,
    };
    let header_room = WIDTH as f32 - MARGIN - badge - 32.0 - text_x;
    let title = fit(
        &card.title.to_uppercase(),
        Weight::Bold,
        24.0,
        4.0,
        header_room,
    );
    let date = card.date.format("%-d %B %Y").to_string();
    let _ = write!(
        svg,
        r#"<text x="{text_x}" y="{:.0}" font-weight="700" font-size="24" letter-spacing="4" fill="{accent}">{}</text>"#,
        HEADER_TOP + 30.0,
        xml(&title)
    );
    let _ = write!(
        svg,
        r#"<text x="{text_x}" y="{:.0}" font-weight="400" font-size="26" fill="{fg}" fill-opacity="0.62">{}</text>"#,
        HEADER_TOP + 66.0,
        xml(&date)
    );

    // Under the number: what it counts, a short rule, the country line.
    let room = WIDTH as f32 - 2.0 * MARGIN;
    let label_size = fitting_size(
        &card.label,
        Weight::SemiBold,
        LABEL_SIZE,
        LABEL_MIN_SIZE,
        room,
    );
    let label = fit(&card.label, Weight::SemiBold, label_size, 0.0, room);
    let _ = write!(
        svg,
        r#"<text x="{MARGIN}" y="{:.0}" font-weight="600" font-size="{label_size:.1}" fill="{fg}" fill-opacity="0.86">{}</text>"#,
        NUMBER_BASELINE + 84.0,
        xml(&label)
    );
    if let Some(country) = &card.country {
        let _ = write!(
            svg,
            r#"<rect x="{MARGIN}" y="{:.0}" width="72" height="6" rx="3" fill="{accent}"/>"#,
            NUMBER_BASELINE + 128.0
        );
        let lines = wrap(country, Weight::Regular, COUNTRY_SIZE, room - 80.0, 2);
        for (i, line) in lines.iter().enumerate() {
            let _ = write!(
                svg,
                r#"<text x="{MARGIN}" y="{:.0}" font-weight="400" font-size="{COUNTRY_SIZE}" fill="{fg}" fill-opacity="0.72">{}</text>"#,
                NUMBER_BASELINE + 190.0 + i as f32 * 42.0,
                xml(line)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Quiet rings in the accent colour, bottom right, behind the text.
fn decoration(svg: &mut String, accent: &str) {
    let _ = write!(svg, r#"<g fill="none" stroke="{accent}">"#);
    for (r, opacity, w) in [
        (150.0, 0.22, 3.0),
        (250.0, 0.15, 2.0),
        (360.0, 0.10, 2.0),
        (480.0, 0.06, 2.0),
    ] {
        let _ = write!(
            svg,
            r#"<circle cx="1190" cy="690" r="{r}" stroke-opacity="{opacity}" stroke-width="{w}"/>"#
        );
    }
    svg.push_str("</g>");
}

/// The short form in a pill, top right; returns its width.
fn badge(svg: &mut String, card: &Card, look: &Look) -> f32 {
    let t = &look.theme;
    let short = format_short(card.milestone);
    let size = 36.0;
    let text_w = font::width(&short, Weight::ExtraBold, size);
    let (w, h) = (text_w + 56.0, 64.0);
    let x = WIDTH as f32 - MARGIN - w;
    let y = HEADER_TOP + 4.0;
    // Text on the accent: whichever of background and foreground reads better.
    let on_accent = if (t.accent.luminance() - t.background.luminance()).abs()
        > (t.accent.luminance() - t.foreground.luminance()).abs()
    {
        t.background
    } else {
        t.foreground
    };
    let _ = write!(
        svg,
        r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h}" rx="{:.1}" fill="{}"/>"#,
        h / 2.0,
        t.accent
    );
    let _ = write!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-weight="800" font-size="{size}" fill="{on_accent}">{}</text>"#,
        x + w / 2.0,
        y + h / 2.0 + size * 0.36,
        xml(&short)
    );
    w
}

#[cfg(test)]
mod tests;
