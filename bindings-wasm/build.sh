#!/usr/bin/env bash
# Builds the npm package `cercle` into bindings-wasm/pkg: the WebAssembly module with its
# JavaScript glue and TypeScript declarations for Node (CommonJS), the web (an ES module
# with an `init` function) and bundlers. Installs the wasm32 target and the wasm-bindgen
# CLI (the exact version the crate pins) when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n 's/^wasm-bindgen = "=\(.*\)"$/\1/p' bindings-wasm/Cargo.toml)
if command -v rustup >/dev/null 2>&1; then
  rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true
fi
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $version"; then
  echo "installing wasm-bindgen-cli $version (a few minutes, once)"
  cargo install -q wasm-bindgen-cli --version "$version"
fi

RUSTFLAGS="${RUSTFLAGS:-} --cfg curve25519_dalek_bits=\"64\"" cargo build -q -p cercle-wasm --target wasm32-unknown-unknown --profile wasm
wasm=target/wasm32-unknown-unknown/wasm/cercle_wasm.wasm

out=bindings-wasm/pkg
rm -rf "$out"
mkdir -p "$out"
for target in nodejs web bundler; do
  dir=$target
  [ "$target" = nodejs ] && dir=node
  # --weak-refs: objects dropped without free() are released by the garbage collector.
  wasm-bindgen "$wasm" --out-dir "$out/$dir" --out-name cercle --target "$target" --weak-refs
done
# The web build declares the raw exports of the instance (`InitOutput`) with `any`; users
# never call them, so declare the instance's exports as the standard type instead.
perl -0pi -e 's/export interface InitOutput \{.*?\n\}\n/export type InitOutput = WebAssembly.Exports;\n/s' "$out/web/cercle.d.ts"
if grep -nE '(:|<|\(|\||,)[[:space:]]*any\b' "$out"/*/cercle.d.ts; then
  echo "the declarations must not use any" >&2
  exit 1
fi
# The Node build is CommonJS, and so must be its JavaScript snippets (src/lib.rs writes
# them as `export function ...`).
find "$out/node/snippets" -name '*.js' -exec perl -pi -e 's/^export function (\w+)/exports.$1 = function $1/' {} +
echo '{ "type": "commonjs" }' >"$out/node/package.json"
echo '{ "type": "module" }' >"$out/web/package.json"
echo '{ "type": "module" }' >"$out/bundler/package.json"
cp bindings-wasm/npm/package.json bindings-wasm/README.md "$out/"
echo "built $out ($(wc -c <"$out/node/cercle_bg.wasm") bytes of wasm, $(gzip -9c "$out/node/cercle_bg.wasm" | wc -c) gzipped)"
