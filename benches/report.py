"""Turns a `pytest benches/ --benchmark-json=FILE` run into the README's table: for each case,
each library's median and the ratio to turboboard's (the machine and versions above it).

    python benches/report.py FILE
"""

import json
import sys
from collections import defaultdict


def main(path: str) -> None:
    with open(path) as f:
        run = json.load(f)
    machine = run["machine_info"]
    print(
        f"Machine: {machine.get('cpu', {}).get('brand_raw', '?')}, "
        f"{machine.get('cpu', {}).get('count', '?')} CPUs, Python {machine['python_version']}; "
        f"{run['datetime'][:10]}\n"
    )
    cases: dict[str, dict[str, dict]] = defaultdict(dict)
    for bench in run["benchmarks"]:
        cases[bench["group"]][bench["params"]["library"]] = bench
    print("| case | turboboard | tensorboardX | torch | turboboard CPU |")
    print("| --- | --- | --- | --- | --- |")
    for group, by_library in cases.items():
        ours = by_library.get("turboboard")
        if ours is None:
            continue
        base = ours["stats"]["median"]
        cells = [_time(base)]
        for other in ("tensorboardX", "torch"):
            theirs = by_library.get(other)
            if theirs is None:
                cells.append("-")
                continue
            median = theirs["stats"]["median"]
            cells.append(f"{_time(median)} ({median / base:.1f}x)")
        extra = ours.get("extra_info", {})
        cells.append(", ".join(f"{k} {v:.3g}" for k, v in extra.items()) or "-")
        print(f"| {group} | " + " | ".join(cells) + " |")


def _time(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"


if __name__ == "__main__":
    main(sys.argv[1])
