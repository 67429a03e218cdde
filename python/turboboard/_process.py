"""Writers across process boundaries.

- A ``SummaryWriter`` pickled into another process (``multiprocessing`` with spawn or
  forkserver, a ``DataLoader`` worker holding it in its dataset) opens a new event file of its
  own there.
- ``multiprocessing`` children made by fork (``Pool`` and ``DataLoader`` workers) end with
  ``os._exit``, which skips ``atexit``: their writers are closed by multiprocessing's own exit
  hook instead, so a worker keeps what it logged without calling ``flush()``. (The parent's
  file is never touched in a child: see ``rust/core/src/fork.rs``.)
- At garbage collection or interpreter exit, a writer still open is closed with a time limit.
"""

from __future__ import annotations

import contextlib
import warnings
import weakref
from multiprocessing import util as mp_util
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._core import EventFileWriter

# How long interpreter exit waits for a writer's disk before giving up on it.
_EXIT_TIMEOUT_SECS = 30.0

# Every open FileWriter of this process, for the worker exit hook.
_WRITERS: weakref.WeakSet[Any] = weakref.WeakSet()


def close_at_exit(core: EventFileWriter) -> None:
    """Closes ``core`` where there is nowhere to raise to and exit must not hang; a failure is
    still reported as a warning, since events were lost."""
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


def track(writer: Any) -> None:
    """Closes ``writer`` (a ``FileWriter``) when a forked multiprocessing worker exits."""
    _WRITERS.add(writer)


def _close_tracked() -> None:
    for writer in list(_WRITERS):
        core = writer._core
        if core is not None:
            close_at_exit(core)


class _Hook:
    """What multiprocessing's after-fork registry holds (weakly) for this module."""


def _after_fork(_: _Hook) -> None:
    # Runs in a multiprocessing child just after fork, once the child's exit hooks were reset.
    mp_util.Finalize(None, _close_tracked, exitpriority=0)


_HOOK = _Hook()
mp_util.register_after_fork(_HOOK, _after_fork)


def reopen(
    cls: type,
    logdir: str,
    options: tuple[Any, ...],
    write_to_disk: bool,
    silent_rank: int | None,
    image_compression: str = "size",
) -> Any:
    """A pickled ``SummaryWriter`` in its new process: same directory and options, a new file.
    (tensorboardX's and torch's writers cannot be pickled.)"""
    max_queue, flush_secs, filename_suffix, max_queue_bytes, storage_options = options
    # logdir and write_to_disk already say what this rank writes: ranks=None keeps them.
    writer = cls(
        logdir,
        max_queue=max_queue,
        flush_secs=flush_secs,
        filename_suffix=filename_suffix,
        write_to_disk=write_to_disk,
        ranks=None,
        max_queue_bytes=max_queue_bytes,
        storage_options=storage_options,
        image_compression=image_compression,
    )
    writer._silent_rank = silent_rank
    return writer
