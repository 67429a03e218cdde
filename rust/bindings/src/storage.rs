//! Remote log directories read back: the objects under a URL and their contents, with the GIL
//! released while the store answers.

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use turboboard_core::storage::{self, LogDir, Remote};
use turboboard_core::{Error, Result};

use crate::errors::IntoPyResult;

fn remote(url: &str, storage_options: Option<Vec<(String, String)>>) -> Result<Remote> {
    match LogDir::parse(url, storage_options.as_deref().unwrap_or_default())? {
        LogDir::Remote(remote) => Ok(remote),
        LogDir::Local(_) => Err(Error::invalid("url", format!("expected an object store URL, got {url:?}"))),
    }
}

/// The objects under `url`, as `(url, size)` pairs sorted by name.
#[pyfunction]
#[pyo3(signature = (url, storage_options = None))]
pub(crate) fn list_objects(
    py: Python<'_>,
    url: &str,
    storage_options: Option<Vec<(String, String)>>,
) -> PyResult<Vec<(String, u64)>> {
    let remote = remote(url, storage_options).py_err()?;
    py.detach(|| storage::list_objects(&remote)).py_err()
}

/// The contents of the object at `url`.
#[pyfunction]
#[pyo3(signature = (url, storage_options = None))]
pub(crate) fn read_object<'py>(
    py: Python<'py>,
    url: &str,
    storage_options: Option<Vec<(String, String)>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let remote = remote(url, storage_options).py_err()?;
    let bytes = py.detach(|| storage::get_object(&remote)).py_err()?;
    Ok(PyBytes::new(py, &bytes))
}
