"""add_histogram and add_histogram_raw: buckets equal tensorboardX's exactly."""

import numpy as np
import pytest
import torch
import turboboard
from conftest import accumulate, assert_same_events, summary_events
from turboboard import _core

WALL = 1_700_000_000.0
rng = np.random.default_rng(42)


def assert_same_histogram(tmp_path, values, anchor="tensorboardX", **kwargs):
    def calls(w):
        w.add_histogram("h", values, 1, walltime=WALL, **kwargs)

    ours = summary_events(_write("turboboard", tmp_path, calls))
    theirs = summary_events(_write(anchor, tmp_path, calls))
    (mine,), (other,) = ours, theirs
    a, b = mine.summary.value[0].histo, other.summary.value[0].histo
    assert list(a.bucket_limit) == list(b.bucket_limit)
    assert list(a.bucket) == list(b.bucket)
    assert (a.min, a.max, a.num) == pytest.approx((b.min, b.max, b.num), nan_ok=True, rel=0)
    # sum follows numpy's pairwise order exactly; sum_squares is a BLAS dot product upstream.
    assert a.sum == pytest.approx(b.sum, rel=1e-12, nan_ok=True)
    assert a.sum_squares == pytest.approx(b.sum_squares, rel=1e-12, nan_ok=True)
    return a


def _write(name, tmp_path, calls):
    from conftest import write_with

    return write_with(name, str(tmp_path / name), calls)


@pytest.mark.parametrize(
    "values",
    [
        rng.standard_normal(10_000).astype(np.float32),
        rng.standard_normal(300_000),  # large enough to be binned in parallel
        rng.uniform(-1e6, 1e6, 5000),
        rng.standard_cauchy(5000) * 1e10,
        np.concatenate([rng.standard_normal(100) * 1e-14, [0.0, -0.0]]),
        -np.abs(rng.standard_normal(1000)),
        rng.integers(-1000, 1000, 2000),
        rng.integers(0, 255, (10, 10, 3), dtype=np.uint8),
        rng.standard_normal((4, 5, 6)).astype(np.float16),
        np.array([True, False, True]),
        [1.0, 2.0, 3.0],
        [[1, 2], [3, 4]],
        np.array([1.0]),
        np.array([0.0]),
        np.array([np.nan, 1.0]),
        np.array([np.inf, 1.0, -np.inf]),
        np.array([-1e21, 1.0, 1e21]),
        np.asarray(_core.default_bucket_limits()),  # every edge exactly
        rng.standard_normal((100, 100))[::3, ::2],  # not contiguous
    ],
    ids=lambda v: f"{np.asarray(v).dtype}{np.asarray(v).shape}",
)
def test_default_bins_match_tensorboardx(tmp_path, values):
    assert_same_histogram(tmp_path, values)


@pytest.mark.parametrize(
    "bins", [1, 7, 30, [-1.0, 0.0, 0.5, 2.0], np.linspace(-3, 3, 11), "auto", "fd", "sqrt"]
)
def test_other_bins_match_tensorboardx(tmp_path, bins):
    assert_same_histogram(tmp_path, rng.standard_normal(5000).astype(np.float32), bins=bins)


@pytest.mark.parametrize("max_bins", [1, 10, 100, 2000])
def test_max_bins_matches_tensorboardx(tmp_path, max_bins):
    assert_same_histogram(tmp_path, rng.standard_normal(5000), max_bins=max_bins)


@pytest.mark.parametrize(
    "tensor",
    [
        torch.randn(1000),
        torch.randn(1000, dtype=torch.float16),
        torch.randn(32, 32, requires_grad=True),
        torch.randn(64, 64).t(),
        torch.randint(-5, 5, (100,)),
    ],
    ids=["float32", "float16", "requires_grad", "transposed", "int64"],
)
def test_torch_tensors_match_torch(tmp_path, tensor):
    assert_same_histogram(tmp_path, tensor, anchor="torch")


def test_bfloat16_is_binned_exactly(logdir):
    tensor = torch.randn(1000, dtype=torch.bfloat16)
    with turboboard.SummaryWriter(logdir) as w:
        w.add_histogram("h", tensor, 0)
        w.add_histogram("f", tensor.float(), 0)
    a, b = (e.summary.value[0].histo for e in summary_events(logdir))
    assert a == b


def test_tensorboard_reads_the_histograms(logdir):
    with turboboard.SummaryWriter(logdir) as w:
        for step in range(3):
            w.add_histogram("weights", rng.standard_normal(1000) + step, step)
    acc = accumulate(logdir)
    assert acc.Tags()["histograms"] == ["weights"]
    events = acc.Histograms("weights")
    assert [e.step for e in events] == [0, 1, 2]
    assert all(e.histogram_value.num == 1000 for e in events)


@pytest.mark.parametrize(
    ("values", "kwargs", "error", "match"),
    [
        ([], {}, ValueError, "no element"),
        (np.array([np.nan]), {}, ValueError, "empty"),
        (np.array([1e21]), {}, ValueError, "empty"),
        (np.array([np.nan, 1.0]), {"bins": "auto"}, ValueError, "bins"),
        ([1.0, 2.0], {"bins": "nonsense"}, ValueError, "bins"),
        ([1.0, 2.0], {"bins": 0}, ValueError, "bins"),
        ([1.0, 2.0], {"bins": [3.0, 1.0]}, ValueError, "bins"),
        ([1.0, 2.0], {"max_bins": 0}, ValueError, "max_bins"),
        (["a", "b"], {}, TypeError, "values"),
        (np.array([1 + 2j]), {}, TypeError, "values"),
        ("text", {}, TypeError, "values"),
        (object(), {}, TypeError, "values"),
    ],
)
def test_bad_input_raises_clearly(logdir, values, kwargs, error, match):
    with turboboard.SummaryWriter(logdir) as w:
        with pytest.raises(error, match=match):
            w.add_histogram("h", values, 0, **kwargs)
        w.add_scalar("still_works", 1.0, 0)
    assert [e.summary.value[0].tag for e in summary_events(logdir)] == ["still_works"]


def test_histogram_raw_matches_tensorboardx(tmp_path):
    def calls(w):
        w.add_histogram_raw("raw", -1.0, 3.0, 6, 7.5, 20.25, [0.0, 1.0, 3.0], [1, 2, 3], 4, WALL)
        w.add_histogram_raw(
            "raw_np",
            np.float32(0),
            1,
            np.int64(2),
            1,
            1,
            np.array([1.0]),
            torch.tensor([2.0]),
            5,
            WALL,
        )

    assert_same_events(tmp_path, calls)


def test_histogram_raw_checks_lengths(logdir):
    with turboboard.SummaryWriter(logdir) as w, pytest.raises(ValueError, match="bucket_limits"):
        w.add_histogram_raw("raw", 0, 1, 1, 1, 1, [1.0, 2.0], [1.0], 0)
