"""``SummaryWriter`` and ``FileWriter``: tensorboardX's API (and torch.utils.tensorboard's
extras) over turboboard's Rust core."""

from __future__ import annotations

import json
import os
import pathlib
import socket
import time
import warnings
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from . import _convert, _core, _paths, _process, _ranks
from ._convert import Step
from ._file_writer import FileWriter
from ._graph import GraphMethods
from ._media import MediaMethods
from ._plugins import PluginMethods
from ._projector import ProjectorMethods

__all__ = ["FileWriter", "PatchedSummaryWriter", "SummaryWriter"]


class SummaryWriter(MediaMethods, PluginMethods, GraphMethods, ProjectorMethods):
    """Writes entries directly to event files in ``logdir`` to be consumed by TensorBoard.

    The same API as ``tensorboardX.SummaryWriter`` (and ``torch.utils.tensorboard``'s extras),
    with the encoding and the writing done in Rust. Unlike theirs, it can be pickled: in another
    process (spawn, ``DataLoader`` workers) it opens a new event file of its own.

    Args:
        logdir: Save directory location. Default is ``runs/CURRENT_DATETIME_HOSTNAME``.
        comment: Appended to the default ``logdir``; ignored if ``logdir`` is given.
        purge_step: TensorBoard hides the events this run had logged at this step or later
            (use it to resume a crashed run from a checkpoint).
        max_queue: Events held before they are handed to the writer thread (0: no count, as in
            the anchors' unbounded queues).
        flush_secs: How often, in seconds, pending events are written to disk (0: as soon as
            the writer thread can, every 10 ms).
        filename_suffix: Appended to every event file name in ``logdir``.
        write_to_disk: If False, nothing is written.
        log_dir: Alias of ``logdir`` (torch's name).
        ranks: In a distributed job (torch.distributed initialised, or ``RANK`` set by torchrun
            and other launchers): ``'zero'`` (the default) writes from rank 0 only, and the
            other ranks get a writer that writes nothing (and warns, once, when it first drops
            an event); ``'all'`` writes each rank ``r`` to its own run ``<logdir>/rank_<r>``;
            None writes every process to ``logdir``, as tensorboardX and torch do (and as the
            writer that ``turboboard.patch()`` puts in their place does by default). The rank is
            read when the writer is made; a pickled writer keeps it.
        max_queue_bytes: Bytes of events that may wait for the disk before calls block.
        storage_options: Settings of a remote log directory's store (see ``FileWriter``).
        image_compression: ``'size'`` (the default) compresses images' PNGs about as small as
            tensorboardX does; ``'speed'`` encodes photographs in about a third less time, for
            a few per cent more bytes (for runs that log many large images).

    ``logdir`` may be a URL: ``s3://bucket/run`` (and ``s3a://``), ``gs://``, ``az://`` or
    ``abfs://``, ``memory://`` (this process's memory) or ``file://``; the runs of
    ``add_scalars`` and ``add_hparams`` and ``add_embedding``'s files go there too.

    Attributes are both anchors': ``logdir`` (tensorboardX) and ``log_dir`` (torch) are the
    run's directory; ``file_writer`` its ``FileWriter`` (with ``write_to_disk=False``, a
    ``DummyFileWriter`` whose methods do nothing, as tensorboardX's) and ``all_writers`` every
    open one by directory (None once closed); ``max_queue``, ``flush_secs`` and
    ``filename_suffix`` the options later files are opened with; ``purge_step`` the step still
    to purge (None once written, as in torch); ``scalar_dict`` what ``add_scalars`` logged;
    ``default_bins`` TensorFlow's histogram bucket edges.
    """

    def __init__(
        self,
        logdir: str | None = None,
        comment: str = "",
        purge_step: Step = None,
        max_queue: int = 10,
        flush_secs: float = 120,
        filename_suffix: str = "",
        write_to_disk: bool = True,
        log_dir: str | None = None,
        *,
        ranks: _ranks.Ranks = "zero",
        **kwargs: Any,
    ) -> None:
        max_queue_bytes = kwargs.pop("max_queue_bytes", 64 << 20)
        storage_options = kwargs.pop("storage_options", None)
        image_compression = kwargs.pop("image_compression", "size")
        if image_compression not in ("size", "speed"):
            raise ValueError(
                f"image_compression: expected 'size' or 'speed', got {image_compression!r}"
            )
        comet_config = kwargs.pop("comet_config", None)
        if comet_config is not None and not comet_config.get("disabled", True):
            raise ValueError("comet_config: Comet logging is not supported by turboboard")
        if kwargs:
            raise TypeError(f"SummaryWriter() got unexpected keyword arguments: {sorted(kwargs)}")
        if not logdir and log_dir:
            logdir = log_dir
        if not logdir:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            # The comment may nest directories but not leave runs/ (no "..").
            logdir = _paths.join_inside(
                "runs", f"{stamp}_{socket.gethostname()}{comment}", "comment"
            )
        given = logdir
        logdir, silent_rank = _ranks.resolve(_paths.path_arg(logdir, "logdir"), ranks)
        if isinstance(given, pathlib.PurePath):
            logdir = type(given)(logdir)  # kept a Path, as both anchors keep it
        write_to_disk = bool(write_to_disk)
        super().__init__(
            logdir,
            None if purge_step is None else _convert.step(purge_step, "purge_step"),
            (max_queue, flush_secs, filename_suffix, max_queue_bytes, storage_options),
            write_to_disk and silent_rank is None,
            silent_rank if write_to_disk else None,
        )
        self._image_compression = image_compression
        self.kwargs = kwargs
        # Values given to add_scalars, for export_scalars_to_json.
        self.scalar_dict: dict[str, list[list[float]]] = {}
        self._get_file_writer()

    @property
    def log_dir(self) -> str | os.PathLike[str]:
        """The run's directory (torch's name of ``logdir``)."""
        return self.logdir

    @log_dir.setter
    def log_dir(self, value: str | os.PathLike[str]) -> None:
        self.logdir = value

    @property
    def default_bins(self) -> list[float]:
        """TensorFlow's histogram bucket edges, used when ``bins='tensorflow'``."""
        return _core.default_bucket_limits()

    def get_logdir(self) -> str | os.PathLike[str]:
        """The directory where event files are written."""
        return self.logdir

    def __reduce__(self) -> tuple[Any, ...]:
        # The log directory and options travel, the open file does not.
        state = (
            type(self),
            self.logdir,
            self._options(),
            self._write_to_disk,
            self._silent_rank,
            self._image_compression,
        )
        return (_process.reopen, state)

    def add_scalar(
        self,
        tag: str,
        scalar_value: Any,
        global_step: Step = None,
        walltime: float | None = None,
        display_name: str = "",
        summary_description: str = "",
        new_style: bool = False,
        double_precision: bool = False,
    ) -> None:
        """Adds a scalar.

        Args:
            tag: Data identifier.
            scalar_value: The value: a number, or a numpy array or torch tensor holding one.
            global_step: Global step value to record.
            walltime: Event time in seconds since the epoch (default: now).
            display_name: The title of the plot (default: the tag). A bool here is torch's fifth
                positional argument, ``new_style`` (and the sixth ``double_precision``).
            summary_description: A description shown with the plot.
            new_style: Write a tensor of the scalars plugin (torch's option) instead of the
                legacy ``simple_value``; loads faster in TensorBoard.
            double_precision: With ``new_style``, keep the value as float64.
        """
        # The inline check skips a call on the hot path; _writer_core() opens the file.
        core = self._core or self._writer_core()
        if core is None:
            return
        if type(scalar_value) is not float:
            scalar_value = _convert.scalar(scalar_value, "scalar_value")
        if global_step is None or type(global_step) is not int:
            global_step = self._step(global_step)
        if walltime is None:
            walltime = self._default_walltime
        try:
            if new_style:
                core.add_scalar_tensor(tag, scalar_value, global_step, walltime, double_precision)
            elif display_name or summary_description:
                if type(display_name) is not bool:
                    core.add_scalar(
                        tag, scalar_value, global_step, walltime, display_name, summary_description
                    )
                elif display_name:  # torch's fifth and sixth positional arguments
                    core.add_scalar_tensor(
                        tag, scalar_value, global_step, walltime, summary_description is True
                    )
                else:
                    core.add_scalar(tag, scalar_value, global_step, walltime)
            else:
                # Without the two empty strings, which the core would convert for nothing.
                core.add_scalar(tag, scalar_value, global_step, walltime)
        except OverflowError:
            # Off the fast path: an int step beyond 64 bits; step() raises naming it.
            _convert.step(global_step)
            raise

    def add_scalar_dict(
        self,
        tag_scalar_dict: Mapping[str, Any],
        global_step: Step = None,
        walltime: float | None = None,
    ) -> None:
        """Adds one scalar per item of ``tag_scalar_dict`` (tag to value), all at the same step
        and wall time: the events ``add_scalar(tag, value, global_step, walltime)`` writes for
        each, in order, for a fraction of the cost per tag (one call into Rust, one queue round
        trip). Like ``wandb.log`` or Lightning's ``log_metrics``; unlike ``add_scalars``, every
        key is a full tag of this writer's own run.

        Values are numbers, numpy scalars or one-element tensors; one-element tensors on an
        accelerator (CUDA, MPS, ...) are copied to the host in one transfer per call, so logging
        many of them waits for the device once rather than once per tensor.
        """
        core = self._writer_core()
        if core is None:
            return
        if type(tag_scalar_dict) is not dict and not isinstance(tag_scalar_dict, Mapping):
            raise TypeError(
                "tag_scalar_dict: expected a dict of tag to value, "
                f"got {type(tag_scalar_dict).__name__}"
            )
        global_step, walltime = self._when(global_step, walltime)
        try:
            # A dict of str to float goes straight to Rust; anything else is converted first.
            if type(tag_scalar_dict) is dict and core.add_float_dict(
                tag_scalar_dict, global_step, walltime
            ):
                return
            tags, values = _convert.scalars(tag_scalar_dict, "tag_scalar_dict")
            core.add_scalar_dict(tags, values, global_step, walltime)
        except UnicodeEncodeError as e:
            # The core names its own argument, tags.
            raise ValueError(f"tag_scalar_dict: a tag is not valid text: {e}") from None

    def add_scalars(
        self,
        main_tag: str,
        tag_scalar_dict: Mapping[str, Any],
        global_step: Step = None,
        walltime: float | None = None,
    ) -> None:
        """Adds many scalars to one chart: each key becomes a run ``<logdir>/<main_tag>/<key>``
        holding the scalar under the tag ``main_tag``, as tensorboardX lays them out.

        ``main_tag`` and the keys may contain ``/`` (nested directories) but never lead outside
        ``logdir``.
        """
        if self._writer_core() is None or self.all_writers is None:
            return
        if not isinstance(tag_scalar_dict, Mapping):
            raise TypeError(
                "tag_scalar_dict: expected a dict of tag to value, "
                f"got {type(tag_scalar_dict).__name__}"
            )
        global_step, walltime = self._when(global_step, walltime)
        if walltime is None:
            walltime = time.time()
        for key, value in tag_scalar_dict.items():
            value = _convert.scalar(value, f"tag_scalar_dict[{key!r}]")
            path = _paths.join_inside(
                self._logdir, f"{main_tag}/{key}", f"main_tag and tag_scalar_dict key {key!r}"
            )
            writer = self.all_writers.get(path)
            if not isinstance(writer, FileWriter):  # not opened yet (nor a do-nothing stand-in)
                writer = self.all_writers[path] = self._run_writer(path)
            writer.core.add_scalar(main_tag, value, global_step, walltime)
            # The step as given (None stays None), as tensorboardX keeps it.
            self.scalar_dict.setdefault(path, []).append([walltime, global_step, value])

    def export_scalars_to_json(self, path: str) -> None:
        """Writes the values given to ``add_scalars`` so far as JSON
        ``{run_dir: [[walltime, step, value], ...]}``, then forgets them."""
        with open(path, "w") as f:
            json.dump(self.scalar_dict, f)
        self.scalar_dict = {}

    def add_histogram(
        self,
        tag: str,
        values: Any,
        global_step: Step = None,
        bins: str | int | Sequence[float] | np.ndarray = "tensorflow",
        walltime: float | None = None,
        max_bins: int | None = None,
    ) -> None:
        """Adds a histogram of ``values``.

        Args:
            tag: Data identifier.
            values: Numbers to bin (array, tensor or list, any shape).
            global_step: Global step value to record.
            bins: ``'tensorflow'`` (TensorFlow's log-spaced buckets, binned in Rust), a number of
                equal-width bins, explicit bin edges, or one of numpy's estimators (``'auto'``,
                ``'fd'``, ...).
            walltime: Event time in seconds since the epoch (default: now).
            max_bins: Merge neighbouring buckets to keep about this many.
        """
        core = self._writer_core()
        if core is None:
            return
        array = _convert.to_numpy(values, "values").reshape(-1)
        edges = None if isinstance(bins, str) and bins == "tensorflow" else _bin_edges(array, bins)
        if max_bins is not None:
            max_bins = _convert.count(max_bins, "max_bins")
        step, walltime = self._when(global_step, walltime)
        core.add_histogram(tag, array, step, walltime, edges, max_bins)

    def add_histogram_raw(
        self,
        tag: str,
        min: float,
        max: float,
        num: float,
        sum: float,
        sum_squares: float,
        bucket_limits: Any,
        bucket_counts: Any,
        global_step: Step = None,
        walltime: float | None = None,
    ) -> None:
        """Adds a histogram from precomputed statistics and buckets (``bucket_limits`` are the
        right edges; ``bucket_counts`` the counts, of the same length)."""
        core = self._writer_core()
        if core is None:
            return
        limits = _convert.to_numpy(bucket_limits, "bucket_limits").astype(np.float64).ravel()
        counts = _convert.to_numpy(bucket_counts, "bucket_counts").astype(np.float64).ravel()
        stats = [
            _convert.scalar(v, n)
            for v, n in zip(
                (min, max, num, sum, sum_squares), ("min", "max", "num", "sum", "sum_squares")
            )
        ]
        step, walltime = self._when(global_step, walltime)
        core.add_histogram_raw(tag, *stats, limits.tolist(), counts.tolist(), step, walltime)

    def add_text(
        self,
        tag: str,
        text_string: str,
        global_step: Step = None,
        walltime: float | None = None,
    ) -> None:
        """Adds text (rendered as markdown by TensorBoard) under the tag ``<tag>/text_summary``."""
        core = self._writer_core()
        if core is None:
            return
        step, walltime = self._when(global_step, walltime)
        core.add_text(tag, text_string, step, walltime)

    def flush(self) -> None:
        """Returns once everything logged so far is written to the operating system."""
        _each_writer(self.all_writers, lambda writer: writer.flush())

    def close(self, timeout: float | None = None) -> None:
        """Writes and syncs everything and closes the files. Calling it again does nothing;
        logging after it starts new event files, as tensorboardX does. Ctrl-C interrupts it,
        and with ``timeout`` (seconds, for all the run's files) it raises ``TimeoutError`` once
        that has passed; the files not closed then are closed by the next ``close()``."""
        deadline = None if timeout is None else time.monotonic() + timeout

        def close(writer: FileWriter) -> None:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            writer.close(timeout=remaining)

        failure = None
        try:
            _each_writer(self.all_writers, close)
        except TimeoutError:
            raise  # the files not closed yet are closed by the next close()
        except Exception as e:
            failure = e
        self.all_writers, self.file_writer, self._core = None, None, None
        if failure is not None:
            raise failure

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _each_writer(writers: dict[str, FileWriter] | None, action: Any) -> None:
    """Runs ``action`` on each of a run's writers, even after one fails: each failure is a
    file's events lost. Raises the first failure once all have run, after a warning for each
    later one; a timeout or Ctrl-C stops at once (the next ``close()`` closes the rest)."""
    errors = []
    for writer in list((writers or {}).values()):
        try:
            action(writer)
        except (TimeoutError, KeyboardInterrupt):
            raise
        except Exception as e:
            errors.append(e)
    for e in errors[1:]:
        warnings.warn(f"turboboard: {type(e).__name__}: {e}", RuntimeWarning, stacklevel=3)
    if errors:
        raise errors[0]


class PatchedSummaryWriter(SummaryWriter):
    """The ``SummaryWriter`` that ``turboboard.patch()`` puts under tensorboardX's and torch's
    names. Code written for them gets their behaviour: every process writes (``ranks=None``),
    so a script that gives each rank its own directory loses nothing."""

    def __init__(
        self,
        logdir: str | None = None,
        comment: str = "",
        purge_step: Step = None,
        max_queue: int = 10,
        flush_secs: float = 120,
        filename_suffix: str = "",
        write_to_disk: bool = True,
        log_dir: str | None = None,
        *,
        ranks: _ranks.Ranks = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            logdir,
            comment,
            purge_step,
            max_queue,
            flush_secs,
            filename_suffix,
            write_to_disk,
            log_dir,
            ranks=ranks,
            **kwargs,
        )


def _bin_edges(values: np.ndarray, bins: Any) -> np.ndarray:
    """numpy's edges for ``bins`` over ``values`` as float64, as tensorboardX's
    ``np.histogram(values.astype(float), bins)`` computes them."""
    if isinstance(bins, bool) or not isinstance(bins, (str, int, np.integer, Sequence, np.ndarray)):
        raise TypeError(
            "bins: expected 'tensorflow', a number of bins, bin edges or a numpy estimator, "
            f"got {bins!r}"
        )
    if values.size == 0:
        # The core reports the empty input, as tensorboardX does, before any binning.
        return np.array([0.0, 1.0])
    try:
        edges = np.histogram_bin_edges(values.astype(np.float64), bins)
        # Explicit edges come back as given: strings or objects fail here.
        return np.ascontiguousarray(edges, dtype=np.float64)
    except (ValueError, TypeError) as e:
        raise ValueError(f"bins: {e}") from None
