"""Images as people log them, head to head: 30 `add_image` of a photograph, a rendered plot, a
segmentation mask, a float gradient and noise (`tests/image_kinds.py`), each round opening a
writer, logging and closing it, as in test_cases.py. Each case also records the bytes of the
event file it wrote (`benches/report.py` prints them beside the times).

    pytest benches/test_image_cases.py --benchmark-group-by=group --benchmark-json=images.json
    python benches/report.py images.json
"""

import os
import sys

import pytest
from conftest import logging_run, measure

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from image_kinds import KINDS

IMAGES = {name: make() for name, make in KINDS.items()}
SHAPES = {
    name: f"{'x'.join(map(str, image.shape))} {image.dtype}" for name, image in IMAGES.items()
}


def event_bytes(logdir: str) -> int:
    return sum(
        os.path.getsize(os.path.join(root, name))
        for root, _, names in os.walk(logdir)
        for name in names
        if name.startswith("events.out.tfevents")
    )


def bench_images(benchmark, writer_class, new_logdir, image, **options):
    dirs = []

    def logdir():
        dirs.append(new_logdir())
        return dirs[-1]

    def log(w):
        for step in range(30):
            w.add_image("sample", image, step)

    def writer(path):
        return writer_class(path, **options)

    measure(benchmark, logging_run(writer, logdir, log), rounds=5)
    benchmark.extra_info["bytes"] = event_bytes(dirs[-1])


@pytest.mark.parametrize("kind", list(KINDS))
def test_add_image_kind(benchmark, writer_class, new_logdir, kind):
    benchmark.group = f"add_image {kind} {SHAPES[kind]} x30"
    bench_images(benchmark, writer_class, new_logdir, IMAGES[kind])


def test_add_image_photo_for_speed(benchmark, library, writer_class, new_logdir):
    """turboboard's image_compression="speed" beside the anchors' only encoding."""
    benchmark.group = f"add_image photo {SHAPES['photo']} x30, image_compression='speed'"
    options = {"image_compression": "speed"} if library == "turboboard" else {}
    bench_images(benchmark, writer_class, new_logdir, IMAGES["photo"], **options)
