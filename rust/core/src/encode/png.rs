//! PNG encoding of an [`Image`] in one pass: a palette for images of few colours, otherwise
//! each row filtered as libpng and Pillow filter it, then libdeflate at one level.
//! benches/PERFORMANCE.md has the measurements behind these choices.

use libdeflater::{CompressionLvl, Compressor};

use super::image::Image;
use crate::error::{Error, Result};
use crate::parallel;
use crate::spare::Spare;

/// What the encoder favours: the smallest file (the default: within a few per cent of
/// tensorboardX's, Pillow at zlib's level 6), or speed at a few per cent more bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Compression {
    #[default]
    Size,
    Speed,
}

impl Compression {
    /// The names `SummaryWriter(image_compression=...)` takes.
    pub const NAMES: [&'static str; 2] = ["size", "speed"];

    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "size" => Ok(Self::Size),
            "speed" => Ok(Self::Speed),
            other => Err(Error::invalid(
                "image_compression",
                format!("expected one of {:?}, got {other:?}", Self::NAMES),
            )),
        }
    }

    /// libdeflate's level: 4 matches Pillow's level 6 on photographs, plots and gradients (a
    /// blurred photograph: 6% more) in a fifth to a third of its time; 1 takes a third less
    /// time on photographs for 2-8% more bytes.
    fn level(self) -> i32 {
        match self {
            Self::Size => 4,
            Self::Speed => 1,
        }
    }
}

/// Encodes `image` as an 8-bit PNG, favouring size.
pub fn encode_png(image: &Image) -> Result<Vec<u8>> {
    encode_png_with(image, Compression::Size)
}

/// Encodes `image` (1 to 4 channels: gray, gray+alpha, RGB, RGBA) as a PNG whose decoded
/// pixels are `image.pixels`.
pub fn encode_png_with(image: &Image, compression: Compression) -> Result<Vec<u8>> {
    let channels = usize::from(image.channels);
    if !(1..=4).contains(&channels) {
        return Err(Error::invalid("img_tensor", format!("a PNG holds 1 to 4 channels, got {channels}")));
    }
    let width = image.width as usize;
    let expected = (image.height as usize).checked_mul(width).and_then(|n| n.checked_mul(channels));
    if expected != Some(image.pixels.len()) || image.pixels.is_empty() {
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
    let mut scratch = Scratch::take();
    let png = encode_into(image, compression, &mut scratch);
    scratch.give_back();
    png
}

fn encode_into(image: &Image, compression: Compression, scratch: &mut Scratch) -> Result<Vec<u8>> {
    let channels = usize::from(image.channels);
    let stride = image.width as usize * channels;
    let palette = if channels == 3 { Palette::of(&image.pixels) } else { None };
    let Scratch { rows, zlib, compressors } = scratch;
    rows.clear();
    let (color_type, depth, level) = match &palette {
        // Packed indices, unfiltered (as the PNG specification advises for palettes).
        Some(palette) => {
            palette.rows(image.width as usize, rows);
            (3, palette.depth, compression.level())
        }
        None if incompressible(&image.pixels, stride, channels, compressors)? => {
            // Stored: no filter can help, none is tried.
            for row in image.pixels.chunks_exact(stride) {
                rows.push(0);
                rows.extend_from_slice(row);
            }
            (COLOR_TYPES[channels - 1], 8, 0)
        }
        None => {
            filter_rows(&image.pixels, stride, channels, rows);
            (COLOR_TYPES[channels - 1], 8, compression.level())
        }
    };
    let len = deflate(compressors, rows, level, zlib)?;
    let zlib = &zlib[..len];

    let mut out = Vec::with_capacity(zlib.len() + 1024);
    out.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&image.width.to_be_bytes());
    header.extend_from_slice(&image.height.to_be_bytes());
    // Bit depth, colour type, deflate, adaptive filtering, no interlace.
    header.extend_from_slice(&[depth, color_type, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &header);
    if let Some(palette) = &palette {
        chunk(&mut out, b"PLTE", palette.colors.as_flattened());
    }
    // A chunk holds less than 2^31 bytes.
    for part in zlib.chunks(1 << 30) {
        chunk(&mut out, b"IDAT", part);
    }
    chunk(&mut out, b"IEND", &[]);
    Ok(out)
}

/// PNG colour types by channel count: gray, gray+alpha, RGB, RGBA.
const COLOR_TYPES: [u8; 4] = [0, 4, 2, 6];

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = libdeflater::crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// What an encoder keeps between images: buffers the size of an image (fresh ones cost their
/// page faults every time: a third of the time of a stored 512x512 noise image), and a
/// compressor per level (one allocates and clears its tables when made: 0.5 ms).
#[derive(Default)]
struct Scratch {
    rows: Vec<u8>,
    zlib: Vec<u8>,
    compressors: Vec<(i32, Compressor)>,
}

/// Scratch left by finished encodes, for any thread: the threads that help a writer thread
/// encode live for one batch, and must not pay for scratch of their own.
static POOL: Spare<Scratch> = Spare::new();

impl Scratch {
    /// Buffers larger than this (a 1024x1024 RGB image is 3 MiB) are given back: a projector
    /// sprite, encoded on the caller's thread, can take hundreds of MB.
    const KEEP: usize = 4 << 20;

    fn take() -> Self {
        POOL.take(|_| true).unwrap_or_default()
    }

    /// Returns the scratch to the pool, which keeps as many as the cores can use at once.
    fn give_back(mut self) {
        for buffer in [&mut self.rows, &mut self.zlib] {
            if buffer.capacity() > Self::KEEP {
                *buffer = Vec::new();
            }
        }
        POOL.give_back(self, |kept, _| kept.len() < parallel::cores());
    }
}

/// `data` as a zlib stream at libdeflate's `level` (0: stored blocks), into the start of `out`;
/// returns its length. `out` keeps the length of the largest stream's bound, so that it is not
/// cleared again for every image.
fn deflate(
    compressors: &mut Vec<(i32, Compressor)>,
    data: &[u8],
    level: i32,
    out: &mut Vec<u8>,
) -> Result<usize> {
    let index = match compressors.iter().position(|(l, _)| *l == level) {
        Some(index) => index,
        None => {
            let lvl = CompressionLvl::new(level).map_err(|_| internal(format!("no level {level}")))?;
            compressors.push((level, Compressor::new(lvl)));
            compressors.len() - 1
        }
    };
    let compressor = &mut compressors[index].1;
    let bound = compressor.zlib_compress_bound(data.len());
    if out.len() < bound {
        out.resize(bound, 0);
    }
    compressor.zlib_compress(data, &mut out[..bound]).map_err(|e| internal(e.to_string()))
}

fn internal(message: String) -> Error {
    Error::invalid("img_tensor", format!("PNG encoding failed: {message}"))
}

/// Whether deflate would leave the image's filtered rows as large as they are (noise): eight
/// bands of rows across the image, filtered and compressed at level 1, a few per cent of the
/// cost of the whole. Images too small for such a sample are compressed.
fn incompressible(
    pixels: &[u8],
    stride: usize,
    bpp: usize,
    compressors: &mut Vec<(i32, Compressor)>,
) -> Result<bool> {
    const BANDS: usize = 8;
    let band_rows = 4096usize.div_ceil(stride);
    let height = pixels.len() / stride;
    if height < 4 * BANDS * band_rows {
        return Ok(false);
    }
    let mut sample = Vec::new();
    for k in 0..BANDS {
        let first = (2 * k + 1) * height / (2 * BANDS);
        filter_rows(&pixels[first * stride..(first + band_rows) * stride], stride, bpp, &mut sample);
    }
    // Most images give themselves away in the first band (a tenth of the probe's time).
    let mut compressed = Vec::new();
    let first = &sample[..band_rows * (stride + 1)];
    if deflate(compressors, first, 1, &mut compressed)? * 100 < first.len() * 90 {
        return Ok(false);
    }
    Ok(deflate(compressors, &sample, 1, &mut compressed)? * 100 >= sample.len() * 97)
}

/// The colours of an RGB image that has at most 256, in order of appearance, and each
/// pixel's index into them.
struct Palette {
    colors: Vec<[u8; 3]>,
    indices: Vec<u8>,
    /// Bits an index takes: 1, 2, 4 or 8.
    depth: u8,
}

impl Palette {
    fn of(pixels: &[u8]) -> Option<Self> {
        // Open addressing on the colour's 24 bits; a run of one colour skips the lookup.
        const SLOTS: usize = 1024;
        let mut slots = [u32::MAX; SLOTS];
        let mut colors: Vec<[u8; 3]> = Vec::with_capacity(256);
        let mut indices = Vec::with_capacity(pixels.len() / 3);
        let mut last = (u32::MAX, 0u8);
        for pixel in pixels.chunks_exact(3) {
            let key = u32::from(pixel[0]) << 16 | u32::from(pixel[1]) << 8 | u32::from(pixel[2]);
            if key != last.0 {
                let mut slot = (key.wrapping_mul(0x9E37_79B1) >> 22) as usize;
                let index = loop {
                    match slots[slot] {
                        u32::MAX => {
                            if colors.len() == 256 {
                                return None;
                            }
                            colors.push([pixel[0], pixel[1], pixel[2]]);
                            let index = (colors.len() - 1) as u8;
                            slots[slot] = key << 8 | u32::from(index);
                            break index;
                        }
                        entry if entry >> 8 == key => break entry as u8,
                        _ => slot = (slot + 1) % SLOTS,
                    }
                };
                last = (key, index);
            }
            indices.push(last.1);
        }
        let depth = match colors.len() {
            0..=2 => 1,
            3..=4 => 2,
            5..=16 => 4,
            _ => 8,
        };
        Some(Self { colors, indices, depth })
    }

    /// The PNG rows, appended to `out`: a filter byte (0, none), then the indices packed
    /// `depth` bits each, the first in the high bits.
    fn rows(&self, width: usize, out: &mut Vec<u8>) {
        let depth = usize::from(self.depth);
        let per_byte = 8 / depth;
        out.reserve((width.div_ceil(per_byte) + 1) * (self.indices.len() / width));
        for row in self.indices.chunks_exact(width) {
            out.push(0);
            if depth == 8 {
                out.extend_from_slice(row);
                continue;
            }
            for group in row.chunks(per_byte) {
                let packed = group
                    .iter()
                    .enumerate()
                    .fold(0u8, |byte, (k, &index)| byte | index << (8 - depth * (k + 1)));
                out.push(packed);
            }
        }
    }
}

/// The PNG rows of `pixels` (rows of `stride` bytes, `bpp` bytes a pixel), appended to `out`:
/// each filtered as libpng and Pillow do by default, with the filter whose output has the
/// smallest sum of absolute values (read as signed bytes), and preceded by that filter's
/// number. Compiled for AVX2 too, used where the CPU has it (the compiler does not use it for a
/// generic x86-64 target): the same code and output, 2.2-2.5 times as fast.
fn filter_rows(pixels: &[u8], stride: usize, bpp: usize, out: &mut Vec<u8>) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, all that the function is compiled for.
        return unsafe { filter_rows_avx2(pixels, stride, bpp, out) };
    }
    filter_rows_portable(pixels, stride, bpp, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn filter_rows_avx2(pixels: &[u8], stride: usize, bpp: usize, out: &mut Vec<u8>) {
    filter_rows_portable(pixels, stride, bpp, out);
}

/// [`filter_rows`] (on one thread: filtering in parts on the cores made the writer wait for a
/// helper thread that a busy machine started late; see benches/PERFORMANCE.md).
#[inline(always)]
fn filter_rows_portable(pixels: &[u8], stride: usize, bpp: usize, out: &mut Vec<u8>) {
    let zero = vec![0u8; stride];
    let mut scratch = vec![0u8; 4 * stride];
    let mut prev: &[u8] = &zero;
    out.reserve(pixels.len() + pixels.len() / stride);
    for row in pixels.chunks_exact(stride) {
        // A row equal to the one above (a plot's margins): Up leaves only zeros, which no filter
        // beats; None and Sub tie it on an all-zero row only, and a tie goes to the lower number.
        if row == prev {
            out.push(if row.iter().all(|&b| b == 0) { 0 } else { 2 });
            out.resize(out.len() + stride, 0);
            continue;
        }
        let (sub, rest) = scratch.split_at_mut(stride);
        let (up, rest) = rest.split_at_mut(stride);
        let (avg, paeth) = rest.split_at_mut(stride);
        filter_sub(row, bpp, sub);
        filter_up(row, prev, up);
        filter_avg(row, prev, bpp, avg);
        filter_paeth(row, prev, bpp, paeth);
        let candidates: [&[u8]; 5] = [row, sub, up, avg, paeth];
        let mut best = (u64::MAX, 0);
        for (kind, filtered) in candidates.iter().enumerate() {
            // Ties go to the lower filter number, as in libpng.
            best = best.min((signed_magnitude(filtered), kind));
        }
        out.push(best.1 as u8);
        out.extend_from_slice(candidates[best.1]);
        prev = row;
    }
}

#[inline(always)]
fn signed_magnitude(bytes: &[u8]) -> u64 {
    // Summed in u32 over pieces that cannot overflow it: the loop vectorises.
    bytes
        .chunks(1 << 16)
        .map(|piece| u64::from(piece.iter().map(|&b| u32::from((b as i8).unsigned_abs())).sum::<u32>()))
        .sum()
}

#[inline(always)]
fn filter_sub(row: &[u8], bpp: usize, out: &mut [u8]) {
    out[..bpp].copy_from_slice(&row[..bpp]);
    for ((o, &x), &a) in out[bpp..].iter_mut().zip(&row[bpp..]).zip(row) {
        *o = x.wrapping_sub(a);
    }
}

#[inline(always)]
fn filter_up(row: &[u8], prev: &[u8], out: &mut [u8]) {
    for ((o, &x), &b) in out.iter_mut().zip(row).zip(prev) {
        *o = x.wrapping_sub(b);
    }
}

#[inline(always)]
fn filter_avg(row: &[u8], prev: &[u8], bpp: usize, out: &mut [u8]) {
    for ((o, &x), &b) in out[..bpp].iter_mut().zip(row).zip(prev) {
        *o = x.wrapping_sub(b >> 1);
    }
    let rest = out[bpp..].iter_mut().zip(&row[bpp..]).zip(&prev[bpp..]).zip(row);
    for (((o, &x), &b), &a) in rest {
        // floor((a + b) / 2) in 8 bits.
        *o = x.wrapping_sub((a & b) + ((a ^ b) >> 1));
    }
}

#[inline(always)]
fn filter_paeth(row: &[u8], prev: &[u8], bpp: usize, out: &mut [u8]) {
    // The first pixel has no left neighbours: its predictor is the byte above.
    filter_up(&row[..bpp], &prev[..bpp], &mut out[..bpp]);
    let rest = out[bpp..].iter_mut().zip(&row[bpp..]).zip(&prev[bpp..]).zip(row.iter().zip(prev));
    for (((o, &x), &b), (&a, &c)) in rest {
        *o = x.wrapping_sub(paeth(a, b, c));
    }
}

/// The Paeth predictor, without branches so that the loop above vectorises.
#[inline(always)]
fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let (a16, b16, c16) = (i16::from(a), i16::from(b), i16::from(c));
    let pa = (b16 - c16).abs();
    let pb = (a16 - c16).abs();
    let pc = (a16 + b16 - 2 * c16).abs();
    let ab = if pa <= pb { a } else { b };
    if pa.min(pb) <= pc { ab } else { c }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> (png::ColorType, Vec<u8>) {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        // Palettes and low bit depths expanded to 8-bit RGB, as every viewer shows them.
        decoder.set_transformations(png::Transformations::EXPAND);
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        buf.truncate(info.buffer_size());
        (reader.info().color_type, buf)
    }

    fn noise(len: usize, seed: u32) -> Vec<u8> {
        let mut state = seed;
        (0..len)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 24) as u8
            })
            .collect()
    }

    fn round_trip(image: &Image) -> png::ColorType {
        let mut color = None;
        for compression in [Compression::Size, Compression::Speed] {
            let bytes = encode_png_with(image, compression).unwrap();
            assert_eq!(bytes[..8], *b"\x89PNG\r\n\x1a\n");
            let (decoded_color, pixels) = decode(&bytes);
            assert!(pixels == image.pixels, "{compression:?} changed pixels");
            color = Some(decoded_color);
        }
        color.unwrap()
    }

    #[test]
    fn every_channel_count_round_trips() {
        for channels in 1..=4u8 {
            let (height, width) = (37, 53);
            let len = height * width * usize::from(channels);
            // Half noise, half smooth: every filter wins some rows.
            let mut pixels = noise(len / 2, u32::from(channels));
            pixels.extend((0..len - len / 2).map(|i| (i / 7 % 256) as u8));
            let image = Image { height: height as u32, width: width as u32, channels, pixels };
            let want = [png::ColorType::Grayscale, png::ColorType::GrayscaleAlpha, png::ColorType::Rgb];
            let color = round_trip(&image);
            assert_eq!(color, *want.get(usize::from(channels) - 1).unwrap_or(&png::ColorType::Rgba));
        }
    }

    #[test]
    fn few_colours_take_a_palette_of_the_fewest_bits() {
        for (colors, depth) in [(1usize, 1u8), (2, 1), (3, 2), (4, 2), (5, 4), (16, 4), (17, 8), (256, 8)] {
            let (height, width) = (19, 23);
            let pixels = (0..height * width)
                .flat_map(|i| {
                    let c = (i * 7 / 3 % colors) as u8;
                    [c, c.wrapping_mul(3), 255 - c]
                })
                .collect();
            let image = Image { height: height as u32, width: width as u32, channels: 3, pixels };
            assert_eq!(round_trip(&image), png::ColorType::Indexed, "{colors} colours");
            // IHDR's bit depth, after the signature, the chunk's length and type, width, height.
            assert_eq!(encode_png(&image).unwrap()[24], depth, "{colors} colours");
        }
        // 257 colours: RGB.
        let pixels =
            (0..257 * 3).map(|i| if i % 3 == 0 { (i / 3 % 256) as u8 } else { (i / 768) as u8 }).collect();
        let image = Image { height: 1, width: 257, channels: 3, pixels };
        assert_eq!(round_trip(&image), png::ColorType::Rgb);
    }

    #[test]
    fn noise_is_stored_and_smooth_images_compress() {
        let image = Image { height: 256, width: 256, channels: 3, pixels: noise(256 * 256 * 3, 7) };
        let stored = encode_png(&image).unwrap().len();
        // Stored blocks: 5 bytes each 64 KiB, the row filter bytes, the chunks.
        assert!(stored < image.pixels.len() + 256 + 100, "{stored}");
        round_trip(&image);
        let gradient = (0..256 * 256 * 3).map(|i| ((i / 3 % 256 + i / 768) / 2) as u8).collect();
        let image = Image { height: 256, width: 256, channels: 3, pixels: gradient };
        let size = encode_png(&image).unwrap().len();
        assert!(size < 3000, "{size}");
        round_trip(&image);
    }

    #[test]
    fn filters_match_their_definitions() {
        // Each filter against the PNG specification's formulas, on rows where they differ.
        let (row, prev, bpp) = (noise(30, 1), noise(30, 2), 3);
        let left = |i: usize| if i >= bpp { i32::from(row[i - bpp]) } else { 0 };
        let upleft = |i: usize| if i >= bpp { i32::from(prev[i - bpp]) } else { 0 };
        let mut out = vec![0; 30];
        let check = |out: &[u8], predict: &dyn Fn(usize) -> i32| {
            for i in 0..30 {
                assert_eq!(out[i], (i32::from(row[i]) - predict(i)) as u8, "byte {i}");
            }
        };
        filter_sub(&row, bpp, &mut out);
        check(&out, &left);
        filter_up(&row, &prev, &mut out);
        check(&out, &|i| i32::from(prev[i]));
        filter_avg(&row, &prev, bpp, &mut out);
        check(&out, &|i| (left(i) + i32::from(prev[i])) / 2);
        filter_paeth(&row, &prev, bpp, &mut out);
        check(&out, &|i| {
            let (a, b, c) = (left(i), i32::from(prev[i]), upleft(i));
            let p = a + b - c;
            let (pa, pb, pc) = ((p - a).abs(), (p - b).abs(), (p - c).abs());
            if pa <= pb && pa <= pc {
                a
            } else if pb <= pc {
                b
            } else {
                c
            }
        });
    }

    #[test]
    fn rows_filtered_with_avx2_are_the_portable_code_s() {
        let (height, width) = (61, 97);
        let len = height * width * 3;
        let mut pixels = noise(len / 2, 5);
        pixels.extend((0..len - len / 2).map(|i| (i / 5 % 256) as u8));
        let mut portable = Vec::new();
        filter_rows_portable(&pixels, width * 3, 3, &mut portable);
        let mut dispatched = Vec::new();
        filter_rows(&pixels, width * 3, 3, &mut dispatched);
        assert!(portable == dispatched);
    }

    #[test]
    fn repeated_rows_take_the_filter_a_full_search_takes() {
        // Zero rows (first and later), repeats of a row, and changes between them.
        let (width, bpp) = (41, 3);
        let stride = width * bpp;
        let a = noise(stride, 3);
        let b: Vec<u8> = (0..stride).map(|i| (i / 9) as u8).collect();
        let zero = vec![0; stride];
        let rows = [&zero, &zero, &a, &a, &a, &b, &b, &zero, &zero, &b];
        let pixels: Vec<u8> = rows.iter().flat_map(|row| row.iter().copied()).collect();
        let mut filtered = Vec::new();
        filter_rows(&pixels, stride, bpp, &mut filtered);

        let mut prev = &zero;
        for (row, got) in rows.iter().zip(filtered.chunks_exact(stride + 1)) {
            let mut candidates =
                [row.to_vec(), vec![0; stride], vec![0; stride], vec![0; stride], vec![0; stride]];
            filter_sub(row, bpp, &mut candidates[1]);
            filter_up(row, prev, &mut candidates[2]);
            filter_avg(row, prev, bpp, &mut candidates[3]);
            filter_paeth(row, prev, bpp, &mut candidates[4]);
            let kind = (0..5).min_by_key(|&k| (signed_magnitude(&candidates[k]), k)).unwrap();
            assert_eq!(usize::from(got[0]), kind);
            assert!(got[1..] == candidates[kind]);
            prev = row;
        }
        let image = Image { height: rows.len() as u32, width: width as u32, channels: 3, pixels };
        round_trip(&image);
    }

    #[test]
    fn compression_names_and_errors() {
        assert_eq!(Compression::from_name("size").unwrap(), Compression::Size);
        assert_eq!(Compression::from_name("speed").unwrap(), Compression::Speed);
        let Err(Error::InvalidArgument { arg, message }) = Compression::from_name("fast") else {
            panic!("accepted an unknown name")
        };
        assert_eq!(arg, "image_compression");
        assert!(message.contains("\"speed\"") && message.contains("\"fast\""), "{message}");

        let image = Image { height: 2, width: 3, channels: 4, pixels: (0..24).collect() };
        let short = Image { pixels: vec![0; 23], ..image.clone() };
        assert!(matches!(encode_png(&short), Err(Error::InvalidArgument { .. })));
        let five = Image { channels: 5, pixels: vec![0; 30], ..image.clone() };
        assert!(matches!(encode_png(&five), Err(Error::InvalidArgument { .. })));
        let empty = Image { height: 0, width: 3, channels: 3, pixels: vec![] };
        assert!(matches!(encode_png(&empty), Err(Error::InvalidArgument { .. })));
    }
}
