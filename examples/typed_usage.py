"""A typed use of turboboard's public API; CI checks it with ``mypy --strict`` against the
installed wheel (its py.typed and _core.pyi) and the wheels workflow runs it.

    python examples/typed_usage.py [LOGDIR]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
from turboboard import FileWriter, SummaryWriter


def log_run(logdir: str) -> list[Path]:
    """Logs a few steps of scalars, a histogram and an image; returns the event files."""
    rng = np.random.default_rng(0)
    with SummaryWriter(logdir, flush_secs=5) as writer:
        for step in range(3):
            writer.add_scalar("loss", 1.0 / (step + 1), global_step=step)
            writer.add_histogram("weights", rng.normal(size=1000), global_step=step)
        image: np.ndarray = rng.random((3, 8, 8), dtype=np.float32)
        writer.add_image("sample", image, global_step=2)
        writer.flush()
    raw = FileWriter(str(Path(logdir) / "raw"), filename_suffix=".raw")
    raw.flush()
    raw.close()
    return sorted(Path(logdir).rglob("events.out.tfevents.*"))


def main(argv: list[str]) -> int:
    logdir = argv[1] if len(argv) > 1 else tempfile.mkdtemp(prefix="turboboard-")
    files = log_run(logdir)
    for path in files:
        print(f"{path}: {path.stat().st_size} bytes")
    return 0 if len(files) == 2 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
