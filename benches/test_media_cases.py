"""Head-to-head cases of the media and projector methods (add_video, add_audio, add_embedding),
each round including the writer's close(), as in test_cases.py.

tensorboardX and torch encode video with moviepy (torch needs moviepy < 2, tensorboardX either);
without it they log an error and write nothing, so their video cases are skipped:

    pip install 'moviepy<2'   # or: maturin develop --release --extras bench
    pytest benches/test_media_cases.py --benchmark-group-by=group --benchmark-json=media.json
    python benches/report.py media.json
"""

import importlib.util

import numpy as np
import pytest
from conftest import logging_run, measure

rng = np.random.default_rng(0)


def moving_blobs(frames: int, size: int) -> np.ndarray:
    """A (1, T, 3, H, W) float32 clip in [0, 1]: smooth colour fields drifting across the
    frame, with a little sensor noise (what a rendered rollout or a webcam gives, not white
    noise, which no GIF encoder meets in practice)."""
    y, x = np.mgrid[0:size, 0:size] / size
    clip = np.empty((frames, 3, size, size), np.float32)
    for t in range(frames):
        phase = t / frames * 2 * np.pi
        for c in range(3):
            clip[t, c] = 0.5 + 0.5 * np.sin(4 * x + 3 * y * (c + 1) + phase + c)
    clip += rng.normal(0, 0.02, clip.shape).astype(np.float32)
    return np.clip(clip, 0, 1)[None]


VIDEO = moving_blobs(16, 64)


@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_add_video(benchmark, library, writer_class, new_logdir, dtype):
    benchmark.group = f"add_video 1x16x3x64x64 {dtype} x5"
    if library != "turboboard" and importlib.util.find_spec("moviepy") is None:
        pytest.skip(f"{library} needs moviepy to encode video")
    video = (VIDEO * 255).astype(np.uint8) if dtype == "uint8" else VIDEO

    def log(w):
        for step in range(5):
            w.add_video("rollout", video, step, fps=8)

    measure(benchmark, logging_run(writer_class, new_logdir, log), rounds=5)


@pytest.mark.benchmark(group="add_audio 1 s 44.1 kHz mono float32 x50")
def test_add_audio(benchmark, writer_class, new_logdir):
    t = np.arange(44_100, dtype=np.float32) / 44_100
    clip = 0.5 * np.sin(2 * np.pi * 440 * t) + rng.normal(0, 0.05, t.shape).astype(np.float32)

    def log(w):
        for step in range(50):
            w.add_audio("speech", clip, step, sample_rate=44_100)

    measure(benchmark, logging_run(writer_class, new_logdir, log), rounds=5)


# A realistic projector snapshot: 64-D features of a test set with their class labels, and
# with 28x28 grayscale digits as the sprite (sizes that tensorboardX writes in a second or two).
FEATURES = rng.standard_normal((5_000, 64)).astype(np.float32)
CLASSES = [str(c) for c in rng.integers(0, 10, 5_000)]
DIGITS = rng.random((2_500, 1, 28, 28), dtype=np.float32)


@pytest.mark.parametrize("sprite", [False, True], ids=["labels", "labels+sprite"])
def test_add_embedding(benchmark, library, writer_class, new_logdir, sprite):
    n = len(DIGITS) if sprite else len(FEATURES)
    benchmark.group = f"add_embedding {n}x64 float32, labels" + (
        f", {n} 1x28x28 sprite" if sprite else ""
    )
    if sprite and library == "torch":
        import torch  # torch's add_embedding calls label_img.size(0): it needs a tensor

        images = torch.from_numpy(DIGITS)
    else:
        images = DIGITS if sprite else None

    def log(w):
        w.add_embedding(FEATURES[:n], CLASSES[:n], images, global_step=0, tag="test_set")

    measure(benchmark, logging_run(writer_class, new_logdir, log), rounds=3)
