"""Writers across process boundaries.

- A ``SummaryWriter`` pickled into another process (``multiprocessing`` with spawn or
  forkserver, a ``DataLoader`` worker holding it in its dataset) opens a new event file of its
  own there.
- ``multiprocessing`` children made by fork (``Pool`` and ``DataLoader`` workers) end with
  ``os._exit``, which skips ``atexit``: their writers are closed by multiprocessing's own exit
  hook instead, so a worker keeps what it logged without calling ``flush()``. (The parent's
  file is never touched in a child: see ``rust/core/src/fork.rs``.)
"""

from __future__ import annotations

import weakref
from multiprocessing import util as mp_util
from typing import Any

# Every open FileWriter of this process, for the worker exit hook.
_WRITERS: weakref.WeakSet[Any] = weakref.WeakSet()


def track(writer: Any) -> None:
    """Closes ``writer`` (a ``FileWriter``) when a forked multiprocessing worker exits."""
    _WRITERS.add(writer)


def _close_tracked() -> None:
    from .writer import _close_at_exit

    for writer in list(_WRITERS):
        core = writer._core
        if core is not None:
            _close_at_exit(core)


class _Hook:
    """What multiprocessing's after-fork registry holds (weakly) for this module."""


def _after_fork(_: _Hook) -> None:
    # Runs in a multiprocessing child just after fork, once the child's exit hooks were reset.
    mp_util.Finalize(None, _close_tracked, exitpriority=0)


_HOOK = _Hook()
mp_util.register_after_fork(_HOOK, _after_fork)


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
    # logdir and write_to_disk already say what this rank writes: ranks=None keeps them.
    return cls(
        logdir,
        max_queue=max_queue,
        flush_secs=flush_secs,
        filename_suffix=filename_suffix,
        write_to_disk=write_to_disk,
        ranks=None,
        max_queue_bytes=max_queue_bytes,
    )
