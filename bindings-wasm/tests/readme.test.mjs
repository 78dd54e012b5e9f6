// @ts-check
// A newcomer's path: `npm install` the packed package in a fresh folder, paste the README's
// JavaScript example, run it with Node.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import { ROOT } from "./helpers.mjs";

for (const readme of ["bindings-wasm/README.md", "README.md"]) {
  test(`the example of ${readme} runs after npm install in a fresh folder`, () => {
    const pkg = `${ROOT}bindings-wasm/pkg/`;
    const tarball = readdirSync(pkg).find((f) => /^cercle-.*\.tgz$/.test(f));
    assert.ok(tarball, "pack the package first (scripts/test.sh does)");
    const text = readFileSync(`${ROOT}${readme}`, "utf8");
    const example = /```js\n([\s\S]*?)```/.exec(text)?.[1];
    assert.ok(example, `no JavaScript example in ${readme}`);

    const dir = mkdtempSync(join(tmpdir(), "cercle-readme-"));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "newcomer", private: true, type: "module" }));
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    execFileSync(npm, ["install", "--no-audit", "--no-fund", "--silent", join(pkg, tarball)], { cwd: dir });
    writeFileSync(join(dir, "example.mjs"), example);
    const out = execFileSync(process.execPath, ["example.mjs"], { cwd: dir, encoding: "utf8" });
    assert.match(out, /kind: 'revoked'/);
    assert.match(out, /refused: denied/);
  });
}
