#!/usr/bin/env bash
# Runs every test suite of cercle. Installs what it needs when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is required (https://rustup.rs)" >&2
  exit 1
fi
if command -v rustup >/dev/null 2>&1; then
  rustup component add rustfmt clippy >/dev/null 2>&1 || true
fi

echo "== format and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings

log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== Rust tests (core, examples, doctests)"
cargo test --workspace --release 2>&1 | tee -a "$log"

echo "== examples"
cargo run --release -q --example quickstart >/dev/null
cargo run --release -q --example catalogue >/dev/null

echo "== benchmarks (quick mode: every workload at 1/20 of its size, so it cannot rot)"
cargo run -p cercle-bench --release -q -- --quick

echo "== fuzz targets"
if cargo +nightly --version >/dev/null 2>&1 && command -v cargo-fuzz >/dev/null 2>&1; then
  for target in load apply sync ops; do
    mkdir -p "fuzz/corpus/$target"
    (cd fuzz && cargo +nightly fuzz run --features fuzzing "$target" "corpus/$target" ../testdata/golden -- -max_total_time=10 -rss_limit_mb=2048)
  done
else
  # Without nightly and cargo-fuzz the harness still builds and replays its regressions.
  cargo test --release --manifest-path fuzz/Cargo.toml --test replay 2>&1 | tee -a "$log"
fi

# One closing line for every suite together.
awk '/^test result:/ { p += $4; f += $6 } END { printf "all suites: %d passed, %d failed\n", p, f }' "$log"
