//! Boxes and labels for `add_image_with_boxes`, drawn where tensorboardX's Pillow calls draw
//! them: each box is `ImageDraw.line` through its corners (red, width 2), each label a red filled
//! rectangle above the box's bottom edge with black text.
//!
//! The box pixels equal Pillow's: a width-2 line from (x0, y0) to (x1, y1) on whole-pixel
//! coordinates (truncated toward zero) is the rectangle spanned by the segment and the segment
//! shifted one pixel to the left of its direction (`ImagingDrawWideLine` for axis-aligned
//! segments); a zero-length segment is one pixel. Labels use the public-domain 8x8 bitmap font of
//! the `font8x8` crate instead of Pillow's default font, so their text differs from
//! tensorboardX's (the rectangle follows the same rule, sized for 8x8 glyphs).

use font8x8::UnicodeFonts;

use crate::encode::image::Image;

const RED: [u8; 4] = [255, 0, 0, 255];
const BLACK: [u8; 4] = [0, 0, 0, 255];
/// Glyph cell size of the label font.
const GLYPH: i64 = 8;
/// Coordinates beyond this are clamped: nothing that far out can touch a picture.
const FAR: f64 = (1u64 << 40) as f64;

/// A box `[xmin, ymin, xmax, ymax]` in pixels, as tensorboardX takes them.
pub type BoxCorners = [f64; 4];

/// Draws `boxes` (and the label of each, when `labels` is given) on an RGB or RGBA `image`.
pub fn draw_boxes(image: &mut Image, boxes: &[BoxCorners], labels: Option<&[String]>) {
    for (i, &[left, top, right, bottom]) in boxes.iter().enumerate() {
        let corners = [(left, top), (left, bottom), (right, bottom), (right, top), (left, top)];
        for pair in corners.windows(2) {
            wide_line(image, pixel(pair[0]), pixel(pair[1]));
        }
        if let Some(text) = labels.and_then(|labels| labels.get(i)).filter(|t| !t.is_empty()) {
            draw_label(image, left, bottom, text);
        }
    }
}

/// A point on whole pixels, truncated toward zero as Pillow's C code casts it.
fn pixel((x, y): (f64, f64)) -> (i64, i64) {
    (x.clamp(-FAR, FAR) as i64, y.clamp(-FAR, FAR) as i64)
}

/// Pillow's width-2 line between two points of an axis-aligned box.
fn wide_line(image: &mut Image, (x0, y0): (i64, i64), (x1, y1): (i64, i64)) {
    let (dx, dy) = (x1 - x0, y1 - y0);
    if dx == 0 {
        // Vertical (or a point): one more column on the side dy points to, turned clockwise.
        let s = dy.signum();
        fill(image, x0.min(x0 + s), y0.min(y1), x0.max(x0 + s), y0.max(y1), RED);
    } else if dy == 0 {
        let s = dx.signum();
        fill(image, x0.min(x1), y0.min(y0 + s), x0.max(x1), y0.max(y0 + s), RED);
    } else {
        unreachable!("box edges are axis-aligned");
    }
}

/// tensorboardX's label: a red rectangle from the box's bottom-left corner up, the text's width
/// wide and its height plus two margins tall, with the text one margin inside it.
fn draw_label(image: &mut Image, left: f64, bottom: f64, text: &str) {
    let chars = text.chars().count() as f64;
    let (text_w, text_h) = (GLYPH as f64 * chars, GLYPH as f64);
    let margin = (0.05 * text_h).ceil();
    let (x0, y0) = pixel((left, bottom - text_h - 2.0 * margin));
    let (x1, y1) = pixel((left + text_w, bottom));
    fill(image, x0, y0, x1, y1, RED);
    let (tx, ty) = pixel((left + margin, bottom - text_h - margin));
    for (i, c) in text.chars().enumerate() {
        let rows = glyph(c);
        for (gy, bits) in rows.iter().enumerate() {
            for gx in 0..GLYPH {
                if bits >> gx & 1 == 1 {
                    let x = tx + i as i64 * GLYPH + gx;
                    put(image, x, ty + gy as i64, BLACK);
                }
            }
        }
    }
}

/// The 8x8 glyph of `c` (rows top down, bit 0 the leftmost pixel); `?` when the font lacks it.
fn glyph(c: char) -> [u8; 8] {
    let fonts: [&dyn Fn(char) -> Option<[u8; 8]>; 6] = [
        &|c| font8x8::BASIC_FONTS.get(c),
        &|c| font8x8::LATIN_FONTS.get(c),
        &|c| font8x8::GREEK_FONTS.get(c),
        &|c| font8x8::BOX_FONTS.get(c),
        &|c| font8x8::BLOCK_FONTS.get(c),
        &|c| font8x8::HIRAGANA_FONTS.get(c),
    ];
    fonts.iter().find_map(|get| get(c)).or_else(|| font8x8::BASIC_FONTS.get('?')).unwrap_or([0; 8])
}

/// Fills the inclusive rectangle [x0, x1] x [y0, y1], clipped to the picture.
fn fill(image: &mut Image, x0: i64, y0: i64, x1: i64, y1: i64, color: [u8; 4]) {
    let (w, h) = (i64::from(image.width), i64::from(image.height));
    let (x0, x1, y0, y1) = (x0.max(0), x1.min(w - 1), y0.max(0), y1.min(h - 1));
    if x0 > x1 || y0 > y1 {
        return;
    }
    let c = usize::from(image.channels);
    for y in y0..=y1 {
        let row = (y * w) as usize * c;
        for px in image.pixels[row + x0 as usize * c..row + (x1 as usize + 1) * c].chunks_exact_mut(c) {
            px.copy_from_slice(&color[..c]);
        }
    }
}

fn put(image: &mut Image, x: i64, y: i64, color: [u8; 4]) {
    fill(image, x, y, x, y, color);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blank(height: u32, width: u32, channels: u8) -> Image {
        Image { height, width, channels, pixels: vec![0; (height * width) as usize * usize::from(channels)] }
    }

    /// The picture as rows of '#' (red), '.' (black) and ' ' (anything else).
    fn ascii(image: &Image) -> Vec<String> {
        let c = usize::from(image.channels);
        image
            .pixels
            .chunks_exact(image.width as usize * c)
            .map(|row| {
                row.chunks_exact(c)
                    .map(|p| match p[..3] {
                        [255, 0, 0] => '#',
                        [0, 0, 0] => '.',
                        _ => ' ',
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn boxes_match_pillow() {
        // Pillow 13's ImageDraw.line(width=2) for these boxes on a 10x12 black image.
        let cases: [(BoxCorners, [&str; 8]); 5] = [
            (
                [2.0, 2.0, 8.0, 6.0],
                [
                    "............",
                    "..#######...",
                    "..#######...",
                    "..##...##...",
                    "..##...##...",
                    "..##...##...",
                    "..#######...",
                    "..#######...",
                ],
            ),
            // Corners given the other way round draw the same pixels.
            (
                [8.0, 6.0, 2.0, 2.0],
                [
                    "............",
                    "..#######...",
                    "..#######...",
                    "..##...##...",
                    "..##...##...",
                    "..##...##...",
                    "..#######...",
                    "..#######...",
                ],
            ),
            // Fractions are truncated; a degenerate box is a 3-wide column.
            (
                [2.0, 2.0, 2.0, 7.0],
                [
                    "............",
                    "............",
                    ".###........",
                    ".###........",
                    ".###........",
                    ".###........",
                    ".###........",
                    ".###........",
                ],
            ),
            (
                [3.0, 3.0, 3.0, 3.0],
                [
                    "............",
                    "............",
                    "............",
                    "...#........",
                    "............",
                    "............",
                    "............",
                    "............",
                ],
            ),
            // Clipped at the picture's edges.
            (
                [-2.0, -3.0, 5.0, 4.0],
                [
                    "....##......",
                    "....##......",
                    "....##......",
                    "....##......",
                    "######......",
                    "######......",
                    "............",
                    "............",
                ],
            ),
        ];
        for (corners, expected) in cases {
            let mut image = blank(10, 12, 3);
            draw_boxes(&mut image, &[corners], None);
            let rows = ascii(&image);
            assert_eq!(rows[..8], expected, "{corners:?}");
            assert!(rows[8..].iter().all(|r| r == "............"), "{corners:?}");
        }
        let mut image = blank(10, 12, 3);
        draw_boxes(&mut image, &[[2.7, 2.2, 8.9, 6.5]], None);
        let mut same = blank(10, 12, 3);
        draw_boxes(&mut same, &[[2.0, 2.0, 8.0, 6.0]], None);
        assert_eq!(image, same);
    }

    #[test]
    fn rgba_boxes_are_opaque_and_far_boxes_harmless() {
        let mut image = blank(6, 6, 4);
        draw_boxes(&mut image, &[[0.0, 0.0, 5.0, 5.0], [1e300, -1e300, f64::MAX, 5.0]], None);
        assert_eq!(&image.pixels[..4], RED);
        let rows = ["######", "##..##", "##..##", "##..##", "##..##", "######"];
        assert_eq!(ascii(&image), rows.map(String::from));
    }

    #[test]
    fn labels_sit_on_the_bottom_edge() {
        let mut image = blank(30, 40, 3);
        draw_boxes(&mut image, &[[5.0, 5.0, 30.0, 25.0]], Some(&["Hi".to_string()]));
        let rows = ascii(&image);
        // The rectangle spans x 5..=21 (2 glyphs) and y 15..=25 (8 px and a 1 px margin each side).
        assert_eq!(&rows[15][5..23], "#################.");
        assert_eq!(&rows[14][7..23], "................", "nothing above the label");
        // The text is black on red, one margin inside: rows 16..24 from x 6 on.
        let text = &rows[16..24];
        let black: usize = text.iter().map(|r| r[6..22].matches('.').count()).sum();
        assert!(black > 10, "{rows:#?}");
        assert!(text.iter().all(|r| r.as_bytes()[22] == b'.'), "the text stays inside");
        // No label for an empty string; labels beyond the boxes are ignored.
        let mut plain = blank(30, 40, 3);
        draw_boxes(&mut plain, &[[5.0, 5.0, 30.0, 25.0]], Some(&[String::new(), "x".into()]));
        let mut expected = blank(30, 40, 3);
        draw_boxes(&mut expected, &[[5.0, 5.0, 30.0, 25.0]], None);
        assert_eq!(plain, expected);
    }

    #[test]
    fn unknown_characters_draw_a_question_mark() {
        assert_eq!(glyph('\u{1F600}'), glyph('?'));
        assert_ne!(glyph('é'), glyph('?'));
        assert_ne!(glyph('A'), [0; 8]);
    }
}
