//! The milestone card's settings: whether announcements carry one and how it looks.
//! The logo file is read and checked here, so a bad file stops the start rather
//! than a broadcast.

use super::{ConfigError, Env};
use crate::render::{CardFormat, Logo, Look, Theme};

/// How milestone cards are made.
#[derive(Debug, Clone, Default)]
pub struct CardConfig {
    /// `CARD` (default `gif`): `gif` leads each milestone announcement with the
    /// count-up (sendAnimation), `png` with the still card (sendPhoto), `off` sends
    /// text only.
    pub format: CardFormat,
    /// `CARD_THEME` (`background,foreground,accent`, default
    /// `#0e1929,#f4f7fb,#2aabee`) and `CARD_LOGO` (a PNG or SVG file; unset: none).
    pub look: Look,
}

impl CardConfig {
    pub fn from_env(env: &dyn Env) -> Result<Self, ConfigError> {
        let format = match env.get("CARD") {
            Some(raw) => raw
                .parse::<CardFormat>()
                .map_err(|problem| ConfigError::new("CARD", problem))?,
            None => CardFormat::default(),
        };
        let theme = match env.get("CARD_THEME").filter(|t| !t.trim().is_empty()) {
            Some(raw) => Theme::parse(&raw).map_err(|p| ConfigError::new("CARD_THEME", p))?,
            None => Theme::default(),
        };
        let logo = match env.get("CARD_LOGO").filter(|p| !p.trim().is_empty()) {
            Some(path) => {
                let data = std::fs::read(path.trim()).map_err(|e| {
                    ConfigError::new("CARD_LOGO", format!("cannot read {}: {e}", path.trim()))
                })?;
                Some(
                    Logo::from_bytes(data)
                        .map_err(|e| ConfigError::new("CARD_LOGO", e.to_string()))?,
                )
            }
            None => None,
        };
        Ok(CardConfig {
            format,
            look: Look { theme, logo },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::env::pairs as env;

    #[test]
    fn by_default_the_card_is_animated_in_the_default_theme_without_a_logo() {
        let c = CardConfig::from_env(&env(&[])).unwrap();
        assert_eq!(c.format, CardFormat::Gif);
        assert_eq!(c.look.theme, Theme::default());
        assert!(c.look.logo.is_none());
    }

    #[test]
    fn each_bad_setting_is_named() {
        for (var, value) in [
            ("CARD", "jpeg"),
            ("CARD_THEME", "#fff"),
            ("CARD_LOGO", "/no/such/logo.png"),
        ] {
            let err = CardConfig::from_env(&env(&[(var, value)])).unwrap_err();
            assert_eq!(err.var, var, "{err}");
        }
    }

    #[test]
    fn a_logo_that_is_neither_png_nor_svg_is_refused_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logo.txt");
        std::fs::write(&path, "not a picture").unwrap();
        let err = CardConfig::from_env(&env(&[("CARD_LOGO", path.to_str().unwrap())])).unwrap_err();
        assert_eq!(err.var, "CARD_LOGO");
    }

    #[test]
    fn png_and_off_are_read() {
        for (raw, format) in [("png", CardFormat::Png), ("off", CardFormat::Off)] {
            let c = CardConfig::from_env(&env(&[("CARD", raw)])).unwrap();
            assert_eq!(c.format, format);
        }
    }
}
