#!/usr/bin/env bash
# Everything CI checks, from a fresh clone: Rust format, lints and tests, the protobuf code is
# up to date, the sdist builds the wheel, Python lints and types, the release workflow's lint, and
# the pytest suite against tensorboardX, torch and TensorBoard, run on the installed wheel.
# shellcheck source=SCRIPTDIR/env.sh
source "$(dirname "$0")/env.sh"
cd "$ROOT"
setup_python
# Crates outside the root workspace (see Cargo.toml); rust/fuzz has its own step below.
TOOLS=(rust/protogen/Cargo.toml rust/bench/Cargo.toml)

echo "== cargo fmt"
cargo fmt --all -- --check
for manifest in "${TOOLS[@]}"; do cargo fmt --manifest-path "$manifest" -- --check; done
echo "== cargo clippy"
cargo clippy --locked --workspace --all-targets -- -D warnings
for manifest in "${TOOLS[@]}"; do
    cargo clippy --locked --manifest-path "$manifest" --all-targets -- -D warnings
done
echo "== cargo test"; cargo test --locked
echo "== generated protobuf code is current"
cargo run --quiet --locked --manifest-path rust/protogen/Cargo.toml
git diff --exit-code -- rust/core/src/proto
echo "== fuzz: the record reader and the histogram, 30 s each"
# cargo-fuzz needs nightly compiler flags: RUSTC_BOOTSTRAP=1 lets the stable toolchain take them.
# libFuzzer prints a line every few thousand runs: its output goes to a log, a line sums it up.
FUZZ_LOG="$(new_log fuzz)"
cargo fuzz --version >/dev/null 2>&1 ||
    quietly "$FUZZ_LOG" "install cargo-fuzz" cargo install --locked cargo-fuzz
cargo fmt --manifest-path rust/fuzz/Cargo.toml -- --check
for target in record_reader histogram; do
    quietly "$FUZZ_LOG" "fuzz $target" env RUSTC_BOOTSTRAP=1 \
        cargo fuzz run --fuzz-dir rust/fuzz "$target" -- -max_total_time=30
    sed -n "s/^Done [0-9]* runs.*/    $target: &/p" "$FUZZ_LOG" | tail -n 1
done

echo "== sdist, and the wheel built from it offline with --locked: the sdist holds all it needs"
DIST="$(mktemp -d)"
trap 'rm -rf "$DIST"' EXIT
maturin sdist --out "$DIST"
# -m: the sdist's files carry one fixed date, so give them the extraction time for cargo to see
# what changed since the last build.
tar -xzmf "$DIST"/turboboard-*.tar.gz -C "$DIST"
# The ci profile: optimised like release, built in a fraction of the time of the dist profile.
(cd "$DIST"/turboboard-*/ && maturin build --locked --offline --profile ci --out "$DIST")
echo "== the dist profile (fat LTO) the published wheels use"
maturin build --locked --profile dist --out "$DIST/dist"

echo "== ruff"; ruff check python tests benches examples && ruff format --check python tests benches examples
echo "== the wheels workflow: GitHub's schema, and zizmor's security audits"
check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
zizmor --offline --quiet .github/workflows

echo "== a fresh environment with only the wheel"
wheel_env "$DIST/venv" "$DIST"/turboboard-*.whl
# shellcheck disable=SC1091
source "$DIST/venv/bin/activate"
imported="$(python -c 'import turboboard; print(turboboard.__file__)')"
echo "turboboard imported from $imported"
[[ "$imported" == "$DIST/venv/"* ]] || { echo "not the installed wheel" >&2; exit 1; }
echo "== stub of the extension"; python -m mypy.stubtest turboboard._core
echo "== typed usage, mypy --strict"; python -m mypy --strict examples/typed_usage.py
echo "== Chromium for tests/test_browser.py"; "$ROOT/scripts/setup_browser.sh"
echo "== pytest"; TURBOBOARD_DIST="$DIST" python -m pytest -q "$@"
