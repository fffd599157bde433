//! The card's and the chart's typeface, shipped in `assets/fonts` (Open Sans, SIL
//! Open Font License 1.1, `assets/fonts/OFL.txt`) and compiled into the binary: a
//! fresh machine has no fonts, and a picture must not change with the host's.

use ab_glyph::{Font, FontRef};
use resvg::usvg::fontdb;
use std::sync::{Arc, LazyLock, Once};

/// The family name the SVG templates ask for.
pub const FAMILY: &str = "Open Sans";

/// A weight we ship, as the SVG `font-weight` it answers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    Regular = 400,
    SemiBold = 600,
    Bold = 700,
    ExtraBold = 800,
}

const REGULAR: &[u8] = include_bytes!("../../assets/fonts/OpenSans-Regular.ttf");
const SEMIBOLD: &[u8] = include_bytes!("../../assets/fonts/OpenSans-SemiBold.ttf");
const BOLD: &[u8] = include_bytes!("../../assets/fonts/OpenSans-Bold.ttf");
const EXTRABOLD: &[u8] = include_bytes!("../../assets/fonts/OpenSans-ExtraBold.ttf");

impl Weight {
    fn bytes(self) -> &'static [u8] {
        match self {
            Weight::Regular => REGULAR,
            Weight::SemiBold => SEMIBOLD,
            Weight::Bold => BOLD,
            Weight::ExtraBold => EXTRABOLD,
        }
    }

    /// The face, parsed once.
    pub fn face(self) -> &'static FontRef<'static> {
        static FACES: LazyLock<[FontRef<'static>; 4]> = LazyLock::new(|| {
            [
                Weight::Regular,
                Weight::SemiBold,
                Weight::Bold,
                Weight::ExtraBold,
            ]
            .map(|w| FontRef::try_from_slice(w.bytes()).expect("the shipped font parses"))
        });
        let i = match self {
            Weight::Regular => 0,
            Weight::SemiBold => 1,
            Weight::Bold => 2,
            Weight::ExtraBold => 3,
        };
        &FACES[i]
    }
}

/// The width of `text` set at `size` px (the em size, as SVG's `font-size`), with
/// the font's kerning pairs; what a line needs to be laid out before it is drawn.
pub fn width(text: &str, weight: Weight, size: f32) -> f32 {
    let face = weight.face();
    let per_unit = size / face.units_per_em().unwrap_or(1000.0);
    let mut units = 0.0;
    let mut previous = None;
    for c in text.chars() {
        let glyph = face.glyph_id(c);
        units += face.h_advance_unscaled(glyph);
        if let Some(p) = previous {
            units += face.kern_unscaled(p, glyph);
        }
        previous = Some(glyph);
    }
    units * per_unit
}

/// Ascent and descent (positive below the baseline) at `size` px.
pub fn vertical_metrics(weight: Weight, size: f32) -> (f32, f32) {
    let face = weight.face();
    let per_unit = size / face.units_per_em().unwrap_or(1000.0);
    (
        face.ascent_unscaled() * per_unit,
        -face.descent_unscaled() * per_unit,
    )
}

/// The font database the SVG renderer uses: our faces only, no system fonts.
pub fn database() -> Arc<fontdb::Database> {
    static DB: LazyLock<Arc<fontdb::Database>> = LazyLock::new(|| {
        let mut db = fontdb::Database::new();
        for w in [
            Weight::Regular,
            Weight::SemiBold,
            Weight::Bold,
            Weight::ExtraBold,
        ] {
            db.load_font_data(w.bytes().to_vec());
        }
        db.set_sans_serif_family(FAMILY);
        Arc::new(db)
    });
    DB.clone()
}

/// Gives plotters our faces under the name `sans-serif` (once per process).
pub fn register_with_plotters() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        use plotters::style::FontStyle;
        for (style, bytes) in [(FontStyle::Normal, REGULAR), (FontStyle::Bold, BOLD)] {
            plotters::style::register_font("sans-serif", style, bytes)
                .unwrap_or_else(|_| panic!("the shipped font registers"));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_weight_parses_and_has_digits() {
        for w in [
            Weight::Regular,
            Weight::SemiBold,
            Weight::Bold,
            Weight::ExtraBold,
        ] {
            assert!(width("0123456789", w, 100.0) > 100.0, "{w:?}");
        }
    }

    #[test]
    fn digits_are_tabular_so_a_counting_number_does_not_jitter() {
        for w in [Weight::Regular, Weight::ExtraBold] {
            let zero = width("0", w, 100.0);
            for d in '1'..='9' {
                let got = width(&d.to_string(), w, 100.0);
                assert!(
                    (got - zero).abs() < 0.01,
                    "{w:?}: {d} is {got}, 0 is {zero}"
                );
            }
        }
    }

    #[test]
    fn the_database_holds_only_the_shipped_faces() {
        let db = database();
        assert_eq!(db.len(), 4);
        assert!(
            db.faces()
                .all(|f| f.families.iter().any(|(n, _)| n == FAMILY))
        );
    }
}
