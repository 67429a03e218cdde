"""The ``turboboard`` command, run as users run it (a subprocess): ``ls`` against what
TensorBoard's accumulator reads from runs written by tensorboardX, ``export`` read back by
pyarrow and duckdb."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import turboboard
from conftest import accumulate
from tensorboardX import SummaryWriter


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    for run, steps in (("train", range(0, 50, 5)), ("eval/a", range(3))):
        with SummaryWriter(str(root / run)) as w:
            for step in steps:
                w.add_scalar("loss", 1.0 / (step + 1), step)
                w.add_scalar("lr", 0.1, step)
            w.add_histogram("weights", np.arange(100.0), steps[-1])
            w.add_text("note", "hello", 7)
    return root


def turboboard_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "turboboard", *args], capture_output=True, text=True, timeout=120
    )


def test_ls_lists_each_run_kind_and_tag_as_tensorboard_reads_them(logdir):
    result = turboboard_command("ls", str(logdir))
    assert result.returncode == 0, result.stderr
    header, *lines = result.stdout.splitlines()
    assert header.split() == ["run", "kind", "tag", "rows", "steps"]
    listed = {tuple(line.split()[:3]): line.split()[3:] for line in lines}
    expected = {}
    for run in ("train", "eval/a"):
        accumulator = accumulate(str(logdir / run))
        tags = accumulator.Tags()
        for kind, events_of in (
            ("scalars", accumulator.Scalars),
            ("histograms", accumulator.Histograms),
        ):
            for tag in tags[kind]:
                steps = [e.step for e in events_of(tag)]
                span = f"{min(steps)}..{max(steps)}" if min(steps) != max(steps) else str(steps[0])
                expected[run, kind, tag] = [str(len(steps)), span]
        for tag in tags["tensors"]:
            expected[run, "text", tag] = ["1", "7"]
            expected[run, "tensors", tag] = ["1", "7"]
    assert listed == expected


def test_ls_of_one_kind_and_of_nothing(logdir, tmp_path):
    result = turboboard_command("ls", str(logdir), "--kind", "histograms", "--runs", "eval/*")
    assert result.returncode == 0, result.stderr
    assert [line.split()[:3] for line in result.stdout.splitlines()[1:]] == [
        ["eval/a", "histograms", "weights"]
    ]
    empty = turboboard_command("ls", str(tmp_path))
    assert empty.returncode == 1
    assert "no events" in empty.stderr


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_export_writes_what_read_scalars_reads(logdir, tmp_path, suffix):
    duckdb = pytest.importorskip("duckdb")
    out = tmp_path / f"scalars{suffix}"
    result = turboboard_command("export", str(logdir), "-o", str(out), "--tags", "loss")
    assert result.returncode == 0, result.stderr
    table = turboboard.read_scalars(logdir, tags="loss")
    assert f"{table.num_rows} rows of scalars" in result.stderr
    reader = {".parquet": "read_parquet", ".csv": "read_csv", ".jsonl": "read_json"}[suffix]
    rows = duckdb.sql(f"select run, tag, step, value from {reader}('{out}')").fetchall()
    expected = zip(*(table.column(c).tolist() for c in ("run", "tag", "step", "value")))
    assert [(str(r[0]), str(r[1]), int(r[2]), float(r[3])) for r in rows] == list(expected)


def test_export_refuses_what_it_cannot_write(logdir, tmp_path):
    unknown = turboboard_command("export", str(logdir), "-o", str(tmp_path / "scalars.xlsx"))
    assert unknown.returncode != 0
    assert "cannot tell the format" in unknown.stderr
    lists = turboboard_command(
        "export", str(logdir), "-o", str(tmp_path / "h.csv"), "--kind", "histograms"
    )
    assert lists.returncode == 1
    assert lists.stderr.startswith("turboboard: ")
    missing = turboboard_command("ls", str(tmp_path / "nowhere"))
    assert missing.returncode == 1
    assert "nowhere" in missing.stderr


def test_console_script_is_installed():
    import shutil

    script = shutil.which("turboboard")
    assert script, "the turboboard console script is on PATH"
    result = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "export" in result.stdout and "ls" in result.stdout
