"""add_graph, add_onnx_graph, add_openvino_graph and FileWriter.add_graph: the GraphDef (node
names, ops, edges, devices, attributes, shapes) and run metadata events parse to what
tensorboardX and torch write for the same model."""

from __future__ import annotations

import os

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


# model, input, use_strict_trace
MODELS = {
    "linear": (lambda: nn.Linear(4, 3), torch.randn(2, 4), True),
    "cnn": (SmallCNN, torch.randn(2, 1, 8, 8), True),
    "two_in_two_out": (TwoInTwoOut, (torch.randn(5, 3), torch.randn(5, 3), torch.zeros(1)), True),
    "dict_out": (DictOut, torch.randn(4, 3), False),
    "int_input": (lambda: nn.Embedding(10, 3), torch.tensor([[1, 2], [3, 4]]), True),
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
