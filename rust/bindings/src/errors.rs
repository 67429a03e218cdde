//! Core errors as Python exceptions: bad arguments are `turboboard.ArgumentError` (a
//! `ValueError`, and an `AssertionError` for code written for tensorboardX's asserts), I/O
//! failures `OSError` (with the subclass for their kind), a closed writer `RuntimeError`, a
//! stuck disk `TimeoutError`, a corrupt event file `ValueError`.

use pyo3::PyErr;
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyTimeoutError, PyValueError};
use turboboard_core::{Error, os_code};

pyo3::import_exception!(turboboard._errors, ArgumentError);

pub(crate) fn to_py(error: Error) -> PyErr {
    match error {
        Error::InvalidArgument { .. } => ArgumentError::new_err(error.to_string()),
        // OSError(errno, message) picks the subclass (FileNotFoundError...) and sets `errno`.
        Error::Io(e) => match os_code(&e) {
            Some(code) => PyOSError::new_err((code, e.to_string())),
            None => e.into(),
        },
        Error::Closed(message) => PyRuntimeError::new_err(message),
        Error::Timeout(message) => PyTimeoutError::new_err(message),
        Error::Corrupt(message) => PyValueError::new_err(message),
    }
}

/// `?` on core results in binding code.
pub(crate) trait IntoPyResult<T> {
    fn py_err(self) -> pyo3::PyResult<T>;
}

impl<T> IntoPyResult<T> for turboboard_core::Result<T> {
    fn py_err(self) -> pyo3::PyResult<T> {
        self.map_err(to_py)
    }
}
