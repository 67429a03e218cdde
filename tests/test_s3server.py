"""The S3 test server itself (tests/s3server.py), and what TensorBoard does with an s3:// logdir:
the ground the remote log directories stand on."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

botocore = pytest.importorskip("botocore")


def _client_error(call) -> tuple[int, str]:
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call()
    response = info.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def test_outage_keeps_the_data_and_the_port(s3_server):
    client = s3_server.client()
    port = s3_server.port
    client.put_object(Bucket=s3_server.bucket, Key="outage/before", Body=b"kept")
    with s3_server.outage():
        with pytest.raises(botocore.exceptions.EndpointConnectionError):
            client.put_object(Bucket=s3_server.bucket, Key="outage/during", Body=b"x")
        assert s3_server.keys("outage/") == ["outage/before"]  # moto itself is still there
    assert s3_server.port == port
    client.put_object(Bucket=s3_server.bucket, Key="outage/after", Body=b"x")
    assert s3_server.keys("outage/") == ["outage/after", "outage/before"]
    assert s3_server.read("outage/before") == b"kept"


def test_conditional_puts_are_honoured(s3_server):
    """object_store's PutMode::Create sends If-None-Match: *, PutMode::Update If-Match."""
    client, bucket = s3_server.client(), s3_server.bucket
    first = client.put_object(Bucket=bucket, Key="cond/k", Body=b"1", IfNoneMatch="*")
    assert _client_error(
        lambda: client.put_object(Bucket=bucket, Key="cond/k", Body=b"2", IfNoneMatch="*")
    ) == (412, "PreconditionFailed")
    second = client.put_object(Bucket=bucket, Key="cond/k", Body=b"3", IfMatch=first["ETag"])
    assert second["ETag"] != first["ETag"]
    assert _client_error(
        lambda: client.put_object(Bucket=bucket, Key="cond/k", Body=b"4", IfMatch=first["ETag"])
    ) == (412, "PreconditionFailed")
    assert _client_error(
        lambda: client.put_object(Bucket=bucket, Key="cond/none", Body=b"5", IfMatch=first["ETag"])
    ) == (404, "NoSuchKey")
    assert s3_server.read("cond/k") == b"3"


def test_injected_errors_and_stalls(s3_server):
    client, bucket = s3_server.client(), s3_server.bucket
    try:
        s3_server.fail_with(403, times=1)
        assert _client_error(
            lambda: client.put_object(Bucket=bucket, Key="fault/a", Body=b"x")
        ) == (403, "AccessDenied")
        client.put_object(Bucket=bucket, Key="fault/a", Body=b"x")  # only once

        s3_server.fail_with(503, methods=("PUT",))
        assert _client_error(
            lambda: client.put_object(Bucket=bucket, Key="fault/b", Body=b"x")
        ) == (503, "SlowDown")
        client.get_object(Bucket=bucket, Key="fault/a")  # GETs go through
        s3_server.clear_faults()

        s3_server.stall()
        threading.Timer(0.5, s3_server.resume).start()
        start = time.monotonic()
        client.head_object(Bucket=bucket, Key="fault/a")
        assert time.monotonic() - start >= 0.4
    finally:
        s3_server.clear_faults()


def test_the_proxy_counts_what_clients_send(s3_server):
    s3_server.reset_stats()
    s3_server.client().put_object(Bucket=s3_server.bucket, Key="count/a", Body=b"x" * 12345)
    stats = s3_server.stats()
    assert stats.puts == 1
    assert stats.put_body_bytes == 12345
    assert stats.request_bytes > 12345  # and the headers
    assert stats.log[-1].method == "PUT" and stats.log[-1].target.endswith("/count/a")


def test_tensorboard_reads_an_s3_run_of_tensorboardx(s3_url):
    tensorboardX = pytest.importorskip("tensorboardX")
    from tensorboard.backend.event_processing import event_accumulator

    writer = tensorboardX.SummaryWriter(s3_url)
    for step in range(50):
        writer.add_scalar("loss", step / 2, step)
    writer.close()
    acc = event_accumulator.EventAccumulator(s3_url)
    acc.Reload()
    assert [(s.step, s.value) for s in acc.Scalars("loss")] == [(i, i / 2) for i in range(50)]


def test_real_tensorboard_serves_an_s3_logdir(s3_url):
    """``tensorboard --logdir s3://...`` with the default ``--load_fast=auto``: its Rust data
    server takes only local and gs:// paths, so TensorBoard falls back to the Python loader
    by itself, which reads S3 through boto3 (endpoint from S3_ENDPOINT)."""
    tensorboardX = pytest.importorskip("tensorboardX")
    from s3server import free_port

    with tensorboardX.SummaryWriter(s3_url + "/train") as writer:
        for step in range(20):
            writer.add_scalar("loss", 1.0 / (step + 1), step)
    port = free_port()
    cmd = [sys.executable, "-m", "tensorboard.main", "--logdir", s3_url]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--reload_interval", "1"]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}/data/plugin/scalars/scalars?run=train&tag=loss"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    points = json.load(response)
                break
            except (urllib.error.HTTPError, OSError):  # not up, or the run not loaded yet
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    pytest.fail(f"TensorBoard served nothing: {proc.stderr.read()[-2000:]!r}")
                time.sleep(0.5)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    assert [(step, value) for _, step, value in points] == [
        (i, pytest.approx(1.0 / (i + 1))) for i in range(20)
    ]


def _record(data: bytes) -> bytes:
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

    header = struct.pack("<Q", len(data))
    return (
        header
        + struct.pack("<I", masked_crc32c(header))
        + data
        + struct.pack("<I", masked_crc32c(data))
    )


def _scalars(steps, file_version=False) -> bytes:
    from tensorboard.compat.proto import event_pb2, summary_pb2

    out = b""
    if file_version:
        out += _record(
            event_pb2.Event(wall_time=1, file_version="brain.Event:2").SerializeToString()
        )
    for step in steps:
        value = summary_pb2.Summary.Value(tag="x", simple_value=step)
        event = event_pb2.Event(wall_time=1, step=step, summary=summary_pb2.Summary(value=[value]))
        out += _record(event.SerializeToString())
    return out


def test_tensorboard_reads_rotated_objects_once_each(s3_url, s3_server):
    """How TensorBoard's DirectoryWatcher reads a run on S3 made of several event objects:
    in name order, the last one tailed with byte ranges from where it stopped (a re-uploaded,
    longer object adds only its new records), and an object it has moved past never read
    again (on cloud paths it does not even look for out-of-order writes)."""
    from tensorboard.backend.event_processing import (
        directory_watcher,
        event_file_loader,
        io_wrapper,
    )

    client, bucket = s3_server.client(), s3_server.bucket
    run = s3_url[len(f"s3://{bucket}/") :]
    name = run + "/events.out.tfevents.1.host.1.0.{:06d}"
    watcher = directory_watcher.DirectoryWatcher(
        s3_url, event_file_loader.EventFileLoader, io_wrapper.IsSummaryEventsFile
    )

    def load():
        s3_server.reset_stats()
        steps = [e.step for e in watcher.Load() if e.HasField("summary")]
        return steps, s3_server.stats().log

    client.put_object(Bucket=bucket, Key=name.format(0), Body=_scalars(range(10), True))
    client.put_object(Bucket=bucket, Key=name.format(1), Body=_scalars(range(10, 20)))
    assert load()[0] == list(range(20))

    grown = _scalars(range(10, 30))
    client.put_object(Bucket=bucket, Key=name.format(1), Body=grown)
    steps, log = load()
    assert steps == list(range(20, 30))
    first_range = next(
        r.headers["range"] for r in log if r.method == "GET" and "range" in r.headers
    )
    assert first_range.startswith(f"bytes={len(_scalars(range(10, 20)))}-")

    # Records added to an object the watcher has left are never seen.
    client.put_object(Bucket=bucket, Key=name.format(0), Body=_scalars([*range(10), 1000], True))
    client.put_object(Bucket=bucket, Key=name.format(1), Body=_scalars(range(10, 31)))
    client.put_object(Bucket=bucket, Key=name.format(2), Body=_scalars(range(31, 35)))
    assert load()[0] == list(range(30, 35))
    assert load()[0] == []
