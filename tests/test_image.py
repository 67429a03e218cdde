"""add_image and add_images: decoded pixels, sizes and channels equal tensorboardX's."""

import pickle

import numpy as np
import pytest
import torch
import turboboard
from conftest import accumulate, assert_same_events, decode_png, summary_events

WALL = 1_700_000_000.0
rng = np.random.default_rng(7)


@pytest.mark.parametrize(
    ("image", "dataformats"),
    [
        (rng.integers(0, 256, (3, 32, 48), dtype=np.uint8), "CHW"),
        (rng.integers(0, 256, (32, 48, 3), dtype=np.uint8), "HWC"),
        (rng.integers(0, 256, (32, 48, 4), dtype=np.uint8), "HWC"),
        (rng.integers(0, 256, (1, 16, 16), dtype=np.uint8), "CHW"),
        (rng.random((16, 20)), "HW"),
        (rng.random((3, 16, 20)).astype(np.float32), "CHW"),
        (rng.random((16, 3, 20)).astype(np.float32), "HCW"),
        (rng.random((3, 16, 20)).astype(np.float16), "chw"),
        (rng.random((20, 16, 3)), "WHC"),
        (rng.integers(0, 2, (8, 8)), "HW"),
        (rng.random((40, 40, 3))[::2, ::-2], "HWC"),  # a strided view
        (torch.rand(3, 24, 24), "CHW"),
        (torch.rand(3, 24, 24, requires_grad=True), "CHW"),
        (torch.rand(24, 24, 3).permute(2, 0, 1), "CHW"),
        (torch.randint(0, 256, (3, 8, 8), dtype=torch.uint8), "CHW"),
    ],
    ids=lambda v: v if isinstance(v, str) else f"{getattr(v, 'dtype', '')}{tuple(v.shape)}",
)
def test_add_image_matches_tensorboardx(tmp_path, image, dataformats):
    (event,) = assert_same_events(
        tmp_path, lambda w: w.add_image("img", image, 1, WALL, dataformats=dataformats)
    )
    value = event.summary.value[0].image
    pixels = decode_png(value.encoded_image_string)
    assert pixels.shape == (value.height, value.width, value.colorspace)


@pytest.mark.parametrize(
    ("images", "dataformats"),
    [
        (rng.random((64, 3, 16, 16)), "NCHW"),
        (rng.random((10, 2, 3, 1)).astype(np.float32), "NHWC"),
        (rng.integers(0, 256, (3, 1, 8, 8), dtype=np.uint8), "NCHW"),
        (rng.integers(0, 256, (5, 4, 8, 8), dtype=np.uint8), "NCHW"),
        (rng.random((1, 3, 8, 8)), "NCHW"),
        (torch.rand(9, 3, 8, 8), "NCHW"),
    ],
    ids=lambda v: v if isinstance(v, str) else f"{v.dtype}{tuple(v.shape)}",
)
def test_add_images_grid_matches_tensorboardx(tmp_path, images, dataformats):
    assert_same_events(tmp_path, lambda w: w.add_images("grid", images, 2, WALL, dataformats))


def test_add_images_takes_a_list(tmp_path):
    images = [rng.random((3, 8, 8)) for _ in range(3)]
    assert_same_events(tmp_path, lambda w: w.add_images("list", images, 0, WALL, "CHW"))


def test_images_plugin_reads_them(logdir):
    with turboboard.SummaryWriter(logdir) as w:
        w.add_image("img", rng.random((3, 10, 12)), 0)
        w.add_images("batch", rng.random((9, 3, 10, 12)), 1)
    acc = accumulate(logdir)
    assert sorted(acc.Tags()["images"]) == ["batch", "img"]
    (img,) = acc.Images("img")
    assert (img.width, img.height) == (12, 10)
    (batch,) = acc.Images("batch")
    assert (batch.width, batch.height) == (12 * 8, 10 * 2)


def test_out_of_range_floats_are_clipped(logdir):
    # tensorboardX's uint8 cast wraps these around; we clip, as torch does.
    image = np.array([[-0.5, 0.0, 0.5, 1.0, 2.0, np.nan]])
    with turboboard.SummaryWriter(logdir) as w:
        w.add_image("img", image, 0, dataformats="HW")
    (event,) = summary_events(logdir)
    pixels = decode_png(event.summary.value[0].image.encoded_image_string)
    assert pixels[0, :, 0].tolist() == [0, 0, 127, 255, 255, 0]


@pytest.mark.parametrize(
    ("image", "dataformats", "error", "match"),
    [
        (np.zeros((3, 8, 8)), "HWC", ValueError, None),  # 8 channels
        (np.zeros((3, 8, 8)), "NCHW", ValueError, "dataformats"),
        (np.zeros((3, 8, 8)), "CCW", ValueError, "dataformats"),
        (np.zeros((3, 8, 8)), "XYZ", ValueError, "dataformats"),
        (np.zeros((2, 8, 8)), "CHW", ValueError, "img_tensor"),
        (np.zeros((3, 0, 8)), "CHW", ValueError, "img_tensor"),
        (np.zeros(5), "CHW", ValueError, "img_tensor"),
        (np.array([["a"]]), "HW", TypeError, "img_tensor"),
        (np.zeros((3, 8, 8)), 3, TypeError, "dataformats"),
        ("picture", "CHW", TypeError, "img_tensor"),
    ],
)
def test_bad_images_raise_clearly(logdir, image, dataformats, error, match):
    with turboboard.SummaryWriter(logdir) as w:
        with pytest.raises(error, match=match):
            w.add_image("img", image, 0, dataformats=dataformats)
    assert summary_events(logdir) == []


def test_image_compression_is_checked_and_kept_by_a_pickled_writer(tmp_path):
    for bad in ("fast", "SIZE", None, 9):
        with pytest.raises(ValueError, match="image_compression"):
            turboboard.SummaryWriter(str(tmp_path / "bad"), image_compression=bad)
    writer = turboboard.SummaryWriter(str(tmp_path / "run"), image_compression="speed")
    clone = pickle.loads(pickle.dumps(writer))
    writer.close()
    assert clone._image_compression == "speed"
    clone.close()


def test_speed_over_size_keeps_every_image_method_s_pixels(tmp_path):
    """add_image, add_images, add_image_with_boxes and add_figure with
    image_compression="speed": the pixels of the default's."""
    from matplotlib.figure import Figure

    photo = rng.integers(0, 256, (3, 40, 60), dtype=np.uint8)
    photo[:, :20] = 128  # half flat, half noise: compressed, not stored
    batch = rng.random((4, 3, 16, 16))

    def log(w):
        figure = Figure(figsize=(2, 1.5), dpi=50)
        figure.subplots().plot([0, 1, 3])
        w.add_image("image", photo, 0, WALL)
        w.add_images("images", batch, 0, WALL)
        w.add_image_with_boxes("boxes", photo, np.array([[5, 5, 30, 20]]), 0, WALL)
        w.add_figure("figure", figure, 0, walltime=WALL)

    decoded = {}
    for option in ("size", "speed"):
        logdir = str(tmp_path / option)
        with turboboard.SummaryWriter(logdir, image_compression=option) as w:
            log(w)
        decoded[option] = [
            decode_png(value.image.encoded_image_string)
            for event in summary_events(logdir)
            for value in event.summary.value
        ]
    assert len(decoded["speed"]) == 4
    for fast, small in zip(decoded["speed"], decoded["size"]):
        assert np.array_equal(fast, small)
