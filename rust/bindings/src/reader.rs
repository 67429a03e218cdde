//! Runs read back: `read` runs the core reader with the GIL released, and `Table` hands its
//! columns to Python, as an Arrow C stream (pyarrow, polars, duckdb take it without a copy)
//! or as numpy arrays and lists (pandas without pyarrow).

use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type};
use arrow_array::{Array, ArrayRef, RecordBatch, StructArray};
use arrow_schema::{ArrowError, DataType, Field};
use numpy::PyArray1;
use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyCapsule, PyList};
use pyo3_arrow::ffi::{ArrayIterator, to_schema_pycapsule, to_stream_pycapsule};
use turboboard_core::read::{self, Filter, Kind, Query};
use turboboard_core::storage::LogDir;

use crate::errors::IntoPyResult;

/// The rows of one kind read from a log directory.
#[pyclass(module = "turboboard._core", frozen)]
pub(crate) struct Table {
    table: read::Table,
}

/// Reads the `kind` values under `logdir`; returns the table and the warnings for what was
/// skipped.
#[pyfunction(name = "read")]
#[pyo3(signature = (logdir, kind, run_globs, run_regex, tag_globs, tag_regex, check_crc, skip_corrupt, purge, storage_options))]
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
) -> PyResult<(Table, Vec<String>)> {
    let query = Query {
        kind: Kind::parse(kind).py_err()?,
        runs: Filter::new("runs", run_globs.as_deref(), run_regex.as_deref()).py_err()?,
        tags: Filter::new("tags", tag_globs.as_deref(), tag_regex.as_deref()).py_err()?,
        check_crc,
        skip_corrupt,
        purge,
    };
    let logdir = LogDir::parse(logdir, &storage_options).py_err()?;
    let output =
        py.detach(|| read::read(&logdir, &query).and_then(|out| Ok((out.table.finish()?, out.warnings))));
    let (table, warnings) = output.py_err()?;
    Ok((Table { table }, warnings))
}

fn arrow_err(e: ArrowError) -> PyErr {
    pyo3::exceptions::PyValueError::new_err(e.to_string())
}

impl Table {
    /// Column `name` of every batch, in order.
    fn chunks(&self, name: &str) -> PyResult<(DataType, Vec<ArrayRef>)> {
        let schema = self.table.schema();
        let (index, field) = schema
            .column_with_name(name)
            .ok_or_else(|| PyKeyError::new_err(format!("no column {name:?}")))?;
        Ok((
            field.data_type().clone(),
            self.table.batches().iter().map(|b| b.column(index).clone()).collect(),
        ))
    }
}

#[pymethods]
impl Table {
    /// The kind of values: "scalars", "histograms", ...
    #[getter]
    fn kind(&self) -> &'static str {
        self.table.kind().name()
    }

    #[getter]
    fn num_rows(&self) -> usize {
        self.table.num_rows()
    }

    #[getter]
    fn column_names(&self) -> Vec<String> {
        self.table.schema().fields().iter().map(|f| f.name().clone()).collect()
    }

    /// `(name, Arrow type)` of each column, in order.
    #[getter]
    fn schema(&self) -> Vec<(String, String)> {
        self.table.schema().fields().iter().map(|f| (f.name().clone(), f.data_type().to_string())).collect()
    }

    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        Ok(to_schema_pycapsule(py, self.table.schema().as_ref())?)
    }

    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyCapsule>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let schema = self.table.schema();
        let field = Arc::new(Field::new_struct("", schema.fields().clone(), false));
        let batches: Vec<Result<ArrayRef, ArrowError>> = self
            .table
            .batches()
            .iter()
            .map(|batch: &RecordBatch| Ok(Arc::new(StructArray::from(batch.clone())) as ArrayRef))
            .collect();
        Ok(to_stream_pycapsule(py, Box::new(ArrayIterator::new(batches, field)), requested_schema)?)
    }

    /// Column `name` for numpy and pandas: a numpy array for numbers; `(codes, names)` for
    /// run and tag (int32 codes into the list of names); a list for strings, bytes, lists (as
    /// numpy arrays) and columns with missing values (None).
    fn column<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        let (dtype, chunks) = self.chunks(name)?;
        let nulls = chunks.iter().any(|c| c.null_count() > 0);
        Ok(match dtype {
            DataType::Dictionary(..) => {
                let mut codes = Vec::new();
                let mut names: Option<ArrayRef> = None;
                for chunk in &chunks {
                    let dictionary = chunk.as_dictionary::<Int32Type>();
                    codes.extend_from_slice(dictionary.keys().values());
                    names.get_or_insert_with(|| dictionary.values().clone());
                }
                let names: Vec<&str> =
                    names.as_ref().map_or_else(Vec::new, |n| n.as_string::<i32>().iter().flatten().collect());
                (PyArray1::from_vec(py, codes), names).into_pyobject(py)?.into_any()
            }
            DataType::Float64 if !nulls => numbers::<Float64Type>(py, &chunks).into_any(),
            DataType::Int64 if !nulls => numbers::<Int64Type>(py, &chunks).into_any(),
            DataType::Int32 if !nulls => numbers::<Int32Type>(py, &chunks).into_any(),
            _ => {
                let list = PyList::empty(py);
                for chunk in &chunks {
                    for i in 0..chunk.len() {
                        list.append(value(py, chunk, i)?)?;
                    }
                }
                list.into_any()
            }
        })
    }

    /// Writes the table to `path` as "parquet", "csv" or "jsonl".
    fn write(&self, py: Python<'_>, path: PathBuf, format: &str) -> PyResult<()> {
        py.detach(|| read::write_table(&self.table, &path, format)).py_err()
    }
}

fn numbers<'py, T: arrow_array::ArrowPrimitiveType>(
    py: Python<'py>,
    chunks: &[ArrayRef],
) -> Bound<'py, PyArray1<T::Native>>
where
    T::Native: numpy::Element,
{
    let mut values = Vec::with_capacity(chunks.iter().map(|c| c.len()).sum());
    for chunk in chunks {
        values.extend_from_slice(chunk.as_primitive::<T>().values());
    }
    PyArray1::from_vec(py, values)
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
