//! Histograms exactly as tensorboardX's `add_histogram` builds them: `np.histogram` over the
//! values cast to float64, then tensorboardX's `max_bins` folding and trimming.
//!
//! Bucket limits, counts, `min`, `max`, `num` and `sum` are bit-identical to tensorboardX;
//! `sum_squares` (a BLAS `ddot` there) agrees to rounding. numpy spends ~25 ms on 10^6 values
//! with the default 1549 edges because it sorts; here every value finds its bin in O(1) from a
//! guess table, corrected against the exact edges, so results cannot drift from numpy's rules.

use std::borrow::Cow;
use std::sync::LazyLock;

use half::f16;
use half::slice::HalfFloatSliceExt;

use crate::error::{Error, Result};
use crate::parallel;

#[cfg(target_arch = "x86_64")]
mod avx;

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

/// The length of the count arrays for the default bins: a power of two above their 1551 slots,
/// so that a mask can keep a slot in bounds without a check.
const DEFAULT_COUNTS: usize = 2048;

fn default_counts(counts: &mut [u64]) -> &mut [u64; DEFAULT_COUNTS] {
    counts.try_into().expect("room for every default slot")
}

/// The default edges, their slot edges, and for each value of a float's top 16 bits a slot and
/// the left edge of the slot above it.
struct TensorFlowBins {
    edges: Vec<f64>,
    slot_edges: Vec<f64>,
    lower: Box<[u16; 1 << 16]>,
    /// `slot_edges[lower + 1]`, per cell: the binning loop loads it with the same index as
    /// `lower` instead of after it (no dependent load, no bounds check). Both tables are large,
    /// but the cells real data touch are few (a few hundred for weights or activations).
    upper_edge: Box<[f64; 1 << 16]>,
}

static TENSORFLOW: LazyLock<TensorFlowBins> = LazyLock::new(|| {
    // tensorboardX's recipe: repeated multiplication, not 1.1**k, which differs in the last bits.
    let mut positive = Vec::new();
    let mut v = 1e-12;
    while v < 1e20 {
        positive.push(v);
        v *= 1.1;
    }
    let edges: Vec<f64> =
        positive.iter().rev().map(|&v| -v).chain([0.0]).chain(positive.iter().copied()).collect();
    let slot_edges = slot_edges(&edges);
    // The top 16 bits are the sign, the exponent and 4 mantissa bits: the floats sharing them
    // span a factor of at most 1 + 1/16, less than the edges' ratio 1.1, so they fall in at
    // most two adjacent slots. The table holds the lower one, the slot of the cell's smallest
    // float (its highest bits if negative, its lowest if positive). Visiting the cells in order
    // of those floats, one cursor walks the edges once; NaN cells come first and last and stay
    // in the slots below and above.
    let mut lower = vec![0; 1 << 16];
    let mut slot = 0;
    for cell in (0x8000..1 << 16).rev().chain(0..0x8000) {
        let low_bits = if cell & 0x8000 == 0 { 0 } else { (1 << 48) - 1 };
        let smallest = f64::from_bits((cell as u64) << 48 | low_bits);
        while smallest >= slot_edges[slot + 1] {
            slot += 1;
        }
        lower[cell] = slot as u16;
    }
    let upper_edge: Vec<f64> = lower.iter().map(|&slot| slot_edges[usize::from(slot) + 1]).collect();
    let lower = lower.into_boxed_slice().try_into().expect("one slot per 16-bit prefix");
    let upper_edge = upper_edge.into_boxed_slice().try_into().expect("one edge per 16-bit prefix");
    TensorFlowBins { edges, slot_edges, lower, upper_edge }
});

/// The default bins for float32 values, looked up by the values' own top 16 bits (sign, exponent,
/// 7 mantissa bits): no widening, and smaller tables than the f64 ones. A cell spans a factor
/// of at most 1 + 1/128, so it also straddles at most one edge.
struct TensorFlowF32Bins {
    lower: Box<[u16; 1 << 16]>,
    /// The smallest float32 at or above the edge that starts the slot after `lower`: for a
    /// float32 `x`, `x >= edge` exactly when `x >= upper_edge`.
    upper_edge: Box<[f32; 1 << 16]>,
}

impl TensorFlowF32Bins {
    #[inline(always)]
    fn slot(&self, x: f32) -> u32 {
        let cell = (x.to_bits() >> 16) as usize;
        // u32, not u16: the 16-bit addition cost a fifth of the loop.
        u32::from(self.lower[cell]) + u32::from(x >= self.upper_edge[cell])
    }

    #[inline(always)]
    fn count_one(&self, x: f32, counts: &mut [u64; DEFAULT_COUNTS]) {
        // The mask changes nothing (slots are fewer) but proves the index in bounds.
        counts[self.slot(x) as usize & (DEFAULT_COUNTS - 1)] += 1;
    }

    /// Eight slots first, then eight increments: a quarter faster than one at a time, as the
    /// lookups no longer wait behind the increments.
    #[inline(always)]
    fn count_octet(&self, octet: &[f32; 8], counts: &mut [u64; DEFAULT_COUNTS]) {
        let slots = octet.map(|x| self.slot(x));
        slots.into_iter().for_each(|slot| counts[slot as usize & (DEFAULT_COUNTS - 1)] += 1);
    }
}

static TENSORFLOW_F32: LazyLock<TensorFlowF32Bins> = LazyLock::new(|| {
    let tf = &*TENSORFLOW;
    let sorted = Sorted { slot_edges: &tf.slot_edges };
    let last_slot = tf.slot_edges.len() - 2;
    let mut lower = vec![0; 1 << 16];
    let mut upper_edge = vec![0.0; 1 << 16];
    for cell in 0..1 << 16 {
        // The cell's smallest float: its lowest bits if positive, its highest if negative.
        let low_bits = if cell & 0x8000 == 0 { 0 } else { 0xffff };
        let smallest = f32::from_bits(cell << 16 | low_bits);
        let slot = match smallest.is_nan() {
            false => sorted.slot(f64::from(smallest)),
            // NaN cells lie beyond the infinities, in the slots outside the bins.
            true if smallest.is_sign_positive() => last_slot,
            true => 0,
        };
        lower[cell as usize] = slot as u16;
        upper_edge[cell as usize] = round_up_to_f32(tf.slot_edges[slot + 1]);
    }
    let lower = lower.into_boxed_slice().try_into().expect("one slot per 16-bit prefix");
    let upper_edge = upper_edge.into_boxed_slice().try_into().expect("one edge per 16-bit prefix");
    TensorFlowF32Bins { lower, upper_edge }
});

/// The default bins' slot of every float16 (NaN in slot 0, which is no bin).
static TENSORFLOW_F16: LazyLock<Box<[u16; 1 << 16]>> = LazyLock::new(|| {
    let sorted = Sorted { slot_edges: &TENSORFLOW.slot_edges };
    let slots: Vec<u16> =
        (0..=u16::MAX).map(|bits| sorted.slot(f16::from_bits(bits).to_f64()) as u16).collect();
    slots.into_boxed_slice().try_into().expect("one slot per float16")
});

/// The smallest float32 at or above `e` (NaN stays NaN, which no value reaches).
fn round_up_to_f32(e: f64) -> f32 {
    let nearest = e as f32;
    if f64::from(nearest) >= e || e.is_nan() { nearest } else { nearest.next_up() }
}

/// The left edges of the slots a value can land in: slot 0 below the first edge, slot i + 1 for
/// bin i, the last slot above the last edge; then a NaN, so that `x >= next edge` fails past the
/// end. numpy's last bin is closed, so the slot above starts just past the last edge.
fn slot_edges(edges: &[f64]) -> Vec<f64> {
    let (&last, inner) = edges.split_last().expect("at least two edges");
    let above = if last == f64::INFINITY { f64::NAN } else { last.next_up() };
    let mut slot_edges = Vec::with_capacity(edges.len() + 2);
    slot_edges.push(f64::NEG_INFINITY);
    slot_edges.extend_from_slice(inner);
    slot_edges.extend([above, f64::NAN]);
    slot_edges
}

/// Maps a value to its slot (see [`slot_edges`]); NaN goes to slot 0 or the last, which are
/// not bins.
trait Slotter: Sync {
    fn slot(&self, x: f64) -> usize;
}

/// Bins a leaf of values.
trait Counter<T: Element>: Sync {
    /// Counts `values` into slots and returns their [`Element::reduce`].
    fn bin_leaf(&self, values: &[T], counts: &mut [u64]) -> Leaf;
}

impl<T: Element, S: Slotter> Counter<T> for S {
    #[inline]
    fn bin_leaf(&self, values: &[T], counts: &mut [u64]) -> Leaf {
        count(values, self, counts);
        T::reduce(values)
    }
}

/// The default bins, counted as each element type counts them best.
struct DefaultBins;

impl<T: Element> Counter<T> for DefaultBins {
    #[inline]
    fn bin_leaf(&self, values: &[T], counts: &mut [u64]) -> Leaf {
        T::bin_default_leaf(values, counts)
    }
}

/// Any edges: binary search.
struct Sorted<'a> {
    slot_edges: &'a [f64],
}

impl Slotter for Sorted<'_> {
    #[inline]
    fn slot(&self, x: f64) -> usize {
        self.slot_edges[1..self.slot_edges.len() - 1].partition_point(|&e| e <= x)
    }
}

/// The default edges: a table lookup on the top 16 bits gives the lower of the two slots a
/// value can be in, one comparison with the exact edge decides. NaN fails the comparison and
/// stays in its cell's slot, which is never a bin.
struct Guessed<'a> {
    lower: &'a [u16; 1 << 16],
    upper_edge: &'a [f64; 1 << 16],
}

impl Slotter for Guessed<'_> {
    #[inline]
    fn slot(&self, x: f64) -> usize {
        let cell = (x.to_bits() >> 48) as usize;
        usize::from(self.lower[cell]) + usize::from(x >= self.upper_edge[cell])
    }
}

/// Evenly spaced edges (numpy's `linspace` for int bins): the position in the range gives the
/// bin, give or take one near an edge, and one comparison each way settles it, as in numpy's own
/// int-bins code.
struct Even<'a> {
    slot_edges: &'a [f64],
    first: f64,
    scale: f64,
    top: f64,
}

impl<'a> Even<'a> {
    /// `None` unless every edge is within a quarter bin width of its evenly spaced position, so
    /// that the position is never more than one bin off.
    fn new(edges: &[f64], slot_edges: &'a [f64]) -> Option<Self> {
        let bins = edges.len() - 1;
        let (first, last) = (edges[0], edges[bins]);
        let width = (last - first) / bins as f64;
        let scale = bins as f64 / (last - first);
        let even = width.is_finite()
            && width > 0.0
            && scale.is_finite()
            && u32::try_from(bins).is_ok()
            && edges.iter().enumerate().all(|(i, &e)| (e - (first + width * i as f64)).abs() <= 0.25 * width);
        even.then(|| Even { slot_edges, first, scale, top: (bins - 1) as f64 })
    }
}

impl Slotter for Even<'_> {
    #[inline]
    fn slot(&self, x: f64) -> usize {
        if x.is_nan() {
            return 0;
        }
        // Clamped into the bins, so values outside land in the first or last bin and the
        // comparisons move them out.
        let guess = ((x - self.first) * self.scale).clamp(0.0, self.top) as u32 as usize + 1;
        guess + usize::from(x >= self.slot_edges[guess + 1]) - usize::from(x < self.slot_edges[guess])
    }
}

/// What one pass over the values (or a part of them) gathers.
struct Scan {
    counts: Vec<u64>,
    min: f64,
    max: f64,
    sum: f64,
    sum_squares: f64,
}

impl Scan {
    fn new(slots: usize) -> Self {
        Scan {
            counts: vec![0; slots],
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            sum: 0.0,
            sum_squares: 0.0,
        }
    }
}

/// Bins and reduces `values` in one pass, on `threads` threads.
fn scan<T: Element, C: Counter<T>>(values: &[T], counter: &C, slots: usize, threads: usize) -> Scan {
    if threads <= 1 {
        let mut scan = Scan::new(slots);
        // numpy's add.reduce starts from its identity, 0.0 (so an all -0.0 sum is 0.0).
        scan.sum = 0.0 + pairwise(values, counter, &mut scan);
        return scan;
    }
    // Cut where numpy's recursion cuts, so each part's sum is one of numpy's partial sums, and
    // add those up the same tree. Parts are taken as threads come free (eight a thread even out
    // the uneven cuts, a late start and a busy core); each thread counts into one array, and
    // each part keeps its own min, max and sum of squares, combined in part order whichever
    // thread took it, so the result does not depend on timing.
    let depth = (8 * threads).next_power_of_two().trailing_zeros();
    let mut parts = Vec::with_capacity(1 << depth);
    cut(values, depth, &mut parts);
    let (done, counts) = parallel::map_parts(
        &parts,
        threads,
        || vec![0; slots],
        |counts, part| {
            let mut scan = Scan { counts: std::mem::take(counts), ..Scan::new(0) };
            let sum = pairwise(part, counter, &mut scan);
            *counts = std::mem::take(&mut scan.counts);
            (sum, scan)
        },
    );
    let mut total = Scan::new(slots);
    total.sum = 0.0 + join_sums(values.len(), depth, &mut done.iter().map(|(sum, _)| *sum));
    for (_, part) in &done {
        total.min = if part.min < total.min { part.min } else { total.min };
        total.max = if part.max > total.max { part.max } else { total.max };
        total.sum_squares += part.sum_squares;
    }
    for run in &counts {
        for (t, c) in total.counts.iter_mut().zip(run) {
            *t += c;
        }
    }
    total
}

/// Where numpy's `pairwise_sum` splits `n > 128` values: half, rounded down to a multiple of 8.
fn split_point(n: usize) -> usize {
    let half = n / 2;
    half - half % 8
}

/// Cuts `values` into the subtrees of numpy's recursion `depth` levels down.
fn cut<'v, T>(values: &'v [T], depth: u32, parts: &mut Vec<&'v [T]>) {
    if depth == 0 || values.len() <= LEAF {
        parts.push(values);
    } else {
        let (left, right) = values.split_at(split_point(values.len()));
        cut(left, depth - 1, parts);
        cut(right, depth - 1, parts);
    }
}

/// Adds the sums of the parts [`cut`] made as numpy's recursion adds its halves.
fn join_sums(len: usize, depth: u32, sums: &mut impl Iterator<Item = f64>) -> f64 {
    if depth == 0 || len <= LEAF {
        sums.next().expect("one sum per part")
    } else {
        let left = split_point(len);
        join_sums(left, depth - 1, sums) + join_sums(len - left, depth - 1, sums)
    }
}

/// numpy's `pairwise_sum`, binning and reducing each leaf run on the way.
fn pairwise<T: Element, C: Counter<T>>(values: &[T], counter: &C, scan: &mut Scan) -> f64 {
    if values.len() <= LEAF {
        leaf(values, counter, scan)
    } else {
        let (left, right) = values.split_at(split_point(values.len()));
        pairwise(left, counter, scan) + pairwise(right, counter, scan)
    }
}

fn leaf<T: Element, C: Counter<T>>(values: &[T], counter: &C, scan: &mut Scan) -> f64 {
    let leaf = counter.bin_leaf(values, &mut scan.counts);
    scan.min = if leaf.min < scan.min { leaf.min } else { scan.min };
    scan.max = if leaf.max > scan.max { leaf.max } else { scan.max };
    scan.sum_squares += leaf.sum_squares;
    leaf.sum
}

/// A function of its own so that the compiler knows `counts` does not overlap `values` and
/// keeps its address in a register instead of reloading it after every increment.
#[inline]
fn count<T: Element, S: Slotter>(values: &[T], slotter: &S, counts: &mut [u64]) {
    // Eight slots, then eight increments, as for float32.
    let mut octets = values.chunks_exact(8);
    for octet in &mut octets {
        let slots: [usize; 8] = std::array::from_fn(|j| slotter.slot(octet[j].to_f64()));
        slots.into_iter().for_each(|slot| counts[slot] += 1);
    }
    octets.remainder().iter().for_each(|v| counts[slotter.slot(v.to_f64())] += 1);
}

/// What [`Element::reduce`] gathers from one leaf of at most 128 values.
pub struct Leaf {
    min: f64,
    max: f64,
    sum: f64,
    sum_squares: f64,
}

/// One pass over at most 128 values widened to f64: numpy's `pairwise_sum` in its exact order
/// of additions (eight accumulators over runs of eight, then a tree, then the rest one by one),
/// the sum of squares, and min and max (NaN never wins a comparison; the caller detects NaN from
/// the sum of squares). Eight lanes of each, so that the loop vectorises.
fn reduce_leaf<T: Element>(values: &[T]) -> Leaf {
    let mut sum = [-0.0; 8];
    let mut squares = [0.0; 8];
    let mut lo = [f64::INFINITY; 8];
    let mut hi = [f64::NEG_INFINITY; 8];
    let mut octets = values.chunks_exact(8);
    for octet in &mut octets {
        for (j, v) in octet.iter().enumerate() {
            let x = v.to_f64();
            sum[j] += x;
            squares[j] += x * x;
            lo[j] = if x < lo[j] { x } else { lo[j] };
            hi[j] = if x > hi[j] { x } else { hi[j] };
        }
    }
    Lanes { sum, squares, lo, hi }.finish(values.len(), octets.remainder())
}

/// The eight lanes of a leaf's whole octets, as [`reduce_leaf`] accumulates them.
struct Lanes {
    sum: [f64; 8],
    squares: [f64; 8],
    lo: [f64; 8],
    hi: [f64; 8],
}

impl Lanes {
    /// Adds up the lanes in numpy's order, then the `rest` of a leaf of `len` values.
    #[inline(always)]
    fn finish<T: Element>(self, len: usize, rest: &[T]) -> Leaf {
        let Lanes { sum, mut squares, mut lo, mut hi } = self;
        // Under eight values numpy adds them one by one from 0.0, with no accumulators.
        let mut total = if len < 8 { 0.0 } else { tree(sum) };
        for (j, v) in rest.iter().enumerate() {
            let x = v.to_f64();
            total += x;
            squares[j] += x * x;
            lo[j] = if x < lo[j] { x } else { lo[j] };
            hi[j] = if x > hi[j] { x } else { hi[j] };
        }
        Leaf {
            min: lo.into_iter().fold(f64::INFINITY, |m, x| if x < m { x } else { m }),
            max: hi.into_iter().fold(f64::NEG_INFINITY, |m, x| if x > m { x } else { m }),
            sum: total,
            sum_squares: tree(squares),
        }
    }
}

/// numpy's sum of its eight accumulators (the squares are added the same way, so that a
/// vectorised kernel can too).
#[inline(always)]
fn tree(lanes: [f64; 8]) -> f64 {
    ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tf(values: &[f64]) -> Result<Histogram> {
        histogram(values, Bins::TensorFlow, None)
    }

    /// `n` pseudo-random 64-bit patterns (xorshift).
    fn random_bits(n: usize) -> impl Iterator<Item = u64> {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        std::iter::repeat_with(move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        })
        .take(n)
    }

    #[test]
    fn float32_slots_match_binary_search() {
        let tf = &*TENSORFLOW;
        let sorted = Sorted { slot_edges: &tf.slot_edges };
        let mut probes: Vec<f32> =
            (0..1u32 << 16).flat_map(|cell| [cell << 16, cell << 16 | 0xffff]).map(f32::from_bits).collect();
        for &e in tensorflow_edges() {
            let above = round_up_to_f32(e);
            probes.extend([
                above,
                f32::from_bits(above.to_bits().wrapping_sub(1)),
                f32::from_bits(above.to_bits() + 1),
            ]);
        }
        probes.extend([0.0, -0.0, f32::INFINITY, f32::NEG_INFINITY, f32::MIN_POSITIVE, f32::MAX, f32::MIN]);
        probes.extend(random_bits(500_000).map(|bits| f32::from_bits(bits as u32)));
        let outside = [0, tf.slot_edges.len() - 2];
        let mut counts = vec![0; DEFAULT_COUNTS];
        for x in probes {
            counts.fill(0);
            f32::count_default_bins(&[x], &mut counts);
            let slot = counts.iter().position(|&c| c == 1).expect("one slot counted");
            if x.is_nan() {
                assert!(outside.contains(&slot), "{x}");
            } else {
                assert_eq!(slot, sorted.slot(f64::from(x)), "{x:e} ({:#x})", x.to_bits());
            }
        }
    }

    /// Each type's own kernels (the float32 table and vectorised reduction, the float16 table)
    /// give what binning the values widened to f64 gives.
    #[test]
    fn every_type_bins_as_its_widened_values() {
        fn check<T: Element>(values: &[T]) {
            let widened: Vec<f64> = values.iter().map(|v| v.to_f64()).collect();
            let (ours, wide) = (tf_any(values), tf_any(&widened));
            assert_eq!((&ours.bucket_limit, &ours.bucket), (&wide.bucket_limit, &wide.bucket));
            assert_eq!(ours.sum.to_bits(), wide.sum.to_bits());
            assert_eq!((ours.min.to_bits(), ours.max.to_bits()), (wide.min.to_bits(), wide.max.to_bits()));
            let (a, b) = (ours.sum_squares, wide.sum_squares);
            assert!(a == b || (a - b).abs() <= 1e-12 * b || (a.is_nan() && b.is_nan()), "{a} vs {b}");
        }
        fn tf_any<T: Element>(values: &[T]) -> Histogram {
            histogram(values, Bins::TensorFlow, None).unwrap()
        }
        let bits: Vec<u64> = random_bits(40_000).collect();
        // Every length up to a few leaves, so that the octets' remainders and numpy's short sums
        // are all exercised, then many values in threads.
        for len in (1..300).chain([40_000]) {
            let normal: Vec<f32> =
                bits[..len].iter().map(|&b| ((b >> 40) as f32 / (1 << 24) as f32 - 0.5) * 8.0).collect();
            check(&normal);
            check(&normal.iter().map(|&x| f16::from_f32(x)).collect::<Vec<_>>());
            check(&normal.iter().map(|&x| (x * 1e3) as i64).collect::<Vec<_>>());
            let wild: Vec<f32> =
                bits[..len].iter().map(|&b| f32::from_bits(b as u32)).filter(|x| x.is_finite()).collect();
            if wild.iter().any(|x| x.abs() < 1e20) {
                check(&wild);
            }
        }
        let mut special = vec![1.5f32, -0.0, 0.0, f32::INFINITY, f32::NEG_INFINITY, -2.5, 1e-30, 3.0];
        check(&special);
        special.extend([f32::NAN, 7.0, -7.0]);
        check(&special);
        check(&special.iter().map(|&x| f16::from_f32(x)).collect::<Vec<_>>());
    }

    /// The vectorised kernels and the portable loops they stand in for agree on every leaf
    /// length (the test above compares float64 with itself, and reaches the portable loops only
    /// through other types on a machine with AVX).
    #[test]
    fn float_kernels_match_the_portable_loops() {
        fn same(fast: Leaf, portable: Leaf, len: usize) {
            assert_eq!(fast.sum.to_bits(), portable.sum.to_bits(), "{len} values");
            assert_eq!((fast.min, fast.max), (portable.min, portable.max), "{len} values");
            assert_eq!(fast.sum_squares.to_bits(), portable.sum_squares.to_bits(), "{len} values");
        }
        let bits: Vec<u64> = random_bits(LEAF).collect();
        let mut values: Vec<f64> =
            bits.iter().map(|&b| ((b >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 1e4).collect();
        values[5] = -0.0;
        values[77] = f64::INFINITY;
        let narrow: Vec<f32> = values.iter().map(|&x| x as f32).collect();
        for len in 1..=LEAF {
            same(f64::reduce(&values[..len]), reduce_leaf(&values[..len]), len);
            same(f32::reduce(&narrow[..len]), reduce_leaf(&narrow[..len]), len);
            let (mut fast, mut portable) = (vec![0; DEFAULT_COUNTS], vec![0; DEFAULT_COUNTS]);
            let leaf = f32::bin_default_leaf(&narrow[..len], &mut fast);
            f32::count_default_bins(&narrow[..len], &mut portable);
            same(leaf, reduce_leaf(&narrow[..len]), len);
            assert_eq!(fast, portable, "{len} values");
        }
    }

    #[test]
    fn default_edges_follow_the_recipe() {
        let edges = tensorflow_edges();
        assert_eq!(edges.len(), 1549);
        assert_eq!(edges[774], 0.0);
        assert_eq!(edges[775], 1e-12);
        assert_eq!(edges[773], -1e-12);
        assert_eq!(edges[1548], 9.920775621859783e19);
        assert_eq!(edges[0], -9.920775621859783e19);
        assert!(edges.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn every_cell_spans_its_slot_and_the_next_at_most() {
        let tf = &*TENSORFLOW;
        let sorted = Sorted { slot_edges: &tf.slot_edges };
        let outside = [0, tf.slot_edges.len() - 2];
        for cell in 0..1u64 << 16 {
            let lower = usize::from(tf.lower[cell as usize]);
            for x in [cell << 48, cell << 48 | ((1 << 48) - 1)].map(f64::from_bits) {
                if x.is_nan() {
                    // NaN stays in the cell's slot, which must not be a bin.
                    assert!(outside.contains(&lower), "cell {cell:#x}");
                } else {
                    assert!((lower..=lower + 1).contains(&sorted.slot(x)), "cell {cell:#x}");
                }
            }
        }
    }

    #[test]
    fn guessed_slots_match_binary_search() {
        let tf = &*TENSORFLOW;
        let sorted = Sorted { slot_edges: &tf.slot_edges };
        let guessed = Guessed { lower: &tf.lower, upper_edge: &tf.upper_edge };
        let mut probes = vec![0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, -f64::NAN];
        probes.extend([f64::MIN_POSITIVE, f64::MAX, f64::MIN, f64::from_bits(1)]);
        for &e in tensorflow_edges() {
            probes.extend([e, e.next_up(), e.next_down()]);
        }
        probes.extend(random_bits(200_000).map(f64::from_bits));
        let outside = [0, tf.slot_edges.len() - 2];
        for x in probes {
            if x.is_nan() {
                assert!(outside.contains(&guessed.slot(x)));
            } else {
                assert_eq!(guessed.slot(x), sorted.slot(x), "{x:e}");
            }
        }
    }

    #[test]
    fn observed_edge_cases() {
        let one = tf(&[1.0]).unwrap();
        assert_eq!(one.bucket_limit, [0.917246389039776, 1.0089710279437536]);
        assert_eq!(one.bucket, [0.0, 1.0]);
        assert_eq!((one.min, one.max, one.num, one.sum, one.sum_squares), (1.0, 1.0, 1.0, 1.0, 1.0));
        for zeroish in [0.0, 1e-13] {
            let h = tf(&[zeroish]).unwrap();
            assert_eq!(h.bucket_limit, [0.0, 1e-12]);
            assert_eq!(h.bucket, [0.0, 1.0]);
        }

        let err = tf(&[]).unwrap_err().to_string();
        assert!(err.contains("no element"), "{err}");
        for nothing_inside in [f64::NAN, 1e21, f64::INFINITY, -1e21] {
            let err = tf(&[nothing_inside]).unwrap_err().to_string();
            assert!(err.contains("histogram is empty"), "{err}");
        }

        let h = tf(&[f64::NAN, 1.0]).unwrap();
        assert_eq!((h.bucket_limit, h.bucket), (one.bucket_limit.clone(), one.bucket.clone()));
        assert!(h.min.is_nan() && h.max.is_nan() && h.sum.is_nan() && h.sum_squares.is_nan());
        assert_eq!(h.num, 2.0);

        let h = tf(&[f64::INFINITY, 1.0]).unwrap();
        assert_eq!((h.bucket_limit, h.bucket), (one.bucket_limit.clone(), one.bucket.clone()));
        assert_eq!((h.min, h.max, h.sum, h.num), (1.0, f64::INFINITY, f64::INFINITY, 2.0));

        let h = tf(&[-1e21, 1.0]).unwrap();
        assert_eq!((h.bucket_limit, h.bucket), (one.bucket_limit.clone(), one.bucket.clone()));
        assert_eq!((h.min, h.max, h.num), (-1e21, 1.0, 2.0));

        assert_eq!(tf(&[0.5, 1.0, 2.0, -3.0]).unwrap().bucket.len(), 603);
    }

    #[test]
    fn explicit_edges() {
        let edges = [1.0, 1.0 + 2.0 / 3.0, 1.0 + 4.0 / 3.0, 3.0];
        let h = histogram(&[1.0, 2.0, 3.0], Bins::Edges(&edges), None).unwrap();
        assert_eq!(h.bucket_limit, edges);
        assert_eq!(h.bucket, [0.0, 1.0, 1.0, 1.0]);
        let h = histogram(&[1u8, 2, 3], Bins::Edges(&edges), None).unwrap();
        assert_eq!(h.bucket, [0.0, 1.0, 1.0, 1.0]);

        // Uneven edges, duplicates and infinite ends follow numpy's rules too.
        let edges = [f64::NEG_INFINITY, -1.0, 0.0, 0.0, 5.0, f64::INFINITY];
        let values = [f64::NEG_INFINITY, -1.0, -0.5, 0.0, 0.0, 7.0, f64::INFINITY, f64::NAN];
        let h = histogram(&values, Bins::Edges(&edges), None).unwrap();
        assert_eq!(h.bucket_limit, edges);
        assert_eq!(h.bucket, [0.0, 1.0, 2.0, 0.0, 2.0, 2.0]);

        for bad in [&[1.0][..], &[2.0, 1.0], &[0.0, f64::NAN]] {
            let err = histogram(&[1.0], Bins::Edges(bad), None).unwrap_err().to_string();
            assert!(err.starts_with("bins:"), "{err}");
        }
        // A single bin with nothing in it is not an error in tensorboardX.
        let h = histogram(&[5.0], Bins::Edges(&[0.0, 1.0]), None).unwrap();
        assert_eq!((h.bucket_limit, h.bucket), (vec![1.0], vec![0.0]));
    }

    #[test]
    fn max_bins_folds_into_groups() {
        let values: Vec<f64> = (-50..50).map(|i| f64::from(i) * 1e3).collect();
        let h = histogram(&values, Bins::TensorFlow, Some(10)).unwrap();
        assert!(h.bucket.len() <= 11);
        let total: f64 = h.bucket.iter().sum();
        assert_eq!(total, 100.0);
        // 1548 bins in groups of 154: 11 groups, the first occupied, so 12 buckets after trimming.
        let spread = [-9e19, 9e19];
        let h = histogram(&spread, Bins::TensorFlow, Some(10)).unwrap();
        assert_eq!(h.bucket.len(), 12);
        assert_eq!((h.bucket[0], h.bucket[1], h.bucket[11]), (0.0, 1.0, 1.0));
        assert_eq!(h.bucket_limit[11], 9.920775621859783e19);
        assert!(histogram(&spread, Bins::TensorFlow, Some(0)).is_err());
    }

    #[test]
    fn leaf_sum_follows_numpys_order() {
        // 1e16 + 1 + 1 is 1e16 added left to right, but 1e16 + 2 with the 1s paired first.
        let mut xs = [0.0; 16];
        xs[0] = 1e16;
        xs[1] = 1.0;
        xs[9] = 1.0;
        assert_eq!(reduce_leaf(&xs).sum, 1e16 + 2.0);
        assert_eq!(reduce_leaf(&[1e16, 1.0, 1.0]).sum, 1e16);
        assert_eq!(tf(&[-0.0; 20]).unwrap().sum.to_bits(), 0.0f64.to_bits());
    }

    #[test]
    fn zero_extremes_take_the_sign_of_the_last_zero() {
        let mut values = vec![0.0; 300];
        values[7] = -0.0;
        let h = tf(&values).unwrap();
        assert!(h.min.is_sign_positive() && h.max.is_sign_positive());
        values[299] = -0.0;
        let h = tf(&values).unwrap();
        assert!(h.min.is_sign_negative() && h.max.is_sign_negative());
    }

    #[test]
    fn threads_do_not_change_the_result() {
        let mut state = 1u64;
        let values: Vec<f32> = (0..300_001)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) as f32 * 1e3
            })
            .collect();
        let one = scan(&values, &DefaultBins, DEFAULT_COUNTS, 1);
        for threads in [2, 3, 5, 8] {
            let many = scan(&values, &DefaultBins, DEFAULT_COUNTS, threads);
            assert_eq!(many.counts, one.counts);
            assert_eq!(many.sum.to_bits(), one.sum.to_bits());
            assert_eq!((many.min, many.max), (one.min, one.max));
            assert!((many.sum_squares - one.sum_squares).abs() <= 1e-12 * one.sum_squares);
        }
    }
}
