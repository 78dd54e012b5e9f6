//! The seed story, end to end: a small company shares its CRM, meets instead of replying
//! to "re: re: re: decision to make" threads, and co-writes a glossary — each member on
//! their own copy, online or offline.
//!
//! Run with `cargo run --example catalogue`.

use std::error::Error;
use std::sync::Arc;

use cercle::{
    sync_in_memory, AttendeeRole, ContactKind, ContactQuery, EventKind, EventStatus, Field,
    GroupRole, Identity, NewContact, NewEntry, NewEvent, NewGroup, Party, Role, Since,
    SteppingClock, Workspace,
};

fn main() -> Result<(), Box<dyn Error>> {
    // Reproducible: fixed keys and a clock that starts on the day of the blog post.
    let clock = Arc::new(SteppingClock::new("2010-02-23T09:00:00Z".parse()?, 60_000));
    let patrick = Identity::from_secret_bytes([1; 32]);
    let claire = Identity::from_secret_bytes([2; 32]);
    let marc = Identity::from_secret_bytes([3; 32]);
    let sophie = Identity::from_secret_bytes([4; 32]);

    println!("== The founder sets up the workspace and the Catalogue core group");
    let mut pat = Workspace::create_with_clock(patrick, "Juste à temps", clock.clone());
    pat.set_display_name("Patrick")?;
    pat.add_member(claire.member_id(), Role::Admin)?;
    pat.add_member(marc.member_id(), Role::Member)?;
    pat.add_member(sophie.member_id(), Role::Member)?;
    let catalogue = pat.create_group(
        NewGroup::new("Catalogue")
            .purpose("three people, three skills: choose what the shop sells")
            .tags(["catalogue", "fournisseurs"])
            .open(false),
    )?;
    pat.set_group_role(catalogue, claire.member_id(), GroupRole::Member)?;
    pat.set_group_role(catalogue, marc.member_id(), GroupRole::Member)?;
    let hub =
        pat.create_group(NewGroup::new("Convivialité au bureau").tags(["convivialité", "bureau"]))?;
    pat.commit();
    println!(
        "{} — group {} with {} members",
        pat.name(),
        pat.group(&catalogue).map(|g| g.name).unwrap_or_default(),
        pat.group_members(&catalogue).len()
    );

    println!("\n== The shared CRM: every contact, every event, for the whole group");
    let angel = pat.create_contact(
        NewContact::new("Guillaume Durand")
            .kind(ContactKind::BusinessAngel)
            .organisation("Réseau Angels Lyon")
            .email("guillaume@example.org")
            .group(catalogue),
    )?;
    let startup = pat.create_contact(
        NewContact::new("Ergonomie Services")
            .kind(ContactKind::StartUp)
            .email("contact@ergonomie.example")
            .tag("chaises")
            .group(catalogue),
    )?;
    let supplier = pat.create_contact(
        NewContact::new("Bureau Vallée")
            .kind(ContactKind::Supplier)
            .phone("+33 4 78 00 00 00")
            .group(catalogue),
    )?;
    pat.set_stage(startup, "contacted")?;

    let meeting = pat.create_event(
        NewEvent::new(EventKind::Meeting, "Catalogue de printemps")
            .start("2010-03-01T10:00:00+01:00".parse()?)
            .end("2010-03-01T11:30:00+01:00".parse()?)
            .location("au café du coin")
            .contact(startup)
            .group(catalogue)
            .attendee(Party::Member(pat.member_id()), AttendeeRole::Chair)
            .attendee(Party::Contact(startup.into()), AttendeeRole::Required)
            .attendee(Party::Member(sophie.member_id()), AttendeeRole::Informed)
            .agenda_item("chairs from Ergonomie Services?")
            .agenda_item("prices for the spring"),
    )?;
    pat.record_decision(
        meeting,
        "order 20 chairs for the showroom",
        "2010-03-01T11:15:00+01:00".parse()?,
        &[pat.member_id(), claire.member_id()],
    )?;
    pat.set_event_status(meeting, EventStatus::Done)?;
    pat.commit();
    let audience = pat.audience(&meeting);
    println!(
        "meeting `{}`: {} decision(s); audience of {} — nobody hidden, nobody flooded",
        pat.event(&meeting).map(|e| e.title).unwrap_or_default(),
        pat.event(&meeting).map(|e| e.decisions.len()).unwrap_or(0),
        audience.len()
    );
    for m in &audience {
        println!(
            "  - {}",
            pat.display_name(m)
                .map(str::to_string)
                .unwrap_or_else(|| short(m))
        );
    }

    // Everyone takes a copy.
    let saved = pat.save();
    let mut cla = Workspace::load_with_clock(claire, &saved, clock.clone())?;
    let mut mar = Workspace::load_with_clock(marc, &saved, clock.clone())?;
    let mut sop = Workspace::load_with_clock(sophie, &saved, clock.clone())?;
    cla.set_display_name("Claire")?;
    mar.set_display_name("Marc")?;
    sop.set_display_name("Sophie")?;
    sync_in_memory(&mut pat, &mut cla)?;
    sync_in_memory(&mut pat, &mut mar)?;
    sync_in_memory(&mut pat, &mut sop)?;
    let since_marc_left_office = mar.heads();

    println!("\n== Marc works offline at a trade fair");
    let call = mar.create_event(
        NewEvent::new(EventKind::Call, "Call with Bureau Vallée")
            .contact(supplier)
            .group(catalogue)
            .status(EventStatus::Done)
            .notes("They can deliver in April."),
    )?;
    mar.set_stage(supplier, "proposal")?;
    mar.comment(angel, "Met him at the fair: interested in the showroom.")?;
    mar.commit();
    sync_in_memory(&mut mar, &mut pat)?;
    println!(
        "back online: {}'s timeline has {} event(s); Marc's call `{}` is shared",
        pat.contact(&supplier)
            .map(|c| c.display_name)
            .unwrap_or_default(),
        pat.timeline(&supplier).len(),
        pat.event(&call).map(|e| e.title).unwrap_or_default()
    );

    println!("\n== Two members co-write the \"Dictionnaire amoureux de la convivialité\"");
    pat.set_group_role(hub, cla.member_id(), GroupRole::Member)?;
    pat.set_group_role(hub, sop.member_id(), GroupRole::Member)?;
    let dictionary = pat.create_glossary(
        hub,
        "Dictionnaire amoureux de la convivialité",
        "fr",
        "Co-écrit sur le hub « convivialité au bureau ».",
    )?;
    let entry = pat.add_entry(
        dictionary,
        NewEntry::new("Café").definition("Lieu où l'on se retrouve.", "au café du coin"),
    )?;
    pat.add_entry(
        dictionary,
        NewEntry::new("Été").definition("Saison des pique-niques.", ""),
    )?;
    pat.add_entry(
        dictionary,
        NewEntry::new("Équipe").definition("Ceux avec qui l'on travaille.", ""),
    )?;
    pat.commit();
    sync_in_memory(&mut pat, &mut cla)?;
    sync_in_memory(&mut pat, &mut sop)?;
    let sense = pat
        .entry(&entry)
        .and_then(|e| e.senses.first().map(|s| s.id))
        .ok_or("no sense")?;
    // Concurrently, offline: Claire and Sophie both improve the same definition.
    cla.splice_text(sense.into(), Field::Definition, 0, 0, "Chaleureux : ")?;
    let len = sop.text(&sense.into(), &Field::Definition).chars().count();
    sop.splice_text(
        sense.into(),
        Field::Definition,
        len,
        0,
        " On y refait le monde.",
    )?;
    sync_in_memory(&mut cla, &mut sop)?;
    sync_in_memory(&mut cla, &mut pat)?;
    let merged = pat.text(&sense.into(), &Field::Definition);
    println!("both edits survive: « {merged} »");
    pat.set_entry_status(entry, cercle::EntryStatus::Approved)?;
    let terms: Vec<String> = pat
        .entries(&dictionary)
        .into_iter()
        .map(|e| e.term)
        .collect();
    println!("alphabetical, accents ignored: {}", terms.join(", "));

    println!("\n== A member removed while offline cannot keep writing");
    // Sophie, offline, keeps editing; meanwhile Claire (an admin) removes her.
    let sophies = sop.create_contact(NewContact::new("Contact de Sophie"))?;
    let sophies_change = sop.commit().ok_or("nothing committed")?;
    cla.remove_member(sop.member_id())?;
    cla.commit();
    sync_in_memory(&mut cla, &mut sop)?;
    sync_in_memory(&mut cla, &mut pat)?;
    println!(
        "Sophie's offline contact on Patrick's copy: {}",
        if pat.contact(&sophies).is_some() {
            "present"
        } else {
            "absent"
        }
    );
    if let Some(reason) = pat.why_ignored(&sophies_change) {
        println!("the report says why: {reason}");
    }
    sync_in_memory(&mut pat, &mut sop)?;
    assert!(
        pat.save() == sop.save(),
        "copies that saw the same changes are identical"
    );

    println!("\n== What Claire missed while away");
    let digest = cla.digest(&cla.member_id(), &Since::Heads(since_marc_left_office));
    for item in &digest.items {
        println!("  {} ({} update(s))", item.title, item.entries.len());
    }
    println!(
        "\n{} contacts in the CRM, {} at stage `contacted`",
        pat.contacts(&ContactQuery::default()).len(),
        pat.contacts(&ContactQuery::default().stage("contacted"))
            .len()
    );
    Ok(())
}

fn short(m: &cercle::MemberId) -> String {
    m.to_string().chars().take(8).collect()
}
