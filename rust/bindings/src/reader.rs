//! Runs read back: `read` runs the core reader with the GIL released, and `Table` hands its
//! columns to Python, as an Arrow C stream (pyarrow, polars, duckdb take it without a copy)
//! or as numpy arrays and lists (pandas without pyarrow).

use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type};
use arrow_array::{Array, ArrayRef, ArrowPrimitiveType, PrimitiveArray, RecordBatch, StructArray};
use arrow_schema::{ArrowError, DataType, Field};
use numpy::PyArray1;
use pyo3::exceptions::{PyKeyError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyCapsule, PyList};
use pyo3_arrow::ffi::{ArrayIterator, to_schema_pycapsule, to_stream_pycapsule};
use turboboard_core::read::{self, Filter, Kind, Query};
use turboboard_core::storage::LogDir;

use crate::errors::IntoPyResult;

/// The rows of one kind read from a log directory.
#[pyclass(module = "turboboard._core", frozen)]
pub(crate) struct Table {
    /// None once its memory went to a frame ([`Table::take_columns`]).
    table: RwLock<Option<read::Table>>,
}

/// A column that numpy views: the array's base, keeping the memory alive (and shared, so the
/// table cannot give it away while the view lives).
#[pyclass(module = "turboboard._core", frozen)]
struct Column {
    _array: ArrayRef,
}

/// How a column's numbers reach numpy.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Numbers {
    /// A read-only view of the table's memory where the column is one piece, else a copy.
    View,
    /// A copy of its own (in memory from Rust's allocator: numpy's asks the kernel for huge
    /// pages, which a busy machine can take a quarter of a second to fault in per 80 MB).
    Copy,
    /// The table's own memory where nothing else shares it, else a copy.
    Own,
}

/// Reads the `kind` values under `logdir`; returns the table and the warnings for what was
/// skipped.
#[pyfunction(name = "read")]
#[pyo3(signature = (logdir, kind, run_globs, run_regex, tag_globs, tag_regex, check_crc, skip_corrupt, purge, storage_options, tensors = true))]
pub(crate) fn read_runs(
    py: Python<'_>,
    logdir: &str,
    kind: &str,
    run_globs: Option<Vec<String>>,
    run_regex: Option<String>,
    tag_globs: Option<Vec<String>>,
    tag_regex: Option<String>,
    check_crc: bool,
    skip_corrupt: bool,
    purge: bool,
    storage_options: Vec<(String, String)>,
    tensors: bool,
) -> PyResult<(Table, Vec<String>)> {
    let query = Query {
        kind: Kind::parse(kind).py_err()?,
        runs: Filter::new("runs", run_globs.as_deref(), run_regex.as_deref()).py_err()?,
        tags: Filter::new("tags", tag_globs.as_deref(), tag_regex.as_deref()).py_err()?,
        check_crc,
        skip_corrupt,
        purge,
        tensors,
    };
    let logdir = LogDir::parse(logdir, &storage_options).py_err()?;
    let output = py.detach(|| read::read(&logdir, &query)).py_err()?;
    Ok((Table { table: RwLock::new(Some(output.table)) }, output.warnings))
}

fn arrow_err(e: ArrowError) -> PyErr {
    pyo3::exceptions::PyValueError::new_err(e.to_string())
}

impl Table {
    fn with<R>(&self, f: impl FnOnce(&read::Table) -> PyResult<R>) -> PyResult<R> {
        match self.table.read().unwrap_or_else(PoisonError::into_inner).as_ref() {
            Some(table) => f(table),
            None => Err(given_away()),
        }
    }
}

fn given_away() -> PyErr {
    PyValueError::new_err(
        "the table gave its memory to a DataFrame (to_pandas(self_destruct=True)); read it again",
    )
}

/// Column `index` of every batch, in order.
fn chunks(batches: &[RecordBatch], index: usize) -> Vec<ArrayRef> {
    batches.iter().map(|b| b.column(index).clone()).collect()
}

#[pymethods]
impl Table {
    /// The kind of values: "scalars", "histograms", ...
    #[getter]
    fn kind(&self) -> PyResult<&'static str> {
        self.with(|table| Ok(table.kind().name()))
    }

    #[getter]
    fn num_rows(&self) -> PyResult<usize> {
        self.with(|table| Ok(table.num_rows()))
    }

    #[getter]
    fn column_names(&self) -> PyResult<Vec<String>> {
        self.with(|table| Ok(table.schema().fields().iter().map(|f| f.name().clone()).collect()))
    }

    /// `(name, Arrow type)` of each column, in order.
    #[getter]
    fn schema(&self) -> PyResult<Vec<(String, String)>> {
        self.with(|table| {
            Ok(table
                .schema()
                .fields()
                .iter()
                .map(|f| (f.name().clone(), f.data_type().to_string()))
                .collect())
        })
    }

    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        self.with(|table| Ok(to_schema_pycapsule(py, table.schema().as_ref())?))
    }

    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyCapsule>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        self.with(|table| {
            let schema = table.schema();
            let field = Arc::new(Field::new_struct("", schema.fields().clone(), false));
            let batches: Vec<Result<ArrayRef, ArrowError>> = table
                .batches()
                .iter()
                .map(|batch: &RecordBatch| Ok(Arc::new(StructArray::from(batch.clone())) as ArrayRef))
                .collect();
            Ok(to_stream_pycapsule(py, Box::new(ArrayIterator::new(batches, field)), requested_schema)?)
        })
    }

    /// Column `name` for numpy and pandas: a numpy array for numbers (without `copy`, a
    /// read-only view of the table's memory when the table is one record batch, which keeps
    /// that memory alive; else a copy joining the batches); `(codes, names)` for run and tag
    /// (int32 codes into the list of names); a list for strings, bytes, lists (as numpy
    /// arrays) and columns with missing values (None).
    #[pyo3(signature = (name, copy = false))]
    fn column<'py>(&self, py: Python<'py>, name: &str, copy: bool) -> PyResult<Bound<'py, PyAny>> {
        let (dtype, chunks) = self.with(|table| {
            let schema = table.schema();
            let index =
                schema.index_of(name).map_err(|_| PyKeyError::new_err(format!("no column {name:?}")))?;
            Ok((schema.field(index).data_type().clone(), chunks(table.batches(), index)))
        })?;
        to_python(py, &dtype, chunks, if copy { Numbers::Copy } else { Numbers::View })
    }

    /// Every column, as `column` gives it but writable, each in the table's own memory where
    /// no view or Arrow consumer shares it (else a copy); the table is left empty, and every
    /// later use of it raises.
    fn take_columns<'py>(&self, py: Python<'py>) -> PyResult<Vec<(String, Bound<'py, PyAny>)>> {
        let taken = self.table.write().unwrap_or_else(PoisonError::into_inner).take();
        let table = taken.ok_or_else(given_away)?;
        let schema = table.schema();
        let mut batches = table.into_batches();
        let mut out = Vec::new();
        for (index, field) in schema.fields().iter().enumerate().rev() {
            let column: Vec<ArrayRef> = batches.iter_mut().map(|b| b.remove_column(index)).collect();
            out.push((field.name().clone(), to_python(py, field.data_type(), column, Numbers::Own)?));
        }
        out.reverse();
        Ok(out)
    }

    /// Writes the table to `path` as "parquet", "csv" or "jsonl".
    fn write(&self, py: Python<'_>, path: PathBuf, format: &str) -> PyResult<()> {
        self.with(|table| py.detach(|| read::write_table(table, &path, format)).py_err())
    }
}

/// A column (its pieces, one per batch) as `Table.column` gives it.
fn to_python<'py>(
    py: Python<'py>,
    dtype: &DataType,
    chunks: Vec<ArrayRef>,
    mode: Numbers,
) -> PyResult<Bound<'py, PyAny>> {
    if chunks.iter().any(|c| c.null_count() > 0) {
        return list(py, &chunks);
    }
    Ok(match dtype {
        DataType::Dictionary(..) => {
            let names: Vec<String> = chunks.first().map_or_else(Vec::new, |c| {
                c.as_dictionary::<Int32Type>()
                    .values()
                    .as_string::<i32>()
                    .iter()
                    .flatten()
                    .map(str::to_owned)
                    .collect()
            });
            let keys: Vec<ArrayRef> = chunks
                .iter()
                .map(|c| Arc::new(c.as_dictionary::<Int32Type>().keys().clone()) as ArrayRef)
                .collect();
            drop(chunks);
            (numbers::<Int32Type>(py, keys, mode)?, names).into_pyobject(py)?.into_any()
        }
        DataType::Float64 => numbers::<Float64Type>(py, chunks, mode)?,
        DataType::Int64 => numbers::<Int64Type>(py, chunks, mode)?,
        DataType::Int32 => numbers::<Int32Type>(py, chunks, mode)?,
        _ => list(py, &chunks)?,
    })
}

/// The numbers of a column's pieces as one numpy array, as `mode` says.
fn numbers<T: ArrowPrimitiveType>(
    py: Python<'_>,
    mut chunks: Vec<ArrayRef>,
    mode: Numbers,
) -> PyResult<Bound<'_, PyAny>>
where
    T::Native: numpy::Element,
{
    if chunks.len() == 1 && mode != Numbers::Copy {
        let array = chunks.pop().expect("one piece");
        if mode == Numbers::View {
            let values = numpy::ndarray::ArrayView1::from(&array.as_primitive::<T>().values()[..]);
            let owner = Bound::new(py, Column { _array: array.clone() })?;
            // SAFETY: `values` is memory of `array`, which never changes (Arrow arrays are
            // immutable) and lives as long as `owner`, the numpy array's base.
            return Ok(unsafe { PyArray1::borrow_from_array(&values, owner.into_any()) }.into_any());
        }
        let primitive = array.as_primitive::<T>().clone();
        drop(array);
        match primitive.into_parts().1.into_inner().into_vec::<T::Native>() {
            Ok(values) => return Ok(PyArray1::from_vec(py, values).into_any()),
            Err(shared) => chunks.push(Arc::new(PrimitiveArray::<T>::new(shared.into(), None))),
        }
    }
    let mut values = Vec::with_capacity(chunks.iter().map(|c| c.len()).sum());
    for chunk in &chunks {
        values.extend_from_slice(chunk.as_primitive::<T>().values());
    }
    Ok(PyArray1::from_vec(py, values).into_any())
}

/// A column's values as a Python list.
fn list<'py>(py: Python<'py>, chunks: &[ArrayRef]) -> PyResult<Bound<'py, PyAny>> {
    let list = PyList::empty(py);
    for chunk in chunks {
        for i in 0..chunk.len() {
            list.append(value(py, chunk, i)?)?;
        }
    }
    Ok(list.into_any())
}

/// One value of a column that is not plain numbers, as Python sees it.
fn value<'py>(py: Python<'py>, array: &ArrayRef, i: usize) -> PyResult<Bound<'py, PyAny>> {
    if array.is_null(i) {
        return Ok(py.None().into_bound(py));
    }
    Ok(match array.data_type() {
        DataType::Float64 => array.as_primitive::<Float64Type>().value(i).into_pyobject(py)?.into_any(),
        DataType::Int64 => array.as_primitive::<Int64Type>().value(i).into_pyobject(py)?.into_any(),
        DataType::Int32 => array.as_primitive::<Int32Type>().value(i).into_pyobject(py)?.into_any(),
        DataType::Boolean => array.as_boolean().value(i).into_pyobject(py)?.to_owned().into_any(),
        DataType::Utf8 => array.as_string::<i32>().value(i).into_pyobject(py)?.into_any(),
        DataType::Binary => PyBytes::new(py, array.as_binary::<i32>().value(i)).into_any(),
        DataType::List(item) => {
            let list = array.as_list::<i32>().value(i);
            match item.data_type() {
                DataType::Float64 => {
                    PyArray1::from_slice(py, list.as_primitive::<Float64Type>().values()).into_any()
                }
                DataType::Int64 => {
                    PyArray1::from_slice(py, list.as_primitive::<Int64Type>().values()).into_any()
                }
                _ => {
                    let items = PyList::empty(py);
                    for j in 0..list.len() {
                        items.append(value(py, &list, j)?)?;
                    }
                    items.into_any()
                }
            }
        }
        other => return Err(arrow_err(ArrowError::NotYetImplemented(format!("a column of {other}")))),
    })
}
