//! How a value finds its bin: the default edges' lookup tables, and the slotters for sorted,
//! guessed and evenly spaced edges.

use super::*;

/// The length of the count arrays for the default bins: a power of two above their 1551 slots,
/// so that a mask can keep a slot in bounds without a check.
pub(super) const DEFAULT_COUNTS: usize = 2048;

pub(super) fn default_counts(counts: &mut [u64]) -> &mut [u64; DEFAULT_COUNTS] {
    counts.try_into().expect("room for every default slot")
}

/// The default edges, their slot edges, and for each value of a float's top 16 bits a slot and
/// the left edge of the slot above it.
pub(super) struct TensorFlowBins {
    pub(super) edges: Vec<f64>,
    pub(super) slot_edges: Vec<f64>,
    pub(super) lower: Box<[u16; 1 << 16]>,
    /// `slot_edges[lower + 1]`, per cell: the binning loop loads it with the same index as
    /// `lower` instead of after it (no dependent load, no bounds check). Both tables are large,
    /// but the cells real data touch are few (a few hundred for weights or activations).
    pub(super) upper_edge: Box<[f64; 1 << 16]>,
}

pub(super) static TENSORFLOW: LazyLock<TensorFlowBins> = LazyLock::new(|| {
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
pub(super) struct TensorFlowF32Bins {
    pub(super) lower: Box<[u16; 1 << 16]>,
    /// The smallest float32 at or above the edge that starts the slot after `lower`: for a
    /// float32 `x`, `x >= edge` exactly when `x >= upper_edge`.
    pub(super) upper_edge: Box<[f32; 1 << 16]>,
}

impl TensorFlowF32Bins {
    #[inline(always)]
    pub(super) fn slot(&self, x: f32) -> u32 {
        let cell = (x.to_bits() >> 16) as usize;
        // u32, not u16: the 16-bit addition cost a fifth of the loop.
        u32::from(self.lower[cell]) + u32::from(x >= self.upper_edge[cell])
    }

    #[inline(always)]
    pub(super) fn count_one(&self, x: f32, counts: &mut [u64; DEFAULT_COUNTS]) {
        // The mask changes nothing (slots are fewer) but proves the index in bounds.
        counts[self.slot(x) as usize & (DEFAULT_COUNTS - 1)] += 1;
    }

    /// Eight slots first, then eight increments: a quarter faster than one at a time, as the
    /// lookups no longer wait behind the increments.
    #[inline(always)]
    pub(super) fn count_octet(&self, octet: &[f32; 8], counts: &mut [u64; DEFAULT_COUNTS]) {
        let slots = octet.map(|x| self.slot(x));
        slots.into_iter().for_each(|slot| counts[slot as usize & (DEFAULT_COUNTS - 1)] += 1);
    }
}

pub(super) static TENSORFLOW_F32: LazyLock<TensorFlowF32Bins> = LazyLock::new(|| {
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
pub(super) static TENSORFLOW_F16: LazyLock<Box<[u16; 1 << 16]>> = LazyLock::new(|| {
    let sorted = Sorted { slot_edges: &TENSORFLOW.slot_edges };
    let slots: Vec<u16> =
        (0..=u16::MAX).map(|bits| sorted.slot(f16::from_bits(bits).to_f64()) as u16).collect();
    slots.into_boxed_slice().try_into().expect("one slot per float16")
});

/// The smallest float32 at or above `e` (NaN stays NaN, which no value reaches).
pub(super) fn round_up_to_f32(e: f64) -> f32 {
    let nearest = e as f32;
    if f64::from(nearest) >= e || e.is_nan() { nearest } else { nearest.next_up() }
}

/// The left edges of the slots a value can land in: slot 0 below the first edge, slot i + 1 for
/// bin i, the last slot above the last edge; then a NaN, so that `x >= next edge` fails past the
/// end. numpy's last bin is closed, so the slot above starts just past the last edge.
pub(super) fn slot_edges(edges: &[f64]) -> Vec<f64> {
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
pub(super) trait Slotter: Sync {
    fn slot(&self, x: f64) -> usize;
}

/// Bins a leaf of values.
pub(super) trait Counter<T: Element>: Sync {
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
pub(super) struct DefaultBins;

impl<T: Element> Counter<T> for DefaultBins {
    #[inline]
    fn bin_leaf(&self, values: &[T], counts: &mut [u64]) -> Leaf {
        T::bin_default_leaf(values, counts)
    }
}

/// Any edges: binary search.
pub(super) struct Sorted<'a> {
    pub(super) slot_edges: &'a [f64],
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
pub(super) struct Guessed<'a> {
    pub(super) lower: &'a [u16; 1 << 16],
    pub(super) upper_edge: &'a [f64; 1 << 16],
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
pub(super) struct Even<'a> {
    pub(super) slot_edges: &'a [f64],
    pub(super) first: f64,
    pub(super) scale: f64,
    pub(super) top: f64,
}

impl<'a> Even<'a> {
    /// `None` unless every edge is within a quarter bin width of its evenly spaced position, so
    /// that the position is never more than one bin off.
    pub(super) fn new(edges: &[f64], slot_edges: &'a [f64]) -> Option<Self> {
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
