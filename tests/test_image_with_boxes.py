"""add_image_with_boxes: box pixels equal tensorboardX's (Pillow's ImageDraw) exactly, and so do
rescaled pixels (Pillow's LANCZOS); labels are drawn in our own font."""

import numpy as np
import pytest
import torch
import turboboard
from conftest import accumulate, assert_same_events, decode_png, summary_events, write_with

WALL = 1_700_000_000.0


def random_boxes(rng, n, height, width):
    """Boxes of every kind: inside, inverted, degenerate, partly or wholly outside, fractional."""
    x = rng.uniform(-0.3 * width, 1.3 * width, (n, 2))
    y = rng.uniform(-0.3 * height, 1.3 * height, (n, 2))
    boxes = np.stack([x[:, 0], y[:, 0], x[:, 1], y[:, 1]], axis=1)
    boxes[: n // 2] = np.round(boxes[: n // 2])
    boxes[0] = [2, 3, 2, 3]  # a point
    boxes[1] = [1, 1, 1, height - 2]  # a vertical line
    boxes[2] = [-5.5, 1.7, 3.2, 2.9]
    return boxes


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    ("channels", "dtype", "dataformats"),
    [(3, np.float64, "CHW"), (3, np.uint8, "HWC"), (4, np.uint8, "HWC"), (1, np.float32, "CHW")],
    ids=["float-CHW", "uint8-HWC", "RGBA", "gray"],
)
def test_box_pixels_match_tensorboardx(tmp_path, seed, channels, dtype, dataformats):
    rng = np.random.default_rng(seed)
    height, width = (int(v) for v in rng.integers(6, 40, 2))
    shape = (channels, height, width) if dataformats == "CHW" else (height, width, channels)
    image = rng.integers(0, 256, shape).astype(np.uint8) if dtype == np.uint8 else rng.random(shape)
    image = image.astype(dtype)
    boxes = random_boxes(rng, 12, height, width)
    assert_same_events(
        tmp_path,
        lambda w: w.add_image_with_boxes("boxes", image, boxes, 1, WALL, dataformats),
    )


def test_boxes_as_tensors_and_lists(tmp_path):
    image = torch.rand(3, 20, 30)
    boxes = torch.tensor([[2, 3, 15, 18], [10.5, 1.2, 29.9, 8.8]])
    assert_same_events(tmp_path / "t", lambda w: w.add_image_with_boxes("b", image, boxes, 0, WALL))
    ours = summary_events(str(tmp_path / "t" / "turboboard"))
    with turboboard.SummaryWriter(str(tmp_path / "l")) as w:
        w.add_image_with_boxes("b", image, boxes.tolist(), 0, WALL)
    assert summary_events(str(tmp_path / "l")) == ours
    # No boxes: the plain image.
    assert_same_events(
        tmp_path / "e", lambda w: w.add_image_with_boxes("b", image, np.zeros((0, 4)), 0, WALL)
    )


def test_labels_are_drawn_beside_matching_boxes(tmp_path):
    image = np.full((3, 60, 80), 0.5)
    boxes = np.array([[5, 5, 70, 50], [30, 20, 60, 40]])
    labels = ["cat", "dé"]

    def calls(w):
        w.add_image_with_boxes("b", image, boxes, 0, WALL, labels=labels)

    ours = decode_png(
        summary_events(write_with("turboboard", str(tmp_path / "o"), calls))[0]
        .summary.value[0]
        .image.encoded_image_string
    )
    theirs = decode_png(
        summary_events(write_with("tensorboardX", str(tmp_path / "x"), calls))[0]
        .summary.value[0]
        .image.encoded_image_string
    )
    # Each label is a red tag on its box's bottom edge: our 8x8 glyphs make it 8 px per
    # character wide and 11 rows tall (bottom - 10 to bottom), with black text inside.
    for (left, _, _, bottom), text in zip(boxes, labels):
        tag = ours[bottom - 10 : bottom + 1, left : left + 8 * len(text) + 1]
        red = np.all(tag == [255, 0, 0], axis=-1)
        black = np.all(tag == [0, 0, 0], axis=-1)
        assert np.all(red | black) and black[1:-1, 1:-1].sum() > 4 * len(text)
        assert np.all(red[0]) and np.all(red[:, -1])
    # Away from the tags (ours and Pillow's, whose font differs), the pixels are tensorboardX's.
    mask = np.ones(ours.shape[:2], bool)
    for left, _, _, bottom in boxes:
        mask[bottom - 16 : bottom + 2, left : left + 30] = False
    assert np.array_equal(ours[mask], theirs[mask])
    assert np.any(ours != theirs)


def test_a_label_count_mismatch_warns_and_drops_them(tmp_path):
    image = np.zeros((3, 30, 30))
    boxes = np.array([[5, 5, 20, 20], [1, 1, 10, 10]])
    with pytest.warns(UserWarning, match="labels"):
        assert_same_events(
            tmp_path / "a",
            lambda w: w.add_image_with_boxes("b", image, boxes, 0, WALL, labels=["only one"]),
        )
    # A single string labels a single box, as in tensorboardX.
    with turboboard.SummaryWriter(str(tmp_path / "s")) as w:
        w.add_image_with_boxes("b", image, boxes[:1], 0, WALL, labels="one")
    with turboboard.SummaryWriter(str(tmp_path / "l")) as w:
        w.add_image_with_boxes("b", image, boxes[:1], 0, WALL, labels=["one"])
    assert summary_events(str(tmp_path / "s")) == summary_events(str(tmp_path / "l"))


@pytest.mark.parametrize(
    ("shape", "dataformats", "rescale"),
    [
        ((3, 32, 48), "CHW", 2),
        ((3, 32, 48), "CHW", 0.5),
        ((3, 31, 45), "CHW", 1.37),
        ((3, 40, 40), "CHW", 0.3),
        ((40, 50, 3), "HWC", 3),
        ((24, 20, 4), "HWC", 1.5),
        ((24, 20, 4), "HWC", 0.6),
        ((3, 10, 10), "CHW", 1.04),  # int(10 * 1.04) == 10: no resampling
    ],
)
def test_rescale_resamples_like_pillow(tmp_path, shape, dataformats, rescale):
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, shape, dtype=np.uint8)
    if shape[-1] == 4:
        image[..., 3] = rng.choice([0, 128, 255], shape[:2])
    boxes = np.array([[3, 4, 20, 15], [0, 0, 8, 30]])

    def calls(w):
        w.add_image_with_boxes("b", image, boxes, 0, WALL, dataformats, rescale=rescale)

    ours = summary_events(write_with("turboboard", str(tmp_path / "o"), calls))[0]
    theirs = summary_events(write_with("tensorboardX", str(tmp_path / "x"), calls))[0]
    mine, other = ours.summary.value[0].image, theirs.summary.value[0].image
    # The recorded size is the one before rescale, in both.
    assert (mine.height, mine.width, mine.colorspace) == (
        other.height,
        other.width,
        other.colorspace,
    )
    # Same filter, weights and fixed-point rounding as Pillow: the same pixels.
    assert np.array_equal(
        decode_png(mine.encoded_image_string), decode_png(other.encoded_image_string)
    )


def test_the_images_plugin_reads_it(logdir):
    with turboboard.SummaryWriter(logdir) as w:
        w.add_image_with_boxes("boxes", np.zeros((3, 20, 30)), [[1, 2, 10, 12]], 4, rescale=2)
    (image,) = accumulate(logdir).Images("boxes")
    assert (image.step, image.width, image.height) == (4, 30, 20)  # recorded before rescale
    assert decode_png(image.encoded_image_string).shape == (40, 60, 3)


def test_torch_positional_rescale_is_refused_clearly(logdir):
    with turboboard.SummaryWriter(logdir) as w:
        # torch: (tag, img, boxes, global_step, walltime, rescale, dataformats, labels)
        with pytest.raises(TypeError, match="rescale"):
            w.add_image_with_boxes("b", np.zeros((3, 8, 8)), [[1, 1, 4, 4]], 0, None, 2, "CHW")
        with pytest.raises(TypeError, match="unexpected"):
            w.add_image_with_boxes("b", np.zeros((3, 8, 8)), [[1, 1, 4, 4]], scale=2)
    assert summary_events(logdir) == []


@pytest.mark.parametrize(
    ("image", "boxes", "kwargs", "error", "match"),
    [
        (np.zeros((3, 8, 8)), np.zeros(4), {}, ValueError, "box_tensor"),
        (np.zeros((3, 8, 8)), np.zeros((2, 5)), {}, ValueError, "box_tensor"),
        (np.zeros((3, 8, 8)), np.zeros((2, 4, 1)), {}, ValueError, "box_tensor"),
        (np.zeros((3, 8, 8)), [[0, 0, np.nan, 1]], {}, ValueError, "box_tensor"),
        (np.zeros((3, 8, 8)), [[0, 0, np.inf, 1]], {}, ValueError, "box_tensor"),
        (np.zeros((3, 8, 8)), "boxes", {}, TypeError, "box_tensor"),
        (np.zeros((2, 8, 8)), np.zeros((1, 4)), {}, ValueError, "img_tensor"),
        (np.zeros((3, 8, 8)), np.zeros((1, 4)), {"dataformats": "XYZ"}, ValueError, "dataformats"),
        (np.zeros((3, 8, 8)), np.zeros((1, 4)), {"rescale": 0}, ValueError, "rescale"),
        (np.zeros((3, 8, 8)), np.zeros((1, 4)), {"rescale": 0.05}, ValueError, "rescale"),
        (np.zeros((3, 8, 8)), np.zeros((1, 4)), {"rescale": float("nan")}, ValueError, "rescale"),
        (np.zeros((3, 8, 8)), np.zeros((1, 4)), {"rescale": "2"}, TypeError, "rescale"),
    ],
)
def test_bad_input_raises_clearly(logdir, image, boxes, kwargs, error, match):
    with turboboard.SummaryWriter(logdir) as w:
        with pytest.raises(error, match=match):
            w.add_image_with_boxes("b", image, boxes, 0, **kwargs)
    assert summary_events(logdir) == []
