"""Property tests of merge and permissions through the Python API (hypothesis).

Each test states its law in its name and docstring.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable, List, Tuple

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cercle import CercleError, PermissionDenied, SyncState, Workspace, sync_in_memory

from conftest import clock, copy_for, ident

# An edit: (which field or action, a small integer for targets, some text).
Edit = Tuple[str, int, str]

edits = st.lists(
    st.tuples(
        st.sampled_from(["contact", "rename", "notes", "tag", "stage", "group", "event"]),
        st.integers(min_value=0, max_value=5),
        st.text(alphabet="abcé 🙂", min_size=1, max_size=6),
    ),
    max_size=8,
)

PAIRS = [(0, 1), (1, 2), (0, 2), (1, 0), (2, 1), (2, 0)]


def founded() -> Tuple[Workspace, List[Workspace]]:
    """Patrick (owner) with Claire and Marc (admins) and a shared contact, each on a copy."""
    ws = Workspace.create(ident(1), "Juste à temps", clock=clock())
    ws.add_member(ident(2).member_id, "admin")
    ws.add_member(ident(3).member_id, "admin")
    ws.create_contact("Ergonomie Services", notes="été")
    ws.commit()
    return ws, [ws, copy_for(ws, 2), copy_for(ws, 3)]


def play(ws: Workspace, script: List[Edit]) -> None:
    """Applies a script of edits; edits the copy refuses are skipped, as a user would."""
    for action, n, text in script:
        contacts = ws.contacts(include_archived=True)
        target = contacts[n % len(contacts)].id if contacts else None
        try:
            if action == "contact" or target is None:
                ws.create_contact(text.strip() or "x")
            elif action == "rename":
                ws.set_field(target, "display_name", text.strip() or "x")
            elif action == "notes":
                length = len(ws.text(target, "notes"))
                ws.splice_text(target, "notes", min(n, length), insert=text)
            elif action == "tag":
                ws.add_value(target, "tags", text)
            elif action == "stage":
                ws.set_stage(target, ws.pipeline[n % len(ws.pipeline)])
            elif action == "group":
                ws.create_group(text.strip() or "g")
            else:
                ws.create_event("call", text.strip() or "e", contacts=[target])
        except CercleError:
            pass
        if n % 3 == 0:
            ws.commit()
    ws.commit()


def converge(copies: List[Workspace], order: List[Tuple[int, int]]) -> None:
    """Syncs pairs in `order`, then a fixed round so every copy has seen every change."""
    for a, b in order + [(0, 1), (1, 2), (0, 1)]:
        sync_in_memory(copies[a], copies[b])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scripts=st.tuples(edits, edits, edits),
    order_a=st.lists(st.sampled_from(PAIRS), max_size=6),
    order_b=st.lists(st.sampled_from(PAIRS), max_size=6),
)
def test_copies_that_saw_the_same_changes_show_the_same_state_whatever_the_sync_order(
    scripts: Tuple[List[Edit], List[Edit], List[Edit]],
    order_a: List[Tuple[int, int]],
    order_b: List[Tuple[int, int]],
) -> None:
    """Convergence: three copies edited concurrently, synced in any order, end identical —
    and identical to the same edits synced in another order."""
    results = []
    for order in (order_a, order_b):
        _, copies = founded()
        for ws, script in zip(copies, scripts):
            play(ws, script)
        converge(copies, order)
        saved = [ws.save() for ws in copies]
        assert saved[0] == saved[1] == saved[2]
        contacts = [ws.contacts(include_archived=True) for ws in copies]
        assert contacts[0] == contacts[1] == contacts[2]
        results.append(saved[0])
    assert results[0] == results[1]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(offline=edits.filter(lambda s: len(s) > 0), before=edits)
def test_a_member_removed_while_offline_has_every_concurrent_edit_ignored(
    offline: List[Edit], before: List[Edit]
) -> None:
    """Strong removal: once Patrick's removal of Marc is known, none of the edits Marc made
    concurrently (offline) shows on any copy, and Marc's copy refuses new edits."""
    _, (pat, cla, mar) = founded()
    play(pat, before)
    sync_in_memory(pat, mar)
    seen = set(mar.heads)
    # Re-adding a value already there changes nothing: end with an edit that always does.
    play(mar, offline + [("contact", 0, "made offline")])
    marcs = mar.changes_since(list(seen))
    assert marcs, "the offline script made no change"
    pat.remove_member(ident(3).member_id)
    pat.commit()
    sync_in_memory(mar, cla)
    sync_in_memory(cla, pat)
    sync_in_memory(pat, mar)
    for ws in (pat, cla, mar):
        for h in marcs:
            status = ws.change_status(h)
            assert status is not None and status.kind == "ignored", (h, status)
    reference = Workspace.load(ident(1), pat.save())
    assert pat.contacts(include_archived=True) == reference.contacts(include_archived=True)
    assert mar.contacts(include_archived=True) == pat.contacts(include_archived=True)
    try:
        mar.create_contact("encore")
        raise AssertionError("a removed member could still write")
    except PermissionDenied:
        pass


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=512))
def test_random_bytes_raise_cercle_errors_and_never_crash(data: bytes) -> None:
    """Robustness: any bytes given to load, apply or a sync message either work or raise a
    CercleError subclass; the workspace is left unchanged when they fail."""
    ws = Workspace.create(ident(1), "Juste à temps", clock=clock())
    before = ws.save()
    for call in (
        lambda: Workspace.load(ident(2), data),
        lambda: ws.apply(data),
        lambda: ws.receive_sync_message(SyncState(), data),
    ):
        try:
            call()
        except CercleError:
            pass
    assert ws.save() == before


@settings(max_examples=200, deadline=None)
@given(flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=1, max_value=255)), min_size=1, max_size=4))
def test_damaged_saved_workspaces_are_refused_with_corrupt_data(flips: List[Tuple[int, int]]) -> None:
    """Integrity: flipping bytes of a saved workspace either leaves a copy that loads to a
    consistent state or raises CercleError — never a crash, never a partial load."""
    _, (pat, _, _) = founded()
    saved = bytearray(pat.save())
    for at, mask in flips:
        saved[at % len(saved)] ^= mask
    try:
        ws = Workspace.load(ident(2), bytes(saved))
    except CercleError as err:
        assert err.kind in ("corrupt", "invalid_input")
    else:
        assert Workspace.load(ident(2), ws.save()).heads == ws.heads


@settings(max_examples=200, deadline=None)
@given(a=st.text(max_size=70), b=st.text(max_size=40), c=st.text(max_size=40))
def test_any_text_for_ids_names_and_fields_raises_cercle_errors_only(a: str, b: str, c: str) -> None:
    """Robustness: arbitrary strings where ids, role names, kinds and field names go either
    work or raise a CercleError subclass — never another exception, never a crash."""
    ws = Workspace.create(ident(1), "Juste à temps", clock=clock())
    contact = ws.create_contact("Ergonomie")
    calls: List[Callable[[], object]] = [
        lambda: ws.contact(a),
        lambda: ws.add_member(a, b),
        lambda: ws.set_field(contact, b, c),
        lambda: ws.set_field(a, "organisation", c),
        lambda: ws.create_contact(c or "x", kind=b),
        lambda: ws.create_event(b, c or "x", attendees={a: b}),
        lambda: ws.contacts(kind=b, group=a),
        lambda: ws.history(object=a),
        lambda: ws.splice_text(contact, b, len(c), insert=a),
    ]
    for call in calls:
        try:
            call()
        except CercleError:
            pass


ZONES = [timezone.utc, timezone(timedelta(hours=1)), timezone(-timedelta(hours=9, minutes=30))]


@settings(max_examples=200, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1800, 1, 1), max_value=datetime(2200, 1, 1)),
    zone=st.sampled_from(ZONES),
)
def test_an_aware_datetime_reads_back_to_the_millisecond_in_its_offset(moment: datetime, zone: timezone) -> None:
    """Round trip: an event's start given as any aware datetime (before or after 1970,
    any offset) reads back as the same instant, truncated to the millisecond, in the
    offset it was given in."""
    ws = Workspace.create(ident(1), "Juste à temps", clock=clock())
    start = moment.replace(tzinfo=zone)
    event = ws.event(ws.create_event("meeting", "rendez-vous", start=start))
    assert event is not None and event.start is not None
    expected = start.replace(microsecond=start.microsecond // 1000 * 1000)
    assert event.start == expected
    assert event.start.utcoffset() == zone.utcoffset(None)
