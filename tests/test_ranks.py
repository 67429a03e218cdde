"""Distributed jobs: by default only rank 0 writes; ``ranks='all'`` gives each rank its own run
``<logdir>/rank_<r>``; ``ranks=None`` writes every process to ``logdir``. The rank comes from an
initialised torch.distributed group (checked with a real two-process gloo group) or else from
``RANK``, which launchers set before the script starts."""

from __future__ import annotations

import os
import pickle
import socket
import subprocess
import sys
import warnings

import numpy as np
import pytest
import turboboard
from conftest import event_files, summary_events

WORKER = """
import sys
import torch.distributed as dist
from turboboard import SummaryWriter

rank, port, root = int(sys.argv[1]), sys.argv[2], sys.argv[3]
dist.init_process_group(
    "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2
)
for name, kwargs in (("zero", {}), ("all", {"ranks": "all"}), ("every", {"ranks": None})):
    with SummaryWriter(f"{root}/{name}", **kwargs) as writer:
        writer.add_scalar("rank", rank, 0)
        writer.add_text("note", f"from rank {rank}", 0)
# Code written for the anchors, one directory per rank (torchtitan's per-rank option), patched.
import turboboard
turboboard.patch()
from tensorboardX import SummaryWriter as TensorboardX
from torch.utils.tensorboard import SummaryWriter as Torch
for name, anchor in (("tensorboardX", TensorboardX), ("torch", Torch)):
    with anchor(f"{root}/patched_{name}/rank{rank}") as writer:
        writer.add_scalar("rank", rank, 0)
dist.barrier()
dist.destroy_process_group()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scalar_values(logdir: str) -> list[float]:
    return [
        v.simple_value for e in summary_events(logdir) for v in e.summary.value if v.tag == "rank"
    ]


def entries(path) -> list[str]:
    return sorted(os.listdir(path))


def test_a_gloo_group_of_two_writes_rank_zero_or_one_run_per_rank(tmp_path):
    # The rank must come from the process group: no launcher variables.
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "LOCAL_RANK", "WORLD_SIZE")}
    env["GLOO_SOCKET_IFNAME"] = "lo"
    port = str(free_port())
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(rank), port, str(tmp_path)],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for rank in (0, 1)
    ]
    for worker in workers:
        _, stderr = worker.communicate(timeout=240)
        assert worker.returncode == 0, stderr

    # Default: rank 0's file only, as if one process had run.
    [only] = event_files(str(tmp_path / "zero"))
    assert entries(tmp_path / "zero") == [os.path.basename(only)]
    assert scalar_values(str(tmp_path / "zero")) == [0.0]

    # 'all': one run per rank, nothing directly in logdir.
    assert entries(tmp_path / "all") == ["rank_0", "rank_1"]
    for rank in (0, 1):
        run = str(tmp_path / "all" / f"rank_{rank}")
        assert scalar_values(run) == [float(rank)]
        texts = [e for e in summary_events(run) if e.summary.value[0].tag == "note/text_summary"]
        assert texts[0].summary.value[0].tensor.string_val == [f"from rank {rank}".encode()]

    # None: both processes in logdir, each in its own file.
    assert len(event_files(str(tmp_path / "every"))) == 2
    assert sorted(scalar_values(str(tmp_path / "every"))) == [0.0, 1.0]

    # Patched anchors: every rank writes its own directory, as the anchors do.
    for name in ("tensorboardX", "torch"):
        for rank in (0, 1):
            assert scalar_values(str(tmp_path / f"patched_{name}" / f"rank{rank}")) == [rank]


def test_rank_from_the_environment_without_importing_torch(tmp_path):
    code = """
import sys
from turboboard import SummaryWriter
for name, kwargs in (("zero", {}), ("all", {"ranks": "all"})):
    with SummaryWriter(f"{sys.argv[1]}/{name}", **kwargs) as writer:
        writer.add_scalar("rank", 1, 0)
print("torch imported", "torch" in sys.modules)
"""
    env = {k: v for k, v in os.environ.items() if k != "TURBOBOARD_PATCH"}
    env["RANK"] = "1"
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "torch imported False" in result.stdout
    assert entries(tmp_path) == ["all"]  # rank 1 made no "zero" directory
    assert entries(tmp_path / "all") == ["rank_1"]
    assert scalar_values(str(tmp_path / "all" / "rank_1")) == [1.0]


def test_other_ranks_get_a_writer_that_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("RANK", "3")
    logdir = str(tmp_path / "run")
    with turboboard.SummaryWriter(logdir, purge_step=5) as writer:
        with pytest.warns(UserWarning, match="writes nothing on rank 3"):
            writer.add_scalar("loss", 1.0, 0)
        writer.add_scalars("losses", {"a": 1.0, "b": 2.0}, 0)
        writer.add_histogram("weights", np.arange(100.0), 0)
        writer.add_image("image", np.zeros((3, 8, 8), np.uint8), 0)
        writer.add_text("note", "hello", 0)
        writer.add_hparams({"lr": 0.1}, {"accuracy": 0.5})
        writer.flush()
        assert writer.get_logdir() == logdir
    assert not os.path.exists(logdir)


@pytest.mark.parametrize(
    "variables",
    [{"RANK": "0"}, {"RANK": "not a rank"}, {"LOCAL_RANK": "1"}, {}],
    ids=["rank 0", "not a rank", "only LOCAL_RANK", "no launcher"],
)
def test_rank_zero_and_single_processes_write_to_logdir(tmp_path, monkeypatch, variables):
    for name in ("RANK", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    logdir = str(tmp_path / "run")
    with turboboard.SummaryWriter(logdir) as writer:
        writer.add_scalar("rank", 0.0, 0)
    assert scalar_values(logdir) == [0.0]


def test_a_pickled_writer_keeps_its_rank(tmp_path, monkeypatch):
    monkeypatch.setenv("RANK", "1")
    writer = turboboard.SummaryWriter(str(tmp_path / "all"), ranks="all")
    silent = turboboard.SummaryWriter(str(tmp_path / "zero"))
    writer_bytes, silent_bytes = pickle.dumps(writer), pickle.dumps(silent)
    writer.close()
    # Unpickled where the rank reads differently (a DataLoader worker, a spawned helper).
    monkeypatch.setenv("RANK", "0")
    clone, silent_clone = pickle.loads(writer_bytes), pickle.loads(silent_bytes)
    assert clone.get_logdir() == str(tmp_path / "all" / "rank_1")
    clone.add_scalar("rank", 1.0, 0)
    with pytest.warns(UserWarning, match="writes nothing on rank 1"):
        silent_clone.add_scalar("rank", 1.0, 0)
    clone.close()
    silent_clone.close()
    assert entries(tmp_path) == ["all"]
    assert entries(tmp_path / "all") == ["rank_1"]
    assert scalar_values(str(tmp_path / "all" / "rank_1")) == [1.0]


@pytest.mark.parametrize("ranks", ["first", "ALL", 0, True])
def test_bad_ranks_raise_a_value_error_naming_it(tmp_path, ranks):
    with pytest.raises(ValueError, match="ranks: expected 'zero', 'all' or None"):
        turboboard.SummaryWriter(str(tmp_path), ranks=ranks)
    assert entries(tmp_path) == []


def test_a_writer_that_drops_a_ranks_events_warns_once(tmp_path, monkeypatch):
    monkeypatch.setenv("RANK", "3")
    with pytest.warns(UserWarning) as warned:
        with turboboard.SummaryWriter(str(tmp_path / "zero")) as writer:
            writer.add_scalar("loss", 1.0, 0)
            writer.add_text("note", "dropped too", 0)
            writer.add_scalar("loss", 2.0, 1)
    assert [str(w.message) for w in warned] == [
        "turboboard: this SummaryWriter writes nothing on rank 3: with ranks='zero' (the "
        "default) only rank 0 writes. Pass ranks=None to write from every rank, as "
        "tensorboardX and torch do, or ranks='all' for a run per rank."
    ]
    assert warned[0].filename == __file__  # the user's call, not turboboard's code
    assert entries(tmp_path) == []


@pytest.mark.parametrize(
    "rank, kwargs, written",
    [("3", {"write_to_disk": False}, []), ("3", {"ranks": None}, [1.0]), ("0", {}, [1.0])],
    ids=["write_to_disk=False", "ranks=None", "rank 0"],
)
def test_writers_that_drop_nothing_do_not_warn(tmp_path, monkeypatch, rank, kwargs, written):
    monkeypatch.setenv("RANK", rank)
    logdir = str(tmp_path / "run")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with turboboard.SummaryWriter(logdir, **kwargs) as writer:
            writer.add_scalar("rank", 1.0, 0)
    assert (scalar_values(logdir) if os.path.exists(logdir) else []) == written


def test_patched_anchors_write_on_every_rank_as_the_anchors_do(tmp_path, monkeypatch):
    import tensorboardX
    import torch.utils.tensorboard

    monkeypatch.setenv("RANK", "1")
    anchors = [tensorboardX.SummaryWriter, torch.utils.tensorboard.SummaryWriter]
    with turboboard.patched():
        patched = [tensorboardX.SummaryWriter, torch.utils.tensorboard.SummaryWriter]
    assert all(issubclass(cls, turboboard.SummaryWriter) for cls in patched)
    for kind, classes in (("anchor", anchors), ("patched", patched)):
        for name, cls in zip(("tensorboardX", "torch"), classes):
            with warnings.catch_warnings():
                warnings.filterwarnings("error", message="turboboard")
                with cls(str(tmp_path / kind / name / "rank1")) as writer:
                    writer.add_scalar("rank", 1.0, 0)
    for name in ("tensorboardX", "torch"):
        for kind in ("anchor", "patched"):
            assert scalar_values(str(tmp_path / kind / name / "rank1")) == [1.0], (kind, name)
