"""Turns a `pytest benches/ --benchmark-json=FILE` run into the README's table: for each case,
each library's median wall time and its ratio to turboboard's, and the same ratio of process
CPU time (the machine and versions above it); for the cases that record them, the bytes of
event files written and turboboard's over the other's.

    python benches/report.py FILE
"""

import json
import sys
from collections import defaultdict


def load_run(path: str, stamp: int = 10) -> dict:
    """A pytest-benchmark JSON run, after printing its machine and date (``stamp`` characters
    of its time stamp)."""
    with open(path) as f:
        run = json.load(f)
    machine = run["machine_info"]
    print(
        f"Machine: {machine.get('cpu', {}).get('brand_raw', '?')}, "
        f"{machine.get('cpu', {}).get('count', '?')} CPUs, Python {machine['python_version']}; "
        f"{run['datetime'][:stamp]}\n"
    )
    return run


def main(path: str) -> None:
    run = load_run(path)
    cases: dict[str, dict[str, dict]] = defaultdict(dict)
    for bench in run["benchmarks"]:
        cases[bench["group"]][bench["params"]["library"]] = bench
    print("| case | turboboard | tensorboardX | torch |")
    print("| --- | --- | --- | --- |")
    for group, by_library in cases.items():
        ours = by_library.get("turboboard")
        if ours is None:
            continue
        base, base_cpu = _median(ours), _cpu(ours)
        notes = [f"CPU {_time(base_cpu)}"] if base_cpu else []
        notes += [
            _size(v) if k == "bytes" else f"{k} {v:.3g}"
            for k, v in ours.get("extra_info", {}).items()
            if k != "cpu_median_s"
        ]
        cells = [_time(base) + (f" ({', '.join(notes)})" if notes else "")]
        for other in ("tensorboardX", "torch"):
            theirs = by_library.get(other)
            if theirs is None:
                cells.append("-")
                continue
            median, cpu = _median(theirs), _cpu(theirs)
            cpu_ratio = f"; CPU {cpu / base_cpu:.1f}x" if cpu and base_cpu else ""
            size, ours_size = _bytes(theirs), _bytes(ours)
            size_note = ""
            if size and ours_size:
                size_note = f"; {_size(size)}, ours {ours_size / size:.3f}x"
            cells.append(f"{_time(median)} ({median / base:.1f}x{cpu_ratio}{size_note})")
        print(f"| {group} | " + " | ".join(cells) + " |")


def _median(bench: dict) -> float:
    return bench["stats"]["median"]


def _cpu(bench: dict) -> float | None:
    """The median process CPU time of a round (the caller's and every background thread's)."""
    return bench.get("extra_info", {}).get("cpu_median_s")


def _bytes(bench: dict) -> int | None:
    """The bytes of event files the case's last round wrote, where it records them."""
    return bench.get("extra_info", {}).get("bytes")


def _size(n: int) -> str:
    return f"{n / 1e6:.3g} MB" if n >= 1e6 else f"{n / 1e3:.3g} kB"


def _time(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"


if __name__ == "__main__":
    main(sys.argv[1])
