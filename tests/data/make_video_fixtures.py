"""Writes tests/data/tbx_video.npz: videos and the Summary tensorboardX 2.6.5 writes for each
through moviepy (the reference GIFs; moviepy is not a test dependency, it pins Pillow < 12).

Run with tensorboardX, moviepy 2.x and numpy installed:

    python tests/data/make_video_fixtures.py

The file holds, for each case i: ``input_i`` (the tensor), ``fps_i``, ``dataformats_i`` and
``summary_i`` (the serialized Summary).
"""

import os

import numpy as np
from tensorboardX.summary import video

HERE = os.path.dirname(os.path.abspath(__file__))


def few_colours(shape, dtype, seed):
    """Frames of at most 4 levels per channel, so that every GIF palette is exact."""
    levels = np.random.default_rng(seed).integers(0, 4, shape)
    if dtype == np.uint8:
        return (levels * 85).astype(np.uint8)
    return (levels / 3).astype(dtype)


CASES = [
    (few_colours((1, 3, 3, 8, 10), np.uint8, 0), 4, "NTCHW"),
    (few_colours((3, 2, 3, 6, 5), np.float32, 1), 3, "NTCHW"),
    (few_colours((5, 2, 1, 4, 4), np.uint8, 2), 7, "NTCHW"),
    (few_colours((2, 3, 4, 5, 6), np.uint8, 3), 0.5, "NTCHW"),
    (few_colours((2, 4, 6, 5, 3), np.float64, 4), 30, "NTHWC"),
]


def main():
    arrays = {}
    for i, (tensor, fps, dataformats) in enumerate(CASES):
        summary = video("video", tensor, fps=fps, dataformats=dataformats)
        assert summary.value[0].image.encoded_image_string.startswith(b"GIF89a"), "no moviepy?"
        arrays[f"input_{i}"] = tensor
        arrays[f"fps_{i}"] = np.float64(fps)
        arrays[f"dataformats_{i}"] = np.str_(dataformats)
        arrays[f"summary_{i}"] = np.frombuffer(summary.SerializeToString(), np.uint8)
    np.savez_compressed(os.path.join(HERE, "tbx_video.npz"), **arrays)


if __name__ == "__main__":
    main()
