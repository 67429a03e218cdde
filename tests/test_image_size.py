"""PNG size: on realistic images, turboboard's event files are no larger than tensorboardX's
(Pillow, zlib level 6) beyond 1% for any image and no larger in total."""

import os

import numpy as np
import pytest
from conftest import assert_same_events, event_files
from PIL import Image
from sklearn.datasets import load_digits, load_sample_images

WALL = 1_700_000_000.0


def digits_grid() -> np.ndarray:
    """64 of sklearn's 8x8 digits, upsampled to 28x28 (MNIST-like), in an 8x8 grid."""
    digits = load_digits().images[:64]
    grid = np.zeros((8 * 28, 8 * 28), np.uint8)
    for k, digit in enumerate(digits):
        tile = Image.fromarray((digit * 15.9).astype(np.uint8)).resize((28, 28), Image.BILINEAR)
        row, col = divmod(k, 8)
        grid[row * 28 : (row + 1) * 28, col * 28 : (col + 1) * 28] = np.asarray(tile)
    return grid


def cases() -> dict[str, tuple[np.ndarray, str]]:
    china, flower = load_sample_images().images
    y, x = np.mgrid[0:256, 0:256]
    rng = np.random.default_rng(0)
    return {
        "photo_china": (china, "HWC"),
        "photo_flower": (flower, "HWC"),
        "photo_small": (np.asarray(Image.fromarray(china).resize((256, 192))), "HWC"),
        "digits": (digits_grid(), "HW"),
        "gradient": (np.stack([x, y, (x + y) // 2]).astype(np.uint8), "CHW"),
        "noise": (rng.integers(0, 256, (3, 256, 256), dtype=np.uint8), "CHW"),
        "noise_float": (rng.random((3, 128, 128), dtype=np.float32), "CHW"),
    }


@pytest.fixture(scope="module")
def images():
    return cases()


def file_size(logdir) -> int:
    return sum(os.path.getsize(f) for f in event_files(str(logdir)))


def test_event_files_no_larger_than_tensorboardx(tmp_path, images):
    sizes = {}
    for name, (image, dataformats) in images.items():
        # Same pixels as tensorboardX (decoded), then the sizes of the files holding them.
        def log(w, name=name, image=image, dataformats=dataformats):
            w.add_image(name, image, 0, WALL, dataformats)

        assert_same_events(tmp_path / name, log)
        ours, theirs = (file_size(tmp_path / name / lib) for lib in ("turboboard", "tensorboardX"))
        sizes[name] = (ours, theirs)
    report = ", ".join(f"{n}: {o} vs {t} ({o / t:.3f})" for n, (o, t) in sizes.items())
    assert all(ours <= 1.01 * theirs for ours, theirs in sizes.values()), report
    assert sum(o for o, _ in sizes.values()) <= sum(t for _, t in sizes.values()), report
