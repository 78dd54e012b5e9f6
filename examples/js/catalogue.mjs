// @ts-check
// The seed story, end to end, in JavaScript: a small company shares its CRM, meets instead
// of replying to "re: re: re: decision to make" threads, and co-writes a glossary — each
// member on their own copy, online or offline.
//
// Mirrors examples/catalogue.rs: with the same keys, clock and dates (given as RFC 3339
// strings, which keep their offset) it makes exactly the same changes. Run with `node examples/js/catalogue.mjs` once the package
// is built and installed (see bindings-wasm/README.md); type-checked by `tsc --strict`.

import { Identity, SteppingClock, Workspace, isCercleError, syncInMemory } from "cercle";

/** @param {number} n */
const identity = (n) => Identity.fromSecretBytes(new Uint8Array(32).fill(n));
/** @param {string} member */
const short = (member) => member.slice(0, 8);

// Reproducible: fixed keys and a clock that starts on the day of the blog post.
const clock = new SteppingClock(new Date("2010-02-23T09:00:00Z"), 60_000);
const [patrick, claire, marc, sophie] = [1, 2, 3, 4].map(identity);

console.log("== The founder sets up the workspace and the Catalogue core group");
const pat = Workspace.createWithClock(patrick, "Juste à temps", clock);
pat.setDisplayName("Patrick");
pat.addMember(claire.memberId, "admin");
pat.addMember(marc.memberId, "member");
pat.addMember(sophie.memberId, "member");
const catalogue = pat.createGroup("Catalogue", {
  purpose: "three people, three skills: choose what the shop sells",
  tags: ["catalogue", "fournisseurs"],
  open: false,
});
pat.setGroupRole(catalogue, claire.memberId, "member");
pat.setGroupRole(catalogue, marc.memberId, "member");
const hub = pat.createGroup("Convivialité au bureau", { tags: ["convivialité", "bureau"] });
pat.commit();
console.log(`${pat.name} — group ${pat.group(catalogue)?.name ?? ""} with ${pat.groupMembers(catalogue).length} members`);

console.log("\n== The shared CRM: every contact, every event, for the whole group");
const angel = pat.createContact("Guillaume Durand", {
  kind: "business_angel",
  organisation: "Réseau Angels Lyon",
  emails: ["guillaume@example.org"],
  groups: [catalogue],
});
const startup = pat.createContact("Ergonomie Services", {
  kind: "start_up",
  emails: ["contact@ergonomie.example"],
  tags: ["chaises"],
  groups: [catalogue],
});
const supplier = pat.createContact("Bureau Vallée", {
  kind: "supplier",
  phones: ["+33 4 78 00 00 00"],
  groups: [catalogue],
});
pat.setStage(startup, "contacted");

const meeting = pat.createEvent("meeting", "Catalogue de printemps", {
  start: "2010-03-01T10:00:00+01:00",
  end: "2010-03-01T11:30:00+01:00",
  location: "au café du coin",
  contacts: [startup],
  groups: [catalogue],
  attendees: { [pat.memberId]: "chair", [startup]: "required", [sophie.memberId]: "informed" },
  agenda: ["chairs from Ergonomie Services?", "prices for the spring"],
});
pat.recordDecision(meeting, "order 20 chairs for the showroom", "2010-03-01T11:15:00+01:00", [
  pat.memberId,
  claire.memberId,
]);
pat.setEventStatus(meeting, "done");
pat.commit();
const audience = pat.audience(meeting);
const event = pat.event(meeting);
console.log(
  `meeting \`${event?.title ?? ""}\`: ${event?.decisions.length ?? 0} decision(s); audience of ${audience.length} — nobody hidden, nobody flooded`,
);
for (const m of audience) console.log(`  - ${pat.displayName(m) ?? short(m)}`);

// Everyone takes a copy.
const saved = pat.save();
const cla = Workspace.loadWithClock(claire, saved, clock);
const mar = Workspace.loadWithClock(marc, saved, clock);
const sop = Workspace.loadWithClock(sophie, saved, clock);
cla.setDisplayName("Claire");
mar.setDisplayName("Marc");
sop.setDisplayName("Sophie");
syncInMemory(pat, cla);
syncInMemory(pat, mar);
syncInMemory(pat, sop);
const sinceMarcLeftOffice = mar.heads;

console.log("\n== Marc works offline at a trade fair");
const call = mar.createEvent("call", "Call with Bureau Vallée", {
  contacts: [supplier],
  groups: [catalogue],
  status: "done",
  notes: "They can deliver in April.",
});
mar.setStage(supplier, "proposal");
mar.comment(angel, "Met him at the fair: interested in the showroom.");
mar.commit();
syncInMemory(mar, pat);
console.log(
  `back online: ${pat.contact(supplier)?.displayName ?? ""}'s timeline has ${pat.timeline(supplier).length} event(s); Marc's call \`${pat.event(call)?.title ?? ""}\` is shared`,
);

console.log('\n== Two members co-write the "Dictionnaire amoureux de la convivialité"');
pat.setGroupRole(hub, cla.memberId, "member");
pat.setGroupRole(hub, sop.memberId, "member");
const dictionary = pat.createGlossary(hub, "Dictionnaire amoureux de la convivialité", {
  language: "fr",
  description: "Co-écrit sur le hub « convivialité au bureau ».",
});
const entry = pat.addEntry(dictionary, "Café", { definition: "Lieu où l'on se retrouve.", examples: "au café du coin" });
pat.addEntry(dictionary, "Été", { definition: "Saison des pique-niques." });
pat.addEntry(dictionary, "Équipe", { definition: "Ceux avec qui l'on travaille." });
pat.commit();
syncInMemory(pat, cla);
syncInMemory(pat, sop);
const sense = pat.entry(entry)?.senses[0]?.id;
if (sense === undefined) throw new Error("no sense");
// Concurrently, offline: Claire and Sophie both improve the same definition.
cla.spliceText(sense, "definition", 0, 0, "Chaleureux : ");
const length = [...sop.text(sense, "definition")].length;
sop.spliceText(sense, "definition", length, 0, " On y refait le monde.");
syncInMemory(cla, sop);
syncInMemory(cla, pat);
console.log(`both edits survive: « ${pat.text(sense, "definition")} »`);
pat.setEntryStatus(entry, "approved");
console.log(`alphabetical, accents ignored: ${pat.entries(dictionary).map((e) => e.term).join(", ")}`);

console.log("\n== A member removed while offline cannot keep writing");
// Sophie, offline, keeps editing; meanwhile Claire (an admin) removes her.
const sophies = sop.createContact("Contact de Sophie");
const sophiesChange = sop.commit();
if (sophiesChange === undefined) throw new Error("nothing committed");
cla.removeMember(sop.memberId);
cla.commit();
syncInMemory(cla, sop);
syncInMemory(cla, pat);
console.log(`Sophie's offline contact on Patrick's copy: ${pat.contact(sophies) ? "present" : "absent"}`);
const reason = pat.whyIgnored(sophiesChange);
if (reason?.kind === "revoked") console.log(`the report says why: revoked by change \`${reason.by}\``);
try {
  sop.createContact("Encore un contact");
} catch (e) {
  if (isCercleError(e)) console.log(`and her copy now refuses her edits: ${e.reason ?? e.message}`);
}
syncInMemory(pat, sop);
const same = Buffer.from(pat.save()).equals(Buffer.from(sop.save()));
if (!same) throw new Error("copies that saw the same changes must be identical");

console.log("\n== What Claire missed while away");
const digest = cla.digest(cla.memberId, { heads: sinceMarcLeftOffice });
for (const item of digest.items) console.log(`  ${item.title} (${item.entries.length} update(s))`);
console.log(`\n${pat.contacts().length} contacts in the CRM, ${pat.contacts({ stage: "contacted" }).length} at stage \`contacted\``);
