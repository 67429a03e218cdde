"""Process life: exit without close(), fork, threads. Each scenario runs in a subprocess with a
timeout, so a hang fails the test instead of stalling the suite."""

import os
import subprocess
import sys
import textwrap
import threading

import pytest
import turboboard
from conftest import event_files, read_events, summary_events


def run_python(code: str, timeout: float = 120) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr
    return result


def test_exit_without_close_writes_everything(logdir):
    run_python(f"""
        import turboboard
        w = turboboard.SummaryWriter({logdir!r}, max_queue=1000, flush_secs=3600)
        for i in range(5000):
            w.add_scalar("x", float(i), i)
        # no close(), no flush(): the interpreter's exit must write it all
    """)
    assert [e.step for e in summary_events(logdir)] == list(range(5000))


def test_writer_dropped_without_close_writes_everything(logdir):
    run_python(f"""
        import gc, os, turboboard
        w = turboboard.SummaryWriter({logdir!r}, max_queue=1000, flush_secs=3600)
        w.add_scalar("x", 1.0, 0)
        del w
        gc.collect()
        # os._exit skips exit handlers: only the collected writer's own close can have written.
        os._exit(0)
    """)
    assert len(summary_events(logdir)) == 1


def test_os_exit_after_flush_loses_nothing_flushed(logdir):
    run_python(f"""
        import os, turboboard
        w = turboboard.SummaryWriter({logdir!r}, max_queue=1000, flush_secs=3600)
        for i in range(1000):
            w.add_scalar("x", float(i), i)
        w.flush()
        os._exit(0)
    """)
    assert len(summary_events(logdir)) == 1000


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_writes_its_own_file(logdir):
    run_python(f"""
        import os, turboboard
        w = turboboard.SummaryWriter({logdir!r}, max_queue=1000, flush_secs=3600)
        w.add_scalar("parent", 1.0, 0)  # still queued at the fork: the child must not write it
        pid = os.fork()
        if pid == 0:
            w.add_scalar("child", 2.0, 1)
            w.close()
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        assert status == 0, status
        w.add_scalar("parent", 3.0, 2)
        w.close()
    """)
    files = event_files(logdir)
    assert len(files) == 2
    by_file = [[(e.summary.value[0].tag, e.step) for e in read_events_of(path)] for path in files]
    assert sorted(by_file) == [[("child", 1)], [("parent", 0), ("parent", 2)]]


def read_events_of(path):
    from tensorboard.backend.event_processing.event_file_loader import LegacyEventFileLoader

    return [e for e in LegacyEventFileLoader(path).Load() if e.HasField("summary")]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_multiprocessing_fork_workers_do_not_hang(logdir):
    run_python(f"""
        import multiprocessing as mp, turboboard
        w = turboboard.SummaryWriter({logdir!r})
        def work(i):
            w.add_scalar("worker", float(i), i)
            w.flush()
            return i
        if __name__ == "__main__":
            w.add_scalar("main", 0.0, 0)
            with mp.get_context("fork").Pool(2) as pool:
                assert pool.map(work, range(8)) == list(range(8))
            w.add_scalar("main", 1.0, 1)
            w.close()
    """)
    events = summary_events(logdir)
    assert [e.step for e in events if e.summary.value[0].tag == "main"] == [0, 1]
    assert sorted(e.step for e in events if e.summary.value[0].tag == "worker") == list(range(8))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_workers_that_never_log_leave_no_files(logdir):
    """DataLoader-like workers: forked with an open writer, closed by multiprocessing's exit
    hook, never logging. They have nothing to close, and open no file to close it."""
    run_python(f"""
        import multiprocessing as mp, turboboard
        w = turboboard.SummaryWriter({logdir!r})
        def work(i):
            return i * i
        if __name__ == "__main__":
            w.add_scalar("main", 0.0, 0)
            w.flush()
            with mp.get_context("fork").Pool(4) as pool:
                assert pool.map(work, range(8)) == [i * i for i in range(8)]
            w.close()
    """)
    assert len(event_files(logdir)) == 1, event_files(logdir)
    assert [e.step for e in summary_events(logdir)] == [0]


def test_threads_logging_into_one_writer(logdir):
    w = turboboard.SummaryWriter(logdir)

    def log(t):
        for i in range(2000):
            w.add_scalar(f"thread_{t}", float(i), i)

    threads = [threading.Thread(target=log, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    w.close()
    events = read_events(logdir)
    for t in range(8):
        steps = [
            e.step
            for e in events
            if e.HasField("summary") and e.summary.value[0].tag == f"thread_{t}"
        ]
        assert steps == list(range(2000))
