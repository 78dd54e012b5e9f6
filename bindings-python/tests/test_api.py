"""The whole Python API, call by call: conversions, errors and Python conventions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import cercle
from cercle import (
    ApplyReport,
    CercleError,
    CorruptData,
    Identity,
    InvalidInput,
    NotFound,
    PermissionDenied,
    SyncState,
    Workspace,
)

from conftest import clock, copy_for, ident

PARIS = timezone(timedelta(hours=1))


def test_identity_round_trips_its_secret_and_hides_it_in_repr() -> None:
    a = Identity.generate()
    b = Identity.from_secret_bytes(a.secret_bytes())
    assert a == b and hash(a) == hash(b)
    assert a != Identity.generate()
    assert len(a.member_id) == 64
    assert a.secret_bytes().hex() not in repr(a)
    assert a.member_id in repr(a)
    with pytest.raises(InvalidInput, match="32 bytes"):
        Identity.from_secret_bytes(b"short")


def test_workspace_properties_and_repr(ws: Workspace) -> None:
    assert ws.name == "Juste à temps"
    assert ws.founder == ws.member_id == ident(1).member_id
    assert ws.identity == ident(1)
    assert len(ws.id) == 64 and ws.change_count == 1
    assert ws.heads == [ws.id]
    assert "Juste à temps" in repr(ws) and ws.id in repr(ws)
    assert ws.pipeline == cercle.DEFAULT_PIPELINE
    assert cercle.FORMAT_VERSION >= 1 and cercle.__version__


def test_members_roles_and_display_names(ws: Workspace) -> None:
    claire = ident(2).member_id
    ws.set_display_name("Patrick")
    ws.add_member(claire, "admin")
    ws.add_member(ident(3).member_id)
    assert ws.role(claire) == "admin"
    assert ws.role(ident(3).member_id) == "member"
    ws.set_role(ident(3).member_id, "guest")
    members = {m.id: m for m in ws.members()}
    assert members[ws.member_id].display_name == "Patrick"
    assert members[ws.member_id].role == "owner"
    assert members[ident(3).member_id].role == "guest"
    ws.remove_member(ident(3).member_id)
    assert ws.role(ident(3).member_id) is None
    assert ws.display_name(ws.member_id) == "Patrick"
    ws.rename("Nouveau nom")
    assert ws.name == "Nouveau nom"
    with pytest.raises(InvalidInput, match="unknown role `boss`"):
        ws.set_role(claire, "boss")
    with pytest.raises(PermissionDenied, match="keep at least one owner") as refused:
        ws.leave()
    assert refused.value.member == ws.member_id
    assert refused.value.kind == "denied"
    assert refused.value.action and refused.value.reason


def test_groups(ws: Workspace) -> None:
    claire = ident(2).member_id
    ws.add_member(claire, "member")
    g = ws.create_group("Catalogue", purpose="choose", tags=["Catalogue", "x"], open=False)
    info = ws.group(g)
    assert info is not None
    assert (info.name, info.purpose, info.tags, info.open) == ("Catalogue", "choose", ["catalogue", "x"], False)
    ws.set_group_role(g, claire, "lead")
    assert (claire, "lead") in [(m.member, m.role) for m in ws.group_members(g)]
    assert [(gi.id, role) for gi, role in ws.member_groups(claire)] == [(g, "lead")]
    ws.update_group(g, name="Catalogue 2010", open=True, archived=False, tags=["a"], purpose="p")
    info = ws.group(g)
    assert info is not None and info.name == "Catalogue 2010" and info.open
    assert [x.id for x in ws.groups_matching(["a"])] == [g]
    ws.remove_from_group(g, claire)
    assert claire not in [m.member for m in ws.group_members(g)]
    hub = ws.create_group("Hub")
    assert ws.group(hub) is not None and ws.group(hub).open  # type: ignore[union-attr]
    assert {x.id for x in ws.groups()} == {g, hub}
    ws.commit()
    theirs = copy_for(ws, 2)
    theirs.join_group(hub)
    assert claire in [m.member for m in theirs.group_members(hub)]
    theirs.leave_group(hub)
    with pytest.raises(NotFound) as missing:
        ws.set_group_role("00" * 16, claire, "member")
    assert missing.value.what == "group" and missing.value.id == "00" * 16
    with pytest.raises(InvalidInput, match="invalid group id"):
        ws.group("not-an-id")


def test_contacts(ws: Workspace) -> None:
    g = ws.create_group("Catalogue")
    c = ws.create_contact(
        "Guillaume Durand",
        given_name="Guillaume",
        family_name="Durand",
        kind="business_angel",
        organisation="Réseau Angels Lyon",
        job_title="Angel",
        address="Lyon",
        owner=ws.member_id,
        emails=["g@example.org"],
        phones=["+33 1"],
        links=["https://example.org"],
        tags=["Angels"],
        notes="met in 2009",
        custom={"siret": "123"},
        groups=[g],
    )
    contact = ws.contact(c)
    assert contact is not None
    assert contact.kind == "business_angel" and contact.custom == {"siret": "123"}
    assert contact.groups == [g] and contact.tags == ["Angels"] and contact.stage == "new"
    assert contact.owner == ws.member_id and contact.created_by == ws.member_id
    other = ws.create_contact("Notaire Martin", kind="notaire", emails=["G@example.org"])
    assert ws.contact(other).kind == "notaire"  # type: ignore[union-attr]
    assert [(d.a, d.b, d.reason.kind, d.reason.value) for d in ws.find_duplicates()] == [
        (c, other, "same_email", "g@example.org")
    ]
    event = ws.set_stage(c, "contacted")
    status_change = ws.event(event)
    assert status_change is not None and status_change.kind == "status_change"
    assert (status_change.from_stage, status_change.to_stage) == ("new", "contacted")
    assert [x.id for x in ws.contacts(stage="contacted")] == [c]
    assert [x.id for x in ws.contacts(kind="business_angel", tag="Angels", group=g, owner=ws.member_id, text="durand")] == [c]
    ws.archive_contact(other)
    assert [x.id for x in ws.contacts()] == [c]
    assert len(ws.contacts(include_archived=True)) == 2
    ws.restore_contact(other)
    ws.merge_contacts(other, c)
    merged = ws.contact(c)
    assert merged is not None and merged.merged_from == [other]
    ws.set_pipeline(["lead", "won"])
    assert ws.pipeline == ["lead", "won"]
    with pytest.raises(InvalidInput):
        ws.set_stage(c, "nowhere")
    assert ws.contact("00" * 16) is None
    with pytest.raises(NotFound):
        ws.archive_contact("00" * 16)


def test_events_meetings_and_audience(ws: Workspace) -> None:
    sophie = ident(4).member_id
    ws.add_member(sophie)
    c = ws.create_contact("Ergonomie Services")
    start = datetime(2010, 3, 1, 10, 0, tzinfo=PARIS)
    e = ws.create_event(
        "meeting",
        "Catalogue de printemps",
        start=start,
        end=start + timedelta(hours=1),
        location="au café",
        contacts=[c],
        attendees={ws.member_id: "chair", c: "required"},
        agenda=["chaises"],
        notes="bring samples",
    )
    item = ws.add_agenda_item(e, "prix")
    decision = ws.record_decision(e, "20 chaises", start + timedelta(minutes=50), [ws.member_id])
    ws.set_attendee(e, sophie, "informed")
    event = ws.event(e)
    assert event is not None
    assert event.start == start and event.start.utcoffset() == timedelta(hours=1)
    assert [a.text for a in event.agenda] == ["chaises", "prix"] and event.agenda[1].id == item
    assert event.decisions[0].id == decision and event.decisions[0].decided_at == start + timedelta(minutes=50)
    roles = {(a.party.kind, a.party.value): a.role for a in event.attendees}
    assert roles == {("member", ws.member_id): "chair", ("contact", c): "required", ("member", sophie): "informed"}
    assert sorted(ws.audience(e)) == sorted([ws.member_id, sophie])
    ws.remove_attendee(e, sophie)
    assert ws.audience(e) == [ws.member_id]
    ws.set_event_status(e, "done")
    assert [x.id for x in ws.timeline(c)] == [e]
    later = ws.create_event("meeting", "Plus tard", start=datetime(2030, 1, 1, tzinfo=timezone.utc), attendees={ws.member_id: "required"})
    assert [x.id for x in ws.upcoming_meetings(ws.member_id, datetime(2020, 1, 1, tzinfo=timezone.utc))] == [later]
    ws.retract_event(later)
    assert ws.event(later).retracted  # type: ignore[union-attr]
    assert {x.id for x in ws.events()} >= {e}
    with pytest.raises(InvalidInput, match="naive datetime"):
        ws.create_event("call", "x", start=datetime(2010, 1, 1))
    with pytest.raises(InvalidInput, match="expected a datetime"):
        ws.create_event("call", "x", start="2010-01-01")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="unknown event kind"):
        ws.create_event("party", "x")


def test_glossaries(ws: Workspace) -> None:
    hub = ws.create_group("Convivialité")
    d = ws.create_glossary(hub, "Dictionnaire amoureux de la convivialité", description="co-écrit")
    glossary = ws.glossary(d)
    assert glossary is not None and glossary.language == "fr" and glossary.group == hub
    cafe = ws.add_entry(d, "Café", definition="Lieu où l'on se retrouve.", examples="au café du coin", tags=["lieu"], variants=["bistrot"], sources=["Patrick"])
    ete = ws.add_entry(d, "Été", see_also=[cafe])
    sense = ws.add_sense(ete, "Saison des pique-niques.")
    entry = ws.entry(ete)
    assert entry is not None and entry.see_also == [cafe] and entry.senses[0].id == sense
    assert [e.term for e in ws.entries(d)] == ["Café", "Été"]
    ws.set_entry_status(cafe, "approved")
    assert [e.term for e in ws.entries(d, status="approved")] == ["Café"]
    assert [e.term for e in ws.search_entries(d, "ete")] == ["Été"]
    assert [g.id for g in ws.glossaries()] == [d]


def test_text_fields_sets_and_conflicts(ws: Workspace) -> None:
    ws.add_member(ident(2).member_id, "admin")
    c = ws.create_contact("Élodie", notes="née à Lyon")
    ws.splice_text(c, "notes", 5, insert=" en été")
    assert ws.text(c, "notes") == "née à en été Lyon"
    ws.splice_text(c, "notes", 0, delete=4)
    ws.set_text(c, "notes", "tout neuf")
    assert ws.text(c, "notes") == "tout neuf"
    ws.set_field(c, "organisation", "Acme")
    ws.set_field(c, "custom:siret", "42")
    ws.set_field(c, "archived", True)
    ws.set_field(c, "archived", False)
    ws.set_field(c, "contact_kind", "partner")
    assert ws.field(c, "organisation") == "Acme"
    assert ws.field(c, "contact_kind") == "partner"
    assert ws.field(c, "archived") is False
    ws.add_value(c, "emails", "e@example.org")
    ws.remove_value(c, "emails", "e@example.org")
    ws.set_field(c, "job_title", None)
    assert ws.field(c, "job_title") is None
    ws.commit()
    other = copy_for(ws, 2)
    ws.set_field(c, "display_name", "Élodie A")
    other.set_field(c, "display_name", "Élodie B")
    other.commit()  # merge() takes the other copy's committed changes
    ws.merge(other)
    values = [v for _, v in ws.conflicts(c, "display_name")]
    assert sorted(values) == ["Élodie A", "Élodie B"]  # type: ignore[type-var]
    assert all(isinstance(op, cercle.OpId) for op, _ in ws.conflicts(c, "display_name"))
    with pytest.raises(InvalidInput, match="outside the text"):
        ws.splice_text(c, "notes", 999)
    with pytest.raises(InvalidInput, match="unknown field"):
        ws.set_field(c, "colour", "red")
    with pytest.raises(InvalidInput):
        ws.set_field(c, "archived", "yes")
    with pytest.raises(NotFound):
        ws.set_field("00" * 16, "organisation", "x")


def test_sharing_comments_history_and_digest(ws: Workspace) -> None:
    g = ws.create_group("Catalogue")
    c = ws.create_contact("Ergonomie")
    ws.share(c, g)
    assert ws.shared_with(c) == [g]
    ws.unshare(c, g)
    assert ws.shared_with(c) == []
    ws.commit()
    before = ws.heads
    comment = ws.comment(c, "à rappeler")
    comments = ws.comments(c)
    assert [(x.id, x.text, x.on, x.author) for x in comments] == [(comment, "à rappeler", c, ws.member_id)]
    assert comments[0].time.tzinfo is not None
    ws.commit()
    history = ws.history(object=c)
    assert history and history[0].subject == cercle.Subject("object", c)
    assert ws.history()[0].subject.kind == "workspace"
    assert ws.history(member=ws.member_id) is not None
    assert isinstance(ws.group_activity(g, limit=5), list)
    digest = ws.digest(ws.member_id, since_heads=before)
    assert digest.member == ws.member_id
    ws.digest(ws.member_id, since_time=datetime(2000, 1, 1, tzinfo=timezone.utc))
    ws.retract_comment(comment)
    with pytest.raises(InvalidInput, match="exactly one"):
        ws.digest(ws.member_id)
    with pytest.raises(InvalidInput, match="at most one"):
        ws.history(member=ws.member_id, group=g)


def test_batch_commits_once_or_discards_on_error(ws: Workspace) -> None:
    count = ws.change_count
    with ws.batch() as same:
        assert same is ws
        ws.create_contact("a")
        ws.create_contact("b")
    assert ws.change_count == count + 1 and not ws.has_uncommitted
    with pytest.raises(RuntimeError):
        with ws.batch():
            ws.create_contact("c")
            raise RuntimeError("abandon")
    assert ws.change_count == count + 1 and not ws.has_uncommitted
    assert len(ws.contacts()) == 2
    ws.create_contact("d")
    assert ws.discard() and not ws.discard()


def test_save_load_apply_and_reports(ws: Workspace) -> None:
    ws.add_member(ident(2).member_id)
    ws.commit()
    theirs = copy_for(ws, 2)
    base = theirs.heads
    c = theirs.create_contact("Nouveau")
    h = theirs.commit()
    assert h is not None and theirs.changes_since(base) == [h]
    report = ws.apply(theirs.save_since(base))
    assert isinstance(report, ApplyReport) and report.applied == [h]
    assert ws.apply(theirs.encode_changes([h])).duplicates == 1
    assert ws.contact(c) is not None
    status = ws.change_status(h)
    assert status is not None and status.kind == "valid"
    info = ws.change(h)
    assert info is not None and info.author == ident(2).member_id and info.time.tzinfo is not None
    # One operation creates the contact with its first values.
    assert (info.ops[0]["type"], info.ops[0]["kind"]) == ("create_with", "contact")
    assert len(info.ops) == 1 and len(info.ops[0]["values"]) >= 1
    assert [x.hash for x in ws.changes()][-1] == h
    assert ws.why_ignored(h) is None
    assert ws.merge(theirs).applied == []


def test_sync_protocol_by_hand_and_in_memory(ws: Workspace) -> None:
    ws.add_member(ident(2).member_id, "admin")
    ws.commit()
    theirs = copy_for(ws, 2)
    theirs.create_contact("d'elle")
    ws.create_contact("de lui")
    a, b = SyncState(), SyncState()
    assert a.their_heads is None and "SyncState" in repr(a)
    for _ in range(10):
        m1 = ws.generate_sync_message(a)
        if m1 is not None:
            theirs.receive_sync_message(b, m1)
        m2 = theirs.generate_sync_message(b)
        if m2 is not None:
            ws.receive_sync_message(a, m2)
        if m1 is None and m2 is None:
            break
    assert ws.heads == theirs.heads and a.their_heads == theirs.heads
    theirs.create_contact("encore")
    stats = cercle.sync_in_memory(theirs, ws)
    assert stats.messages > 0 and stats.bytes > 0 and ws.heads == theirs.heads


def test_removed_member_is_refused_and_their_offline_change_ignored(ws: Workspace) -> None:
    ws.add_member(ident(3).member_id)
    ws.commit()
    marc = copy_for(ws, 3)
    c = marc.create_contact("offline")
    h = marc.commit()
    assert h is not None
    ws.remove_member(ident(3).member_id)
    ws.commit()
    report = ws.merge(marc)
    assert [i.hash for i in report.ignored] == [h]
    reason = ws.why_ignored(h)
    assert reason is not None and reason.kind == "revoked" and reason.by
    status = ws.change_status(h)
    assert status is not None and status.kind == "ignored" and status.value == reason
    assert ws.contact(c) is None
    cercle.sync_in_memory(ws, marc)
    assert marc.contact(c) is None
    with pytest.raises(PermissionDenied):
        marc.create_contact("again")


def test_corrupt_bytes_raise_corrupt_data(ws: Workspace) -> None:
    saved = ws.save()
    for bad in [b"", b"garbage", saved[:-1], saved + b"\x00", bytes([saved[0] ^ 1]) + saved[1:]]:
        with pytest.raises(CorruptData) as err:
            Workspace.load(ident(2), bad)
        assert isinstance(err.value, CercleError) and err.value.kind == "corrupt"
        with pytest.raises(CorruptData):
            ws.apply(bad)
    with pytest.raises(CorruptData):
        ws.receive_sync_message(SyncState(), b"\x00\x01")
    forged = bytearray(saved)
    forged[-5] ^= 0xFF
    with pytest.raises(CorruptData):
        Workspace.load(ident(2), bytes(forged))


def test_error_hierarchy() -> None:
    for cls in (PermissionDenied, NotFound, InvalidInput, CorruptData):
        assert issubclass(cls, CercleError) and issubclass(cls, Exception)
    assert not issubclass(CorruptData, InvalidInput)


def test_clock_rejects_naive_start_and_can_be_replaced(ws: Workspace) -> None:
    with pytest.raises(InvalidInput):
        cercle.SteppingClock(datetime(2010, 1, 1))
    assert "SteppingClock" in repr(clock())
    ws.set_clock(cercle.SteppingClock(datetime(2030, 1, 1, tzinfo=timezone.utc)))
    ws.create_contact("plus tard")
    h = ws.commit()
    assert h is not None
    info = ws.change(h)
    assert info is not None and info.time == datetime(2030, 1, 1, tzinfo=timezone.utc)


def test_fold_is_the_form_glossaries_compare() -> None:
    assert cercle.fold("  Été   À  la Plage ") == "ete a la plage"


def test_large_results_leave_the_garbage_collector_as_they_found_it(ws: Workspace) -> None:
    import gc

    with ws.batch():
        for k in range(1100):
            ws.create_event("note", f"note {k}")
    assert gc.isenabled()
    assert len(ws.events()) == 1100
    assert gc.isenabled(), "reading a large list must turn the collector back on"
    gc.disable()
    try:
        assert len(ws.events()) == 1100
        assert not gc.isenabled(), "a collector the caller turned off stays off"
    finally:
        gc.enable()
