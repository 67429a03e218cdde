"""``SummaryWriter`` and ``FileWriter``: tensorboardX's API (and torch.utils.tensorboard's
extras) over turboboard's Rust core."""

from __future__ import annotations

import contextlib
import json
import socket
import time
import warnings
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Optional

import numpy as np

from . import _convert, _core, _paths, _process, _ranks
from ._graph import GraphMixin
from ._media import MediaMixin, _dataformats
from ._plugins import PluginsMixin
from ._process import PicklableWriter
from ._projector import ProjectorMixin

Step = Optional[int]

# How long interpreter exit waits for a writer's disk before giving up on it.
_EXIT_TIMEOUT_SECS = 30.0


def _serialized(message: Any, arg: str) -> bytes:
    """A protobuf message (tensorboard's, tensorboardX's or any with the same wire format) or
    already serialized bytes."""
    if isinstance(message, (bytes, bytearray, memoryview)):
        return bytes(message)
    serialize = getattr(message, "SerializeToString", None)
    if serialize is None:
        raise TypeError(
            f"{arg}: expected a protobuf message or bytes, got {type(message).__name__}"
        )
    return serialize()


def _close_at_exit(core: _core.EventFileWriter) -> None:
    # Runs at garbage collection or interpreter exit: nowhere to raise to, and exit must not hang.
    # A failure (the log directory removed, a full or stuck disk) is still reported: events
    # were lost.
    try:
        core.close(timeout=_EXIT_TIMEOUT_SECS)
    except Exception as e:
        with contextlib.suppress(Exception):
            warnings.warn(
                f"turboboard: events for {core.logdir} may be lost: closing the writer failed: "
                f"{type(e).__name__}: {e}",
                RuntimeWarning,
                stacklevel=1,
            )


class FileWriter:
    """Writes protocol buffers to event files to be consumed by TensorBoard.

    Events go to a new event file in ``logdir``, written asynchronously by a Rust thread. Each
    call returns as soon as the event is queued; ``flush()`` returns once all of them are
    written; ``close()`` (also run at exit) writes and syncs the rest.

    Args:
        logdir: Directory where the event file is written.
        max_queue: Events held before they are handed to the writer thread.
        flush_secs: How often, in seconds, queued events are written to disk.
        filename_suffix: Appended to the event file's name.
        max_queue_bytes: Bytes of events that may wait for the disk before calls block.
    """

    def __init__(
        self,
        logdir: str,
        max_queue: int = 10,
        flush_secs: float = 120,
        filename_suffix: str = "",
        max_queue_bytes: int = 64 << 20,
    ) -> None:
        self._logdir = _paths.path_arg(logdir, "logdir")
        self._options = (max_queue, flush_secs, filename_suffix, max_queue_bytes)
        self._core: _core.EventFileWriter | None = None
        self._finalizer: weakref.finalize | None = None
        self.reopen()
        _process.track(self)

    def get_logdir(self) -> str:
        """The directory where event files are written."""
        return self._logdir

    @property
    def core(self) -> _core.EventFileWriter:
        """The open core writer; a closed FileWriter reopens on use, in a new file."""
        return self._core or self.reopen()

    def reopen(self) -> _core.EventFileWriter:
        """Opens a new event file if the writer was closed; does nothing otherwise."""
        if self._core is None:
            max_queue, flush_secs, suffix, max_queue_bytes = self._options
            if not isinstance(max_queue, int) or max_queue < 1:
                raise ValueError(f"max_queue: expected a positive integer, got {max_queue!r}")
            if isinstance(flush_secs, bool) or not isinstance(flush_secs, (int, float)):
                raise TypeError(f"flush_secs: expected a number, got {type(flush_secs).__name__}")
            if not isinstance(suffix, str):
                raise TypeError(f"filename_suffix: expected a str, got {type(suffix).__name__}")
            if not isinstance(max_queue_bytes, int) or not 0 < max_queue_bytes < 1 << 63:
                raise ValueError(
                    f"max_queue_bytes: expected a positive integer, got {max_queue_bytes!r}"
                )
            self._core = _core.EventFileWriter(
                self._logdir, max_queue, float(flush_secs), suffix, max_queue_bytes
            )
            self._finalizer = weakref.finalize(self, _close_at_exit, self._core)
        return self._core

    def add_event(self, event: Any, step: Step = None, walltime: float | None = None) -> None:
        """Adds an ``Event`` protobuf (or its serialized bytes) to the event file.

        Its wall time is set to ``walltime`` (default: now) and its step to ``step`` if given.
        """
        step = None if step is None else _convert.step(step, "step")
        self.core.add_event(_serialized(event, "event"), step, walltime)

    def add_summary(
        self, summary: Any, global_step: Step = None, walltime: float | None = None
    ) -> None:
        """Adds a ``Summary`` protobuf (or its serialized bytes) to the event file."""
        global_step = None if global_step is None else _convert.step(global_step)
        self.core.add_summary(_serialized(summary, "summary"), global_step, walltime)

    def add_graph(self, graph_profile: Any, walltime: float | None = None) -> None:
        """Adds a graph: a ``(GraphDef, RunMetadata)`` pair, as ``add_graph``'s torch walk
        returns (the run metadata is tagged ``profiler``), or a ``GraphDef`` alone; each a
        protobuf message or its serialized bytes."""
        if isinstance(graph_profile, (tuple, list)) and len(graph_profile) == 2:
            graph, run_metadata = graph_profile
            metadata = _serialized(run_metadata, "graph_profile")
        else:
            graph, metadata = graph_profile, None
        self.core.add_graph_def(_serialized(graph, "graph_profile"), metadata, walltime)

    def add_onnx_graph(self, graph: Any, walltime: float | None = None) -> None:
        """Adds a ``GraphDef`` (a protobuf message or its serialized bytes)."""
        self.core.add_graph_def(_serialized(graph, "graph"), None, walltime)

    add_openvino_graph = add_onnx_graph

    def flush(self) -> None:
        """Returns once every event added so far is written to the operating system."""
        if self._core is not None:
            self._core.flush()

    def close(self) -> None:
        """Writes and syncs all events, then closes the file. Calling it again does nothing."""
        core, self._core = self._core, None
        if core is not None:
            if self._finalizer is not None:
                self._finalizer.detach()
            core.close()


def _checked_walltime(call: Callable[..., Any], *args: Any) -> Any:
    """``call(*args)``, a core method whose last argument is the wall time, the only one not
    checked before: its errors about it say so."""
    walltime = args[-1]
    try:
        return call(*args)
    except OverflowError:
        raise ValueError(f"walltime: expected a number of seconds, got {walltime!r}") from None
    except TypeError:
        raise TypeError(
            f"walltime: expected a number of seconds, got {type(walltime).__name__}"
        ) from None


class SummaryWriter(MediaMixin, PluginsMixin, GraphMixin, ProjectorMixin, PicklableWriter):
    """Writes entries directly to event files in ``logdir`` to be consumed by TensorBoard.

    The same API as ``tensorboardX.SummaryWriter`` (and ``torch.utils.tensorboard``'s extras),
    with the encoding and the writing done in Rust. Unlike theirs, it can be pickled: in another
    process (spawn, ``DataLoader`` workers) it opens a new event file of its own.

    Args:
        logdir: Save directory location. Default is ``runs/CURRENT_DATETIME_HOSTNAME``.
        comment: Appended to the default ``logdir``; ignored if ``logdir`` is given.
        purge_step: TensorBoard hides the events this run had logged at this step or later
            (use it to resume a crashed run from a checkpoint).
        max_queue: Events held before they are handed to the writer thread.
        flush_secs: How often, in seconds, pending events are written to disk.
        filename_suffix: Appended to every event file name in ``logdir``.
        write_to_disk: If False, nothing is written.
        log_dir: Alias of ``logdir`` (torch's name).
        ranks: In a distributed job (torch.distributed initialised, or ``RANK`` set by torchrun
            and other launchers): ``'zero'`` (the default) writes from rank 0 only, and the
            other ranks get a writer whose methods do nothing; ``'all'`` writes each rank ``r``
            to its own run ``<logdir>/rank_<r>``; None writes every process to ``logdir``, as
            tensorboardX and torch do. The rank is read when the writer is made; a pickled
            writer keeps it.
        max_queue_bytes: Bytes of events that may wait for the disk before calls block.
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
        self.logdir, self._write_to_disk = _ranks.resolve(
            _paths.path_arg(logdir, "logdir"), ranks, bool(write_to_disk)
        )
        self.purge_step = None if purge_step is None else _convert.step(purge_step, "purge_step")
        self.kwargs = kwargs
        self._options = (max_queue, flush_secs, filename_suffix, max_queue_bytes)
        # Values given to add_scalars, for export_scalars_to_json.
        self.scalar_dict: dict[str, list[list[float]]] = {}
        self._default_step: Step = None
        self._default_walltime: float | None = None
        self.file_writer: FileWriter | None = None
        self.all_writers: dict[str, FileWriter] | None = None
        self._core: _core.EventFileWriter | None = None
        self._get_file_writer()

    @property
    def default_bins(self) -> list[float]:
        """TensorFlow's histogram bucket edges, used when ``bins='tensorflow'``."""
        return _core.default_bucket_limits()

    def _get_file_writer(self) -> FileWriter | None:
        """The writer of ``logdir``, opened anew (in a new file) after ``close()``."""
        if not self._write_to_disk:
            return None
        if self.file_writer is None:
            self.file_writer = FileWriter(self.logdir, *self._options)
            self.all_writers = {self.logdir: self.file_writer}
            if self.purge_step is not None:
                self.file_writer.core.add_purge_marker(self.purge_step)
                # Once per writer, as torch does: a reopened file must not purge again.
                self.purge_step = None
        self._core = self.file_writer.core
        return self.file_writer

    def _writer_core(self) -> _core.EventFileWriter | None:
        return self._core or (self._get_file_writer() and self._core)

    def get_logdir(self) -> str:
        """The directory where event files are written."""
        return self.logdir

    def _when(self, global_step: Any, walltime: float | None) -> tuple[Step, float | None]:
        """The step and wall time of an event, with ``use_metadata``'s defaults applied."""
        return self._step(global_step), self._default_walltime if walltime is None else walltime

    def _step(self, global_step: Any) -> Step:
        if global_step is None:
            return self._default_step
        return _convert.step(global_step)

    @contextlib.contextmanager
    def use_metadata(
        self, *, global_step: Step = None, walltime: float | None = None
    ) -> Iterator[SummaryWriter]:
        """Sets a default ``global_step`` and ``walltime`` for the ``add_*`` calls inside.

        Unlike tensorboardX, a ``walltime`` left out means "now", never 0.
        """
        if self._default_step is not None or self._default_walltime is not None:
            raise RuntimeError("use_metadata: cannot be nested")
        self._default_step = None if global_step is None else _convert.step(global_step)
        self._default_walltime = walltime
        try:
            yield self
        finally:
            self._default_step = self._default_walltime = None

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
            display_name: The title of the plot (default: the tag).
            summary_description: A description shown with the plot.
            new_style: Write a tensor of the scalars plugin (torch's option) instead of the
                legacy ``simple_value``; loads faster in TensorBoard.
            double_precision: With ``new_style``, keep the value as float64.
        """
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
                core.add_scalar(
                    tag, scalar_value, global_step, walltime, display_name, summary_description
                )
            else:
                # Two empty strings fewer to pass and convert: 8% of a call.
                core.add_scalar(tag, scalar_value, global_step, walltime)
        except OverflowError:
            # Checked here, off the fast path: an int step beyond 64 bits (step() raises a
            # ValueError naming global_step), or else an int walltime beyond a float's range.
            _convert.step(global_step)
            raise ValueError(f"walltime: expected a number of seconds, got {walltime!r}") from None

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
        core = self._core or self._writer_core()
        if core is None:
            return
        if type(tag_scalar_dict) is not dict and not isinstance(tag_scalar_dict, Mapping):
            raise TypeError(
                "tag_scalar_dict: expected a dict of tag to value, "
                f"got {type(tag_scalar_dict).__name__}"
            )
        global_step, walltime = self._when(global_step, walltime)
        # A dict of str to float goes straight to Rust; anything else is converted here first.
        if type(tag_scalar_dict) is dict and _checked_walltime(
            core.add_float_dict, tag_scalar_dict, global_step, walltime
        ):
            return
        tags, values = _convert.scalars(tag_scalar_dict, "tag_scalar_dict")
        try:
            _checked_walltime(core.add_scalar_dict, tags, values, global_step, walltime)
        except UnicodeEncodeError as e:
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
                self.logdir, f"{main_tag}/{key}", f"main_tag and tag_scalar_dict key {key!r}"
            )
            writer = self.all_writers.get(path)
            if writer is None:
                writer = self.all_writers[path] = FileWriter(path, *self._options)
            writer.core.add_scalar(main_tag, value, global_step, walltime)
            self.scalar_dict.setdefault(path, []).append(
                [walltime, global_step if global_step is not None else 0, value]
            )

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
        core = self._core or self._writer_core()
        if core is None:
            return
        array = _convert.to_numpy(values, "values").reshape(-1)
        edges = None if isinstance(bins, str) and bins == "tensorflow" else _bin_edges(array, bins)
        if max_bins is not None and (not isinstance(max_bins, int) or max_bins < 1):
            raise ValueError(f"max_bins: expected a positive integer, got {max_bins!r}")
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
        core = self._core or self._writer_core()
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

    def add_image(
        self,
        tag: str,
        img_tensor: Any,
        global_step: Step = None,
        walltime: float | None = None,
        dataformats: str = "CHW",
    ) -> None:
        """Adds an image, encoded as PNG in Rust.

        Args:
            tag: Data identifier.
            img_tensor: uint8 values in [0, 255], or floats in [0, 1] (scaled by 255; unlike
                tensorboardX, values outside are clipped instead of wrapping around).
            global_step: Global step value to record.
            walltime: Event time in seconds since the epoch (default: now).
            dataformats: The layout of ``img_tensor``: ``CHW``, ``HWC``, ``HW``, ... (1-channel
                images are stored as RGB, 4-channel ones as RGBA).
        """
        core = self._core or self._writer_core()
        if core is None:
            return
        dataformats = _dataformats(dataformats)
        array = _convert.to_numpy(img_tensor, "img_tensor")
        step, walltime = self._when(global_step, walltime)
        core.add_image(tag, array, step, walltime, dataformats)

    def add_images(
        self,
        tag: str,
        img_tensor: Any,
        global_step: Step = None,
        walltime: float | None = None,
        dataformats: str = "NCHW",
    ) -> None:
        """Adds a batch of images, tiled 8 to a row into one image as tensorboardX does.

        ``img_tensor`` is a 4-D array in ``dataformats`` layout, or a list of 3-D images with
        ``dataformats`` ``CHW`` or ``HWC``.
        """
        if isinstance(img_tensor, (list, tuple)):
            if _dataformats(dataformats).upper() not in ("CHW", "HWC"):
                raise ValueError(
                    f"dataformats: a list of images needs 'CHW' or 'HWC', got {dataformats!r}"
                )
            if not img_tensor:
                raise ValueError("img_tensor: the list of images is empty")
            img_tensor = np.stack([_convert.to_numpy(i, "img_tensor") for i in img_tensor])
            dataformats = "N" + dataformats
        self.add_image(tag, img_tensor, global_step, walltime, dataformats)

    def add_text(
        self,
        tag: str,
        text_string: str,
        global_step: Step = None,
        walltime: float | None = None,
    ) -> None:
        """Adds text (rendered as markdown by TensorBoard) under the tag ``<tag>/text_summary``."""
        core = self._core or self._writer_core()
        if core is None:
            return
        if not isinstance(text_string, str):
            raise TypeError(f"text_string: expected a str, got {type(text_string).__name__}")
        step, walltime = self._when(global_step, walltime)
        core.add_text(tag, text_string, step, walltime)

    def flush(self) -> None:
        """Returns once everything logged so far is written to the operating system."""
        for writer in (self.all_writers or {}).values():
            writer.flush()

    def close(self) -> None:
        """Writes and syncs everything and closes the files. Calling it again does nothing;
        logging after it starts new event files, as tensorboardX does."""
        writers, self.all_writers, self.file_writer, self._core = self.all_writers, None, None, None
        errors = []
        for writer in (writers or {}).values():
            try:
                writer.close()
            except Exception as e:
                errors.append(e)
        if errors:
            raise errors[0]

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _bin_edges(values: np.ndarray, bins: Any) -> np.ndarray:
    """numpy's edges for ``bins`` over ``values`` as float64, as tensorboardX's
    ``np.histogram(values.astype(float), bins)`` computes them."""
    if isinstance(bins, bool) or not isinstance(bins, (str, int, np.integer, Sequence, np.ndarray)):
        raise TypeError(
            "bins: expected 'tensorflow', a number of bins, bin edges or a numpy estimator, "
            f"got {bins!r}"
        )
    if isinstance(bins, (int, np.integer)) and bins < 1:
        raise ValueError(f"bins: expected a positive number of bins, got {bins}")
    if values.size == 0:
        # The core reports the empty input, as tensorboardX does, before any binning.
        return np.array([0.0, 1.0])
    try:
        edges = np.histogram_bin_edges(values.astype(np.float64), bins)
        # Explicit edges come back as given: strings or objects fail here.
        return np.ascontiguousarray(edges, dtype=np.float64)
    except (ValueError, TypeError) as e:
        raise ValueError(f"bins: {e}") from None
