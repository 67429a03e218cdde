"""A real TensorBoard server on 127.0.0.1 serves what turboboard wrote, through its HTTP API,
with both of its loaders (the Python one and the Rust data server)."""

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import numpy as np
import pytest
import turboboard
from conftest import decode_png


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("tb") / "demo"
    rng = np.random.default_rng(0)
    with turboboard.SummaryWriter(str(logdir)) as w:
        for step in range(5):
            w.add_scalar("loss", 1.0 / (step + 1), step)
            w.add_histogram("weights", rng.standard_normal(1000), step)
        w.add_image("sample", rng.random((3, 8, 8)), 0)
        w.add_text("notes", "hello **TensorBoard**", 0)
    return logdir.parent


@contextlib.contextmanager
def serve(logdir, load_fast, ready):
    """A TensorBoard server on 127.0.0.1 over ``logdir`` (``load_fast`` "false": the Python
    loader, "true": the Rust data server), yielded as its base URL once ``ready(base)``."""
    port = free_port()
    cmd = [
        *(sys.executable, "-m", "tensorboard.main", "--logdir", str(logdir)),
        *("--host", "127.0.0.1", "--port", str(port), "--load_fast", load_fast),
        *("--reload_interval", "1"),
    ]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            try:
                if ready(base):
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()  # its stderr ends only once it has exited
                pytest.fail(
                    f"TensorBoard did not serve the run: {proc.stderr.read().decode()[-2000:]}"
                )
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


LOADERS = {"params": ["false", "true"], "ids": ["python-loader", "data-server"]}


def demo_served(base):
    return get(base, "/data/plugin/scalars/tags").get("demo")


@pytest.fixture(scope="module", **LOADERS)
def server(request, run_dir):
    with serve(run_dir, request.param, demo_served) as base:
        yield base


def get(base, path, **params):
    url = base + path + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(url, timeout=10) as response:
        body = response.read()
    return json.loads(body) if response.headers.get_content_type() == "application/json" else body


def test_scalars(server):
    points = get(server, "/data/plugin/scalars/scalars", run="demo", tag="loss")
    assert [(p[1], pytest.approx(p[2])) for p in points] == [(s, 1.0 / (s + 1)) for s in range(5)]


def test_histograms(server):
    assert "weights" in get(server, "/data/plugin/histograms/tags")["demo"]
    series = get(server, "/data/plugin/histograms/histograms", run="demo", tag="weights")
    assert [s[1] for s in series] == list(range(5))
    assert all(sum(bucket[2] for bucket in s[2]) == 1000 for s in series)


def test_images(server):
    (entry,) = get(server, "/data/plugin/images/images", run="demo", tag="sample", sample=0)
    assert entry["step"] == 0
    png = get(server, "/data/plugin/images/individualImage?" + entry["query"])
    assert decode_png(png).shape == (8, 8, 3)


def test_text(server):
    assert "notes/text_summary" in get(server, "/data/plugin/text/tags")["demo"]
    (entry,) = get(server, "/data/plugin/text/text", run="demo", tag="notes/text_summary")
    assert "<strong>TensorBoard</strong>" in entry["text"]
