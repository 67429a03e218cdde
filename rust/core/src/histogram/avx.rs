//! The float kernels with AVX: [`super::reduce_leaf`]'s eight lanes held in pairs of registers,
//! added in the same order, so the results are the same to the bit.

use std::arch::x86_64::*;

use super::{DEFAULT_COUNTS, Element, Lanes, Leaf, TensorFlowF32Bins};

/// Min, max, sum and sum of squares of a leaf for float32.
#[target_feature(enable = "avx")]
pub(super) fn reduce_f32(values: &[f32]) -> Leaf {
    let mut lanes = Wide::new();
    let mut octets = values.chunks_exact(8);
    for octet in &mut octets {
        lanes.add(widen(octet.try_into().expect("eight values")));
    }
    lanes.finish(values.len(), octets.remainder())
}

/// Min, max, sum and sum of squares of a leaf for float64.
#[target_feature(enable = "avx")]
pub(super) fn reduce_f64(values: &[f64]) -> Leaf {
    let mut lanes = Wide::new();
    let mut octets = values.chunks_exact(8);
    for octet in &mut octets {
        // SAFETY: the octet holds eight doubles; the loads need no alignment.
        lanes.add(unsafe { [_mm256_loadu_pd(octet.as_ptr()), _mm256_loadu_pd(octet[4..].as_ptr())] });
    }
    lanes.finish(values.len(), octets.remainder())
}

/// Counts a leaf of float32 into the default bins and reduces it, in one loop: the lookups and
/// increments run beside the vector arithmetic instead of after it.
#[target_feature(enable = "avx")]
pub(super) fn bin_default_f32(
    values: &[f32],
    bins: &TensorFlowF32Bins,
    counts: &mut [u64; DEFAULT_COUNTS],
) -> Leaf {
    let mut lanes = Wide::new();
    let mut octets = values.chunks_exact(8);
    for octet in &mut octets {
        let octet = octet.try_into().expect("eight values");
        lanes.add(widen(octet));
        bins.count_octet(octet, counts);
    }
    octets.remainder().iter().for_each(|&x| bins.count_one(x, counts));
    lanes.finish(values.len(), octets.remainder())
}

#[target_feature(enable = "avx")]
#[inline]
fn widen(octet: &[f32; 8]) -> [__m256d; 2] {
    // SAFETY: the octet holds eight floats; the load needs no alignment.
    let x = unsafe { _mm256_loadu_ps(octet.as_ptr()) };
    [_mm256_cvtps_pd(_mm256_castps256_ps128(x)), _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(x))]
}

/// [`Lanes`] in registers: lanes 0-3 and 4-7 of each.
struct Wide {
    sum: [__m256d; 2],
    squares: [__m256d; 2],
    lo: [__m256d; 2],
    hi: [__m256d; 2],
}

impl Wide {
    #[target_feature(enable = "avx")]
    #[inline]
    fn new() -> Self {
        Wide {
            sum: [_mm256_set1_pd(-0.0); 2],
            squares: [_mm256_setzero_pd(); 2],
            lo: [_mm256_set1_pd(f64::INFINITY); 2],
            hi: [_mm256_set1_pd(f64::NEG_INFINITY); 2],
        }
    }

    #[target_feature(enable = "avx")]
    #[inline]
    fn add(&mut self, octet: [__m256d; 2]) {
        for (k, x) in octet.into_iter().enumerate() {
            // A NaN loses: min and max return their second operand when either is NaN.
            self.lo[k] = _mm256_min_pd(x, self.lo[k]);
            self.hi[k] = _mm256_max_pd(x, self.hi[k]);
            self.sum[k] = _mm256_add_pd(self.sum[k], x);
            self.squares[k] = _mm256_add_pd(self.squares[k], _mm256_mul_pd(x, x));
        }
    }

    #[target_feature(enable = "avx")]
    #[inline]
    fn finish<T: Element>(self, len: usize, rest: &[T]) -> Leaf {
        if len >= 8 && rest.is_empty() {
            // Whole octets (every leaf but a run's last, often all): fold in registers.
            return Leaf {
                min: fold(_mm256_min_pd(self.lo[0], self.lo[1]), |a, b| _mm_min_pd(a, b)),
                max: fold(_mm256_max_pd(self.hi[0], self.hi[1]), |a, b| _mm_max_pd(a, b)),
                sum: tree(self.sum),
                sum_squares: tree(self.squares),
            };
        }
        let mut lanes = Lanes { sum: [0.0; 8], squares: [0.0; 8], lo: [0.0; 8], hi: [0.0; 8] };
        for (lane, halves) in [
            (&mut lanes.sum, self.sum),
            (&mut lanes.squares, self.squares),
            (&mut lanes.lo, self.lo),
            (&mut lanes.hi, self.hi),
        ] {
            for (half, x) in lane.chunks_exact_mut(4).zip(halves) {
                // SAFETY: four doubles into a chunk of four.
                unsafe { _mm256_storeu_pd(half.as_mut_ptr(), x) };
            }
        }
        lanes.finish(len, rest)
    }
}

/// [`super::tree`] in registers: lanes 0-3 in `lanes[0]`, 4-7 in `lanes[1]`.
#[target_feature(enable = "avx")]
#[inline]
fn tree(lanes: [__m256d; 2]) -> f64 {
    // (0+1, 4+5, 2+3, 6+7), then ((0+1)+(2+3), (4+5)+(6+7)), then their sum.
    let pairs = _mm256_hadd_pd(lanes[0], lanes[1]);
    let quads = _mm_add_pd(_mm256_castpd256_pd128(pairs), _mm256_extractf128_pd::<1>(pairs));
    _mm_cvtsd_f64(_mm_add_sd(quads, _mm_unpackhi_pd(quads, quads)))
}

/// Folds four lanes with `f` (min or max; the lanes hold no NaN).
#[target_feature(enable = "avx")]
#[inline]
fn fold(lanes: __m256d, f: impl Fn(__m128d, __m128d) -> __m128d) -> f64 {
    let two = f(_mm256_castpd256_pd128(lanes), _mm256_extractf128_pd::<1>(lanes));
    _mm_cvtsd_f64(f(two, _mm_unpackhi_pd(two, two)))
}
