"""turboboard: TensorBoard event files written by a Rust core.

A drop-in ``SummaryWriter`` for tensorboardX and torch.utils.tensorboard::

    from turboboard import SummaryWriter

or, for code that builds its own writer, ``turboboard.patch()`` (or ``TURBOBOARD_PATCH=1``).
"""

from __future__ import annotations

from ._patch import patch, patched, unpatch

# Not typing's: the start-up hook of TURBOBOARD_PATCH imports this package, and must stay light.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from . import summary
    from ._errors import ArgumentError
    from ._reader import (
        Table,
        read_audio,
        read_histograms,
        read_hparams,
        read_images,
        read_scalars,
        read_tensors,
        read_text,
    )
    from ._tbparse import SummaryReader
    from .global_writer import GlobalSummaryWriter
    from .writer import FileWriter, SummaryWriter

    __version__: str

__all__ = [
    "ArgumentError",
    "FileWriter",
    "GlobalSummaryWriter",
    "SummaryReader",
    "SummaryWriter",
    "Table",
    "__version__",
    "patch",
    "patched",
    "read_audio",
    "read_histograms",
    "read_hparams",
    "read_images",
    "read_scalars",
    "read_tensors",
    "read_text",
    "summary",
    "unpatch",
]

_READER = {
    "Table",
    *(
        f"read_{k}"
        for k in ("scalars", "histograms", "images", "audio", "text", "tensors", "hparams")
    ),
}


def __getattr__(name: str) -> Any:
    # The writer (numpy, the Rust extension) loads on first use, so that the start-up hook of
    # TURBOBOARD_PATCH imports nothing heavy.
    if name in ("FileWriter", "SummaryWriter"):
        from . import writer

        value = getattr(writer, name)
    elif name == "ArgumentError":
        from ._errors import ArgumentError as value
    elif name in _READER:
        from . import _reader

        value = getattr(_reader, name)
    elif name == "SummaryReader":
        from ._tbparse import SummaryReader as value
    elif name == "GlobalSummaryWriter":
        from .global_writer import GlobalSummaryWriter as value
    elif name == "summary":
        import importlib

        value = importlib.import_module(".summary", __name__)
    elif name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("turboboard")
        except PackageNotFoundError:  # running from a source tree
            value = "0.0.0"
    else:
        raise AttributeError(f"module 'turboboard' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
