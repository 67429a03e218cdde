"""Head-to-head: the caller-visible cost of logging, per library (see benches/conftest.py).

Run with: pytest benches/ --benchmark-group-by=group --benchmark-columns=median,ops,rounds
"""

import itertools

import numpy as np
import pytest

SCALARS = 20_000
counter = itertools.count()


@pytest.mark.benchmark(group="add_scalar x20000 incl. close")
def test_add_scalar(benchmark, writer_class, tmp_path):
    def run():
        writer = writer_class(str(tmp_path / str(next(counter))))
        add = writer.add_scalar
        for i in range(SCALARS):
            add(f"train/metric_{i % 10}", i * 0.001, i // 10)
        writer.close()

    benchmark.pedantic(run, rounds=5, warmup_rounds=1)


@pytest.mark.benchmark(group="add_histogram 1e6 float32")
def test_add_histogram(benchmark, writer_class, tmp_path):
    values = np.random.default_rng(0).standard_normal(1_000_000).astype(np.float32)
    writer = writer_class(str(tmp_path))
    step = itertools.count()
    benchmark.pedantic(
        lambda: writer.add_histogram("weights", values, next(step)), rounds=20, warmup_rounds=2
    )
    writer.close()
