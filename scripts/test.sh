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
RUSTDOCFLAGS="-D warnings" cargo doc -q -p cercle --no-deps

log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== Rust tests (core, examples, doctests)"
cargo test --workspace --release 2>&1 | tee -a "$log"

echo "== examples"
cargo run --release -q --example quickstart >/dev/null
cargo run --release -q --example catalogue >/dev/null

echo "== Python package (bindings-python)"
if ! command -v python3 >/dev/null 2>&1; then
  echo "python3 is required for the Python suite" >&2
  exit 1
fi
venv=target/py-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check maturin pytest hypothesis mypy
rm -rf target/wheels && mkdir -p target/wheels
# What `pip install ./bindings-python` does, keeping the wheel to check it is abi3.
"$venv/bin/python" -m pip wheel -q --disable-pip-version-check --no-deps ./bindings-python -w target/wheels
ls target/wheels/cercle-*-abi3-*.whl >/dev/null
"$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps target/wheels/cercle-*.whl
(cd bindings-python && "../$venv/bin/python" -m pytest -q -p no:cacheprovider tests) 2>&1 | tee -a "$log"
"$venv/bin/python" -m mypy.stubtest cercle._cercle
"$venv/bin/python" -m mypy --strict --cache-dir target/mypy-cache bindings-python/tests examples/python

echo "== npm package (bindings-wasm): Node, TypeScript and headless Chromium"
for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "$tool is required for the JavaScript suite" >&2
    exit 1
  fi
done
bash bindings-wasm/build.sh
rm -f bindings-wasm/pkg/cercle-*.tgz
(cd bindings-wasm/pkg && npm pack -q >/dev/null)
# The harness's own dependencies (fast-check, playwright-core, typescript), then the packed
# package, installed as a user would install it.
npm ci --no-audit --no-fund --silent
npm install --no-save --no-audit --no-fund --silent ./bindings-wasm/pkg/cercle-*.tgz
if [ -z "${CHROMIUM:-}" ] && ! [ -x /usr/bin/chromium ]; then
  echo "installing Debian's chromium for the browser test"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
npx tsc -p tsconfig.json
node --test bindings-wasm/tests/ 2>&1 | tee -a "$log"

echo "== benchmarks (quick mode: every workload at 1/20 of its size, so it cannot rot)"
cargo run -p cercle-bench --release -q -- --quick

echo "== fuzz targets"
if cargo +nightly --version >/dev/null 2>&1 && command -v cargo-fuzz >/dev/null 2>&1; then
  for target in load apply sync ops compact; do
    mkdir -p "fuzz/corpus/$target"
    (cd fuzz && cargo +nightly fuzz run --features fuzzing "$target" "corpus/$target" ../testdata/golden -- -max_total_time=10 -rss_limit_mb=2048)
  done
else
  # Without nightly and cargo-fuzz the harness still builds and replays its regressions.
  cargo test --release --manifest-path fuzz/Cargo.toml --test replay 2>&1 | tee -a "$log"
fi

# One closing line for every suite together.
# cargo: "test result: ok. N passed; M failed"; pytest: "N passed[, M failed] in ...";
# node --test: "# pass N" and "# fail N".
awk '
  /^test result:/ { p += $4; f += $6 }
  /^# pass [0-9]+$/ { p += $3 }
  /^# fail [0-9]+$/ { f += $3 }
  /^[0-9]+ (passed|failed)/ && / in [0-9.]+s/ {
    for (i = 1; i < NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i }
  }
  END { printf "all suites: %d passed, %d failed\n", p, f }' "$log"
