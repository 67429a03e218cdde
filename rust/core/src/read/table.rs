//! The rows of a read as Arrow record batches: one batch, or for kinds with variable-length
//! values (images, audio, text, tensors, histograms' buckets) as many as keep each batch's
//! values far from the 2 GiB that Arrow's 32-bit offsets address. The batches share one
//! dictionary of run names and one of tag names (a tag repeats on every row; as a dictionary
//! key it costs 4 bytes, and pandas and polars get a categorical column).

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{BinaryBuilder, ListBuilder, StringBuilder};
use arrow_array::types::{Float64Type, Int32Type, Int64Type};
use arrow_array::{
    ArrayRef, ArrowPrimitiveType, BinaryArray, BooleanArray, DictionaryArray, Float64Array, Int32Array,
    Int64Array, ListArray, PrimitiveArray, RecordBatch, StringArray,
};
use arrow_buffer::OffsetBuffer;
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};

use super::Kind;
use super::rows::{Hparam, Rows, Values};
use std::io::Write;

use crate::error::{Error, IoContext, Result};
use crate::proto::{DataType as Dtype, TensorProto};
use crate::storage::with_path;
use prost::Message;

/// The variable-length bytes a batch holds at most (Arrow's offsets reach 2 GiB); the crate's
/// tests use a small bound, so that their tables of images, text and tensors are split.
#[cfg(not(test))]
const BATCH_BYTES: usize = 1 << 30;
#[cfg(test)]
const BATCH_BYTES: usize = 1 << 10;

/// The values of one kind read from a log directory, as Arrow record batches.
pub struct Table {
    kind: Kind,
    batches: Vec<RecordBatch>,
}

impl Table {
    /// The table of `rows`: `run_keys` index `runs` and the rows' tags index `tags`;
    /// `plugins` names each row's plugin (the tensors table only).
    pub(super) fn build(
        kind: Kind,
        runs: &[String],
        tags: &[String],
        mut rows: Rows,
        mut run_keys: Vec<i32>,
        mut plugins: Vec<Vec<u8>>,
    ) -> Result<Table> {
        let runs: ArrayRef = Arc::new(StringArray::from_iter_values(runs));
        let tags: ArrayRef = Arc::new(StringArray::from_iter_values(tags));
        let schema = schema(kind);
        let mut batches = Vec::new();
        // Split off from the end, so that each split moves only the rows after it.
        for at in batch_starts(&rows.values).into_iter().rev() {
            let tail_plugins = if plugins.is_empty() { Vec::new() } else { plugins.split_off(at) };
            let (tail, tail_runs) = (rows.split_off(at), run_keys.split_off(at));
            batches.push(batch(&schema, &runs, &tags, tail, tail_runs, tail_plugins)?);
        }
        if rows.len() > 0 {
            batches.push(batch(&schema, &runs, &tags, rows, run_keys, plugins)?);
        }
        batches.reverse();
        Ok(Table { kind, batches })
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    pub fn batches(&self) -> &[RecordBatch] {
        &self.batches
    }

    pub fn into_batches(self) -> Vec<RecordBatch> {
        self.batches
    }

    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// The table's columns and their types.
    pub fn schema(&self) -> SchemaRef {
        schema(self.kind)
    }
}

/// The columns of a table of `kind`, and their types.
fn schema(kind: Kind) -> SchemaRef {
    let dictionary = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
    let list = |item: DataType| DataType::List(Arc::new(Field::new("item", item, true)));
    let mut fields = vec![
        Field::new("run", dictionary.clone(), false),
        Field::new("tag", dictionary, false),
        Field::new("step", DataType::Int64, false),
        Field::new("wall_time", DataType::Float64, false),
    ];
    let f64s =
        |names: &[&str]| names.iter().map(|n| Field::new(*n, DataType::Float64, false)).collect::<Vec<_>>();
    match kind {
        Kind::Scalars => fields.extend(f64s(&["value"])),
        Kind::Histograms => {
            fields.extend(f64s(&["min", "max", "num", "sum", "sum_squares"]));
            fields.push(Field::new("bucket_limit", list(DataType::Float64), false));
            fields.push(Field::new("bucket", list(DataType::Float64), false));
        }
        Kind::Images => fields.extend([
            Field::new("width", DataType::Int32, false),
            Field::new("height", DataType::Int32, false),
            Field::new("colorspace", DataType::Int32, false),
            Field::new("encoded", DataType::Binary, false),
        ]),
        Kind::Audio => fields.extend([
            Field::new("sample_rate", DataType::Float64, false),
            Field::new("num_channels", DataType::Int64, false),
            Field::new("length_frames", DataType::Int64, false),
            Field::new("content_type", DataType::Utf8, false),
            Field::new("encoded", DataType::Binary, false),
        ]),
        Kind::Text => fields.push(Field::new("value", DataType::Utf8, false)),
        Kind::Tensors => fields.extend([
            Field::new("plugin", DataType::Utf8, false),
            Field::new("dtype", DataType::Utf8, false),
            Field::new("shape", list(DataType::Int64), false),
            Field::new("data", DataType::Binary, false),
            Field::new("strings", list(DataType::Binary), false),
        ]),
        Kind::Hparams => fields.extend([
            Field::new("number", DataType::Float64, true),
            Field::new("string", DataType::Utf8, true),
            Field::new("bool", DataType::Boolean, true),
        ]),
    }
    Arc::new(Schema::new(fields))
}

/// One record batch of `rows`.
fn batch(
    schema: &SchemaRef,
    runs: &ArrayRef,
    tags: &ArrayRef,
    rows: Rows,
    run_keys: Vec<i32>,
    plugins: Vec<Vec<u8>>,
) -> Result<RecordBatch> {
    let dictionary = |keys: Vec<i32>, values: &ArrayRef| -> Result<ArrayRef, ArrowError> {
        Ok(Arc::new(DictionaryArray::<Int32Type>::try_new(Int32Array::from(keys), values.clone())?))
    };
    // Collected in place: u32 and i32 share a layout.
    let tag_keys: Vec<i32> = rows.tag.into_iter().map(|t| t as i32).collect();
    let mut columns: Vec<ArrayRef> = vec![
        dictionary(run_keys, runs).map_err(arrow_error)?,
        dictionary(tag_keys, tags).map_err(arrow_error)?,
        Arc::new(Int64Array::from(rows.step)),
        Arc::new(Float64Array::from(rows.wall_time)),
    ];
    columns.extend(value_columns(rows.values, plugins));
    RecordBatch::try_new(schema.clone(), columns).map_err(arrow_error)
}

/// Where batches after the first start, so that none holds more than [`BATCH_BYTES`] of
/// variable-length values (a row larger than that has a batch of its own).
fn batch_starts(values: &Values) -> Vec<usize> {
    let sizes: Vec<usize> = match values {
        Values::Scalars(_) | Values::Hparams(_) => return Vec::new(),
        Values::Histograms(h) => h.iter().map(|h| 8 * (h.bucket_limit.len() + h.bucket.len())).collect(),
        Values::Images(images) => images.iter().map(|i| i.encoded_image_string.len()).collect(),
        Values::Audio(audio) => audio.iter().map(|a| a.encoded_audio_string.len()).collect(),
        Values::Text(text) => text.iter().map(String::len).collect(),
        Values::Tensors(tensors) => tensors.iter().map(Message::encoded_len).collect(),
    };
    let mut starts = Vec::new();
    let mut held = 0;
    for (i, size) in sizes.into_iter().enumerate() {
        if held > 0 && held + size > BATCH_BYTES {
            starts.push(i);
            held = 0;
        }
        held += size;
    }
    starts
}

fn arrow_error(e: ArrowError) -> Error {
    IoContext::error(std::io::ErrorKind::Other, format!("building the table: {e}"), None).into()
}

/// A list column of numbers, one list per row.
fn list<T: ArrowPrimitiveType>(lists: impl Iterator<Item = Vec<T::Native>>) -> ArrayRef {
    let mut lengths = Vec::new();
    let mut values = Vec::new();
    for list in lists {
        lengths.push(list.len());
        values.extend(list);
    }
    let field = Arc::new(Field::new("item", T::DATA_TYPE, true));
    let values = Arc::new(PrimitiveArray::<T>::new(values.into(), None));
    Arc::new(ListArray::new(field, OffsetBuffer::from_lengths(lengths), values, None))
}

fn binary(values: impl Iterator<Item = Vec<u8>>) -> ArrayRef {
    Arc::new(BinaryArray::from_iter_values(values))
}

fn value_columns(values: Values, plugins: Vec<Vec<u8>>) -> Vec<ArrayRef> {
    match values {
        Values::Scalars(values) => vec![Arc::new(Float64Array::from(values))],
        Values::Histograms(h) => {
            let column = |f: fn(&crate::proto::HistogramProto) -> f64| -> ArrayRef {
                Arc::new(h.iter().map(f).collect::<Float64Array>())
            };
            let mut columns = vec![
                column(|h| h.min),
                column(|h| h.max),
                column(|h| h.num),
                column(|h| h.sum),
                column(|h| h.sum_squares),
            ];
            let (limits, buckets): (Vec<_>, Vec<_>) =
                h.into_iter().map(|h| (h.bucket_limit, h.bucket)).unzip();
            columns.push(list::<Float64Type>(limits.into_iter()));
            columns.push(list::<Float64Type>(buckets.into_iter()));
            columns
        }
        Values::Images(images) => vec![
            Arc::new(images.iter().map(|i| i.width).collect::<Int32Array>()),
            Arc::new(images.iter().map(|i| i.height).collect::<Int32Array>()),
            Arc::new(images.iter().map(|i| i.colorspace).collect::<Int32Array>()),
            binary(images.into_iter().map(|i| i.encoded_image_string)),
        ],
        Values::Audio(audio) => vec![
            Arc::new(audio.iter().map(|a| f64::from(a.sample_rate)).collect::<Float64Array>()),
            Arc::new(audio.iter().map(|a| a.num_channels).collect::<Int64Array>()),
            Arc::new(audio.iter().map(|a| a.length_frames).collect::<Int64Array>()),
            Arc::new(StringArray::from_iter_values(audio.iter().map(|a| a.content_type.as_str()))),
            binary(audio.into_iter().map(|a| a.encoded_audio_string)),
        ],
        Values::Text(text) => vec![Arc::new(StringArray::from_iter_values(text))],
        Values::Tensors(tensors) => {
            let plugin = StringArray::from_iter_values(plugins.iter().map(|p| String::from_utf8_lossy(p)));
            let mut dtypes = StringBuilder::new();
            let mut shapes = Vec::new();
            let mut data = BinaryBuilder::new();
            let mut strings = ListBuilder::new(BinaryBuilder::new());
            for tensor in tensors {
                let (dtype, bytes) = tensor_data(&tensor);
                dtypes.append_value(dtype);
                shapes.push(
                    tensor
                        .tensor_shape
                        .as_ref()
                        .map_or_else(Vec::new, |s| s.dim.iter().map(|d| d.size).collect()),
                );
                data.append_value(bytes);
                for s in &tensor.string_val {
                    strings.values().append_value(s);
                }
                strings.append(true);
            }
            let shape = list::<Int64Type>(shapes.into_iter());
            vec![
                Arc::new(plugin),
                Arc::new(dtypes.finish()),
                shape,
                Arc::new(data.finish()),
                Arc::new(strings.finish()),
            ]
        }
        Values::Hparams(hparams) => {
            let number = hparams.iter().map(|h| if let Hparam::Number(n) = h { Some(*n) } else { None });
            let string =
                hparams.iter().map(|h| if let Hparam::String(s) = h { Some(s.as_str()) } else { None });
            let boolean = hparams.iter().map(|h| if let Hparam::Bool(b) = h { Some(*b) } else { None });
            vec![
                Arc::new(number.collect::<Float64Array>()),
                Arc::new(string.collect::<StringArray>()),
                Arc::new(boolean.collect::<BooleanArray>()),
            ]
        }
    }
}

/// A tensor's numpy dtype name and its elements as row-major little-endian bytes (strings:
/// "object", no bytes; they are in the `strings` column).
fn tensor_data(tensor: &TensorProto) -> (&'static str, Vec<u8>) {
    let dtype = Dtype::try_from(tensor.dtype).unwrap_or(Dtype::DtInvalid);
    let name = match dtype {
        Dtype::DtFloat => "float32",
        Dtype::DtDouble => "float64",
        Dtype::DtInt32 => "int32",
        Dtype::DtUint8 => "uint8",
        Dtype::DtInt16 => "int16",
        Dtype::DtInt8 => "int8",
        Dtype::DtString => "object",
        Dtype::DtComplex64 => "complex64",
        Dtype::DtInt64 => "int64",
        Dtype::DtBool => "bool",
        Dtype::DtUint16 => "uint16",
        Dtype::DtComplex128 => "complex128",
        Dtype::DtHalf => "float16",
        Dtype::DtBfloat16 => "bfloat16",
        Dtype::DtUint32 => "uint32",
        Dtype::DtUint64 => "uint64",
        _ => "unknown",
    };
    if !tensor.tensor_content.is_empty() {
        return (name, tensor.tensor_content.clone());
    }
    let elements: usize = tensor
        .tensor_shape
        .as_ref()
        .map_or(1, |s| s.dim.iter().map(|d| usize::try_from(d.size).unwrap_or(0)).product());
    // Typed fields may hold fewer values than elements: the last one repeats (TensorFlow's rule).
    fn fill<T: Copy>(values: &[T], elements: usize, out: &mut Vec<u8>, bytes: impl Fn(T) -> Vec<u8>) {
        for i in 0..elements {
            let Some(&v) = values.get(i).or(values.last()) else { return };
            out.extend(bytes(v));
        }
    }
    let mut out = Vec::new();
    match dtype {
        Dtype::DtFloat => fill(&tensor.float_val, elements, &mut out, |v| v.to_le_bytes().to_vec()),
        Dtype::DtDouble => fill(&tensor.double_val, elements, &mut out, |v| v.to_le_bytes().to_vec()),
        Dtype::DtInt32 => fill(&tensor.int_val, elements, &mut out, |v| v.to_le_bytes().to_vec()),
        Dtype::DtInt16 => fill(&tensor.int_val, elements, &mut out, |v| (v as i16).to_le_bytes().to_vec()),
        Dtype::DtInt8 => fill(&tensor.int_val, elements, &mut out, |v| (v as i8).to_le_bytes().to_vec()),
        Dtype::DtUint8 => fill(&tensor.int_val, elements, &mut out, |v| (v as u8).to_le_bytes().to_vec()),
        Dtype::DtUint16 => fill(&tensor.int_val, elements, &mut out, |v| (v as u16).to_le_bytes().to_vec()),
        Dtype::DtInt64 => fill(&tensor.int64_val, elements, &mut out, |v| v.to_le_bytes().to_vec()),
        Dtype::DtBool => fill(&tensor.bool_val, elements, &mut out, |v| vec![u8::from(v)]),
        Dtype::DtHalf | Dtype::DtBfloat16 => {
            fill(&tensor.half_val, elements, &mut out, |v| (v as u16).to_le_bytes().to_vec())
        }
        Dtype::DtUint32 => fill(&tensor.uint32_val, elements, &mut out, |v| v.to_le_bytes().to_vec()),
        Dtype::DtUint64 => fill(&tensor.uint64_val, elements, &mut out, |v| v.to_le_bytes().to_vec()),
        Dtype::DtComplex64 => {
            fill(&tensor.scomplex_val, elements * 2, &mut out, |v| v.to_le_bytes().to_vec())
        }
        Dtype::DtComplex128 => {
            fill(&tensor.dcomplex_val, elements * 2, &mut out, |v| v.to_le_bytes().to_vec())
        }
        _ => {}
    }
    (name, out)
}

/// Writes `table` to `path` as `format`: "parquet" (Snappy-compressed, what pyarrow writes by
/// default), "csv" (a header, then one line per row; list and binary columns cannot be CSV) or
/// "jsonl" (one JSON object per row).
pub fn write_table(table: &Table, path: &Path, format: &str) -> Result<()> {
    if !matches!(format, "parquet" | "csv" | "jsonl") {
        return Err(Error::invalid("format", format!("expected parquet, csv or jsonl, got {format:?}")));
    }
    let file = File::create(path).map_err(|e| with_path(e, "creating", path))?;
    let out = std::io::BufWriter::new(file);
    let schema = table.schema();
    let written: Result<(), Box<dyn std::error::Error + Send + Sync>> = (|| {
        match format {
            "parquet" => {
                let properties = parquet::file::properties::WriterProperties::builder()
                    .set_compression(parquet::basic::Compression::SNAPPY)
                    .build();
                let mut writer = parquet::arrow::ArrowWriter::try_new(out, schema, Some(properties))?;
                for batch in table.batches() {
                    writer.write(batch)?;
                }
                writer.close()?;
            }
            "csv" => {
                let mut writer = arrow_csv::Writer::new(out);
                for batch in table.batches() {
                    writer.write(batch)?;
                }
                writer.into_inner().flush()?;
            }
            "jsonl" => {
                let mut writer = arrow_json::LineDelimitedWriter::new(out);
                for batch in table.batches() {
                    writer.write(batch)?;
                }
                writer.finish()?;
                writer.into_inner().flush()?;
            }
            _ => unreachable!("checked below"),
        }
        Ok(())
    })();
    written.map_err(|e| {
        IoContext::error(std::io::ErrorKind::Other, format!("writing {}: {e}", path.display()), None).into()
    })
}
