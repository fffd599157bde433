use super::*;
use crate::render::animate::{self, COUNT_FRAMES, MAX_BYTES};
use crate::render::theme::Color;

pub(crate) fn card(milestone: u64, from: u64) -> Card {
    Card {
        title: DEFAULT_TITLE.into(),
        milestone,
        from,
        label: "monthly active users".into(),
        date: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
        country: Some(
            "If it were a country, it would be the 8th most populous in the world, ahead of Bangladesh."
                .into(),
        ),
    }
}

/// The GIF's frames as the viewer sees them (each drawn over the ones before).
pub(crate) fn frames(gif_bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options.read_info(gif_bytes).expect("a valid GIF");
    let (w, h) = (decoder.width() as usize, decoder.height() as usize);
    let mut screen = vec![0u8; w * h * 4];
    let mut out = Vec::new();
    while let Some(f) = decoder.read_next_frame().expect("a valid frame") {
        for y in 0..f.height as usize {
            for x in 0..f.width as usize {
                let s = (y * f.width as usize + x) * 4;
                if f.buffer[s + 3] == 0 {
                    continue;
                }
                let t = ((y + f.top as usize) * w + x + f.left as usize) * 4;
                screen[t..t + 4].copy_from_slice(&f.buffer[s..s + 4]);
            }
        }
        out.push(screen.clone());
    }
    out
}

/// How many pixels of the band rows are (nearly) `c`.
fn ink_in_band(rgba: &[u8], c: Color) -> usize {
    let band = number_slot(200_000_000).band;
    let start = band.y() as usize * WIDTH as usize * 4;
    let end = (band.y() + band.height() as i32) as usize * WIDTH as usize * 4;
    rgba[start..end]
        .chunks_exact(4)
        .filter(|p| {
            (i32::from(p[0]) - i32::from(c.r)).abs()
                + (i32::from(p[1]) - i32::from(c.g)).abs()
                + (i32::from(p[2]) - i32::from(c.b)).abs()
                < 24
        })
        .count()
}

#[test]
fn xml_text_reads_back_as_written_and_control_characters_become_spaces() {
    let text = "a<b>&\"c'\u{1}d\ne";
    let svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg"><text title="{0}">{0}</text></svg>"#,
        xml(text)
    );
    let doc = usvg::roxmltree::Document::parse(&svg).expect("well-formed XML");
    let node = doc.descendants().find(|n| n.has_tag_name("text")).unwrap();
    assert_eq!(node.text(), Some("a<b>&\"c' d e"));
    assert_eq!(node.attribute("title"), Some("a<b>&\"c' d e"));
}

#[test]
fn the_still_card_is_a_1280_by_720_png_with_the_number_drawn() {
    let look = Look::default();

    let png = png(&card(200_000_000, 100_000_000), &look).unwrap();

    let image = Pixmap::decode_png(&png).expect("a valid PNG");
    assert_eq!((image.width(), image.height()), (WIDTH, HEIGHT));
    assert!(
        ink_in_band(image.data(), look.theme.foreground) > 20_000,
        "the big number is there"
    );
}

#[test]
fn the_animation_counts_up_in_every_frame_and_ends_on_the_still_card() {
    let look = Look::default();
    let c = card(200_000_000, 100_000_000);

    let a = animate::gif(&c, &look).unwrap();

    assert!(a.bytes.len() <= MAX_BYTES, "{} bytes", a.bytes.len());
    assert_eq!((a.width, a.height), (WIDTH, HEIGHT));
    assert_eq!(a.frames, COUNT_FRAMES);
    assert!(
        (1800..=2400).contains(&a.duration_ms),
        "{} ms",
        a.duration_ms
    );
    let frames = frames(&a.bytes);
    assert_eq!(frames.len(), a.frames);
    assert!(
        frames.windows(2).all(|w| w[0] != w[1]),
        "every frame shows a new number"
    );
    let still = Pixmap::decode_png(&png(&c, &look).unwrap()).unwrap();
    let last = frames.last().unwrap();
    let off = last
        .iter()
        .zip(still.data())
        .filter(|(a, b)| (i32::from(**a) - i32::from(**b)).abs() > 24)
        .count();
    assert!(
        off < last.len() / 200,
        "{off} channels differ from the still card"
    );
}

#[test]
fn a_first_milestone_counts_up_from_zero() {
    let a = animate::gif(&card(10_000, 0), &Look::default()).unwrap();
    let frames = frames(&a.bytes);
    let fg = Look::default().theme.foreground;
    assert!(ink_in_band(&frames[0], fg) < ink_in_band(frames.last().unwrap(), fg));
}

#[test]
fn any_milestone_up_to_the_largest_count_fits_the_card() {
    for m in [1, 999, 10_000, 1_000_000_000, u64::MAX] {
        let slot = number_slot(m);
        let width = font::width(&format_grouped(m), Weight::ExtraBold, slot.size);
        assert!(slot.x + width <= (WIDTH as f32) - MARGIN + 8.0, "{m}");
        assert!(slot.size <= NUMBER_MAX_SIZE);
    }
}

#[test]
fn long_texts_are_cut_to_fit_never_drawn_off_the_card() {
    let long = "a really long label ".repeat(10);
    let cut = fit(&long, Weight::SemiBold, 40.0, 0.0, 600.0);
    assert!(cut.ends_with('…'), "{cut}");
    assert!(font::width(&cut, Weight::SemiBold, 40.0) <= 600.0);
    let lines = wrap(&long, Weight::Regular, 30.0, 800.0, 2);
    assert_eq!(lines.len(), 2);
    assert!(
        lines
            .iter()
            .all(|l| font::width(l, Weight::Regular, 30.0) <= 800.0)
    );
}

#[test]
fn a_light_theme_and_a_logo_render_too() {
    let logo = br##"<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle cx="32" cy="32" r="30" fill="#e53935"/></svg>"##;
    let look = Look {
        theme: Theme::parse("#ffffff,#111827,#e53935").unwrap(),
        logo: Some(Logo::from_bytes(logo.to_vec()).unwrap()),
    };
    let png = png(&card(1_000_000, 500_000), &look).unwrap();
    let image = Pixmap::decode_png(&png).unwrap();
    let red = image
        .pixels()
        .iter()
        .take(WIDTH as usize * 160)
        .filter(|p| p.red() > 200 && p.green() < 90)
        .count();
    assert!(red > 1_000, "the logo is in the header ({red} red pixels)");
}
