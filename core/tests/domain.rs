//! Queries and workflows of the domain on small, named scenarios.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use cercle::{
    ContactKind, ContactQuery, EntryStatus, EventKind, EventStatus, Field, GroupRole, NewContact,
    NewEntry, NewEvent, NewGroup, Role, Since, Subject, Workspace,
};
use common::{copy_for, founded, id};

fn at(s: &str) -> chrono::DateTime<chrono::FixedOffset> {
    s.parse().unwrap()
}

#[test]
fn stage_changes_are_recorded_on_the_timeline_in_time_order() {
    let mut ws = founded();
    let c = ws
        .create_contact(NewContact::new("Guillaume").kind(ContactKind::BusinessAngel))
        .unwrap();
    assert_eq!(ws.contact(&c).unwrap().stage.as_deref(), Some("new"));
    ws.create_event(
        NewEvent::new(EventKind::Call, "later call")
            .contact(c)
            .start(at("2030-01-02T10:00:00+01:00")),
    )
    .unwrap();
    ws.create_event(
        NewEvent::new(EventKind::Call, "earlier call")
            .contact(c)
            .start(at("2020-01-02T10:00:00-05:00")),
    )
    .unwrap();
    let evolution = ws.set_stage(c, "meeting").unwrap();
    let timeline = ws.timeline(&c);
    let titles: Vec<&str> = timeline.iter().map(|e| e.title.as_str()).collect();
    // The test clock reads 2010: the évolution comes first.
    assert_eq!(titles, ["new → meeting", "earlier call", "later call"]);
    let e = ws.event(&evolution).unwrap();
    assert_eq!(e.kind, EventKind::StatusChange);
    assert_eq!(
        (e.from_stage.as_deref(), e.to_stage.as_deref()),
        (Some("new"), Some("meeting"))
    );
    assert_eq!(e.created_by, ws.member_id());
    assert!(
        ws.set_stage(c, "nowhere").is_err(),
        "stages come from the pipeline"
    );
    ws.set_pipeline(&["lead", "client"]).unwrap();
    ws.set_stage(c, "client").unwrap();
    assert_eq!(
        ws.contacts(&ContactQuery::default().stage("client")).len(),
        1
    );
}

#[test]
fn offsets_survive_and_upcoming_meetings_are_the_members() {
    let mut ws = founded();
    let me = ws.member_id();
    let g = ws.create_group(NewGroup::new("Catalogue")).unwrap();
    let soon = ws
        .create_event(
            NewEvent::new(EventKind::Meeting, "soon")
                .group(g)
                .start(at("2030-03-01T10:00:00+01:00")),
        )
        .unwrap();
    ws.create_event(
        NewEvent::new(EventKind::Meeting, "past")
            .group(g)
            .start(at("2001-03-01T10:00:00+01:00")),
    )
    .unwrap();
    let cancelled = ws
        .create_event(
            NewEvent::new(EventKind::Meeting, "cancelled")
                .group(g)
                .start(at("2030-03-02T10:00:00+01:00")),
        )
        .unwrap();
    ws.set_event_status(cancelled, EventStatus::Cancelled)
        .unwrap();
    let now = "2026-01-01T00:00:00Z".parse().unwrap();
    let upcoming: Vec<_> = ws
        .upcoming_meetings(&me, now)
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(upcoming, [soon]);
    assert_eq!(
        ws.event(&soon)
            .unwrap()
            .start
            .unwrap()
            .offset()
            .local_minus_utc(),
        3600
    );
    assert!(ws.upcoming_meetings(&id(9).member_id(), now).is_empty());
}

#[test]
fn contacts_filter_by_kind_tag_owner_group_and_text() {
    let mut ws = founded();
    let g = ws.create_group(NewGroup::new("Catalogue")).unwrap();
    let me = ws.member_id();
    ws.create_contact(
        NewContact::new("Élodie Martin")
            .kind(ContactKind::Prospect)
            .tag("Salon")
            .owner(me),
    )
    .unwrap();
    ws.create_contact(
        NewContact::new("Bureau Vallée")
            .kind(ContactKind::Supplier)
            .group(g),
    )
    .unwrap();
    ws.create_contact(NewContact::new("Autre").kind(ContactKind::Other("journaliste".into())))
        .unwrap();
    let names = |q: ContactQuery| {
        ws.contacts(&q)
            .into_iter()
            .map(|c| c.display_name)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(ContactQuery::default()),
        ["Autre", "Bureau Vallée", "Élodie Martin"]
    );
    assert_eq!(
        names(ContactQuery::default().kind(ContactKind::Prospect)),
        ["Élodie Martin"]
    );
    assert_eq!(
        names(ContactQuery::default().tag("salon")),
        ["Élodie Martin"]
    );
    assert_eq!(names(ContactQuery::default().owner(me)), ["Élodie Martin"]);
    assert_eq!(names(ContactQuery::default().group(g)), ["Bureau Vallée"]);
    assert_eq!(
        names(ContactQuery::default().text("elodie")),
        ["Élodie Martin"]
    );
    assert_eq!(
        names(ContactQuery::default().text("VALLEE")),
        ["Bureau Vallée"]
    );
}

#[test]
fn duplicates_by_email_phone_and_name() {
    let mut ws = founded();
    ws.create_contact(NewContact::new("A").email("Jo@Example.org"))
        .unwrap();
    ws.create_contact(NewContact::new("B").email("jo@example.org "))
        .unwrap();
    ws.create_contact(NewContact::new("C").phone("+33 (0)6 12 34 56 78"))
        .unwrap();
    ws.create_contact(NewContact::new("D").phone("+33 0 6 12-34-56-78"))
        .unwrap();
    ws.create_contact(NewContact::new("Jean Dupont").organisation("ACME"))
        .unwrap();
    ws.create_contact(NewContact::new("Jean Dupond").organisation("acme"))
        .unwrap();
    ws.create_contact(NewContact::new("Jean Dupont").organisation("Other"))
        .unwrap();
    let reasons: Vec<_> = ws.find_duplicates().into_iter().map(|d| d.reason).collect();
    assert_eq!(
        reasons,
        [
            cercle::DuplicateReason::SameEmail("jo@example.org".into()),
            cercle::DuplicateReason::SamePhone("+330612345678".into()),
            cercle::DuplicateReason::SimilarName,
        ]
    );
}

#[test]
fn glossary_workflow_order_and_search() {
    let mut lead = founded();
    lead.add_member(id(2).member_id(), Role::Member).unwrap();
    lead.add_member(id(3).member_id(), Role::Member).unwrap();
    let hub = lead.create_group(NewGroup::new("Convivialité")).unwrap();
    lead.set_group_role(hub, id(2).member_id(), GroupRole::Member)
        .unwrap();
    lead.set_group_role(hub, id(3).member_id(), GroupRole::Observer)
        .unwrap();
    let dico = lead
        .create_glossary(hub, "Dictionnaire amoureux de la convivialité", "fr", "")
        .unwrap();
    let mut member = copy_for(&mut lead, 2);
    let mut observer = copy_for(&mut lead, 3);
    let ete = member
        .add_entry(
            dico,
            NewEntry::new("été").definition("La saison des pique-niques.", "Un été au bureau"),
        )
        .unwrap();
    member.add_entry(dico, NewEntry::new("Zèle")).unwrap();
    member.add_entry(dico, NewEntry::new("apéro")).unwrap();
    member.add_entry(dico, NewEntry::new("Fête")).unwrap();
    member.set_entry_status(ete, EntryStatus::Proposed).unwrap();
    let refused = member
        .set_entry_status(ete, EntryStatus::Approved)
        .unwrap_err();
    assert!(refused.denied().is_some(), "{refused}");
    assert!(observer
        .add_entry(dico, NewEntry::new("x"))
        .unwrap_err()
        .denied()
        .is_some());
    member.commit();
    lead.merge(&member).unwrap();
    lead.set_entry_status(ete, EntryStatus::Approved).unwrap();
    lead.commit();
    let terms: Vec<String> = lead.entries(&dico).into_iter().map(|e| e.term).collect();
    assert_eq!(terms, ["apéro", "été", "Fête", "Zèle"]);
    assert_eq!(
        lead.entries_with_status(&dico, EntryStatus::Approved).len(),
        1
    );
    let found: Vec<String> = lead
        .search_entries(&dico, "ETE")
        .into_iter()
        .map(|e| e.term)
        .collect();
    assert_eq!(found, ["été", "Fête"]);
    assert_eq!(lead.search_entries(&dico, "pique-nique")[0].id, ete);
    let entry = lead.entry(&ete).unwrap();
    assert_eq!(entry.contributors, {
        let mut v = vec![id(1).member_id(), id(2).member_id()];
        v.sort();
        v
    });
    // Observers discuss the entry.
    observer.merge(&lead).unwrap();
    observer.comment(ete, "et l'hiver ?").unwrap();
    observer.commit();
    lead.merge(&observer).unwrap();
    assert_eq!(lead.comments(ete)[0].text, "et l'hiver ?");
}

#[test]
fn history_shows_who_changed_what_including_ignored_changes() {
    let mut owner = founded();
    owner.add_member(id(2).member_id(), Role::Member).unwrap();
    let c = owner.create_contact(NewContact::new("Client")).unwrap();
    let mut bob = copy_for(&mut owner, 2);
    bob.set_field(c.into(), Field::JobTitle, cercle::Value::Text("CEO".into()))
        .unwrap();
    bob.commit();
    owner.remove_member(id(2).member_id()).unwrap();
    owner.commit();
    owner.merge(&bob).unwrap();
    let history = owner.history(Subject::Object(c.into()));
    let bobs: Vec<_> = history
        .iter()
        .filter(|h| h.author == id(2).member_id())
        .collect();
    assert_eq!(bobs.len(), 1);
    assert_eq!(bobs[0].field, Some(Field::JobTitle));
    assert!(bobs[0].ignored.is_some(), "ignored changes are flagged");
    assert!(history
        .iter()
        .any(|h| h.author == id(1).member_id() && h.ignored.is_none()));
    assert!(!owner.history(Subject::Member(id(2).member_id())).is_empty());
}

#[test]
fn digest_reaches_those_concerned_and_nobody_else() {
    let mut a = founded();
    a.add_member(id(2).member_id(), Role::Member).unwrap();
    a.add_member(id(3).member_id(), Role::Member).unwrap();
    let g = a
        .create_group(NewGroup::new("Catalogue").open(false))
        .unwrap();
    a.set_group_role(g, id(2).member_id(), GroupRole::Member)
        .unwrap();
    a.commit();
    let mark = a.heads();
    let c = a
        .create_contact(NewContact::new("Fournisseur").group(g))
        .unwrap();
    a.create_event(
        NewEvent::new(EventKind::Meeting, "choix")
            .group(g)
            .contact(c),
    )
    .unwrap();
    a.commit();
    let inside = a.digest(&id(2).member_id(), &Since::Heads(mark.clone()));
    let outside = a.digest(&id(3).member_id(), &Since::Heads(mark.clone()));
    let titles: Vec<&str> = inside.items.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(titles, ["Fournisseur", "choix"]);
    assert!(outside.items.is_empty(), "{:?}", outside.items);
    assert!(
        a.digest(&id(1).member_id(), &Since::Heads(mark))
            .items
            .is_empty(),
        "own changes are left out"
    );
    let long_ago = "2000-01-01T00:00:00Z".parse().unwrap();
    assert!(
        a.digest(&id(2).member_id(), &Since::Time(long_ago))
            .items
            .len()
            >= 2
    );
    assert!(!a.group_activity(&g, 10).is_empty());
}

#[test]
fn saved_content_round_trips_through_load() {
    let mut a = founded();
    let c = a
        .create_contact(
            NewContact::new("Élodie")
                .notes("née à Lyon 🙂")
                .custom("siret", "123"),
        )
        .unwrap();
    let saved = a.save();
    let b = Workspace::load(id(1), &saved).unwrap();
    assert_eq!(a.contact(&c), b.contact(&c));
    assert_eq!(b.contact(&c).unwrap().custom["siret"], "123");
    assert_eq!(b.text(&c.into(), &Field::Notes), "née à Lyon 🙂");
}

#[test]
fn authors_and_group_leads_edit_events_other_members_comment() {
    let mut lead = founded();
    lead.add_member(id(2).member_id(), Role::Member).unwrap();
    lead.add_member(id(3).member_id(), Role::Member).unwrap();
    let g = lead.create_group(NewGroup::new("Catalogue")).unwrap();
    lead.set_group_role(g, id(2).member_id(), GroupRole::Member)
        .unwrap();
    lead.set_group_role(g, id(3).member_id(), GroupRole::Member)
        .unwrap();
    let mut author = copy_for(&mut lead, 2);
    let e = author
        .create_event(NewEvent::new(EventKind::Meeting, "mine").group(g))
        .unwrap();
    author
        .set_field(
            e.into(),
            Field::Location,
            cercle::Value::Text("café".into()),
        )
        .unwrap();
    author.commit();
    let mut other = copy_for(&mut author, 3);
    let refused = other
        .set_field(
            e.into(),
            Field::Location,
            cercle::Value::Text("ailleurs".into()),
        )
        .unwrap_err();
    assert!(refused.denied().is_some(), "{refused}");
    assert!(other
        .add_agenda_item(e, "hijack")
        .unwrap_err()
        .denied()
        .is_some());
    other.comment(e, "I'll be there").unwrap();
    lead.merge(&author).unwrap();
    lead.add_agenda_item(e, "a lead may").unwrap();
    lead.retract_event(e).unwrap();
    assert!(lead.event(&e).unwrap().retracted);
}
