// @ts-check
// Cross-runtime golden files (testdata/golden/, shared with the Rust and Python suites): a
// workspace saved by Rust loads in JavaScript to the state Rust recorded, and the same story
// told through the JavaScript API saves exactly the bytes Rust and Python save — which the
// Rust suite loads and checks, so a workspace saved in JavaScript loads in Rust.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { Workspace } from "cercle";

import { GOLDEN, clock, copyFor, ident, sameBytes } from "./helpers.mjs";

/** The story behind catalogue.cercle, as core/tests/golden.rs tells it. */
function build() {
  const ws = Workspace.createWithClock(ident(1), "Juste à temps", clock());
  ws.setDisplayName("Patrick");
  ws.addMember(ident(2).memberId, "admin");
  ws.addMember(ident(3).memberId, "member");
  const g = ws.createGroup("Catalogue", { tags: ["catalogue"], open: false });
  ws.setGroupRole(g, ident(3).memberId, "member");
  const c = ws.createContact("Ergonomie Services", {
    kind: "start_up",
    emails: ["contact@ergonomie.example"],
    notes: "été 🙂",
    groups: [g],
  });
  ws.setStage(c, "contacted");
  const e = ws.createEvent("meeting", "Catalogue de printemps", {
    start: "2010-03-01T10:00:00+01:00",
    contacts: [c],
    groups: [g],
    attendees: { [ident(1).memberId]: "chair" },
    agenda: ["chaises"],
  });
  ws.recordDecision(e, "20 chaises", "2010-03-01T11:00:00+01:00", [ident(1).memberId]);
  const hub = ws.createGroup("Convivialité");
  const dico = ws.createGlossary(hub, "Dictionnaire amoureux de la convivialité", { language: "fr" });
  ws.addEntry(dico, "Été", { definition: "Saison des pique-niques." });
  ws.commit();
  const marc = copyFor(ws, 3);
  marc.createContact("offline", { groups: [g] });
  marc.commit();
  ws.removeMember(ident(3).memberId);
  ws.commit();
  ws.merge(marc);
  return ws;
}

/** @param {string} s */
const lower = (s) => s.toLowerCase();

test("a workspace saved by Rust loads in JavaScript to the recorded state", () => {
  const ws = Workspace.load(ident(7), readFileSync(`${GOLDEN}catalogue.cercle`));
  const want = JSON.parse(readFileSync(`${GOLDEN}catalogue.json`, "utf8"));
  assert.equal(ws.id, want.id);
  assert.equal(ws.name, want.name);
  assert.deepEqual(ws.heads, want.heads);
  assert.deepEqual(
    ws.members().map((m) => [m.id, m.role, m.displayName]),
    want.members.map((/** @type {any} */ m) => [m.id, lower(m.role), m.display_name]),
  );
  assert.deepEqual(
    ws.groups().map((g) => [g.id, g.name, g.tags, g.open]),
    want.groups.map((/** @type {any} */ g) => [g.id, g.name, g.tags, g.open]),
  );
  const contacts = ws.contacts({ includeArchived: true });
  assert.deepEqual(
    contacts.map((c) => [c.id, c.displayName, c.emails, c.notes, c.stage]),
    want.contacts.map((/** @type {any} */ c) => [c.id, c.display_name, c.emails, c.notes, c.stage]),
  );
  assert.deepEqual(
    contacts.map((c) => ws.timeline(c.id).map((e) => [e.id, e.title, e.start?.getTime() ?? null])),
    want.timelines.map((/** @type {any[]} */ t) =>
      t.map((e) => [e.id, e.title, e.start === null ? null : Date.parse(e.start)]),
    ),
  );
  assert.deepEqual(
    ws.glossaries().map((g) => ws.entries(g.id).map((e) => [e.term, e.senses.map((s) => s.definition)])),
    want.entries.map((/** @type {any[]} */ es) => es.map((e) => [e.term, e.senses.map((/** @type {any} */ s) => s.definition)])),
  );
  assert.deepEqual(
    Object.fromEntries(ws.changes().map((c) => [c.hash, c.status.kind === "valid"])),
    Object.fromEntries(want.changes),
  );
});

test("JavaScript tells the golden story in the same bytes as Rust", () => {
  assert.ok(sameBytes(build().save(), readFileSync(`${GOLDEN}catalogue.cercle`)));
});
