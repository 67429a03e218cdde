"""tensorboardX's ``GlobalSummaryWriter``: one writer shared by modules, threads and processes,
which numbers each tag's events itself so interleaved callers never log the same step twice."""

from __future__ import annotations

import multiprocessing
from typing import Any

from .writer import FileWriter, SummaryWriter

_writer: GlobalSummaryWriter | None = None


class GlobalSummaryWriter:
    """A ``SummaryWriter`` whose ``add_*`` calls take no ``global_step``: each tag's steps count
    0, 1, 2... across every caller, in threads and in processes forked or spawned from the one
    that created it (a process writes to an event file of its own in the same run).

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
        self.smw: SummaryWriter | None = SummaryWriter(
            logdir, comment, purge_step, max_queue, flush_secs, filename_suffix, write_to_disk,
            log_dir, **kwargs,
        )  # fmt: skip
        # One manager process holds every counter, shared with the processes that get this
        # writer (tensorboardX starts one per kind of summary).
        self._manager: Any = multiprocessing.Manager()
        self._lock = self._manager.Lock()
        self._steps = self._manager.dict()

    def __getstate__(self) -> dict[str, Any]:
        # The manager stays with the process that started it; the counters' proxies travel.
        return {**self.__dict__, "_manager": None}

    def _next_step(self, kind: str, tag: str) -> int:
        key = (kind, tag)
        with self._lock:
            step = self._steps.get(key, -1) + 1
            self._steps[key] = step
        return step

    @property
    def _writer(self) -> SummaryWriter:
        if self.smw is None:
            raise RuntimeError("GlobalSummaryWriter: the writer is closed")
        return self.smw

    def add_scalar(self, tag: str, scalar_value: Any, walltime: float | None = None) -> None:
        """Adds a scalar at this tag's next step."""
        writer = self._writer
        writer.add_scalar(tag, scalar_value, self._next_step("scalar", tag), walltime)

    def add_image(
        self, tag: str, img_tensor: Any, walltime: float | None = None, dataformats: str = "CHW"
    ) -> None:
        """Adds an image at this tag's next step."""
        writer = self._writer
        step = self._next_step("image", tag)
        writer.add_image(tag, img_tensor, step, walltime=walltime, dataformats=dataformats)

    def add_text(self, tag: str, text_string: str, walltime: float | None = None) -> None:
        """Adds a text at this tag's next step."""
        writer = self._writer
        writer.add_text(tag, text_string, self._next_step("text", tag), walltime)

    @staticmethod
    def getSummaryWriter() -> GlobalSummaryWriter:  # tensorboardX's name
        """The process's global writer, created (in ``runs/``) on first use."""
        global _writer
        if _writer is None or _writer.smw is None:
            _writer = GlobalSummaryWriter()
        return _writer

    @property
    def file_writer(self) -> FileWriter | None:
        return self._writer._get_file_writer()

    def close(self) -> None:
        """Closes the writer and stops the counters' manager process. Idempotent."""
        if self.smw is not None:
            self.smw.close()
            self.smw = None
            if self._manager is not None:
                self._manager.shutdown()
