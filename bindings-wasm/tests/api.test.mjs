// @ts-check
// The whole JavaScript API, call by call: conversions, errors and JS conventions.

import assert from "node:assert/strict";
import { test } from "node:test";

import * as cercle from "cercle";
import { Identity, SyncState, Workspace, isCercleError, syncInMemory } from "cercle";

import { copyFor, founded, ident } from "./helpers.mjs";

/** Asserts that `f` throws a CercleError with `code`; returns it. @param {() => unknown} f @param {string} code */
function throwsCode(f, code) {
  try {
    f();
  } catch (e) {
    assert.ok(isCercleError(e), `not a CercleError: ${String(e)}`);
    assert.ok(e instanceof Error);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected a ${code} error`);
}

test("identities round-trip their secret; ids are hex strings", () => {
  const a = Identity.generate();
  const b = Identity.fromSecretBytes(a.secretBytes());
  assert.equal(a.memberId, b.memberId);
  assert.notEqual(a.memberId, Identity.generate().memberId);
  assert.match(a.memberId, /^[0-9a-f]{64}$/);
  throwsCode(() => Identity.fromSecretBytes(new Uint8Array(3)), "invalid_input");
  a.free();
  b[Symbol.dispose]();
});

test("workspace properties", () => {
  const ws = founded();
  assert.equal(ws.name, "Juste à temps");
  assert.equal(ws.founder, ws.memberId);
  assert.equal(ws.changeCount, 1);
  assert.deepEqual(ws.heads, [ws.id]);
  assert.deepEqual(ws.pipeline, cercle.defaultPipeline());
  assert.ok(cercle.formatVersion() >= 1);
});

test("members, roles and display names", () => {
  const ws = founded();
  const claire = ident(2).memberId;
  ws.setDisplayName("Patrick");
  ws.addMember(claire, "admin");
  ws.addMember(ident(3).memberId);
  assert.equal(ws.role(claire), "admin");
  assert.equal(ws.role(ident(3).memberId), "member");
  ws.setRole(ident(3).memberId, "guest");
  const members = new Map(ws.members().map((m) => [m.id, m]));
  assert.equal(members.get(ws.memberId)?.displayName, "Patrick");
  assert.equal(members.get(ws.memberId)?.role, "owner");
  ws.removeMember(ident(3).memberId);
  assert.equal(ws.role(ident(3).memberId), undefined);
  ws.rename("Nouveau nom");
  assert.equal(ws.name, "Nouveau nom");
  throwsCode(() => ws.setRole(claire, /** @type {never} */ ("boss")), "invalid_input");
  const refused = throwsCode(() => ws.leave(), "denied");
  assert.equal(refused.member, ws.memberId);
  assert.match(refused.reason ?? "", /owner/);
});

test("groups", () => {
  const ws = founded();
  const claire = ident(2).memberId;
  ws.addMember(claire);
  const g = ws.createGroup("Catalogue", { purpose: "choose", tags: ["Catalogue", "x"], open: false });
  const info = ws.group(g);
  assert.deepEqual([info?.name, info?.purpose, info?.tags, info?.open], ["Catalogue", "choose", ["catalogue", "x"], false]);
  ws.setGroupRole(g, claire, "lead");
  assert.ok(ws.groupMembers(g).some((m) => m.member === claire && m.role === "lead"));
  assert.deepEqual(ws.memberGroups(claire).map(([gi, role]) => [gi.id, role]), [[g, "lead"]]);
  ws.updateGroup(g, { name: "Catalogue 2010", open: true, tags: ["a"] });
  assert.equal(ws.group(g)?.name, "Catalogue 2010");
  assert.deepEqual(ws.groupsMatching(["a"]).map((x) => x.id), [g]);
  ws.removeFromGroup(g, claire);
  const hub = ws.createGroup("Hub");
  assert.equal(ws.group(hub)?.open, true);
  ws.commit();
  const theirs = copyFor(ws, 2);
  theirs.joinGroup(hub);
  assert.ok(theirs.groupMembers(hub).some((m) => m.member === claire));
  theirs.leaveGroup(hub);
  const missing = throwsCode(() => ws.setGroupRole("00".repeat(16), claire, "member"), "not_found");
  assert.equal(missing.what, "group");
  throwsCode(() => ws.group("not-an-id"), "invalid_input");
  assert.equal(ws.group("00".repeat(16)), undefined);
});

test("contacts", () => {
  const ws = founded();
  const g = ws.createGroup("Catalogue");
  const c = ws.createContact("Guillaume Durand", {
    givenName: "Guillaume",
    familyName: "Durand",
    kind: "business_angel",
    organisation: "Réseau Angels Lyon",
    jobTitle: "Angel",
    owner: ws.memberId,
    emails: ["g@example.org"],
    tags: ["angels"],
    notes: "met in 2009",
    custom: { siret: "123" },
    groups: [g],
  });
  const contact = ws.contact(c);
  assert.equal(contact?.kind, "business_angel");
  assert.deepEqual(contact?.custom, { siret: "123" });
  assert.equal(contact?.stage, "new");
  assert.equal(contact?.givenName, "Guillaume");
  const other = ws.createContact("Notaire Martin", { kind: "notaire", emails: ["G@example.org"] });
  assert.equal(ws.contact(other)?.kind, "notaire");
  assert.deepEqual(ws.findDuplicates().map((d) => [d.a, d.b, d.reason.kind]), [[c, other, "same_email"]]);
  const status = ws.event(ws.setStage(c, "contacted"));
  assert.deepEqual([status?.kind, status?.fromStage, status?.toStage], ["status_change", "new", "contacted"]);
  assert.deepEqual(ws.contacts({ stage: "contacted" }).map((x) => x.id), [c]);
  assert.deepEqual(ws.contacts({ kind: "business_angel", group: g, text: "durand" }).map((x) => x.id), [c]);
  ws.archiveContact(other);
  assert.deepEqual(ws.contacts().map((x) => x.id), [c]);
  assert.equal(ws.contacts({ includeArchived: true }).length, 2);
  ws.restoreContact(other);
  ws.mergeContacts(other, c);
  assert.deepEqual(ws.contact(c)?.mergedFrom, [other]);
  ws.setPipeline(["lead", "won"]);
  assert.deepEqual(ws.pipeline, ["lead", "won"]);
  throwsCode(() => ws.setStage(c, "nowhere"), "invalid_input");
  throwsCode(() => ws.archiveContact("00".repeat(16)), "not_found");
  throwsCode(() => ws.createContact("x", /** @type {never} */ ({ emails: "not an array" })), "invalid_input");
});

test("events, meetings and audience", () => {
  const ws = founded();
  const sophie = ident(4).memberId;
  ws.addMember(sophie);
  const c = ws.createContact("Ergonomie Services");
  const e = ws.createEvent("meeting", "Catalogue de printemps", {
    start: "2010-03-01T10:00:00+01:00",
    end: new Date("2010-03-01T10:00:00Z"),
    location: "au café",
    contacts: [c],
    attendees: { [ws.memberId]: "chair", [c]: "required" },
    agenda: ["chaises"],
    notes: "bring samples",
  });
  const item = ws.addAgendaItem(e, "prix");
  const decision = ws.recordDecision(e, "20 chaises", new Date("2010-03-01T09:50:00Z"), [ws.memberId]);
  ws.setAttendee(e, sophie, "informed");
  const event = ws.event(e);
  assert.ok(event?.start instanceof Date);
  assert.equal(event?.start?.toISOString(), "2010-03-01T09:00:00.000Z");
  assert.equal(event?.end?.toISOString(), "2010-03-01T10:00:00.000Z");
  assert.deepEqual(event?.agenda.map((a) => a.text), ["chaises", "prix"]);
  assert.equal(event?.agenda[1]?.id, item);
  assert.equal(event?.decisions[0]?.id, decision);
  assert.equal(event?.decisions[0]?.decidedAt?.toISOString(), "2010-03-01T09:50:00.000Z");
  const roles = Object.fromEntries((event?.attendees ?? []).map((a) => [`${a.party.kind}:${a.party.value}`, a.role]));
  assert.deepEqual(roles, { [`member:${ws.memberId}`]: "chair", [`contact:${c}`]: "required", [`member:${sophie}`]: "informed" });
  assert.deepEqual(ws.audience(e).sort(), [ws.memberId, sophie].sort());
  ws.removeAttendee(e, sophie);
  assert.deepEqual(ws.audience(e), [ws.memberId]);
  ws.setEventStatus(e, "done");
  assert.deepEqual(ws.timeline(c).map((x) => x.id), [e]);
  const later = ws.createEvent("meeting", "Plus tard", { start: new Date("2030-01-01T00:00:00Z"), attendees: { [ws.memberId]: "required" } });
  assert.deepEqual(ws.upcomingMeetings(ws.memberId, new Date("2020-01-01T00:00:00Z")).map((x) => x.id), [later]);
  ws.retractEvent(later);
  assert.equal(ws.event(later)?.retracted, true);
  assert.ok(ws.events().some((x) => x.id === e));
  throwsCode(() => ws.createEvent("call", "x", { start: new Date(Number.NaN) }), "invalid_input");
  throwsCode(() => ws.createEvent("call", "x", { start: "yesterday" }), "invalid_input");
  throwsCode(() => ws.createEvent(/** @type {never} */ ("party"), "x"), "invalid_input");
});

test("glossaries", () => {
  const ws = founded();
  const hub = ws.createGroup("Convivialité");
  const d = ws.createGlossary(hub, "Dictionnaire amoureux de la convivialité", { description: "co-écrit" });
  assert.equal(ws.glossary(d)?.language, "fr");
  const cafe = ws.addEntry(d, "Café", { definition: "Lieu où l'on se retrouve.", examples: "au café du coin", tags: ["lieu"], variants: ["bistrot"] });
  const ete = ws.addEntry(d, "Été", { seeAlso: [cafe] });
  const sense = ws.addSense(ete, "Saison des pique-niques.");
  assert.deepEqual(ws.entry(ete)?.seeAlso, [cafe]);
  assert.equal(ws.entry(ete)?.senses[0]?.id, sense);
  assert.deepEqual(ws.entries(d).map((e) => e.term), ["Café", "Été"]);
  ws.setEntryStatus(cafe, "approved");
  assert.deepEqual(ws.entries(d, "approved").map((e) => e.term), ["Café"]);
  assert.deepEqual(ws.searchEntries(d, "ete").map((e) => e.term), ["Été"]);
  assert.deepEqual(ws.glossaries().map((g) => g.id), [d]);
});

test("text fields, sets and conflicts", () => {
  const ws = founded();
  ws.addMember(ident(2).memberId, "admin");
  const c = ws.createContact("Élodie", { notes: "née à Lyon" });
  ws.spliceText(c, "notes", 5, 0, " en été");
  assert.equal(ws.text(c, "notes"), "née à en été Lyon");
  ws.setText(c, "notes", "tout neuf");
  assert.equal(ws.text(c, "notes"), "tout neuf");
  ws.setField(c, "organisation", "Acme");
  ws.setField(c, "custom:siret", "42");
  ws.setField(c, "archived", false);
  ws.setField(c, "contact_kind", "partner");
  assert.equal(ws.field(c, "organisation"), "Acme");
  assert.equal(ws.field(c, "contact_kind"), "partner");
  assert.equal(ws.field(c, "archived"), false);
  ws.addValue(c, "emails", "e@example.org");
  ws.removeValue(c, "emails", "e@example.org");
  ws.setField(c, "job_title", null);
  assert.equal(ws.field(c, "job_title"), null);
  ws.commit();
  const other = copyFor(ws, 2);
  ws.setField(c, "display_name", "Élodie A");
  other.setField(c, "display_name", "Élodie B");
  other.commit();
  ws.merge(other);
  const conflicts = ws.conflicts(c, "display_name");
  assert.deepEqual(conflicts.map(([, v]) => v).sort(), ["Élodie A", "Élodie B"]);
  assert.ok(conflicts.every(([op]) => typeof op.counter === "number" && op.author.length === 64));
  throwsCode(() => ws.spliceText(c, "notes", 999), "invalid_input");
  throwsCode(() => ws.setField(c, "colour", "red"), "invalid_input");
  throwsCode(() => ws.setField(c, "archived", "yes"), "invalid_input");
  throwsCode(() => ws.setField("00".repeat(16), "organisation", "x"), "not_found");
});

test("sharing, comments, history and digest", () => {
  const ws = founded();
  const g = ws.createGroup("Catalogue");
  const c = ws.createContact("Ergonomie");
  ws.share(c, g);
  assert.deepEqual(ws.sharedWith(c), [g]);
  ws.unshare(c, g);
  assert.deepEqual(ws.sharedWith(c), []);
  ws.commit();
  const before = ws.heads;
  const comment = ws.comment(c, "à rappeler");
  const comments = ws.comments(c);
  assert.deepEqual(comments.map((x) => [x.id, x.text, x.on]), [[comment, "à rappeler", c]]);
  assert.ok(comments[0]?.time instanceof Date);
  ws.commit();
  const history = ws.history({ object: c });
  assert.deepEqual(history[0]?.subject, { kind: "object", value: c });
  assert.equal(ws.history()[0]?.subject.kind, "workspace");
  assert.ok(Array.isArray(ws.groupActivity(g, 5)));
  assert.equal(ws.digest(ws.memberId, { heads: before }).member, ws.memberId);
  ws.digest(ws.memberId, { time: new Date("2000-01-01T00:00:00Z") });
  ws.retractComment(comment);
  throwsCode(() => ws.digest(ws.memberId, /** @type {never} */ ({})), "invalid_input");
  throwsCode(() => ws.history(/** @type {never} */ ({ member: ws.memberId, group: g })), "invalid_input");
});

test("save, load, apply, discard and reports", () => {
  const ws = founded();
  ws.addMember(ident(2).memberId);
  ws.commit();
  const theirs = copyFor(ws, 2);
  const base = theirs.heads;
  const c = theirs.createContact("Nouveau");
  const h = theirs.commit();
  assert.ok(h);
  assert.deepEqual(theirs.changesSince(base), [h]);
  const report = ws.apply(theirs.saveSince(base));
  assert.deepEqual(report.applied, [h]);
  assert.equal(ws.apply(theirs.encodeChanges([h])).duplicates, 1);
  assert.ok(ws.contact(c));
  assert.equal(ws.changeStatus(h)?.kind, "valid");
  const info = ws.change(h);
  assert.equal(info?.author, ident(2).memberId);
  assert.ok(info?.time instanceof Date);
  // One operation creates the contact with its first values.
  assert.deepEqual([info?.ops[0]?.type, info?.ops[0]?.kind], ["create_with", "contact"]);
  assert.equal(info?.ops.length, 1);
  const values = info?.ops[0]?.values;
  assert.ok(Array.isArray(values) && values.length >= 1);
  assert.equal(ws.whyIgnored(h), undefined);
  assert.deepEqual(ws.merge(theirs).applied, []);
  ws.createContact("abandoned");
  assert.equal(ws.hasUncommitted, true);
  assert.equal(ws.discard(), true);
  assert.equal(ws.hasUncommitted, false);
  assert.equal(ws.contacts().length, 1);
});

test("sync protocol by hand and in memory", () => {
  const ws = founded();
  ws.addMember(ident(2).memberId, "admin");
  ws.commit();
  const theirs = copyFor(ws, 2);
  theirs.createContact("d'elle");
  ws.createContact("de lui");
  const a = new SyncState();
  const b = new SyncState();
  assert.equal(a.theirHeads, undefined);
  for (let i = 0; i < 10; i++) {
    const m1 = ws.generateSyncMessage(a);
    if (m1) theirs.receiveSyncMessage(b, m1);
    const m2 = theirs.generateSyncMessage(b);
    if (m2) ws.receiveSyncMessage(a, m2);
    if (!m1 && !m2) break;
  }
  assert.deepEqual(ws.heads, theirs.heads);
  assert.deepEqual(a.theirHeads, theirs.heads);
  theirs.createContact("encore");
  const stats = syncInMemory(theirs, ws);
  assert.ok(stats.messages > 0 && stats.bytes > 0);
  assert.deepEqual(ws.heads, theirs.heads);
});

test("a removed member is refused and their offline change ignored", () => {
  const ws = founded();
  ws.addMember(ident(3).memberId);
  ws.commit();
  const marc = copyFor(ws, 3);
  const c = marc.createContact("offline");
  const h = marc.commit();
  assert.ok(h);
  ws.removeMember(ident(3).memberId);
  ws.commit();
  assert.deepEqual(ws.merge(marc).ignored.map((i) => i.hash), [h]);
  const reason = ws.whyIgnored(h);
  assert.equal(reason?.kind, "revoked");
  const status = ws.changeStatus(h);
  assert.equal(status?.kind, "ignored");
  assert.equal(ws.contact(c), undefined);
  syncInMemory(ws, marc);
  assert.equal(marc.contact(c), undefined);
  throwsCode(() => marc.createContact("again"), "denied");
});

test("corrupt bytes throw corrupt errors and the module keeps working", () => {
  const ws = founded();
  const saved = ws.save();
  const flipped = saved.slice();
  flipped[flipped.length - 5] ^= 0xff;
  for (const bad of [new Uint8Array(), new TextEncoder().encode("garbage"), saved.slice(0, -1), flipped]) {
    throwsCode(() => Workspace.load(ident(2), bad), "corrupt");
    throwsCode(() => ws.apply(bad), "corrupt");
  }
  throwsCode(() => ws.receiveSyncMessage(new SyncState(), new Uint8Array([0, 1])), "corrupt");
  // After every error the same objects still work.
  assert.ok(ws.createContact("still here"));
  assert.equal(Workspace.load(ident(2), ws.save()).changeCount, ws.changeCount);
});

test("clocks can be replaced; fold is the form glossaries compare", () => {
  const ws = founded();
  ws.setClock(new cercle.SteppingClock(new Date("2030-01-01T00:00:00Z"), 1000));
  ws.createContact("plus tard");
  const h = ws.commit();
  assert.ok(h);
  assert.equal(ws.change(h)?.time.toISOString(), "2030-01-01T00:00:00.000Z");
  assert.equal(cercle.fold("  Été   À  la Plage "), "ete a la plage");
});

test("freed objects refuse further use with an error, and nothing else breaks", () => {
  const ws = founded();
  const other = founded();
  ws.free();
  assert.throws(() => ws.createContact("x"));
  assert.throws(() => ws.free());
  assert.ok(other.createContact("still fine"));
});
