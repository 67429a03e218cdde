//! PNG encoding of an [`Image`]: the smallest of the compression levels worth trying.

use super::image::Image;
use crate::error::{Error, Result};

/// Encodes `image` as an 8-bit PNG, no larger than zlib's default level makes it where that
/// pays. A fast pass (fdeflate) comes first, and is all that noise-like pixels get: deflate
/// cannot shrink them. Where the fast pass found something to compress, zlib's level 6 follows
/// (tensorboardX's Pillow uses it; fdeflate alone leaves real images larger), and for images
/// that shrink to almost nothing (plots, masks, gradients), level 9. The smallest encoding
/// wins. benches/PERFORMANCE.md has the measurements behind these choices.
pub fn encode_png(image: &Image) -> Result<Vec<u8>> {
    let mut best = encode_png_with(image, png::Compression::Fast)?;
    let raw = image.pixels.len();
    // (level, try it if the best so far is below this share of the raw pixels)
    for (compression, worth_it) in [(png::Compression::Balanced, 0.9), (png::Compression::High, 0.05)] {
        if best.len() as f64 >= worth_it * raw as f64 {
            break;
        }
        let smaller = encode_png_with(image, compression)?;
        if smaller.len() < best.len() {
            best = smaller;
        }
    }
    Ok(best)
}

/// Encodes `image` as an 8-bit PNG (1 to 4 channels: gray, gray+alpha, RGB, RGBA).
pub fn encode_png_with(image: &Image, compression: png::Compression) -> Result<Vec<u8>> {
    let color = match image.channels {
        1 => png::ColorType::Grayscale,
        2 => png::ColorType::GrayscaleAlpha,
        3 => png::ColorType::Rgb,
        4 => png::ColorType::Rgba,
        c => {
            return Err(Error::invalid("img_tensor", format!("a PNG holds 1 to 4 channels, got {c}")));
        }
    };
    let expected = (image.height as usize)
        .checked_mul(image.width as usize)
        .and_then(|n| n.checked_mul(usize::from(image.channels)));
    if expected != Some(image.pixels.len()) {
        return Err(Error::invalid(
            "img_tensor",
            format!(
                "{} pixel bytes do not fill a {}x{}x{} image",
                image.pixels.len(),
                image.height,
                image.width,
                image.channels
            ),
        ));
    }
    let mut out = Vec::with_capacity(image.pixels.len() / 2 + 256);
    let mut encoder = png::Encoder::new(&mut out, image.width, image.height);
    encoder.set_color(color);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(compression);
    let mut writer = encoder.write_header().map_err(png_error)?;
    writer.write_image_data(&image.pixels).map_err(png_error)?;
    writer.finish().map_err(png_error)?;
    Ok(out)
}

fn png_error(error: png::EncodingError) -> Error {
    match error {
        png::EncodingError::IoError(e) => Error::Io(e),
        other => Error::invalid("img_tensor", format!("PNG encoding failed: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_takes_the_smallest_level_worth_trying() {
        let size = |pixels: Vec<u8>, compression| {
            let image = Image { height: 256, width: 256, channels: 3, pixels };
            let best = encode_png(&image).unwrap().len();
            (best, encode_png_with(&image, compression).unwrap().len())
        };
        // A smooth gradient: zlib's levels find the long matches fdeflate misses.
        let gradient = (0..256 * 256 * 3).map(|i| ((i / 3 % 256 + i / 768) / 2) as u8).collect();
        let (best, fast) = size(gradient, png::Compression::Fast);
        assert!(best * 4 < fast, "{best} vs {fast}");
        // Noise: only the fast pass runs.
        let mut state = 7u32;
        let noise = (0..256 * 256 * 3)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 24) as u8
            })
            .collect();
        let (best, fast) = size(noise, png::Compression::Fast);
        assert_eq!(best, fast);
    }

    #[test]
    fn png_round_trip_and_errors() {
        let image = Image { height: 2, width: 3, channels: 4, pixels: (0..24).collect() };
        for compression in [png::Compression::Fast, png::Compression::Balanced] {
            let bytes = encode_png_with(&image, compression).unwrap();
            assert_eq!(bytes[..8], *b"\x89PNG\r\n\x1a\n");
            let mut reader = png::Decoder::new(std::io::Cursor::new(&bytes)).read_info().unwrap();
            let mut buf = vec![0; reader.output_buffer_size().unwrap()];
            let info = reader.next_frame(&mut buf).unwrap();
            assert_eq!((info.width, info.height, info.color_type), (3, 2, png::ColorType::Rgba));
            assert_eq!(buf[..info.buffer_size()], image.pixels[..]);
        }
        let short = Image { pixels: vec![0; 23], ..image.clone() };
        assert!(matches!(encode_png(&short), Err(Error::InvalidArgument { .. })));
        let five = Image { channels: 5, pixels: vec![0; 30], ..image.clone() };
        assert!(matches!(encode_png(&five), Err(Error::InvalidArgument { .. })));
        let empty = Image { height: 0, width: 3, channels: 3, pixels: vec![] };
        assert!(matches!(encode_png(&empty), Err(Error::InvalidArgument { .. })));
    }
}
