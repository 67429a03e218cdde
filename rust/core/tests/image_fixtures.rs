//! Pixel parity with tensorboardX. `tests/fixtures/image_fixtures.{txt,bin}` (written by
//! `make_image_fixtures.py`) hold image tensors and the HWC uint8 pixels tensorboardX's
//! `convert_to_HWC` / `make_grid` / `x * 255` make of them. Every input is converted as given and
//! through several non-contiguous views, and encoded to PNG and decoded back.

use std::fmt::Debug;
use std::io::Cursor;

use half::f16;
use ndarray::{ArrayD, ArrayViewD, IxDyn, ShapeBuilder, Slice};
use turboboard_core::encode::image::{Image, Pixel, from_array};
use turboboard_core::encode::png::encode_png;

const INDEX: &str = include_str!("fixtures/image_fixtures.txt");
const BLOB: &[u8] = include_bytes!("fixtures/image_fixtures.bin");

struct Case<'a> {
    name: &'a str,
    kind: &'a str,
    dtype: &'a str,
    dataformats: &'a str,
    shape: Vec<usize>,
    input_offset: usize,
    expected_shape: Vec<usize>,
    expected_offset: usize,
}

fn dims(text: &str) -> Vec<usize> {
    text.split(',').map(|d| d.parse().unwrap()).collect()
}

fn cases() -> Vec<Case<'static>> {
    INDEX
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(f.len(), 8, "bad index line {line:?}");
            Case {
                name: f[0],
                kind: f[1],
                dtype: f[2],
                dataformats: f[3],
                shape: dims(f[4]),
                input_offset: f[5].parse().unwrap(),
                expected_shape: dims(f[6]),
                expected_offset: f[7].parse().unwrap(),
            }
        })
        .collect()
}

/// An element stored little-endian in the fixture blob.
trait Stored: Pixel + Debug {
    const SIZE: usize;
    fn read(bytes: &[u8]) -> Self;
}

macro_rules! stored {
    ($($t:ty),*) => {$(
        impl Stored for $t {
            const SIZE: usize = size_of::<$t>();
            fn read(bytes: &[u8]) -> Self {
                <$t>::from_le_bytes(bytes.try_into().unwrap())
            }
        }
    )*};
}
stored!(u8, i8, i16, i32, i64, u16, u32, u64, f32, f64);

impl Stored for f16 {
    const SIZE: usize = 2;
    fn read(bytes: &[u8]) -> Self {
        f16::from_bits(u16::from_le_bytes(bytes.try_into().unwrap()))
    }
}

impl Stored for bool {
    const SIZE: usize = 1;
    fn read(bytes: &[u8]) -> Self {
        bytes[0] != 0
    }
}

fn assert_image(case: &Case, how: &str, image: &Image, expected: &[u8]) {
    let shape = [image.height as usize, image.width as usize, usize::from(image.channels)];
    assert_eq!(shape[..], case.expected_shape[..], "{} ({how}): HWC shape", case.name);
    if let Some(i) = image.pixels.iter().zip(expected).position(|(a, b)| a != b) {
        let (c, pixel) = (shape[2], i / shape[2]);
        panic!(
            "{} ({how}): first difference at y={} x={} c={}: got {}, tensorboardX {}",
            case.name,
            pixel / shape[1],
            pixel % shape[1],
            i % c,
            image.pixels[i],
            expected[i]
        );
    }
    assert_eq!(image.pixels.len(), expected.len(), "{} ({how})", case.name);
}

fn decode_png(bytes: &[u8]) -> (u32, u32, png::ColorType, Vec<u8>) {
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    // A palette (images of few colours) decodes to its RGB colours.
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    buf.truncate(info.buffer_size());
    (info.width, info.height, info.color_type, buf)
}

/// Converts `view` and checks it against the fixture; returns how many views were checked.
fn check_view<T: Pixel>(case: &Case, how: &str, view: ArrayViewD<'_, T>, df: &str, expected: &[u8]) {
    let image = from_array(view, df).unwrap_or_else(|e| panic!("{} ({how}): {e}", case.name));
    assert_image(case, how, &image, expected);
}

fn check<T: Stored>(case: &Case) -> usize {
    let count: usize = case.shape.iter().product();
    let input = &BLOB[case.input_offset..case.input_offset + count * T::SIZE];
    let expected_len: usize = case.expected_shape.iter().product();
    let expected = &BLOB[case.expected_offset..case.expected_offset + expected_len];
    let values: Vec<T> = input.chunks_exact(T::SIZE).map(T::read).collect();
    let array = ArrayD::from_shape_vec(IxDyn(&case.shape), values).unwrap();
    let df = case.dataformats;

    // As stored (C order), plus the PNG round trip.
    let image = from_array(array.view(), df).unwrap();
    assert_image(case, "contiguous", &image, expected);
    let png = encode_png(&image).unwrap();
    let (width, height, color, pixels) = decode_png(&png);
    assert_eq!((width, height), (image.width, image.height), "{}: PNG size", case.name);
    let want = if image.channels == 4 { png::ColorType::Rgba } else { png::ColorType::Rgb };
    assert_eq!(color, want, "{}: PNG color type", case.name);
    assert!(pixels == image.pixels, "{}: PNG round trip changed pixels", case.name);

    // Fortran order: every stride differs from C order.
    let mut fortran = ArrayD::from_elem(IxDyn(&case.shape).f(), *array.first().unwrap());
    fortran.assign(&array);
    check_view(case, "fortran order", fortran.view(), df, expected);

    // Every other element of a larger array filled with a distinct value (NaN, 255, true...).
    let garbage = T::read(&[0xff; 16][..T::SIZE]);
    let big_shape: Vec<usize> = case.shape.iter().map(|d| 2 * d).collect();
    let mut big = ArrayD::from_elem(IxDyn(&big_shape), garbage);
    big.slice_each_axis_mut(|_| Slice::new(0, None, 2)).assign(&array);
    check_view(case, "strided", big.slice_each_axis(|_| Slice::new(0, None, 2)), df, expected);

    // Negative strides: a reversed copy, viewed reversed.
    let reversed = array.slice_each_axis(|_| Slice::new(0, None, -1)).to_owned();
    check_view(case, "negative strides", reversed.slice_each_axis(|_| Slice::new(0, None, -1)), df, expected);

    // The same tensor in other axis orders, with dataformats permuted to match: as a transposed
    // view, and as a contiguous copy in that order (e.g. CHW data laid out as HWC).
    let ndim = case.shape.len();
    for shift in 1..ndim {
        let perm: Vec<usize> = (0..ndim).map(|i| (i + shift) % ndim).collect();
        let letters: Vec<char> = df.chars().collect();
        let permuted_df: String = perm.iter().map(|&i| letters[i]).collect();
        let view = array.view().permuted_axes(IxDyn(&perm));
        check_view(case, &format!("axes {perm:?} view"), view.clone(), &permuted_df, expected);
        let owned = view.as_standard_layout().into_owned();
        check_view(case, &format!("axes {perm:?} copy"), owned.view(), &permuted_df, expected);
    }
    5 + 2 * (ndim - 1)
}

#[test]
fn tensorboardx_image_fixtures() {
    let cases = cases();
    assert!(cases.len() >= 60, "only {} fixture cases", cases.len());
    let mut views = 0;
    let mut dtypes = std::collections::BTreeSet::new();
    for case in &cases {
        assert!(matches!(case.kind, "tbx" | "clip"), "{}: kind {}", case.name, case.kind);
        dtypes.insert(case.dtype);
        views += match case.dtype {
            "u8" => check::<u8>(case),
            "i8" => check::<i8>(case),
            "i16" => check::<i16>(case),
            "i32" => check::<i32>(case),
            "i64" => check::<i64>(case),
            "u16" => check::<u16>(case),
            "u32" => check::<u32>(case),
            "u64" => check::<u64>(case),
            "bool" => check::<bool>(case),
            "f16" => check::<f16>(case),
            "f32" => check::<f32>(case),
            "f64" => check::<f64>(case),
            other => panic!("{}: unknown dtype {other}", case.name),
        };
    }
    assert_eq!(dtypes.len(), 12, "dtypes covered: {dtypes:?}");
    assert!(views > 5 * cases.len());
}
