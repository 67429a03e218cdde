"""Reliability: what turboboard promises when processes die, disks fill, stall or vanish, and
many threads or processes write at once. Each scenario (tests/scenarios.py) runs in a
subprocess with a timeout, so a hang fails the test instead of stalling the suite; run
``python tests/scenarios.py`` for the same scenarios against tensorboardX and torch."""

from __future__ import annotations

import errno
import importlib.util
import os
import time

import pytest
import scenarios
import turboboard
from conftest import accumulate, event_files, summary_events

LIB = "turboboard"


def _mounted(fn, *args):
    try:
        return fn(*args)
    except scenarios.MountUnavailable as e:
        pytest.skip(f"needs root and a kernel that lets it mount: {e}")


def assert_valid(files: scenarios.Files, tails=("clean",)) -> None:
    """Every file holds whole records that pass both CRCs, ending as ``tails`` allows, and
    TensorBoard's reader loads every one of them."""
    assert files.paths, "no event file was written"
    assert all(t in tails for t in files.tails), files.tails
    assert files.loaded == files.records


def test_sigkill_right_after_flush_loses_nothing(tmp_path):
    outcome = scenarios.sigkill_after_flush(LIB, str(tmp_path))
    assert outcome.returncode == -9
    assert_valid(outcome.files)
    assert outcome.files.steps("x") == list(range(20_000))


@pytest.mark.parametrize("delay", [0.05, 0.3, 0.8])
def test_sigkill_at_any_moment_leaves_whole_records(tmp_path, delay):
    outcome = scenarios.sigkill_while_logging(LIB, str(tmp_path), delay)
    # At most a cleanly truncated tail; what is there is a prefix of what was logged.
    assert_valid(outcome.files, tails=("clean", "truncated"))
    steps = outcome.files.steps("x")
    assert steps == list(range(len(steps)))


def test_exit_on_a_stuck_disk_is_bounded(tmp_path):
    outcome = _mounted(scenarios.exit_on_stuck_disk, LIB, str(tmp_path))
    assert not outcome.hung, outcome.stderr
    # The exit timeout (2 s in the scenario) and nothing more; the loss is reported.
    assert float(outcome.marks()["exited"]) < 10
    assert "may be lost" in outcome.stderr


def test_close_on_a_stuck_disk_times_out_is_interruptible_and_never_reported_done(tmp_path):
    outcome = _mounted(scenarios.close_on_stuck_disk, LIB, str(tmp_path))
    assert not outcome.hung, outcome.stderr
    marks = outcome.marks()
    # close(timeout=1) and then close(timeout=0.5): both time out, the second too (the first did
    # not close the writer); close() without a timeout ends at Ctrl-C.
    assert float(marks["timeout1"]) < 3 and float(marks["timeout2"]) < 3, marks
    assert float(marks["interrupted"]) < 3, marks


def test_a_failed_sync_on_the_way_raises_eio_at_the_next_flush(tmp_path):
    # The writer syncs every MiB in the background: a disk that lost data says so there,
    # long before close().
    outcome = _mounted(scenarios.failing_sync, LIB, str(tmp_path))
    assert not outcome.hung
    marks = outcome.marks()
    assert marks["raised"].startswith("OSError") and marks["errno"] == str(errno.EIO), marks
    assert float(marks["after"]) < 5
    assert marks["close"] == "OSError"


@pytest.mark.parametrize("mode", ["scalars", "flush", "periodic"])
def test_disk_full_raises_enospc_at_once_and_keeps_the_file_valid(tmp_path, mode):
    outcome = _mounted(scenarios.disk_full, LIB, str(tmp_path), mode)
    assert not outcome.hung
    marks = outcome.marks()
    assert marks["raised"].startswith("OSError") and marks["errno"] == str(errno.ENOSPC), marks
    assert float(marks["after"]) < 5
    assert marks["close"] == "OSError"  # the error is reported again, not swallowed
    # The failed write was cut back: whole records only, a prefix of what was logged.
    assert_valid(outcome.files)
    steps = outcome.files.steps("x")
    assert steps and steps == list(range(len(steps)))


@pytest.mark.parametrize("periodic", [False, True], ids=["flush", "flush_secs"])
def test_removed_logdir_raises_within_a_flush_interval(tmp_path, periodic):
    outcome = scenarios.removed_logdir(LIB, str(tmp_path), periodic)
    marks = outcome.marks()
    assert marks["raised"].startswith("FileNotFoundError"), marks
    assert float(marks["after"]) < 2
    assert marks["recreated"] == "False"


def test_removed_logdir_is_reported_at_exit(tmp_path):
    outcome = scenarios.removed_logdir_at_exit(LIB, str(tmp_path))
    assert outcome.returncode == 0
    assert "may be lost" in outcome.stderr and "FileNotFoundError" in outcome.stderr


def test_removed_logdir_error_has_errno(tmp_path):
    import shutil

    logdir = tmp_path / "run"
    w = turboboard.SummaryWriter(str(logdir))
    shutil.rmtree(logdir)
    w.add_scalar("x", 1.0, 0)
    with pytest.raises(FileNotFoundError) as info:
        w.flush()
    assert info.value.errno == errno.ENOENT
    with pytest.raises(FileNotFoundError):
        w.close()


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_multiprocessing_children_write_their_own_files(tmp_path, method):
    outcome = scenarios.multiprocessing_children(LIB, str(tmp_path), method)
    assert outcome.returncode == 0, outcome.stderr
    assert_valid(outcome.files)
    files = outcome.files
    assert files.steps("parent") == [0, 1]
    assert sorted(files.steps("child")) == list(range(8))
    parent_file = next(v for v in files.values if ("parent", 0) in v)
    assert all(t == "parent" for t, _ in parent_file)


def test_forked_pool_workers_keep_what_they_logged_without_flush(tmp_path):
    # Pool workers end with os._exit (no atexit): multiprocessing's exit hook closes the files.
    outcome = scenarios.multiprocessing_children(LIB, str(tmp_path), "fork", flush=False)
    assert outcome.returncode == 0, outcome.stderr
    assert_valid(outcome.files)
    assert outcome.files.steps("parent") == [0, 1]
    assert sorted(outcome.files.steps("child")) == list(range(8))


@pytest.mark.parametrize(
    "context, flush",
    [("fork", True), ("fork", False), ("spawn", True)],
    ids=["fork", "fork_no_flush", "spawn"],
)
def test_dataloader_workers_log_without_hanging(tmp_path, context, flush):
    outcome = scenarios.dataloader_workers(LIB, str(tmp_path), context, flush)
    assert outcome.returncode == 0, outcome.stderr
    assert outcome.marks()["total"] == str(float(sum(range(16))))
    assert_valid(outcome.files)
    files = outcome.files
    assert sorted(files.steps("item")) == list(range(16))
    # The workers wrote their own files; the parent's holds only its own event.
    assert len(files.paths) >= 3
    assert [v for v in files.values if ("total", 0) in v] == [[("total", 0)]]


def test_threads_logging_every_kind_into_one_writer(tmp_path):
    outcome = scenarios.threads_one_writer(LIB, str(tmp_path))
    assert outcome.returncode == 0, outcome.stderr
    assert_valid(outcome.files)
    for t in range(8):
        assert outcome.files.steps(f"s{t}") == list(range(2000))
        assert outcome.files.steps(f"h{t}") == list(range(0, 2000, 50))
        assert outcome.files.steps(f"t{t}/text_summary") == list(range(0, 2000, 50))


@pytest.mark.parametrize("processes", [False, True], ids=["one_process", "20_processes"])
def test_writers_opened_in_one_second_never_share_a_file(tmp_path, processes):
    outcome = scenarios.writers_in_one_second(LIB, str(tmp_path), processes)
    assert outcome.returncode == 0, outcome.stderr
    files = outcome.files
    assert len(files.paths) == 20
    assert_valid(files)
    # Each file holds one writer's 100 events, whole.
    assert sorted(sorted({t for t, _ in v}) for v in files.values) == sorted(
        [f"w{k}"] for k in range(20)
    )
    for k in range(20):
        assert files.steps(f"w{k}") == list(range(100))
    if processes:
        seconds = {os.path.basename(p).split(".")[3] for p in files.paths}
        assert len(seconds) <= 2  # they really were opened together


def test_close_twice_calls_after_close_and_flush_from_threads(tmp_path):
    outcome = scenarios.close_flush_misuse(LIB, str(tmp_path))
    assert outcome.returncode == 0, outcome.stderr
    # Documented: close() is idempotent; flush() after close() does nothing; logging after
    # close() starts a new file (tensorboardX's behaviour), which close() then closes.
    assert outcome.marks() == {
        "flush_after_close": "ok",
        "scalar_after_close": "ok",
        "close_after_close": "ok",
    }
    assert_valid(outcome.files)
    for t in range(8):
        assert outcome.files.steps(f"s{t}") == list(range(500))
    assert outcome.files.steps("after") == [1]


def test_slow_disk_bounds_memory_and_waits_without_the_gil(tmp_path):
    outcome = _mounted(scenarios.slow_disk_producer, LIB, str(tmp_path))
    assert outcome.returncode == 0, outcome.stderr
    marks = outcome.marks()
    # 40 MiB went to a disk slower than the producer through a 2 MiB queue: the producer
    # waited, memory grew by a few queues' worth (not 60 MiB), and while it waited the other
    # Python thread ran.
    assert float(marks["longest"]) > 0.02
    assert float(marks["peak_mb"]) < 16
    assert int(marks["spins_while_blocked"]) > 1000
    assert_valid(outcome.files)
    assert outcome.files.steps("t/text_summary") == list(range(40))


def test_forks_while_threads_wait_on_a_slow_disk_never_hang_the_children(tmp_path):
    outcome = _mounted(scenarios.fork_while_threads_wait, LIB, str(tmp_path))
    assert outcome.returncode == 0, outcome.stderr
    marks = outcome.marks()
    # No child blocked on a lock a waiting thread held at the fork; the threads kept waiting
    # and getting through meanwhile.
    assert marks["children"] == ",".join(["0"] * 20), marks
    assert int(marks["flushes"]) > 0 and int(marks["texts"]) > 0, marks
    assert_valid(outcome.files)
    assert sorted(outcome.files.steps("child")) == list(range(20))
    assert sorted(outcome.files.steps("h")) == list(range(20))
    # Each child wrote its own file, and only its own events.
    child_files = [v for v in outcome.files.values if ("child", v[0][1]) in v]
    assert len(child_files) == 20 and all(len(v) == 2 for v in child_files)


def test_memory_taken_by_one_large_event_is_given_back(tmp_path):
    outcome = scenarios.memory_after_large_event(LIB, str(tmp_path))
    assert outcome.returncode == 0, outcome.stderr
    # The 100 MB clip became 50 MB of WAV in the writer's buffers; with the writer still open,
    # they are given back.
    assert float(outcome.marks()["kept_mb"]) < 16, outcome.marks()
    assert outcome.files.steps("big") == [0]
    assert outcome.files.steps("x") == [0, 1, 2, 3]


def test_an_event_that_cannot_be_encoded_is_reported_once_and_the_run_goes_on(tmp_path):
    outcome = scenarios.unencodable_event(LIB, str(tmp_path))
    assert outcome.returncode == 0, outcome.stderr
    marks = outcome.marks()
    # add_video's checks pass; the GIF fails on the writer thread. The flush that waits for it
    # raises, naming the argument and what went wrong, and only that call.
    assert marks["video"] == "ok", marks
    assert marks["flush1"].startswith("ArgumentError: vid_tensor: "), marks
    assert "left out" in marks["flush1"] and "too large for a GIF" in marks["flush1"], marks
    assert (marks["flush2"], marks["close"]) == ("ok", "ok"), marks
    assert_valid(outcome.files)
    acc = accumulate(str(tmp_path / "run"))
    assert [e.step for e in acc.Scalars("x")] == list(range(10))
    assert [e.step for e in acc.Images("img")] == list(range(10))
    assert acc.Tags()["images"] == ["img"]


def test_an_array_borrowed_for_writing_by_another_extension_raises_value_error(tmp_path):
    outcome = scenarios.array_borrowed_for_writing(LIB, str(tmp_path))
    assert outcome.returncode == 0, outcome.stderr
    marks = outcome.marks()
    assert marks["api"] == "1", marks  # the layout the scenario's ctypes structure describes
    args = {"histogram": "values", "bins": "bins", "image": "img_tensor", "labels": "labels"}
    if importlib.util.find_spec("ml_dtypes"):
        args["bfloat16"] = "tensor"
    # While borrowed: a ValueError naming the argument (never rust-numpy's PanicException, nor
    # its TypeError naming none); once released, the same call works.
    for case, arg in args.items():
        borrowed = marks[f"{case}_borrowed"]
        assert borrowed.startswith(f"ValueError: {arg}: "), marks
        assert "borrowed for writing" in borrowed, marks
        assert marks[f"{case}_released"] == "ok", marks
    assert_valid(outcome.files)
    tags = accumulate(str(tmp_path / "run")).Tags()
    assert sorted(tags["histograms"]) == ["first", "h", "hb"]
    assert tags["images"] == ["img"]
    assert sorted(tags["tensors"]) == sorted(["pr"] + (["t"] if "bfloat16" in args else []))
    # Each event was written once, by the call made after the release.
    assert sorted(outcome.files.all_values) == sorted(
        [("first", 0), ("h", 1), ("hb", 1), ("img", 1), ("pr", 1)]
        + ([("t", 1)] if "bfloat16" in args else [])
    )


def test_max_queue_hands_events_to_the_disk(logdir):
    w = turboboard.SummaryWriter(logdir, max_queue=5, flush_secs=3600)
    for i in range(4):
        w.add_scalar("x", float(i), i)
    time.sleep(0.3)
    assert summary_events(logdir) == []  # below max_queue, nothing is due yet
    w.add_scalar("x", 4.0, 4)
    deadline = time.monotonic() + 10
    while len(summary_events(logdir)) < 5:
        assert time.monotonic() < deadline, "the fifth event did not hand the queue over"
        time.sleep(0.02)
    w.close()
    assert len(event_files(logdir)) == 1


def test_a_pickled_writer_opens_its_own_file(logdir):
    import pickle

    w = turboboard.SummaryWriter(logdir, max_queue=7, flush_secs=5, filename_suffix=".a")
    w.add_scalar("x", 1.0, 0)
    copy = pickle.loads(pickle.dumps(w))
    options = ("logdir", "max_queue", "flush_secs", "filename_suffix", "_max_queue_bytes")
    assert [getattr(copy, o) for o in options] == [getattr(w, o) for o in options]
    copy.add_scalar("y", 2.0, 0)
    copy.close()
    w.close()
    files = scenarios.read_files(logdir)
    assert len(files.paths) == 2 and all(p.endswith(".a") for p in files.paths)
    assert sorted(files.values) == [[("x", 0)], [("y", 0)]]


def test_a_full_disk_at_open_raises_and_leaves_no_torn_file(tmp_path):
    mount = str(tmp_path / "tmpfs")

    def full_disk_open() -> None:
        with scenarios.small_tmpfs(mount, "64k"):
            fd = os.open(os.path.join(mount, "filler"), os.O_WRONLY | os.O_CREAT)
            with pytest.raises(OSError):
                while True:
                    os.write(fd, b"\0" * 4096)
            os.close(fd)
            with pytest.raises(OSError) as info:
                turboboard.SummaryWriter(os.path.join(mount, "run"))
            assert info.value.errno == errno.ENOSPC
            # The file whose first record could not be written is gone, not left torn.
            assert os.listdir(os.path.join(mount, "run")) == []

    _mounted(full_disk_open)
