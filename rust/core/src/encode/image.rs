//! Images for `add_image` / `add_images`: tensorboardX's conversions to an HWC `u8` picture
//! (`convert_to_HWC`, `make_grid`, the `x * 255` scaling) and PNG encoding.
//!
//! The input is any [`ArrayViewD`], with any strides (transposed, sliced or reversed numpy views
//! work as they are). Contiguous planar (`CHW`/`NCHW`) and interleaved (`HWC`/`NHWC`) rows take
//! slice fast paths; every other layout goes through ndarray's strided iterators.

use std::sync::OnceLock;

use half::f16;
use ndarray::{ArrayView2, ArrayView4, ArrayViewD, Axis, Ix4};

use crate::error::{Error, Result};
use crate::spare::Spare;

/// An 8-bit picture in row-major HWC order, ready for PNG encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    pub height: u32,
    pub width: u32,
    /// 3 (RGB) or 4 (RGBA) for [`from_array`] and [`make_grid`]; [`make_grid_with`] without
    /// `gray_to_rgb` may also give 1 or 2. This is `Summary.Image.colorspace`.
    pub channels: u8,
    /// `height * width * channels` bytes, HWC.
    pub pixels: Vec<u8>,
}

impl Image {
    /// Gives the pixel buffer back for a later image (see [`pixel_buffer`]).
    pub fn recycle(self) {
        SPARE.give_back(self.pixels, |kept, pixels| {
            kept.iter().map(Vec::capacity).sum::<usize>() + pixels.capacity() <= SPARE_BYTES
        });
    }
}

/// Pixel buffers of images already encoded. A fresh image-sized buffer costs its page faults
/// (0.6 ms for a 512x512 RGB image on the project's 2-core VM), and the allocator gives large
/// freed buffers back to the kernel; a reused one is already mapped.
static SPARE: Spare<Vec<u8>> = Spare::new();

/// The most the spare buffers hold.
const SPARE_BYTES: usize = 16 << 20;

/// `len` bytes, in a spare buffer of about that size if there is one: zeros, or, when the
/// caller writes every byte (`all_written`), whatever the buffer held (clearing a 786 KB
/// buffer took about 40 µs of an `add_image` call's 200-300 µs in a profile).
fn pixel_buffer(len: usize, all_written: bool) -> Vec<u8> {
    match SPARE.take(|b| (len..=2 * len).contains(&b.capacity())) {
        Some(mut buffer) => {
            if all_written {
                buffer.truncate(len);
            } else {
                buffer.clear();
            }
            buffer.resize(len, 0);
            buffer
        }
        None => vec![0; len],
    }
}

/// An array element that tensorboardX turns into one 8-bit sample.
///
/// `u8` is used as is. Every other type is multiplied by 255 in its own precision (numpy's
/// `(x * 255.0).astype(np.uint8)`) and truncated toward zero. Floats and `f16` round like numpy:
/// `f16` products are rounded back to `f16` before the cast, integers and bools multiply exactly.
/// Implemented for `u8`, `i8`..`i64`, `u16`..`u64`, `bool`, `f16`, `f32` and `f64`.
pub trait Pixel: Copy {
    fn to_pixel(self) -> u8;

    /// [`Pixel::to_pixel`] for a whole image, with any setup hoisted out of the pixel loops
    /// (`f16` looks its 65536 results up in a table built once).
    fn converter() -> impl Fn(Self) -> u8 + Copy {
        Self::to_pixel
    }
}

// Deliberate difference from tensorboardX: out-of-range values clip to [0, 255] (like torch) and
// NaN gives 0, where numpy's cast wraps or is undefined. Rust's saturating `as u8` does both.

impl Pixel for u8 {
    #[inline(always)]
    fn to_pixel(self) -> u8 {
        self
    }
}

impl Pixel for f32 {
    #[inline(always)]
    fn to_pixel(self) -> u8 {
        let x = self * 255.0;
        // `as u8` would do, but its checks keep the compiler from vectorising the pixel loops.
        let clipped = if x >= 0.0 { x.min(255.0) } else { 0.0 };
        // SAFETY: `clipped` is in [0, 255], never NaN.
        unsafe { clipped.to_int_unchecked::<i32>() as u8 }
    }
}

impl Pixel for f64 {
    #[inline(always)]
    fn to_pixel(self) -> u8 {
        let x = self * 255.0;
        let clipped = if x >= 0.0 { x.min(255.0) } else { 0.0 };
        // SAFETY: as for f32.
        unsafe { clipped.to_int_unchecked::<i32>() as u8 }
    }
}

impl Pixel for f16 {
    #[inline]
    fn to_pixel(self) -> u8 {
        // numpy multiplies float16 in f32 (exact here: 11 + 8 significant bits) and rounds the
        // product to the nearest-even f16, which can carry e.g. 2.99995 up to 3.
        f16::from_f32(self.to_f32() * 255.0).to_f32() as u8
    }

    fn converter() -> impl Fn(Self) -> u8 + Copy {
        static TABLE: OnceLock<Box<[u8; 1 << 16]>> = OnceLock::new();
        let table: &'static [u8; 1 << 16] = TABLE.get_or_init(|| {
            let mut table = Box::new([0u8; 1 << 16]);
            for (bits, pixel) in (0..=u16::MAX).zip(table.iter_mut()) {
                *pixel = f16::from_bits(bits).to_pixel();
            }
            table
        });
        move |x: f16| table[usize::from(x.to_bits())]
    }
}

impl Pixel for bool {
    #[inline(always)]
    fn to_pixel(self) -> u8 {
        if self { 255 } else { 0 }
    }
}

macro_rules! int_pixel {
    ($($t:ty),*) => {$(
        impl Pixel for $t {
            /// `x * 255` clipped to [0, 255]: 0 for `x <= 0`, 255 for `x >= 1`.
            #[inline(always)]
            fn to_pixel(self) -> u8 {
                if self > 0 { 255 } else { 0 }
            }
        }
    )*};
}
int_pixel!(i8, i16, i32, i64, u16, u32, u64);

/// Converts an image tensor as tensorboardX's `add_image` / `add_images` do.
///
/// `dataformats` is case-insensitive and names every axis once: a permutation of `NCHW` for a
/// 4-D batch (tiled with [`make_grid`], 8 columns), of `HWC` for a 3-D image, or of `HW` for a
/// 2-D grayscale image. One channel becomes RGB, 3 stay RGB, 4 stay RGBA.
pub fn from_array<T: Pixel>(array: ArrayViewD<'_, T>, dataformats: &str) -> Result<Image> {
    let ndim = array.ndim();
    let order = match ndim {
        4 => "NCHW",
        3 => "HWC",
        2 => "HW",
        _ => {
            return Err(Error::invalid(
                "img_tensor",
                format!(
                    "expected a 2-D (HW), 3-D (HWC) or 4-D (NCHW) image tensor, got {ndim}-D with shape {:?}",
                    array.shape()
                ),
            ));
        }
    };
    let shape = array.shape();
    let perm = axis_order(dataformats, order, shape)?;
    let channels = match ndim {
        4 => shape[perm[1]],
        3 => shape[perm[2]],
        _ => 1,
    };
    if !matches!(channels, 1 | 3 | 4) {
        return Err(Error::invalid(
            "img_tensor",
            format!(
                "expected 1 (grayscale), 3 (RGB) or 4 (RGBA) channels on the C axis of dataformats {dataformats:?}, got {channels} (shape {shape:?})"
            ),
        ));
    }
    if array.is_empty() {
        return Err(Error::invalid(
            "img_tensor",
            format!("the image tensor is empty (shape {shape:?}, dataformats {dataformats:?})"),
        ));
    }
    let nchw = match ndim {
        4 => array.permuted_axes(perm),
        3 => array.permuted_axes(vec![perm[2], perm[0], perm[1]]).insert_axis(Axis(0)),
        _ => array.permuted_axes(perm).insert_axis(Axis(0)).insert_axis(Axis(0)),
    };
    let nchw = nchw
        .into_dimensionality::<Ix4>()
        .map_err(|e| Error::invalid("img_tensor", format!("cannot view the tensor as NCHW: {e}")))?;
    make_grid(nchw, GRID_COLUMNS)
}

/// tensorboardX's `make_grid` column count.
pub const GRID_COLUMNS: usize = 8;

/// Where each axis of `order` sits in `dataformats`: the permutation taking the input to `order`.
pub(crate) fn axis_order(dataformats: &str, order: &str, shape: &[usize]) -> Result<Vec<usize>> {
    let upper = dataformats.to_ascii_uppercase();
    let bad = || {
        Error::invalid(
            "dataformats",
            format!(
                "expected {} distinct letters forming a permutation of {order:?} (any case) for a {}-D tensor with shape {shape:?}, got {dataformats:?}",
                order.len(),
                shape.len(),
            ),
        )
    };
    if upper.len() != order.len() || !upper.bytes().all(|b| order.as_bytes().contains(&b)) {
        return Err(bad());
    }
    order.bytes().map(|axis| upper.bytes().position(|b| b == axis).ok_or_else(bad)).collect()
}

/// tensorboardX's `make_grid(I, ncols)` followed by the `x * 255` scaling and the move to HWC.
///
/// `images` is NCHW with C in {1, 3, 4}; one channel is repeated to RGB. The grid has
/// `min(N, ncols)` columns and `ceil(N / columns)` rows, filled row-major without padding; empty
/// cells are black (transparent for RGBA).
pub fn make_grid<T: Pixel>(images: ArrayView4<'_, T>, ncols: usize) -> Result<Image> {
    let (n, c, _, _) = images.dim();
    if !matches!(c, 1 | 3 | 4) {
        return Err(Error::invalid(
            "img_tensor",
            format!(
                "expected 1 (grayscale), 3 (RGB) or 4 (RGBA) channels, got C={c} (NCHW shape {:?})",
                images.shape()
            ),
        ));
    }
    if ncols == 0 {
        return Err(Error::invalid("ncols", "the grid needs at least one column"));
    }
    let ncols = ncols.min(n).max(1);
    make_grid_with(images, n.div_ceil(ncols), ncols, true, T::converter())
}

/// Tiles NCHW `images` into an `nrows` x `ncols` grid (row-major, no padding, empty cells 0),
/// mapping each element through `convert`.
///
/// The building block of [`make_grid`], for other layouts (video frames, sprites): C must be
/// 1 to 4, and `gray_to_rgb` repeats a single channel to 3.
pub fn make_grid_with<T: Copy, F: Fn(T) -> u8>(
    images: ArrayView4<'_, T>,
    nrows: usize,
    ncols: usize,
    gray_to_rgb: bool,
    convert: F,
) -> Result<Image> {
    let (n, c, h, w) = images.dim();
    if n == 0 || h == 0 || w == 0 {
        return Err(Error::invalid(
            "img_tensor",
            format!(
                "the image tensor is empty (NCHW shape {:?}): N, H and W must be at least 1",
                images.shape()
            ),
        ));
    }
    if !(1..=4).contains(&c) {
        return Err(Error::invalid(
            "img_tensor",
            format!("expected 1 to 4 channels, got C={c} (NCHW shape {:?})", images.shape()),
        ));
    }
    if nrows.checked_mul(ncols).is_none_or(|cells| cells < n) {
        return Err(Error::invalid("img_tensor", format!("a {nrows}x{ncols} grid cannot hold {n} images")));
    }
    let out_c = if gray_to_rgb && c == 1 { 3 } else { c };
    let too_large =
        || Error::invalid("img_tensor", format!("a {nrows}x{ncols} grid of {h}x{w} images is too large"));
    let out_h = h.checked_mul(nrows).ok_or_else(too_large)?;
    let out_w = w.checked_mul(ncols).ok_or_else(too_large)?;
    let height = u32::try_from(out_h).map_err(|_| too_large())?;
    let width = u32::try_from(out_w).map_err(|_| too_large())?;
    let row_len = out_w.checked_mul(out_c).ok_or_else(too_large)?;
    let total = row_len.checked_mul(out_h).ok_or_else(too_large)?;

    // A grid with empty cells keeps them black.
    let mut pixels = pixel_buffer(total, n == nrows * ncols);
    tile(images, ncols, out_c, &convert, &mut pixels);
    Ok(Image { height, width, channels: out_c as u8, pixels })
}

/// Writes each image of `images` into its cell of the grid `pixels` (`ncols` cells wide, `out_c`
/// samples a pixel), with AVX2 where the CPU has it: the conversion loops then take 8 or 16
/// samples at a time instead of 4.
fn tile<T: Copy, F: Fn(T) -> u8>(
    images: ArrayView4<'_, T>,
    ncols: usize,
    out_c: usize,
    convert: &F,
    pixels: &mut [u8],
) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, all that the function is compiled for.
        return unsafe { tile_avx2(images, ncols, out_c, convert, pixels) };
    }
    tile_portable(images, ncols, out_c, convert, pixels);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn tile_avx2<T: Copy, F: Fn(T) -> u8>(
    images: ArrayView4<'_, T>,
    ncols: usize,
    out_c: usize,
    convert: &F,
    pixels: &mut [u8],
) {
    tile_portable(images, ncols, out_c, convert, pixels);
}

#[inline(always)]
fn tile_portable<T: Copy, F: Fn(T) -> u8>(
    images: ArrayView4<'_, T>,
    ncols: usize,
    out_c: usize,
    convert: &F,
    pixels: &mut [u8],
) {
    let (_, c, h, w) = images.dim();
    let cell_len = w * out_c;
    let row_len = cell_len * ncols;
    let mut planes = vec![0u8; c * w];
    for (i, image) in images.outer_iter().enumerate() {
        let (gy, gx) = (i / ncols, i % ncols);
        for (y, row) in image.axis_iter(Axis(1)).enumerate() {
            let start = (gy * h + y) * row_len + gx * cell_len;
            write_row(row, &mut pixels[start..start + cell_len], out_c, convert, &mut planes);
        }
    }
}

/// Writes one image row, `row` being (C, W), into `dst` (W * `out_c` interleaved samples);
/// `planes` holds C * W samples between the conversion and the interleaving.
#[inline(always)]
fn write_row<T: Copy, F: Fn(T) -> u8>(
    row: ArrayView2<'_, T>,
    dst: &mut [u8],
    out_c: usize,
    f: &F,
    planes: &mut [u8],
) {
    let c = row.nrows();
    // Interleaved pixels (HWC memory): one contiguous run of W * C elements.
    if c == out_c {
        if let Some(src) = row.t().to_slice() {
            for (d, &s) in dst.iter_mut().zip(src) {
                *d = f(s);
            }
            return;
        }
    }
    // Planar rows (CHW memory), one contiguous run per channel: each channel is converted in a
    // loop of its own, which vectorises (converting pixel by pixel does not), then the bytes
    // are interleaved.
    let mut lanes: [&[T]; 4] = [&[]; 4];
    let planar = matches!((c, out_c), (1, 3) | (3, 3) | (4, 4))
        && (0..c).all(|k| row.index_axis_move(Axis(0), k).to_slice().map(|lane| lanes[k] = lane).is_some());
    if planar {
        let w = dst.len() / out_c;
        for (plane, lane) in planes.chunks_exact_mut(w).zip(&lanes[..c]) {
            for (d, &s) in plane.iter_mut().zip(*lane) {
                *d = f(s);
            }
        }
        let plane = |k: usize| &planes[k * w..(k + 1) * w];
        match c {
            1 => {
                for (d, &p) in dst.chunks_exact_mut(3).zip(plane(0)) {
                    d.copy_from_slice(&[p, p, p]);
                }
            }
            3 => {
                for (((d, &r), &g), &b) in dst.chunks_exact_mut(3).zip(plane(0)).zip(plane(1)).zip(plane(2)) {
                    d.copy_from_slice(&[r, g, b]);
                }
            }
            _ => {
                let pixels = dst.chunks_exact_mut(4).zip(plane(0)).zip(plane(1)).zip(plane(2)).zip(plane(3));
                for ((((d, &r), &g), &b), &a) in pixels {
                    d.copy_from_slice(&[r, g, b, a]);
                }
            }
        }
        return;
    }
    // Any other strides: one strided pass per output channel.
    for k in 0..out_c {
        let src = row.index_axis_move(Axis(0), if c == 1 { 0 } else { k });
        for (d, &s) in dst[k..].iter_mut().step_by(out_c).zip(src.iter()) {
            *d = f(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array, Array4, ArrayD, IxDyn, array};

    fn invalid_arg(result: Result<Image>) -> (&'static str, String) {
        match result {
            Err(Error::InvalidArgument { arg, message }) => (arg, message),
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }

    #[test]
    fn chw_u8_to_hwc() {
        let x = Array::from_shape_vec((3, 1, 2), vec![1u8, 2, 3, 4, 5, 6]).unwrap();
        let image = from_array(x.view().into_dyn(), "CHW").unwrap();
        assert_eq!((image.height, image.width, image.channels), (1, 2, 3));
        assert_eq!(image.pixels, [1, 3, 5, 2, 4, 6]);
        // Read as HWC (any case), the same data is a 3x1 image with 2 channels: rejected.
        let error = from_array(x.view().into_dyn(), "hwc").unwrap_err();
        assert!(matches!(error, Error::InvalidArgument { arg: "img_tensor", .. }));
        // HWC data is used as is.
        let x = Array::from_shape_vec((1, 2, 3), vec![1u8, 2, 3, 4, 5, 6]).unwrap();
        let image = from_array(x.view().into_dyn(), "hWc").unwrap();
        assert_eq!((image.height, image.width, image.channels), (1, 2, 3));
        assert_eq!(image.pixels, [1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn gray_is_stored_as_rgb() {
        let x = array![[0.0f32, 1.0], [0.5, 0.25]];
        let image = from_array(x.view().into_dyn(), "HW").unwrap();
        assert_eq!(image.channels, 3);
        assert_eq!(image.pixels, [0, 0, 0, 255, 255, 255, 127, 127, 127, 63, 63, 63]);
        let wh = from_array(x.view().into_dyn(), "WH").unwrap();
        assert_eq!(wh.pixels, [0, 0, 0, 127, 127, 127, 255, 255, 255, 63, 63, 63]);
    }

    #[test]
    fn scaling_truncates_and_clips() {
        // Truncation like numpy: 0.5 * 255 = 127.5 -> 127.
        assert_eq!(0.5f32.to_pixel(), 127);
        assert_eq!(0.5f64.to_pixel(), 127);
        assert_eq!(f16::from_f32(0.5).to_pixel(), 127);
        assert_eq!(1.0f32.to_pixel(), 255);
        // f16 rounds its product to f16 first: f16 0x2206 * 255 = 2.99995 -> f16 3.0 -> 3.
        let h = f16::from_bits(0x2206);
        assert!((h.to_f32() * 255.0) < 3.0);
        assert_eq!(h.to_pixel(), 3);
        // Clipped, where tensorboardX wraps (1.5 -> 126, -0.2 -> 205).
        for (x, want) in [(1.5f32, 255), (-0.2, 0), (f32::NAN, 0), (f32::INFINITY, 255), (-1e30, 0)] {
            assert_eq!(x.to_pixel(), want, "{x}");
            assert_eq!(f64::from(x).to_pixel(), want, "{x}");
            assert_eq!(f16::from_f32(x).to_pixel(), want, "{x}");
        }
        assert_eq!(f16::from_f32(300.0).to_pixel(), 255); // the f16 product overflows to inf
        assert_eq!([i8::MIN.to_pixel(), (-1i8).to_pixel(), 0i8.to_pixel(), 1i8.to_pixel()], [0, 0, 0, 255]);
        assert_eq!([0u64.to_pixel(), 2u64.to_pixel(), u64::MAX.to_pixel()], [0, 255, 255]);
        assert_eq!([i64::MIN.to_pixel(), i64::MAX.to_pixel()], [0, 255]);
        assert_eq!([false.to_pixel(), true.to_pixel()], [0, 255]);
        assert_eq!(200u8.to_pixel(), 200);
    }

    #[test]
    fn f16_table_matches_arithmetic() {
        let table = f16::converter();
        for bits in 0..=u16::MAX {
            let x = f16::from_bits(bits);
            assert_eq!(table(x), x.to_pixel(), "{bits:#06x}");
        }
    }

    #[test]
    fn reused_buffers_leave_no_old_pixels() {
        // A buffer that held white pixels, given back, then taken (if no other test took it
        // first) for a grid of the same size with an empty cell: that cell is black.
        let white = make_grid(Array4::<u8>::from_elem((4, 3, 8, 8), 255).view(), 2).unwrap();
        white.recycle();
        let grid = make_grid(Array4::<u8>::from_elem((3, 3, 8, 8), 7).view(), 2).unwrap();
        let (row_len, cell_len) = (16 * 3, 8 * 3);
        for (y, row) in grid.pixels.chunks_exact(row_len).enumerate() {
            let last_cell = if y < 8 { 7 } else { 0 };
            assert!(row[..cell_len].iter().all(|&p| p == 7), "row {y}");
            assert!(row[cell_len..].iter().all(|&p| p == last_cell), "row {y}");
        }
        // A full grid in a reused buffer: every pixel its own.
        grid.recycle();
        let full = make_grid(Array4::<u8>::from_elem((4, 3, 8, 8), 9).view(), 2).unwrap();
        assert!(full.pixels.iter().all(|&p| p == 9));
    }

    #[test]
    fn grid_layout_matches_tensorboardx() {
        // Observed: N=10, H=2, W=3 gives a 4x24 image; cells 10..16 stay black.
        let x = Array4::<u8>::from_shape_fn((10, 3, 2, 3), |(n, c, _, _)| (n * 10 + c + 1) as u8);
        let image = from_array(x.view().into_dyn(), "NCHW").unwrap();
        assert_eq!((image.height, image.width, image.channels), (4, 24, 3));
        let at = |y: usize, x: usize| &image.pixels[(y * 24 + x) * 3..][..3];
        assert_eq!(at(0, 0), [1, 2, 3]);
        assert_eq!(at(1, 23), [71, 72, 73]); // image 7, last column
        assert_eq!(at(2, 0), [81, 82, 83]); // image 8 starts row 2
        assert_eq!(at(3, 5), [91, 92, 93]);
        assert_eq!(at(2, 6), [0, 0, 0]);
        assert_eq!(at(3, 23), [0, 0, 0]);
        // N < 8: one row of N columns.
        let image = make_grid(x.slice(ndarray::s![..3, .., .., ..]), 8).unwrap();
        assert_eq!((image.height, image.width), (2, 9));
    }

    #[test]
    fn grid_with_explicit_rows_and_gray() {
        // Video-style: 3 frames in a 1x4 grid, one channel kept as one channel.
        let x = Array4::<u8>::from_elem((3, 1, 2, 2), 9);
        let image = make_grid_with(x.view(), 1, 4, false, |v| v + 1).unwrap();
        assert_eq!((image.height, image.width, image.channels), (2, 8, 1));
        assert_eq!(image.pixels[..8], [10, 10, 10, 10, 10, 10, 0, 0]);
        let (arg, message) = invalid_arg(make_grid_with(x.view(), 1, 2, false, |v| v));
        assert_eq!(arg, "img_tensor");
        assert!(message.contains("cannot hold 3 images"), "{message}");
        assert_eq!(invalid_arg(make_grid(x.view(), 0)).0, "ncols");
    }

    #[test]
    fn rejects_bad_dataformats() {
        let x = ArrayD::<f32>::zeros(IxDyn(&[3, 4, 5]));
        for df in ["CHWN", "CH", "CCH", "NHW", "CHX", "", "ÇHW"] {
            let (arg, message) = invalid_arg(from_array(x.view(), df));
            assert_eq!(arg, "dataformats", "{df}");
            assert!(message.contains("\"HWC\"") && message.contains("[3, 4, 5]"), "{message}");
        }
        let x4 = ArrayD::<u8>::zeros(IxDyn(&[2, 3, 4, 5]));
        let (arg, message) = invalid_arg(from_array(x4.view(), "CHW"));
        assert_eq!(arg, "dataformats");
        assert!(message.contains("\"NCHW\""), "{message}");
        let x2 = ArrayD::<u8>::zeros(IxDyn(&[4, 5]));
        assert_eq!(invalid_arg(from_array(x2.view(), "HWC")).0, "dataformats");
        for shape in [&[5][..], &[1, 2, 3, 4, 5], &[]] {
            let x = ArrayD::<u8>::zeros(IxDyn(shape));
            assert_eq!(invalid_arg(from_array(x.view(), "HWC")).0, "img_tensor");
        }
    }

    #[test]
    fn rejects_bad_channels_and_empty_images() {
        for shape in [&[2, 4, 5][..], &[5, 4, 5], &[2, 2, 4, 5], &[2, 0, 4, 5]] {
            let x = ArrayD::<u8>::zeros(IxDyn(shape));
            let df = if shape.len() == 3 { "CHW" } else { "NCHW" };
            let (arg, message) = invalid_arg(from_array(x.view(), df));
            assert_eq!(arg, "img_tensor");
            assert!(message.contains("channels") && message.contains(&format!("{shape:?}")), "{message}");
        }
        let x = Array4::<u8>::zeros((1, 2, 3, 3));
        assert!(invalid_arg(make_grid(x.view(), 8)).1.contains("channels"));
        assert!(invalid_arg(make_grid(x.slice(ndarray::s![..0, ..1, .., ..]), 8)).1.contains("empty"));
        for shape in [&[0, 3, 4, 5][..], &[1, 3, 0, 5], &[1, 3, 4, 0], &[3, 0, 4], &[0, 4]] {
            let x = ArrayD::<f32>::zeros(IxDyn(shape));
            let df = ["HW", "CHW", "NCHW"][shape.len() - 2];
            let (arg, message) = invalid_arg(from_array(x.view(), df));
            assert_eq!(arg, "img_tensor", "{shape:?}");
            assert!(message.contains("empty"), "{message}");
        }
    }
}
