"""Shared test tools: the three writers side by side, and TensorBoard's own readers."""

from __future__ import annotations

import glob
import io
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import turboboard
from tensorboard.backend.event_processing import event_accumulator, event_file_loader
from tensorboard.compat.proto import event_pb2


def _tensorboardx():
    import tensorboardX

    return tensorboardX.SummaryWriter


def _torch():
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter


WRITERS: dict[str, Callable[[], type]] = {
    "turboboard": lambda: turboboard.SummaryWriter,
    "tensorboardX": _tensorboardx,
    "torch": _torch,
}


def event_files(logdir: str) -> list[str]:
    """The event files directly in ``logdir``, in the order TensorBoard reads them."""
    return sorted(glob.glob(os.path.join(logdir, "*tfevents*")))


def read_events(logdir: str) -> list[event_pb2.Event]:
    """Every event of every file in ``logdir``, read by TensorBoard's record reader (which
    checks both CRCs of every record), without TensorBoard's data migrations."""
    events = []
    for path in event_files(logdir):
        events.extend(event_file_loader.LegacyEventFileLoader(path).Load())
    return events


def summary_events(logdir: str) -> list[event_pb2.Event]:
    """The events of ``logdir`` that carry summaries."""
    return [e for e in read_events(logdir) if e.HasField("summary")]


def accumulate(logdir: str) -> event_accumulator.EventAccumulator:
    """TensorBoard's own view of a run (with its data migrations applied)."""
    acc = event_accumulator.EventAccumulator(
        logdir,
        size_guidance={
            k: 0
            for k in ("scalars", "histograms", "images", "tensors", "audio", "compressedHistograms")
        },
    )
    return acc.Reload()


def write_with(name: str, logdir: str, calls: Callable[[Any], None], **kwargs: Any) -> str:
    """Runs ``calls(writer)`` with the writer of library ``name`` on ``logdir``, then closes."""
    writer_class = WRITERS[name]()
    writer = writer_class(logdir, **kwargs)
    try:
        calls(writer)
    finally:
        writer.close()
    return logdir


def decode_png(data: bytes) -> np.ndarray:
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    # turboboard stores an RGB image of at most 256 colours with a palette: viewers show its
    # colours, and so does this.
    if image.mode == "P":
        image = image.convert("RGB")
    return np.asarray(image)


def normalized(event: event_pb2.Event) -> event_pb2.Event:
    """A copy of ``event`` comparable across writers: encoded images are replaced by their
    decoded pixels' bytes (PNG encoders differ, pixels must not)."""
    copy = event_pb2.Event()
    copy.CopyFrom(event)
    for value in copy.summary.value:
        if value.HasField("image"):
            pixels = decode_png(value.image.encoded_image_string)
            value.image.encoded_image_string = pixels.tobytes() + str(pixels.shape).encode()
    return copy


def assert_same_events(
    tmp_path, calls: Callable[[Any], None], anchor: str = "tensorboardX"
) -> list:
    """Writes with turboboard and with ``anchor``, and asserts the summary events are equal
    field by field (wall times included: ``calls`` should pass them). Returns turboboard's."""
    ours = summary_events(write_with("turboboard", str(tmp_path / "turboboard"), calls))
    theirs = summary_events(write_with(anchor, str(tmp_path / anchor), calls))
    assert len(ours) == len(theirs)
    for mine, other in zip(ours, theirs):
        assert normalized(mine) == normalized(other), f"\nturboboard: {mine}\n{anchor}: {other}"
    assert ours, "the calls wrote no summary: the comparison proved nothing"
    return ours


@pytest.fixture
def logdir(tmp_path) -> str:
    return str(tmp_path / "run")


@pytest.fixture(scope="session")
def s3_server():
    """A real S3 server (moto, behind a proxy that can cut it: see tests/s3server.py) with a
    bucket, for the session. Skips the test when moto[server] or boto3 is not installed."""
    pytest.importorskip("boto3")
    pytest.importorskip("moto.server")
    from s3server import S3Server

    with S3Server() as server:
        yield server


def _fresh_url(server, request):
    """A fresh prefix on ``server`` for one test, with ``server.env()`` in ``os.environ``; the
    server is up and fault-free again after the test."""
    import re
    import uuid

    prefix = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)[:60] + "-" + uuid.uuid4().hex[:8]
    with server.environ():
        yield server.url(prefix)
    server.clear_faults()


@pytest.fixture
def s3_url(s3_server, request) -> str:
    """A fresh ``s3://bucket/prefix`` for one test (see ``_fresh_url``)."""
    yield from _fresh_url(s3_server, request)


@pytest.fixture(scope="session")
def gcs_server():
    """A fake of GCS's XML API for object_store's gs:// client (tests/cloudfakes.py)."""
    from cloudfakes import FakeGCS

    with FakeGCS() as server:
        yield server


@pytest.fixture
def gcs_url(gcs_server, request) -> str:
    """A fresh ``gs://bucket/prefix`` for one test (see ``_fresh_url``)."""
    yield from _fresh_url(gcs_server, request)


@pytest.fixture(scope="session")
def azure_server():
    """A fake of Azure Blob at Azurite's address for object_store's az:// client
    (tests/cloudfakes.py)."""
    from cloudfakes import FakeAzure

    with FakeAzure() as server:
        yield server


@pytest.fixture
def azure_url(azure_server, request) -> str:
    """A fresh ``az://container/prefix`` for one test (see ``_fresh_url``)."""
    yield from _fresh_url(azure_server, request)
