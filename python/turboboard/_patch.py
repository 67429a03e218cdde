"""``patch()``: ``torch.utils.tensorboard.SummaryWriter`` and ``tensorboardX.SummaryWriter`` become
turboboard's, for code that builds its own writer (Hugging Face Trainer, Lightning, scripts). The
class swapped in is ``writer.PatchedSummaryWriter``, a ``SummaryWriter`` that keeps the anchors'
behaviour where turboboard's default differs: every rank of a distributed job writes.

The class is swapped in every module that offers it: at once in those already imported, and in
the others the moment they are imported (a ``sys.meta_path`` hook), so patching never imports
torch or tensorboardX itself. ``TURBOBOARD_PATCH=1`` in the environment patches at start-up:
the wheel installs ``turboboard_patch.pth``, which imports this module only when the variable
is set. Until one of those modules is imported, this one needs only ``os`` and ``sys``, which
every interpreter has loaded at start-up; the writer, numpy and the Rust extension come with
the first swap.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType
    from typing import Any

# Each module whose SummaryWriter is swapped, and the module that defines the original.
_HOMES = {
    "torch.utils.tensorboard": "torch.utils.tensorboard.writer",
    "torch.utils.tensorboard.writer": "torch.utils.tensorboard.writer",
    "tensorboardX": "tensorboardX.writer",
    "tensorboardX.writer": "tensorboardX.writer",
}
# The classes turboboard's replaced, by defining module, for unpatch().
_ORIGINALS: dict[str, Any] = {}
_ENV = "TURBOBOARD_PATCH"
_active = False


def _ours() -> type:
    # Imported on the first swap only: the writer loads numpy and the Rust extension.
    from .writer import PatchedSummaryWriter

    return PatchedSummaryWriter


def _swap(module: ModuleType) -> None:
    current = module.__dict__.get("SummaryWriter")
    ours = _ours()
    if current is not None and current is not ours:
        _ORIGINALS[_HOMES[module.__name__]] = current
        module.SummaryWriter = ours  # type: ignore[attr-defined]


class _Loader:
    """The module's own loader, which swaps the class once the module has run."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loader, name)

    def create_module(self, spec: Any) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        # Nothing after this import sees the wrapper (reload, importlib.resources).
        module.__loader__ = module.__spec__.loader = self.loader  # type: ignore[union-attr]
        if _active:
            try:
                _swap(module)
            except Exception as e:  # patching must never break the user's import
                import warnings

                warnings.warn(
                    f"turboboard.patch: {module.__name__}.SummaryWriter is not turboboard's: "
                    f"{type(e).__name__}: {e}",
                    RuntimeWarning,
                    stacklevel=2,
                )


class _Finder:
    """Finds the modules of ``_HOMES`` with the finders after it, and wraps their loader."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname not in _HOMES:
            return None
        for finder in sys.meta_path:
            find_spec = getattr(finder, "find_spec", None)
            if finder is self or find_spec is None:
                continue
            spec = find_spec(fullname, path, target)
            if spec is not None:
                if hasattr(spec.loader, "exec_module"):
                    spec.loader = _Loader(spec.loader)
                return spec
        return None


_FINDER = _Finder()


def patch() -> None:
    """Makes ``torch.utils.tensorboard.SummaryWriter`` and ``tensorboardX.SummaryWriter`` (and
    their ``.writer`` modules' names) turboboard's ``PatchedSummaryWriter``, now and whenever
    they are imported later. Calling it again does nothing.

    Code that took the class before (``from torch.utils.tensorboard import SummaryWriter`` run
    before ``patch()``) keeps the original: patch first, or set ``TURBOBOARD_PATCH=1``.
    """
    global _active
    _active = True
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    for name in _HOMES:
        module = sys.modules.get(name)
        if module is not None:
            _swap(module)


def unpatch() -> None:
    """Puts the original classes back and removes the import hook. Calling it again does
    nothing."""
    global _active
    _active = False
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    if not _ORIGINALS:  # nothing was swapped: keep the writer unimported
        return
    ours = _ours()
    for name, home in _HOMES.items():
        module = sys.modules.get(name)
        original = _ORIGINALS.get(home)
        if module is not None and original and module.__dict__.get("SummaryWriter") is ours:
            module.SummaryWriter = original  # type: ignore[attr-defined]


class patched:
    """``with turboboard.patched():`` patches inside the block; on leaving it, the state from
    before comes back."""

    def __enter__(self) -> None:
        self._was_active = _active
        patch()

    def __exit__(self, *exc_info: object) -> None:
        if not self._was_active:
            unpatch()


def patch_from_environment() -> None:
    """``patch()`` if ``TURBOBOARD_PATCH`` is 1 (or true, yes, on); run at start-up by
    ``turboboard_patch.pth`` when the variable is set."""
    value = os.environ.get(_ENV, "").strip().lower()
    if value in ("1", "true", "yes", "on"):
        patch()
    elif value not in ("", "0", "false", "no", "off"):
        import warnings

        warnings.warn(
            f"{_ENV}={value!r} is not 1 or 0 (true/false, yes/no, on/off): not patching",
            RuntimeWarning,
            stacklevel=1,
        )
