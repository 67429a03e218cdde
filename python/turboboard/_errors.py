"""``ArgumentError``: the bad arguments that tensorboardX refuses with ``assert``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class ArgumentError(ValueError, AssertionError):
    """A bad argument where tensorboardX raises ``AssertionError`` (a non-square ``label_img``,
    a margin chart without 3 tags, a mesh that is not ``(B, N, 3)``...). It is a
    ``ValueError`` like turboboard's other argument errors, and an ``AssertionError`` so that
    code written for tensorboardX still catches it."""


@contextlib.contextmanager
def asserted() -> Iterator[None]:
    """Raises the ``ValueError`` of a bad argument inside the block as an ``ArgumentError``."""
    try:
        yield
    except ArgumentError:
        raise
    except ValueError as e:
        error = ArgumentError(*e.args)
        if hasattr(e, "__notes__"):  # PyO3's note naming the argument it converts
            error.__notes__ = e.__notes__
        raise error from None
