#!/usr/bin/env bash
# Everything CI checks, from a fresh clone: Rust format, lints and tests, the protobuf code is
# up to date, Python lints and the pytest suite against tensorboardX, torch and TensorBoard.
source "$(dirname "$0")/env.sh"
cd "$ROOT"
setup_python dev

echo "== cargo fmt"; cargo fmt --all -- --check
echo "== cargo clippy"; cargo clippy --locked --workspace --all-targets -- -D warnings
echo "== cargo test"; cargo test --locked
echo "== generated protobuf code is current"
cargo run --quiet --locked -p turboboard-protogen
git diff --exit-code -- rust/core/src/proto
echo "== fuzz: the record reader and the histogram, 30 s each"
# cargo-fuzz needs nightly compiler flags: RUSTC_BOOTSTRAP=1 lets the stable toolchain take them.
cargo fuzz --version >/dev/null 2>&1 || cargo install --quiet --locked cargo-fuzz
cargo fmt --manifest-path rust/fuzz/Cargo.toml -- --check
for target in record_reader histogram; do
    RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir rust/fuzz "$target" -- -max_total_time=30
done
echo "== ruff"; ruff check python tests benches examples && ruff format --check python tests benches examples
echo "== stub of the extension"; python -m mypy.stubtest turboboard._core
echo "== Chromium for tests/test_browser.py"; "$ROOT/scripts/setup_browser.sh"
echo "== pytest"; python -m pytest -q "$@"
