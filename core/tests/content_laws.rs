//! The merge rules of content, each as a property: registers, sets, text, archive, merge
//! of contacts, strong remove of content, transparency of events.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use cercle::{
    AttendeeRole, ContactQuery, EventKind, Field, GroupRole, NewContact, NewEvent, NewGroup, Party,
    Role, Value, Workspace,
};
use common::{copy_for, founded, id, state};
use proptest::prelude::*;

/// A founder and two members (2, 3) of a group, with a contact shared with it; returns the
/// three copies, the contact and the group.
fn team() -> (
    Workspace,
    Workspace,
    Workspace,
    cercle::ObjectId,
    cercle::GroupId,
) {
    let mut a = founded();
    a.add_member(id(2).member_id(), Role::Member).unwrap();
    a.add_member(id(3).member_id(), Role::Member).unwrap();
    let g = a.create_group(NewGroup::new("Catalogue")).unwrap();
    a.set_group_role(g, id(2).member_id(), GroupRole::Member)
        .unwrap();
    a.set_group_role(g, id(3).member_id(), GroupRole::Member)
        .unwrap();
    let c = a
        .create_contact(NewContact::new("Ergonomie Services").group(g))
        .unwrap();
    let b = copy_for(&mut a, 2);
    let d = copy_for(&mut a, 3);
    (a, b, d, c.into(), g)
}

fn exchange(x: &mut Workspace, y: &mut Workspace) {
    let (bx, by) = (x.save(), y.save());
    x.apply(&by).unwrap();
    y.apply(&bx).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Law: a single-valued field is last writer wins by causal order (Lamport counter,
    /// then author); concurrent values stay inspectable through `conflicts` on every copy,
    /// and a later write resolves them.
    #[test]
    fn registers_are_lww_with_inspectable_conflicts(x in "[a-z]{1,8}", y in "[a-z]{1,8}", extra in 0usize..3) {
        let (_, mut b, mut d, c, _) = team();
        // Extra edits advance one side's counter: causal order, not arrival, decides.
        for i in 0..extra {
            d.set_field(c, Field::JobTitle, Value::Text(format!("t{i}"))).unwrap();
        }
        b.set_field(c, Field::Organisation, Value::Text(x.clone())).unwrap();
        d.set_field(c, Field::Organisation, Value::Text(y.clone())).unwrap();
        exchange(&mut b, &mut d);
        prop_assert_eq!(state(&mut b), state(&mut d));
        let conflicts = b.conflicts(&c, &Field::Organisation);
        prop_assert_eq!(conflicts.len(), 2);
        let winner = conflicts.iter().max_by_key(|(at, _)| *at).map(|(_, v)| v.clone());
        prop_assert_eq!(b.field(&c, &Field::Organisation), winner);
        b.set_field(c, Field::Organisation, Value::Text("resolved".into())).unwrap();
        exchange(&mut b, &mut d);
        prop_assert_eq!(d.conflicts(&c, &Field::Organisation).len(), 1);
        prop_assert_eq!(d.field(&c, &Field::Organisation), Some(Value::Text("resolved".into())));
    }

    /// Law: multi-valued fields are add-wins sets: a concurrent add and remove of the same
    /// value keeps it; a remove that saw the add removes it.
    #[test]
    fn sets_are_add_wins(email in "[a-z]{1,6}@x\\.org") {
        let (mut a, mut b, mut d, c, _) = team();
        a.add_value(c, Field::Emails, Value::Text(email.clone())).unwrap();
        exchange(&mut a, &mut b);
        exchange(&mut a, &mut d);
        b.remove_value(c, Field::Emails, Value::Text(email.clone())).unwrap();
        d.add_value(c, Field::Emails, Value::Text(email.clone())).unwrap();
        d.commit();
        // d's add is a no-op (already present); a fresh concurrent add comes from a.
        a.remove_value(c, Field::Emails, Value::Text(email.clone())).unwrap();
        a.add_value(c, Field::Emails, Value::Text(email.clone())).unwrap();
        exchange(&mut a, &mut b);
        exchange(&mut a, &mut d);
        exchange(&mut b, &mut d);
        let contact = b.contact(&c.into()).unwrap();
        prop_assert!(contact.emails.contains(&email));
        prop_assert_eq!(state(&mut a), state(&mut b));
        b.remove_value(c, Field::Emails, Value::Text(email.clone())).unwrap();
        exchange(&mut a, &mut b);
        prop_assert!(!a.contact(&c.into()).unwrap().emails.contains(&email));
    }

    /// Law: concurrent edits to one text both survive, and two people typing at the same
    /// spot do not get their characters interleaved; positions count characters, so
    /// accents and emoji are never split.
    #[test]
    fn concurrent_text_edits_survive_without_interleaving(
        base in "[a-zé🙂 ]{0,12}", x in "[A-Zé🙂]{1,8}", y in "[0-9à]{1,8}", at in any::<prop::sample::Index>()
    ) {
        let (mut a, mut b, mut d, c, _) = team();
        a.set_text(c, Field::Notes, &base).unwrap();
        exchange(&mut a, &mut b);
        exchange(&mut a, &mut d);
        let pos = at.index(base.chars().count() + 1);
        b.splice_text(c, Field::Notes, pos, 0, &x).unwrap();
        d.splice_text(c, Field::Notes, pos, 0, &y).unwrap();
        exchange(&mut b, &mut d);
        let merged = b.text(&c, &Field::Notes);
        prop_assert_eq!(&merged, &d.text(&c, &Field::Notes));
        let prefix: String = base.chars().take(pos).collect();
        let suffix: String = base.chars().skip(pos).collect();
        let xy = format!("{prefix}{x}{y}{suffix}");
        let yx = format!("{prefix}{y}{x}{suffix}");
        prop_assert!(merged == xy || merged == yx, "{merged:?} interleaves {x:?} and {y:?}");
    }

    /// Law: typing a run one character at a time, with deletions in between, in one open
    /// change, shows what the keys typed (as splicing a string would), and the same text
    /// on the typist's copy as on every copy that receives the change (consecutive inserts
    /// travel as one operation, consecutive deletes too) — and the same merge with a
    /// concurrent edit as typing it at once would give.
    #[test]
    fn typing_key_by_key_reads_the_same_everywhere(
        keys in proptest::collection::vec(
            (0usize..4, any::<prop::sample::Index>(), 0usize..4, "[a-zé🙂]{0,2}"), 1..40
        ),
        other in "[0-9]{1,4}",
    ) {
        let (mut a, mut b, _, c, _) = team();
        a.set_text(c, Field::Notes, "début fin").unwrap();
        exchange(&mut a, &mut b);
        b.splice_text(c, Field::Notes, 0, 0, &other).unwrap();
        let mut cursor = 6;
        let mut expected: Vec<char> = "début fin".chars().collect();
        for (jump, at, delete, insert) in keys {
            let len = a.text(&c, &Field::Notes).chars().count();
            // Mostly type at the cursor; sometimes jump elsewhere; sometimes delete.
            if jump == 0 { cursor = at.index(len + 1); }
            let mut cursor_now = cursor.min(len);
            let delete = match delete {
                0 => 1.min(len - cursor_now), // forward delete
                1 if cursor_now > 0 => {
                    cursor_now -= 1; // backspace
                    1
                }
                _ => 0,
            };
            a.splice_text(c, Field::Notes, cursor_now, delete, &insert).unwrap();
            expected.splice(cursor_now..cursor_now + delete, insert.chars());
            prop_assert_eq!(a.text(&c, &Field::Notes), expected.iter().collect::<String>());
            cursor = cursor_now + insert.chars().count();
        }
        a.commit();
        let typed = a.text(&c, &Field::Notes);
        let mut fresh = Workspace::load(id(9), &a.save()).unwrap();
        prop_assert_eq!(&fresh.text(&c, &Field::Notes), &typed);
        exchange(&mut a, &mut b);
        prop_assert_eq!(a.text(&c, &Field::Notes), b.text(&c, &Field::Notes));
        exchange(&mut fresh, &mut b);
        prop_assert_eq!(fresh.text(&c, &Field::Notes), b.text(&c, &Field::Notes));
    }

    /// Law: archiving and a concurrent edit both hold: the contact stays archived, the
    /// edit is kept and shows once it is restored.
    #[test]
    fn archive_and_concurrent_edit_both_hold(org in "[a-z]{1,8}") {
        let (_, mut b, mut d, c, _) = team();
        b.archive_contact(c.into()).unwrap();
        d.set_field(c, Field::Organisation, Value::Text(org.clone())).unwrap();
        exchange(&mut b, &mut d);
        prop_assert_eq!(state(&mut b), state(&mut d));
        let contact = b.contact(&c.into()).unwrap();
        prop_assert!(contact.archived);
        prop_assert_eq!(contact.organisation.as_deref(), Some(org.as_str()));
        prop_assert!(b.contacts(&ContactQuery::default()).is_empty());
        b.restore_contact(c.into()).unwrap();
        prop_assert_eq!(b.contacts(&ContactQuery::default()).len(), 1);
    }

    /// Law: a removed member's offline CRM edits, concurrent with the removal, are ignored
    /// on every copy; their edits from before stay.
    #[test]
    fn strong_remove_covers_crm_edits(n in 1usize..4) {
        let (mut a, mut b, _, c, _) = team();
        b.set_field(c, Field::JobTitle, Value::Text("before".into())).unwrap();
        exchange(&mut a, &mut b);
        for i in 0..n {
            b.set_field(c, Field::Organisation, Value::Text(format!("offline {i}"))).unwrap();
            b.create_contact(NewContact::new(format!("offline contact {i}"))).unwrap();
            b.commit();
        }
        a.remove_member(id(2).member_id()).unwrap();
        exchange(&mut a, &mut b);
        prop_assert_eq!(state(&mut a), state(&mut b));
        let contact = a.contact(&c.into()).unwrap();
        prop_assert_eq!(contact.organisation, None);
        prop_assert_eq!(contact.job_title.as_deref(), Some("before"));
        prop_assert_eq!(a.contacts(&ContactQuery::default()).len(), 1);
    }

    /// Law: removal from a group (or demotion to observer) ignores the member's concurrent
    /// writes to that group's content, while they keep commenting as an observer.
    #[test]
    fn group_demotion_ignores_concurrent_content_writes(n in 1usize..4) {
        let (mut a, mut b, _, c, g) = team();
        for i in 0..n {
            b.set_field(c, Field::Address, Value::Text(format!("rue {i}"))).unwrap();
            b.commit();
        }
        b.comment(c, "still watching").unwrap();
        b.commit();
        a.set_group_role(g, id(2).member_id(), GroupRole::Observer).unwrap();
        exchange(&mut a, &mut b);
        prop_assert_eq!(a.contact(&c.into()).unwrap().address, None);
        prop_assert_eq!(a.comments(c).len(), 1);
        prop_assert_eq!(state(&mut a), state(&mut b));
    }
}

/// Merging contact B into A: fields and sets combined, B's events and comments on A's
/// timeline, and edits made to B concurrently with the merge land on A.
#[test]
fn merged_contacts_combine_and_receive_concurrent_edits() {
    let (mut a, mut b, _, c1, g) = team();
    let c2: cercle::ObjectId = a
        .create_contact(
            NewContact::new("Ergonomie Service")
                .email("contact@ergonomie.example")
                .group(g),
        )
        .unwrap()
        .into();
    let e = a
        .create_event(NewEvent::new(EventKind::Call, "first call").contact(c2.into()))
        .unwrap();
    a.comment(c2, "met at the fair").unwrap();
    exchange(&mut a, &mut b);
    let dups = a.find_duplicates();
    assert!(
        dups.iter()
            .any(|d| d.reason == cercle::DuplicateReason::SimilarName),
        "{dups:?}"
    );
    // a merges c2 into c1 while b, offline, edits c2.
    a.merge_contacts(c2.into(), c1.into()).unwrap();
    b.add_value(c2, Field::Phones, Value::Text("+33 1 23 45 67 89".into()))
        .unwrap();
    exchange(&mut a, &mut b);
    let merged = a.contact(&c1.into()).unwrap();
    assert_eq!(merged.emails, ["contact@ergonomie.example"]);
    assert_eq!(merged.phones, ["+33 1 23 45 67 89"]);
    assert_eq!(merged.merged_from, [c2.into()]);
    assert_eq!(
        a.timeline(&c1.into())
            .iter()
            .map(|x| x.id)
            .collect::<Vec<_>>(),
        [e]
    );
    assert_eq!(a.comments(c1).len(), 1);
    assert_eq!(a.contacts(&ContactQuery::default()).len(), 1);
    assert_eq!(state(&mut a), state(&mut b));
}

/// Transparency: an event's audience is its member attendees plus its groups' members,
/// the same on every copy; there is no hidden recipient.
#[test]
fn audience_is_attendees_plus_group_members() {
    let (mut a, mut b, _, c, g) = team();
    let outsider = id(9).member_id();
    a.add_member(outsider, Role::Member).unwrap();
    let e = a
        .create_event(
            NewEvent::new(EventKind::Meeting, "review")
                .contact(c.into())
                .group(g)
                .attendee(Party::Member(outsider), AttendeeRole::Informed)
                .attendee(Party::Contact(c), AttendeeRole::Required),
        )
        .unwrap();
    exchange(&mut a, &mut b);
    let mut expected = vec![
        id(1).member_id(),
        id(2).member_id(),
        id(3).member_id(),
        outsider,
    ];
    expected.sort();
    assert_eq!(a.audience(&e), expected);
    assert_eq!(b.audience(&e), expected);
    // A member outside the group and not attending is not concerned.
    let mut other = founded();
    other.add_member(id(8).member_id(), Role::Member).unwrap();
    assert!(!a.audience(&e).contains(&id(8).member_id()));
}
