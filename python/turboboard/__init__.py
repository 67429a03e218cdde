"""turboboard: TensorBoard event files written by a Rust core.

A drop-in ``SummaryWriter`` for tensorboardX and torch.utils.tensorboard::

    from turboboard import SummaryWriter
"""

from importlib.metadata import PackageNotFoundError, version

from .global_writer import GlobalSummaryWriter
from .writer import FileWriter, SummaryWriter

try:
    __version__ = version("turboboard")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0"

__all__ = ["FileWriter", "GlobalSummaryWriter", "SummaryWriter", "__version__"]
