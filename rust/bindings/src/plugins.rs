//! The plugins' summaries: PR curves, meshes, hparams, custom scalars and torch's `add_tensor`.
//! The Python layer checks and normalizes the arguments; this only converts and dispatches.

use half::bf16;
use half::slice::HalfBitsSliceExt;
use numpy::{PyArrayDyn, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use turboboard_core::proto::{Category, Layout};
use turboboard_core::summary::{self, Complex, ContentType, HParam, HParamValue, pr_curve};

use crate::errors::IntoPyResult;
use crate::interop::with_typed_array;
use crate::interop::{WallTime, contiguous, maybe_detached, readonly};
use crate::writer::{EventFileWriter, wall_time};

/// A hyperparameter value as the Python layer normalizes it (a bool, a str or a float).
#[derive(FromPyObject)]
enum PyHParamValue {
    Bool(bool),
    Str(String),
    Number(f64),
}

impl From<PyHParamValue> for HParamValue {
    fn from(value: PyHParamValue) -> Self {
        match value {
            PyHParamValue::Bool(b) => HParamValue::Bool(b),
            PyHParamValue::Str(s) => HParamValue::Str(s),
            PyHParamValue::Number(x) => HParamValue::Number(x),
        }
    }
}

/// One chart of a custom scalars layout: its title, whether it is a margin chart (of exactly
/// three tags: value, lower, upper) and its tags.
type PyChart = (String, bool, Vec<String>);

#[pymethods]
impl EventFileWriter {
    /// A PR curve computed from `labels` (float64) and `predictions` (any numeric dtype; the
    /// bucket of each is computed in its own precision, as numpy does).
    #[pyo3(signature = (tag, labels, predictions, global_step = None, num_thresholds = 127, weights = None, walltime = None))]
    fn add_pr_curve(
        &self,
        py: Python<'_>,
        tag: PyBackedStr,
        labels: &Bound<'_, PyArrayDyn<f64>>,
        predictions: &Bound<'_, PyUntypedArray>,
        global_step: Option<i64>,
        num_thresholds: u32,
        weights: Option<&Bound<'_, PyArrayDyn<f64>>>,
        walltime: Option<WallTime>,
    ) -> PyResult<()> {
        let labels = readonly(labels, "labels")?;
        let labels = contiguous(&labels);
        let weights = weights.map(|w| readonly(w, "weights")).transpose()?;
        let weights = weights.as_ref().map(contiguous);
        let size = predictions.len();
        let data = with_typed_array!(predictions, "predictions", |array| {
            let predictions = contiguous(&array);
            maybe_detached(py, size, || {
                pr_curve::compute(&labels, &predictions, weights.as_deref(), num_thresholds)
            })
            .py_err()
        })?;
        let value = summary::pr_curve(&tag, data, num_thresholds);
        self.write(py, summary::event(vec![value], global_step, wall_time(walltime)))
    }

    /// A PR curve from its six rows, of equal length.
    #[pyo3(signature = (tag, true_positive_counts, false_positive_counts, true_negative_counts, false_negative_counts, precision, recall, global_step = None, num_thresholds = 127, walltime = None))]
    fn add_pr_curve_raw(
        &self,
        py: Python<'_>,
        tag: PyBackedStr,
        true_positive_counts: &Bound<'_, PyArrayDyn<f64>>,
        false_positive_counts: &Bound<'_, PyArrayDyn<f64>>,
        true_negative_counts: &Bound<'_, PyArrayDyn<f64>>,
        false_negative_counts: &Bound<'_, PyArrayDyn<f64>>,
        precision: &Bound<'_, PyArrayDyn<f64>>,
        recall: &Bound<'_, PyArrayDyn<f64>>,
        global_step: Option<i64>,
        num_thresholds: u32,
        walltime: Option<WallTime>,
    ) -> PyResult<()> {
        let rows = [
            ("true_positive_counts", true_positive_counts),
            ("false_positive_counts", false_positive_counts),
            ("true_negative_counts", true_negative_counts),
            ("false_negative_counts", false_negative_counts),
            ("precision", precision),
            ("recall", recall),
        ];
        let read = rows.iter().map(|(name, row)| readonly(row, name)).collect::<PyResult<Vec<_>>>()?;
        let values: Vec<_> = read.iter().map(contiguous).collect();
        let data =
            pr_curve::raw(std::array::from_fn(|i| (rows[i].0, read[i].shape(), &*values[i]))).py_err()?;
        let value = summary::pr_curve(&tag, data, num_thresholds);
        self.write(py, summary::event(vec![value], global_step, wall_time(walltime)))
    }

    /// The custom scalars layout: `(category title, [(chart title, is_margin, tags)])`.
    #[pyo3(signature = (layout, global_step = None, walltime = None))]
    fn add_custom_scalars(
        &self,
        py: Python<'_>,
        layout: Vec<(String, Vec<PyChart>)>,
        global_step: Option<i64>,
        walltime: Option<WallTime>,
    ) -> PyResult<()> {
        let category = layout
            .into_iter()
            .map(|(title, charts)| {
                let chart = charts
                    .into_iter()
                    .map(|(chart_title, margin, tags)| {
                        if !margin {
                            return Ok(summary::multiline_chart(chart_title, tags));
                        }
                        let tags: [String; 3] = tags.try_into().map_err(|tags: Vec<String>| {
                            PyValueError::new_err(format!(
                                "layout[{title:?}][{chart_title:?}]: a margin chart needs 3 tags (value, lower, upper), got {}",
                                tags.len()
                            ))
                        })?;
                        Ok(summary::margin_chart(chart_title, tags))
                    })
                    .collect::<PyResult<_>>()?;
                Ok(Category { title, chart, closed: false })
            })
            .collect::<PyResult<_>>()?;
        let value = summary::custom_scalars(&Layout { version: 0, category });
        self.write(py, summary::event(vec![value], global_step, wall_time(walltime)))
    }

    /// A mesh (or point cloud): vertices, and optionally faces and colors, each `[B, N, 3]`, in
    /// one event; `json_config` is the scene configuration as JSON (tensorboardX's "null" when
    /// None).
    #[pyo3(signature = (tag, vertices, colors = None, faces = None, json_config = None, global_step = None, walltime = None))]
    fn add_mesh(
        &self,
        py: Python<'_>,
        tag: PyBackedStr,
        vertices: &Bound<'_, PyUntypedArray>,
        colors: Option<&Bound<'_, PyUntypedArray>>,
        faces: Option<&Bound<'_, PyUntypedArray>>,
        json_config: Option<PyBackedStr>,
        global_step: Option<i64>,
        walltime: Option<WallTime>,
    ) -> PyResult<()> {
        let json_config = json_config.as_deref().unwrap_or("null");
        // tensorboardX's order: vertices, faces, colors.
        let parts = [
            (ContentType::Vertex, "vertices", Some(vertices)),
            (ContentType::Face, "faces", faces),
            (ContentType::Color, "colors", colors),
        ];
        let mut values = Vec::with_capacity(parts.len());
        for (content_type, arg, part) in parts {
            let Some(part) = part else { continue };
            let value = with_typed_array!(part, arg, |array| {
                summary::mesh(&tag, content_type, &contiguous(&array), array.shape(), json_config).py_err()
            })?;
            values.push(value);
        }
        self.write(py, summary::event(values, global_step, wall_time(walltime)))
    }

    /// A whole tensor in its own dtype's field. `kind` says how `tensor` holds the values:
    /// `None` as they are, `"bfloat16"` as the bit patterns (uint16), `"complex"` as (real,
    /// imaginary) pairs along a last dimension of 2 (float32 or float64).
    #[pyo3(signature = (tag, tensor, global_step = None, walltime = None, kind = None))]
    fn add_tensor(
        &self,
        py: Python<'_>,
        tag: PyBackedStr,
        tensor: &Bound<'_, PyUntypedArray>,
        global_step: Option<i64>,
        walltime: Option<WallTime>,
        kind: Option<PyBackedStr>,
    ) -> PyResult<()> {
        let shape = tensor.shape().to_vec();
        let value = match kind.as_deref() {
            None => with_typed_array!(tensor, "tensor", |array| {
                summary::tensor(&tag, &contiguous(&array), &shape).py_err()
            })?,
            Some("bfloat16") => {
                let bits = readonly(tensor.cast::<PyArrayDyn<u16>>()?, "tensor")?;
                let bits = contiguous(&bits);
                let values: &[bf16] = bits.reinterpret_cast();
                summary::tensor(&tag, values, &shape).py_err()?
            }
            Some("complex") => {
                let (last, shape) = shape.split_last().unwrap_or((&0, &[]));
                if *last != 2 {
                    return Err(PyValueError::new_err("tensor: complex values need a last dimension of 2"));
                }
                if let Ok(pairs) = tensor.cast::<PyArrayDyn<f32>>() {
                    let pairs = readonly(pairs, "tensor")?;
                    summary::complex_tensor(&tag, Complex::C64(&contiguous(&pairs)), shape).py_err()?
                } else {
                    let pairs = readonly(tensor.cast::<PyArrayDyn<f64>>()?, "tensor")?;
                    summary::complex_tensor(&tag, Complex::C128(&contiguous(&pairs)), shape).py_err()?
                }
            }
            Some(other) => return Err(PyTypeError::new_err(format!("kind: unknown tensor kind {other:?}"))),
        };
        self.write(py, summary::event(vec![value], global_step, wall_time(walltime)))
    }

    /// The hparams plugin's three summaries, each in an event of its own without a step.
    /// `hparams` holds `(name, value or None, discrete domain or None)`.
    #[pyo3(signature = (hparams, metrics, walltime = None))]
    fn add_hparams(
        &self,
        py: Python<'_>,
        hparams: Vec<(String, Option<PyHParamValue>, Option<Vec<PyHParamValue>>)>,
        metrics: Vec<String>,
        walltime: Option<WallTime>,
    ) -> PyResult<()> {
        let hparams: Vec<HParam> = hparams
            .into_iter()
            .map(|(name, value, domain)| HParam {
                name,
                value: value.map(Into::into),
                domain: domain.map(|values| values.into_iter().map(Into::into).collect()),
            })
            .collect();
        let wall_time = wall_time(walltime);
        for value in summary::hparams(&hparams, &metrics) {
            self.write(py, summary::event(vec![value], None, wall_time))?;
        }
        Ok(())
    }
}
