"""add_scalar and add_scalars: the events equal tensorboardX's (and torch's for its options)."""

import json
import os

import numpy as np
import pytest
import torch
import turboboard
from conftest import accumulate, assert_same_events, read_events, summary_events

WALL = 1_700_000_000.25


@pytest.mark.parametrize(
    "value",
    [
        0.1,
        3,
        -2.5e38,
        float("inf"),
        np.float32(1.5),
        np.float64(0.3),
        np.int64(7),
        np.array([[2.5]]),
        np.bool_(True),
        torch.tensor(0.7),
        torch.tensor([0.25], dtype=torch.float64),
        torch.tensor(1.5, requires_grad=True) * 2,
        torch.tensor(0.5, dtype=torch.float16),
        torch.tensor(3, dtype=torch.int32),
    ],
    ids=repr,
)
def test_scalar_values_match_tensorboardx(tmp_path, value):
    def calls(w):
        w.add_scalar("train/loss", value, 3, walltime=WALL)

    (event,) = assert_same_events(tmp_path, calls)
    assert event.step == 3 and event.wall_time == WALL


def test_bfloat16_tensor_is_logged_exactly(logdir):
    # tensorboardX cannot convert bfloat16; torch turns it into float16. Every bfloat16 value is
    # exact in float32.
    with turboboard.SummaryWriter(logdir) as w:
        w.add_scalar("x", torch.tensor(3.140625, dtype=torch.bfloat16), 0)
    (event,) = summary_events(logdir)
    assert event.summary.value[0].simple_value == 3.140625


def test_nan_is_data(tmp_path):
    (event,) = assert_same_events(tmp_path, lambda w: w.add_scalar("x", float("nan"), 1, WALL))
    assert np.isnan(event.summary.value[0].simple_value)


def test_steps_and_default_walltime(logdir):
    import time

    before = time.time()
    with turboboard.SummaryWriter(logdir) as w:
        for i in range(100):
            w.add_scalar("loss", i * 0.5, i)
        w.add_scalar("no_step", 1.0)
        w.add_scalar("numpy_step", 1.0, np.int64(5))
        w.add_scalar("tensor_step", 1.0, torch.tensor(6))
    events = summary_events(logdir)
    assert [e.step for e in events] == [*range(100), 0, 5, 6]
    assert all(before <= e.wall_time <= time.time() for e in events)
    acc = accumulate(logdir)
    assert [s.value for s in acc.Scalars("loss")] == [i * 0.5 for i in range(100)]


def test_display_name_and_description_match_tensorboardx(tmp_path):
    def calls(w):
        w.add_scalar("a", 1.0, 0, WALL, display_name="Accuracy", summary_description="top-1")
        w.add_scalar("b", 2.0, 0, WALL, display_name="", summary_description="only a description")

    assert_same_events(tmp_path, calls)


@pytest.mark.parametrize("double_precision", [False, True])
def test_new_style_matches_torch(tmp_path, double_precision):
    def calls(w):
        w.add_scalar("loss", 0.1, 4, WALL, new_style=True, double_precision=double_precision)

    (event,) = assert_same_events(tmp_path, calls, anchor="torch")
    tensor = event.summary.value[0].tensor
    assert (tensor.double_val if double_precision else tensor.float_val)[0] == pytest.approx(0.1)


@pytest.mark.parametrize("double_precision", [False, True])
def test_new_style_passed_positionally_as_torch_takes_it(tmp_path, double_precision):
    # torch's fifth and sixth positional parameters are new_style and double_precision, where
    # tensorboardX has display_name and summary_description: a bool there is torch's.
    def calls(w):
        w.add_scalar("loss", 0.1, 4, WALL, True, double_precision)
        w.add_scalar("acc", 0.5, 4, WALL, False, double_precision)

    assert_same_events(tmp_path, calls, anchor="torch")


def test_numbers_in_object_arrays_as_the_anchors_take_them(tmp_path):
    def calls(w):
        w.add_scalar("a", np.array([1.5], dtype=object), 0, WALL)
        w.add_histogram("h", np.array([1.0, 2.0, 2.5], dtype=object), 0, walltime=WALL)

    assert_same_events(tmp_path, calls)


def test_tags_are_stored_as_given(logdir):
    # torch's behaviour: no cleaning (tensorboardX replaces these characters with '_').
    tag = "loss (train) %/ü"
    with turboboard.SummaryWriter(logdir) as w:
        w.add_scalar(tag, 1.0, 0)
    assert summary_events(logdir)[0].summary.value[0].tag == tag


def sub_runs(root):
    runs = {}
    for dirpath, _, files in os.walk(root):
        if any("tfevents" in f for f in files) and dirpath != root:
            runs[os.path.relpath(dirpath, root)] = summary_events(dirpath)
    return runs


def test_add_scalars_layout_and_events_match_tensorboardx(tmp_path):
    def calls(w):
        for step in range(3):
            w.add_scalars(
                "run/loss", {"train": step * 1.0, "val": np.float32(step / 2)}, step, WALL
            )

    from conftest import write_with

    ours = sub_runs(write_with("turboboard", str(tmp_path / "ours"), calls))
    theirs = sub_runs(write_with("tensorboardX", str(tmp_path / "theirs"), calls))
    assert (
        sorted(ours) == sorted(theirs) == [os.path.join("run", "loss", k) for k in ("train", "val")]
    )
    for run, events in ours.items():
        assert events == theirs[run]
        assert [e.summary.value[0].tag for e in events] == ["run/loss"] * 3


def test_add_scalars_shares_one_walltime_and_exports_json(logdir, tmp_path):
    with turboboard.SummaryWriter(logdir) as w:
        w.add_scalars("m", {"a": 1.0, "b": 2.0}, 7)
        out = tmp_path / "scalars.json"
        w.export_scalars_to_json(str(out))
    exported = json.loads(out.read_text())
    assert sorted(exported) == [os.path.join(logdir, "m", "a"), os.path.join(logdir, "m", "b")]
    (wa, sa, va), (wb, sb, vb) = (
        exported[os.path.join(logdir, "m", "a")][0],
        exported[os.path.join(logdir, "m", "b")][0],
    )
    assert wa == wb and sa == sb == 7 and (va, vb) == (1.0, 2.0)


@pytest.mark.parametrize("main_tag", ["../escape", "a/../../b", "x/..", "\0"])
def test_add_scalars_never_leaves_the_logdir(tmp_path, main_tag):
    logdir = tmp_path / "run"
    with turboboard.SummaryWriter(str(logdir)) as w:
        with pytest.raises(ValueError, match="main_tag"):
            w.add_scalars(main_tag, {"k": 1.0}, 0)
        with pytest.raises(ValueError, match="main_tag"):
            w.add_scalars("ok", {main_tag: 1.0}, 0)
    assert sorted(os.listdir(tmp_path)) == ["run"]


def test_add_scalars_absolute_main_tag_stays_inside(tmp_path):
    logdir = tmp_path / "run"
    with turboboard.SummaryWriter(str(logdir)) as w:
        w.add_scalars("/abs/tag", {"k": 1.0}, 0)
    assert summary_events(str(logdir / "abs" / "tag" / "k"))[0].summary.value[0].tag == "/abs/tag"


def test_many_scalars_round_trip(logdir):
    with turboboard.SummaryWriter(logdir) as w:
        for i in range(20_000):
            w.add_scalar(f"metric_{i % 10}", i * 0.001, i // 10)
    events = read_events(logdir)
    assert events[0].file_version == "brain.Event:2"
    values = [(e.step, e.summary.value[0].tag, e.summary.value[0].simple_value) for e in events[1:]]
    assert values == [
        (i // 10, f"metric_{i % 10}", float(np.float32(i * 0.001))) for i in range(20_000)
    ]
