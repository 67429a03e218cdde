"""add_video: GIF frames, size and colorspace equal what tensorboardX writes (its own
_prepare_video tiling and scaling, and GIFs it wrote through moviepy, kept in tests/data)."""

import io
import os
import threading
import time

import numpy as np
import pytest
import torch
import turboboard
from conftest import accumulate, summary_events
from PIL import Image, ImageSequence
from tensorboard.compat.proto import summary_pb2
from tensorboardX.utils import _prepare_video, convert_to_NTCHW

WALL = 1_700_000_000.0
rng = np.random.default_rng(5)
FIXTURES = os.path.join(os.path.dirname(__file__), "data", "tbx_video.npz")


def decode_gif(data: bytes) -> tuple[np.ndarray, list[int], dict]:
    """Every frame as RGB, each frame's duration in ms, and the GIF's info."""
    gif = Image.open(io.BytesIO(data))
    info = dict(gif.info)
    frames, durations = [], []
    for frame in ImageSequence.Iterator(gif):
        frames.append(np.asarray(frame.convert("RGB")))
        durations.append(frame.info.get("duration", 0))
    return np.stack(frames), durations, info


def tensorboardx_frames(tensor, dataformats="NTCHW") -> np.ndarray:
    """The uint8 frames tensorboardX hands to moviepy, RGB as moviepy writes them."""
    array = tensor.numpy() if isinstance(tensor, torch.Tensor) else tensor
    frames = _prepare_video(convert_to_NTCHW(array, dataformats))
    if frames.dtype != np.uint8:
        frames = (frames * 255.0).astype(np.uint8)
    if frames.shape[-1] == 1:
        return np.repeat(frames, 3, axis=-1)
    return frames[..., :3]


def write_video(logdir, tensor, fps=4, dataformats="NTCHW"):
    with turboboard.SummaryWriter(logdir) as w:
        w.add_video("video", tensor, 2, fps, WALL, dataformats)
    (event,) = summary_events(logdir)
    assert (event.step, event.wall_time) == (2, WALL)
    return event.summary.value[0]


def few_colours(shape, dtype=np.uint8):
    levels = rng.integers(0, 4, shape)
    return (levels * 85).astype(np.uint8) if dtype == np.uint8 else (levels / 3).astype(dtype)


@pytest.mark.parametrize(
    ("tensor", "dataformats"),
    [
        (few_colours((1, 3, 3, 8, 10)), "NTCHW"),
        (few_colours((2, 2, 3, 5, 7)), "NTCHW"),
        (few_colours((3, 2, 3, 6, 5), np.float32), "NTCHW"),  # padded to 4: one row of 4
        (few_colours((5, 2, 3, 4, 4), np.float64), "NTCHW"),  # padded to 8: 2 rows of 4
        (few_colours((9, 1, 3, 3, 3)), "NTCHW"),
        (few_colours((2, 3, 1, 6, 6)), "NTCHW"),  # gray: RGB frames, colorspace 1
        (few_colours((2, 3, 4, 6, 6)), "NTCHW"),  # RGBA: alpha dropped, colorspace 4
        (few_colours((2, 4, 6, 5, 3), np.float32), "NTHWC"),
        (few_colours((3, 2, 5, 4, 3)), "tnwhc"),
        (np.full((3, 2, 3, 4, 4), 0x2206, np.uint16).view(np.float16), "NTCHW"),  # f64 padding
        (torch.from_numpy(few_colours((2, 2, 3, 4, 4), np.float32)), "NTCHW"),
    ],
    ids=lambda v: v if isinstance(v, str) else f"{v.dtype}{tuple(v.shape)}",
)
def test_frames_match_tensorboardx(logdir, tensor, dataformats):
    value = write_video(logdir, tensor, 5, dataformats)
    expected = tensorboardx_frames(tensor, dataformats)
    frames, durations, info = decode_gif(value.image.encoded_image_string)
    assert np.array_equal(frames, expected)
    channels = convert_to_NTCHW(np.asarray(tensor), dataformats).shape[2]
    assert (value.image.height, value.image.width, value.image.colorspace) == (
        *expected.shape[1:3],
        channels,
    )
    assert durations == [200] * len(frames)
    assert info["loop"] == 0
    assert not value.HasField("metadata")


def test_out_of_range_values_are_clipped(logdir):
    # tensorboardX's uint8 cast wraps them around; we clip, as add_image does.
    value = write_video(logdir, np.array([-0.5, 0.2, 1.0, 1.7, np.nan]).reshape(1, 1, 1, 1, 5))
    frames, _, _ = decode_gif(value.image.encoded_image_string)
    assert frames[0, 0, :, 0].tolist() == [0, 51, 255, 255, 0]


def fixture_cases():
    data = np.load(FIXTURES)
    count = len([k for k in data.files if k.startswith("input_")])
    return [
        pytest.param(
            data[f"input_{i}"],
            float(data[f"fps_{i}"]),
            str(data[f"dataformats_{i}"]),
            data[f"summary_{i}"].tobytes(),
            id=f"tbx{i}",
        )
        for i in range(count)
    ]


@pytest.mark.parametrize(("tensor", "fps", "dataformats", "summary"), fixture_cases())
def test_matches_gifs_tensorboardx_wrote(logdir, tensor, fps, dataformats, summary):
    theirs = summary_pb2.Summary.FromString(summary).value[0]
    ours = write_video(logdir, tensor, fps, dataformats)
    assert ours.tag == theirs.tag
    for field in ("height", "width", "colorspace"):
        assert getattr(ours.image, field) == getattr(theirs.image, field), field
    our_frames, our_durations, our_info = decode_gif(ours.image.encoded_image_string)
    their_frames, their_durations, their_info = decode_gif(theirs.image.encoded_image_string)
    assert np.array_equal(our_frames, their_frames)
    assert our_durations == their_durations
    assert our_info["loop"] == their_info["loop"] == 0


@pytest.mark.parametrize(("fps", "ms"), [(4, 250), (3, 330), (6, 160), (0.5, 2000), (60, 10)])
def test_fps_sets_the_frame_duration(logdir, fps, ms):
    value = write_video(logdir, few_colours((1, 2, 3, 2, 2)), fps)
    _, durations, _ = decode_gif(value.image.encoded_image_string)
    assert durations == [ms, ms]


def test_many_colours_are_close(logdir):
    # A smooth gradient has 4096 colours per frame: NeuQuant keeps it within a few levels.
    y, x = np.mgrid[0:64, 0:64] / 63.0
    frames = np.stack([y, x, (x + y) / 2])[None, None].repeat(3, axis=1).astype(np.float32)
    value = write_video(logdir, frames)
    decoded, _, _ = decode_gif(value.image.encoded_image_string)
    error = np.abs(decoded.astype(int) - tensorboardx_frames(frames).astype(int))
    assert error.mean() < 9 and error.max() <= 48


def test_the_images_plugin_reads_it(logdir):
    with turboboard.SummaryWriter(logdir) as w:
        w.add_video("clip", few_colours((3, 4, 3, 6, 8)), 1)
    acc = accumulate(logdir)
    assert acc.Tags()["images"] == ["clip"]
    (image,) = acc.Images("clip")
    assert (image.step, image.width, image.height) == (1, 32, 6)
    assert image.encoded_image_string.startswith(b"GIF89a")


def test_encoding_releases_the_gil(logdir):
    video = rng.random((1, 16, 3, 96, 96)).astype(np.float32)  # NeuQuant on every frame
    counts = []
    done = threading.Event()

    def count():
        n = 0
        while not done.is_set():
            n += 1
            if n % 1000 == 0:
                counts.append(time.perf_counter())

    with turboboard.SummaryWriter(logdir) as w:
        thread = threading.Thread(target=count)
        thread.start()
        time.sleep(0.05)
        start = time.perf_counter()
        w.add_video("noise", video, 0)
        w.flush()  # the writer thread encodes the GIF; the flush waits for it without the GIL
        end = time.perf_counter()
        done.set()
        thread.join()
    during = [t for t in counts if start < t < end]
    # Python code ran while the GIF was encoded: most of the time saw the counter move.
    assert end - start > 0.02
    assert during and during[-1] - during[0] > 0.5 * (end - start)


@pytest.mark.parametrize(
    ("tensor", "kwargs", "error", "match"),
    [
        (np.zeros((1, 2, 3, 4)), {}, ValueError, "vid_tensor"),
        (np.zeros((1, 2, 2, 4, 4)), {}, ValueError, "vid_tensor"),
        (np.zeros((1, 2, 5, 4, 4)), {}, ValueError, "vid_tensor"),
        (np.zeros((0, 2, 3, 4, 4)), {}, ValueError, "vid_tensor"),
        (np.zeros((1, 2, 3, 4, 4)), {"dataformats": "NTCHX"}, ValueError, "dataformats"),
        (np.zeros((1, 2, 3, 4, 4)), {"dataformats": "NCHW"}, ValueError, "dataformats"),
        (np.zeros((1, 2, 3, 4, 4)), {"dataformats": 5}, TypeError, "dataformats"),
        (np.zeros((1, 2, 3, 4, 4)), {"fps": 0}, ValueError, "fps"),
        (np.zeros((1, 2, 3, 4, 4)), {"fps": -2.0}, ValueError, "fps"),
        (np.zeros((1, 2, 3, 4, 4)), {"fps": float("nan")}, ValueError, "fps"),
        (np.zeros((1, 2, 3, 4, 4)), {"fps": 0.001}, ValueError, "fps"),
        (np.zeros((1, 2, 3, 4, 4)), {"fps": "4"}, TypeError, "fps"),
        (np.array([[["a"]]]), {}, TypeError, "vid_tensor"),
    ],
)
def test_bad_videos_raise_clearly(logdir, tensor, kwargs, error, match):
    with turboboard.SummaryWriter(logdir) as w:
        with pytest.raises(error, match=match):
            w.add_video("video", tensor, 0, **kwargs)
    assert summary_events(logdir) == []
