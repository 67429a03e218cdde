"""Remote log directories: every kind of event written to ``memory://`` and to a real S3 server
(moto on 127.0.0.1, see s3server.py), read back by TensorBoard's own readers and compared with
what tensorboardX writes to a local directory for the same calls."""

from __future__ import annotations

import os
import uuid

import numpy as np
import pytest
import turboboard
from conftest import accumulate, normalized, summary_events, write_with
from turboboard import _core

RNG = np.random.default_rng(7)
IMAGE = RNG.random((3, 8, 10), dtype=np.float32)
VALUES = RNG.normal(size=1000).astype(np.float32)


def every_kind(w) -> None:
    """One call of each common kind, with fixed wall times so that writers can be compared."""
    for step in range(5):
        w.add_scalar("loss", 1.0 / (step + 1), step, walltime=100.0 + step)
    w.add_scalars("pair", {"a": 1.0, "b": 2.0}, 3, walltime=200.0)
    w.add_histogram("weights", VALUES, 1, walltime=300.0)
    w.add_image("image", IMAGE, 2, walltime=400.0)
    w.add_text("note", "remote **markdown**", 3, walltime=500.0)
    w.add_audio("sound", np.sin(np.linspace(0, 100, 4410)).astype(np.float32), 4, 44100, 600.0)


def download(url: str, to) -> str:
    """Copies every object under ``url`` to the local folder ``to``, keeping relative names."""
    objects = _core.list_objects(url)
    assert objects, f"nothing under {url}"
    for object_url, size in objects:
        relative = object_url[len(url) :].lstrip("/")
        path = to / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        data = _core.read_object(object_url)
        assert len(data) == size
        path.write_bytes(data)
    return str(to)


def assert_same_as_tensorboardx(ours: str, tmp_path) -> None:
    assert_same_as_tensorboardx_events(summary_events(ours), tmp_path)


def assert_same_as_tensorboardx_events(mine: list, tmp_path) -> None:
    theirs = summary_events(write_with("tensorboardX", str(tmp_path / "tbx"), every_kind))
    assert len(mine) == len(theirs) > 5
    for a, b in zip(mine, theirs):
        a, b = normalized(a), normalized(b)
        for x, y in zip(a.summary.value, b.summary.value):
            if x.HasField("histo"):
                # numpy's sum of squares is a BLAS dot product: equal to rounding.
                assert x.histo.sum_squares == pytest.approx(y.histo.sum_squares, rel=1e-12)
                x.histo.sum_squares = y.histo.sum_squares
        assert a == b


def test_memory_url_holds_what_tensorboardx_writes_locally(tmp_path):
    url = f"memory://{uuid.uuid4().hex}/team/run"
    with turboboard.SummaryWriter(url) as w:
        every_kind(w)
        assert w.get_logdir() == url
    local = download(url, tmp_path / "copy")
    assert_same_as_tensorboardx(local, tmp_path)
    # add_scalars' runs beside the main one, as tensorboardX lays them out.
    assert os.path.isdir(os.path.join(local, "pair", "a")) and os.path.isdir(
        os.path.join(local, "pair", "b")
    )
    assert accumulate(os.path.join(local, "pair", "a")).Scalars("pair")[0].value == 1.0


def test_flush_is_a_barrier_for_a_remote_log_directory(tmp_path):
    url = f"memory://{uuid.uuid4().hex}/run"
    w = turboboard.SummaryWriter(url, flush_secs=3600, max_queue=1000)
    for step in range(2000):
        w.add_scalar("x", float(step), step)
    w.flush()
    events = summary_events(download(url, tmp_path / "a"))
    assert [e.step for e in events] == list(range(2000))
    w.close()


def test_an_unsupported_url_is_refused_and_nothing_is_written_locally(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for url in ("ftp://host/run", "hdfs://namenode/logs"):
        with pytest.raises(ValueError, match=r"logdir: .*s3://.*gs://.*az://.*memory://"):
            turboboard.SummaryWriter(url)
    assert os.listdir(tmp_path) == []


def test_storage_options_are_checked():
    with pytest.raises(ValueError, match="storage_options"):
        turboboard.SummaryWriter("s3://bucket/run", storage_options={"no_such_key": "1"})
    with pytest.raises(TypeError, match="storage_options"):
        turboboard.SummaryWriter("s3://bucket/run", storage_options=["aws_region"])
    for retry in ("-1", "nan", "soon"):
        with pytest.raises(ValueError, match="storage_options: retry_timeout"):
            turboboard.SummaryWriter("s3://bucket/run", storage_options={"retry_timeout": retry})
    # Longer than any duration: retried as long as the writer lives (a year), no overflow.
    for retry in ("1e20", "inf"):
        url = f"memory://{uuid.uuid4().hex}/run"
        with turboboard.SummaryWriter(url, storage_options={"retry_timeout": retry}) as w:
            w.add_scalar("x", 1.0, 0)
            w.flush()


def test_embedding_to_a_remote_log_directory(tmp_path):
    url = f"memory://{uuid.uuid4().hex}/run"
    mat = RNG.random((6, 4))
    images = RNG.random((6, 3, 4, 4))
    with turboboard.SummaryWriter(url) as w:
        w.add_embedding(mat, metadata=list("abcdef"), label_img=images, global_step=1, tag="e")
        w.add_embedding(mat, global_step=2, tag="f")
    ours = download(url, tmp_path / "ours")
    theirs = str(tmp_path / "tbx")
    import tensorboardX

    with tensorboardX.SummaryWriter(theirs) as w:
        w.add_embedding(mat, metadata=list("abcdef"), label_img=images, global_step=1, tag="e")
        w.add_embedding(mat, global_step=2, tag="f")
    for name in ("00001/e/tensors.tsv", "00001/e/metadata.tsv", "00002/f/tensors.tsv"):
        with open(os.path.join(ours, name)) as a, open(os.path.join(theirs, name)) as b:
            assert a.read() == b.read(), name
    with open(os.path.join(ours, "projector_config.pbtxt")) as f:
        config = f.read()
    assert config.count("embeddings {") == 2 and '"00001/e/sprite.png"' in config


# -- a real S3 server -------------------------------------------------------------------


def test_s3_run_is_read_by_tensorboard_from_the_store(s3_url, s3_server, tmp_path):
    with turboboard.SummaryWriter(s3_url) as w:
        every_kind(w)
    assert_same_as_tensorboardx(download_s3(s3_server, s3_url, tmp_path / "copy"), tmp_path)
    acc = accumulate(s3_url)  # TensorBoard's reader, on the store itself (boto3, S3_ENDPOINT)
    assert acc.Histograms("weights")[0].step == 1
    assert len(acc.Images("image")) == 1 and len(acc.Audio("sound")) == 1
    assert [s.value for s in acc.Scalars("loss")] == pytest.approx([1, 1 / 2, 1 / 3, 1 / 4, 1 / 5])


def test_s3_endpoint_alone_is_enough(s3_server, monkeypatch):
    """tensorboardX users set only S3_ENDPOINT (an http:// one): that is honoured."""
    env = s3_server.env()
    for key in ("AWS_ENDPOINT_URL", "AWS_ALLOW_HTTP"):
        monkeypatch.delenv(key, raising=False)
    for key in ("S3_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"):
        monkeypatch.setenv(key, env[key])
    url = s3_server.url(f"alias-{uuid.uuid4().hex}")
    with turboboard.SummaryWriter(url) as w:
        w.add_scalar("x", 1.0, 0)
    assert any("tfevents" in key for key in s3_server.keys(url.split("/", 3)[3]))


def test_storage_options_name_the_endpoint_and_keys(s3_server, monkeypatch):
    for key in s3_server.env():
        monkeypatch.delenv(key, raising=False)
    options = {
        "aws_endpoint": s3_server.endpoint_url,
        "aws_access_key_id": s3_server.access_key_id,
        "aws_secret_access_key": s3_server.secret_access_key,
        "aws_region": s3_server.region,
    }
    prefix = f"options-{uuid.uuid4().hex}"
    with turboboard.SummaryWriter(s3_server.url(prefix), storage_options=options) as w:
        w.add_scalar("x", 1.0, 0)
    assert len(s3_server.keys(prefix)) == 1


def test_uploads_grow_with_what_is_new(s3_url, s3_server):
    """2,000 flushes of one scalar each: the bytes uploaded stay within 3x the events, and there
    is at most one upload (PUT) per flush."""
    prefix = s3_url.split("/", 3)[3]
    s3_server.reset_stats()
    w = turboboard.SummaryWriter(s3_url, flush_secs=3600, max_queue=1 << 20)
    for step in range(2000):
        w.add_scalar("loss", float(step), step)
        if step % 10 == 9:
            w.flush()
    w.close()
    stats = s3_server.stats()
    stored = sum(len(s3_server.read(k)) for k in s3_server.keys(prefix))
    assert stats.puts <= 200 + 2
    assert stats.put_body_bytes <= 3 * stored + 64 * stats.puts  # bodies, plus chunk framing
    assert stored > 2000 * 20


def test_a_store_that_comes_back_loses_nothing_and_duplicates_nothing(s3_url, s3_server, tmp_path):
    w = turboboard.SummaryWriter(s3_url, flush_secs=3600)
    for step in range(100):
        w.add_scalar("x", float(step), step)
    w.flush()
    with s3_server.outage():
        for step in range(100, 200):
            w.add_scalar("x", float(step), step)
        import threading

        # The flush waits for the store instead of failing; it returns once the store is back.
        done = threading.Event()
        flusher = threading.Thread(target=lambda: (w.flush(), done.set()))
        flusher.start()
        assert not done.wait(2.0)
    flusher.join(60)
    assert done.is_set()
    w.close()
    steps = [e.step for e in summary_events(download_s3(s3_server, s3_url, tmp_path / "c"))]
    assert steps == list(range(200))


def test_a_create_whose_answer_is_lost_finds_its_own_object(s3_url, s3_server, tmp_path):
    """The store creates the run's first object, but its answer is lost (the proxy answers 503
    instead). object_store tries again and is told the object exists: the writer finds its own
    bytes there, and goes on with that object (no second one holding the same events)."""
    prefix = s3_url.split("/", 3)[3]
    s3_server.reset_stats()
    s3_server.fail_with(503, times=1, methods=("PUT",), forwarded=True)
    with turboboard.SummaryWriter(s3_url, flush_secs=3600) as w:
        for step in range(10):
            w.add_scalar("x", float(step), step)
    creates = [
        r for r in s3_server.stats().log if r.method == "PUT" and "if-none-match" in r.headers
    ]
    assert len(creates) >= 2, creates  # the one whose answer was lost, and a retry
    assert len(s3_server.keys(prefix)) == 1, s3_server.keys(prefix)
    steps = [e.step for e in summary_events(download_s3(s3_server, s3_url, tmp_path / "c"))]
    assert steps == list(range(10))


def download_s3(s3_server, url: str, to) -> str:
    prefix = url.split("/", 3)[3]
    for key in s3_server.keys(prefix):
        path = to / key[len(prefix) :].lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(s3_server.read(key))
    return str(to)


def test_wrong_credentials_and_a_missing_bucket_raise_naming_the_url(s3_url, s3_server):
    s3_server.fail_with(403)
    try:
        w = turboboard.SummaryWriter(s3_url)
        with pytest.raises(PermissionError, match=s3_url):
            w.flush()
        with pytest.raises(PermissionError):
            w.close()
    finally:
        s3_server.clear_faults()
    missing = s3_url.replace(s3_server.bucket, "no-such-bucket-" + uuid.uuid4().hex[:6])
    w = turboboard.SummaryWriter(missing)
    with pytest.raises(FileNotFoundError, match="no-such-bucket"):
        w.flush()
    with pytest.raises(FileNotFoundError):
        w.close()


def test_twenty_writers_in_one_second_get_twenty_objects(s3_url, s3_server):
    writers = [turboboard.SummaryWriter(s3_url) for _ in range(20)]
    for i, w in enumerate(writers):
        w.add_scalar("x", float(i), 0)
    for w in writers:
        w.close()
    keys = s3_server.keys(s3_url.split("/", 3)[3])
    assert len(keys) == 20
    values = sorted(
        e.summary.value[0].simple_value
        for k in keys
        for e in events_of(s3_server.read(k))
        if e.HasField("summary")
    )
    assert values == [float(i) for i in range(20)]


def events_of(data: bytes):
    from tensorboard.compat.proto import event_pb2

    out, offset = [], 0
    while offset < len(data):
        length = int.from_bytes(data[offset : offset + 8], "little")
        out.append(event_pb2.Event.FromString(data[offset + 12 : offset + 12 + length]))
        offset += 12 + length + 4
    return out


# -- gs:// and az://: no emulator installs here (see tests/cloudfakes.py); small fakes of the
# -- two services' HTTP APIs stand in, talked to by object_store's real clients.


@pytest.mark.parametrize("service", ["gcs", "azure"])
def test_gs_and_az_runs_hold_what_tensorboardx_writes(service, request, tmp_path):
    url = request.getfixturevalue(f"{service}_url")
    server = request.getfixturevalue(f"{service}_server")
    with turboboard.SummaryWriter(url) as w:
        every_kind(w)
        w.flush()
        with server.outage():
            w.add_scalar("after", 1.0, 9)  # waits in memory, uploaded once the service is back
    prefix = url.split("/", 3)[3]
    copy = tmp_path / "copy"
    for key in server.keys(prefix):
        path = copy / key[len(prefix) :].lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(server.read(key))
    events = summary_events(str(copy))
    assert events[-1].summary.value[0].tag == "after"
    assert_same_as_tensorboardx_events(events[:-1], tmp_path)


def test_close_on_a_stuck_store_is_bounded_interruptible_and_never_reported_done(s3_url, s3_server):
    import signal
    import threading
    import time

    w = turboboard.SummaryWriter(s3_url)
    w.add_scalar("x", 1.0, 0)
    w.flush()
    w.add_scalar("x", 2.0, 1)
    s3_server.stall()  # requests are taken and never answered
    # Python's own Ctrl-C handler, even where the runner started with SIGINT ignored (a
    # background job of a shell without job control).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        start = time.monotonic()
        with pytest.raises(TimeoutError):
            w.close(timeout=1)
        with pytest.raises(TimeoutError):  # not closed: a second close() must not succeed
            w.close(timeout=0.5)
        assert time.monotonic() - start < 10
        timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        start = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            w.close()  # no timeout: Ctrl-C still gets through
        assert time.monotonic() - start < 10
    finally:
        signal.signal(signal.SIGINT, previous)
        s3_server.resume()
    w.close()
    keys = s3_server.keys(s3_url.split("/", 3)[3])
    steps = [e.step for k in keys for e in events_of(s3_server.read(k)) if e.HasField("summary")]
    assert steps == [0, 1]


def test_dropping_a_writer_whose_close_timed_out_never_holds_python_up(
    s3_url, s3_server, monkeypatch
):
    """Garbage collected after its close() timed out on a stuck store, a writer is closed once
    more at exit's bounded wait (the GIL released), and then never waits again while Python
    frees it (the GIL held: every thread would stop)."""
    import gc
    import threading
    import time
    import warnings

    import turboboard._process

    monkeypatch.setattr(turboboard._process, "_EXIT_TIMEOUT_SECS", 1.0)
    w = turboboard.SummaryWriter(s3_url)
    w.add_scalar("x", 0.0, 0)
    w.flush()
    s3_server.stall()
    try:
        w.add_scalar("x", 1.0, 1)
        with pytest.raises(TimeoutError):
            w.close(timeout=0.5)
        gaps, stop = [], threading.Event()

        def tick():
            last = time.monotonic()
            while not stop.wait(0.01):
                now = time.monotonic()
                gaps.append(now - last)
                last = now

        ticker = threading.Thread(target=tick)
        ticker.start()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            del w
            gc.collect()
        stop.set()
        ticker.join()
        # Told, not silent: the events of step 1 may be lost.
        assert any("may be lost" in str(c.message) for c in caught), caught
        # Without this, the drop waited 10 s with the GIL held; a full gc.collect() of the
        # test process alone can hold it for half a second.
        assert max(gaps) < 3, max(gaps)
    finally:
        s3_server.resume()


def _get_json(url: str):
    import json
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def test_tensorboard_serves_an_s3_run_while_it_is_written_and_after(s3_url):
    """The real ``tensorboard`` server on the s3:// log directory (its Python loader, through
    boto3): every event once, while the writer runs (the last object grows under it) and after
    it closed."""
    import time

    from test_tensorboard_server import serve

    w = turboboard.SummaryWriter(s3_url + "/train", flush_secs=3600)
    for step in range(50):
        w.add_scalar("loss", float(step), step)
    w.add_histogram("weights", VALUES, 1)
    w.add_image("image", IMAGE, 2)
    w.add_text("note", "remote", 3)
    w.flush()
    scalars = "/data/plugin/scalars/scalars?run=train&tag=loss"

    def steps(base):
        return [step for _, step, _ in _get_json(base + scalars)]

    def shows(n):
        return lambda base: len(steps(base)) >= n

    with serve(s3_url, "false", shows(50)) as base:
        assert steps(base) == list(range(50))
        for step in range(50, 100):
            w.add_scalar("loss", float(step), step)
            if step % 10 == 9:
                w.flush()  # five more uploads into the object TensorBoard is tailing
        deadline = time.monotonic() + 60
        while len(steps(base)) < 100 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert steps(base) == list(range(100))
        w.add_scalar("loss", 100.0, 100)
        w.close()
        deadline = time.monotonic() + 60
        while len(steps(base)) < 101 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert steps(base) == list(range(101))
        histograms = _get_json(base + "/data/plugin/histograms/histograms?run=train&tag=weights")
        assert [h[1] for h in histograms] == [1]
        images = _get_json(base + "/data/plugin/images/images?run=train&tag=image&sample=0")
        assert [i["step"] for i in images] == [2]
        texts = _get_json(base + "/data/plugin/text/text?run=train&tag=note/text_summary")
        assert [t["step"] for t in texts] == [3]


def _run_python(code: str, env: dict, timeout: float = 120):
    import subprocess
    import sys

    return subprocess.Popen(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigkill_right_after_flush_loses_nothing_flushed(s3_url, s3_server, tmp_path):
    import signal

    code = f"""
import sys, time, turboboard
w = turboboard.SummaryWriter({s3_url!r}, flush_secs=3600, max_queue=1000)
for step in range(3000):
    w.add_scalar("x", float(step), step)
w.flush()
print("flushed", flush=True)
for step in range(3000, 3100):
    w.add_scalar("x", float(step), step)
time.sleep(60)
"""
    proc = _run_python(code, s3_server.env())
    try:
        assert proc.stdout.readline().strip() == "flushed", proc.stderr.read()
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(30)
    steps = [e.step for e in summary_events(download_s3(s3_server, s3_url, tmp_path / "k"))]
    assert steps[:3000] == list(range(3000))


def test_a_store_gone_for_good_is_reported_at_exit_in_bounded_time(s3_server):
    import time

    from s3server import free_port

    code = """
import turboboard
w = turboboard.SummaryWriter("s3://bucket/run", storage_options={"retry_timeout": "2"})
w.add_scalar("x", 1.0, 0)
"""
    env = {**s3_server.env(), "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    start = time.monotonic()
    proc = _run_python(code, env)
    _, stderr = proc.communicate(timeout=120)
    assert time.monotonic() - start < 60
    assert "may be lost" in stderr and "s3://bucket/run" in stderr, stderr


def test_a_forked_child_uploads_its_own_stream_with_its_own_client(s3_url, s3_server, tmp_path):
    w = turboboard.SummaryWriter(s3_url, flush_secs=3600)
    w.add_scalar("x", 1.0, 1)
    w.flush()
    w.add_scalar("x", 2.0, 2)  # not flushed at the fork: the parent's, never the child's
    pid = os.fork()
    if pid == 0:
        try:
            w.add_scalar("x", 10.0, 10)
            w.close()
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    w.add_scalar("x", 3.0, 3)
    w.close()
    keys = s3_server.keys(s3_url.split("/", 3)[3])
    by_stream: dict[str, list[int]] = {}
    for key in keys:
        stream = key.rsplit(".", 1)[0]  # the name without its segment number
        events = events_of(s3_server.read(key))
        by_stream.setdefault(stream, []).extend(e.step for e in events if e.HasField("summary"))
    assert sorted(by_stream.values()) == [[1, 2, 3], [10]]


def test_forks_while_another_thread_waits_for_a_flush_never_hang_the_child(s3_url, s3_server):
    """A thread waits in flush() (the store stalls) while the main thread forks: each child
    logs at once, never blocked by a lock the waiting thread held at the fork."""
    import threading
    import time

    w = turboboard.SummaryWriter(s3_url, flush_secs=3600)
    w.add_scalar("x", 1.0, 0)
    s3_server.stall()
    waiting = threading.Thread(target=w.flush, daemon=True)
    try:
        waiting.start()
        time.sleep(0.3)
        for _ in range(20):
            pid = os.fork()
            if pid == 0:
                try:
                    w.add_scalar("x", 2.0, 1)
                    w.add_histogram("h", VALUES, 1)
                finally:
                    os._exit(0)
            deadline = time.monotonic() + 20
            while os.waitpid(pid, os.WNOHANG) == (0, 0):
                if time.monotonic() > deadline:
                    os.kill(pid, 9)
                    os.waitpid(pid, 0)
                    pytest.fail("a forked child hung on a lock inherited from the waiting thread")
                time.sleep(0.01)
            time.sleep(0.05)
    finally:
        s3_server.resume()
    waiting.join(60)
    w.close()


LABELS = RNG.integers(0, 2, 50)
PREDICTIONS = RNG.random(50)
VERTICES = RNG.random((1, 20, 3))


def plugin_kinds(w) -> None:
    w.add_pr_curve("pr", LABELS, PREDICTIONS, 1, walltime=700.0)
    w.add_mesh("mesh", VERTICES, global_step=1, walltime=800.0)
    boxes = np.array([[1.0, 1.0, 6.0, 5.0]])
    w.add_image_with_boxes("boxes", IMAGE, boxes, 1, walltime=900.0)
    w.add_custom_scalars_multilinechart(["loss"], title="curves")
    w.add_hparams({"lr": 0.1, "opt": "adam"}, {"hparam/acc": 0.9}, name="hp")


def test_plugin_kinds_to_a_remote_log_directory(tmp_path):
    """PR curves, meshes, boxes, custom scalars and hparams (with its run beside the main one):
    the same events as tensorboardX's, but for wall times the anchors stamp themselves, map
    order and PNG bytes (decoded pixels compared)."""
    from plugin_events import comparable

    url = f"memory://{uuid.uuid4().hex}/run"
    with turboboard.SummaryWriter(url) as w:
        plugin_kinds(w)
    ours = download(url, tmp_path / "ours")
    theirs = write_with("tensorboardX", str(tmp_path / "tbx"), plugin_kinds)
    for run in ("", "hp"):
        mine = summary_events(os.path.join(ours, run))
        other = summary_events(os.path.join(theirs, run))
        assert mine and len(mine) == len(other), run
        for a, b in zip(mine, other):
            assert comparable(normalized(a)) == comparable(normalized(b))
