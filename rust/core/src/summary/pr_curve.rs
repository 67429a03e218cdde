//! Precision-recall curves for the `pr_curves` plugin.

use prost::Message;

use super::{make_value, plugin};
use crate::pr_curve::{MAX_THRESHOLDS, ROWS};
use crate::proto::{DataType, PrCurvePluginData, TensorProto, summary};

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
