// @ts-check
// The CRM workload through the npm package in Node, against the same work in Rust.
//
// 10,000 contacts with 8 fields, 100,000 field updates, 200,000 events (one commit per
// phase), then save, load, read every contact and event, and the offline merge of two
// copies (10,000 updates and 2,000 events each) — exactly the work of `cargo run -p
// cercle-bench --release -- baseline`, which this script runs first for the Rust figures.
// Prints each phase with the ratio Node / Rust, and the size of the .wasm module.
//
//     node bench/node/crm.mjs --div=4    # a quarter of the size (the largest that fits
//                                        # the 4 GiB of a wasm32 memory with the merge)
//     node bench/node/crm.mjs --quick    # a twentieth of the size

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

import { Identity, Workspace } from "cercle";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FIELDS = ["name", "email", "phone", "company", "title", "city", "country", "notes"];
const KINDS = /** @type {const} */ (["call", "email", "meeting", "note"]);
/** @type {Record<number, string>} */
const TARGET = { 0: "display_name", 3: "organisation", 4: "job_title" };
const MASK = (1n << 64n) - 1n;

/** SplitMix64, as the workload defines it. */
class Rng {
  /** @param {bigint} seed */
  constructor(seed) {
    this.state = seed;
  }
  next() {
    this.state = (this.state + 0x9e3779b97f4a7c15n) & MASK;
    let z = this.state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK;
    return z ^ (z >> 31n);
  }
  /** @param {number} n */
  below(n) {
    return Number(this.next() % BigInt(n));
  }
}

/** @param {number} n @param {number} div */
const of = (n, div) => Math.max(Math.floor(n / div), 1);
const pad = (/** @type {number} */ n) => String(n).padStart(5, "0");

/** @template T @param {() => T} f @returns {[T, number]} */
function timed(f) {
  const start = process.hrtime.bigint();
  const out = f();
  return [out, Number(process.hrtime.bigint() - start) / 1e9];
}

/** @param {Workspace} ws @param {string[]} ids @param {[number, number, string][]} work */
function updates(ws, ids, work) {
  for (const [c, f, value] of work) ws.setField(ids[c] ?? "", TARGET[f] ?? `custom:${FIELDS[f]}`, value);
  ws.commit();
}

/** @param {Workspace} ws @param {string[]} ids @param {[number, number, typeof KINDS[number], string][]} work */
function events(ws, ids, work) {
  for (const [c, ts, kind, text] of work) ws.createEvent(kind, text, { start: new Date(ts), contacts: [ids[c] ?? ""] });
  ws.commit();
}

/** @param {number} contacts @param {number} div @param {number} seed */
function side(contacts, div, seed) {
  const rng = new Rng(BigInt(seed));
  /** @type {[number, number, string][]} */
  const ups = [];
  for (let k = 0; k < of(10_000, div); k++) {
    const c = rng.below(contacts);
    const f = rng.below(8);
    ups.push([c, f, `${FIELDS[f]} ${pad(c)} side${seed} v${k}`]);
  }
  /** @type {[number, number, typeof KINDS[number], string][]} */
  const evs = [];
  for (let k = 0; k < of(2_000, div); k++) {
    const c = rng.below(contacts);
    evs.push([c, 1_800_000_000_000 + k, KINDS[k % 4] ?? "note", `side ${seed} event ${k}`]);
  }
  return { ups, evs };
}

/** @param {number} div */
function nodeRun(div) {
  const contacts = of(10_000, div);
  let rng = new Rng(42n);
  /** @type {[number, number, string][]} */
  const ups = [];
  for (let k = 0; k < of(100_000, div); k++) {
    const c = rng.below(contacts);
    const f = rng.below(8);
    ups.push([c, f, `${FIELDS[f]} ${pad(c)} v${k + 1}`]);
  }
  rng = new Rng(1001n);
  /** @type {[number, number, typeof KINDS[number], string][]} */
  const evs = [];
  for (let k = 0; k < of(200_000, div); k++) {
    const c = rng.below(contacts);
    evs.push([c, 1_700_000_000_000 + k * 1000, KINDS[k % 4] ?? "note", `event ${k} about c${pad(c)}`]);
  }
  const one = Identity.fromSecretBytes(new Uint8Array(32).fill(1));
  const two = Identity.fromSecretBytes(new Uint8Array(32).fill(2));
  const ws = Workspace.create(one, "bench");
  ws.addMember(two.memberId, "admin");
  /** @type {Record<string, number>} */
  const out = {};
  const [ids, tContacts] = timed(() => {
    /** @type {string[]} */
    const ids = [];
    for (let i = 0; i < contacts; i++) {
      /** @type {Record<string, string>} */
      const custom = {};
      for (const f of [1, 2, 5, 6, 7]) custom[FIELDS[f] ?? ""] = `${FIELDS[f]} ${pad(i)} v0`;
      ids.push(ws.createContact(`name ${pad(i)} v0`, { organisation: `company ${pad(i)} v0`, jobTitle: `title ${pad(i)} v0`, custom }));
    }
    ws.commit();
    return ids;
  });
  out.contacts = tContacts;
  out.updates = timed(() => updates(ws, ids, ups))[1];
  out.events = timed(() => events(ws, ids, evs))[1];
  const [saved, tSave] = timed(() => ws.save());
  out.save = tSave;
  const [a, tLoad] = timed(() => Workspace.load(two, saved));
  out.load = tLoad;
  out.read_all = timed(() => a.contacts().length + a.events().length)[1];
  const b = Workspace.load(one, saved);
  for (const [copy, seed] of /** @type {[Workspace, number][]} */ ([[a, 7], [b, 8]])) {
    const s = side(contacts, div, seed);
    updates(copy, ids, s.ups);
    events(copy, ids, s.evs);
  }
  out.merge = timed(() => a.merge(b))[1];
  out.saved_bytes = saved.length;
  return out;
}

/** @param {number} div @returns {Record<string, number>} */
function rustRun(div) {
  const args = ["run", "-q", "-p", "cercle-bench", "--release", "--", "baseline", `--div=${div}`];
  const text = execFileSync("cargo", args, { cwd: ROOT, encoding: "utf8" });
  const line = text.split("\n").find((l) => l.startsWith("baseline "));
  if (!line) throw new Error("no baseline figures");
  return JSON.parse(line.slice("baseline ".length));
}

const divArg = process.argv.find((a) => a.startsWith("--div="));
const div = process.argv.includes("--quick") ? 20 : Number(divArg?.slice(6) ?? 1) || 1;
const rust = rustRun(div);
const node = nodeRun(div);
/** @type {Record<string, string>} */
const labels = {
  contacts: "create the contacts",
  updates: "field updates",
  events: "timeline events",
  save: "save",
  load: "load (verify every change)",
  read_all: "read every contact and event",
  merge: "merge two offline copies",
};
console.log(`cercle from Node vs Rust (${div === 1 ? "full" : `1/${div}`} size); ratio = Node / Rust\n`);
console.log(`| ${"phase".padEnd(28)} | ${"Node".padStart(10)} | ${"Rust".padStart(10)} | ${"ratio".padStart(6)} |`);
console.log("|---|---|---|---|");
let totalNode = 0;
let totalRust = 0;
const f = (/** @type {number} */ s) => `${s.toFixed(3)} s`.padStart(10);
for (const [key, label] of Object.entries(labels)) {
  const [n, r] = [node[key] ?? 0, rust[key] ?? 1];
  totalNode += n;
  totalRust += r;
  console.log(`| ${label.padEnd(28)} | ${f(n)} | ${f(r)} | ${(n / r).toFixed(2).padStart(6)} |`);
}
console.log(`| ${"total".padEnd(28)} | ${f(totalNode)} | ${f(totalRust)} | ${(totalNode / totalRust).toFixed(2).padStart(6)} |`);
const wasmPath = createRequire(import.meta.url).resolve("cercle/node").replace(/cercle\.js$/, "cercle_bg.wasm");
const wasm = readFileSync(wasmPath);
console.log(`\nsaved workspace: ${((node.saved_bytes ?? 0) / 1e6).toFixed(1)} MB (Rust ${((rust.saved_bytes ?? 0) / 1e6).toFixed(1)} MB)`);
console.log(`.wasm module: ${(wasm.length / 1024).toFixed(0)} KiB raw, ${(gzipSync(wasm, { level: 9 }).length / 1024).toFixed(0)} KiB gzipped`);
