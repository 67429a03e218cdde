"""Each benchmark runs for turboboard, tensorboardX and torch.utils.tensorboard in one session,
so that `pytest benches/ --benchmark-group-by=group` prints them side by side and
`benches/report.py` turns the JSON into the README's ratio table."""

import importlib
import itertools
import time

import pytest

LIBRARIES = {
    "turboboard": "turboboard",
    "tensorboardX": "tensorboardX",
    "torch": "torch.utils.tensorboard",
}

_runs = itertools.count()


@pytest.fixture(params=list(LIBRARIES))
def library(request):
    return request.param


def pytest_collection_modifyitems(items):
    """Runs each case's libraries one right after another (pytest would run every case for one
    library, then for the next): this VM's speed drifts by a third over minutes, and a ratio is
    only as good as the time between the runs it compares."""

    def case(item):
        params = getattr(item, "callspec", None)
        params = params.params if params else {}
        return (
            item.path,
            item.originalname,
            repr(sorted((k, v) for k, v in params.items() if k != "library")),
        )

    first = {}
    for position, item in enumerate(items):
        first.setdefault(case(item), position)
    items[:] = sorted(items, key=lambda item: first[case(item)])


@pytest.fixture
def writer_class(library):
    return importlib.import_module(LIBRARIES[library]).SummaryWriter


@pytest.fixture
def new_logdir(tmp_path):
    """A fresh log directory per call: every round writes its own files."""
    return lambda: str(tmp_path / str(next(_runs)))


def logging_run(writer_class, new_logdir, log):
    """One round: open a writer, log, close."""

    def run():
        writer = writer_class(new_logdir())
        log(writer)
        writer.close()

    return run


def measure(benchmark, run, rounds, setup=None):
    """Benchmarks ``run`` (wall time, as the caller sees it) and records its process CPU time
    per round too, which includes the background threads' work."""
    cpu = []

    def timed(*args):
        start = time.process_time()
        run(*args)
        cpu.append(time.process_time() - start)

    if setup is None:
        benchmark.pedantic(timed, rounds=rounds, warmup_rounds=1)
    else:
        benchmark.pedantic(timed, setup=setup, rounds=rounds, warmup_rounds=1)
    cpu.sort()
    benchmark.extra_info["cpu_median_s"] = cpu[len(cpu) // 2]
