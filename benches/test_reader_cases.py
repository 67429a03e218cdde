"""Reading runs back: turboboard's reader side by side with tbparse, TensorBoard's
EventAccumulator (keeping everything) and the floor (the same files' bytes read from the page
cache), in one session, on the same files written by tensorboardX.

    pytest benches/test_reader_cases.py --benchmark-group-by=group --benchmark-json=reader.json
    python benches/reader_report.py reader.json

The files are written once into a cache directory (TURBOBOARD_READER_CACHE, by default
~/.cache/turboboard/reader-bench) and kept for later sessions; the page cache is warmed before
the rounds. TURBOBOARD_READER_SCALARS sets the number of scalars (10^6 by default; the issue's
10^7 takes tbparse minutes a round and tensorboardX's encoder two minutes to write once), and
TURBOBOARD_READER_ROUNDS the rounds of the fast readers (5; tbparse and the accumulator: 1).
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

CACHE = os.environ.get(
    "TURBOBOARD_READER_CACHE", os.path.expanduser("~/.cache/turboboard/reader-bench")
)
SCALARS = int(os.environ.get("TURBOBOARD_READER_SCALARS", 10**6))
RUNS, TAGS = 3, 10
# tbparse and the EventAccumulator take minutes a round at 10^7 scalars (pytest's limit: 300 s).
pytestmark = pytest.mark.timeout(7200)
HISTOGRAMS, HISTOGRAM_VALUES = 1000, 10**6
IMAGES = 2000


def cached(name: str, write) -> str:
    """``write(path)`` once: a directory whose marker says it was written whole."""
    path = os.path.join(CACHE, name)
    if not os.path.exists(os.path.join(path, ".complete")):
        shutil.rmtree(path, ignore_errors=True)
        write(path)
        open(os.path.join(path, ".complete"), "w").close()
    return path


def event_files(logdir: str) -> list[str]:
    return sorted(
        os.path.join(d, n) for d, _, names in os.walk(logdir) for n in names if "tfevents" in n
    )


def warm(logdir: str) -> str:
    for path in event_files(logdir):
        with open(path, "rb") as f:
            while f.read(1 << 24):
                pass
    return logdir


def write_scalars(root: str) -> None:
    """SCALARS scalars over TAGS tags in each of RUNS runs, the events tensorboardX's
    add_scalar(tag, value, step, walltime) writes, byte for byte: its protobuf classes and its
    record writer, without the per-call work around them (10^7 calls would take an hour)."""
    from tensorboardX.proto.event_pb2 import Event
    from tensorboardX.proto.summary_pb2 import Summary
    from tensorboardX.record_writer import RecordWriter

    tags = [f"train/metric_{i}" for i in range(TAGS)]
    for run in range(RUNS):
        os.makedirs(os.path.join(root, f"run_{run}"))
        path = os.path.join(root, f"run_{run}", f"events.out.tfevents.{1_700_000_000 + run}.bench")
        writer = RecordWriter(path)
        writer.write(Event(wall_time=1.7e9, file_version="brain.Event:2").SerializeToString())
        count = SCALARS // RUNS + (run < SCALARS % RUNS)
        for i in range(count):
            value = Summary.Value(tag=tags[i % TAGS], simple_value=i * 1e-3)
            event = Event(
                wall_time=1.7e9 + i * 1e-3, step=i // TAGS, summary=Summary(value=[value])
            )
            writer.write(event.SerializeToString())
        writer.close()


def write_histograms(root: str) -> None:
    """HISTOGRAMS add_histogram of HISTOGRAM_VALUES standard normal float32 values (10 tags);
    the file holds their bins."""
    import tensorboardX

    rng = np.random.default_rng(0)
    values = [rng.standard_normal(HISTOGRAM_VALUES).astype(np.float32) for _ in range(4)]
    with tensorboardX.SummaryWriter(root) as w:
        for i in range(HISTOGRAMS):
            w.add_histogram(f"layer_{i % 10}", values[i % 4] * (1 + i / HISTOGRAMS), i // 10)


def write_images(root: str) -> None:
    """IMAGES add_image of a 3x64x64 uint8 image of smooth colour fields (10 tags)."""
    import tensorboardX

    y, x = np.mgrid[0:64, 0:64] / 64
    with tensorboardX.SummaryWriter(root) as w:
        for i in range(IMAGES):
            phase = i / 50
            image = np.stack([np.sin(4 * x + 3 * y * (c + 1) + phase + c) for c in range(3)])
            w.add_image(f"sample_{i % 10}", ((image + 1) * 127.5).astype(np.uint8), i // 10)


@pytest.fixture(scope="session")
def scalar_runs():
    return warm(cached(f"scalars-{SCALARS}", write_scalars))


@pytest.fixture(scope="session")
def histogram_runs():
    return warm(cached(f"histograms-{HISTOGRAMS}x{HISTOGRAM_VALUES}", write_histograms))


@pytest.fixture(scope="session")
def image_runs():
    return warm(cached(f"images-{IMAGES}", write_images))


def accumulate(logdir: str, kind: str) -> int:
    """TensorBoard's EventAccumulator on each run, keeping every event; the events kept."""
    from tensorboard.backend.event_processing import event_accumulator

    kept = 0
    for run in sorted({os.path.dirname(p) for p in event_files(logdir)}):
        acc = event_accumulator.EventAccumulator(run, size_guidance={kind: 0}).Reload()
        get = {"scalars": acc.Scalars, "histograms": acc.Histograms, "images": acc.Images}[kind]
        kept += sum(len(get(tag)) for tag in acc.Tags()[kind])
    return kept


def floor(logdir: str) -> int:
    total = 0
    for path in event_files(logdir):
        with open(path, "rb") as f:
            total += len(f.read())
    return total


def tbparse_frame(logdir: str, kind: str):
    import tbparse

    return tbparse.SummaryReader(logdir, event_types={kind}).get_events(kind)


def drop_in_frame(logdir: str, kind: str):
    from turboboard._tbparse import SummaryReader

    return SummaryReader(logdir, event_types={kind}).get_events(kind)


def turboboard_frame(logdir: str, kind: str):
    import turboboard

    # The table is a temporary: it gives pandas its memory instead of a copy.
    return getattr(turboboard, f"read_{kind}")(logdir).to_pandas(self_destruct=True)


READERS = {
    "turboboard": turboboard_frame,
    "turboboard SummaryReader": drop_in_frame,
    "tbparse": tbparse_frame,
    "EventAccumulator": lambda logdir, kind: accumulate(logdir, kind),
    "floor": lambda logdir, kind: floor(logdir),
}
SLOW = {"tbparse", "EventAccumulator"}  # one round, after the page cache is warm
ROUNDS = int(os.environ.get("TURBOBOARD_READER_ROUNDS", 5))  # of the others, after a warm-up


@pytest.fixture(params=list(READERS))
def reader(request):
    return request.param


def measure(benchmark, reader: str, logdir: str, kind: str, rows: int) -> None:
    read = READERS[reader]
    cpu = []

    def timed():
        start = time.process_time()
        read(logdir, kind)
        cpu.append(time.process_time() - start)

    if reader in SLOW:
        benchmark.pedantic(timed, rounds=1, warmup_rounds=0)
    else:
        benchmark.pedantic(timed, rounds=ROUNDS, warmup_rounds=1)
    cpu.sort()
    benchmark.extra_info.update(
        {"cpu_median_s": cpu[len(cpu) // 2], "rows": rows, "bytes": floor(logdir)}
    )


def test_read_scalars(benchmark, reader, scalar_runs):
    benchmark.group = f"read {SCALARS:.0e} scalars, {TAGS} tags, {RUNS} runs"
    measure(benchmark, reader, scalar_runs, "scalars", SCALARS)


def test_read_histograms(benchmark, reader, histogram_runs):
    benchmark.group = f"read {HISTOGRAMS} histograms of {HISTOGRAM_VALUES:.0e} values"
    measure(benchmark, reader, histogram_runs, "histograms", HISTOGRAMS)


def test_read_images(benchmark, reader, image_runs):
    benchmark.group = f"read {IMAGES} images, 3x64x64"
    if reader == "tbparse":
        pytest.importorskip("tensorflow", reason="tbparse decodes images with TensorFlow")
    measure(benchmark, reader, image_runs, "images", IMAGES)


MEMORY = textwrap.dedent("""
    import json, resource, sys, turboboard

    def rss(field):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1]) * 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    logdir, result = sys.argv[1], sys.argv[2]
    as_pandas = result.startswith("pandas")
    turboboard.read_scalars(logdir, runs="run_0", tags="train/metric_0")  # code paths loaded
    if as_pandas:
        import pandas
    try:  # a peak from the imports must not hide the read's: reset the high-water mark
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    before = rss("VmRSS:")
    table = turboboard.read_scalars(logdir)
    result = table.to_pandas(self_destruct=result.endswith("self_destruct")) if as_pandas else table
    peak = rss("VmHWM:") - before
    if as_pandas:
        size = int(result.memory_usage(index=False, deep=False).sum())
    else:
        import pyarrow
        size = pyarrow.table(result).nbytes
    print(json.dumps({"peak_growth_mib": peak / 2**20, "columns_mib": size / 2**20,
                      "peak_over_columns": peak / size}))
""")


@pytest.mark.parametrize("result", ["Table", "pandas", "pandas_self_destruct"])
def test_peak_memory_against_the_columns(benchmark, scalar_runs, result):
    """Peak RSS growth while reading every scalar (in a subprocess: tracemalloc does not see
    Rust's allocations), against the size of the columns returned."""
    benchmark.group = f"memory: read {SCALARS:.0e} scalars, peak RSS growth over the columns"
    if result == "Table":
        pytest.importorskip("pyarrow")  # to count the Table's buffers
    measured = {}

    def run():
        out = subprocess.run(
            [sys.executable, "-c", MEMORY, scalar_runs, result],
            capture_output=True,
            text=True,
            check=True,
            timeout=1200,
        )
        measured.update(json.loads(out.stdout))

    benchmark.pedantic(run, rounds=1)
    benchmark.extra_info.update(measured)
