//! Summary builders: one function per kind of value, each returning the protobuf that
//! tensorboardX writes for it. They do no I/O; the writer frames and writes the events.
//! The plugins' tensors (PR curves, meshes, hparams, custom scalars, torch's `add_tensor`) are
//! built in the submodules of `summary/`, as are graphs.

mod custom_scalars;
pub mod graph;
mod hparams;
mod mesh;
pub mod pr_curve;
mod tensor;

pub use custom_scalars::{CUSTOM_SCALARS_TAG, custom_scalars, margin_chart, multiline_chart};
pub use hparams::{HParam, HParamValue, hparams};
pub use mesh::{ContentType, mesh};
pub use pr_curve::pr_curve;
pub use tensor::{Complex, TensorElement, complex_tensor, tensor};

use crate::encode::image::Image;
use crate::encode::wav::Wav;
use crate::error::{Error, Result};
use crate::histogram::Histogram;
use crate::proto::{self, DataType, Event, HistogramProto, SummaryMetadata, TensorProto, summary};

/// Wraps summary values in an event. `step: None` leaves the field unset (read back as 0).
pub fn event(values: Vec<summary::Value>, step: Option<i64>, wall_time: f64) -> Result<Event> {
    with_what(proto::event::What::Summary(proto::Summary { value: values }), step, wall_time)
}

/// An event of any kind; `wall_time` must be finite (readers drop files with a NaN one).
pub fn with_what(what: proto::event::What, step: Option<i64>, wall_time: f64) -> Result<Event> {
    if !wall_time.is_finite() {
        return Err(Error::invalid(
            "walltime",
            format!("expected a finite number of seconds, got {wall_time}"),
        ));
    }
    Ok(Event { wall_time, step: step.unwrap_or(0), what: Some(what), source_metadata: None })
}

/// tensorboardX's and torch's `purge_step` marker: a second file-version event and a session
/// start at `step`. TensorBoard then drops the points the run had logged at `step` or later.
pub fn purge(step: i64, wall_time: f64) -> Result<[Event; 2]> {
    use proto::event::What;
    let start =
        proto::SessionLog { status: proto::session_log::SessionStatus::Start.into(), ..Default::default() };
    Ok([
        with_what(What::FileVersion("brain.Event:2".into()), Some(step), wall_time)?,
        with_what(What::SessionLog(start), Some(step), wall_time)?,
    ])
}

/// Readers drop a whole file whose events hold a NaN wall time: refuse it (and infinities).
pub fn check_wall_time(wall_time: f64) -> Result<()> {
    if wall_time.is_finite() {
        Ok(())
    } else {
        Err(Error::invalid("walltime", format!("expected a finite number of seconds, got {wall_time}")))
    }
}

fn make_value(
    tag: &str,
    content: summary::value::Value,
    metadata: Option<SummaryMetadata>,
) -> summary::Value {
    summary::Value { tag: tag.to_owned(), metadata, value: Some(content), ..Default::default() }
}

fn plugin(name: &str, content: Vec<u8>) -> Option<SummaryMetadata> {
    Some(SummaryMetadata {
        plugin_data: Some(proto::summary_metadata::PluginData { plugin_name: name.into(), content }),
        ..Default::default()
    })
}

/// A tensor shape, always present (rank 0 included) as the anchors write it.
fn shape(dims: &[usize]) -> Option<proto::TensorShapeProto> {
    Some(proto::TensorShapeProto {
        dim: dims
            .iter()
            .map(|&size| proto::tensor_shape_proto::Dim { size: size as i64, name: String::new() })
            .collect(),
        unknown_rank: false,
    })
}

/// A scalar as `simple_value` (float32), tensorboardX's and torch's default. A display name or
/// description adds metadata without plugin data, as tensorboardX does.
pub fn scalar(tag: &str, value: f32, display_name: &str, description: &str) -> summary::Value {
    let metadata = (!display_name.is_empty() || !description.is_empty()).then(|| SummaryMetadata {
        display_name: display_name.into(),
        summary_description: description.into(),
        ..Default::default()
    });
    make_value(tag, summary::value::Value::SimpleValue(value), metadata)
}

/// torch's `new_style` scalar: a rank-0 tensor of the `scalars` plugin, float32 or float64.
pub fn scalar_tensor(tag: &str, value: f64, double_precision: bool) -> summary::Value {
    let tensor = if double_precision {
        TensorProto { dtype: DataType::DtDouble.into(), double_val: vec![value], ..Default::default() }
    } else {
        TensorProto { dtype: DataType::DtFloat.into(), float_val: vec![value as f32], ..Default::default() }
    };
    make_value(tag, summary::value::Value::Tensor(tensor), plugin("scalars", Vec::new()))
}

pub fn histogram(tag: &str, h: Histogram) -> summary::Value {
    make_value(
        tag,
        summary::value::Value::Histo(HistogramProto {
            min: h.min,
            max: h.max,
            num: h.num,
            sum: h.sum,
            sum_squares: h.sum_squares,
            bucket_limit: h.bucket_limit,
            bucket: h.bucket,
        }),
        None,
    )
}

/// An encoded image (PNG, or GIF for video) of `image`'s size and channels.
pub fn image(tag: &str, image: &Image, encoded: Vec<u8>) -> summary::Value {
    encoded_image(tag, image.height, image.width, image.channels, encoded)
}

/// An encoded picture with the size and colorspace `Summary.Image` records (for a video, the
/// tiled frame's size and the input's channels).
pub fn encoded_image(tag: &str, height: u32, width: u32, colorspace: u8, encoded: Vec<u8>) -> summary::Value {
    make_value(
        tag,
        summary::value::Value::Image(summary::Image {
            height: height as i32,
            width: width as i32,
            colorspace: i32::from(colorspace),
            encoded_image_string: encoded,
        }),
        None,
    )
}

/// A WAV clip, as tensorboardX 2.6.5 writes it (no plugin metadata).
pub fn audio(tag: &str, wav: Wav) -> summary::Value {
    make_value(
        tag,
        summary::value::Value::Audio(summary::Audio {
            sample_rate: wav.sample_rate as f32,
            num_channels: i64::from(wav.channels),
            length_frames: wav.frames as i64,
            encoded_audio_string: wav.bytes,
            content_type: "audio/wav".into(),
        }),
        None,
    )
}

/// Text for the text plugin, under the tag `<tag>/text_summary` as both anchors write it.
pub fn text(tag: &str, text: &str) -> summary::Value {
    let tensor = TensorProto {
        dtype: DataType::DtString.into(),
        tensor_shape: Some(proto::TensorShapeProto {
            dim: vec![proto::tensor_shape_proto::Dim { size: 1, name: String::new() }],
            unknown_rank: false,
        }),
        string_val: vec![text.as_bytes().to_vec()],
        ..Default::default()
    };
    // TextPluginData { version: 0 } serializes to no bytes.
    make_value(
        &format!("{tag}/text_summary"),
        summary::value::Value::Tensor(tensor),
        plugin("text", Vec::new()),
    )
}
