"""Turns a `pytest benches/test_reader_cases.py --benchmark-json=FILE` run into the README's
reader table: each case's median for turboboard (its Table to pandas, `self_destruct=True`),
the tbparse drop-in, tbparse and TensorBoard's EventAccumulator, their ratios to turboboard,
and turboboard over the floor (the files' bytes read from the page cache); then the memory
cases.

    python benches/reader_report.py FILE
"""

import sys
from collections import defaultdict

from report import load_run

OTHERS = ("turboboard SummaryReader", "tbparse", "EventAccumulator")


def main(path: str) -> None:
    run = load_run(path, stamp=16)
    cases: dict[str, dict[str, dict]] = defaultdict(dict)
    memory = []
    for bench in run["benchmarks"]:
        params = bench.get("params") or {}
        if "reader" in params:
            cases[bench["group"]][params["reader"]] = bench
        elif bench["group"].startswith("memory"):
            memory.append(bench)
    print(
        "| case | turboboard `read_*().to_pandas(self_destruct=True)` | "
        + " | ".join(OTHERS)
        + " | floor |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for group, by_reader in cases.items():
        ours = by_reader.get("turboboard")
        if ours is None:
            continue
        base = ours["stats"]["median"]
        cells = [f"{_time(base)} (CPU {_time(ours['extra_info']['cpu_median_s'])})"]
        for other in OTHERS:
            theirs = by_reader.get(other)
            median = theirs["stats"]["median"] if theirs else None
            cells.append(f"{_time(median)} ({median / base:.1f}x)" if median else "-")
        floor = by_reader.get("floor")
        if floor:
            median = floor["stats"]["median"]
            mib = floor["extra_info"]["bytes"] / 2**20
            cells.append(f"{_time(median)} for {mib:.0f} MiB (turboboard {base / median:.1f}x)")
        else:
            cells.append("-")
        print(f"| {group} | " + " | ".join(cells) + " |")
    for bench in memory:
        info = bench["extra_info"]
        print(
            f"\n{bench['name']}: peak RSS growth {info['peak_growth_mib']:.0f} MiB, columns "
            f"{info['columns_mib']:.0f} MiB ({info['peak_over_columns']:.2f}x)"
        )


def _time(seconds):
    if seconds is None:
        return "-"
    return f"{seconds * 1e3:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"


if __name__ == "__main__":
    main(sys.argv[1])
