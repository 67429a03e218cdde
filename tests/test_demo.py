"""The README's demo trains, writes a run, and TensorBoard finds every kind of data in it."""

import os
import shlex
import subprocess
import sys

from conftest import accumulate

DEMO = os.path.join(os.path.dirname(__file__), "..", "examples", "demo.py")


def test_demo_writes_a_complete_run(tmp_path):
    logdir = tmp_path / "digits"
    result = subprocess.run(
        [sys.executable, DEMO, "--logdir", str(logdir), "--epochs", "2"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert_tensorboard_command_works(result.stdout, logdir)
    assert_read_back_printed(result.stdout, logdir)
    tags = accumulate(str(logdir)).Tags()
    assert {"loss/train", "loss/val"} <= set(tags["scalars"])
    assert {"weights/conv1.weight", "gradients/fc2.bias"} <= set(tags["histograms"])
    assert {"inputs/train_samples", "confusion_matrix", "inputs/video"} <= set(tags["images"])
    assert tags["audio"] == ["inputs/sonified"]
    assert tags["graph"]
    graph = accumulate(str(logdir)).Graph()
    ops = {(node.name.rsplit("/", 1)[0], node.op) for node in graph.node}
    assert {("DigitNet/Conv2d[conv1]", "aten::_convolution"), ("DigitNet", "aten::relu")} <= ops
    assert ("DigitNet/Linear[fc2]", "aten::linear") in ops
    projector = (logdir / "projector_config.pbtxt").read_text()
    assert 'tensor_name: "features:' in projector
    (metadata,) = logdir.glob("*/features/metadata.tsv")
    assert len(metadata.read_text().split()) == 360  # one label per validation digit
    pr_curves = {f"pr_curve/digit_{d}" for d in range(10)}
    # The mesh plugin stores vertices and colours as <tag>_1 and <tag>_3.
    plugins = {"notes/text_summary", "custom_scalars__config__", "features_3d_1", "features_3d_3"}
    assert set(tags["tensors"]) == plugins | pr_curves
    hparams = accumulate(str(logdir / "hparams"))
    assert {"hparam/val_accuracy", "hparam/val_loss"} <= set(hparams.Tags()["scalars"])
    assert "_hparams_/experiment" in hparams.summary_metadata
    for run in ("train", "val"):
        sub = accumulate(str(logdir / "accuracy" / run))
        assert [s.step for s in sub.Scalars("accuracy")] == [0, 1]


def assert_read_back_printed(stdout, logdir):
    """The demo ends with its scalars read back: each tag's row count and last value, as
    TensorBoard's accumulator reads them."""
    lines = stdout.split("turboboard.read_scalars(", 1)[1].splitlines()[2:]
    printed = {}
    for line in lines:
        words = line.split()
        if len(words) != 5:
            break
        printed[words[0], words[1]] = (int(words[2]), int(words[3]), float(words[4]))
    expected = {}
    for run in (".", "accuracy/train", "accuracy/val", "hparams"):
        accumulator = accumulate(str(logdir if run == "." else logdir / run))
        for tag in accumulator.Tags()["scalars"]:
            events = accumulator.Scalars(tag)
            expected[run, tag] = (len(events), events[-1].step, round(events[-1].value, 4))
    assert printed == expected


def assert_tensorboard_command_works(stdout, logdir):
    """The printed command serves the parent directory, so the run is named after itself beside
    the others, and it works as printed from another directory in a shell that has not
    activated the environment (TensorBoard's --inspect reads the runs and exits instead of
    serving them)."""
    (line,) = [line.strip() for line in stdout.splitlines() if "--logdir" in line]
    words = [word.strip('"') for word in shlex.split(line, posix=os.name != "nt")]
    assert os.path.isabs(words[0]), line
    assert words[-2:] == ["--logdir", str(logdir.parent)], line
    # A new shell: no virtual environment active, none on PATH.
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = os.pathsep.join(
        entry
        for entry in os.environ.get("PATH", "").split(os.pathsep)
        if entry and not os.path.exists(os.path.join(entry, os.pardir, "pyvenv.cfg"))
    )
    inspected = subprocess.run(
        f"{line} --inspect",
        shell=True,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=os.path.abspath(os.sep),
        env=env,
    )
    assert inspected.returncode == 0, inspected.stderr
    assert f"These tags are in {logdir}:" in inspected.stdout, inspected.stdout
