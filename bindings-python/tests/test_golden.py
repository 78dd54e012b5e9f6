"""Cross-runtime golden files (testdata/golden/, shared with the Rust and JS suites).

A workspace saved by Rust loads in Python to the state Rust recorded, and the same story
told through the Python API saves exactly the bytes Rust saved (which the Rust suite loads
and checks), so a workspace saved from Python loads in Rust.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List

from cercle import Workspace

from conftest import GOLDEN, clock, copy_for, ident


def build() -> Workspace:
    """The story behind catalogue.cercle, as core/tests/golden.rs tells it."""
    ws = Workspace.create(ident(1), "Juste à temps", clock=clock())
    ws.set_display_name("Patrick")
    ws.add_member(ident(2).member_id, "admin")
    ws.add_member(ident(3).member_id, "member")
    g = ws.create_group("Catalogue", tags=["catalogue"], open=False)
    ws.set_group_role(g, ident(3).member_id, "member")
    c = ws.create_contact(
        "Ergonomie Services",
        kind="start_up",
        emails=["contact@ergonomie.example"],
        notes="été 🙂",
        groups=[g],
    )
    ws.set_stage(c, "contacted")
    paris = timezone(timedelta(hours=1))
    e = ws.create_event(
        "meeting",
        "Catalogue de printemps",
        start=datetime(2010, 3, 1, 10, 0, tzinfo=paris),
        contacts=[c],
        groups=[g],
        attendees={ident(1).member_id: "chair"},
        agenda=["chaises"],
    )
    ws.record_decision(e, "20 chaises", datetime(2010, 3, 1, 11, 0, tzinfo=paris), [ident(1).member_id])
    hub = ws.create_group("Convivialité")
    dico = ws.create_glossary(hub, "Dictionnaire amoureux de la convivialité", language="fr")
    ws.add_entry(dico, "Été", definition="Saison des pique-niques.")
    ws.commit()
    marc = copy_for(ws, 3)
    marc.create_contact("offline", groups=[g])
    marc.commit()
    ws.remove_member(ident(3).member_id)
    ws.commit()
    ws.merge(marc)
    return ws


def expected() -> Dict[str, Any]:
    with open(GOLDEN / "catalogue.json", encoding="utf-8") as f:
        data: Dict[str, Any] = json.load(f)
    return data


def test_rust_golden_workspace_loads_to_the_recorded_state() -> None:
    golden = (GOLDEN / "catalogue.cercle").read_bytes()
    ws = Workspace.load(ident(7), golden)
    want = expected()
    assert ws.id == want["id"] and ws.name == want["name"] and ws.heads == want["heads"]
    assert [(m.id, m.role, m.display_name) for m in ws.members()] == [
        (m["id"], m["role"].lower(), m["display_name"]) for m in want["members"]
    ]
    assert [(g.id, g.name, g.tags, g.open) for g in ws.groups()] == [
        (g["id"], g["name"], g["tags"], g["open"]) for g in want["groups"]
    ]
    contacts = ws.contacts(include_archived=True)
    assert [(c.id, c.display_name, c.emails, c.notes, c.stage) for c in contacts] == [
        (c["id"], c["display_name"], c["emails"], c["notes"], c["stage"]) for c in want["contacts"]
    ]
    timelines: List[List[Any]] = [[(e.id, e.title, e.kind) for e in ws.timeline(c.id)] for c in contacts]
    assert [[(e["id"], e["title"]) for e in t] for t in want["timelines"]] == [
        [(i, t) for i, t, _ in tl] for tl in timelines
    ]
    meeting = next(e for t in want["timelines"] for e in t if e["title"] == "Catalogue de printemps")
    start = ws.event(meeting["id"]).start  # type: ignore[union-attr]
    assert start is not None and start.isoformat() == meeting["start"]
    assert [[(e.term, [s.definition for s in e.senses]) for e in ws.entries(g.id)] for g in ws.glossaries()] == [
        [(e["term"], [s["definition"] for s in e["senses"]]) for e in entries] for entries in want["entries"]
    ]
    valid = {c.hash: c.status.kind == "valid" for c in ws.changes()}
    assert valid == {h: ok for h, ok in want["changes"]}


def test_python_tells_the_golden_story_in_the_same_bytes_as_rust() -> None:
    golden = (GOLDEN / "catalogue.cercle").read_bytes()
    assert build().save() == golden
