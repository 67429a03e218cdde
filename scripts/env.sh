# shellcheck shell=bash
# Sourced by the scripts: one persistent virtual environment (torch is several GB; pip's cache
# and this environment make later runs cheap) and the Rust build cache beside it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${TURBOBOARD_CACHE:-$HOME/.cache/turboboard}"
VENV="$CACHE/venv"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
export PYO3_PYTHON="$VENV/bin/python"

# The interpreter the persistent environment is made from (PYTHON=/path/to/python3.11 to choose).
PYTHON="${PYTHON:-python3}"
LOGS="$CACHE/logs"

# A new log file under $LOGS for step $1 (runs at once never share one); a month's logs are kept.
new_log() {
    mkdir -p "$LOGS"
    find "$LOGS" -name '*.log' -mtime +30 -delete 2>/dev/null || true
    mktemp --suffix=.log "$LOGS/$1-$(date +%Y%m%d-%H%M%S)-XXXX"
}

# Runs a command (after $1, a log file, and $2, what it does) with its output appended to the
# log: prints one line, and the log's tail if the command fails, so that CI shows why.
quietly() {
    local log="$1" what="$2"
    shift 2
    printf '%s ... ' "$what"
    if "$@" >>"$log" 2>&1; then
        echo "done (output in $log)"
    else
        local status=$?
        echo "FAILED (exit status $status); the end of $log:"
        tail -n 60 "$log"
        return "$status"
    fi
}

# Fails at once unless the interpreter $1 is Python 3.11 or newer (what the scripts and the test
# tools are run with), saying which version is needed and ($2) what to do about it.
require_python() {
    local version
    if ! version="$("$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)"; then
        echo "error: the scripts need Python 3.11 or newer, and '$1' does not run; $2" >&2
        exit 1
    fi
    if ! "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        echo "error: the scripts need Python 3.11 or newer, and $1 is Python $version; $2" >&2
        exit 1
    fi
}

# Activates the persistent environment with maturin, turboboard's dependency and the test
# dependency group (pyproject.toml's [dependency-groups]), but not turboboard itself:
# scripts/test.sh tests the wheel in an environment of its own, scripts/demo.sh builds the
# extension into this one. pip's output goes to a log under $LOGS.
setup_python() {
    mkdir -p "$CACHE"
    if [ ! -x "$VENV/bin/python" ]; then
        require_python "$PYTHON" "name one with PYTHON=/path/to/python3.11 (or newer)"
        "$PYTHON" -m venv "$VENV"
    fi
    require_python "$VENV/bin/python" "remove $VENV to make it again from Python 3.11+"
    # shellcheck disable=SC1091
    source "$VENV/bin/activate"
    local log
    log="$(new_log pip)"
    quietly "$log" "pip: upgrade pip and maturin" \
        python -m pip install --upgrade pip "maturin>=1.9.4,<2"
    if [[ "$(python -m pip install --help)" == *"--group"* ]]; then
        quietly "$log" "pip: the test dependency group into $VENV" \
            python -m pip install --group "$ROOT/pyproject.toml:test"
    else  # pip older than 25.1 (a pinned mirror): read the group's requirements itself
        local requirements
        mapfile -t requirements < <(python -c '
import sys, tomllib
group = tomllib.load(open(sys.argv[1], "rb"))["dependency-groups"]["test"]
print(*(item for item in group if isinstance(item, str)), sep="\n")
' "$ROOT/pyproject.toml")
        quietly "$log" "pip: the test dependency group into $VENV" \
            python -m pip install "${requirements[@]}"
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
