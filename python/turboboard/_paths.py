"""Paths from users: path arguments are checked, and paths built from user strings
(``add_scalars`` sub-runs, embedding folders and hparams runs) stay inside the log
directory, local or remote (a URL such as ``s3://bucket/run``, whose parts are joined with
``/`` on every platform). Which URLs are supported, and how they are configured, is the
core's rule (``rust/core/src/storage``)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

# Separators of every platform, so that a tag written on Linux means the same on Windows.
_SEPARATORS = re.compile(r"[/\\]+")


def is_url(logdir: str) -> bool:
    """Whether ``logdir`` names a remote log directory (or a ``file://`` one)."""
    return "://" in logdir


def join(logdir: str, *parts: str) -> str:
    """``logdir`` joined with ``parts``: with ``/`` for a URL, the platform's way for a path."""
    if is_url(logdir):
        return "/".join([logdir.rstrip("/"), *parts])
    return os.path.join(logdir, *parts)


def join_inside(logdir: str, name: str, arg: str) -> str:
    """``logdir`` joined with the ``/``-separated components of ``name``.

    Leading separators are dropped (as tensorboardX's tag cleaning does); ``..``, NUL and drive
    names, which would point outside ``logdir``, raise ``ValueError`` naming ``arg``.
    """
    return join(logdir, *parts_inside(name, arg))


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


def storage_options(options: Any) -> list[tuple[str, str]] | None:
    """``storage_options`` as the core takes them: ``(key, value)`` string pairs. Values may be
    given as str, bool (``"true"``/``"false"``) or numbers; the core checks the keys."""
    if options is None:
        return None
    if not isinstance(options, Mapping):
        raise TypeError(
            f"storage_options: expected a mapping of str to str, got {type(options).__name__}"
        )
    pairs = []
    for key, value in options.items():
        if not isinstance(key, str):
            raise TypeError(f"storage_options: expected str keys, got {type(key).__name__}")
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (int, float)):
            value = str(value)
        elif not isinstance(value, str):
            raise TypeError(
                f"storage_options: {key!r}: expected a str, bool or number, "
                f"got {type(value).__name__}"
            )
        pairs.append((key, value))
    return pairs
