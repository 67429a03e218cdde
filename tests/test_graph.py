"""add_graph, add_onnx_graph, add_openvino_graph and FileWriter.add_graph: the GraphDef (node
names, ops, edges, devices, attributes, shapes) and run metadata events parse to what
tensorboardX and torch write for the same model."""

from __future__ import annotations

import os
import re
import sys

import pytest
import torch
import turboboard
from conftest import read_events, write_with
from tensorboard.compat.proto import config_pb2, graph_pb2
from torch import nn

torch.manual_seed(0)


class Block(nn.Module):
    """A nested module: a Sequential inside, a residual add and a parameter of its own."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU())
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return x + self.scale * self.body(x)


class SmallCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, 3),
            nn.BatchNorm2d(4),
            nn.ReLU(),
            Block(4),
            nn.MaxPool2d(2),
        )
        self.dropout = nn.Dropout(0.5)
        self.classifier = nn.Linear(4 * 3 * 3, 10)

    def forward(self, x):
        return self.classifier(self.dropout(torch.flatten(self.features(x), 1)))


class TwoInTwoOut(nn.Module):
    """Several inputs (one unused) and a tuple of outputs."""

    def __init__(self) -> None:
        super().__init__()
        self.left = nn.Linear(3, 2)
        self.right = nn.Linear(3, 2)

    def forward(self, x, y, unused):
        a, b = self.left(x), self.right(y)
        return a + b, torch.cat([a, b], dim=1).softmax(dim=-1)


class DictOut(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 3)

    def forward(self, x):
        return {"logits": self.fc(x), "constant": x * torch.tensor([1.0, 2.0, 3.0])}


class Parameters(nn.Module):
    """A model that takes no input."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(3))

    def forward(self):
        return self.weight * 2


# model, input, use_strict_trace
MODELS = {
    "linear": (lambda: nn.Linear(4, 3), torch.randn(2, 4), True),
    "cnn": (SmallCNN, torch.randn(2, 1, 8, 8), True),
    "two_in_two_out": (TwoInTwoOut, (torch.randn(5, 3), torch.randn(5, 3), torch.zeros(1)), True),
    "dict_out": (DictOut, torch.randn(4, 3), False),
    "int_input": (lambda: nn.Embedding(10, 3), torch.tensor([[1, 2], [3, 4]]), True),
    "no_input": (Parameters, (), True),
}


def graph_events(library: str, logdir: str, calls) -> list:
    """The graph and tagged run metadata events ``library`` writes for ``calls``."""
    write_with(library, logdir, calls)
    return [
        e
        for e in read_events(logdir)
        if e.HasField("graph_def") or e.HasField("tagged_run_metadata")
    ]


def parsed_graph(event) -> graph_pb2.GraphDef:
    return graph_pb2.GraphDef.FromString(event.graph_def)


@pytest.mark.parametrize("model_name", MODELS)
@pytest.mark.parametrize("anchor", ["tensorboardX", "torch"])
def test_add_graph_matches_anchors(tmp_path, model_name, anchor):
    make, args, strict = MODELS[model_name]
    model = make()

    def calls(w):
        w.add_graph(model, args, use_strict_trace=strict)

    ours = graph_events("turboboard", str(tmp_path / "ours"), calls)
    theirs = graph_events(anchor, str(tmp_path / anchor), calls)
    assert [e.WhichOneof("what") for e in ours] == ["graph_def", "tagged_run_metadata"]
    assert [e.WhichOneof("what") for e in theirs] == ["graph_def", "tagged_run_metadata"]
    graph, their_graph = parsed_graph(ours[0]), parsed_graph(theirs[0])
    assert [n.name for n in graph.node] == [n.name for n in their_graph.node]
    assert graph == their_graph
    assert len(graph.node) > 2
    assert ours[0].step == 0
    tagged = ours[1].tagged_run_metadata
    # tensorboardX's tag; torch tags the same run metadata "step1".
    assert tagged.tag == "profiler"
    assert (
        theirs[1].tagged_run_metadata.tag == {"tensorboardX": "profiler", "torch": "step1"}[anchor]
    )
    metadata = config_pb2.RunMetadata.FromString(tagged.run_metadata)
    assert metadata == config_pb2.RunMetadata.FromString(theirs[1].tagged_run_metadata.run_metadata)
    assert metadata.step_stats.dev_stats[0].device == "/device:CPU:0"


def onnx_model_file(path) -> str:
    """A tiny ONNX model: Gemm (float and int attributes), Relu, and a Constant whose
    attribute is a tensor, with a dynamic batch dimension."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weight = numpy_helper.from_array(
        torch.arange(12, dtype=torch.float32).reshape(3, 4).numpy(), "W"
    )
    nodes = [
        helper.make_node("Gemm", ["X", "W"], ["H"], alpha=0.5, transB=1, name="gemm"),
        helper.make_node("Relu", ["H"], ["R"]),
        helper.make_node(
            "Constant", [], ["C"], value=numpy_helper.from_array(torch.ones(3).numpy(), "c")
        ),
        helper.make_node("Add", ["R", "C"], ["Y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["batch", 3])],
        initializer=[weight],
    )
    model = helper.make_model(graph)
    onnx.checker.check_model(model)
    file = str(path / "tiny.onnx")
    onnx.save(model, file)
    return file


@pytest.mark.parametrize("anchor", ["tensorboardX", "torch"])
def test_add_onnx_graph_matches_anchors(tmp_path, anchor):
    file = onnx_model_file(tmp_path)
    ours = graph_events("turboboard", str(tmp_path / "ours"), lambda w: w.add_onnx_graph(file))
    theirs = graph_events(anchor, str(tmp_path / anchor), lambda w: w.add_onnx_graph(file))
    assert [e.WhichOneof("what") for e in ours] == ["graph_def"]
    graph = parsed_graph(ours[0])
    assert graph == parsed_graph(theirs[0])
    assert [(n.name, n.op) for n in graph.node] == [
        ("X", "Variable"),
        ("Y", "Variable"),
        ("H", "Gemm"),
        ("R", "Relu"),
        ("C", "Constant"),
        ("Y", "Add"),
    ]


OPENVINO_IR = """<?xml version="1.0"?>
<net name="tiny" version="11">
  <layers>
    <layer id="0" name="input" type="Parameter" version="opset1"/>
    <layer id="1" name="weights" type="Const" version="opset1"/>
    <layer id="2" name="matmul" type="MatMul" version="opset1"/>
    <layer id="3" name="relu" type="ReLU" version="opset1"/>
    <layer id="4" name="output" type="Result" version="opset1"/>
  </layers>
  <edges>
    <edge from-layer="0" from-port="0" to-layer="2" to-port="0"/>
    <edge from-layer="1" from-port="0" to-layer="2" to-port="1"/>
    <edge from-layer="2" from-port="2" to-layer="3" to-port="0"/>
    <edge from-layer="3" from-port="1" to-layer="4" to-port="0"/>
  </edges>
</net>
"""


def test_add_openvino_graph_matches_tensorboardx(tmp_path):
    file = tmp_path / "tiny.xml"
    file.write_text(OPENVINO_IR)
    ours = graph_events(
        "turboboard", str(tmp_path / "ours"), lambda w: w.add_openvino_graph(str(file))
    )
    theirs = graph_events(
        "tensorboardX", str(tmp_path / "tbx"), lambda w: w.add_openvino_graph(str(file))
    )
    assert [e.WhichOneof("what") for e in ours] == ["graph_def"]
    graph = parsed_graph(ours[0])
    assert graph == parsed_graph(theirs[0])
    # One node per edge, named by the layer it enters.
    assert [(n.name, list(n.input)) for n in graph.node] == [
        ("matmul", ["input"]),
        ("matmul", ["weights"]),
        ("relu", ["matmul"]),
        ("output", ["relu"]),
    ]
    assert graph.versions.producer == 22


@pytest.mark.parametrize(
    "text, match",
    [
        ("<net><layers/></net>", "<layers> and <edges>"),
        (
            '<net><layers><layer id="0" name="a"/></layers>'
            '<edges><edge from-layer="0" to-layer="9"/></edges></net>',
            "'9'",
        ),
        ('<net><layers><layer name="a"/></layers><edges/></net>', "'id'"),
    ],
)
def test_bad_openvino_ir_is_a_value_error(tmp_path, text, match):
    file = tmp_path / "bad.xml"
    file.write_text(text)
    logdir = str(tmp_path / "run")
    with turboboard.SummaryWriter(logdir) as w, pytest.raises(ValueError, match=match):
        w.add_openvino_graph(str(file))
    assert not [e for e in read_events(logdir) if e.HasField("graph_def")]


def test_file_writer_add_graph_matches_tensorboardx(tmp_path):
    import tensorboardX
    from torch.utils.tensorboard._pytorch_graph import graph

    profile = graph(SmallCNN(), torch.randn(1, 1, 8, 8))
    for name, module in [("ours", turboboard), ("tbx", tensorboardX)]:
        w = module.FileWriter(str(tmp_path / name))
        w.add_graph(profile, walltime=5.0)
        w.add_onnx_graph(profile[0], walltime=6.0)
        w.add_openvino_graph(profile[0], walltime=7.0)
        w.close()
    ours, theirs = (read_events(str(tmp_path / n))[1:] for n in ("ours", "tbx"))
    assert [e.WhichOneof("what") for e in ours] == ["graph_def", "tagged_run_metadata"] + [
        "graph_def"
    ] * 2
    assert ours == theirs
    assert graph_pb2.GraphDef.FromString(ours[0].graph_def) == profile[0]
    # Serialized messages are taken too, and a GraphDef alone writes no run metadata.
    w = turboboard.FileWriter(str(tmp_path / "bytes"))
    w.add_graph(tuple(m.SerializeToString() for m in profile), walltime=5.0)
    w.add_graph(profile[0].SerializeToString(), walltime=6.0)
    w.close()
    assert read_events(str(tmp_path / "bytes"))[1:] == ours[:3]


@pytest.mark.parametrize(
    "profile, error, match",
    [
        (b"\xff\xff\xff", ValueError, "graph: expected a serialized GraphDef"),
        ((b"", b"\x0a\x05\xff"), ValueError, "run_metadata: expected a serialized RunMetadata"),
        (42, TypeError, "graph_profile: expected a protobuf message or bytes, got int"),
    ],
)
def test_file_writer_add_graph_refuses_what_is_no_graph(tmp_path, profile, error, match):
    w = turboboard.FileWriter(str(tmp_path))
    with pytest.raises(error, match=match):
        w.add_graph(profile)
    w.close()
    assert [e.WhichOneof("what") for e in read_events(str(tmp_path))] == ["file_version"]


def test_verbose_prints_the_traced_graph_as_torch_does(tmp_path, capsys):
    model, args = SmallCNN(), torch.randn(1, 1, 8, 8)
    write_with("torch", str(tmp_path / "torch"), lambda w: w.add_graph(model, args, verbose=True))
    theirs = capsys.readouterr().out
    write_with("turboboard", str(tmp_path / "ours"), lambda w: w.add_graph(model, args, True))
    ours = capsys.readouterr().out
    assert "aten::_convolution" in ours
    # Each trace of a module class gets a new mangled type name.
    assert re.sub(r"___torch_mangle_\d+\.", "", ours) == re.sub(
        r"___torch_mangle_\d+\.", "", theirs
    )
    write_with("turboboard", str(tmp_path / "quiet"), lambda w: w.add_graph(model, args))
    assert capsys.readouterr().out == ""


class NotTraceable(nn.Module):
    def forward(self, x):
        return "not a tensor"


@pytest.mark.parametrize(
    "model, args, error, match",
    [
        (NotTraceable(), torch.zeros(1), RuntimeError, "model: torch.jit.trace failed"),
        (DictOut(), torch.zeros(2, 3), RuntimeError, "Encountering a dict"),
        (nn.Linear(2, 2), torch.zeros(3, 3), RuntimeError, "mat1 and mat2 shapes"),
        (nn.Linear(2, 2), None, TypeError, "missing 1 required positional argument"),
        (lambda x: x, torch.zeros(1), TypeError, "model: expected a torch.nn.Module, got function"),
        ("model.pt", torch.zeros(1), TypeError, "model: expected a torch.nn.Module, got str"),
    ],
)
def test_a_model_that_cannot_be_traced_raises_and_writes_no_graph(
    logdir, model, args, error, match
):
    with turboboard.SummaryWriter(logdir) as w:
        if isinstance(model, nn.Module):
            model.train()
        with pytest.raises(error, match=match):
            w.add_graph(model, args)
        if isinstance(model, nn.Module):
            assert model.training, "the model's training mode is restored"
        # The writer goes on: a later graph is written whole.
        w.add_graph(Parameters())
    graphs = [e for e in read_events(logdir) if e.HasField("graph_def")]
    assert len(graphs) == 1
    nodes = parsed_graph(graphs[0]).node
    assert [n.op for n in nodes] == ["IO Node", "prim::GetAttr", "prim::Constant", "aten::mul"]
    assert nodes[0].name == "output/output.1"
    assert all(n.name.startswith("Parameters/") for n in nodes[1:])


def test_write_to_disk_false_traces_nothing(tmp_path):
    w = turboboard.SummaryWriter(str(tmp_path), write_to_disk=False)
    w.add_graph(NotTraceable(), torch.zeros(1))
    w.add_onnx_graph(str(tmp_path / "missing.onnx"))
    w.add_openvino_graph(str(tmp_path / "missing.xml"))
    w.close()
    assert os.listdir(tmp_path) == []


def test_missing_files_raise_file_not_found(logdir):
    with turboboard.SummaryWriter(logdir) as w:
        with pytest.raises(FileNotFoundError):
            w.add_onnx_graph(os.path.join(logdir, "missing.onnx"))
        with pytest.raises(FileNotFoundError):
            w.add_openvino_graph(os.path.join(logdir, "missing.xml"))
    assert not [e for e in read_events(logdir) if e.HasField("graph_def")]


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda w, d: w.add_onnx_graph(42), TypeError, "onnx_model_file: expected a path, got int"),
        (
            lambda w, d: w.add_onnx_graph(d / "garbage"),
            ValueError,
            "onnx_model_file: .* not an ONNX model",
        ),
        (
            lambda w, d: w.add_openvino_graph(None),
            TypeError,
            "xmlname: expected a path, got NoneType",
        ),
        (lambda w, d: w.add_openvino_graph(d / "garbage"), ValueError, "xmlname: .* is not XML"),
        (
            lambda w, d: w.add_openvino_graph("a\0b"),
            ValueError,
            "xmlname: expected a str path without NUL",
        ),
    ],
)
def test_bad_graph_files_raise_naming_the_argument(tmp_path, call, error, match):
    (tmp_path / "garbage").write_bytes(b"<net><layers>\x00\xff\xff")
    logdir = str(tmp_path / "run")
    with turboboard.SummaryWriter(logdir) as w, pytest.raises(error, match=match):
        call(w, tmp_path)
    assert [e.WhichOneof("what") for e in read_events(logdir)] == ["file_version"]


def test_add_onnx_graph_without_onnx_says_what_to_install(tmp_path, monkeypatch):
    file = onnx_model_file(tmp_path)
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if it were not installed
    with turboboard.SummaryWriter(str(tmp_path / "run")) as w:
        with pytest.raises(ImportError, match="pip install onnx"):
            w.add_onnx_graph(file)
