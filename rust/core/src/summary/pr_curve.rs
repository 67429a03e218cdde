//! Precision-recall curves exactly as tensorboardX's `compute_curve` (TensorBoard's own
//! `pr_curve` algorithm) computes them with numpy, so the float32 results are bit-identical.
//!
//! Each prediction falls in the bucket `floor(prediction * (T - 1))`, computed in the
//! prediction's own precision as numpy does; out-of-range and NaN predictions fall in none. The
//! buckets accumulate `label * weight` (true positives) and `(1 - label) * weight` (false
//! positives) in float64 in numpy's order of additions, then reverse cumulative sums give the
//! counts at each threshold. [`pr_curve`] stores the curve as the `pr_curves` plugin's tensor.

use half::f16;
use prost::Message;

use crate::error::{Error, Result};
use crate::histogram::Element;
use crate::proto::{DataType, PrCurvePluginData, TensorProto, summary};

use super::{make_value, plugin};

/// tensorboardX and torch cap `num_thresholds` at this ("value > 127 breaks protobuf").
pub const MAX_THRESHOLDS: u32 = 127;

/// The rows of the `[6, T]` tensor: true positives, false positives, true negatives, false
/// negatives, precision, recall.
pub const ROWS: usize = 6;

/// `np.histogram` sums the weights of this many values at a time (its `BLOCK`) before adding
/// them to the totals; the same grouping gives the same float64 rounding.
const BLOCK: usize = 65536;

/// The floor of precision's and recall's denominators (TensorBoard's `_MINIMUM_COUNT`).
const MINIMUM_COUNT: f64 = 1e-7;

/// A prediction type: how numpy computes `int32(floor(prediction * top))` for it.
pub trait Prediction: Copy + Send + Sync {
    /// The bucket in `0..=top`, or `None` for a value numpy's histogram drops (below 0, above
    /// `top`, NaN; numpy's int32 cast turns NaN and overflows into `INT32_MIN` on x86).
    fn bucket(self, top: u32) -> Option<usize>;
}

fn in_range(floor: f64, top: u32) -> Option<usize> {
    (floor >= 0.0 && floor <= f64::from(top)).then_some(floor as usize)
}

impl Prediction for f64 {
    #[inline]
    fn bucket(self, top: u32) -> Option<usize> {
        in_range((self * f64::from(top)).floor(), top)
    }
}

impl Prediction for f32 {
    #[inline]
    fn bucket(self, top: u32) -> Option<usize> {
        // `top` (at most 126) is exact in f32: the product rounds once, as numpy's does.
        in_range(f64::from((self * top as f32).floor()), top)
    }
}

impl Prediction for f16 {
    #[inline]
    fn bucket(self, top: u32) -> Option<usize> {
        // numpy multiplies halves in f32 (exactly, 11 x 11 bits) and rounds the product to f16.
        let product = f16::from_f32(self.to_f32() * top as f32);
        in_range(f64::from(product.to_f32().floor()), top)
    }
}

// Integers and booleans go through float64, exactly for |x| < 2^53. numpy would multiply them in
// their own type (wrapping around for uint8 and overflowing for int64); nobody relies on that.
macro_rules! prediction_via_f64 {
    ($($t:ty),*) => {$(
        impl Prediction for $t {
            #[inline]
            fn bucket(self, top: u32) -> Option<usize> {
                self.to_f64().bucket(top)
            }
        }
    )*};
}
prediction_via_f64!(i8, i16, i32, i64, u8, u16, u32, u64, bool);

/// numpy's `maximum(MINIMUM_COUNT, x)`: NaN propagates (`f64::max` would drop it).
fn denominator(x: f64) -> f64 {
    if x.is_nan() { x } else { x.max(MINIMUM_COUNT) }
}

/// The `[6, T]` curve (row-major, float32) for `T = min(num_thresholds, 127)` thresholds.
///
/// `labels` are used as numbers (`labels.astype(float)`), so values other than 0 and 1 weigh as
/// tensorboardX weighs them; `weights`, when given, has one float64 weight per label.
pub fn compute<L: Element, P: Prediction>(
    labels: &[L],
    predictions: &[P],
    weights: Option<&[f64]>,
    num_thresholds: u32,
) -> Result<Vec<f32>> {
    if num_thresholds == 0 {
        return Err(Error::invalid("num_thresholds", "expected at least 1 threshold"));
    }
    if labels.len() != predictions.len() {
        return Err(Error::invalid(
            "labels",
            format!(
                "expected one label per prediction, got {} labels and {} predictions",
                labels.len(),
                predictions.len()
            ),
        ));
    }
    if let Some(weights) = weights.filter(|w| w.len() != labels.len()) {
        return Err(Error::invalid(
            "weights",
            format!("expected one weight per label, got {} for {} labels", weights.len(), labels.len()),
        ));
    }
    let thresholds = num_thresholds.min(MAX_THRESHOLDS);
    let top = thresholds - 1;
    let t = thresholds as usize;

    let (mut tp, mut fp) = (vec![0.0; t], vec![0.0; t]);
    let (mut tp_block, mut fp_block) = (vec![0.0; t], vec![0.0; t]);
    for start in (0..labels.len()).step_by(BLOCK) {
        let end = (start + BLOCK).min(labels.len());
        tp_block.fill(0.0);
        fp_block.fill(0.0);
        for i in start..end {
            if let Some(bucket) = predictions[i].bucket(top) {
                let label = labels[i].to_f64();
                let weight = weights.map_or(1.0, |w| w[i]);
                tp_block[bucket] += label * weight;
                fp_block[bucket] += (1.0 - label) * weight;
            }
        }
        for (total, part) in tp.iter_mut().zip(&tp_block).chain(fp.iter_mut().zip(&fp_block)) {
            *total += part;
        }
    }
    // Reverse cumulative sums: the counts at or above each threshold.
    for i in (0..t - 1).rev() {
        tp[i] += tp[i + 1];
        fp[i] += fp[i + 1];
    }

    let mut data = Vec::with_capacity(ROWS * t);
    data.extend(tp.iter().map(|&x| x as f32));
    data.extend(fp.iter().map(|&x| x as f32));
    data.extend(fp.iter().map(|&x| (fp[0] - x) as f32));
    data.extend(tp.iter().map(|&x| (tp[0] - x) as f32));
    data.extend(tp.iter().zip(&fp).map(|(&tp, &fp)| (tp / denominator(tp + fp)) as f32));
    data.extend(tp.iter().map(|&x| (x / denominator(x + (tp[0] - x))) as f32));
    Ok(data)
}

/// The `[6, T]` curve (float32) of a curve given as its six rows (TP, FP, TN, FN, precision,
/// recall), each `(name, shape, values)`: 1-D rows of equal length.
pub fn raw(rows: [(&'static str, &[usize], &[f64]); ROWS]) -> Result<Vec<f32>> {
    let columns = rows[0].2.len();
    let mut data = Vec::with_capacity(ROWS * columns);
    for (name, shape, values) in rows {
        if shape.len() != 1 {
            return Err(Error::invalid(name, format!("expected a 1-D array, got shape {shape:?}")));
        }
        if values.len() != columns {
            return Err(Error::invalid(
                name,
                format!("expected {columns} values like true_positive_counts, got {}", values.len()),
            ));
        }
        data.extend(values.iter().map(|&x| x as f32));
    }
    Ok(data)
}

/// A `[6, T]` float32 tensor: `data` holds the six rows (TP, FP, TN, FN, precision, recall) of
/// equal length, one after the other. The metadata's `num_thresholds` is capped at 127 as both
/// anchors cap it, also for raw curves of another length.
pub fn pr_curve(tag: &str, data: Vec<f32>, num_thresholds: u32) -> summary::Value {
    debug_assert_eq!(data.len() % ROWS, 0, "six rows of equal length");
    let columns = data.len() / ROWS;
    let tensor = TensorProto {
        dtype: DataType::DtFloat.into(),
        tensor_shape: super::shape(&[ROWS, columns]),
        float_val: data,
        ..Default::default()
    };
    let content =
        PrCurvePluginData { version: 0, num_thresholds: num_thresholds.min(MAX_THRESHOLDS) }.encode_to_vec();
    make_value(tag, summary::value::Value::Tensor(tensor), plugin("pr_curves", content))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(data: &[f32], t: usize, r: usize) -> &[f32] {
        &data[r * t..(r + 1) * t]
    }

    #[test]
    fn counts_at_each_threshold() {
        // Thresholds 0, 0.5, 1: predictions 0.2 and 0.7 land in buckets 0 and 1.
        let data = compute(&[1u8, 0], &[0.7f64, 0.2], None, 3).unwrap();
        assert_eq!(row(&data, 3, 0), [1.0, 1.0, 0.0]); // TP
        assert_eq!(row(&data, 3, 1), [1.0, 0.0, 0.0]); // FP
        assert_eq!(row(&data, 3, 2), [0.0, 1.0, 1.0]); // TN
        assert_eq!(row(&data, 3, 3), [0.0, 0.0, 1.0]); // FN
        assert_eq!(row(&data, 3, 4), [0.5, 1.0, 0.0]); // precision
        assert_eq!(row(&data, 3, 5), [1.0, 1.0, 0.0]); // recall
    }

    #[test]
    fn out_of_range_and_nan_predictions_are_dropped() {
        let data = compute(&[1u8, 1, 1, 1], &[-0.1f32, 1.5, f32::NAN, 1.0], None, 11).unwrap();
        // Only 1.0 counts, in the last bucket.
        assert_eq!(row(&data, 11, 0), [1.0; 11]);
    }

    #[test]
    fn thresholds_are_capped_and_one_takes_every_finite_prediction() {
        assert_eq!(compute(&[1u8], &[0.5f64], None, 1000).unwrap().len(), ROWS * 127);
        let data = compute(&[1u8, 0], &[7.0f64, -3.0], None, 1).unwrap();
        assert_eq!(data, [1.0, 1.0, 0.0, 0.0, 0.5, 1.0]);
        assert!(compute(&[1u8], &[0.5f64], None, 0).is_err());
    }

    #[test]
    fn weights_scale_both_counts() {
        let data = compute(&[1.0f64, 0.0], &[1.0f64, 1.0], Some(&[2.0, 0.5]), 2).unwrap();
        assert_eq!(row(&data, 2, 0), [2.0, 2.0]);
        assert_eq!(row(&data, 2, 1), [0.5, 0.5]);
        assert!(compute(&[1.0f64], &[0.9f64], Some(&[1.0, 2.0]), 2).is_err());
        assert!(compute(&[1.0f64], &[0.9f64, 0.1], None, 2).is_err());
    }

    #[test]
    fn half_predictions_round_their_product_to_half() {
        // 0.03173828125 * 126 is 3.99902..., which rounds to 4 in f16 (numpy: bucket 4).
        assert_eq!(f16::from_f64(0.03173828125).bucket(126), Some(4));
        assert_eq!(0.03173828125f64.bucket(126), Some(3));
    }

    #[test]
    fn raw_rows_must_be_one_dimensional_and_of_one_length() {
        // Five rows of two values, and the precision row as given.
        fn rows<'a>(shape: &'a [usize], values: &'a [f64]) -> [(&'static str, &'a [usize], &'a [f64]); ROWS] {
            let mut rows = [("true_positive_counts", &[2][..], &[1.0, 2.0][..]); ROWS];
            rows[4] = ("precision", shape, values);
            rows
        }
        let two = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(raw(rows(&[2], &[0.5, 0.25])).unwrap()[8..10], [0.5, 0.25]);
        for (shape, values) in [(&[2, 2][..], &two[..]), (&[3][..], &two[..3]), (&[][..], &two[..1])] {
            let err = raw(rows(shape, values)).unwrap_err();
            assert!(matches!(err, Error::InvalidArgument { arg: "precision", .. }), "{err}");
        }
    }

    #[test]
    fn empty_input_gives_zero_counts() {
        let data = compute::<f64, f64>(&[], &[], None, 4).unwrap();
        assert!(data.iter().all(|&x| x == 0.0));
    }
}
