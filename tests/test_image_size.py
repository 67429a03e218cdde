"""PNG size: on images as people log them, turboboard's event files stay within 2% of
tensorboardX's (Pillow, zlib level 6) in total, and within a bound per image; the decoded
pixels are tensorboardX's.

The bound per image is 6%: turboboard compresses with libdeflate, which has no counterpart of
the Z_FILTERED strategy Pillow asks zlib for; on a photograph with large blurred areas
(scikit-learn's flower) that leaves the file 5.7% larger (benches/PERFORMANCE.md), where other
photographs, plots and gradients come out within 1% or smaller, and masks far smaller."""

import os

import numpy as np
import pytest
from conftest import event_files, normalized, summary_events, write_with
from image_kinds import REAL
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
        **{f"real_{name}": (make(), "CHW") for name, make in REAL.items()},
    }


@pytest.fixture(scope="module")
def images():
    return cases()


def file_size(logdir) -> int:
    return sum(os.path.getsize(f) for f in event_files(str(logdir)))


def logged_sizes(tmp_path, images, **options) -> dict[str, tuple[int, int]]:
    """Each image's event file size, turboboard's (with ``options``) and tensorboardX's, once
    their events were checked equal, decoded pixels included."""
    sizes = {}
    for name, (image, dataformats) in images.items():

        def log(w, name=name, image=image, dataformats=dataformats):
            w.add_image(name, image, 0, WALL, dataformats)

        ours, theirs = (str(tmp_path / name / lib) for lib in ("turboboard", "tensorboardX"))
        mine = summary_events(write_with("turboboard", ours, log, **options))
        other = summary_events(write_with("tensorboardX", theirs, log))
        assert [normalized(e) for e in mine] == [normalized(e) for e in other], name
        sizes[name] = (file_size(ours), file_size(theirs))
    return sizes


def check_bounds(sizes: dict[str, tuple[int, int]], per_image: float, total: float) -> None:
    report = ", ".join(f"{n}: {o} vs {t} ({o / t:.3f})" for n, (o, t) in sizes.items())
    assert all(ours <= per_image * theirs for ours, theirs in sizes.values()), report
    real = [sizes[f"real_{name}"] for name in REAL]
    assert sum(o for o, _ in real) <= total * sum(t for _, t in real), report
    assert sum(o for o, _ in sizes.values()) <= total * sum(t for _, t in sizes.values()), report


def test_event_files_within_2_percent_of_tensorboardx(tmp_path, images):
    check_bounds(logged_sizes(tmp_path, images), per_image=1.06, total=1.02)


def test_speed_over_size_costs_a_few_percent(tmp_path, images):
    """image_compression="speed": the same pixels in a third less time on photographs (benches),
    within 6% of tensorboardX's bytes in total (libdeflate's level 1: 2-8% more on
    photographs); smooth images that shrink to a few KB lose most in proportion (the gradient:
    36%, 1.6 KB), hence 40% per image."""
    check_bounds(
        logged_sizes(tmp_path, images, image_compression="speed"), per_image=1.40, total=1.06
    )
