//! How a card looks: its three colours (`CARD_THEME`) and an optional logo
//! (`CARD_LOGO`, a PNG or SVG file), checked when the settings are read so a bad
//! file stops the start instead of a broadcast.

use super::RenderError;
use resvg::tiny_skia::{self, Pixmap, PixmapPaint, Transform};
use resvg::usvg;
use std::fmt;
use std::sync::Arc;

/// An opaque sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Color {
    pub r: u8,
    pub g: u8,
    pub b: u8,
}

impl Color {
    pub const fn rgb(r: u8, g: u8, b: u8) -> Self {
        Color { r, g, b }
    }

    /// `#1e88e5`, `1e88e5` or the short `#18e`.
    pub fn parse(s: &str) -> Result<Color, String> {
        let hex = s.trim().trim_start_matches('#');
        let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        let bytes = hex.as_bytes();
        let channels: Option<Vec<u8>> = match bytes.len() {
            3 => bytes.iter().map(|&c| digit(c).map(|d| d * 17)).collect(),
            6 => bytes
                .chunks(2)
                .map(|p| Some(digit(p[0])? * 16 + digit(p[1])?))
                .collect(),
            _ => None,
        };
        match channels.as_deref() {
            Some(&[r, g, b]) => Ok(Color { r, g, b }),
            _ => Err(format!(
                "\"{}\" is not a colour; write it as #rrggbb",
                s.trim()
            )),
        }
    }

    /// This colour over `under` at `alpha` (0 to 1), for tints that must stay flat.
    pub fn over(self, under: Color, alpha: f32) -> Color {
        let mix = |a: u8, b: u8| (a as f32 * alpha + b as f32 * (1.0 - alpha)).round() as u8;
        Color {
            r: mix(self.r, under.r),
            g: mix(self.g, under.g),
            b: mix(self.b, under.b),
        }
    }

    /// Relative luminance (0 black to 1 white), to pick readable text on a colour.
    pub fn luminance(self) -> f32 {
        let lin = |c: u8| {
            let c = c as f32 / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(self.r) + 0.7152 * lin(self.g) + 0.0722 * lin(self.b)
    }
}

impl fmt::Display for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
    }
}

/// The card's colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub background: Color,
    /// The number and the main text.
    pub foreground: Color,
    /// The title, the short form's badge and the decoration.
    pub accent: Color,
}

impl Default for Theme {
    /// A deep night blue with white text and Telegram's blue, readable on any client
    /// theme and calm enough to carry any brand's logo.
    fn default() -> Self {
        Theme {
            background: Color::rgb(0x0e, 0x19, 0x29),
            foreground: Color::rgb(0xf4, 0xf7, 0xfb),
            accent: Color::rgb(0x2a, 0xab, 0xee),
        }
    }
}

impl Theme {
    /// `background,foreground,accent`, e.g. `#0e1929,#f4f7fb,#2aabee`.
    pub fn parse(s: &str) -> Result<Theme, String> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        let [bg, fg, accent] = parts[..] else {
            return Err(format!(
                "\"{s}\" is not three colours; write background,foreground,accent (e.g. #0e1929,#f4f7fb,#2aabee)"
            ));
        };
        let theme = Theme {
            background: Color::parse(bg)?,
            foreground: Color::parse(fg)?,
            accent: Color::parse(accent)?,
        };
        if theme.background == theme.foreground {
            return Err("the foreground must differ from the background".into());
        }
        Ok(theme)
    }
}

/// A logo file's content, checked to be a PNG or an SVG the renderer reads.
#[derive(Clone)]
pub struct Logo {
    data: Arc<[u8]>,
    format: LogoFormat,
    /// Its own size in px, for the aspect ratio.
    width: f32,
    height: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LogoFormat {
    Png,
    Svg,
}

impl fmt::Debug for Logo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Logo({:?}, {}x{}, {} bytes)",
            self.format,
            self.width,
            self.height,
            self.data.len()
        )
    }
}

impl Logo {
    /// Reads a PNG (by its signature) or else an SVG; anything else is refused.
    pub fn from_bytes(data: Vec<u8>) -> Result<Logo, RenderError> {
        const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
        let (format, width, height) = if data.starts_with(PNG) {
            let p = Pixmap::decode_png(&data)
                .map_err(|e| RenderError::Logo(format!("the PNG does not decode: {e}")))?;
            (LogoFormat::Png, p.width() as f32, p.height() as f32)
        } else {
            let tree = parse_svg(&data)?;
            let size = tree.size();
            (LogoFormat::Svg, size.width(), size.height())
        };
        if width < 1.0 || height < 1.0 {
            return Err(RenderError::Logo("the logo has no size".into()));
        }
        Ok(Logo {
            data: data.into(),
            format,
            width,
            height,
        })
    }

    /// The width the logo takes when drawn `height` px tall (at most `max_width`).
    pub fn width_at(&self, height: f32, max_width: f32) -> f32 {
        (self.width * height / self.height).min(max_width)
    }

    /// Draws the logo into the box at (`x`, `y`), `height` tall, at most `max_width`
    /// wide, keeping its proportions.
    pub fn draw(
        &self,
        pixmap: &mut Pixmap,
        x: f32,
        y: f32,
        height: f32,
        max_width: f32,
    ) -> Result<(), RenderError> {
        let scale = (height / self.height).min(max_width / self.width);
        let top = y + (height - self.height * scale) / 2.0;
        let at = Transform::from_row(scale, 0.0, 0.0, scale, x, top);
        match self.format {
            LogoFormat::Png => {
                let image = Pixmap::decode_png(&self.data)
                    .map_err(|e| RenderError::Logo(format!("the PNG does not decode: {e}")))?;
                let paint = PixmapPaint {
                    quality: tiny_skia::FilterQuality::Bicubic,
                    ..PixmapPaint::default()
                };
                pixmap.draw_pixmap(0, 0, image.as_ref(), &paint, at, None);
            }
            LogoFormat::Svg => {
                let tree = parse_svg(&self.data)?;
                resvg::render(&tree, at, &mut pixmap.as_mut());
            }
        }
        Ok(())
    }
}

fn parse_svg(data: &[u8]) -> Result<usvg::Tree, RenderError> {
    usvg::Tree::from_data(data, &super::svg_options())
        .map_err(|e| RenderError::Logo(format!("neither a PNG nor an SVG we can read: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_read_long_short_and_without_hash() {
        let cases = [
            ("#1e88e5", Color::rgb(0x1e, 0x88, 0xe5)),
            ("1E88E5", Color::rgb(0x1e, 0x88, 0xe5)),
            ("#fff", Color::rgb(255, 255, 255)),
            (" #000000 ", Color::rgb(0, 0, 0)),
        ];
        for (text, color) in cases {
            assert_eq!(Color::parse(text), Ok(color), "{text}");
        }
    }

    #[test]
    fn bad_colours_are_refused_with_the_expected_form() {
        for text in ["", "#12", "#12345g", "red", "#1234567"] {
            let err = Color::parse(text).unwrap_err();
            assert!(err.contains("#rrggbb"), "{text}: {err}");
        }
    }

    #[test]
    fn a_theme_is_three_colours_in_order() {
        let theme = Theme::parse("#000, #ffffff,#2aabee").unwrap();
        assert_eq!(theme.background, Color::rgb(0, 0, 0));
        assert_eq!(theme.foreground, Color::rgb(255, 255, 255));
        assert_eq!(theme.accent, Color::rgb(0x2a, 0xab, 0xee));
        assert!(Theme::parse("#000,#fff").is_err());
        assert!(Theme::parse("#000,#000,#fff").is_err());
    }

    #[test]
    fn the_default_text_contrasts_with_the_default_background() {
        let t = Theme::default();
        let (l1, l2) = (t.foreground.luminance(), t.background.luminance());
        assert!((l1 + 0.05) / (l2 + 0.05) > 7.0, "WCAG AAA contrast");
    }

    #[test]
    fn a_logo_is_a_png_or_an_svg_and_nothing_else() {
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="red"/></svg>"#;
        let logo = Logo::from_bytes(svg.to_vec()).unwrap();
        assert_eq!(logo.width_at(10.0, 100.0), 20.0);
        let mut png = Pixmap::new(8, 4).unwrap();
        png.fill(tiny_skia::Color::WHITE);
        let logo = Logo::from_bytes(png.encode_png().unwrap()).unwrap();
        assert_eq!(logo.width_at(10.0, 100.0), 20.0);
        assert!(Logo::from_bytes(b"GIF89a....".to_vec()).is_err());
    }
}
