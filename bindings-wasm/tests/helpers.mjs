// @ts-check
// Shared helpers: fixed identities and the reproducible clock of the Rust suite.

import { fileURLToPath } from "node:url";
import { Identity, SteppingClock, Workspace } from "cercle";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const GOLDEN = `${ROOT}testdata/golden/`;

/** The identity whose secret key is 32 bytes of `n`. @param {number} n */
export const ident = (n) => Identity.fromSecretBytes(new Uint8Array(32).fill(n));

/** The clock of the Rust suite: 2010-02-23T12:25:00Z, one second per reading. */
export const clock = () => new SteppingClock(new Date("2010-02-23T12:25:00Z"), 1000);

/** A workspace founded by identity 1. */
export const founded = () => Workspace.createWithClock(ident(1), "Juste à temps", clock());

/** A copy of `ws` for identity `n`. @param {Workspace} ws @param {number} n */
export const copyFor = (ws, n) => Workspace.loadWithClock(ident(n), ws.save(), clock());

/** @param {Uint8Array} a @param {Uint8Array} b */
export const sameBytes = (a, b) => Buffer.from(a).equals(Buffer.from(b));
