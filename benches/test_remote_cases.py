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
import time

import pytest
from conftest import measure
from test_cases import log_scalars, log_training

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))

_runs = itertools.count()


@pytest.fixture(scope="module")
def s3():
    pytest.importorskip("moto.server")
    from s3server import S3Server

    with S3Server() as server, server.environ():
        # Straight to moto's process: the counting proxy runs Python threads in this process,
        # which would take the GIL from the loop being timed.
        os.environ["AWS_ENDPOINT_URL"] = os.environ["S3_ENDPOINT"] = server.backend_url
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


def run_of(benchmark, destination, log):
    """One round: open, log, close. The logging alone (without the upload close() waits for)
    is recorded too, as ``log_median_s``."""
    writer_class, new_logdir = destination
    logging = []

    def run():
        writer = writer_class(new_logdir())
        start = time.perf_counter()
        log(writer)
        logging.append(time.perf_counter() - start)
        writer.close()
        benchmark.extra_info["log_median_s"] = sorted(logging)[len(logging) // 2]

    return run


@pytest.mark.benchmark(group="remote: add_scalar float x200000")
def test_add_scalar(benchmark, destination):
    measure(benchmark, run_of(benchmark, destination, log_scalars), rounds=5)


@pytest.mark.benchmark(group="remote: mixed training step x2000")
def test_mixed_training_step(benchmark, destination):
    measure(benchmark, run_of(benchmark, destination, log_training), rounds=5)
