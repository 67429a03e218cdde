"""The ``turboboard`` command: ``ls`` lists what a log directory holds, ``export`` writes one
kind of value to Parquet, CSV or JSON lines. Both read with the same reader as
``turboboard.read_scalars`` and its siblings."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _reader

_KINDS = ("scalars", "histograms", "images", "audio", "text", "tensors", "hparams")
_FORMATS = {".parquet": "parquet", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def _storage_options(pairs: Sequence[str]) -> dict[str, str]:
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"turboboard: --storage-option: expected KEY=VALUE, got {pair!r}")
        options[key] = value
    return options


def _read(kind: str, args: argparse.Namespace) -> _reader.Table:
    read = getattr(_reader, f"read_{kind}")
    return read(
        args.logdir,
        runs=args.runs or None,
        tags=args.tags or None,
        on_corrupt="warn" if args.skip_corrupt else "raise",
        storage_options=_storage_options(args.storage_option) or None,
    )


def _summary(table: _reader.Table) -> list[tuple[str, str, int, int, int]]:
    """(run, tag, rows, first step, last step) for each run and tag of ``table``."""
    if table.num_rows == 0:
        return []
    run_codes, runs = table._table.column("run")
    tag_codes, tags = table._table.column("tag")
    steps = table._table.column("step")
    keys = run_codes.astype(np.int64) * max(len(tags), 1) + tag_codes
    order = np.argsort(keys, kind="stable")
    keys, steps = keys[order], steps[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    counts = np.diff(np.r_[starts, len(keys)])
    lows = np.minimum.reduceat(steps, starts)
    highs = np.maximum.reduceat(steps, starts)
    rows = []
    for start, count, low, high in zip(starts, counts, lows, highs):
        run, tag = divmod(int(keys[start]), max(len(tags), 1))
        rows.append((runs[run], tags[tag], int(count), int(low), int(high)))
    return rows


def _ls(args: argparse.Namespace) -> int:
    kinds = [args.kind] if args.kind else _KINDS
    lines = []
    for kind in kinds:
        for run, tag, count, low, high in _summary(_read(kind, args)):
            lines.append(
                (run, kind, tag, str(count), f"{low}..{high}" if low != high else str(low))
            )
    if not lines:
        print(f"turboboard: no events under {args.logdir}", file=sys.stderr)
        return 1
    lines.sort(key=lambda line: (line[0], _KINDS.index(line[1]), line[2]))
    header = ("run", "kind", "tag", "rows", "steps")
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    for row in [header, *lines]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 0


def _export(args: argparse.Namespace) -> int:
    format = args.format or _FORMATS.get(os.path.splitext(args.output)[1].lower())
    if format is None:
        raise SystemExit(
            f"turboboard: cannot tell the format of {args.output!r}: name it .parquet, .csv or "
            ".jsonl, or pass --format"
        )
    table = _read(args.kind, args)
    table._table.write(args.output, format)
    print(f"{table.num_rows} rows of {args.kind} written to {args.output}", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="turboboard", description="Read TensorBoard runs back: list them, export them."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def common(command: Any) -> None:
        command.add_argument("logdir", help="a log directory, an event file, or a URL (s3://...)")
        command.add_argument("--runs", nargs="+", metavar="GLOB", help="runs to read (globs)")
        command.add_argument("--tags", nargs="+", metavar="GLOB", help="tags to read (globs)")
        command.add_argument(
            "--storage-option",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="a setting of the URL's store (as SummaryWriter's storage_options)",
        )
        command.add_argument(
            "--skip-corrupt", action="store_true", help="skip corrupt records with a warning"
        )

    ls = commands.add_parser("ls", help="list runs, kinds, tags, rows and step ranges")
    common(ls)
    ls.add_argument("--kind", choices=_KINDS, help="list only this kind")
    export = commands.add_parser("export", help="write one kind of value to a file")
    common(export)
    export.add_argument("-o", "--output", required=True, help="out.parquet, out.csv or out.jsonl")
    export.add_argument("--kind", choices=_KINDS, default="scalars", help="default: scalars")
    export.add_argument("--format", choices=("parquet", "csv", "jsonl"))
    args = parser.parse_args(argv)
    try:
        return _ls(args) if args.command == "ls" else _export(args)
    except (OSError, ValueError) as e:
        print(f"turboboard: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
