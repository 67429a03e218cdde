//! Histograms exactly as tensorboardX's `add_histogram` builds them: `np.histogram` over the
//! values cast to float64, then tensorboardX's `max_bins` folding and trimming.
//!
//! Bucket limits, counts, `min`, `max`, `num` and `sum` are bit-identical to tensorboardX;
//! `sum_squares` (a BLAS `ddot` there) agrees to rounding. numpy sorts the values to bin them;
//! here every value finds its bin in O(1) from a guess table, corrected against the exact
//! edges, so results cannot drift from numpy's rules.

use std::borrow::Cow;
use std::sync::LazyLock;

use half::f16;
use half::slice::HalfFloatSliceExt;

use crate::error::{Error, Result};
use crate::parallel;

#[cfg(target_arch = "x86_64")]
mod avx;
mod pairwise;
mod slots;
#[cfg(test)]
mod tests;

use pairwise::*;
use slots::*;

/// Returns `$fast`, a kernel of [`avx`], where the CPU has AVX (the compiler does not use it on
/// its own for a generic x86-64 target), else `$portable`; both give the same results.
macro_rules! avx_or {
    ($fast:expr, $portable:expr) => {{
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU has AVX, all that the kernels ask for.
            return unsafe { $fast };
        }
        $portable
    }};
}

/// numpy's `PW_BLOCKSIZE`: its pairwise summation adds runs of at most this many values with
/// eight accumulators, and we bin the same runs while they are in L1.
const LEAF: usize = 128;

/// Below this many values per thread, starting a thread costs more than it saves.
const MIN_PER_THREAD: usize = 1 << 16;

/// Threads worth using; each counts into an array of its own, so with many bins each also needs
/// several values per bin to be worth it (and the arrays stay smaller than the input).
fn threads_for(len: usize, slots: usize) -> usize {
    parallel::threads_for(len, MIN_PER_THREAD.max(4 * slots))
}

/// An element type `add_histogram` accepts. It is widened to f64 exactly as numpy's
/// `values.astype(float)` does (round to nearest for 64-bit integers, bool as 0 or 1).
pub trait Element: Copy + Send + Sync {
    /// Whether the type has a -0.0 (floats do), which numpy's min and max can return.
    const NEGATIVE_ZERO: bool;

    fn to_f64(self) -> f64;

    /// Min, max, sum and sum of squares of a leaf; the floats override it with AVX kernels.
    fn reduce(values: &[Self]) -> Leaf {
        reduce_leaf(values)
    }

    /// Counts a run into the default bins' slots. f32, the type of nearly every histogram,
    /// overrides it to bin its own bits.
    fn count_default_bins(values: &[Self], counts: &mut [u64]) {
        let tf = &*TENSORFLOW;
        count(values, &Guessed { lower: &tf.lower, upper_edge: &tf.upper_edge }, counts);
    }

    /// Counts a leaf into the default bins' slots and reduces it; f32 does both in one loop.
    fn bin_default_leaf(values: &[Self], counts: &mut [u64]) -> Leaf {
        Self::count_default_bins(values, counts);
        Self::reduce(values)
    }
}

macro_rules! element_as_f64 {
    ($negative_zero:literal: $($t:ty),*) => {$(
        impl Element for $t {
            const NEGATIVE_ZERO: bool = $negative_zero;

            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
        }
    )*};
}
element_as_f64!(false: i8, i16, i32, i64, u8, u16, u32, u64);

impl Element for f64 {
    const NEGATIVE_ZERO: bool = true;

    #[inline]
    fn to_f64(self) -> f64 {
        self
    }

    fn reduce(values: &[f64]) -> Leaf {
        avx_or!(avx::reduce_f64(values), reduce_leaf(values))
    }
}

impl Element for f32 {
    const NEGATIVE_ZERO: bool = true;

    #[inline]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }

    fn reduce(values: &[f32]) -> Leaf {
        avx_or!(avx::reduce_f32(values), reduce_leaf(values))
    }

    fn count_default_bins(values: &[f32], counts: &mut [u64]) {
        let (tf, counts) = (&*TENSORFLOW_F32, default_counts(counts));
        let mut octets = values.chunks_exact(8);
        for octet in &mut octets {
            tf.count_octet(octet.try_into().expect("eight values"), counts);
        }
        octets.remainder().iter().for_each(|&x| tf.count_one(x, counts));
    }

    fn bin_default_leaf(values: &[f32], counts: &mut [u64]) -> Leaf {
        avx_or!(avx::bin_default_f32(values, &TENSORFLOW_F32, default_counts(counts)), {
            Self::count_default_bins(values, counts);
            reduce_leaf(values)
        })
    }
}

impl Element for bool {
    const NEGATIVE_ZERO: bool = false;

    #[inline]
    fn to_f64(self) -> f64 {
        f64::from(u8::from(self))
    }
}

impl Element for f16 {
    const NEGATIVE_ZERO: bool = true;

    #[inline]
    fn to_f64(self) -> f64 {
        f16::to_f64(self)
    }

    /// Widens the leaf with half's vectorised conversion first: one by one it is slow.
    fn reduce(values: &[f16]) -> Leaf {
        let mut widened = [0.0; LEAF];
        let widened = &mut widened[..values.len()];
        values.convert_to_f64_slice(widened);
        reduce_leaf(widened)
    }

    /// A float16 has 65536 values: each one's slot is in a table.
    fn count_default_bins(values: &[f16], counts: &mut [u64]) {
        let slots = &*TENSORFLOW_F16;
        for v in values {
            counts[usize::from(slots[usize::from(v.to_bits())])] += 1;
        }
    }
}

/// The bin edges to count values into.
#[derive(Debug, Clone, Copy)]
pub enum Bins<'a> {
    /// tensorboardX's `default_bins`: ±1e-12·1.1^k up to 1e20, and 0 (1549 edges).
    TensorFlow,
    /// numpy edges, non-decreasing: bin i is `[e[i], e[i+1])`, the last bin is closed. The
    /// caller computes them for numpy's int and estimator bins (`np.histogram_bin_edges`).
    Edges(&'a [f64]),
}

/// The contents of a `HistogramProto`, all doubles as in the proto.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// NaN if any value is NaN, as numpy's `min`.
    pub min: f64,
    pub max: f64,
    /// Every element, NaN and out-of-range ones included.
    pub num: f64,
    /// numpy's pairwise sum over the float64 values, bit for bit.
    pub sum: f64,
    pub sum_squares: f64,
    /// The right edge of each bucket. The first bucket is always empty: its limit is the left
    /// edge of the first occupied bin. Empty buckets between occupied ones are kept.
    pub bucket_limit: Vec<f64>,
    pub bucket: Vec<f64>,
}

/// Builds the lookup tables now. A table still being built by another thread when the process
/// forks would stay "being built" in the child for ever: build them before any thread can.
pub fn build_tables() {
    LazyLock::force(&TENSORFLOW);
    LazyLock::force(&TENSORFLOW_F32);
    LazyLock::force(&TENSORFLOW_F16);
}

/// The default edges, as `SummaryWriter.default_bins` holds them.
pub fn tensorflow_edges() -> &'static [f64] {
    &TENSORFLOW.edges
}

/// Builds the histogram tensorboardX's `add_histogram(values, bins, max_bins)` would write.
///
/// Fails like tensorboardX when `values` is empty, or when no value lies inside the edges
/// (NaN and values beyond the outermost edges are counted in `num` but in no bucket).
pub fn histogram<T: Element>(values: &[T], bins: Bins<'_>, max_bins: Option<usize>) -> Result<Histogram> {
    if values.is_empty() {
        return Err(Error::invalid("values", "The input has no element."));
    }
    if max_bins == Some(0) {
        return Err(Error::invalid("max_bins", "must be at least 1"));
    }
    let (edges, slots, scan) = match bins {
        Bins::TensorFlow => {
            let tf = &*TENSORFLOW;
            let slots = tf.slot_edges.len() - 1;
            let threads = threads_for(values.len(), slots);
            (&tf.edges[..], slots, scan(values, &DefaultBins, DEFAULT_COUNTS, threads))
        }
        Bins::Edges(edges) => {
            check_edges(edges)?;
            let slot_edges = slot_edges(edges);
            let slots = slot_edges.len() - 1;
            let threads = threads_for(values.len(), slots);
            let scan = match Even::new(edges, &slot_edges) {
                Some(even) => scan(values, &even, slots, threads),
                None => scan(values, &Sorted { slot_edges: &slot_edges }, slots, threads),
            };
            (edges, slots, scan)
        }
    };
    let counts = &scan.counts[1..slots - 1];
    let (bucket_limit, bucket) = fold_and_trim(counts, edges, max_bins)?;
    // Only a NaN makes a sum of squares NaN; numpy's min and max then return NaN too.
    let nan = scan.sum_squares.is_nan();
    Ok(Histogram {
        min: if nan { f64::NAN } else { zero_sign_as_numpy(values, scan.min) },
        max: if nan { f64::NAN } else { zero_sign_as_numpy(values, scan.max) },
        num: values.len() as f64,
        sum: scan.sum,
        sum_squares: scan.sum_squares,
        bucket_limit,
        bucket,
    })
}

/// numpy's `min` and `max` return the last of equal values, which shows only when the result
/// is zero and both -0.0 and 0.0 occur: then the sign is that of the last zero.
fn zero_sign_as_numpy<T: Element>(values: &[T], extreme: f64) -> f64 {
    if extreme != 0.0 || !T::NEGATIVE_ZERO {
        return extreme;
    }
    values.iter().rev().map(|&v| v.to_f64()).find(|&x| x == 0.0).unwrap_or(extreme)
}

fn check_edges(edges: &[f64]) -> Result<()> {
    if edges.len() < 2 {
        return Err(Error::invalid("bins", "needs at least two edges"));
    }
    if edges.iter().any(|e| e.is_nan()) {
        return Err(Error::invalid("bins", "bin edges must not be NaN"));
    }
    if edges.windows(2).any(|w| w[0] > w[1]) {
        return Err(Error::invalid("bins", "`bins` must increase monotonically, when an array"));
    }
    Ok(())
}

/// tensorboardX's `max_bins` folding, then its trim to the occupied range with one empty
/// bucket in front. Returns (limits, counts).
fn fold_and_trim(counts: &[u64], edges: &[f64], max_bins: Option<usize>) -> Result<(Vec<f64>, Vec<f64>)> {
    let n = counts.len();
    let (counts, edges): (Cow<'_, [u64]>, Cow<'_, [f64]>) = match max_bins {
        Some(max) if n > max => {
            // Groups of n / max bins, the last one padded with empty bins: this can leave more
            // than max_bins buckets (1548 bins, max_bins=10 gives 11), as in tensorboardX.
            let group = n / max;
            let counts = counts.chunks(group).map(|c| c.iter().sum()).collect();
            let edges = edges[..n].iter().step_by(group).chain(&edges[n..]).copied().collect();
            (Cow::Owned(counts), Cow::Owned(edges))
        }
        _ => (Cow::Borrowed(counts), Cow::Borrowed(edges)),
    };
    let first = counts.iter().position(|&c| c > 0);
    let last = counts.iter().rposition(|&c| c > 0);
    // What tensorboardX's `searchsorted` gives, including when nothing is counted.
    let (start, end) = match (first, last) {
        (Some(first), Some(last)) => (first, last + 1),
        _ => (counts.len(), 1),
    };
    let bucket: Vec<f64> = if start > 0 {
        py_slice(&counts, start - 1, end).iter().map(|&c| c as f64).collect()
    } else {
        std::iter::once(0.0).chain(counts[..end].iter().map(|&c| c as f64)).collect()
    };
    let limits = py_slice(&edges, start, end + 1).to_vec();
    if bucket.is_empty() || limits.is_empty() {
        return Err(Error::invalid(
            "values",
            "The histogram is empty: no value lies inside the bin edges (NaN and values beyond \
             the outermost edges fall in no bin).",
        ));
    }
    Ok((limits, bucket))
}

/// Python's `v[start:end]` for non-negative bounds: clamped, empty when reversed.
fn py_slice<T>(v: &[T], start: usize, end: usize) -> &[T] {
    let end = end.min(v.len());
    if start >= end { &[] } else { &v[start..end] }
}
