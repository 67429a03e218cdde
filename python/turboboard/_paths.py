"""Paths from users: path arguments are checked, and paths built from user strings
(``add_scalars`` sub-runs, embedding folders and hparams runs) stay inside the log
directory."""

from __future__ import annotations

import os
import re
from typing import Any

# Separators of every platform, so that a tag written on Linux means the same on Windows.
_SEPARATORS = re.compile(r"[/\\]+")


def join_inside(logdir: str, name: str, arg: str) -> str:
    """``logdir`` joined with the ``/``-separated components of ``name``.

    Leading separators are dropped (as tensorboardX's tag cleaning does); ``..``, NUL and drive
    names, which would point outside ``logdir``, raise ``ValueError`` naming ``arg``.
    """
    return os.path.join(logdir, *parts_inside(name, arg))


def parts_inside(name: str, arg: str) -> list[str]:
    """The components of ``name`` that ``join_inside`` joins to the log directory."""
    if not isinstance(name, str):
        raise TypeError(f"{arg}: expected a string, got {type(name).__name__}")
    parts = [p for p in _SEPARATORS.split(name) if p not in ("", ".")]
    for part in parts:
        if part == ".." or "\0" in part or (os.name == "nt" and ":" in part):
            raise ValueError(f"{arg}: {name!r} would leave the log directory")
    if not parts:
        raise ValueError(f"{arg}: {name!r} names no directory")
    return parts


def path_arg(path: Any, arg: str) -> str:
    """A ``str`` or ``os.PathLike`` path as a ``str``; anything else (an int would be taken for
    a file descriptor) raises ``TypeError``, a NUL ``ValueError``, naming ``arg``."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{arg}: expected a path, got {type(path).__name__}")
    path = os.fspath(path)
    if not isinstance(path, str) or "\0" in path:
        raise ValueError(f"{arg}: expected a str path without NUL, got {path!r}")
    return path
