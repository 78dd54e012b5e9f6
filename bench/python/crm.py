"""The CRM workload through the Python package, against the same work in Rust.

10,000 contacts with 8 fields, 100,000 field updates, 200,000 events (one commit per
phase), then save, load, read every contact and event, and the offline merge of two copies
(10,000 updates and 2,000 events each) — exactly the work of `cargo run -p cercle-bench
--release -- baseline`, which this script runs first for the Rust figures. Prints each
phase with the ratio Python / Rust, and the peak resident memory of the Python process.

    python bench/python/crm.py            # full size (a few minutes)
    python bench/python/crm.py --quick    # a twentieth of the size
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Dict, List, Tuple, TypeVar

from cercle import Identity, Workspace

ROOT = Path(__file__).resolve().parents[2]
FIELDS = ["name", "email", "phone", "company", "title", "city", "country", "notes"]
KINDS = ["call", "email", "meeting", "note"]
# The field each of FIELDS is written to, as the Rust workload maps them.
TARGET = {0: "display_name", 3: "organisation", 4: "job_title"}
MASK = (1 << 64) - 1
T = TypeVar("T")


class Rng:
    """SplitMix64, as the workload defines it."""

    def __init__(self, seed: int) -> None:
        self.state = seed

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n: int) -> int:
        return self.next() % n


def of(n: int, div: int) -> int:
    return max(n // div, 1)


def timed(f: Callable[[], T]) -> Tuple[T, float]:
    start = time.perf_counter()
    out = f()
    return out, time.perf_counter() - start


def field_name(f: int) -> str:
    return TARGET.get(f, f"custom:{FIELDS[f]}")


def updates(ws: Workspace, ids: List[str], work: List[Tuple[int, int, str]]) -> None:
    for c, f, value in work:
        ws.set_field(ids[c], field_name(f), value)
    ws.commit()


def events(ws: Workspace, ids: List[str], work: List[Tuple[int, int, str, str]]) -> None:
    for c, ts, kind, text in work:
        start = datetime.fromtimestamp(ts / 1000, tz=timezone.utc)
        ws.create_event(kind, text, start=start, contacts=[ids[c]])
    ws.commit()


def side(contacts: int, div: int, seed: int) -> Tuple[List[Tuple[int, int, str]], List[Tuple[int, int, str, str]]]:
    rng = Rng(seed)
    ups = []
    for k in range(of(10_000, div)):
        c, f = rng.below(contacts), rng.below(8)
        ups.append((c, f, f"{FIELDS[f]} {c:05} side{seed} v{k}"))
    evs = []
    for k in range(of(2_000, div)):
        c = rng.below(contacts)
        evs.append((c, 1_800_000_000_000 + k, KINDS[k % 4], f"side {seed} event {k}"))
    return ups, evs


def python_run(div: int) -> Dict[str, float]:
    contacts = of(10_000, div)
    rng = Rng(42)
    ups = []
    for k in range(of(100_000, div)):
        c, f = rng.below(contacts), rng.below(8)
        ups.append((c, f, f"{FIELDS[f]} {c:05} v{k + 1}"))
    rng = Rng(1001)
    evs = []
    for k in range(of(200_000, div)):
        c = rng.below(contacts)
        evs.append((c, 1_700_000_000_000 + k * 1000, KINDS[k % 4], f"event {k} about c{c:05}"))

    ws = Workspace.create(Identity.from_secret_bytes(bytes([1] * 32)), "bench")
    ws.add_member(Identity.from_secret_bytes(bytes([2] * 32)).member_id, "admin")

    def create() -> List[str]:
        ids = []
        for i in range(contacts):
            ids.append(
                ws.create_contact(
                    f"name {i:05} v0",
                    organisation=f"company {i:05} v0",
                    job_title=f"title {i:05} v0",
                    custom={FIELDS[f]: f"{FIELDS[f]} {i:05} v0" for f in (1, 2, 5, 6, 7)},
                )
            )
        ws.commit()
        return ids

    out: Dict[str, float] = {}
    ids, out["contacts"] = timed(create)
    _, out["updates"] = timed(lambda: updates(ws, ids, ups))
    _, out["events"] = timed(lambda: events(ws, ids, evs))
    saved, out["save"] = timed(ws.save)
    a, out["load"] = timed(lambda: Workspace.load(Identity.from_secret_bytes(bytes([2] * 32)), saved))
    _, out["read_all"] = timed(lambda: len(a.contacts()) + len(a.events()))
    b = Workspace.load(Identity.from_secret_bytes(bytes([1] * 32)), saved)
    for copy, seed in ((a, 7), (b, 8)):
        s_ups, s_evs = side(contacts, div, seed)
        updates(copy, ids, s_ups)
        events(copy, ids, s_evs)
    _, out["merge"] = timed(lambda: a.merge(b))
    out["saved_bytes"] = len(saved)
    return out


def rust_run(div: int) -> Dict[str, float]:
    cmd = ["cargo", "run", "-q", "-p", "cercle-bench", "--release", "--", "baseline", f"--div={div}"]
    text = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    line = next(line for line in text.splitlines() if line.startswith("baseline "))
    figures: Dict[str, float] = json.loads(line[len("baseline ") :])
    return figures


def main() -> None:
    div = 20 if "--quick" in sys.argv else 1
    for arg in sys.argv[1:]:
        if arg.startswith("--div="):
            div = max(int(arg[len("--div=") :]), 1)
    rust = rust_run(div)
    py = python_run(div)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"cercle from Python vs Rust ({'full' if div == 1 else f'1/{div}'} size); ratio = Python / Rust\n")
    print(f"| {'phase':<28} | {'Python':>10} | {'Rust':>10} | {'ratio':>6} |")
    print("|---|---|---|---|")
    labels = {
        "contacts": "create the contacts",
        "updates": "field updates",
        "events": "timeline events",
        "save": "save",
        "load": "load (verify every change)",
        "read_all": "read every contact and event",
        "merge": "merge two offline copies",
    }
    total_py = total_rust = 0.0
    for key, label in labels.items():
        total_py += py[key]
        total_rust += rust[key]
        print(f"| {label:<28} | {py[key]:>8.3f} s | {rust[key]:>8.3f} s | {py[key] / rust[key]:>6.2f} |")
    print(f"| {'total':<28} | {total_py:>8.3f} s | {total_rust:>8.3f} s | {total_py / total_rust:>6.2f} |")
    # The same work saves the same changes; only their wall-clock times differ, and the
    # compressed size with them, by a few bytes.
    drift = abs(py["saved_bytes"] - rust["saved_bytes"]) / rust["saved_bytes"]
    assert drift < 0.01, "the two runs did not do the same work"
    print(f"\nsaved workspace: {py['saved_bytes'] / 1e6:.1f} MB (Rust {rust['saved_bytes'] / 1e6:.1f} MB); peak RSS of the Python process: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
