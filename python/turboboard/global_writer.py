"""tensorboardX's ``GlobalSummaryWriter``: one writer shared by modules, threads and processes,
which numbers each tag's events itself so interleaved callers never log the same step twice."""

from __future__ import annotations

import threading
from multiprocessing.managers import BaseManager
from typing import Any

from . import _convert
from ._file_writer import DummyFileWriter
from .writer import FileWriter, SummaryWriter

_writer: GlobalSummaryWriter | None = None


class _Server:
    """The one ``SummaryWriter`` of a ``GlobalSummaryWriter`` and its step counters, in the
    manager process that every sharing process calls."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._writer = SummaryWriter(*args, **kwargs)
        self._steps: dict[tuple[str, str], int] = {}
        # The manager serves each connection on a thread of its own.
        self._lock = threading.Lock()

    def add(self, kind: str, tag: str, value: Any, walltime: Any, **kwargs: Any) -> None:
        with self._lock:
            step = self._steps.get((kind, tag), -1) + 1
            getattr(self._writer, f"add_{kind}")(tag, value, step, walltime=walltime, **kwargs)
            # Counted once written: a call that raised takes no step.
            self._steps[kind, tag] = step

    def get_logdir(self) -> str:
        return self._writer.get_logdir()

    def writes(self) -> bool:
        return self._writer._write_to_disk

    def file_writer(self) -> FileWriter | None:
        # Returned as a proxy: its calls run here, on the one file every process shares.
        return self._writer._get_file_writer()

    def flush(self) -> None:
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()


class _Manager(BaseManager):
    pass


# What a FileWriter's proxy offers: tensorboardX's FileWriter methods.
_FILE_WRITER_METHODS = (
    "add_event",
    "add_graph",
    "add_onnx_graph",
    "add_openvino_graph",
    "add_summary",
    "close",
    "flush",
    "get_logdir",
)
_Manager.register("FileWriter", create_method=False, exposed=_FILE_WRITER_METHODS)
_Manager.register("Server", _Server, method_to_typeid={"file_writer": "FileWriter"})


class GlobalSummaryWriter:
    """A ``SummaryWriter`` whose ``add_*`` calls take no ``global_step``: each tag's steps count
    0, 1, 2... across every caller, in threads and in processes (forked or spawned, e.g. a
    ``multiprocessing.Pool``'s workers) that were given this writer.

    Every call goes to one writer in a manager process, so the run is one event file whose
    steps TensorBoard reads in order, whichever process logged them. A call costs a round trip
    to that process: use ``SummaryWriter`` where steps are known.

    ``file_writer`` is the shared ``FileWriter`` (a proxy to it, for ``add_summary`` and the
    like), as tensorboardX's attribute of the same name; with ``write_to_disk=False``, a
    ``DummyFileWriter`` whose methods do nothing.
    Args are ``SummaryWriter``'s. ``coalesce_process`` is accepted for tensorboardX's sake and
    has no effect.
    """

    def __init__(
        self,
        logdir: str | None = None,
        comment: str = "",
        purge_step: int | None = None,
        max_queue: int = 10,
        flush_secs: float = 120,
        filename_suffix: str = "",
        write_to_disk: bool = True,
        log_dir: str | None = None,
        coalesce_process: bool = True,
        **kwargs: Any,
    ) -> None:
        self._manager: _Manager | None = _Manager()
        self._manager.start()
        self._server: Any = self._manager.Server(  # type: ignore[attr-defined]
            logdir, comment, purge_step, max_queue, flush_secs, filename_suffix, write_to_disk,
            log_dir, **kwargs,
        )  # fmt: skip
        self._closed = False

    def __getstate__(self) -> dict[str, Any]:
        # The manager belongs to the process that started it; the server's proxy travels.
        return {**self.__dict__, "_manager": None}

    def _add(self, kind: str, tag: str, value: Any, walltime: float | None, **kwargs: Any) -> None:
        if self._closed:
            raise RuntimeError("GlobalSummaryWriter: the writer is closed")
        self._server.add(kind, tag, value, walltime, **kwargs)

    def add_scalar(self, tag: str, scalar_value: Any, walltime: float | None = None) -> None:
        """Adds a scalar at this tag's next step."""
        self._add("scalar", tag, _convert.scalar(scalar_value, "scalar_value"), walltime)

    def add_image(
        self, tag: str, img_tensor: Any, walltime: float | None = None, dataformats: str = "CHW"
    ) -> None:
        """Adds an image at this tag's next step."""
        # Sent to the manager as numpy: it needs no torch to read it.
        image = _convert.to_numpy(img_tensor, "img_tensor")
        self._add("image", tag, image, walltime, dataformats=dataformats)

    def add_text(self, tag: str, text_string: str, walltime: float | None = None) -> None:
        """Adds a text at this tag's next step."""
        self._add("text", tag, text_string, walltime)

    @staticmethod
    def getSummaryWriter() -> GlobalSummaryWriter:  # tensorboardX's name
        """The process's global writer, created (in ``runs/``) on first use."""
        global _writer
        if _writer is None or _writer._closed:
            _writer = GlobalSummaryWriter()
        return _writer

    @property
    def file_writer(self) -> Any:
        """The ``FileWriter`` of the shared event file, or a ``DummyFileWriter`` if nothing is
        written."""
        if self._closed:
            raise RuntimeError("GlobalSummaryWriter: the writer is closed")
        if not self._server.writes():
            return DummyFileWriter(self.get_logdir())
        return self._server.file_writer()

    def get_logdir(self) -> str:
        """The directory where the event file is written."""
        return str(self._server.get_logdir())

    def flush(self) -> None:
        """Returns once every event added so far is written to the operating system."""
        self._server.flush()

    def close(self) -> None:
        """Writes and closes the event file and stops the manager process. Idempotent; in a
        process the writer was passed to, it only stops that process's use of it."""
        if self._closed:
            return
        self._closed = True
        if self._manager is not None:
            self._server.close()
            self._manager.shutdown()
