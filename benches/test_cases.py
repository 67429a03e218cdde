"""Head-to-head cases of the performance issue: the caller-visible cost of logging with
turboboard, tensorboardX and torch.utils.tensorboard, each round including the writer's
close() (so work left to a background thread is counted).

    pytest benches/ --benchmark-group-by=group --benchmark-json=bench.json
    python benches/report.py bench.json
"""

import numpy as np
import pytest
import torch
from conftest import logging_run, measure

rng = np.random.default_rng(0)


@pytest.mark.benchmark(group="floor: empty method, 3 arguments, x200000")
def test_floor(benchmark, library):
    if library != "turboboard":
        pytest.skip("one floor is enough")

    class Empty:
        def add_scalar(self, tag, value, step):
            pass

    add = Empty().add_scalar
    tags = [f"train/metric_{i}" for i in range(10)]

    def run():
        for i in range(200_000):
            add(tags[i % 10], i * 0.001, i // 10)

    measure(benchmark, run, rounds=5)


SCALAR_TAGS = [f"train/metric_{i}" for i in range(10)]


def log_scalars(w):
    """200,000 add_scalar over 10 tags."""
    add = w.add_scalar
    for i in range(200_000):
        add(SCALAR_TAGS[i % 10], i * 0.001, i // 10)


@pytest.mark.benchmark(group="add_scalar float x200000")
def test_add_scalar(benchmark, writer_class, new_logdir):
    measure(benchmark, logging_run(writer_class, new_logdir, log_scalars), rounds=3)


STEP_TAGS = [f"train/metric_{i}" for i in range(20)]


@pytest.mark.benchmark(group="20 scalars a step x2000, add_scalar each")
def test_scalars_one_call_each(benchmark, writer_class, new_logdir):
    def log(w):
        add = w.add_scalar
        for step in range(2_000):
            for i, tag in enumerate(STEP_TAGS):
                add(tag, step * 0.001 + i, step)

    measure(benchmark, logging_run(writer_class, new_logdir, log), rounds=3)


@pytest.mark.benchmark(group="20 scalars a step x2000, add_scalar_dict (others: add_scalar each)")
def test_scalar_dict(benchmark, library, writer_class, new_logdir):
    """The same events as the group above; turboboard writes each step's 20 in one call."""

    def log(w):
        if library == "turboboard":
            for step in range(2_000):
                w.add_scalar_dict({tag: step * 0.001 + i for i, tag in enumerate(STEP_TAGS)}, step)
        else:
            for step in range(2_000):
                for i, tag in enumerate(STEP_TAGS):
                    w.add_scalar(tag, step * 0.001 + i, step)

    measure(benchmark, logging_run(writer_class, new_logdir, log), rounds=3)


@pytest.mark.benchmark(group="add_scalar 0-dim torch tensor x50000")
def test_add_scalar_torch_tensor(benchmark, writer_class, new_logdir):
    values = [torch.tensor(i * 0.001) for i in range(1000)]

    def log(w):
        for i in range(50_000):
            w.add_scalar("loss", values[i % 1000], i)

    measure(benchmark, logging_run(writer_class, new_logdir, log), rounds=3)


@pytest.mark.benchmark(group="add_text x20000")
def test_add_text(benchmark, writer_class, new_logdir):
    def log(w):
        for i in range(20_000):
            w.add_text("notes", f"step **{i}**: loss went down, see [the run](#{i}) for more", i)

    measure(benchmark, logging_run(writer_class, new_logdir, log), rounds=3)


# The same 2x10^7 or 5x10^7 float32 values a round: 20 calls of 10^6 values, or 5 of 10^7 (the
# README's Benchmarks section describes every case).
@pytest.mark.parametrize("size, calls", [(10**6, 20), (10**7, 5)], ids=["1e6", "1e7"])
def test_add_histogram(benchmark, writer_class, new_logdir, size, calls):
    benchmark.group = f"add_histogram float32 {size:.0e} x{calls}"
    values = rng.standard_normal(size).astype(np.float32)

    def log(w):
        for step in range(calls):
            w.add_histogram("weights", values, step)

    measure(benchmark, logging_run(writer_class, new_logdir, log), rounds=5)


@pytest.mark.benchmark(group="add_image 3x512x512 uint8 x50")
def test_add_image(benchmark, writer_class, new_logdir):
    image = rng.integers(0, 256, (3, 512, 512), dtype=np.uint8)

    def log(w):
        for step in range(50):
            w.add_image("sample", image, step)

    measure(benchmark, logging_run(writer_class, new_logdir, log), rounds=3)


@pytest.mark.benchmark(group="add_images 64x3x64x64 float x20")
def test_add_images(benchmark, writer_class, new_logdir):
    images = rng.random((64, 3, 64, 64), dtype=np.float32)

    def log(w):
        for step in range(20):
            w.add_images("batch", images, step)

    measure(benchmark, logging_run(writer_class, new_logdir, log), rounds=5)


WEIGHTS = rng.standard_normal(10**6).astype(np.float32)
SAMPLE = rng.integers(0, 256, (3, 512, 512), dtype=np.uint8)


def log_training(w):
    """2,000 steps of 20 scalars; every 100th step also a 10^6-value histogram and a 512x512
    image."""
    for step in range(2000):
        for i, tag in enumerate(STEP_TAGS):
            w.add_scalar(tag, step * 0.001 + i, step)
        if step % 100 == 0:
            w.add_histogram("weights", WEIGHTS, step)
            w.add_image("sample", SAMPLE, step)


@pytest.mark.benchmark(group="mixed training step x2000")
def test_mixed_training_step(benchmark, writer_class, new_logdir):
    measure(benchmark, logging_run(writer_class, new_logdir, log_training), rounds=3)
