//! `add_embedding`'s projector files: formatted, tiled, encoded and written by the core with the
//! GIL released for large inputs.

use numpy::{PyUntypedArray, PyUntypedArrayMethods};
use pyo3::prelude::*;
use turboboard_core::Error;
use turboboard_core::encode::png;
use turboboard_core::projector::{self, Embedding};
use turboboard_core::storage::LogDir;

use crate::errors::IntoPyResult;
use crate::interop::maybe_detached;
use crate::interop::with_typed_array;

/// Writes `mat` (N x D) as `<logdir>/<subdir>/tensors.tsv`, `metadata` (N rows of
/// `metadata_columns` strings, a header row first if there is one) as `metadata.tsv` and
/// `label_img` (N x C x H x W) as `sprite.png`, then appends the embedding to
/// `<logdir>/projector_config.pbtxt`.
#[pyfunction]
#[pyo3(signature = (logdir, subdir, tensor_name, mat, metadata = None, metadata_columns = 1, label_img = None, storage_options = None))]
pub(crate) fn write_embedding(
    py: Python<'_>,
    logdir: &str,
    subdir: String,
    tensor_name: String,
    mat: &Bound<'_, PyUntypedArray>,
    metadata: Option<Vec<String>>,
    metadata_columns: usize,
    label_img: Option<&Bound<'_, PyUntypedArray>>,
    storage_options: Option<Vec<(String, String)>>,
) -> PyResult<()> {
    let logdir = LogDir::parse(logdir, storage_options.as_deref().unwrap_or_default()).py_err()?;
    // Uploads wait on the network: never with the GIL held.
    let remote = matches!(logdir, LogDir::Remote(_));
    let size = mat.len();
    let shape = mat.shape().to_vec();
    let count = shape.first().copied().unwrap_or(0);
    let metadata =
        metadata.map(|fields| projector::metadata_tsv(&fields, metadata_columns)).transpose().py_err()?;
    let sprite = match label_img {
        None => None,
        Some(images) => Some(with_typed_array!(images, "label_img", |array| {
            let view = array.as_array();
            let shape = images.shape().to_vec();
            maybe_detached(py, images.len(), || {
                let nchw = view.into_dimensionality().map_err(|_| {
                    Error::invalid(
                        "label_img",
                        format!("expected a 4-D array (N, C, H, W), got shape {shape:?}"),
                    )
                })?;
                let sprite = projector::sprite(nchw, count)?;
                Ok((png::encode_png(&sprite)?, shape[3]))
            })
            .py_err()
        })?),
    };
    with_typed_array!(mat, "mat", |array| {
        let view = array.as_array();
        maybe_detached(py, if remote { usize::MAX } else { size }, || {
            let mat = view.into_dimensionality().map_err(|_| {
                Error::invalid("mat", format!("expected a 2-D array (N, D), got shape {shape:?}"))
            })?;
            Embedding { tensor_name, subdir, mat, metadata, sprite }.write(&logdir)
        })
        .py_err()
    })
}
