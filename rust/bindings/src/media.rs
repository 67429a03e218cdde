//! Audio, video and images with boxes: WAV, GIF and PNG encoded in the core, with the GIL
//! released for large inputs.

use numpy::{PyArray2, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use turboboard_core::encode::{draw, gif, image, png, resample, wav};
use turboboard_core::summary;

use crate::errors::IntoPyResult;
use crate::interop::with_typed_array;
use crate::interop::{WallTime, maybe_detached, readonly};
use crate::writer::{EventFileWriter, finite_wall_time, wall_time};

#[pymethods]
impl EventFileWriter {
    /// A clip of `(L,)` or `(L, C)` samples in [-1, 1] as a 16-bit PCM WAV.
    #[pyo3(signature = (tag, snd_tensor, global_step = None, sample_rate = 44100, walltime = None))]
    fn add_audio(
        &self,
        py: Python<'_>,
        tag: PyBackedStr,
        snd_tensor: &Bound<'_, PyUntypedArray>,
        global_step: Option<i64>,
        sample_rate: u32,
        walltime: Option<WallTime>,
    ) -> PyResult<()> {
        let size = snd_tensor.len();
        let wav = with_typed_array!(snd_tensor, "snd_tensor", |array| {
            let view = array.as_array();
            maybe_detached(py, size, || wav::encode_wav(view, sample_rate)).py_err()
        })?;
        let value = summary::audio(&tag, wav);
        self.write(py, summary::event(vec![value], global_step, wall_time(walltime)))
    }

    /// A 5-D video tensor, its batch tiled into each frame, as an animated GIF.
    #[pyo3(signature = (tag, vid_tensor, global_step = None, fps = 4.0, walltime = None, dataformats = None))]
    fn add_video(
        &self,
        py: Python<'_>,
        tag: PyBackedStr,
        vid_tensor: &Bound<'_, PyUntypedArray>,
        global_step: Option<i64>,
        fps: f64,
        walltime: Option<WallTime>,
        dataformats: Option<PyBackedStr>,
    ) -> PyResult<()> {
        let dataformats = dataformats.as_deref().unwrap_or("NTCHW");
        gif::frame_delay(fps).py_err()?;
        let wall_time = finite_wall_time(walltime)?;
        let size = vid_tensor.len();
        let video = with_typed_array!(vid_tensor, "vid_tensor", |array| {
            let view = array.as_array();
            maybe_detached(py, size, || gif::from_array(view, dataformats)).py_err()
        })?;
        let tag = tag.to_string();
        self.write_later(py, video.frames.iter().map(Vec::len).sum(), move || {
            let encoded = gif::encode_gif(&video, fps)?;
            let value = summary::encoded_image(&tag, video.height, video.width, video.channels, encoded);
            summary::event(vec![value], global_step, wall_time)
        })
    }

    /// An image with red boxes (`box_tensor`, N x 4 `[xmin, ymin, xmax, ymax]` in pixels) and
    /// optional labels, resized by `rescale`, as a PNG. The recorded size is the one before
    /// `rescale`, as tensorboardX records it.
    #[pyo3(signature = (tag, img_tensor, box_tensor, global_step = None, walltime = None, dataformats = None, labels = None, rescale = 1.0, image_compression = "size"))]
    fn add_image_with_boxes(
        &self,
        py: Python<'_>,
        tag: PyBackedStr,
        img_tensor: &Bound<'_, PyUntypedArray>,
        box_tensor: &Bound<'_, PyArray2<f64>>,
        global_step: Option<i64>,
        walltime: Option<WallTime>,
        dataformats: Option<PyBackedStr>,
        labels: Option<Vec<String>>,
        rescale: f64,
        image_compression: &str,
    ) -> PyResult<()> {
        let dataformats = dataformats.as_deref().unwrap_or("CHW");
        let compression = png::Compression::from_name(image_compression).py_err()?;
        let boxes = readonly(box_tensor, "box_tensor")?;
        let boxes = boxes.as_array();
        if boxes.ncols() != 4 {
            return Err(PyValueError::new_err(format!(
                "box_tensor: expected N x 4 boxes [xmin, ymin, xmax, ymax], got shape {:?}",
                boxes.shape()
            )));
        }
        let boxes: Vec<draw::BoxCorners> =
            boxes.rows().into_iter().map(|b| [b[0], b[1], b[2], b[3]]).collect();
        let wall_time = finite_wall_time(walltime)?;
        let size = img_tensor.len();
        let (image, scaled) = with_typed_array!(img_tensor, "img_tensor", |array| {
            let view = array.as_array();
            maybe_detached(py, size, || {
                let image = image::from_array(view, dataformats)?;
                let scaled = resample::scaled_size(image.width, image.height, rescale)?;
                Ok((image, scaled))
            })
            .py_err()
        })?;
        let tag = tag.to_string();
        self.write_later(py, image.pixels.len(), move || {
            let mut image = image;
            draw::draw_boxes(&mut image, &boxes, labels.as_deref());
            let png =
                png::encode_png_with(&resample::resize_lanczos(&image, scaled.0, scaled.1)?, compression)?;
            let event = summary::event(vec![summary::image(&tag, &image, png)], global_step, wall_time);
            image.recycle();
            event
        })
    }
}
