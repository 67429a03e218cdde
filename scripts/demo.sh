#!/usr/bin/env bash
# Trains the demo CNN and writes a TensorBoard run (arguments go to examples/demo.py).
source "$(dirname "$0")/env.sh"
cd "$ROOT"
setup_python
maturin develop --quiet --locked --release
python examples/demo.py "$@"
