//! numpy arrays of any supported dtype, dispatched to generic core code.

/// Runs `$body` with `$array` bound to a `PyReadonlyArrayDyn<T>` of the array's own dtype, for
/// every dtype the core accepts; any other dtype is a `TypeError` naming `$arg`.
macro_rules! with_typed_array {
    ($untyped:expr, $arg:expr, |$array:ident| $body:expr) => {{
        use numpy::{PyArrayDyn, PyUntypedArrayMethods};
        let untyped: &pyo3::Bound<'_, numpy::PyUntypedArray> = $untyped;
        with_typed_array!(@try untyped, $array, $body,
            f32, f64, half::f16, u8, i8, i16, i32, i64, u16, u32, u64, bool;
            Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "{}: expected an array of numbers or booleans, got dtype {}",
                $arg,
                untyped.dtype()
            ))))
    }};
    (@try $untyped:ident, $array:ident, $body:expr, $t:ty $(, $rest:ty)*; $fallback:expr) => {
        match $untyped.cast::<PyArrayDyn<$t>>() {
            Ok(typed) => {
                let $array = typed.readonly();
                $body
            }
            Err(_) => with_typed_array!(@try $untyped, $array, $body, $($rest),*; $fallback),
        }
    };
    (@try $untyped:ident, $array:ident, $body:expr, ; $fallback:expr) => {
        $fallback
    };
}

pub(crate) use with_typed_array;
