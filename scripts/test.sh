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
echo "== ruff"; ruff check python tests benches examples && ruff format --check python tests benches examples
echo "== stub of the extension"; python -m mypy.stubtest turboboard._core
echo "== pytest"; python -m pytest -q "$@"
