"""add_pr_curve and add_pr_curve_raw: float32 results bit-identical to tensorboardX's (and
torch's) numpy computation, read back by TensorBoard's reader."""

import numpy as np
import pytest
import torch
import turboboard
from conftest import accumulate, assert_same_events
from tensorboard.plugins.pr_curve import plugin_data_pb2
from tensorboard.util import tensor_util

WALL = 1_700_000_000.0
rng = np.random.default_rng(7)
N = 1000
LABELS = rng.integers(0, 2, N)
PREDICTIONS = rng.random(N)


def curve(event):
    (value,) = event.summary.value
    return tensor_util.make_ndarray(value.tensor), value


@pytest.mark.parametrize("anchor", ["tensorboardX", "torch"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
@pytest.mark.parametrize("num_thresholds", [127, 2, 10, 1, 500])
def test_pr_curve_matches_anchors(tmp_path, anchor, dtype, num_thresholds):
    predictions = PREDICTIONS.astype(dtype)
    (event,) = assert_same_events(
        tmp_path,
        lambda w: w.add_pr_curve("pr", LABELS, predictions, 3, num_thresholds, walltime=WALL),
        anchor,
    )
    data, value = curve(event)
    thresholds = min(num_thresholds, 127)
    assert data.shape == (6, thresholds)
    assert value.metadata.plugin_data.plugin_name == "pr_curves"
    metadata = plugin_data_pb2.PrCurvePluginData.FromString(value.metadata.plugin_data.content)
    assert metadata.num_thresholds == thresholds
    assert data[0, 0] + data[3, 0] == LABELS.sum()  # TP + FN at the lowest threshold


@pytest.mark.parametrize(
    "weights", [None, 0.5, rng.random(N), rng.random(N).astype(np.float32), [2.0]]
)
def test_weights_match_tensorboardx(tmp_path, weights):
    assert_same_events(
        tmp_path,
        lambda w: w.add_pr_curve("pr", LABELS, PREDICTIONS, 0, weights=weights, walltime=WALL),
    )


def test_more_values_than_numpy_sums_at_once(tmp_path):
    # np.histogram adds weights in blocks of 65536; the sums only match if we group the same.
    n = 200_003
    labels, predictions, weights = rng.random(n), rng.random(n), rng.random(n) * 3
    assert_same_events(
        tmp_path,
        lambda w: w.add_pr_curve("pr", labels, predictions, 0, weights=weights, walltime=WALL),
    )


@pytest.mark.parametrize(
    "labels, predictions",
    [
        # Out of range, NaN and infinite predictions are dropped; -0.0 lands in bucket 0.
        (
            np.array([1, 0, 1, 1, 0, 1, 1]),
            np.array([-0.5, 1.5, np.nan, np.inf, -np.inf, -0.0, 1.0]),
        ),
        # Labels other than 0 and 1 weigh as numbers; booleans work.
        (np.array([0.25, 3.0, -1.0]), np.array([0.1, 0.5, 0.9])),
        (np.array([True, False, True]), np.array([0.1, 0.5, 0.9], dtype=np.float32)),
        # Integer predictions (exact at 0 and 1), 2-D arrays, empty input.
        (np.array([1, 0, 1]), np.array([0, 1, 1])),
        (LABELS.reshape(10, 100), PREDICTIONS.reshape(10, 100)),
        (np.array([]), np.array([])),
        # Values on the edge of a bucket in float32 and float16.
        (np.ones(64), (np.arange(64) / 126).astype(np.float32)),
        (np.ones(64), (np.arange(64) / 126).astype(np.float16)),
    ],
)
def test_edge_cases_match_tensorboardx(tmp_path, labels, predictions):
    assert_same_events(
        tmp_path, lambda w: w.add_pr_curve("pr", labels, predictions, 1, walltime=WALL)
    )


def test_torch_tensors_match_torch(tmp_path):
    labels = torch.from_numpy(LABELS)
    predictions = torch.from_numpy(PREDICTIONS).float()
    assert_same_events(
        tmp_path, lambda w: w.add_pr_curve("pr", labels, predictions, 5, walltime=WALL), "torch"
    )


ROWS = dict(
    true_positive_counts=[5.0, 3.0, 0.0],
    false_positive_counts=np.array([4, 1, 0]),
    true_negative_counts=np.array([0, 3, 4], dtype=np.float32),
    false_negative_counts=[0, 2, 5],
    precision=np.array([5 / 9, 0.75, 0.0]),
    recall=torch.tensor([1.0, 0.6, 0.0]),
)


@pytest.mark.parametrize("anchor", ["tensorboardX", "torch"])
@pytest.mark.parametrize("num_thresholds", [3, 127, 1000])
def test_pr_curve_raw_matches_anchors(tmp_path, anchor, num_thresholds):
    (event,) = assert_same_events(
        tmp_path,
        lambda w: w.add_pr_curve_raw(
            "raw", *ROWS.values(), 4, num_thresholds, weights=None, walltime=WALL
        ),
        anchor,
    )
    data, _ = curve(event)
    assert data.shape == (6, 3)
    np.testing.assert_array_equal(data[4], np.float32(ROWS["precision"]))


def test_tensorboard_reads_pr_curves(logdir):
    with turboboard.SummaryWriter(logdir) as w:
        for step in range(3):
            w.add_pr_curve("pr", LABELS, PREDICTIONS, step, num_thresholds=11)
    acc = accumulate(logdir)
    assert acc.Tags()["tensors"] == ["pr"]
    assert [t.step for t in acc.Tensors("pr")] == [0, 1, 2]
    assert acc.SummaryMetadata("pr").plugin_data.plugin_name == "pr_curves"
    assert tensor_util.make_ndarray(acc.Tensors("pr")[0].tensor_proto).shape == (6, 11)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(num_thresholds=0), ValueError, "num_thresholds"),
        (dict(num_thresholds=2.5), TypeError, "num_thresholds"),
        (dict(labels=["a", "b"]), TypeError, "labels"),
        (dict(predictions="0.5"), TypeError, "predictions"),
        (dict(labels=np.ones(3)), ValueError, "labels"),
        (dict(weights=np.ones(3)), ValueError, "weights"),
        (dict(weights="heavy"), TypeError, "weights"),
    ],
)
def test_bad_pr_curve_arguments(logdir, kwargs, error, match):
    args = dict(labels=np.ones(4), predictions=np.full(4, 0.5)) | kwargs
    with turboboard.SummaryWriter(logdir) as w, pytest.raises(error, match=match):
        w.add_pr_curve("pr", **args)


@pytest.mark.parametrize(
    "row, value, error",
    [
        ("precision", [0.5, 0.5], ValueError),
        ("recall", np.ones((3, 1)), ValueError),
        ("true_positive_counts", ["x", "y", "z"], TypeError),
    ],
)
def test_bad_pr_curve_raw_arguments(logdir, row, value, error):
    rows = dict(ROWS) | {row: value}
    with turboboard.SummaryWriter(logdir) as w, pytest.raises(error, match=row):
        w.add_pr_curve_raw("raw", **rows)
