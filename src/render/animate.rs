//! The count-up: the card with its number rising from the previous milestone (or
//! zero) to this one, easing out, then the still card held, encoded as a GIF.
//!
//! Quick and small because the frames share almost everything: the steady layer is
//! drawn once, each frame redraws only the number's band, every frame uses one
//! palette (the still card's colours, with the theme's exact colours pinned), and
//! after the first frame only the pixels that changed are stored.

mod palette;

use super::RenderError;
use super::card::{Canvas, Card, HEIGHT, Look, WIDTH};
use palette::Palette;
use std::borrow::Cow;

/// Frames from the first number to the milestone, both included.
pub const COUNT_FRAMES: usize = 18;
/// Each counting frame shows for 60 ms…
pub const FRAME_DELAY_CS: u16 = 6;
/// …and the still card for a second, about 2 s in all.
pub const HOLD_CS: u16 = 100;
/// The most a card may weigh; Telegram takes far more, channels load it faster.
pub const MAX_BYTES: usize = 1 << 20;

/// The palette index left for "unchanged since the previous frame".
const TRANSPARENT: u8 = 255;

/// An encoded count-up.
#[derive(Debug, Clone)]
pub struct Animation {
    pub bytes: Vec<u8>,
    pub frames: usize,
    /// Sum of the frame delays.
    pub duration_ms: u32,
    pub width: u32,
    pub height: u32,
}

/// The numbers shown, easing out (fast at first, settling on `to`): starts at
/// `from`, ends at `to`, never goes down. A `from` above `to` counts from zero.
pub fn count_up(from: u64, to: u64, frames: usize) -> Vec<u64> {
    let from = if from > to { 0 } else { from };
    let frames = frames.max(2);
    let span = (to - from) as f64;
    (0..frames)
        .map(|i| {
            let t = i as f64 / (frames - 1) as f64;
            let eased = 1.0 - (1.0 - t).powi(3);
            let v = from + (span * eased).round() as u64;
            if i == frames - 1 { to } else { v.min(to) }
        })
        .collect()
}

/// Renders and encodes the count-up; fails rather than exceed [`MAX_BYTES`].
pub fn gif(card: &Card, look: &Look) -> Result<Animation, RenderError> {
    let canvas = Canvas::new(card, look)?;
    let values = count_up(card.from, card.milestone, COUNT_FRAMES);
    let still = canvas.with(card.milestone)?;
    let t = &look.theme;
    let mut palette = Palette::learn(&still, &[t.background, t.foreground, t.accent]);

    let mut out = Vec::with_capacity(256 * 1024);
    let mut encoder = gif::Encoder::new(&mut out, WIDTH as u16, HEIGHT as u16, &palette.rgb())
        .map_err(encode_error)?;
    encoder
        .set_repeat(gif::Repeat::Infinite)
        .map_err(encode_error)?;

    let band = canvas.slot.band;
    let first = canvas.with(values[0])?;
    let first_indices = palette.map(&first);
    let band_start = band.y() as usize * WIDTH as usize;
    let band_len = band.height() as usize * WIDTH as usize;
    let mut shown: Vec<u8> = first_indices[band_start..band_start + band_len].to_vec();
    // Frames are written one step late, so a value repeated (small spans) only
    // lengthens the frame before it.
    let mut pending = gif::Frame {
        width: WIDTH as u16,
        height: HEIGHT as u16,
        buffer: Cow::Owned(first_indices),
        ..gif::Frame::default()
    };
    let mut frames = 0;
    let mut duration_cs = 0u32;
    for (i, &value) in values.iter().enumerate().skip(1) {
        let delay = if i == values.len() - 1 {
            HOLD_CS
        } else {
            FRAME_DELAY_CS
        };
        let pixels = canvas.band_with(value)?;
        let indices = palette.map(&pixels);
        let Some(change) = Change::between(&shown, &indices, band.width() as usize) else {
            pending.delay += delay;
            continue;
        };
        pending.delay = pending.delay.max(FRAME_DELAY_CS);
        duration_cs += u32::from(pending.delay);
        encoder.write_frame(&pending).map_err(encode_error)?;
        frames += 1;
        pending = change.frame(&indices, band.y() as u16, band.width() as usize);
        pending.delay = delay;
        shown = indices;
    }
    if frames == 0 {
        pending.delay = HOLD_CS;
    }
    duration_cs += u32::from(pending.delay);
    encoder.write_frame(&pending).map_err(encode_error)?;
    frames += 1;
    drop(encoder);
    if out.len() > MAX_BYTES {
        return Err(RenderError::TooLarge {
            bytes: out.len(),
            limit: MAX_BYTES,
        });
    }
    Ok(Animation {
        bytes: out,
        frames,
        duration_ms: duration_cs * 10,
        width: WIDTH,
        height: HEIGHT,
    })
}

fn encode_error(e: gif::EncodingError) -> RenderError {
    RenderError::Encode(e.to_string())
}

/// The rectangle of a band that changed from one frame to the next.
struct Change {
    left: usize,
    right: usize,
    top: usize,
    bottom: usize,
}

impl Change {
    fn between(before: &[u8], after: &[u8], width: usize) -> Option<Change> {
        let mut change: Option<Change> = None;
        for (row, (b, a)) in before.chunks(width).zip(after.chunks(width)).enumerate() {
            let Some(first) = b.iter().zip(a).position(|(x, y)| x != y) else {
                continue;
            };
            let last = width
                - 1
                - b.iter()
                    .rev()
                    .zip(a.iter().rev())
                    .position(|(x, y)| x != y)?;
            let c = change.get_or_insert(Change {
                left: first,
                right: last,
                top: row,
                bottom: row,
            });
            c.left = c.left.min(first);
            c.right = c.right.max(last);
            c.bottom = row;
        }
        change
    }

    /// A frame of just this rectangle; pixels equal to what is shown are left
    /// transparent, which LZW packs into almost nothing.
    fn frame(&self, indices: &[u8], band_top: u16, width: usize) -> gif::Frame<'static> {
        let w = self.right - self.left + 1;
        let h = self.bottom - self.top + 1;
        let mut buffer = Vec::with_capacity(w * h);
        for row in self.top..=self.bottom {
            buffer.extend_from_slice(&indices[row * width + self.left..=row * width + self.right]);
        }
        gif::Frame {
            left: self.left as u16,
            top: band_top + self.top as u16,
            width: w as u16,
            height: h as u16,
            buffer: Cow::Owned(buffer),
            dispose: gif::DisposalMethod::Keep,
            transparent: Some(TRANSPARENT),
            ..gif::Frame::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_count_starts_at_the_previous_milestone_and_ends_on_this_one() {
        for (from, to) in [(100_000_000, 200_000_000), (0, 10_000), (5, 7), (9, 9)] {
            let v = count_up(from, to, COUNT_FRAMES);
            assert_eq!(v.len(), COUNT_FRAMES);
            assert_eq!(v[0], from, "{from}→{to}");
            assert_eq!(*v.last().unwrap(), to, "{from}→{to}");
            assert!(v.windows(2).all(|w| w[0] <= w[1]), "{v:?}");
        }
    }

    #[test]
    fn the_count_eases_out_so_the_last_steps_are_the_smallest() {
        let v = count_up(0, 1_000_000, 10);
        let steps: Vec<u64> = v.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(steps.windows(2).all(|s| s[0] >= s[1]), "{steps:?}");
    }

    #[test]
    fn a_previous_milestone_above_this_one_counts_from_zero() {
        assert_eq!(count_up(500, 100, 3)[0], 0);
    }

    #[test]
    fn only_the_changed_rectangle_is_a_new_frame() {
        let before = [0u8, 0, 0, 0, 0, 0, 0, 0, 0];
        let after = [0u8, 0, 0, 0, 1, 2, 0, 0, 0];
        let c = Change::between(&before, &after, 3).unwrap();
        assert_eq!((c.left, c.right, c.top, c.bottom), (1, 2, 1, 1));
        assert!(Change::between(&before, &before, 3).is_none());
    }
}
