"""What a remote log directory costs the caller: the same workloads into a local directory and
into ``s3://`` on the test S3 server (moto on 127.0.0.1, tests/s3server.py), side by side; and
tensorboardX's S3 writer on the same server. Uploads run on turboboard's writer thread, so the
caller's time should be the local one's (the README's "Remote log directories" has the figures).

    pytest benches/test_remote_cases.py --benchmark-group-by=group
"""

from __future__ import annotations

import importlib
import itertools
import os
import sys

import numpy as np
import pytest
from conftest import measure

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))

_runs = itertools.count()
rng = np.random.default_rng(0)


@pytest.fixture(scope="module")
def s3():
    pytest.importorskip("moto.server")
    from s3server import S3Server

    with S3Server() as server, server.environ():
        yield server


@pytest.fixture(
    params=[("turboboard", "local"), ("turboboard", "s3"), ("tensorboardX", "s3")],
    ids=lambda p: f"{p[0]}-{p[1]}",
)
def destination(request, s3, tmp_path):
    library, where = request.param
    writer_class = importlib.import_module(library).SummaryWriter

    def new_logdir() -> str:
        name = f"{library}-{next(_runs)}"
        return s3.url(name) if where == "s3" else str(tmp_path / name)

    return writer_class, new_logdir


def run_of(destination, log):
    writer_class, new_logdir = destination

    def run():
        writer = writer_class(new_logdir())
        log(writer)
        writer.close()

    return run


@pytest.mark.benchmark(group="remote: add_scalar float x200000")
def test_add_scalar(benchmark, destination):
    tags = [f"train/metric_{i}" for i in range(10)]

    def log(w):
        add = w.add_scalar
        for i in range(200_000):
            add(tags[i % 10], i * 0.001, i // 10)

    measure(benchmark, run_of(destination, log), rounds=3)


@pytest.mark.benchmark(group="remote: mixed training step x2000")
def test_mixed_training_step(benchmark, destination):
    """20 scalars a step; every 100th step also a 10^6-value histogram and a 512x512 image."""
    tags = [f"train/metric_{i}" for i in range(20)]
    weights = rng.standard_normal(10**6).astype(np.float32)
    image = rng.integers(0, 256, (3, 512, 512), dtype=np.uint8)

    def log(w):
        for step in range(2000):
            for i, tag in enumerate(tags):
                w.add_scalar(tag, step * 0.001 + i, step)
            if step % 100 == 0:
                w.add_histogram("weights", weights, step)
                w.add_image("sample", image, step)

    measure(benchmark, run_of(destination, log), rounds=3)
