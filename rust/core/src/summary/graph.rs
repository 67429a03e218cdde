//! Graph events for TensorBoard's graphs plugin: a `GraphDef` built from a compact node list
//! (what the Python layer extracts from a traced torch module, an ONNX model or an OpenVINO
//! IR), and the `RunMetadata` event the anchors write beside a torch graph.
//!
//! The Python side walks the model, since only it can read torch or ONNX objects; it hands over
//! plain names, strings and shapes, and the protobufs are built and encoded here, so turboboard
//! needs no protobuf package at run time.

use std::collections::BTreeMap;

use prost::Message;

use crate::error::{Error, Result};
use crate::proto::{
    self, AttrValue, DeviceStepStats, Event, GraphDef, NodeDef, RunMetadata, StepStats, TensorShapeProto,
    VersionDef, attr_value,
};
use crate::summary::with_what;

/// The `GraphDef` producer version both anchors write (reverse engineered by torch from
/// TensorFlow's output).
const PRODUCER: i32 = 22;
/// The tag of the run metadata event, as tensorboardX names it (torch says `step1`).
pub const RUN_METADATA_TAG: &str = "profiler";
/// The device the anchors name in the step stats, whatever the model ran on.
const DEVICE: &str = "/device:CPU:0";

/// A node attribute, as the graph sources use them.
#[derive(Debug, Clone, PartialEq)]
pub enum Attr {
    /// A byte string (torch's `attr`, ONNX's and OpenVINO's `parameters`).
    Bytes(Vec<u8>),
    /// A data type number (ONNX's `dtype`: the ONNX element type, stored as is).
    Type(i32),
    /// One shape (ONNX's `shape`).
    Shape(Vec<i64>),
    /// A list of shapes (torch's `_output_shapes`).
    Shapes(Vec<Vec<i64>>),
}

/// One node of a graph: its scoped name, op, the names of its inputs and its attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub name: String,
    pub op: String,
    pub inputs: Vec<String>,
    pub attrs: Vec<(String, Attr)>,
}

/// The `GraphDef` of `nodes`, in their order.
pub fn graph_def(nodes: Vec<Node>) -> GraphDef {
    GraphDef {
        node: nodes.into_iter().map(node_def).collect(),
        versions: Some(VersionDef { producer: PRODUCER, ..Default::default() }),
    }
}

fn node_def(node: Node) -> NodeDef {
    let attr: BTreeMap<_, _> = node.attrs.into_iter().map(|(key, value)| (key, attr_value(value))).collect();
    NodeDef { name: node.name, op: node.op, input: node.inputs, device: String::new(), attr }
}

fn attr_value(attr: Attr) -> AttrValue {
    let value = match attr {
        Attr::Bytes(s) => attr_value::Value::S(s),
        Attr::Type(t) => attr_value::Value::Type(t),
        Attr::Shape(dims) => attr_value::Value::Shape(shape(dims)),
        Attr::Shapes(shapes) => attr_value::Value::List(attr_value::ListValue {
            shape: shapes.into_iter().map(shape).collect(),
            ..Default::default()
        }),
    };
    AttrValue { value: Some(value) }
}

fn shape(dims: Vec<i64>) -> TensorShapeProto {
    TensorShapeProto {
        dim: dims
            .into_iter()
            .map(|size| proto::tensor_shape_proto::Dim { size, name: String::new() })
            .collect(),
        unknown_rank: false,
    }
}

/// The events of a graph: the serialized `GraphDef` and, with `run_metadata`, the tagged
/// `RunMetadata` event that follows it (no step, as the anchors write them).
pub fn events(graph_def: Vec<u8>, run_metadata: Option<Vec<u8>>, wall_time: f64) -> Result<Vec<Event>> {
    use proto::event::What;
    let mut events = vec![with_what(What::GraphDef(graph_def), None, wall_time)?];
    if let Some(run_metadata) = run_metadata {
        let tagged = proto::TaggedRunMetadata { tag: RUN_METADATA_TAG.to_owned(), run_metadata };
        events.push(with_what(What::TaggedRunMetadata(tagged), None, wall_time)?);
    }
    Ok(events)
}

/// The run metadata the anchors write for a torch graph: step stats naming the CPU only.
pub fn cpu_run_metadata() -> Vec<u8> {
    let step_stats = StepStats { dev_stats: vec![DeviceStepStats { device: DEVICE.to_owned() }] };
    RunMetadata { step_stats: Some(step_stats) }.encode_to_vec()
}

/// Checks that `bytes` parse as a message of type `M` (unknown fields are allowed), so that a
/// caller's serialized graph is written only if TensorBoard can read it.
pub fn check_parses<M: Message + Default>(bytes: &[u8], arg: &'static str, what: &str) -> Result<()> {
    M::decode(bytes).map(drop).map_err(|e| Error::invalid(arg, format!("expected a serialized {what}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_def_keeps_node_order_and_sets_the_producer() {
        let nodes = vec![
            Node { name: "input/x".into(), op: "IO Node".into(), inputs: vec![], attrs: vec![] },
            Node {
                name: "Net/Linear[fc]/input".into(),
                op: "aten::linear".into(),
                inputs: vec!["input/x".into()],
                attrs: vec![
                    ("attr".into(), Attr::Bytes(b"{}".to_vec())),
                    ("_output_shapes".into(), Attr::Shapes(vec![vec![2, 3]])),
                ],
            },
        ];
        let graph = graph_def(nodes);
        assert_eq!(graph.versions.unwrap().producer, 22);
        assert_eq!(graph.node[0].name, "input/x");
        assert_eq!(graph.node[1].input, ["input/x"]);
        let Some(attr_value::Value::List(list)) = &graph.node[1].attr["_output_shapes"].value else {
            panic!("expected a list of shapes");
        };
        let sizes: Vec<_> = list.shape[0].dim.iter().map(|d| d.size).collect();
        assert_eq!(sizes, [2, 3]);
    }

    #[test]
    fn events_are_a_graph_then_tagged_run_metadata_without_step() {
        let events = events(b"graph".to_vec(), Some(cpu_run_metadata()), 1.5).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].what, Some(proto::event::What::GraphDef(b"graph".to_vec())));
        let Some(proto::event::What::TaggedRunMetadata(tagged)) = &events[1].what else {
            panic!("expected tagged run metadata");
        };
        assert_eq!(tagged.tag, "profiler");
        let metadata = RunMetadata::decode(tagged.run_metadata.as_slice()).unwrap();
        assert_eq!(metadata.step_stats.unwrap().dev_stats[0].device, "/device:CPU:0");
        assert!(events.iter().all(|e| e.step == 0 && e.wall_time == 1.5));
    }

    #[test]
    fn a_nan_wall_time_or_garbage_graph_is_refused() {
        assert!(events(Vec::new(), None, f64::NAN).is_err());
        assert!(check_parses::<GraphDef>(b"\xff\xff", "graph", "GraphDef").is_err());
        assert!(check_parses::<GraphDef>(&graph_def(vec![]).encode_to_vec(), "graph", "GraphDef").is_ok());
    }
}
