//! Any values, any bin edges, any max_bins: the histogram never panics, and what it returns is
//! consistent (as many limits as buckets, limits non-decreasing, no more counted than given).
#![no_main]

use libfuzzer_sys::fuzz_target;
use turboboard_core::histogram::{self, Bins, Element, Histogram};

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else { return };
    let Some((&max_bins, rest)) = rest.split_first() else { return };
    let max_bins = (max_bins != 0).then_some(usize::from(max_bins) % 64);
    // Explicit edges: the first eighth of the rest, as f64s; the values: the remainder.
    let (edges, values) = rest.split_at(if control & 1 == 1 { rest.len() / 8 / 8 * 8 } else { 0 });
    let edges: Vec<f64> = edges.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect();
    let bins = if control & 1 == 1 { Bins::Edges(&edges) } else { Bins::TensorFlow };
    match (control >> 1) % 6 {
        0 => check(&from_bytes(values, f64::from_le_bytes), bins, max_bins),
        1 => check(&from_bytes(values, f32::from_le_bytes), bins, max_bins),
        2 => check(&from_bytes(values, i64::from_le_bytes), bins, max_bins),
        3 => check(&from_bytes(values, u64::from_le_bytes), bins, max_bins),
        4 => check(values, bins, max_bins),
        _ => check(&values.iter().map(|&b| b & 1 == 1).collect::<Vec<_>>(), bins, max_bins),
    }
});

fn from_bytes<T, const N: usize>(bytes: &[u8], f: fn([u8; N]) -> T) -> Vec<T> {
    bytes.chunks_exact(N).map(|c| f(c.try_into().unwrap())).collect()
}

fn check<T: Element>(values: &[T], bins: Bins<'_>, max_bins: Option<usize>) {
    let Ok(Histogram { num, bucket_limit, bucket, .. }) = histogram::histogram(values, bins, max_bins) else {
        return;
    };
    assert_eq!(num, values.len() as f64);
    assert_eq!(bucket_limit.len(), bucket.len());
    assert!(bucket_limit.windows(2).all(|w| w[0] <= w[1]), "{bucket_limit:?}");
    assert!(bucket.iter().sum::<f64>() <= num);
}
