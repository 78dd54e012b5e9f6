// @ts-check
// Property tests of merge and permissions through the JavaScript API (fast-check). Each
// test states its law in its name.

import assert from "node:assert/strict";
import { test } from "node:test";

import fc from "fast-check";
import { Workspace, SyncState, isCercleError, syncInMemory } from "cercle";

import { clock, copyFor, ident, sameBytes } from "./helpers.mjs";

/** @typedef {[string, number, string]} Edit */

const edit = fc.tuple(
  fc.constantFrom("contact", "rename", "notes", "tag", "stage", "group", "event"),
  fc.nat(5),
  fc.string({ unit: fc.constantFrom("a", "b", "c", "é", " ", "🙂"), minLength: 1, maxLength: 6 }),
);
const script = fc.array(edit, { maxLength: 8 });
const PAIRS = [[0, 1], [1, 2], [0, 2], [1, 0], [2, 1], [2, 0]];
const order = fc.array(fc.constantFrom(...PAIRS), { maxLength: 6 });

/** Patrick (owner) with Claire and Marc (admins) and a shared contact, each on a copy. */
function founded() {
  const ws = Workspace.createWithClock(ident(1), "Juste à temps", clock());
  ws.addMember(ident(2).memberId, "admin");
  ws.addMember(ident(3).memberId, "admin");
  ws.createContact("Ergonomie Services", { notes: "été" });
  ws.commit();
  return [ws, copyFor(ws, 2), copyFor(ws, 3)];
}

/** Applies a script of edits; edits the copy refuses are skipped, as a user would.
 * @param {Workspace} ws @param {Edit[]} edits */
function play(ws, edits) {
  for (const [action, n, text] of edits) {
    const contacts = ws.contacts({ includeArchived: true });
    const target = contacts.length ? contacts[n % contacts.length]?.id : undefined;
    const name = text.trim() || "x";
    try {
      if (action === "contact" || target === undefined) ws.createContact(name);
      else if (action === "rename") ws.setField(target, "display_name", name);
      else if (action === "notes") ws.spliceText(target, "notes", Math.min(n, [...ws.text(target, "notes")].length), 0, text);
      else if (action === "tag") ws.addValue(target, "tags", text);
      else if (action === "stage") ws.setStage(target, ws.pipeline[n % ws.pipeline.length] ?? "new");
      else if (action === "group") ws.createGroup(name);
      else ws.createEvent("call", name, { contacts: [target] });
    } catch (e) {
      if (!isCercleError(e)) throw e;
    }
    if (n % 3 === 0) ws.commit();
  }
  ws.commit();
}

/** @param {Workspace[]} copies @param {number[][]} pairs */
function converge(copies, pairs) {
  for (const [a, b] of [...pairs, [0, 1], [1, 2], [0, 1]]) {
    const [x, y] = [copies[a ?? 0], copies[b ?? 0]];
    if (x && y) syncInMemory(x, y);
  }
}

test("copies that saw the same changes show the same state, whatever the sync order", () => {
  fc.assert(
    fc.property(fc.tuple(script, script, script), order, order, (scripts, orderA, orderB) => {
      const results = [];
      for (const pairs of [orderA, orderB]) {
        const copies = founded();
        copies.forEach((ws, i) => play(ws, scripts[i] ?? []));
        converge(copies, pairs);
        const saved = copies.map((ws) => ws.save());
        assert.ok(saved.every((s) => sameBytes(s, saved[0] ?? new Uint8Array())));
        const contacts = copies.map((ws) => JSON.stringify(ws.contacts({ includeArchived: true })));
        assert.ok(contacts.every((c) => c === contacts[0]));
        results.push(saved[0] ?? new Uint8Array());
        copies.forEach((ws) => ws.free());
      }
      assert.ok(sameBytes(results[0] ?? new Uint8Array(), results[1] ?? new Uint8Array()));
    }),
    { numRuns: 25 },
  );
});

test("a member removed while offline has every concurrent edit ignored", () => {
  fc.assert(
    fc.property(script.filter((s) => s.length > 0), script, (offline, before) => {
      const [pat, cla, mar] = founded();
      if (!pat || !cla || !mar) throw new Error("no copies");
      play(pat, before);
      syncInMemory(pat, mar);
      const seen = mar.heads;
      // Re-adding a value already there changes nothing: end with an edit that always does.
      play(mar, [...offline, ["contact", 0, "made offline"]]);
      const marcs = mar.changesSince(seen);
      assert.ok(marcs.length > 0, "the offline script made no change");
      pat.removeMember(ident(3).memberId);
      pat.commit();
      syncInMemory(mar, cla);
      syncInMemory(cla, pat);
      syncInMemory(pat, mar);
      for (const ws of [pat, cla, mar]) {
        for (const h of marcs) assert.equal(ws.changeStatus(h)?.kind, "ignored");
      }
      assert.deepEqual(mar.contacts({ includeArchived: true }), pat.contacts({ includeArchived: true }));
      assert.throws(() => mar.createContact("encore"), (e) => isCercleError(e) && e.code === "denied");
    }),
    { numRuns: 25 },
  );
});

test("random bytes never throw anything but a CercleError, and leave the workspace unchanged", () => {
  const ws = Workspace.createWithClock(ident(1), "Juste à temps", clock());
  const before = ws.save();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), (data) => {
      for (const call of [
        () => Workspace.load(ident(2), data),
        () => ws.apply(data),
        () => ws.receiveSyncMessage(new SyncState(), data),
      ]) {
        try {
          call();
        } catch (e) {
          assert.ok(isCercleError(e), `unexpected ${String(e)}`);
        }
      }
      assert.ok(sameBytes(ws.save(), before));
    }),
    { numRuns: 300 },
  );
});

test("damaged saved workspaces are refused with a CercleError or load consistently", () => {
  const [pat] = founded();
  if (!pat) throw new Error("no copy");
  const saved = pat.save();
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), (flips) => {
      const bytes = saved.slice();
      for (const [at, mask] of flips) bytes[at % bytes.length] ^= mask;
      try {
        const ws = Workspace.load(ident(2), bytes);
        assert.deepEqual(Workspace.load(ident(2), ws.save()).heads, ws.heads);
      } catch (e) {
        assert.ok(isCercleError(e), `unexpected ${String(e)}`);
        assert.ok(e.code === "corrupt" || e.code === "invalid_input");
      }
    }),
    { numRuns: 300 },
  );
});

test("any text for ids, names and fields throws CercleErrors only", () => {
  const ws = Workspace.createWithClock(ident(1), "Juste à temps", clock());
  const contact = ws.createContact("Ergonomie");
  fc.assert(
    fc.property(fc.string({ maxLength: 70 }), fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), (a, b, c) => {
      const calls = [
        () => ws.contact(a),
        () => ws.addMember(a, /** @type {never} */ (b)),
        () => ws.setField(contact, b, c),
        () => ws.setField(a, "organisation", c),
        () => ws.createContact(c || "x", { kind: b }),
        () => ws.createEvent(/** @type {never} */ (b), c || "x", { attendees: { [a]: /** @type {never} */ (b) } }),
        () => ws.contacts({ kind: b, group: a }),
        () => ws.history({ object: a }),
        () => ws.spliceText(contact, b, c.length, 0, a),
      ];
      for (const call of calls) {
        try {
          call();
        } catch (e) {
          assert.ok(isCercleError(e), `unexpected ${String(e)}`);
        }
      }
    }),
    { numRuns: 200 },
  );
});
