"""add_mesh: tensorboardX's tags (``<tag>_1`` vertices, ``_2`` faces, ``_3`` colors) and
metadata, value for value, readable by the mesh plugin."""

import numpy as np
import pytest
import torch
import turboboard
from conftest import accumulate, assert_same_events
from tensorboard.plugins.mesh import metadata, plugin_data_pb2
from tensorboard.util import tensor_util

WALL = 1_700_000_000.0
rng = np.random.default_rng(3)
VERTICES = rng.standard_normal((2, 5, 3))
COLORS = rng.integers(0, 256, (2, 5, 3)).astype(np.uint8)
FACES = np.array([[[0, 1, 2], [2, 3, 4]]] * 2, dtype=np.int64)
CONFIG = {"camera": {"cls": "PerspectiveCamera", "fov": 75}, "lights": [{"cls": "AmbientLight"}]}

# tensorboardX's order in the summary, and content type numbers in the tags.
PARTS = {"vertices": 1, "faces": 2, "colors": 3}

CASES = {
    "point_cloud": dict(vertices=VERTICES),
    "colored_cloud": dict(vertices=VERTICES.astype(np.float32), colors=COLORS),
    "mesh": dict(vertices=VERTICES, colors=COLORS, faces=FACES, config_dict=CONFIG),
    "torch": dict(
        vertices=torch.from_numpy(VERTICES),
        faces=torch.from_numpy(FACES).int(),
        config_dict={},
    ),
    "float16_faces_only": dict(vertices=VERTICES.astype(np.float16), faces=FACES[:1]),
}


@pytest.mark.parametrize("case", CASES)
def test_mesh_matches_tensorboardx(tmp_path, case):
    kwargs = CASES[case]
    (event,) = assert_same_events(
        tmp_path, lambda w: w.add_mesh("cube", **kwargs, global_step=4, walltime=WALL)
    )
    present = [n for n in PARTS if n in kwargs]
    assert [v.tag for v in event.summary.value] == [f"cube_{PARTS[n]}" for n in present]
    for value, name in zip(event.summary.value, present):
        data = plugin_data_pb2.MeshPluginData.FromString(value.metadata.plugin_data.content)
        assert data.name == "cube"
        assert list(data.shape) == list(np.shape(kwargs[name]))
        expected = np.asarray(kwargs[name], dtype=np.float64).astype(np.float32)
        np.testing.assert_array_equal(tensor_util.make_ndarray(value.tensor), expected)


def test_mesh_plugin_reads_it(logdir):
    with turboboard.SummaryWriter(logdir) as w:
        for step in range(2):
            w.add_mesh("cube", VERTICES, COLORS, FACES, CONFIG, step)
    acc = accumulate(logdir)
    assert sorted(acc.Tags()["tensors"]) == ["cube_1", "cube_2", "cube_3"]
    parsed = metadata.parse_plugin_metadata(acc.SummaryMetadata("cube_3").plugin_data.content)
    assert parsed.content_type == plugin_data_pb2.MeshPluginData.COLOR
    assert [t.step for t in acc.Tensors("cube_2")] == [0, 1]


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(vertices=None), ValueError, "vertices"),
        (dict(vertices=VERTICES[0]), ValueError, "vertices"),
        (dict(vertices=VERTICES, faces=FACES[None]), ValueError, "faces"),
        (dict(vertices=VERTICES, colors="red"), TypeError, "colors"),
        (dict(vertices=VERTICES, config_dict={"f": object()}), TypeError, "config_dict"),
    ],
)
def test_bad_meshes(logdir, kwargs, error, match):
    with turboboard.SummaryWriter(logdir) as w, pytest.raises(error, match=match):
        w.add_mesh("cube", **kwargs)
