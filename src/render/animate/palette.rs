//! One palette for every frame of the count-up: 255 colours learnt from the still
//! card (index 255 means "unchanged"), with the theme's exact colours pinned, and a
//! cache from colour to index so mapping a frame is a table look-up.

use crate::render::theme::Color;
use resvg::tiny_skia::Pixmap;

/// 255 colours learnt from the still card (index 255 is "transparent"), and a
/// cache from 18-bit colour to index so mapping a frame is a table look-up.
pub(super) struct Palette {
    colors: Vec<[u8; 3]>,
    cache: Vec<u16>,
}

impl Palette {
    pub(super) fn learn(still: &Pixmap, exact: &[Color]) -> Palette {
        // A flat design: every fourth row, every 20th pixel of it, is plenty to
        // learn from.
        let width = still.width() as usize * 4;
        let sample: Vec<u8> = still
            .data()
            .chunks(width)
            .step_by(4)
            .flatten()
            .copied()
            .collect();
        let nq = color_quant::NeuQuant::new(20, 255, &sample);
        let mut colors: Vec<[u8; 3]> = nq
            .color_map_rgb()
            .chunks(3)
            .map(|c| [c[0], c[1], c[2]])
            .collect();
        // The theme's colours cover most of the card: give them their exact value.
        let mut pinned = Vec::new();
        for c in exact {
            let want = [c.r, c.g, c.b];
            if let Some(i) = nearest(&colors, want, &pinned) {
                colors[i] = want;
                pinned.push(i);
            }
        }
        Palette {
            colors,
            cache: vec![u16::MAX; 1 << 18],
        }
    }

    /// The global colour table: 256 entries, the last one unused (transparent).
    pub(super) fn rgb(&self) -> Vec<u8> {
        let mut out: Vec<u8> = self.colors.iter().flatten().copied().collect();
        out.resize(256 * 3, 0);
        out
    }

    /// Palette indices of an opaque pixmap.
    pub(super) fn map(&mut self, pixmap: &Pixmap) -> Vec<u8> {
        pixmap
            .data()
            .chunks_exact(4)
            .map(|p| {
                let key = (usize::from(p[0] >> 2) << 12)
                    | (usize::from(p[1] >> 2) << 6)
                    | usize::from(p[2] >> 2);
                let cached = self.cache[key];
                if cached != u16::MAX {
                    return cached as u8;
                }
                let i = nearest(&self.colors, [p[0], p[1], p[2]], &[]).unwrap_or(0);
                self.cache[key] = i as u16;
                i as u8
            })
            .collect()
    }
}

/// The index of the colour closest to `want`, skipping `taken`.
fn nearest(colors: &[[u8; 3]], want: [u8; 3], taken: &[usize]) -> Option<usize> {
    colors
        .iter()
        .enumerate()
        .filter(|(i, _)| !taken.contains(i))
        .min_by_key(|(_, c)| {
            (0..3)
                .map(|k| {
                    let d = i32::from(c[k]) - i32::from(want[k]);
                    d * d
                })
                .sum::<i32>()
        })
        .map(|(i, _)| i)
}
