"""add_scalar_dict: the events equal those of add_scalar for each item, with tensorboardX's
add_scalar as the anchor; accelerator tensors are copied to the host together."""

import math
import time

import numpy as np
import pytest
import torch
import turboboard
from conftest import assert_same_events, summary_events
from turboboard import _convert

WALL = 1_700_000_000.25

VALUES = {
    "train/loss": 0.1,
    "train/int": 3,
    "train/big": -2.5e38,
    "train/inf": float("inf"),
    "np/f32": np.float32(1.5),
    "np/i64": np.int64(7),
    "np/array": np.array([[2.5]]),
    "torch/f32": torch.tensor(0.7),
    "torch/f64": torch.tensor([0.25], dtype=torch.float64),
    "torch/grad": torch.tensor(1.5, requires_grad=True) * 2,
    "torch/f16": torch.tensor(0.5, dtype=torch.float16),
    "torch/i32": torch.tensor(3, dtype=torch.int32),
}


def test_events_equal_add_scalar_per_item(tmp_path):
    def ours(w):
        w.add_scalar_dict(VALUES, 4, walltime=WALL)
        w.add_scalar_dict({"train/loss": 0.05}, 5, WALL + 1)

    def each(w):
        for tag, value in VALUES.items():
            w.add_scalar(tag, value, 4, walltime=WALL)
        w.add_scalar("train/loss", 0.05, 5, WALL + 1)

    with turboboard.SummaryWriter(str(tmp_path / "dict")) as w:
        ours(w)
    expected = assert_same_events(tmp_path / "anchor", each)
    assert summary_events(str(tmp_path / "dict")) == expected


def test_interleaved_with_other_calls_keeps_the_order(logdir):
    with turboboard.SummaryWriter(logdir) as w:
        w.add_scalar("first", 1.0, 0)
        w.add_scalar_dict({"a": 2.0, "b": 3.0}, 1)
        w.add_text("note", "after", 1)
        w.add_scalar_dict({}, 2)
        w.add_scalar_dict({"a": 4.0}, 3)
    tags = [(e.step, e.summary.value[0].tag) for e in summary_events(logdir)]
    assert tags == [(0, "first"), (1, "a"), (1, "b"), (1, "note/text_summary"), (3, "a")]


def test_one_default_wall_time_for_the_whole_dict(logdir):
    before = time.time()
    with turboboard.SummaryWriter(logdir) as w:
        w.add_scalar_dict({f"m{i}": float(i) for i in range(50)})
        with w.use_metadata(global_step=9, walltime=WALL):
            w.add_scalar_dict({"x": 1.0})
    events = summary_events(logdir)
    assert len({e.wall_time for e in events[:50]}) == 1
    assert before <= events[0].wall_time <= time.time()
    assert [e.step for e in events[:50]] == [0] * 50
    assert (events[50].step, events[50].wall_time) == (9, WALL)


def test_to_host_gives_what_item_gives():
    # The copy path accelerator tensors take, run here on CPU tensors: mixed dtypes, each stacked
    # with its own kind and widened on the device, back in the given order.
    tensors = [
        torch.tensor(0.1),
        torch.tensor(2**53 + 1, dtype=torch.int64),
        torch.tensor(True),
        torch.tensor(3.140625, dtype=torch.bfloat16),
        torch.tensor([[-7.5]], dtype=torch.float16),
        torch.tensor(1.5, requires_grad=True) * 2,
        torch.tensor(float("nan")),
        torch.tensor(0.2, dtype=torch.float64),
    ]
    got = _convert.to_host(tensors)
    want = [float(t.item()) for t in tensors]
    assert [v.hex() for v in got] == [v.hex() for v in want]


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda w: w.add_scalar_dict([("a", 1.0)], 0), TypeError, "tag_scalar_dict"),
        (lambda w: w.add_scalar_dict({1: 1.0}, 0), TypeError, "string keys"),
        (lambda w: w.add_scalar_dict({"a": "x"}, 0), TypeError, "tag_scalar_dict['a']"),
        (lambda w: w.add_scalar_dict({"a": torch.ones(2)}, 0), ValueError, "tag_scalar_dict['a']"),
        (lambda w: w.add_scalar_dict({"a": 1j}, 0), TypeError, "tag_scalar_dict['a']"),
        (lambda w: w.add_scalar_dict({"a": 1.0}, "x"), TypeError, "global_step"),
        (lambda w: w.add_scalar_dict({"a": 1.0}, 0, math.nan), ValueError, "walltime"),
        (lambda w: w.add_scalar_dict({"a": 1.0}, 0, "now"), TypeError, "walltime"),
        (lambda w: w.add_scalar_dict({"a": 1.0}, 0, 10**400), ValueError, "walltime"),
    ],
    ids=["list", "int_key", "str_value", "two_values", "complex", "step", "nan", "str", "huge"],
)
def test_bad_input_raises_and_writes_nothing(logdir, call, error, words):
    with turboboard.SummaryWriter(logdir) as w:
        with pytest.raises(error) as info:
            call(w)
    # In the message, or in the note PyO3 adds for the arguments it converts.
    assert words in str(info.value) or words in "".join(getattr(info.value, "__notes__", []))
    assert summary_events(logdir) == []
