"""turboboard.patch(), unpatch(), patched() and TURBOBOARD_PATCH=1: torch's and tensorboardX's
SummaryWriter become turboboard's, in modules imported before and after the patch, without the
patch importing torch or tensorboardX itself."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import tensorboardX
import tensorboardX.writer
import torch.utils.tensorboard
import torch.utils.tensorboard.writer
import turboboard
from conftest import summary_events
from turboboard import _patch
from turboboard.writer import PatchedSummaryWriter

MODULES = [
    torch.utils.tensorboard,
    torch.utils.tensorboard.writer,
    tensorboardX,
    tensorboardX.writer,
]
ORIGINALS = [m.SummaryWriter for m in MODULES]

# Run in a fresh interpreter: which modules are imported, and the start-up hook, matter.
CHECK_ALL_OURS = """
import torch.utils.tensorboard, torch.utils.tensorboard.writer, tensorboardX, tensorboardX.writer
from turboboard.writer import PatchedSummaryWriter as SummaryWriter
swapped = [m.SummaryWriter is SummaryWriter for m in (
    torch.utils.tensorboard, torch.utils.tensorboard.writer, tensorboardX, tensorboardX.writer)]
print("swapped", swapped)
"""


def run_python(code: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    """Runs ``code`` (its lines ``{CHECK_ALL_OURS}`` replaced by that check) in a new interpreter
    with ``env`` added to the environment."""
    code = textwrap.dedent(code).replace("{CHECK_ALL_OURS}", CHECK_ALL_OURS)
    environ = {k: v for k, v in os.environ.items() if k != "TURBOBOARD_PATCH"}
    environ.update(env)
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result


def test_patch_after_import_swaps_every_name_and_unpatch_restores_them():
    turboboard.patch()
    turboboard.patch()  # idempotent
    try:
        assert [m.SummaryWriter for m in MODULES] == [PatchedSummaryWriter] * 4
    finally:
        turboboard.unpatch()
    assert [m.SummaryWriter for m in MODULES] == ORIGINALS
    turboboard.unpatch()  # idempotent
    assert [m.SummaryWriter for m in MODULES] == ORIGINALS
    assert _patch._FINDER not in sys.meta_path


def test_patched_restores_the_state_it_found():
    with turboboard.patched():
        assert tensorboardX.SummaryWriter is PatchedSummaryWriter
        with turboboard.patched():
            pass
        # The inner block found it patched, and leaves it patched.
        assert torch.utils.tensorboard.SummaryWriter is PatchedSummaryWriter
    assert [m.SummaryWriter for m in MODULES] == ORIGINALS


def test_patch_before_import_imports_nothing_and_swaps_on_import(tmp_path):
    logdir = str(tmp_path / "run")
    code = """
        import sys, importlib
        import turboboard
        turboboard.patch()
        turboboard.patch()
        print("imported", sorted({"torch", "tensorboardX", "numpy", "turboboard.writer"}
                                 & set(sys.modules)))
        {CHECK_ALL_OURS}
        print("loader", type(tensorboardX.writer.__loader__).__name__)
        # A reload runs the hook again.
        print("reloaded", importlib.reload(tensorboardX.writer).SummaryWriter is SummaryWriter)
        from torch.utils.tensorboard import SummaryWriter as Writer
        with Writer(sys.argv[1]) as writer:
            writer.add_scalar("loss", 0.5, 3)
    """
    out = run_python(code, logdir).stdout
    assert "imported []" in out
    assert "swapped [True, True, True, True]" in out
    # The module keeps its own loader: the hook's wrapper is gone once it ran.
    assert "loader SourceFileLoader" in out
    assert "reloaded True" in out
    [event] = summary_events(logdir)
    assert (event.step, event.summary.value[0].tag, event.summary.value[0].simple_value) == (
        3,
        "loss",
        0.5,
    )


def test_unpatch_removes_the_import_hook():
    code = """
        import turboboard
        turboboard.patch()
        turboboard.unpatch()
        {CHECK_ALL_OURS}
    """
    assert "swapped [False, False, False, False]" in run_python(code).stdout


def test_environment_variable_patches_at_start_up_without_importing_anything_heavy():
    code = """
        import sys
        print("hook", "turboboard._patch" in sys.modules)
        print("imported", sorted({"torch", "tensorboardX", "numpy", "turboboard.writer"}
                                 & set(sys.modules)))
        {CHECK_ALL_OURS}
    """
    for value in ("1", " On "):
        out = run_python(code, TURBOBOARD_PATCH=value).stdout
        assert "hook True" in out
        assert "imported []" in out
        assert "swapped [True, True, True, True]" in out


def test_environment_variable_unset_or_off_patches_nothing():
    code = """
        import sys
        print("loaded", "turboboard" in sys.modules)
        {CHECK_ALL_OURS}
    """
    out = run_python(code).stdout
    # Unset, the start-up hook does not even import turboboard.
    assert "loaded False" in out
    assert "swapped [False, False, False, False]" in out
    assert "swapped [False, False, False, False]" in run_python(code, TURBOBOARD_PATCH="0").stdout
    unclear = run_python(code, TURBOBOARD_PATCH="maybe")
    assert "swapped [False, False, False, False]" in unclear.stdout
    assert "TURBOBOARD_PATCH='maybe' is not 1 or 0" in unclear.stderr


def test_a_failed_swap_never_breaks_the_import():
    # turboboard's writer cannot load here: the import of tensorboardX must still work.
    code = """
        import sys
        import turboboard
        turboboard.patch()
        sys.modules["turboboard.writer"] = None
        import tensorboardX
        print("original", tensorboardX.SummaryWriter.__module__)
    """
    result = run_python(code)
    assert "original tensorboardX.writer" in result.stdout
    assert "turboboard.patch: tensorboardX.writer.SummaryWriter is not turboboard's" in (
        result.stderr
    )
