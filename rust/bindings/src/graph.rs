//! Graphs: a node list the Python layer extracted from a model, or a caller's serialized
//! `GraphDef`, written as the graph events TensorBoard's graphs plugin reads.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use turboboard_core::proto::{GraphDef, RunMetadata};
use turboboard_core::summary::graph::{self, Attr, Node};

use crate::errors::IntoPyResult;
use crate::interop::WallTime;
use crate::writer::{EventFileWriter, wall_time};

/// A node as the Python layer describes it: `(name, op, inputs, [(key, kind, value)])`, where
/// kind names the attribute's type: `"bytes"`, `"type"` (an int), `"shape"` (ints) or
/// `"shapes"` (a list of int sequences).
type PyNode<'py> = (String, String, Vec<String>, Vec<(String, String, Bound<'py, PyAny>)>);

#[pymethods]
impl EventFileWriter {
    /// A graph from its nodes, followed (with `run_metadata`) by the CPU step stats event the
    /// anchors write beside a torch graph. (Checking that it parses costs nothing next to the
    /// trace that produced the nodes.)
    #[pyo3(signature = (nodes, run_metadata = false, walltime = None))]
    fn add_graph(
        &self,
        py: Python<'_>,
        nodes: Vec<PyNode<'_>>,
        run_metadata: bool,
        walltime: Option<WallTime>,
    ) -> PyResult<()> {
        let nodes = nodes.into_iter().map(node).collect::<PyResult<Vec<_>>>()?;
        let graph_def = prost::Message::encode_to_vec(&graph::graph_def(nodes));
        let run_metadata = run_metadata.then(graph::cpu_run_metadata);
        self.add_graph_def(py, graph_def, run_metadata, walltime)
    }

    /// A serialized `GraphDef`, and optionally a serialized `RunMetadata`, written as given
    /// once they are known to parse.
    #[pyo3(signature = (graph_def, run_metadata = None, walltime = None))]
    fn add_graph_def(
        &self,
        py: Python<'_>,
        graph_def: Vec<u8>,
        run_metadata: Option<Vec<u8>>,
        walltime: Option<WallTime>,
    ) -> PyResult<()> {
        graph::check_parses::<GraphDef>(&graph_def, "graph", "GraphDef").py_err()?;
        if let Some(bytes) = &run_metadata {
            graph::check_parses::<RunMetadata>(bytes, "run_metadata", "RunMetadata").py_err()?;
        }
        for event in graph::events(graph_def, run_metadata, wall_time(walltime)).py_err()? {
            self.write(py, Ok(event))?;
        }
        Ok(())
    }
}

fn node((name, op, inputs, attrs): PyNode<'_>) -> PyResult<Node> {
    let attrs = attrs
        .into_iter()
        .map(|(key, kind, value)| {
            let attr = match kind.as_str() {
                "bytes" => Attr::Bytes(value.extract()?),
                "type" => Attr::Type(value.extract()?),
                "shape" => Attr::Shape(value.extract()?),
                "shapes" => Attr::Shapes(value.extract()?),
                _ => return Err(PyValueError::new_err(format!("nodes: unknown attribute kind {kind:?}"))),
            };
            Ok((key, attr))
        })
        .collect::<PyResult<_>>()?;
    Ok(Node { name, op, inputs, attrs })
}
