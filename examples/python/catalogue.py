"""The seed story, end to end, in Python: a small company shares its CRM, meets instead of
replying to "re: re: re: decision to make" threads, and co-writes a glossary — each member
on their own copy, online or offline.

Mirrors examples/catalogue.rs. Run with `python examples/python/catalogue.py` once the
package is installed (`pip install ./bindings-python`).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import cercle
from cercle import Identity, SteppingClock, Workspace, sync_in_memory

PARIS = timezone(timedelta(hours=1))


def short(member: str) -> str:
    return member[:8]


def main() -> None:
    # Reproducible: fixed keys and a clock that starts on the day of the blog post.
    clock = SteppingClock(datetime(2010, 2, 23, 9, 0, tzinfo=timezone.utc), step_ms=60_000)
    patrick, claire, marc, sophie = (Identity.from_secret_bytes(bytes([n] * 32)) for n in (1, 2, 3, 4))

    print("== The founder sets up the workspace and the Catalogue core group")
    pat = Workspace.create(patrick, "Juste à temps", clock=clock)
    pat.set_display_name("Patrick")
    pat.add_member(claire.member_id, "admin")
    pat.add_member(marc.member_id, "member")
    pat.add_member(sophie.member_id, "member")
    catalogue = pat.create_group(
        "Catalogue",
        purpose="three people, three skills: choose what the shop sells",
        tags=["catalogue", "fournisseurs"],
        open=False,
    )
    pat.set_group_role(catalogue, claire.member_id, "member")
    pat.set_group_role(catalogue, marc.member_id, "member")
    hub = pat.create_group("Convivialité au bureau", tags=["convivialité", "bureau"])
    pat.commit()
    group = pat.group(catalogue)
    print(f"{pat.name} — group {group.name if group else ''} with {len(pat.group_members(catalogue))} members")

    print("\n== The shared CRM: every contact, every event, for the whole group")
    angel = pat.create_contact(
        "Guillaume Durand",
        kind="business_angel",
        organisation="Réseau Angels Lyon",
        emails=["guillaume@example.org"],
        groups=[catalogue],
    )
    startup = pat.create_contact(
        "Ergonomie Services",
        kind="start_up",
        emails=["contact@ergonomie.example"],
        tags=["chaises"],
        groups=[catalogue],
    )
    supplier = pat.create_contact(
        "Bureau Vallée", kind="supplier", phones=["+33 4 78 00 00 00"], groups=[catalogue]
    )
    pat.set_stage(startup, "contacted")

    meeting = pat.create_event(
        "meeting",
        "Catalogue de printemps",
        start=datetime(2010, 3, 1, 10, 0, tzinfo=PARIS),
        end=datetime(2010, 3, 1, 11, 30, tzinfo=PARIS),
        location="au café du coin",
        contacts=[startup],
        groups=[catalogue],
        attendees={pat.member_id: "chair", startup: "required", sophie.member_id: "informed"},
        agenda=["chairs from Ergonomie Services?", "prices for the spring"],
    )
    pat.record_decision(
        meeting,
        "order 20 chairs for the showroom",
        datetime(2010, 3, 1, 11, 15, tzinfo=PARIS),
        [pat.member_id, claire.member_id],
    )
    pat.set_event_status(meeting, "done")
    pat.commit()
    audience = pat.audience(meeting)
    event = pat.event(meeting)
    assert event is not None
    print(
        f"meeting `{event.title}`: {len(event.decisions)} decision(s); "
        f"audience of {len(audience)} — nobody hidden, nobody flooded"
    )
    for m in audience:
        print(f"  - {pat.display_name(m) or short(m)}")

    # Everyone takes a copy.
    saved = pat.save()
    cla = Workspace.load(claire, saved, clock=clock)
    mar = Workspace.load(marc, saved, clock=clock)
    sop = Workspace.load(sophie, saved, clock=clock)
    cla.set_display_name("Claire")
    mar.set_display_name("Marc")
    sop.set_display_name("Sophie")
    sync_in_memory(pat, cla)
    sync_in_memory(pat, mar)
    sync_in_memory(pat, sop)
    since_marc_left_office = mar.heads

    print("\n== Marc works offline at a trade fair")
    with mar.batch():
        call = mar.create_event(
            "call",
            "Call with Bureau Vallée",
            contacts=[supplier],
            groups=[catalogue],
            status="done",
            notes="They can deliver in April.",
        )
        mar.set_stage(supplier, "proposal")
        mar.comment(angel, "Met him at the fair: interested in the showroom.")
    sync_in_memory(mar, pat)
    contact = pat.contact(supplier)
    shared_call = pat.event(call)
    print(
        f"back online: {contact.display_name if contact else ''}'s timeline has "
        f"{len(pat.timeline(supplier))} event(s); Marc's call "
        f"`{shared_call.title if shared_call else ''}` is shared"
    )

    print('\n== Two members co-write the "Dictionnaire amoureux de la convivialité"')
    pat.set_group_role(hub, cla.member_id, "member")
    pat.set_group_role(hub, sop.member_id, "member")
    dictionary = pat.create_glossary(
        hub,
        "Dictionnaire amoureux de la convivialité",
        language="fr",
        description="Co-écrit sur le hub « convivialité au bureau ».",
    )
    entry = pat.add_entry(
        dictionary, "Café", definition="Lieu où l'on se retrouve.", examples="au café du coin"
    )
    pat.add_entry(dictionary, "Été", definition="Saison des pique-niques.")
    pat.add_entry(dictionary, "Équipe", definition="Ceux avec qui l'on travaille.")
    pat.commit()
    sync_in_memory(pat, cla)
    sync_in_memory(pat, sop)
    found = pat.entry(entry)
    assert found is not None
    sense = found.senses[0].id
    # Concurrently, offline: Claire and Sophie both improve the same definition.
    cla.splice_text(sense, "definition", 0, insert="Chaleureux : ")
    end = len(sop.text(sense, "definition"))
    sop.splice_text(sense, "definition", end, insert=" On y refait le monde.")
    sync_in_memory(cla, sop)
    sync_in_memory(cla, pat)
    print(f"both edits survive: « {pat.text(sense, 'definition')} »")
    pat.set_entry_status(entry, "approved")
    terms = [e.term for e in pat.entries(dictionary)]
    print(f"alphabetical, accents ignored: {', '.join(terms)}")

    print("\n== A member removed while offline cannot keep writing")
    # Sophie, offline, keeps editing; meanwhile Claire (an admin) removes her.
    sophies = sop.create_contact("Contact de Sophie")
    sophies_change = sop.commit()
    assert sophies_change is not None
    cla.remove_member(sop.member_id)
    cla.commit()
    sync_in_memory(cla, sop)
    sync_in_memory(cla, pat)
    present = "present" if pat.contact(sophies) is not None else "absent"
    print(f"Sophie's offline contact on Patrick's copy: {present}")
    reason = pat.why_ignored(sophies_change)
    if reason is not None:
        print(f"the report says why: {reason.kind} by change `{reason.by}`")
    try:
        sop.create_contact("Encore un contact")
    except cercle.PermissionDenied as refused:
        print(f"and her copy now refuses her edits: {refused.reason}")
    sync_in_memory(pat, sop)
    assert pat.save() == sop.save(), "copies that saw the same changes are identical"

    print("\n== What Claire missed while away")
    digest = cla.digest(cla.member_id, since_heads=since_marc_left_office)
    for item in digest.items:
        print(f"  {item.title} ({len(item.entries)} update(s))")
    print(
        f"\n{len(pat.contacts())} contacts in the CRM, "
        f"{len(pat.contacts(stage='contacted'))} at stage `contacted`"
    )


if __name__ == "__main__":
    main()
