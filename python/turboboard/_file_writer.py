"""``FileWriter``: one event file of a run, written by the Rust core's writer thread; its
``event_writer``; and the ``DummyFileWriter`` that stands in for it when nothing is written."""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

from . import _convert, _core, _paths, _process
from ._convert import Step


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
    data: bytes = serialize()
    return data


_Self = TypeVar("_Self", bound="MetadataDefaults")


class MetadataDefaults:
    """``use_metadata``: a default step and wall time for the calls made inside it."""

    _default_step: Step = None
    _default_walltime: float | None = None

    @contextlib.contextmanager
    def use_metadata(
        self: _Self, *, global_step: Step = None, walltime: float | None = None
    ) -> Iterator[_Self]:
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


class FileWriter(MetadataDefaults):
    """Writes protocol buffers to event files to be consumed by TensorBoard.

    Events go to a new event file in ``logdir``, written asynchronously by a Rust thread. Each
    call returns as soon as the event is queued; ``flush()`` returns once all of them are
    written; ``close()`` (also run at exit) writes and syncs the rest.

    Args:
        logdir: Directory where the event file is written: a path, or a URL (``s3://``,
            ``gs://``, ``az://``, ``memory://``, ``file://``; see the README's "Remote log
            directories").
        max_queue: Events held before they are handed to the writer thread (0: no count).
        flush_secs: How often, in seconds, queued events are written to disk (or uploaded; 0:
            as soon as the writer thread can, every 10 ms).
        filename_suffix: Appended to the event file's name.
        max_queue_bytes: Bytes of events that may wait for the disk before calls block.
        storage_options: Settings of a remote log directory's store (object_store's keys,
            such as ``aws_endpoint`` or ``aws_region``, and ``retry_timeout`` in seconds);
            they override the environment's.
    """

    def __init__(
        self,
        logdir: str,
        max_queue: int = 10,
        flush_secs: float = 120,
        filename_suffix: str = "",
        max_queue_bytes: int = 64 << 20,
        storage_options: Mapping[str, Any] | None = None,
    ) -> None:
        self._logdir = _paths.path_arg(logdir, "logdir")
        self._options = (max_queue, flush_secs, filename_suffix, max_queue_bytes, storage_options)
        self._core: _core.EventFileWriter | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self.reopen()
        _process.track(self)

    def get_logdir(self) -> str:
        """The directory where event files are written."""
        return self._logdir

    @property
    def event_writer(self) -> EventFileWriter:
        """The event file itself, as the anchors' ``FileWriter.event_writer``."""
        return EventFileWriter(self)

    @property
    def core(self) -> _core.EventFileWriter:
        """The open core writer; a closed FileWriter reopens on use, in a new file."""
        return self._core or self.reopen()

    def reopen(self) -> _core.EventFileWriter:
        """Opens a new event file if the writer was closed; does nothing otherwise."""
        if self._core is None:
            max_queue, flush_secs, suffix, max_queue_bytes, storage_options = self._options
            # Python's ints to the core's (an OverflowError would not be a ValueError).
            max_queue = _convert.count(max_queue, "max_queue")
            max_queue_bytes = _convert.count(max_queue_bytes, "max_queue_bytes", minimum=1)
            self._core = _core.EventFileWriter(
                self._logdir,
                max_queue,
                flush_secs,
                suffix,
                max_queue_bytes,
                _paths.storage_options(storage_options),
            )
            self._finalizer = weakref.finalize(self, _process.close_at_exit, self._core)
        return self._core

    def add_event(self, event: Any, step: Step = None, walltime: float | None = None) -> None:
        """Adds an ``Event`` protobuf (or its serialized bytes) to the event file.

        Its wall time is set to ``walltime`` (default: now) and its step to ``step`` if given;
        ``use_metadata`` gives the defaults of both.
        """
        step = self._default_step if step is None else _convert.step(step, "step")
        walltime = self._default_walltime if walltime is None else walltime
        self.core.add_event(_serialized(event, "event"), step, walltime)

    def add_summary(
        self, summary: Any, global_step: Step = None, walltime: float | None = None
    ) -> None:
        """Adds a ``Summary`` protobuf (or its serialized bytes) to the event file."""
        global_step = self._default_step if global_step is None else _convert.step(global_step)
        walltime = self._default_walltime if walltime is None else walltime
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
        walltime = self._default_walltime if walltime is None else walltime
        self.core.add_graph_def(_serialized(graph, "graph_profile"), metadata, walltime)

    def add_onnx_graph(self, graph: Any, walltime: float | None = None) -> None:
        """Adds a ``GraphDef`` (a protobuf message or its serialized bytes)."""
        walltime = self._default_walltime if walltime is None else walltime
        self.core.add_graph_def(_serialized(graph, "graph"), None, walltime)

    add_openvino_graph = add_onnx_graph

    def flush(self) -> None:
        """Returns once every event added so far is written to the operating system."""
        if self._core is not None:
            self._core.flush()

    def close(self, timeout: float | None = None) -> None:
        """Writes and syncs all events, then closes the file. Calling it again does nothing.

        Ctrl-C interrupts it, and with ``timeout`` (seconds) it raises ``TimeoutError`` once that
        has passed; either way the file is not closed yet, and a later ``close()`` (or exit)
        waits for it again rather than reporting success."""
        core = self._core
        if core is None:
            return
        try:
            core.close(timeout=timeout)
        except (TimeoutError, KeyboardInterrupt):
            raise  # not closed: kept for the next close() and for exit
        except BaseException:
            self._forget_core()
            raise
        self._forget_core()

    def _forget_core(self) -> None:
        self._core = None
        if self._finalizer is not None:
            self._finalizer.detach()


class EventFileWriter:
    """A ``FileWriter``'s event file, as tensorboardX's and torch's ``EventFileWriter``:
    ``add_event`` writes an ``Event`` as it is, its own step and wall time included."""

    def __init__(self, file_writer: FileWriter) -> None:
        self._file_writer = file_writer

    def get_logdir(self) -> str:
        """The directory where event files are written."""
        return self._file_writer.get_logdir()

    def add_event(self, event: Any) -> None:
        """Adds an ``Event`` protobuf message, unchanged."""
        walltime = getattr(event, "wall_time", None)
        if not isinstance(walltime, float):
            raise TypeError(f"event: expected an Event message, got {type(event).__name__}")
        self._file_writer.core.add_event(_serialized(event, "event"), None, walltime)

    def flush(self) -> None:
        """Returns once every event added so far is written to the operating system."""
        self._file_writer.flush()

    def close(self) -> None:
        """Writes and syncs all events, then closes the file."""
        self._file_writer.close()

    def reopen(self) -> None:
        """Opens a new event file if the writer was closed; does nothing otherwise."""
        self._file_writer.reopen()


class DummyFileWriter:
    """``SummaryWriter.file_writer`` with ``write_to_disk=False``, as tensorboardX's: every
    method of ``FileWriter``, doing nothing."""

    def __init__(self, logdir: str) -> None:
        self._logdir = logdir

    def get_logdir(self) -> str:
        """The directory where event files would be written."""
        return self._logdir

    def add_event(self, event: Any, step: Step = None, walltime: float | None = None) -> None:
        """Does nothing."""

    def add_summary(
        self, summary: Any, global_step: Step = None, walltime: float | None = None
    ) -> None:
        """Does nothing."""

    def add_graph(self, graph_profile: Any, walltime: float | None = None) -> None:
        """Does nothing."""

    def add_onnx_graph(self, graph: Any, walltime: float | None = None) -> None:
        """Does nothing."""

    add_openvino_graph = add_onnx_graph

    def flush(self) -> None:
        """Does nothing."""

    def close(self, timeout: float | None = None) -> None:
        """Does nothing."""

    def reopen(self) -> None:
        """Does nothing."""

    @contextlib.contextmanager
    def use_metadata(
        self, *, global_step: Step = None, walltime: float | None = None
    ) -> Iterator[DummyFileWriter]:
        """Does nothing."""
        yield self
