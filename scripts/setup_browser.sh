#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium and its chromedriver for tests/test_browser.py,
# once: a no-op when both are already there (CI runs as root with apt reachable).
set -euo pipefail
command -v chromium >/dev/null && command -v chromedriver >/dev/null && exit 0
SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
$SUDO apt-get update -qq
# Without recommends Chromium brings no font: DejaVu covers what TensorBoard's own fonts do not.
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    chromium chromium-driver fonts-dejavu-core
