//! Where the bindings meet the interpreter: numpy arrays borrowed and dispatched to typed core
//! code, and when the GIL is released.
//!
//! An array is borrowed read-only (numpy's borrow checker refuses one another extension holds
//! mutably) for the length of the call, and the core reads it in place, with the GIL released
//! when it is large. Python code on another thread that writes to the same array during the call
//! races with that read, as it would with any C extension that releases the GIL (numpy's own
//! functions included); the README says so. Copying every array first would remove the race at
//! the cost of a copy of every histogram and image.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use numpy::ndarray::Dimension;
use numpy::{Element, PyArray, PyArrayMethods, PyReadonlyArray, PyUntypedArrayMethods};
use pyo3::exceptions::{PyOverflowError, PyValueError};
use pyo3::prelude::*;

use crate::errors::IntoPyResult;

/// Arrays with more elements than this are processed with the GIL released.
const DETACH_ELEMENTS: usize = 1 << 14;
/// The longest a wait runs without the GIL before Python gets to handle signals.
pub(crate) const WAIT_SLICE: Duration = Duration::from_millis(100);

/// Runs `$body` with `$array` bound to a `PyReadonlyArrayDyn<T>` of the array's own dtype, for
/// every dtype the core accepts; any other dtype is a `TypeError` naming `$arg`.
macro_rules! with_typed_array {
    ($untyped:expr, $arg:expr, |$array:ident| $body:expr) => {{
        use numpy::{PyArrayDyn, PyUntypedArrayMethods};
        let untyped: &pyo3::Bound<'_, numpy::PyUntypedArray> = $untyped;
        let arg = $arg;
        with_typed_array!(@try untyped, arg, $array, $body,
            f32, f64, half::f16, u8, i8, i16, i32, i64, u16, u32, u64, bool;
            Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "{}: expected an array of numbers or booleans, got dtype {}",
                arg,
                untyped.dtype()
            ))))
    }};
    (@try $untyped:ident, $arg:ident, $array:ident, $body:expr, $t:ty $(, $rest:ty)*; $fallback:expr) => {
        match $untyped.cast::<PyArrayDyn<$t>>() {
            Ok(typed) => match $crate::interop::readonly(&typed, $arg) {
                Ok($array) => $body,
                Err(e) => Err(e),
            },
            Err(_) => with_typed_array!(@try $untyped, $arg, $array, $body, $($rest),*; $fallback),
        }
    };
    (@try $untyped:ident, $arg:ident, $array:ident, $body:expr, ; $fallback:expr) => {
        $fallback
    };
}

pub(crate) use with_typed_array;

/// A wall time in seconds. A Python int beyond a float's range is taken as the infinity it
/// rounds to, which the core refuses as any non-finite wall time (PyO3 would raise an
/// `OverflowError`, which `except ValueError` misses).
pub(crate) struct WallTime(pub(crate) f64);

impl<'a, 'py> FromPyObject<'a, 'py> for WallTime {
    type Error = PyErr;

    fn extract(ob: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        match ob.extract::<f64>() {
            Ok(seconds) => Ok(WallTime(seconds)),
            Err(e) if e.is_instance_of::<PyOverflowError>(ob.py()) => {
                Ok(WallTime(if ob.gt(0)? { f64::INFINITY } else { f64::NEG_INFINITY }))
            }
            Err(e) => Err(e),
        }
    }
}

/// `array` borrowed for reading, or a `ValueError` naming `arg` if another extension holds it
/// for writing (rust-numpy's `readonly()` panics, and its argument extraction raises a
/// `TypeError` that names no argument).
pub(crate) fn readonly<'py, T: Element, D: Dimension>(
    array: &Bound<'py, PyArray<T, D>>,
    arg: &str,
) -> PyResult<PyReadonlyArray<'py, T, D>> {
    array.try_readonly().map_err(|e| {
        PyValueError::new_err(format!(
            "{arg}: the array cannot be read while it is borrowed for writing ({e})"
        ))
    })
}

/// Repeats `step` (which waits one slice and says whether it is done) without the GIL until it
/// is done or `deadline` passes, letting Python handle signals between slices.
pub(crate) fn wait(
    py: Python<'_>,
    deadline: Option<Instant>,
    mut step: impl FnMut() -> turboboard_core::Result<bool> + Send,
) -> PyResult<()> {
    loop {
        if py.detach(&mut step).py_err()? || deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(());
        }
        py.check_signals()?;
    }
}

pub(crate) fn maybe_detached<T: Send>(py: Python<'_>, size: usize, work: impl FnOnce() -> T + Send) -> T {
    if size > DETACH_ELEMENTS { py.detach(work) } else { work() }
}

/// The array's elements in row-major order, borrowed when they already are C-contiguous
/// (`as_slice` also accepts Fortran order, whose memory order is not the elements' order).
pub(crate) fn contiguous<'a, T: numpy::Element + Copy>(
    array: &'a numpy::PyReadonlyArrayDyn<'_, T>,
) -> Cow<'a, [T]> {
    match array.as_slice() {
        Ok(slice) if array.is_c_contiguous() => Cow::Borrowed(slice),
        _ => Cow::Owned(array.as_array().iter().copied().collect()),
    }
}
