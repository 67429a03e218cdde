#!/usr/bin/env bash
# Regenerates the README's screenshots, docs/screenshots/*.png: tests/test_browser.py trains the
# demo, opens its run in TensorBoard in headless Chromium and saves each dashboard (1280x800);
# they are then stored as 256-colour PNGs, a fraction of the size.
# shellcheck source=SCRIPTDIR/env.sh
source "$(dirname "$0")/env.sh"
cd "$ROOT"
setup_python
maturin develop --quiet --locked --release
"$ROOT/scripts/setup_browser.sh"
OUT="$ROOT/docs/screenshots"
# A short --basetemp: the run's directory is shown in TensorBoard's sidebar.
TURBOBOARD_SCREENSHOTS="$OUT" TURBOBOARD_DEMO_EPOCHS=5 python -m pytest -q -p no:cacheprovider \
    --basetemp /tmp/turboboard-screenshots tests/test_browser.py
python - "$OUT"/*.png <<'PY'
import sys

from PIL import Image

for path in sys.argv[1:]:
    Image.open(path).convert("RGB").quantize(256).save(path, optimize=True)
PY
