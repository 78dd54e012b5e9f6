// @ts-check
// The seed story (examples/js/catalogue.mjs) runs and tells what the Rust example tells.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";

import { ROOT } from "./helpers.mjs";

test("the catalogue example runs end to end", () => {
  const out = execFileSync(process.execPath, [`${ROOT}examples/js/catalogue.mjs`], { cwd: ROOT, encoding: "utf8" });
  for (const line of [
    "Juste à temps — group Catalogue with 3 members",
    "audience of 4 — nobody hidden, nobody flooded",
    "both edits survive: « Chaleureux : Lieu où l'on se retrouve. On y refait le monde. »",
    "alphabetical, accents ignored: Café, Équipe, Été",
    "Sophie's offline contact on Patrick's copy: absent",
    // The same change hash as the Rust and Python examples: the same story, the same bytes.
    "the report says why: revoked by change `3449e83e51826c41b74b948343ac8fe9216bc8e1e7b5f3f44d24da5eede042cc`",
    "3 contacts in the CRM, 1 at stage `contacted`",
  ]) {
    assert.ok(out.includes(line), `missing: ${line}\n${out}`);
  }
});
