"""Runs read back: ``read_scalars`` and its siblings turn the event files under a log directory
into a long table of one kind of value, read by the Rust core in parallel.

A :class:`Table` exports the Arrow PyCapsule interface, so ``pyarrow.table(t)``,
``polars.DataFrame(t)`` and ``duckdb`` take it without a copy; ``to_pandas()`` needs pandas
only. numpy stays turboboard's one dependency: pandas, polars and pyarrow are used when the
caller asks for them.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Union

import numpy as np

from . import _core, _paths

Selection = Union[str, "re.Pattern[str]", Sequence[str], None]

_ON_CORRUPT = ("raise", "warn")


def _selection(value: Selection, arg: str) -> tuple[list[str] | None, str | None]:
    """``runs=``/``tags=`` as the core takes them: globs, or one regular expression."""
    if value is None:
        return None, None
    if isinstance(value, re.Pattern):
        return None, value.pattern
    if isinstance(value, str):
        return [value], None
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return list(value), None
    raise TypeError(
        f"{arg}: expected a glob, a list of globs or a compiled regular expression, "
        f"got {type(value).__name__}"
    )


def _read(
    kind: str,
    logdir: str | os.PathLike[str],
    runs: Selection,
    tags: Selection,
    check_crc: bool,
    on_corrupt: str,
    purge: bool,
    storage_options: Mapping[str, Any] | None,
    tensors: bool = True,
) -> Table:
    """A read; without ``tensors``, scalars, histograms, images and audio come only from
    their own summary fields, not from tensors (tbparse's rule)."""
    logdir = _paths.path_arg(logdir, "logdir")
    if on_corrupt not in _ON_CORRUPT:
        raise ValueError(f"on_corrupt: expected 'raise' or 'warn', got {on_corrupt!r}")
    run_globs, run_regex = _selection(runs, "runs")
    tag_globs, tag_regex = _selection(tags, "tags")
    table, skipped = _core.read(
        logdir,
        kind,
        run_globs,
        run_regex,
        tag_globs,
        tag_regex,
        bool(check_crc),
        on_corrupt == "warn",
        bool(purge),
        _paths.storage_options(storage_options) or [],
        tensors,
    )
    for message in skipped:
        warnings.warn(message, RuntimeWarning, stacklevel=3)
    return Table(table)


class Table:
    """The rows of one kind of value read from a log directory, in run order (names sorted),
    then file order, then record order. Every kind has the columns ``run``, ``tag``, ``step``
    and ``wall_time``; the rest depend on the kind (``column_names``)."""

    def __init__(self, table: _core.Table) -> None:
        self._table = table

    @property
    def kind(self) -> str:
        return self._table.kind

    @property
    def num_rows(self) -> int:
        return self._table.num_rows

    def __len__(self) -> int:
        return self._table.num_rows

    @property
    def column_names(self) -> list[str]:
        return self._table.column_names

    @property
    def schema(self) -> list[tuple[str, str]]:
        """``(name, Arrow type)`` of each column, in order."""
        return self._table.schema

    def __repr__(self) -> str:
        return f"<turboboard.Table {self.kind}: {self.num_rows} rows, {self.column_names}>"

    def __arrow_c_schema__(self) -> object:
        return self._table.__arrow_c_schema__()

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        return self._table.__arrow_c_stream__(requested_schema)

    def column(self, name: str) -> Any:
        """Column ``name``: a numpy array for numbers and names (``run``, ``tag``: an object
        array of str), else a list (str, bytes, numpy arrays for list columns, None where a
        value is missing)."""
        values = self._table.column(name)
        if isinstance(values, tuple):
            codes, names = values
            return np.array(names, dtype=object)[codes] if names else np.array([], dtype=object)
        if isinstance(values, np.ndarray):
            values.flags.writeable = False  # a view of the table's memory, which Arrow shares
        return values

    def to_pandas(self, self_destruct: bool = False) -> Any:
        """A pandas DataFrame: ``run`` and ``tag`` are categorical, list columns hold numpy
        arrays. Needs pandas only (not pyarrow).

        The frame's numbers are copies of the table's, since pandas writes into its arrays.
        With ``self_destruct=True`` (pyarrow's name for it) the table gives the frame its own
        memory instead, without a copy, where no view or Arrow consumer shares it; the table is
        then empty, and using it again raises ``ValueError``."""
        import pandas as pd

        if not isinstance(self_destruct, bool):
            raise TypeError(f"self_destruct: expected a bool, got {self_destruct!r}")
        if self_destruct:
            columns = self._table.take_columns()
        else:
            columns = [(name, self._table.column(name, copy=True)) for name in self.column_names]
        frame = {}
        for name, values in columns:
            if isinstance(values, tuple):
                codes, names = values
                values = pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype=object))
            elif isinstance(values, list):
                series = np.empty(len(values), dtype=object)
                series[:] = values
                values = series
            frame[name] = values
        return pd.DataFrame(frame, copy=False)

    def to_polars(self) -> Any:
        """A polars DataFrame, through the Arrow C stream (no copy)."""
        import polars as pl

        return pl.DataFrame(self)

    def to_pyarrow(self) -> Any:
        """A pyarrow Table, through the Arrow C stream (no copy)."""
        import pyarrow as pa

        return pa.table(self)

    def to_parquet(self, path: str | os.PathLike[str]) -> None:
        """Writes the table as a Parquet file (Snappy, as pyarrow writes by default)."""
        self._table.write(_paths.path_arg(path, "path"), "parquet")

    def to_csv(self, path: str | os.PathLike[str]) -> None:
        """Writes the table as CSV with a header (kinds with list or binary columns cannot)."""
        self._table.write(_paths.path_arg(path, "path"), "csv")

    def to_jsonl(self, path: str | os.PathLike[str]) -> None:
        """Writes the table as JSON lines, one object per row."""
        self._table.write(_paths.path_arg(path, "path"), "jsonl")


_DOC = """Reads the {what} under ``logdir`` into a :class:`Table`.

    Args:
        logdir: A log directory (every event file below it; a directory holding event files
            is a run, named by its path relative to ``logdir``, the log directory itself being
            ``"."``), one event file, or a URL (``s3://``, ``gs://``, ``az://``, ``memory://``,
            ``file://``) configured as for ``SummaryWriter``.
        runs, tags: Which to read: a glob matched against the whole name (``"train/*"``), a
            list of globs, or a compiled regular expression searched for in the name (Rust's
            regex syntax, close to Python's). ``None`` reads all.
        check_crc: Check each record's CRC (the length's CRC is always checked).
        on_corrupt: ``"raise"`` a ``ValueError`` naming the file and byte offset of a corrupt
            record, or ``"warn"`` and skip it. A truncated last record (a writer still
            writing, or killed) ends its file silently, as in TensorBoard.
        purge: Apply TensorBoard's rule for restarted runs: an event marking a restart at
            step ``s`` (``purge_step=s``) hides the earlier rows of its run at step ``s`` or
            later, as TensorBoard shows the run.
        storage_options: The store's settings for a URL (see ``SummaryWriter``).
    """


def _reader(kind: str, what: str) -> Any:
    def read(
        logdir: str | os.PathLike[str],
        *,
        runs: Selection = None,
        tags: Selection = None,
        check_crc: bool = True,
        on_corrupt: str = "raise",
        purge: bool = True,
        storage_options: Mapping[str, Any] | None = None,
    ) -> Table:
        return _read(kind, logdir, runs, tags, check_crc, on_corrupt, purge, storage_options)

    read.__name__ = read.__qualname__ = f"read_{kind}"
    read.__doc__ = _DOC.format(what=what)
    return read


read_scalars = _reader("scalars", "scalars (``simple_value`` and new-style tensor scalars)")
read_histograms = _reader("histograms", "histograms")
read_images = _reader("images", "images (encoded PNG, or GIF for videos)")
read_audio = _reader("audio", "audio clips (encoded WAV)")
read_text = _reader("text", "text of the text plugin")
read_tensors = _reader("tensors", "tensors, with their tag's plugin")
read_hparams = _reader("hparams", "hyperparameters of ``add_hparams``, one row per name")
