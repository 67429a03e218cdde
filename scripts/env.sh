# Sourced by the scripts: one persistent virtual environment (torch is several GB; pip's cache
# and this environment make later runs cheap) and the Rust build cache beside it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${TURBOBOARD_CACHE:-$HOME/.cache/turboboard}"
VENV="$CACHE/venv"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
export PYO3_PYTHON="$VENV/bin/python"

# Activates the persistent environment with maturin and the dependencies of turboboard and of its
# test extra, but not turboboard itself: scripts/test.sh tests the wheel in an environment of its
# own, scripts/demo.sh builds the extension into this one.
setup_python() {
    mkdir -p "$CACHE"
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    # shellcheck disable=SC1091
    source "$VENV/bin/activate"
    python -m pip install --quiet --upgrade pip "maturin>=1.9.4,<2"
    local requirements
    mapfile -t requirements < <(python -c '
import sys, tomllib
project = tomllib.load(open(sys.argv[1], "rb"))["project"]
print(*project["dependencies"], *project["optional-dependencies"]["test"], sep="\n")
' "$ROOT/pyproject.toml")
    python -m pip install --quiet "${requirements[@]}"
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
