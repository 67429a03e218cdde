# Sourced by the scripts: one persistent virtual environment (torch is several GB; pip's cache
# and this environment make later runs cheap) and the Rust build cache beside it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${TURBOBOARD_CACHE:-$HOME/.cache/turboboard}"
VENV="$CACHE/venv"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
export PYO3_PYTHON="$VENV/bin/python"

# Activates the persistent environment with maturin, turboboard's dependency and the test
# dependency group (pyproject.toml's [dependency-groups]), but not turboboard itself:
# scripts/test.sh tests the wheel in an environment of its own, scripts/demo.sh builds the
# extension into this one.
setup_python() {
    mkdir -p "$CACHE"
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    # shellcheck disable=SC1091
    source "$VENV/bin/activate"
    python -m pip install --quiet --upgrade pip "maturin>=1.9.4,<2"
    if [[ "$(python -m pip install --help)" == *"--group"* ]]; then
        python -m pip install --quiet --group "$ROOT/pyproject.toml:test"
    else  # pip older than 25.1 (a pinned mirror): read the group's requirements itself
        local requirements
        mapfile -t requirements < <(python -c '
import sys, tomllib
group = tomllib.load(open(sys.argv[1], "rb"))["dependency-groups"]["test"]
print(*(item for item in group if isinstance(item, str)), sep="\n")
' "$ROOT/pyproject.toml")
        python -m pip install --quiet "${requirements[@]}"
    fi
}

# Makes a virtual environment at $1 holding only the wheel $2: everything else it imports comes
# from the persistent environment, whose site-packages a .pth file appends to the path (a plain
# path line: that directory's own .pth files, such as an editable turboboard's, are not run).
wheel_env() {
    python -m venv --without-pip "$1"
    python -c 'import sysconfig; print(sysconfig.get_path("purelib"))' \
        >"$("$1/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/base.pth"
    "$1/bin/python" -m pip install --quiet --no-deps --ignore-installed "$2"
}
