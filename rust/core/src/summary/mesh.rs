//! Meshes and point clouds for the `mesh` plugin, as tensorboardX writes them.

use prost::Message;

use super::{make_value, plugin};
use crate::error::{Error, Result};
use crate::histogram::Element;
use crate::proto::mesh::MeshPluginData;
pub use crate::proto::mesh::mesh_plugin_data::ContentType;
use crate::proto::{DataType, TensorProto, summary};

/// One part of a mesh (vertices, faces or colors, each `[batch, points, 3]`) as a float32
/// tensor under the tag `<tag>_<content type number>` (`tag_1` for vertices), with
/// tensorboardX's metadata: `json_config` as given, no `components` bitmask (TensorBoard then
/// assumes all three parts).
pub fn mesh<T: Element>(
    tag: &str,
    content_type: ContentType,
    values: &[T],
    shape: &[usize],
    json_config: &str,
) -> Result<summary::Value> {
    let arg = match content_type {
        ContentType::Vertex => "vertices",
        ContentType::Face => "faces",
        ContentType::Color | ContentType::Undefined => "colors",
    };
    if shape.len() != 3 {
        return Err(Error::invalid(
            arg,
            format!("expected a 3-D array (batch, points, 3), got shape {shape:?}"),
        ));
    }
    let dims = shape
        .iter()
        .map(|&d| i32::try_from(d))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| Error::invalid(arg, format!("shape {shape:?} is too large")))?;
    let tensor = TensorProto {
        dtype: DataType::DtFloat.into(),
        tensor_shape: super::shape(shape),
        // Widened to f64 first, as Python's float() does before protobuf narrows to float32.
        float_val: values.iter().map(|v| v.to_f64() as f32).collect(),
        ..Default::default()
    };
    let metadata = MeshPluginData {
        version: 0,
        name: tag.to_owned(),
        content_type: content_type.into(),
        json_config: json_config.to_owned(),
        shape: dims,
        components: 0,
    };
    Ok(make_value(
        &format!("{tag}_{}", content_type as i32),
        summary::value::Value::Tensor(tensor),
        plugin("mesh", metadata.encode_to_vec()),
    ))
}
