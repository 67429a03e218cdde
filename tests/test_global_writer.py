"""GlobalSummaryWriter: tensorboardX's signatures and events, and steps that stay unique and
complete when threads and processes (forked or spawned) log the same tags."""

import inspect
import multiprocessing
import subprocess
import sys
import threading

import numpy as np
import pytest
import tensorboardX
import turboboard
from conftest import accumulate, event_files, normalized, summary_events

WALL = 1_700_000_000.0
METHODS = ["__init__", "add_scalar", "add_image", "add_text", "getSummaryWriter", "close"]


@pytest.mark.parametrize("name", METHODS)
def test_same_signature_as_tensorboardx(name):
    def parameters(f):
        return [(p.name, p.kind, p.default) for p in inspect.signature(f).parameters.values()]

    ours = getattr(turboboard.GlobalSummaryWriter, name)
    assert parameters(ours) == parameters(getattr(tensorboardX.GlobalSummaryWriter, name))


def log(writer) -> None:
    for i in range(3):
        writer.add_scalar("loss", 1 / (i + 1), walltime=WALL + i)
        writer.add_text("notes", f"note {i}", walltime=WALL + i)
    writer.add_scalar("acc", 0.5, walltime=WALL)
    writer.add_image("img", np.arange(48, dtype=np.uint8).reshape(3, 4, 4), walltime=WALL)
    writer.add_image("img", np.ones((4, 4, 3)), walltime=WALL, dataformats="HWC")


def test_same_events_as_tensorboardx(tmp_path):
    runs = {}
    for name, cls in (
        ("turboboard", turboboard.GlobalSummaryWriter),
        ("tensorboardX", tensorboardX.GlobalSummaryWriter),
    ):
        writer = cls(str(tmp_path / name))
        log(writer)
        writer.close()
        runs[name] = [normalized(e) for e in summary_events(str(tmp_path / name))]
    assert runs["turboboard"] == runs["tensorboardX"]
    assert [e.step for e in runs["turboboard"]] == [0, 0, 1, 1, 2, 2, 0, 0, 1]


def steps(logdir: str, tag: str) -> list[int]:
    return sorted(e.step for e in accumulate(logdir).Scalars(tag))


def test_threads_never_share_a_step(logdir):
    writer = turboboard.GlobalSummaryWriter(logdir)

    def work() -> None:
        for _ in range(50):
            writer.add_scalar("shared", 1.0)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writer.close()
    assert steps(logdir, "shared") == list(range(200))


def work(args) -> None:
    writer, x = args
    writer.add_scalar("pool", float(x))


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_processes_never_share_a_step(logdir, method):
    writer = turboboard.GlobalSummaryWriter(logdir)
    writer.add_scalar("pool", -1.0)
    with multiprocessing.get_context(method).Pool(2) as pool:
        pool.map(work, [(writer, x) for x in range(20)])
    writer.add_scalar("pool", 100.0)
    writer.close()
    scalars = accumulate(logdir).Scalars("pool")
    assert sorted(e.step for e in scalars) == list(range(22))
    assert sorted(e.value for e in scalars) == [-1.0, *map(float, range(20)), 100.0]
    # One file, in step order whichever process logged: nothing for TensorBoard to purge.
    assert len(event_files(logdir)) == 1


def test_events_survive_without_close(tmp_path):
    script = (
        "import sys, turboboard\n"
        "w = turboboard.GlobalSummaryWriter(sys.argv[1])\n"
        "for i in range(5): w.add_scalar('x', float(i))\n"
    )
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True, timeout=120)
    assert [e.step for e in accumulate(str(tmp_path)).Scalars("x")] == list(range(5))


def test_get_summary_writer_is_one_writer_until_closed(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    first = turboboard.GlobalSummaryWriter.getSummaryWriter()
    assert turboboard.GlobalSummaryWriter.getSummaryWriter() is first
    assert first.get_logdir().startswith("runs")
    first.close()
    first.close()
    with pytest.raises(RuntimeError, match="closed"):
        first.add_scalar("late", 1.0)
    second = turboboard.GlobalSummaryWriter.getSummaryWriter()
    assert second is not first
    second.close()
