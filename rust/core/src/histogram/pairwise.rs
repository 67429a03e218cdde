//! numpy's pairwise summation, which the histogram follows so that its sum is numpy's to the
//! bit, binning and reducing each leaf run on the way, on one thread or several.

use super::*;

/// What one pass over the values (or a part of them) gathers.
pub(super) struct Scan {
    pub(super) counts: Vec<u64>,
    pub(super) min: f64,
    pub(super) max: f64,
    pub(super) sum: f64,
    pub(super) sum_squares: f64,
}

impl Scan {
    pub(super) fn new(slots: usize) -> Self {
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
pub(super) fn scan<T: Element, C: Counter<T>>(
    values: &[T],
    counter: &C,
    slots: usize,
    threads: usize,
) -> Scan {
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
pub(super) fn split_point(n: usize) -> usize {
    let half = n / 2;
    half - half % 8
}

/// Cuts `values` into the subtrees of numpy's recursion `depth` levels down.
pub(super) fn cut<'v, T>(values: &'v [T], depth: u32, parts: &mut Vec<&'v [T]>) {
    if depth == 0 || values.len() <= LEAF {
        parts.push(values);
    } else {
        let (left, right) = values.split_at(split_point(values.len()));
        cut(left, depth - 1, parts);
        cut(right, depth - 1, parts);
    }
}

/// Adds the sums of the parts [`cut`] made as numpy's recursion adds its halves.
pub(super) fn join_sums(len: usize, depth: u32, sums: &mut impl Iterator<Item = f64>) -> f64 {
    if depth == 0 || len <= LEAF {
        sums.next().expect("one sum per part")
    } else {
        let left = split_point(len);
        join_sums(left, depth - 1, sums) + join_sums(len - left, depth - 1, sums)
    }
}

/// numpy's `pairwise_sum`, binning and reducing each leaf run on the way.
pub(super) fn pairwise<T: Element, C: Counter<T>>(values: &[T], counter: &C, scan: &mut Scan) -> f64 {
    if values.len() <= LEAF {
        leaf(values, counter, scan)
    } else {
        let (left, right) = values.split_at(split_point(values.len()));
        pairwise(left, counter, scan) + pairwise(right, counter, scan)
    }
}

pub(super) fn leaf<T: Element, C: Counter<T>>(values: &[T], counter: &C, scan: &mut Scan) -> f64 {
    let leaf = counter.bin_leaf(values, &mut scan.counts);
    scan.min = if leaf.min < scan.min { leaf.min } else { scan.min };
    scan.max = if leaf.max > scan.max { leaf.max } else { scan.max };
    scan.sum_squares += leaf.sum_squares;
    leaf.sum
}

/// A function of its own so that the compiler knows `counts` does not overlap `values` and
/// keeps its address in a register instead of reloading it after every increment.
#[inline]
pub(super) fn count<T: Element, S: Slotter>(values: &[T], slotter: &S, counts: &mut [u64]) {
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
    pub(super) min: f64,
    pub(super) max: f64,
    pub(super) sum: f64,
    pub(super) sum_squares: f64,
}

/// One pass over at most 128 values widened to f64: numpy's `pairwise_sum` in its exact order
/// of additions (eight accumulators over runs of eight, then a tree, then the rest one by one),
/// the sum of squares, and min and max (NaN never wins a comparison; the caller detects NaN from
/// the sum of squares). Eight lanes of each, so that the loop vectorises.
pub(super) fn reduce_leaf<T: Element>(values: &[T]) -> Leaf {
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
pub(super) struct Lanes {
    pub(super) sum: [f64; 8],
    pub(super) squares: [f64; 8],
    pub(super) lo: [f64; 8],
    pub(super) hi: [f64; 8],
}

impl Lanes {
    /// Adds up the lanes in numpy's order, then the `rest` of a leaf of `len` values.
    #[inline(always)]
    pub(super) fn finish<T: Element>(self, len: usize, rest: &[T]) -> Leaf {
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
pub(super) fn tree(lanes: [f64; 8]) -> f64 {
    ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
}
