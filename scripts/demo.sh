#!/usr/bin/env bash
# Trains the demo CNN and writes a TensorBoard run (arguments go to examples/demo.py).
# shellcheck source=SCRIPTDIR/env.sh
source "$(dirname "$0")/env.sh"
cd "$ROOT"
setup_python
quietly "$(new_log build)" "build turboboard into $VENV (maturin develop --release)" \
    maturin develop --locked --release
python examples/demo.py "$@"
