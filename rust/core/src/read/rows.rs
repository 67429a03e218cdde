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

/// Rows of one file: `tag` holds the file's own tag ids until the rows are merged.
pub(super) struct Rows {
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
        Rows { tag: Vec::new(), step: Vec::new(), wall_time: Vec::new(), values, needs_plugin: None }
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
                let Some(value) = scalar_of(&TensorProto::decode(bytes)?) else { return Ok(()) };
                values.push(value);
            }
            (Values::Histograms(values), Payload::Histogram(bytes)) => {
                values.push(HistogramProto::decode(bytes)?)
            }
            (Values::Images(values), Payload::Image(bytes)) => values.push(summary::Image::decode(bytes)?),
            (Values::Audio(values), Payload::Audio(bytes)) => values.push(summary::Audio::decode(bytes)?),
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
        self.tag.push(tag);
        self.step.push(step);
        self.wall_time.push(wall_time);
        if needs && self.needs_plugin.is_none() {
            self.needs_plugin = Some(vec![false; before]);
        }
        if let Some(needs_plugin) = &mut self.needs_plugin {
            needs_plugin.push(needs);
        }
        Ok(())
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
            Values::Text(_) => Some("text"),
            Values::Hparams(_) => Some("hparams"),
            _ => None,
        }
    }

    /// Keeps the rows where `keep` is true.
    pub fn retain(&mut self, keep: &[bool]) {
        fn retain_vec<T>(values: &mut Vec<T>, keep: &[bool]) {
            let mut i = 0;
            values.retain(|_| {
                i += 1;
                keep[i - 1]
            });
        }
        retain_vec(&mut self.tag, keep);
        retain_vec(&mut self.step, keep);
        retain_vec(&mut self.wall_time, keep);
        if let Some(needs_plugin) = &mut self.needs_plugin {
            retain_vec(needs_plugin, keep);
        }
        match &mut self.values {
            Values::Scalars(v) => retain_vec(v, keep),
            Values::Histograms(v) => retain_vec(v, keep),
            Values::Images(v) => retain_vec(v, keep),
            Values::Audio(v) => retain_vec(v, keep),
            Values::Text(v) => retain_vec(v, keep),
            Values::Tensors(v) => retain_vec(v, keep),
            Values::Hparams(v) => retain_vec(v, keep),
        }
    }
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

/// The value of a tensor holding one number, as TensorBoard's scalar plugin reads it.
pub(super) fn scalar_of(tensor: &TensorProto) -> Option<f64> {
    let elements: i64 =
        tensor.tensor_shape.as_ref().map_or(1, |shape| shape.dim.iter().map(|d| d.size).product());
    if elements != 1 {
        return None;
    }
    let dtype = DataType::try_from(tensor.dtype).ok()?;
    let content = &tensor.tensor_content;
    let from_content = |width: usize| -> Option<[u8; 8]> {
        let mut bytes = [0u8; 8];
        bytes[..width].copy_from_slice(content.get(..width)?);
        Some(bytes)
    };
    if !content.is_empty() {
        return Some(match dtype {
            DataType::DtFloat => f64::from(f32::from_le_bytes(from_content(4)?[..4].try_into().ok()?)),
            DataType::DtDouble => f64::from_le_bytes(from_content(8)?),
            DataType::DtInt32 => f64::from(i32::from_le_bytes(from_content(4)?[..4].try_into().ok()?)),
            DataType::DtInt64 => i64::from_le_bytes(from_content(8)?) as f64,
            DataType::DtHalf => f64::from(half::f16::from_le_bytes(from_content(2)?[..2].try_into().ok()?)),
            _ => return None,
        });
    }
    match dtype {
        DataType::DtFloat => tensor.float_val.first().map(|&v| f64::from(v)),
        DataType::DtDouble => tensor.double_val.first().copied(),
        DataType::DtInt32 | DataType::DtInt16 | DataType::DtInt8 | DataType::DtUint8 | DataType::DtUint16 => {
            tensor.int_val.first().map(|&v| f64::from(v))
        }
        DataType::DtInt64 => tensor.int64_val.first().map(|&v| v as f64),
        DataType::DtHalf => tensor.half_val.first().map(|&v| f64::from(half::f16::from_bits(v as u16))),
        DataType::DtBool => tensor.bool_val.first().map(|&v| f64::from(u8::from(v))),
        _ => None,
    }
}
