"""Which process of a distributed job a writer is in, and what that process writes.

The rank is torch.distributed's when a process group is initialised (torch is never imported
for this: if the user has not imported it, there is no group). Before ``init_process_group``,
it is the ``RANK`` variable, which torchrun, ``torch.distributed.launch``, Lightning and
accelerate set before the script starts, so a writer made at the top of a script already knows
its rank. ``LOCAL_RANK`` is not used: every node has a local rank 0.
"""

from __future__ import annotations

import os
import sys
from typing import Literal, Optional

from . import _paths

Ranks = Optional[Literal["zero", "all"]]
_CHOICES = ("zero", "all", None)


def current_rank() -> int | None:
    """The global rank of this process, or None outside a distributed job."""
    dist = sys.modules.get("torch.distributed")
    if dist is not None and dist.is_available() and dist.is_initialized():
        return int(dist.get_rank())
    value = os.environ.get("RANK", "")
    # A RANK that is not a rank (set by something else) is not a distributed job.
    return int(value) if value.isascii() and value.isdigit() else None


def resolve(logdir: str, ranks: Ranks) -> tuple[str, int | None]:
    """The log directory of this process's writer, and the rank whose events it drops (None
    if it writes): with ``'zero'`` only rank 0 writes, with ``'all'`` rank ``r`` writes to
    ``<logdir>/rank_<r>``, with None every process writes to ``logdir``."""
    if ranks not in _CHOICES:
        raise ValueError(f"ranks: expected 'zero', 'all' or None, got {ranks!r}")
    rank = None if ranks is None else current_rank()
    if rank is None:
        return logdir, None
    if ranks == "zero":
        return logdir, None if rank == 0 else rank
    return _paths.join(logdir, f"rank_{rank}"), None
