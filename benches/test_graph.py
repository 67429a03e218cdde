"""add_graph head to head: tracing a small CNN with torch.jit.trace, walking its graph and
writing the GraphDef. Tracing dominates, so the three libraries should be close; this watches
that turboboard's walk and Rust encoding add nothing."""

import pytest
import torch
from conftest import measure
from torch import nn


def small_cnn() -> nn.Module:
    blocks = [nn.Sequential(nn.Conv2d(16, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU())]
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1),
        *(blocks * 8),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(16, 10),
    )


@pytest.mark.benchmark(group="add_graph small CNN (8 conv blocks) x5")
def test_add_graph(benchmark, writer_class, new_logdir):
    model, images = small_cnn(), torch.randn(2, 3, 32, 32)

    def run():
        writer = writer_class(new_logdir())
        for _ in range(5):
            writer.add_graph(model, images)
        writer.close()

    measure(benchmark, run, rounds=3)
