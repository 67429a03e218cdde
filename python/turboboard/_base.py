"""What every method of ``SummaryWriter`` stands on: the run's event file (opened on first use,
and anew after ``close()``), the options its files are opened with, and the step and wall time
defaults of ``use_metadata``. The method groups (``_media``, ``_plugins``, ``_graph``,
``_projector``) and ``writer`` subclass ``WriterBase``; nothing else reaches the core."""

from __future__ import annotations

import os
import warnings
from typing import Any

from . import _convert, _core, _paths
from ._convert import Step
from ._file_writer import DummyFileWriter, FileWriter, MetadataDefaults


class WriterBase(MetadataDefaults):
    """The state of a ``SummaryWriter`` and the one way its methods reach the core."""

    def __init__(
        self,
        logdir: str | os.PathLike[str],
        purge_step: Step,
        options: tuple[Any, Any, Any, Any, Any],
        write_to_disk: bool,
        silent_rank: int | None,
    ) -> None:
        self.logdir = logdir
        self.purge_step = purge_step
        # torch's public attributes; a file opened after close() takes them as they are then.
        (
            self.max_queue,
            self.flush_secs,
            self.filename_suffix,
            self._max_queue_bytes,
            self._storage_options,
        ) = options
        self._write_to_disk = write_to_disk
        # The rank whose events this writer drops (ranks='zero'), until it has said so.
        self._silent_rank = silent_rank
        self.file_writer: FileWriter | DummyFileWriter | None = None
        self.all_writers: dict[str, FileWriter | DummyFileWriter] | None = None
        self._core: _core.EventFileWriter | None = None
        # How the PNGs of images are compressed: "size" (the default) or "speed".
        self._image_compression = "size"

    @property
    def logdir(self) -> str | os.PathLike[str]:
        """The run's directory as given: a ``pathlib.Path`` stays one, as in both anchors."""
        return self._logdir_given

    @logdir.setter
    def logdir(self, value: str | os.PathLike[str]) -> None:
        self._logdir = _paths.path_arg(value, "logdir")
        self._logdir_given = value

    def _options(self) -> tuple[Any, Any, Any, Any, Any]:
        return (
            self.max_queue,
            self.flush_secs,
            self.filename_suffix,
            self._max_queue_bytes,
            self._storage_options,
        )

    def _get_file_writer(self) -> FileWriter | None:
        """The writer of ``logdir``, opened anew (in a new file) after ``close()``; None when
        nothing is written (``file_writer`` is then tensorboardX's do-nothing stand-in)."""
        if not self._write_to_disk:
            if self.file_writer is None:
                self.file_writer = DummyFileWriter(self._logdir)
                self.all_writers = {self._logdir: self.file_writer}
            return None
        if not isinstance(self.file_writer, FileWriter):
            self.file_writer = FileWriter(self._logdir, *self._options())
            self.all_writers = {self._logdir: self.file_writer}
            if self.purge_step is not None:
                self.file_writer.core.add_purge_marker(self.purge_step)
                # Once per writer, as torch does: a reopened file must not purge again.
                self.purge_step = None
        self._core = self.file_writer.core
        return self.file_writer

    def _writer_core(self) -> _core.EventFileWriter | None:
        """The core writer of ``logdir``, or None when nothing is written."""
        if self._core is not None:
            return self._core
        if self._get_file_writer() is not None:
            return self._core
        if self._silent_rank is not None:
            rank, self._silent_rank = self._silent_rank, None
            warnings.warn(
                f"turboboard: this SummaryWriter writes nothing on rank {rank}: with "
                "ranks='zero' (the default) only rank 0 writes. Pass ranks=None to write from "
                "every rank, as tensorboardX and torch do, or ranks='all' for a run per rank.",
                UserWarning,
                stacklevel=3,
            )
        return None

    def _run_writer(self, path: str) -> FileWriter:
        """A writer of another run (``add_scalars``, ``add_hparams``), with this one's options."""
        return FileWriter(path, *self._options())

    def _step(self, global_step: Any) -> Step:
        if global_step is None:
            return self._default_step
        return _convert.step(global_step)

    def _when(self, global_step: Any, walltime: float | None) -> tuple[Step, float | None]:
        """The step and wall time of an event, with ``use_metadata``'s defaults applied."""
        return self._step(global_step), self._default_walltime if walltime is None else walltime
