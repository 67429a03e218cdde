//! Resizing for `add_image_with_boxes(..., rescale=...)`: the separable Lanczos-3 convolution
//! Pillow's `Image.resize(size, LANCZOS)` computes (tensorboardX's resize), with the same
//! support, coefficient normalisation, 22-bit fixed-point arithmetic and pass order (horizontal,
//! then vertical), and alpha premultiplied during the resize: the pytest suite finds the pixels
//! identical to Pillow 13's.

use std::f64::consts::PI;

use crate::encode::image::Image;
use crate::error::{Error, Result};

/// Fixed-point bits of the filter weights: 8 bits of pixel and 2 of headroom in an i32.
const PRECISION_BITS: u32 = 32 - 8 - 2;
/// Lanczos-3: the sinc filter windowed over three lobes each side.
const SUPPORT: f64 = 3.0;

fn sinc(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else {
        let x = x * PI;
        x.sin() / x
    }
}

fn lanczos(x: f64) -> f64 {
    if (-SUPPORT..SUPPORT).contains(&x) { sinc(x) * sinc(x / SUPPORT) } else { 0.0 }
}

/// For each output sample, the first input sample it reads and its fixed-point weights.
struct Taps {
    first: Vec<usize>,
    weights: Vec<Vec<i32>>,
}

impl Taps {
    fn new(in_size: usize, out_size: usize) -> Taps {
        let scale = in_size as f64 / out_size as f64;
        // Downscaling widens the filter to cover every input sample (antialiasing).
        let filter_scale = scale.max(1.0);
        let support = SUPPORT * filter_scale;
        let inv_filter_scale = 1.0 / filter_scale;
        let mut first = Vec::with_capacity(out_size);
        let mut weights = Vec::with_capacity(out_size);
        for i in 0..out_size {
            let center = (i as f64 + 0.5) * scale;
            // Truncation toward zero, as C's (int) cast does.
            let start = ((center - support + 0.5) as i64).max(0) as usize;
            let end = ((center + support + 0.5) as i64).min(in_size as i64) as usize;
            let mut w: Vec<f64> =
                (start..end).map(|x| lanczos((x as f64 - center + 0.5) * inv_filter_scale)).collect();
            let total: f64 = w.iter().sum();
            if total != 0.0 {
                w.iter_mut().for_each(|v| *v /= total);
            }
            let one = f64::from(1u32 << PRECISION_BITS);
            weights.push(
                w.iter()
                    .map(|&v| if v < 0.0 { (v * one - 0.5) as i32 } else { (v * one + 0.5) as i32 })
                    .collect(),
            );
            first.push(start);
        }
        Taps { first, weights }
    }

    /// One output sample from `input(k)`, the k-th input sample from `first[i]` on.
    #[inline]
    fn apply(&self, i: usize, input: impl Fn(usize) -> u8) -> u8 {
        let mut sum: i32 = 1 << (PRECISION_BITS - 1);
        for (k, &w) in self.weights[i].iter().enumerate() {
            sum += i32::from(input(k)) * w;
        }
        (sum >> PRECISION_BITS).clamp(0, 255) as u8
    }
}

/// The most pixels a rescaled picture may have (1 GiB of RGBA).
const MAX_PIXELS: f64 = (1u64 << 28) as f64;

/// The size of a `width` x `height` picture scaled by `rescale`, truncated as tensorboardX's
/// `int(width * rescale)` is.
pub fn scaled_size(width: u32, height: u32, rescale: f64) -> Result<(u32, u32)> {
    let (w, h) = ((f64::from(width) * rescale).trunc(), (f64::from(height) * rescale).trunc());
    if !(rescale.is_finite() && rescale > 0.0) || w < 1.0 || h < 1.0 || w * h > MAX_PIXELS {
        return Err(Error::invalid(
            "rescale",
            format!(
                "expected a positive factor giving between 1 and 2^28 pixels: {rescale} makes a {height}x{width} image {h}x{w}"
            ),
        ));
    }
    Ok((w as u32, h as u32))
}

/// Resizes `image` to `width` x `height` with Lanczos-3 as Pillow does. An unchanged size is a
/// copy, as in Pillow.
pub fn resize_lanczos(image: &Image, width: u32, height: u32) -> Result<Image> {
    if width == 0 || height == 0 {
        return Err(Error::invalid(
            "rescale",
            format!("the rescaled image would be {width}x{height} pixels"),
        ));
    }
    if (width, height) == (image.width, image.height) {
        return Ok(image.clone());
    }
    let c = usize::from(image.channels);
    let (in_w, in_h) = (image.width as usize, image.height as usize);
    let (out_w, out_h) = (width as usize, height as usize);
    let premultiplied = c == 4;
    let mut source = image.pixels.clone();
    if premultiplied {
        source.chunks_exact_mut(4).for_each(premultiply);
    }

    let rows = Taps::new(in_h, out_h);
    // Horizontal pass, over only the rows the vertical pass reads.
    let (pixels, stride, row_offset) = if out_w != in_w {
        let first = rows.first[0];
        let last = rows.first[out_h - 1] + rows.weights[out_h - 1].len();
        let cols = Taps::new(in_w, out_w);
        let mut out = vec![0u8; (last - first) * out_w * c];
        for (y, out_row) in out.chunks_exact_mut(out_w * c).enumerate() {
            let in_row = &source[(first + y) * in_w * c..][..in_w * c];
            for x in 0..out_w {
                let start = cols.first[x];
                for ch in 0..c {
                    out_row[x * c + ch] = cols.apply(x, |k| in_row[(start + k) * c + ch]);
                }
            }
        }
        (out, out_w * c, first)
    } else {
        (source, in_w * c, 0)
    };
    // Vertical pass.
    let mut pixels = if out_h != in_h {
        let mut out = vec![0u8; out_h * stride];
        for (y, out_row) in out.chunks_exact_mut(stride).enumerate() {
            let start = rows.first[y] - row_offset;
            for (i, sample) in out_row.iter_mut().enumerate() {
                *sample = rows.apply(y, |k| pixels[(start + k) * stride + i]);
            }
        }
        out
    } else {
        pixels
    };
    if premultiplied {
        pixels.chunks_exact_mut(4).for_each(unpremultiply);
    }
    Ok(Image { height, width, channels: image.channels, pixels })
}

/// RGBA -> premultiplied RGBa, rounding as Pillow's `MULDIV255`.
fn premultiply(pixel: &mut [u8]) {
    let alpha = u32::from(pixel[3]);
    for v in &mut pixel[..3] {
        let t = u32::from(*v) * alpha + 128;
        *v = (((t >> 8) + t) >> 8) as u8;
    }
}

/// Premultiplied RGBa -> RGBA, as Pillow converts back.
fn unpremultiply(pixel: &mut [u8]) {
    let alpha = u32::from(pixel[3]);
    if alpha != 0 && alpha != 255 {
        for v in &mut pixel[..3] {
            *v = (255 * u32::from(*v) / alpha).min(255) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(height: u32, width: u32, channels: u8, f: impl Fn(usize, usize, usize) -> u8) -> Image {
        let c = usize::from(channels);
        let pixels = (0..height as usize * width as usize * c)
            .map(|i| f(i / c / width as usize, i / c % width as usize, i % c))
            .collect();
        Image { height, width, channels, pixels }
    }

    #[test]
    fn constant_images_stay_constant() {
        let flat = image(7, 9, 3, |_, _, c| [10, 200, 255][c]);
        for (w, h) in [(18, 14), (4, 3), (9, 20), (30, 7), (1, 1)] {
            let out = resize_lanczos(&flat, w, h).unwrap();
            assert_eq!((out.width, out.height, out.channels), (w, h, 3));
            assert!(out.pixels.chunks_exact(3).all(|p| p == [10, 200, 255]), "{w}x{h}");
        }
    }

    #[test]
    fn same_size_is_a_copy_and_zero_is_refused() {
        let x = image(3, 4, 4, |y, x, c| (y * 40 + x * 10 + c) as u8);
        assert_eq!(resize_lanczos(&x, 4, 3).unwrap(), x);
        for (w, h) in [(0, 3), (4, 0)] {
            assert!(matches!(resize_lanczos(&x, w, h), Err(Error::InvalidArgument { arg: "rescale", .. })));
        }
    }

    #[test]
    fn scaled_sizes_truncate() {
        assert_eq!(scaled_size(10, 7, 1.5).unwrap(), (15, 10));
        assert_eq!(scaled_size(10, 7, 0.19).unwrap(), (1, 1));
        assert_eq!(scaled_size(10, 7, 1.0).unwrap(), (10, 7));
        for bad in [0.0, -1.0, 0.05, f64::NAN, f64::INFINITY, 1e6] {
            assert!(
                matches!(scaled_size(10, 7, bad), Err(Error::InvalidArgument { arg: "rescale", .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn weights_sum_to_one() {
        for (from, to) in [(10, 3), (3, 10), (100, 99), (1, 5), (5, 1)] {
            let taps = Taps::new(from, to);
            for (i, w) in taps.weights.iter().enumerate() {
                let total: i32 = w.iter().sum();
                assert!(
                    (total - (1 << PRECISION_BITS)).abs() <= w.len() as i32,
                    "{from}->{to} #{i}: {total}"
                );
                assert!(taps.first[i] + w.len() <= from);
            }
        }
    }

    #[test]
    fn downscaling_averages_and_upscaling_rings() {
        // A 1-pixel checkerboard halves to mid-grey.
        let board = image(8, 8, 3, |y, x, _| if (x + y) % 2 == 0 { 255 } else { 0 });
        let half = resize_lanczos(&board, 4, 4).unwrap();
        assert!(half.pixels.iter().all(|&v| (120..=135).contains(&v)), "{:?}", half.pixels);
        // A step edge overshoots on both sides when upscaled (Lanczos' ringing), clipped to 0/255.
        let step = image(1, 4, 3, |_, x, _| if x < 2 { 50 } else { 200 });
        let up = resize_lanczos(&step, 16, 1).unwrap();
        let row: Vec<u8> = up.pixels.chunks_exact(3).map(|p| p[0]).collect();
        assert!(row.iter().any(|&v| v < 50) && row.iter().any(|&v| v > 200), "{row:?}");
    }

    #[test]
    fn alpha_is_premultiplied() {
        // A transparent pixel's colour must not bleed into its opaque neighbour.
        let x = image(1, 2, 4, |_, x, c| match (x, c) {
            (0, 3) => 255,
            (0, _) => 0,
            (_, 3) => 0,
            _ => 255,
        });
        let out = resize_lanczos(&x, 8, 1).unwrap();
        assert_eq!(&out.pixels[..4], [0, 0, 0, 255]);
        let mut p = [200, 100, 0, 128];
        premultiply(&mut p);
        assert_eq!(p, [100, 50, 0, 128]);
        unpremultiply(&mut p);
        assert_eq!(p, [199, 99, 0, 128]);
    }
}
