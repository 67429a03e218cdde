"""A real TensorBoard serves the graphs turboboard wrote (a traced torch module with its run
metadata, an ONNX model, an OpenVINO IR) through the graphs plugin's HTTP API, with both of its
loaders."""

import pytest
import test_tensorboard_server as tensorboard_server
import torch
import turboboard
from test_graph import OPENVINO_IR, SmallCNN, onnx_model_file

get = tensorboard_server.get
# The same fixture, run here on this module's own `run_dir`.
server = tensorboard_server.server


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("graphs")
    with turboboard.SummaryWriter(str(root / "demo")) as w:
        w.add_scalar("loss", 1.0, 0)
        w.add_graph(SmallCNN(), torch.randn(1, 1, 8, 8))
    with turboboard.SummaryWriter(str(root / "onnx")) as w:
        w.add_onnx_graph(onnx_model_file(tmp_path_factory.mktemp("onnx")))
    (root / "ir.xml").write_text(OPENVINO_IR)
    with turboboard.SummaryWriter(str(root / "openvino")) as w:
        w.add_openvino_graph(str(root / "ir.xml"))
    return root


def test_graphs_info_lists_every_run_and_the_run_metadata(server):
    info = get(server, "/data/plugin/graphs/info")
    assert {run: entry["run_graph"] for run, entry in info.items()} == {
        "demo": True,
        "onnx": True,
        "openvino": True,
    }
    assert list(info["demo"]["tags"]) == ["profiler"]
    assert info["demo"]["tags"]["profiler"]["profile"] is True


@pytest.mark.parametrize(
    "run, expected",
    [
        ("demo", ['name: "input/x"', 'op: "aten::_convolution"', 'name: "output/output.1"']),
        ("demo", ['name: "SmallCNN/Sequential[features]/Block[3]/Sequential[body]/Conv2d[0]/']),
        ("onnx", ['name: "H"', 'op: "Gemm"', 'op: "Variable"', "producer: 22"]),
        ("openvino", ['name: "relu"', 'input: "matmul"', 'op: "op"']),
    ],
)
def test_graph_is_served_as_pbtxt(server, run, expected):
    pbtxt = get(server, "/data/plugin/graphs/graph", run=run, conceptual="false").decode()
    for line in expected:
        assert line in pbtxt


def test_run_metadata_is_served(server):
    pbtxt = get(server, "/data/plugin/graphs/run_metadata", run="demo", tag="profiler").decode()
    assert 'device: "/device:CPU:0"' in pbtxt
