//! `EventFileWriter`: one event file and its writer thread, with one method per summary kind.
//!
//! Small calls (a scalar, a text) stay attached to the interpreter: releasing the GIL would cost
//! more than the work. Large arrays are binned and encoded with the GIL released, and every
//! wait (a full queue, a flush, a close) releases it in slices so Ctrl-C still gets through.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use numpy::{PyArray1, PyUntypedArray, PyUntypedArrayMethods};
use prost::Message;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyDict, PyFloat, PyString};
use turboboard_core::histogram::{self, Bins};
use turboboard_core::proto::Event;
use turboboard_core::storage::LogDir;
use turboboard_core::writer::{self, Backpressure, EventWriter, Options};

use crate::sink::Sink;
use turboboard_core::Error;
use turboboard_core::encode::{image, png};
use turboboard_core::record::scalar as scalar_record;
use turboboard_core::summary;

use crate::errors::IntoPyResult;
use crate::interop::{WAIT_SLICE, WallTime, contiguous, maybe_detached, readonly, wait, with_typed_array};

/// Writes events to a new event file in `logdir`, on a background thread. Methods for each kind
/// of summary live in `#[pymethods]` blocks beside the code that builds it.
#[pyclass(frozen, module = "turboboard._core")]
pub struct EventFileWriter {
    inner: Sink,
}

#[pymethods]
impl EventFileWriter {
    #[new]
    #[pyo3(
        signature = (logdir, max_queue = 10, flush_secs = 120.0, filename_suffix = String::new(), max_queue_bytes = 64 << 20, storage_options = None),
        text_signature = "(logdir, max_queue=10, flush_secs=120.0, filename_suffix='', max_queue_bytes=67108864, storage_options=None)"
    )]
    fn new(
        py: Python<'_>,
        logdir: &str,
        max_queue: usize,
        flush_secs: f64,
        filename_suffix: String,
        max_queue_bytes: usize,
        storage_options: Option<Vec<(String, String)>>,
    ) -> PyResult<Self> {
        let logdir = LogDir::parse(logdir, storage_options.as_deref().unwrap_or_default()).py_err()?;
        let options = Options { max_queue, max_queue_bytes, flush_secs, filename_suffix };
        let writer = py.detach(|| EventWriter::open(logdir, options)).py_err()?;
        Ok(EventFileWriter { inner: Sink::File(writer) })
    }

    /// A writer that keeps its events in memory, for [`Self::take_events`], instead of writing
    /// a file.
    #[staticmethod]
    fn in_memory() -> Self {
        EventFileWriter { inner: Sink::Memory(Default::default()) }
    }

    /// The serialized events an in-memory writer holds, which it then forgets.
    fn take_events(&self) -> Vec<Vec<u8>> {
        self.inner.take_events()
    }

    /// The log directory, as a path or a URL.
    #[getter]
    fn logdir(&self) -> String {
        self.inner.logdir()
    }

    /// The file being written (a new one after a fork).
    #[getter]
    fn path(&self) -> PyResult<PathBuf> {
        self.inner.path().py_err()
    }

    #[pyo3(signature = (tag, scalar_value, global_step = None, walltime = None, display_name = None, summary_description = None))]
    fn add_scalar(
        &self,
        py: Python<'_>,
        tag: PyBackedStr,
        scalar_value: f64,
        global_step: Option<i64>,
        walltime: Option<WallTime>,
        display_name: Option<PyBackedStr>,
        summary_description: Option<PyBackedStr>,
    ) -> PyResult<()> {
        let display_name = display_name.as_deref().unwrap_or("");
        let description = summary_description.as_deref().unwrap_or("");
        if display_name.is_empty() && description.is_empty() {
            let wall_time = finite_wall_time(walltime)?;
            let step = global_step.unwrap_or(0);
            let written = self.inner.write_with(|out| {
                scalar_record::encode_into(out, &tag, scalar_value as f32, step, wall_time)
            });
            return self.after_write(py, written);
        }
        let value = summary::scalar(&tag, scalar_value as f32, display_name, description);
        self.write(py, summary::event(vec![value], global_step, wall_time(walltime)))
    }

    /// `add_scalar(tag, value, global_step, walltime)` for each pair, in order, in one call and
    /// one queue round trip.
    #[pyo3(signature = (tags, values, global_step = None, walltime = None))]
    fn add_scalar_dict(
        &self,
        py: Python<'_>,
        tags: Vec<PyBackedStr>,
        values: Vec<f64>,
        global_step: Option<i64>,
        walltime: Option<WallTime>,
    ) -> PyResult<()> {
        if tags.len() != values.len() {
            return Err(PyValueError::new_err(format!(
                "values: expected one value per tag ({}), got {}",
                tags.len(),
                values.len()
            )));
        }
        self.write_scalars(py, tags.iter().map(|tag| &**tag).zip(values), global_step, walltime)
    }

    /// `add_scalar_dict` of a dict of `str` to `float` only, checked in Rust (a Python loop over
    /// the items cost a fifth of the call); writes nothing and returns `False` for any other
    /// dict, which the caller then converts item by item.
    #[pyo3(signature = (tag_scalar_dict, global_step = None, walltime = None))]
    fn add_float_dict(
        &self,
        py: Python<'_>,
        tag_scalar_dict: &Bound<'_, PyDict>,
        global_step: Option<i64>,
        walltime: Option<WallTime>,
    ) -> PyResult<bool> {
        let mut items = Vec::with_capacity(tag_scalar_dict.len());
        for (tag, value) in tag_scalar_dict.iter() {
            let (Ok(tag), Ok(value)) = (tag.cast_into_exact::<PyString>(), value.cast_exact::<PyFloat>())
            else {
                return Ok(false);
            };
            // A tag that is no UTF-8 (a lone surrogate) is left to the caller's error message.
            let Ok(tag) = PyBackedStr::try_from(tag) else { return Ok(false) };
            items.push((tag, value.value()));
        }
        self.write_scalars(py, items.iter().map(|(tag, value)| (&**tag, *value)), global_step, walltime)?;
        Ok(true)
    }

    /// torch's `new_style` scalar: a tensor of the scalars plugin.
    #[pyo3(signature = (tag, scalar_value, global_step = None, walltime = None, double_precision = false))]
    fn add_scalar_tensor(
        &self,
        py: Python<'_>,
        tag: PyBackedStr,
        scalar_value: f64,
        global_step: Option<i64>,
        walltime: Option<WallTime>,
        double_precision: bool,
    ) -> PyResult<()> {
        let value = summary::scalar_tensor(&tag, scalar_value, double_precision);
        self.write(py, summary::event(vec![value], global_step, wall_time(walltime)))
    }

    /// Bins `values` into the default TensorFlow buckets, or into `bins` (explicit edges).
    #[pyo3(signature = (tag, values, global_step = None, walltime = None, bins = None, max_bins = None))]
    fn add_histogram(
        &self,
        py: Python<'_>,
        tag: PyBackedStr,
        values: &Bound<'_, PyUntypedArray>,
        global_step: Option<i64>,
        walltime: Option<WallTime>,
        bins: Option<&Bound<'_, PyArray1<f64>>>,
        max_bins: Option<usize>,
    ) -> PyResult<()> {
        let bins = bins.map(|b| readonly(b, "bins")).transpose()?;
        let edges = match &bins {
            Some(edges) => Some(
                edges.as_slice().map_err(|_| PyValueError::new_err("bins: expected a contiguous array"))?,
            ),
            None => None,
        };
        let bins = edges.map_or(Bins::TensorFlow, Bins::Edges);
        let histogram = with_typed_array!(values, "values", |array| {
            let values = contiguous(&array);
            maybe_detached(py, values.len(), || histogram::histogram(&values, bins, max_bins)).py_err()
        })?;
        let value = summary::histogram(&tag, histogram);
        self.write(py, summary::event(vec![value], global_step, wall_time(walltime)))
    }

    /// A histogram from precomputed buckets, written as given.
    #[pyo3(signature = (tag, min, max, num, sum, sum_squares, bucket_limits, bucket_counts, global_step = None, walltime = None))]
    fn add_histogram_raw(
        &self,
        py: Python<'_>,
        tag: PyBackedStr,
        min: f64,
        max: f64,
        num: f64,
        sum: f64,
        sum_squares: f64,
        bucket_limits: Vec<f64>,
        bucket_counts: Vec<f64>,
        global_step: Option<i64>,
        walltime: Option<WallTime>,
    ) -> PyResult<()> {
        if bucket_limits.len() != bucket_counts.len() {
            return Err(PyValueError::new_err(format!(
                "bucket_limits and bucket_counts: expected the same length, got {} and {}",
                bucket_limits.len(),
                bucket_counts.len()
            )));
        }
        let histogram = histogram::Histogram {
            min,
            max,
            num,
            sum,
            sum_squares,
            bucket_limit: bucket_limits,
            bucket: bucket_counts,
        };
        let value = summary::histogram(&tag, histogram);
        self.write(py, summary::event(vec![value], global_step, wall_time(walltime)))
    }

    /// An image (or, with a batch dimension, a grid of images) encoded as PNG. The arguments are
    /// checked and the pixels converted here; the PNG is encoded on the writer thread.
    #[pyo3(signature = (tag, img_tensor, global_step = None, walltime = None, dataformats = None, image_compression = "size"))]
    fn add_image(
        &self,
        py: Python<'_>,
        tag: PyBackedStr,
        img_tensor: &Bound<'_, PyUntypedArray>,
        global_step: Option<i64>,
        walltime: Option<WallTime>,
        dataformats: Option<PyBackedStr>,
        image_compression: &str,
    ) -> PyResult<()> {
        let dataformats = dataformats.as_deref().unwrap_or("CHW");
        let compression = png::Compression::from_name(image_compression).py_err()?;
        let wall_time = finite_wall_time(walltime)?;
        let size = img_tensor.len();
        let image = with_typed_array!(img_tensor, "img_tensor", |array| {
            let view = array.as_array();
            maybe_detached(py, size, || image::from_array(view, dataformats)).py_err()
        })?;
        let tag = tag.to_string();
        self.write_later(py, image.pixels.len(), move || {
            let png = png::encode_png_with(&image, compression)?;
            let event = summary::event(vec![summary::image(&tag, &image, png)], global_step, wall_time);
            image.recycle();
            event
        })
    }

    #[pyo3(signature = (tag, text_string, global_step = None, walltime = None))]
    fn add_text(
        &self,
        py: Python<'_>,
        tag: PyBackedStr,
        text_string: PyBackedStr,
        global_step: Option<i64>,
        walltime: Option<WallTime>,
    ) -> PyResult<()> {
        let value = summary::text(&tag, &text_string);
        self.write(py, summary::event(vec![value], global_step, wall_time(walltime)))
    }

    /// Writes a serialized `Event`, with its wall time set to `walltime` (default: now) and its
    /// step to `global_step` when given, as tensorboardX's `FileWriter.add_event` does.
    #[pyo3(signature = (event, global_step = None, walltime = None))]
    fn add_event(
        &self,
        py: Python<'_>,
        event: &[u8],
        global_step: Option<i64>,
        walltime: Option<WallTime>,
    ) -> PyResult<()> {
        let event = Event::decode(event)
            .map_err(|e| PyValueError::new_err(format!("event: expected a serialized Event: {e}")))?;
        let step = global_step.or(Some(event.step));
        self.write(
            py,
            event
                .what
                .map_or(Err(missing("event")), |what| summary::with_what(what, step, wall_time(walltime))),
        )
    }

    /// Writes a serialized `Summary` in a new event.
    #[pyo3(signature = (summary, global_step = None, walltime = None))]
    fn add_summary(
        &self,
        py: Python<'_>,
        summary: &[u8],
        global_step: Option<i64>,
        walltime: Option<WallTime>,
    ) -> PyResult<()> {
        let summary = turboboard_core::proto::Summary::decode(summary)
            .map_err(|e| PyValueError::new_err(format!("summary: expected a serialized Summary: {e}")))?;
        self.write(py, summary::event(summary.value, global_step, wall_time(walltime)))
    }

    /// The `purge_step` marker: TensorBoard drops what the run logged at `step` or later.
    #[pyo3(signature = (step, walltime = None))]
    fn add_purge_marker(&self, py: Python<'_>, step: i64, walltime: Option<WallTime>) -> PyResult<()> {
        for event in summary::purge(step, wall_time(walltime)).py_err()? {
            self.write(py, Ok(event))?;
        }
        Ok(())
    }

    /// Returns once every event added before the call is written to the operating system.
    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        let ticket = self.inner.request_flush(false).py_err()?;
        match self.inner.waiter().py_err()? {
            Some(waiter) => wait(py, None, || waiter.wait_flushed(ticket, WAIT_SLICE)),
            None => Ok(()),
        }
    }

    /// Writes and syncs everything, then closes the file. Idempotent; with `timeout` (seconds),
    /// gives up on stuck storage with `TimeoutError` instead of waiting for ever. Waits in
    /// slices, so Ctrl-C interrupts it; a close that was interrupted or timed out is not done,
    /// and a later `close()` waits again.
    #[pyo3(signature = (timeout = None))]
    fn close(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<()> {
        // A timeout too long for an Instant is no deadline; a negative or NaN one is 0.
        let deadline =
            timeout.and_then(|t| Instant::now().checked_add(Duration::try_from_secs_f64(t.max(0.0)).ok()?));
        let slice =
            || deadline.map_or(WAIT_SLICE, |d| d.saturating_duration_since(Instant::now()).min(WAIT_SLICE));
        // Drain first; errors and an already closed writer are left to close() to report.
        if let Ok(Some((ticket, waiter))) = self.inner.request_drain() {
            while let Ok(false) = py.detach(|| waiter.wait_flushed(ticket, slice())) {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    break;
                }
                py.check_signals()?;
            }
        }
        loop {
            match py.detach(|| self.inner.close(slice())) {
                Err(Error::Timeout(_)) if deadline.is_none_or(|d| Instant::now() < d) => {
                    py.check_signals()?
                }
                result => return result.py_err(),
            }
        }
    }
}

impl EventFileWriter {
    pub(crate) fn write(&self, py: Python<'_>, event: turboboard_core::Result<Event>) -> PyResult<()> {
        let event = event.py_err()?;
        let written = self.inner.write_event(&event);
        self.after_write(py, written)
    }

    /// Queues one scalar record per (tag, value), at one step and wall time.
    fn write_scalars<'a>(
        &self,
        py: Python<'_>,
        items: impl Iterator<Item = (&'a str, f64)>,
        global_step: Option<i64>,
        walltime: Option<WallTime>,
    ) -> PyResult<()> {
        let wall_time = finite_wall_time(walltime)?;
        let step = global_step.unwrap_or(0);
        let written = self.inner.write_each(items, |out, (tag, value)| {
            scalar_record::encode_into(out, tag, value as f32, step, wall_time)
        });
        self.after_write(py, written)
    }

    /// Queues the event `build` makes on the writer thread (where media are encoded, see
    /// ARCHITECTURE.md), in its place among the others; `bytes` is what its inputs hold.
    pub(crate) fn write_later(
        &self,
        py: Python<'_>,
        bytes: usize,
        build: impl FnOnce() -> turboboard_core::Result<Event> + Send + 'static,
    ) -> PyResult<()> {
        let job = Box::new(move |out: &mut Vec<u8>| {
            let event = build()?;
            out.reserve(event.encoded_len());
            event.encode_raw(out);
            Ok(())
        });
        let written = self.inner.write_job(bytes, job);
        self.after_write(py, written)
    }

    /// Waits (without the GIL) if the write left the queue over its bound.
    pub(crate) fn after_write(
        &self,
        py: Python<'_>,
        written: turboboard_core::Result<Backpressure>,
    ) -> PyResult<()> {
        if written.py_err()? == Backpressure::Wait {
            if let Some(waiter) = self.inner.waiter().py_err()? {
                wait(py, None, || waiter.wait_for_space(WAIT_SLICE))?;
            }
        }
        Ok(())
    }
}

fn missing(arg: &'static str) -> turboboard_core::Error {
    turboboard_core::Error::invalid(arg, "the event holds no data")
}

pub(crate) fn wall_time(walltime: Option<WallTime>) -> f64 {
    walltime.map_or_else(writer::now, |w| w.0)
}

pub(crate) fn finite_wall_time(walltime: Option<WallTime>) -> PyResult<f64> {
    let wall_time = wall_time(walltime);
    summary::check_wall_time(wall_time).py_err()?;
    Ok(wall_time)
}

/// TensorFlow's default histogram bucket edges, as tensorboardX's `default_bins`.
#[pyfunction]
pub fn default_bucket_limits() -> Vec<f64> {
    histogram::tensorflow_edges().to_vec()
}
