"""A real TensorBoard serves the plugin data turboboard wrote (PR curves, meshes, hparams,
custom scalars) through each plugin's HTTP API, with both of its loaders."""

import json

import numpy as np
import pytest
import test_tensorboard_server as tensorboard_server
import turboboard
from tensorboardX.summary import compute_curve

get = tensorboard_server.get
# The same fixture, run here on this module's own `run_dir`.
server = tensorboard_server.server

rng = np.random.default_rng(1)
LABELS = rng.integers(0, 2, 500)
PREDICTIONS = rng.random(500)
VERTICES = np.array([[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]])
FACES = np.array([[[0, 1, 2], [0, 1, 3], [0, 2, 3], [1, 2, 3]]])
COLORS = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [9, 9, 9]]], dtype=np.uint8)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("plugins") / "demo"
    with turboboard.SummaryWriter(str(logdir)) as w:
        for step in range(3):
            w.add_scalar("loss/train", 1.0 / (step + 1), step)
            w.add_scalar("loss/test", 2.0 / (step + 1), step)
            w.add_pr_curve("pr", LABELS, PREDICTIONS, step, num_thresholds=11)
        w.add_mesh("tetra", VERTICES, COLORS, FACES, {"camera": {"cls": "PerspectiveCamera"}}, 0)
        w.add_custom_scalars_multilinechart(["loss/train", "loss/test"], "losses", "both")
        w.add_hparams({"lr": 0.01, "optimizer": "adam", "nesterov": True}, {"hp/acc": 0.5}, "hp")
    return logdir.parent


def test_pr_curves(server):
    assert "pr" in get(server, "/data/plugin/pr_curves/tags")["demo"]
    curves = get(server, "/data/plugin/pr_curves/pr_curves", run="demo", tag="pr")["demo"]
    assert [c["step"] for c in curves] == [0, 1, 2]
    # tensorboardX's computation as the oracle; the plugin drops the empty top thresholds.
    expected = compute_curve(LABELS, PREDICTIONS, num_thresholds=11).astype(np.float32)
    served = len(curves[0]["precision"])
    assert 1 <= served <= 11
    assert curves[0]["true_positives"] == expected[0, :served].tolist()
    assert curves[0]["precision"] == expected[4, :served].tolist()
    assert curves[0]["recall"] == expected[5, :served].tolist()


def test_mesh(server):
    assert get(server, "/data/plugin/mesh/tags")["demo"] == {"tetra": {"samples": 1}}
    parts = get(server, "/data/plugin/mesh/meshes", run="demo", tag="tetra")
    assert sorted(p["content_type"] for p in parts) == [1, 2, 3]
    assert json.loads(parts[0]["config"]) == {"camera": {"cls": "PerspectiveCamera"}}
    for content_type, expected, dtype in [
        ("VERTEX", VERTICES, np.float32),
        ("FACE", FACES, np.int32),
        ("COLOR", COLORS, np.uint8),
    ]:
        body = get(
            server, "/data/plugin/mesh/data", run="demo", tag="tetra", content_type=content_type
        )
        np.testing.assert_array_equal(np.frombuffer(body, dtype), expected.ravel())


def test_custom_scalars(server):
    layout = get(server, "/data/plugin/custom_scalars/layout")
    (category,) = layout["category"]
    assert category["title"] == "losses"
    assert category["chart"][0]["multiline"]["tag"] == ["loss/train", "loss/test"]


def test_hparams(server):
    request = json.dumps({"experimentName": ""})
    experiment = get(server, "/data/plugin/hparams/experiment", request=request)
    infos = {h["name"]: h["type"] for h in experiment["hparamInfos"]}
    assert infos["optimizer"] == "DATA_TYPE_STRING"
    assert infos["nesterov"] == "DATA_TYPE_BOOL"
    assert [m["name"]["tag"] for m in experiment["metricInfos"]] == ["hp/acc"]
    request = json.dumps(
        {"experimentName": "", "allowedStatuses": ["STATUS_SUCCESS"], "sliceSize": 10}
    )
    groups = get(server, "/data/plugin/hparams/session_groups", request=request)
    (group,) = groups["sessionGroups"]
    assert group["hparams"] == {"lr": 0.01, "optimizer": "adam", "nesterov": True}
    assert group["metricValues"][0]["value"] == 0.5
