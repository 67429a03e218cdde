//! Video for `add_video`: tensorboardX's frame tiling (`_prepare_video`) and the `x * 255`
//! scaling, encoded as an animated GIF that loops forever (what tensorboardX gets from moviepy).
//!
//! Palettes: a frame with at most 256 distinct colours is stored exactly (its own palette). A
//! frame with more is quantised to 256 colours by NeuQuant (the `gif` crate's, at
//! [`NEUQUANT_SPEED`]), which has no hard per-pixel bound: measured per channel, a smooth 64x64
//! gradient is off by 8 levels on average (40 at most), uniform noise (the worst case) by 18
//! (79 at most). moviepy's quantiser (Pillow's median cut) gives 4 (14) and 13 (67).

use std::collections::HashMap;

use half::f16;
use ndarray::{ArrayView4, ArrayViewD, Axis, Ix5};

use crate::encode::image::{self, Image, Pixel};
use crate::error::{Error, Result};
use crate::parallel::{map_parts, threads_for};

/// NeuQuant's sampling factor for frames of more than 256 colours: 1 is the slowest and best,
/// 30 the fastest; 10 is the `gif` crate's recommended compromise.
pub const NEUQUANT_SPEED: i32 = 10;

/// Pixels per thread below which a video's frames are encoded on one thread (a 64x64 frame
/// takes about a millisecond to quantise, a thread tens of microseconds to start).
const PIXELS_PER_THREAD: usize = 1 << 13;

/// A video element as tensorboardX scales it to 8 bits.
///
/// `_prepare_video` pads a batch whose size is not a power of two with float64 zeros, which
/// promotes the whole tensor to float64 before `* 255`: [`VideoPixel::to_pixel_f64`] is that
/// path, [`Pixel::to_pixel`] the other. They differ for `f16` products that round up to an
/// integer in half precision (`f32` products in [0, 1] never do, but `f32` follows the same path). uint8 input goes through `x / 255 * 255` in float32,
/// which gives every value back exactly on both paths.
pub trait VideoPixel: Pixel {
    fn to_pixel_f64(self) -> u8 {
        self.to_pixel()
    }
}

impl VideoPixel for f32 {
    fn to_pixel_f64(self) -> u8 {
        (f64::from(self) * 255.0) as u8
    }
}

impl VideoPixel for f16 {
    fn to_pixel_f64(self) -> u8 {
        (f64::from(self.to_f32()) * 255.0) as u8
    }
}

macro_rules! video_pixel {
    ($($t:ty),*) => {$( impl VideoPixel for $t {} )*};
}
video_pixel!(u8, f64, bool, i8, i16, i32, i64, u16, u32, u64);

/// The frames of a video, each the batch tiled into one RGB picture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Video {
    pub height: u32,
    pub width: u32,
    /// The input's channels (1, 3 or 4), recorded as `Summary.Image.colorspace` as tensorboardX
    /// does; the frames themselves are always RGB (gray repeated, alpha dropped, as moviepy does).
    pub channels: u8,
    /// `height * width * 3` bytes per frame, HWC.
    pub frames: Vec<Vec<u8>>,
}

/// Converts a 5-D video tensor as tensorboardX's `add_video` does.
///
/// `dataformats` names every axis once (a permutation of `NTCHW`, any case). The batch of N videos
/// is tiled into each frame on a grid of `2^((bit_length(N) - 1) / 2)` rows, with N padded with
/// black videos to the next power of two (N = 3 gives one row of 4).
pub fn from_array<T: VideoPixel>(array: ArrayViewD<'_, T>, dataformats: &str) -> Result<Video> {
    let shape = array.shape().to_vec();
    if shape.len() != 5 {
        return Err(Error::invalid(
            "vid_tensor",
            format!("expected a 5-D video tensor (NTCHW), got {}-D with shape {shape:?}", shape.len()),
        ));
    }
    let perm = image::axis_order(dataformats, "NTCHW", &shape)?;
    let video = array
        .permuted_axes(perm)
        .into_dimensionality::<Ix5>()
        .map_err(|e| Error::invalid("vid_tensor", format!("cannot view the tensor as NTCHW: {e}")))?;
    let (n, t, c, h, w) = video.dim();
    if !matches!(c, 1 | 3 | 4) {
        return Err(Error::invalid(
            "vid_tensor",
            format!(
                "expected 1 (grayscale), 3 (RGB) or 4 (RGBA) channels on the C axis of dataformats {dataformats:?}, got {c} (shape {shape:?})"
            ),
        ));
    }
    if n == 0 || t == 0 || h == 0 || w == 0 {
        return Err(Error::invalid(
            "vid_tensor",
            format!("the video tensor is empty (shape {shape:?}, dataformats {dataformats:?})"),
        ));
    }
    let padded = n.next_power_of_two();
    let bit_length = usize::BITS - n.leading_zeros();
    let n_rows = 1usize << ((bit_length - 1) / 2);
    let n_cols = padded / n_rows;
    let frames: Vec<ArrayView4<'_, T>> = video.axis_iter(Axis(1)).collect();
    let tiled = if padded == n {
        tile(&frames, n_rows, n_cols, T::converter())?
    } else {
        tile(&frames, n_rows, n_cols, T::to_pixel_f64)?
    };
    let (height, width) = (tiled[0].height, tiled[0].width);
    let frames = tiled.into_iter().map(rgb).collect();
    Ok(Video { height, width, channels: c as u8, frames })
}

fn tile<T: Copy>(
    frames: &[ArrayView4<'_, T>],
    n_rows: usize,
    n_cols: usize,
    convert: impl Fn(T) -> u8 + Copy,
) -> Result<Vec<Image>> {
    frames.iter().map(|batch| image::make_grid_with(batch.view(), n_rows, n_cols, true, convert)).collect()
}

/// The RGB bytes of an RGB or RGBA picture (alpha dropped).
fn rgb(image: Image) -> Vec<u8> {
    if image.channels == 3 {
        image.pixels
    } else {
        image.pixels.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect()
    }
}

/// The GIF frame delay for `fps`, in hundredths of a second, truncated as moviepy's writer
/// (through Pillow) does: fps 4 gives 25, fps 3 gives 33.
pub fn frame_delay(fps: f64) -> Result<u16> {
    if !(fps.is_finite() && fps > 0.0) {
        return Err(Error::invalid(
            "fps",
            format!("expected a positive number of frames per second, got {fps}"),
        ));
    }
    let delay = (1000.0 / fps / 10.0).trunc();
    if delay > f64::from(u16::MAX) {
        return Err(Error::invalid(
            "fps",
            format!("{fps} frames per second is too slow for a GIF (a frame lasts at most 655.35 s)"),
        ));
    }
    Ok(delay as u16)
}

/// Encodes `video` as an animated GIF, looping forever, one frame every `1 / fps` seconds.
pub fn encode_gif(video: &Video, fps: f64) -> Result<Vec<u8>> {
    let delay = frame_delay(fps)?;
    let too_large = || {
        Error::invalid(
            "vid_tensor",
            format!(
                "a {}x{} video is too large for a GIF (65535 pixels a side at most)",
                video.height, video.width
            ),
        )
    };
    let width = u16::try_from(video.width).map_err(|_| too_large())?;
    let height = u16::try_from(video.height).map_err(|_| too_large())?;
    let frame_len = usize::from(width) * usize::from(height) * 3;
    if let Some(pixels) = video.frames.iter().find(|p| p.len() != frame_len) {
        return Err(Error::invalid(
            "vid_tensor",
            format!("{} bytes do not fill a {height}x{width} RGB frame", pixels.len()),
        ));
    }
    // Each frame is quantised and compressed on its own, so frames go to the cores as they
    // come free; only the writing is sequential.
    let threads = threads_for(frame_len / 3 * video.frames.len(), PIXELS_PER_THREAD);
    let (frames, _) = map_parts(
        &video.frames,
        threads,
        || (),
        |(), pixels| {
            let mut frame = match exact_palette(pixels) {
                Some((palette, indices)) => {
                    gif::Frame::from_palette_pixels(width, height, indices, palette, None)
                }
                None => gif::Frame::from_rgb_speed(width, height, pixels, NEUQUANT_SPEED),
            };
            frame.delay = delay;
            frame.make_lzw_pre_encoded();
            frame
        },
    );
    let mut out = Vec::new();
    let mut encoder = gif::Encoder::new(&mut out, width, height, &[]).map_err(gif_error)?;
    encoder.set_repeat(gif::Repeat::Infinite).map_err(gif_error)?;
    for frame in &frames {
        encoder.write_lzw_pre_encoded_frame(frame).map_err(gif_error)?;
    }
    drop(encoder);
    Ok(out)
}

/// The palette (RGB triples, in order of appearance) and the palette index of each pixel, if
/// `rgb` has at most 256 distinct colours.
fn exact_palette(rgb: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut index_of: HashMap<[u8; 3], u8> = HashMap::with_capacity(256);
    let mut palette = Vec::with_capacity(256 * 3);
    let mut indices = Vec::with_capacity(rgb.len() / 3);
    // Neighbouring pixels often share a colour: skip the lookup for runs.
    let mut last: Option<([u8; 3], u8)> = None;
    for pixel in rgb.chunks_exact(3) {
        let color = [pixel[0], pixel[1], pixel[2]];
        let index = match last {
            Some((c, i)) if c == color => i,
            _ => {
                let next = index_of.len();
                let i = *index_of.entry(color).or_insert_with(|| {
                    palette.extend_from_slice(&color);
                    next as u8
                });
                if index_of.len() > 256 {
                    return None;
                }
                i
            }
        };
        last = Some((color, index));
        indices.push(index);
    }
    Some((palette, indices))
}

fn gif_error(error: gif::EncodingError) -> Error {
    match error {
        gif::EncodingError::Io(e) => Error::Io(e),
        other => Error::invalid("vid_tensor", format!("GIF encoding failed: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array, Array5, ArrayD, IxDyn};

    /// Every frame of a GIF, decoded to RGB, and each frame's delay.
    fn decode(bytes: &[u8]) -> (u16, u16, Vec<(Vec<u8>, u16)>) {
        let mut options = gif::DecodeOptions::new();
        options.set_color_output(gif::ColorOutput::RGBA);
        let mut decoder = options.read_info(bytes).unwrap();
        let (w, h) = (decoder.width(), decoder.height());
        let mut frames = Vec::new();
        while let Some(frame) = decoder.read_next_frame().unwrap() {
            assert_eq!((frame.width, frame.height, frame.left, frame.top), (w, h, 0, 0));
            let rgb = frame.buffer.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
            frames.push((rgb, frame.delay));
        }
        (w, h, frames)
    }

    fn invalid_arg<T: std::fmt::Debug>(result: Result<T>) -> &'static str {
        match result {
            Err(Error::InvalidArgument { arg, .. }) => arg,
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }

    #[test]
    fn tiling_follows_prepare_video() {
        // (b, rows, cols): tensorboardX pads b to a power of two and picks 2^((bits - 1) / 2) rows.
        for (b, rows, cols) in
            [(1, 1, 1), (2, 1, 2), (3, 1, 4), (4, 2, 2), (5, 2, 4), (8, 2, 4), (9, 2, 8), (16, 4, 4)]
        {
            let x = Array5::<u8>::from_shape_fn((b, 2, 3, 2, 3), |(n, t, c, _, _)| {
                (n * 20 + t * 5 + c + 1) as u8
            });
            let video = from_array(x.view().into_dyn(), "NTCHW").unwrap();
            assert_eq!(
                (video.height, video.width, video.channels),
                (2 * rows as u32, 3 * cols as u32, 3),
                "b={b}"
            );
            assert_eq!(video.frames.len(), 2);
            let at =
                |t: usize, y: usize, x: usize| &video.frames[t][(y * video.width as usize + x) * 3..][..3];
            for n in 0..rows * cols {
                let (gy, gx) = (n / cols, n % cols);
                let expected =
                    if n < b { [n * 20 + 6, n * 20 + 7, n * 20 + 8].map(|v| v as u8) } else { [0; 3] };
                assert_eq!(at(1, gy * 2 + 1, gx * 3 + 2), expected, "b={b} n={n}");
            }
        }
    }

    #[test]
    fn dataformats_gray_and_alpha() {
        // NTHWC with one channel: gray becomes RGB, colorspace stays 1.
        let x = Array::from_shape_fn((1, 2, 2, 2, 1), |(_, t, y, x, _)| (t * 100 + y * 10 + x) as u8);
        let video = from_array(x.view().into_dyn(), "nthwc").unwrap();
        assert_eq!((video.height, video.width, video.channels), (2, 2, 1));
        assert_eq!(video.frames[1], [100, 100, 100, 101, 101, 101, 110, 110, 110, 111, 111, 111]);
        // RGBA: alpha is dropped, colorspace stays 4.
        let x = Array::from_shape_fn((1, 1, 4, 1, 2), |(_, _, c, _, x)| (c * 10 + x) as u8);
        let video = from_array(x.view().into_dyn(), "NTCHW").unwrap();
        assert_eq!(video.channels, 4);
        assert_eq!(video.frames[0], [0, 10, 20, 1, 11, 21]);
        let x = ArrayD::<f32>::zeros(IxDyn(&[1, 1, 1, 1, 1]));
        for bad in ["NTCH", "NTCHH", "ntchx", "TNCHWX"] {
            assert_eq!(invalid_arg(from_array(x.view(), bad)), "dataformats", "{bad}");
        }
    }

    #[test]
    fn padding_scales_in_f64() {
        // An f16 whose product with 255 rounds up to 3 in f16 but is below 3 in f64.
        let v = f16::from_bits(0x2206);
        assert_eq!((v.to_pixel(), v.to_pixel_f64()), (3, 2));
        let single = Array::from_elem((2, 1, 1, 1, 1), v);
        assert_eq!(from_array(single.view().into_dyn(), "NTCHW").unwrap().frames[0], [3; 6]);
        let padded = Array::from_elem((3, 1, 1, 1, 1), v);
        assert_eq!(from_array(padded.view().into_dyn(), "NTCHW").unwrap().frames[0][..9], [2; 9]);
        for x in 0..=255u8 {
            assert_eq!(x.to_pixel_f64(), x);
        }
        // Clipped like images, where tensorboardX's cast wraps.
        assert_eq!([1.5f32.to_pixel_f64(), (-0.2f32).to_pixel_f64(), f32::NAN.to_pixel_f64()], [255, 0, 0]);
    }

    #[test]
    fn rejects_bad_videos() {
        for shape in
            [&[1, 1, 2, 4, 4][..], &[1, 1, 5, 4, 4], &[0, 1, 3, 4, 4], &[1, 0, 3, 4, 4], &[1, 1, 3, 0, 4]]
        {
            let x = ArrayD::<u8>::zeros(IxDyn(shape));
            assert_eq!(invalid_arg(from_array(x.view(), "NTCHW")), "vid_tensor", "{shape:?}");
        }
        let x = ArrayD::<u8>::zeros(IxDyn(&[1, 3, 4, 4]));
        assert_eq!(invalid_arg(from_array(x.view(), "NTCHW")), "vid_tensor");
    }

    #[test]
    fn delays_truncate_like_moviepy() {
        // Observed in tensorboardX's GIFs (moviepy 2.2, Pillow).
        for (fps, cs) in
            [(4.0, 25), (3.0, 33), (6.0, 16), (7.0, 14), (0.3, 333), (60.0, 1), (101.0, 0), (0.01, 10000)]
        {
            assert_eq!(frame_delay(fps).unwrap(), cs, "fps={fps}");
        }
        for fps in [0.0, -1.0, f64::NAN, f64::INFINITY, 0.001] {
            assert_eq!(invalid_arg(frame_delay(fps)), "fps", "fps={fps}");
        }
    }

    #[test]
    fn few_colours_are_exact() {
        let x = Array5::<u8>::from_shape_fn((3, 4, 3, 16, 20), |(n, t, c, y, x)| {
            (((n * 7 + t * 3 + c * 5 + y / 4 + x / 5) % 6) * 51) as u8
        });
        let video = from_array(x.view().into_dyn(), "NTCHW").unwrap();
        let gif = encode_gif(&video, 5.0).unwrap();
        assert_eq!(&gif[..6], b"GIF89a");
        let (w, h, frames) = decode(&gif);
        assert_eq!((u32::from(w), u32::from(h)), (video.width, video.height));
        assert_eq!(frames.len(), 4);
        for ((pixels, delay), expected) in frames.iter().zip(&video.frames) {
            assert_eq!(pixels, expected);
            assert_eq!(*delay, 20);
        }
        // Loops forever: the NETSCAPE2.0 extension with 0 repetitions.
        let netscape = gif.windows(11).position(|w| w == b"NETSCAPE2.0").expect("no loop extension");
        assert_eq!(gif[netscape + 11..netscape + 15], [3, 1, 0, 0]);
    }

    #[test]
    fn many_colours_are_close() {
        // A smooth gradient (4096 colours) and uniform noise, the quantiser's worst case.
        let gradient = Array5::<u8>::from_shape_fn((1, 2, 3, 64, 64), |(_, t, c, y, x)| match c {
            0 => (y * 4) as u8,
            1 => (x * 4) as u8,
            _ => ((x + y) * 2 + t) as u8,
        });
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let noise = Array5::<u8>::from_shape_simple_fn((1, 2, 3, 64, 64), || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 56) as u8
        });
        // Measured with NeuQuant at speed 10: mean 7.8 (max 40) and mean 18 (max 79) levels.
        for (x, max_mean, max_error) in [(gradient, 9.0, 48), (noise, 20.0, 96)] {
            let video = from_array(x.view().into_dyn(), "NTCHW").unwrap();
            let (_, _, frames) = decode(&encode_gif(&video, 4.0).unwrap());
            for ((pixels, _), expected) in frames.iter().zip(&video.frames) {
                let errors = || pixels.iter().zip(expected).map(|(&a, &b)| a.abs_diff(b));
                let mean = errors().map(f64::from).sum::<f64>() / pixels.len() as f64;
                assert!(mean < max_mean, "mean error {mean} >= {max_mean}");
                assert!(errors().max().unwrap() <= max_error);
            }
        }
    }

    #[test]
    fn frames_encoded_on_several_threads_keep_their_order() {
        // 8 frames of 64x64 (above PIXELS_PER_THREAD per thread), few colours: exact.
        let x =
            Array5::<u8>::from_shape_fn((1, 8, 3, 64, 64), |(_, t, c, y, _)| (t * 30 + c * 5 + y / 16) as u8);
        let video = from_array(x.view().into_dyn(), "NTCHW").unwrap();
        let (_, _, frames) = decode(&encode_gif(&video, 4.0).unwrap());
        let pixels: Vec<&Vec<u8>> = frames.iter().map(|(pixels, _)| pixels).collect();
        assert_eq!(pixels, video.frames.iter().collect::<Vec<_>>());
    }

    #[test]
    fn oversized_frames_are_refused() {
        let video = Video { height: 1, width: 70_000, channels: 3, frames: vec![vec![0; 210_000]] };
        assert_eq!(invalid_arg(encode_gif(&video, 4.0)), "vid_tensor");
        let video = Video { height: 1, width: 2, channels: 3, frames: vec![vec![0; 5]] };
        assert_eq!(invalid_arg(encode_gif(&video, 4.0)), "vid_tensor");
    }
}
