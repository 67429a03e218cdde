"""Writers that cross process boundaries: a ``SummaryWriter`` pickled into another process
(``multiprocessing`` with spawn or forkserver, ``DataLoader`` workers holding it in their dataset)
opens a new event file of its own there."""

from __future__ import annotations

from typing import Any


class PicklableWriter:
    """Pickling for ``SummaryWriter``: the log directory and options travel, the open file does
    not. (tensorboardX's and torch's writers cannot be pickled.)"""

    logdir: str
    _options: tuple[Any, ...]
    _write_to_disk: bool

    def __reduce__(self) -> tuple[Any, ...]:
        return (_reopen, (type(self), self.logdir, self._options, self._write_to_disk))


def _reopen(cls: type, logdir: str, options: tuple[Any, ...], write_to_disk: bool) -> Any:
    max_queue, flush_secs, filename_suffix, max_queue_bytes = options
    return cls(
        logdir,
        max_queue=max_queue,
        flush_secs=flush_secs,
        filename_suffix=filename_suffix,
        write_to_disk=write_to_disk,
        max_queue_bytes=max_queue_bytes,
    )
