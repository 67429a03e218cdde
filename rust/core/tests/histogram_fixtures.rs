//! Histograms checked against tensorboardX's own output, bit for bit except `sum_squares`
//! (BLAS `ddot` there, 1e-12 relative). `tests/fixtures/histogram_fixtures.{txt,bin}` are written
//! by `make_histogram_fixtures.py`, whose doc describes the format.

use std::collections::HashMap;

use half::f16;
use turboboard_core::Error;
use turboboard_core::histogram::{Bins, Element, Histogram, histogram, tensorflow_edges};

const INDEX: &str = include_str!("fixtures/histogram_fixtures.txt");
const BLOB: &[u8] = include_bytes!("fixtures/histogram_fixtures.bin");

/// One line of the index: its `key=value` fields.
type Case = HashMap<&'static str, &'static str>;

fn cases() -> impl Iterator<Item = Case> {
    INDEX.lines().filter(|line| !line.starts_with('#') && !line.trim().is_empty()).map(|line| {
        line.split_whitespace()
            .map(|field| field.split_once('=').unwrap_or_else(|| panic!("bad field {field:?}")))
            .collect()
    })
}

fn numbers(text: &str) -> Vec<usize> {
    text.split(',').map(|n| n.parse().unwrap()).collect()
}

/// The `offset,count` array `at`, decoded from `N`-byte little-endian items.
fn array<const N: usize, T>(at: &str, decode: impl Fn([u8; N]) -> T) -> Vec<T> {
    let [offset, count] = numbers(at)[..] else { panic!("bad array {at:?}") };
    BLOB[offset..offset + count * N].chunks_exact(N).map(|item| decode(item.try_into().unwrap())).collect()
}

fn bits(hex: &str) -> f64 {
    f64::from_bits(u64::from_str_radix(hex, 16).unwrap())
}

/// splitmix64's outputs 1..=count after `seed`, as the fixture script draws them.
fn splitmix64(seed: u64, count: usize) -> impl Iterator<Item = u64> {
    (1..=count as u64).map(move |i| {
        let mut z = seed.wrapping_add(i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    })
}

/// The script's `generate`: four draws per element, exact arithmetic but for one rounding.
fn generate(spec: &str) -> (Vec<f32>, Vec<f64>) {
    let mut fields = spec.split(',');
    let kind = fields.next().unwrap();
    let [seed, n] = [(); 2].map(|()| fields.next().unwrap().parse::<u64>().unwrap());
    let draws: Vec<u64> = splitmix64(seed, 4 * n as usize).collect();
    let unit = |z: u64| (z >> 11) as f64 * (-53f64).exp2();
    let quads = draws.chunks_exact(4);
    match kind {
        "normalish" => {
            let values =
                quads.map(|z| (((unit(z[0]) + unit(z[1])) + (unit(z[2]) + unit(z[3]))) - 2.0) as f32);
            (values.collect(), Vec::new())
        }
        "heavy" => {
            let values = quads.map(|z| {
                let k = (z[1] >> 57) as i64 - 50;
                (unit(z[0]) - 0.5) * f64::from_bits(((k + 1023) as u64) << 52)
            });
            (Vec::new(), values.collect())
        }
        _ => panic!("unknown generator {kind}"),
    }
}

fn run<T: Element>(values: &[T], bins: Bins<'_>, max_bins: Option<usize>) -> Result<Histogram, Error> {
    histogram(values, bins, max_bins)
}

/// Runs one case; returns what differs from tensorboardX.
fn check(case: &Case) -> Vec<String> {
    let edges = case.get("edges").map(|at| array(at, f64::from_le_bytes));
    let bins = edges.as_deref().map_or(Bins::TensorFlow, Bins::Edges);
    let max_bins = case.get("max_bins").map(|m| m.parse().unwrap());
    let input = case.get("input").copied().unwrap_or_default();
    let got = match (case["dtype"], case.get("generate")) {
        ("float32", Some(spec)) => run(&generate(spec).0, bins, max_bins),
        ("float64", Some(spec)) => run(&generate(spec).1, bins, max_bins),
        ("float16", None) => run(&array(input, f16::from_le_bytes), bins, max_bins),
        ("float32", None) => run(&array(input, f32::from_le_bytes), bins, max_bins),
        ("float64", None) => run(&array(input, f64::from_le_bytes), bins, max_bins),
        ("int8", None) => run(&array(input, i8::from_le_bytes), bins, max_bins),
        ("int16", None) => run(&array(input, i16::from_le_bytes), bins, max_bins),
        ("int32", None) => run(&array(input, i32::from_le_bytes), bins, max_bins),
        ("int64", None) => run(&array(input, i64::from_le_bytes), bins, max_bins),
        ("uint8", None) => run(&array(input, u8::from_le_bytes), bins, max_bins),
        ("uint16", None) => run(&array(input, u16::from_le_bytes), bins, max_bins),
        ("uint32", None) => run(&array(input, u32::from_le_bytes), bins, max_bins),
        ("uint64", None) => run(&array(input, u64::from_le_bytes), bins, max_bins),
        ("bool", None) => run(&array(input, |[b]: [u8; 1]| b != 0), bins, max_bins),
        (dtype, _) => panic!("unknown dtype {dtype}"),
    };

    if let Some(&error) = case.get("error") {
        // tensorboardX's ValueErrors; ours word the second one as an explanation, not a bug report.
        let start = match error {
            "no-element" => "The input has no element.",
            "empty" => "The histogram is empty",
            _ => panic!("unknown error {error}"),
        };
        return match got {
            Err(Error::InvalidArgument { arg: "values", message }) if message.starts_with(start) => vec![],
            other => vec![format!("expected ValueError {start:?}, got {other:?}")],
        };
    }
    let got = match got {
        Ok(got) => got,
        Err(error) => return vec![format!("unexpected error {error}")],
    };
    let mut diffs = Vec::new();
    for (field, value) in [("min", got.min), ("max", got.max), ("sum", got.sum)] {
        let want = bits(case[field]);
        // A NaN's sign and payload are not numpy's to promise (they vary with its SIMD paths).
        let same = value.to_bits() == want.to_bits() || (value.is_nan() && want.is_nan());
        if !same {
            diffs.push(format!("{field}: got {value:e}, want {want:e}"));
        }
    }
    let (got_sq, want_sq) = (got.sum_squares, bits(case["sum_squares"]));
    let close = got_sq == want_sq
        || (got_sq.is_nan() && want_sq.is_nan())
        || (got_sq - want_sq).abs() <= 1e-12 * want_sq.abs();
    if !close {
        diffs.push(format!("sum_squares: got {got_sq:e}, want {want_sq:e}"));
    }
    if got.num != case["num"].parse::<f64>().unwrap() {
        diffs.push(format!("num: got {}, want {}", got.num, case["num"]));
    }

    let [first, step, count, last] = numbers(case["bucket_limit"])[..] else { panic!("bad limits") };
    let all_edges = edges.as_deref().unwrap_or(tensorflow_edges());
    let want_limits: Vec<f64> =
        (0..count - 1).map(|k| first + k * step).chain([last]).map(|i| all_edges[i]).collect();
    let want_buckets: Vec<f64> = match case["bucket_dtype"] {
        "uint16" => array(case["bucket"], |b| f64::from(u16::from_le_bytes(b))),
        _ => array(case["bucket"], |b| f64::from(u32::from_le_bytes(b))),
    };
    let same_limits = got.bucket_limit.len() == want_limits.len()
        && got.bucket_limit.iter().zip(&want_limits).all(|(a, b)| a.to_bits() == b.to_bits());
    if !same_limits {
        diffs.push(format!(
            "bucket_limit: got {} from {:?}, want {} from {:?}",
            got.bucket_limit.len(),
            got.bucket_limit.first(),
            want_limits.len(),
            want_limits.first()
        ));
    }
    if got.bucket != want_buckets {
        let first = got.bucket.iter().zip(&want_buckets).position(|(a, b)| a != b);
        diffs.push(format!(
            "bucket: got {}, want {}, first difference at {first:?}",
            got.bucket.len(),
            want_buckets.len()
        ));
    }
    diffs
}

#[test]
fn default_edges_are_tensorboardxs() {
    let at = INDEX.lines().find_map(|line| line.strip_prefix("tensorflow_edges=")).unwrap();
    let want = array(at, f64::from_le_bytes);
    let got = tensorflow_edges();
    assert_eq!(got.len(), want.len());
    assert!(got.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()));
}

#[test]
fn histograms_match_tensorboardx() {
    let cases: Vec<Case> = cases().filter(|case| case.contains_key("name")).collect();
    assert!(cases.len() > 100);
    let failures: Vec<String> = cases
        .iter()
        .flat_map(|case| check(case).into_iter().map(|diff| format!("{}: {diff}", case["name"])))
        .collect();
    assert!(failures.is_empty(), "{} differences:\n{}", failures.len(), failures.join("\n"));
}
