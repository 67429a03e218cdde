# Sourced by the scripts: one persistent virtual environment (torch is several GB; pip's cache
# and this environment make later runs cheap) and the Rust build cache beside it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${TURBOBOARD_CACHE:-$HOME/.cache/turboboard}"
VENV="$CACHE/venv"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
export PYO3_PYTHON="$VENV/bin/python"

setup_python() {
    mkdir -p "$CACHE"
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    # shellcheck disable=SC1091
    source "$VENV/bin/activate"
    python -m pip install --quiet --upgrade pip "maturin>=1.9.4,<2"
    # Builds the extension (dev profile: tests, not speed) into the environment and installs
    # the test extra's dependencies.
    (cd "$ROOT" && maturin develop --quiet --locked --profile "${1:-dev}" --extras test)
}
