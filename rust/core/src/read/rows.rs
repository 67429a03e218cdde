//! The rows one event file yields for one kind of value, before they become Arrow columns.

use prost::Message;
use prost_types::value::Kind as JsonKind;

use super::Kind;
use super::wire::{DecodeError, Payload};
use crate::proto::hparams::{HParamsPluginData, h_params_plugin_data};
use crate::proto::{DataType, HistogramProto, TensorProto, summary};

/// The values of one kind, one per row.
pub(super) enum Values {
    Scalars(Vec<f64>),
    Histograms(Vec<HistogramProto>),
    Images(Vec<summary::Image>),
    Audio(Vec<summary::Audio>),
    Text(Vec<String>),
    Tensors(Vec<TensorProto>),
    Hparams(Vec<Hparam>),
}

/// A hyperparameter's value: a number, a string or a bool.
pub(super) enum Hparam {
    Number(f64),
    String(String),
    Bool(bool),
}

/// `$body` on the vector of values, `$v`, whatever their kind; or on two vectors of one kind.
macro_rules! match_values {
    ($values:expr, $v:ident => $body:expr) => {
        match $values {
            Values::Scalars($v) => $body,
            Values::Histograms($v) => $body,
            Values::Images($v) => $body,
            Values::Audio($v) => $body,
            Values::Text($v) => $body,
            Values::Tensors($v) => $body,
            Values::Hparams($v) => $body,
        }
    };
    (($a:expr, $b:expr), ($x:ident, $y:ident) => $body:expr) => {
        match ($a, $b) {
            (Values::Scalars($x), Values::Scalars($y)) => $body,
            (Values::Histograms($x), Values::Histograms($y)) => $body,
            (Values::Images($x), Values::Images($y)) => $body,
            (Values::Audio($x), Values::Audio($y)) => $body,
            (Values::Text($x), Values::Text($y)) => $body,
            (Values::Tensors($x), Values::Tensors($y)) => $body,
            (Values::Hparams($x), Values::Hparams($y)) => $body,
            _ => unreachable!("rows of one read are of one kind"),
        }
    };
}

/// Rows of one kind: of one chunk of a file (`tag` holding the file's own tag ids), or of the
/// whole read (ids into the read's tags).
pub(super) struct Rows {
    kind: Kind,
    pub tag: Vec<u32>,
    pub step: Vec<i64>,
    pub wall_time: Vec<f64>,
    pub values: Values,
    /// Rows that belong to the kind only if their tag's plugin is the kind's (a tensor is a
    /// scalar or a text through its tag's plugin, which the tag's first metadata names, maybe
    /// in an earlier file of the run). None while no row needs it.
    pub needs_plugin: Option<Vec<bool>>,
}

impl Rows {
    pub fn new(kind: Kind) -> Rows {
        let values = match kind {
            Kind::Scalars => Values::Scalars(Vec::new()),
            Kind::Histograms => Values::Histograms(Vec::new()),
            Kind::Images => Values::Images(Vec::new()),
            Kind::Audio => Values::Audio(Vec::new()),
            Kind::Text => Values::Text(Vec::new()),
            Kind::Tensors => Values::Tensors(Vec::new()),
            Kind::Hparams => Values::Hparams(Vec::new()),
        };
        Rows { kind, tag: Vec::new(), step: Vec::new(), wall_time: Vec::new(), values, needs_plugin: None }
    }

    pub fn len(&self) -> usize {
        self.step.len()
    }

    /// Room for about `rows` more rows (scalars, where a file holds millions).
    pub fn reserve(&mut self, rows: usize) {
        self.tag.reserve(rows);
        self.step.reserve(rows);
        self.wall_time.reserve(rows);
        if let Values::Scalars(values) = &mut self.values {
            values.reserve(rows);
        }
    }

    /// Adds the rows `payload` holds for this kind under `tag`; a value of another kind adds
    /// nothing. `plugin` is the tag's plugin as far as this file knows (None: not named yet).
    pub fn push(
        &mut self,
        tag: u32,
        step: i64,
        wall_time: f64,
        payload: Payload<'_>,
        plugin: Option<&[u8]>,
    ) -> Result<(), DecodeError> {
        let kind_plugin = self.plugin();
        // A tensor counts when its tag's plugin is the kind's; if this file has not named the
        // plugin, the run's earlier files decide at the merge.
        let needs = match (payload, kind_plugin) {
            (Payload::Tensor(_), Some(wanted)) => match plugin {
                Some(plugin) if plugin == wanted.as_bytes() => false,
                Some(_) => return Ok(()),
                None => true,
            },
            _ => false,
        };
        let before = self.len();
        match (&mut self.values, payload) {
            (Values::Scalars(values), Payload::Simple(value)) => values.push(f64::from(value)),
            (Values::Scalars(values), Payload::Tensor(bytes)) => {
                match numbers_of(&TensorProto::decode(bytes)?).as_deref() {
                    Some(&[value]) => values.push(value),
                    _ => return Ok(()),
                }
            }
            (Values::Histograms(values), Payload::Histogram(bytes)) => {
                values.push(HistogramProto::decode(bytes)?)
            }
            (Values::Histograms(values), Payload::Tensor(bytes)) => {
                let Some(histogram) = histogram_of(&TensorProto::decode(bytes)?) else { return Ok(()) };
                values.push(histogram);
            }
            (Values::Images(values), Payload::Image(bytes)) => values.push(summary::Image::decode(bytes)?),
            (Values::Images(values), Payload::Tensor(bytes)) => {
                values.extend(images_of(TensorProto::decode(bytes)?))
            }
            (Values::Audio(values), Payload::Audio(bytes)) => values.push(summary::Audio::decode(bytes)?),
            (Values::Audio(values), Payload::Tensor(bytes)) => {
                values.extend(audio_of(TensorProto::decode(bytes)?))
            }
            (Values::Text(values), Payload::Tensor(bytes)) => {
                let tensor = TensorProto::decode(bytes)?;
                if tensor.dtype != DataType::DtString as i32 {
                    return Ok(());
                }
                let strings: Vec<_> = tensor.string_val.iter().map(|s| String::from_utf8_lossy(s)).collect();
                values.push(strings.join("\n"));
            }
            (Values::Tensors(values), Payload::Tensor(bytes)) => values.push(TensorProto::decode(bytes)?),
            _ => return Ok(()),
        }
        // One value may hold several rows (a TensorFlow image summary holds up to max_outputs).
        let added = self.values_len() - before;
        self.tag.extend(std::iter::repeat_n(tag, added));
        self.step.extend(std::iter::repeat_n(step, added));
        self.wall_time.extend(std::iter::repeat_n(wall_time, added));
        if needs && self.needs_plugin.is_none() {
            self.needs_plugin = Some(vec![false; before]);
        }
        if let Some(needs_plugin) = &mut self.needs_plugin {
            needs_plugin.extend(std::iter::repeat_n(needs, added));
        }
        Ok(())
    }

    fn values_len(&self) -> usize {
        match_values!(&self.values, v => v.len())
    }

    /// Adds one hyperparameter (`tag` names it) of a session start.
    pub fn push_hparam(&mut self, tag: u32, step: i64, wall_time: f64, value: Hparam) {
        if let Values::Hparams(values) = &mut self.values {
            values.push(value);
            self.tag.push(tag);
            self.step.push(step);
            self.wall_time.push(wall_time);
        }
    }

    /// The plugin a tensor's tag must have to be a value of this kind.
    pub fn plugin(&self) -> Option<&'static str> {
        match self.values {
            Values::Scalars(_) => Some("scalars"),
            Values::Histograms(_) => Some("histograms"),
            Values::Images(_) => Some("images"),
            Values::Audio(_) => Some("audio"),
            Values::Text(_) => Some("text"),
            Values::Hparams(_) => Some("hparams"),
            Values::Tensors(_) => None,
        }
    }

    /// Of the rows from `start` on, keeps those where `keep` is true.
    pub fn retain(&mut self, start: usize, keep: &[bool]) {
        retain(&mut self.tag, start, keep);
        retain(&mut self.step, start, keep);
        retain(&mut self.wall_time, start, keep);
        if let Some(needs_plugin) = &mut self.needs_plugin {
            retain(needs_plugin, start, keep);
        }
        match_values!(&mut self.values, v => retain(v, start, keep));
    }

    /// Moves the rows of `other` (of the same kind) to the end of these.
    pub fn append(&mut self, other: &mut Rows) {
        self.tag.append(&mut other.tag);
        self.step.append(&mut other.step);
        self.wall_time.append(&mut other.wall_time);
        match_values!((&mut self.values, &mut other.values), (a, b) => a.append(b));
    }

    /// The rows from `at` on, taken off these (`needs_plugin` must be settled: None).
    pub fn split_off(&mut self, at: usize) -> Rows {
        let mut tail = Rows::new(self.kind);
        tail.tag = self.tag.split_off(at);
        tail.step = self.step.split_off(at);
        tail.wall_time = self.wall_time.split_off(at);
        match_values!((&mut self.values, &mut tail.values), (a, b) => *b = a.split_off(at));
        tail
    }
}

/// Of `values` from `start` on, keeps those where `keep` (one flag each) is true, in order.
pub(super) fn retain<T>(values: &mut Vec<T>, start: usize, keep: &[bool]) {
    let mut kept = start;
    for (i, &keep) in keep.iter().enumerate() {
        if keep {
            values.swap(kept, start + i);
            kept += 1;
        }
    }
    values.truncate(kept);
}

/// The hyperparameters of a session start, by name, if `metadata` (an encoded
/// `SummaryMetadata`) holds one: what `add_hparams` writes.
pub(super) fn hparams_of(metadata: &[u8]) -> Result<Vec<(String, Hparam)>, DecodeError> {
    let metadata = crate::proto::SummaryMetadata::decode(metadata)?;
    let Some(plugin) = metadata.plugin_data.filter(|p| p.plugin_name == "hparams") else {
        return Ok(Vec::new());
    };
    let Some(h_params_plugin_data::Data::SessionStartInfo(start)) =
        HParamsPluginData::decode(&plugin.content[..])?.data
    else {
        return Ok(Vec::new());
    };
    let mut hparams: Vec<_> = start
        .hparams
        .into_iter()
        .filter_map(|(name, value)| {
            let value = match value.kind? {
                JsonKind::NumberValue(number) => Hparam::Number(number),
                JsonKind::StringValue(string) => Hparam::String(string),
                JsonKind::BoolValue(b) => Hparam::Bool(b),
                _ => return None,
            };
            Some((name, value))
        })
        .collect();
    hparams.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(hparams)
}

/// The elements of a numeric tensor as f64, in row-major order (TensorFlow's rule: typed
/// fields holding fewer values than the shape repeat the last one).
pub(super) fn numbers_of(tensor: &TensorProto) -> Option<Vec<f64>> {
    let elements: i64 =
        tensor.tensor_shape.as_ref().map_or(1, |shape| shape.dim.iter().map(|d| d.size).product());
    let elements = usize::try_from(elements).ok()?;
    let dtype = DataType::try_from(tensor.dtype).ok()?;
    let content = &tensor.tensor_content;
    if !content.is_empty() {
        fn read<const N: usize>(content: &[u8], f: impl Fn([u8; N]) -> f64) -> Vec<f64> {
            content.chunks_exact(N).map(|c| f(c.try_into().expect("N bytes"))).collect()
        }
        let values = match dtype {
            DataType::DtFloat => read(content, |b| f64::from(f32::from_le_bytes(b))),
            DataType::DtDouble => read(content, f64::from_le_bytes),
            DataType::DtInt32 => read(content, |b| f64::from(i32::from_le_bytes(b))),
            DataType::DtInt64 => read(content, |b| i64::from_le_bytes(b) as f64),
            DataType::DtHalf => read(content, |b| f64::from(half::f16::from_le_bytes(b))),
            _ => return None,
        };
        return (values.len() == elements).then_some(values);
    }
    let values: Vec<f64> = match dtype {
        DataType::DtFloat => tensor.float_val.iter().map(|&v| f64::from(v)).collect(),
        DataType::DtDouble => tensor.double_val.clone(),
        DataType::DtInt32 | DataType::DtInt16 | DataType::DtInt8 | DataType::DtUint8 | DataType::DtUint16 => {
            tensor.int_val.iter().map(|&v| f64::from(v)).collect()
        }
        DataType::DtInt64 => tensor.int64_val.iter().map(|&v| v as f64).collect(),
        DataType::DtHalf => {
            tensor.half_val.iter().map(|&v| f64::from(half::f16::from_bits(v as u16))).collect()
        }
        DataType::DtBool => tensor.bool_val.iter().map(|&v| f64::from(u8::from(v))).collect(),
        _ => return None,
    };
    let last = *values.last()?;
    Some((0..elements).map(|i| values.get(i).copied().unwrap_or(last)).collect())
}

/// A histogram of TensorFlow's histogram plugin: a `[k, 3]` tensor of (left edge, right edge,
/// count) per bucket. It keeps no sum, so `sum` and `sum_squares` are NaN.
fn histogram_of(tensor: &TensorProto) -> Option<HistogramProto> {
    let numbers = numbers_of(tensor)?;
    if numbers.len() % 3 != 0 {
        return None;
    }
    let buckets: Vec<&[f64]> = numbers.chunks_exact(3).collect();
    Some(HistogramProto {
        min: buckets.first().map_or(0.0, |b| b[0]),
        max: buckets.last().map_or(0.0, |b| b[1]),
        num: buckets.iter().map(|b| b[2]).sum(),
        sum: f64::NAN,
        sum_squares: f64::NAN,
        bucket_limit: buckets.iter().map(|b| b[1]).collect(),
        bucket: buckets.iter().map(|b| b[2]).collect(),
    })
}

/// The images of TensorFlow's image plugin: a string tensor of width, height, then one
/// encoded image each. The colorspace is read from each PNG's header (0 if it has none).
fn images_of(tensor: TensorProto) -> Vec<summary::Image> {
    let mut strings = tensor.string_val.into_iter();
    let number = |s: Option<Vec<u8>>| s.and_then(|s| String::from_utf8(s).ok()?.parse::<i32>().ok());
    let (Some(width), Some(height)) = (number(strings.next()), number(strings.next())) else {
        return Vec::new();
    };
    strings
        .map(|encoded| {
            // A PNG's IHDR color type is byte 25: gray, RGB, palette, gray + alpha, RGBA.
            let colorspace = match encoded.get(25) {
                Some(0) => 1,
                Some(2 | 3) => 3,
                Some(4) => 2,
                Some(6) => 4,
                _ => 0,
            };
            summary::Image { height, width, colorspace, encoded_image_string: encoded }
        })
        .collect()
}

/// The clips of TensorFlow's audio plugin: a `[k, 2]` string tensor of (encoded WAV, label).
/// Rate, channels and length come from each WAV's header.
fn audio_of(tensor: TensorProto) -> Vec<summary::Audio> {
    tensor
        .string_val
        .into_iter()
        .step_by(2)
        .map(|wav| {
            let (sample_rate, num_channels, length_frames) =
                crate::encode::wav::header(&wav).unwrap_or_default();
            summary::Audio {
                sample_rate: sample_rate as f32,
                num_channels: i64::from(num_channels),
                length_frames: length_frames as i64,
                encoded_audio_string: wav,
                content_type: "audio/wav".into(),
            }
        })
        .collect()
}
