//! Forged, corrupt and foreign input: always a typed error, never a panic, never a change.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::Arc;

use cercle::{ApplyError, Identity, NewGroup, Rejection, Role, SteppingClock, Workspace};
use common::gen::{actions, run, setup, union};
use common::{clock, copy_for, founded, id, state, sync};
use proptest::prelude::*;

fn small_saved() -> Vec<u8> {
    let mut ws = founded();
    ws.add_member(id(2).member_id(), Role::Member).unwrap();
    ws.create_group(NewGroup::new("Catalogue")).unwrap();
    ws.commit();
    ws.save()
}

/// Law: every truncation and every single-byte corruption of a saved workspace is
/// rejected with an error, never a panic.
#[test]
fn every_truncation_and_byte_flip_of_a_saved_workspace_is_rejected() {
    let saved = small_saved();
    assert!(Workspace::load(id(1), &saved).is_ok());
    for len in 0..saved.len() {
        assert!(
            Workspace::load(id(1), &saved[..len]).is_err(),
            "truncated to {len}"
        );
    }
    for i in 0..saved.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut bad = saved.clone();
            bad[i] ^= flip;
            assert!(
                Workspace::load(id(1), &bad).is_err(),
                "byte {i} ^ {flip:#x}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Law: forgery has no effect. Applying a bundle with any byte flipped leaves the state
    /// unchanged and reports an error.
    #[test]
    fn a_flipped_byte_anywhere_leaves_state_unchanged(at in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let mut owner = founded();
        owner.add_member(id(2).member_id(), Role::Member).unwrap();
        let mut bob = copy_for(&mut owner, 2);
        bob.create_group(NewGroup::new("Bob's")).unwrap();
        let bundle = bob.save_since(&owner.heads());
        let mut bad = bundle.clone();
        let i = at.index(bad.len());
        bad[i] ^= flip;
        let before = state(&mut owner);
        prop_assert!(owner.apply(&bad).is_err());
        prop_assert_eq!(state(&mut owner), before);
        prop_assert!(owner.apply(&bundle).is_ok());
    }

    /// Law: random bytes never panic; they give a typed error.
    #[test]
    fn random_bytes_are_rejected(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut ws = founded();
        let before = state(&mut ws);
        let _ = ws.apply(&bytes);
        for version in [1u8, 2, 3] {
            let mut prefixed = b"CRCL".to_vec();
            prefixed.push(version);
            prefixed.extend(&bytes);
            let _ = ws.apply(&prefixed);
            let mut prefixed = b"CRCS".to_vec();
            prefixed.push(version);
            prefixed.extend(&bytes);
            let _ = ws.receive_sync_message(&mut cercle::SyncState::new(), &prefixed);
        }
        prop_assert!(Workspace::load(id(1), &bytes).is_err());
        let _ = ws.receive_sync_message(&mut cercle::SyncState::new(), &bytes);
        prop_assert_eq!(state(&mut ws), before);
    }

    /// Law: authority comes from the causal past only; the wall-clock time a change carries
    /// changes no validity decision.
    #[test]
    fn wall_clock_time_changes_no_validity_decision(setup in setup(), actions in actions(30), start in 0i64..4_000_000_000_000, step in -1_000_000i64..1_000_000) {
        let verdicts = |copies: &mut [Workspace]| {
            let all = union(copies);
            let mut v: Vec<_> = all.changes().into_iter().map(|c| (c.author, c.seq, matches!(c.status, cercle::ChangeStatus::Valid))).collect();
            v.sort();
            v
        };
        let mut normal = run(&setup, &actions);
        let mut shifted = run(&setup, &actions);
        let other = Arc::new(SteppingClock::new(chrono::DateTime::from_timestamp_millis(start).unwrap(), step));
        for c in &mut shifted { c.set_clock(other.clone()); }
        let _ = &mut shifted;
        prop_assert_eq!(verdicts(&mut normal), verdicts(&mut shifted));
    }
}

/// Law: default deny. A key never added has no rights: its changes are rejected as coming
/// from an unknown author, and the workspace is unchanged.
#[test]
fn a_key_never_added_has_no_rights() {
    let mut owner = founded();
    let saved = owner.save();
    let mut stranger = Workspace::load(id(9), &saved).unwrap();
    assert!(stranger
        .create_group(NewGroup::new("mine"))
        .unwrap_err()
        .denied()
        .is_some());
    assert!(stranger.rename("taken").is_err());
    assert!(!stranger.has_uncommitted());
    assert_eq!(stranger.role(&id(9).member_id()), None);
}

#[test]
fn unknown_author_changes_are_rejected_with_a_typed_error() {
    let mut owner = founded();
    // A copy that believes the stranger is a member: the founder's key is not needed to
    // make it, only the stranger's own, so it cannot convince anyone else.
    let mut fake = Workspace::load(id(1), &owner.save()).unwrap();
    fake.add_member(id(9).member_id(), Role::Owner).unwrap();
    let add = fake.commit().unwrap();
    let mut stranger = Workspace::load(id(9), &fake.save()).unwrap();
    stranger.create_group(NewGroup::new("mine")).unwrap();
    stranger.commit();
    // Without the change that added the stranger, their change names an unknown dep and
    // waits; the founder's real copy never sees it applied.
    let bundle = stranger.save_since(&[add]);
    let before = state(&mut owner);
    let report = owner.apply(&bundle).unwrap();
    assert_eq!(report.applied.len(), 0);
    assert_eq!(report.pending.len(), 1);
    assert_eq!(report.pending[0].missing, vec![add]);
    let _ = before;
    // A change by an author never added anywhere in its past is rejected outright.
    let lone = Workspace::create_with_clock(Identity::from_secret_bytes([9; 32]), "x", clock());
    let mut lone = lone;
    let err = owner.apply(&lone.save()).unwrap_err();
    assert!(
        matches!(
            err,
            ApplyError::Rejected {
                reason: Rejection::ForeignWorkspace,
                ..
            }
        ),
        "{err}"
    );
}

/// Law: sync converges from divergent copies, and the bytes sent grow with the
/// difference, not with the history.
#[test]
fn sync_bytes_grow_with_the_difference_not_the_history() {
    let mut a = founded();
    a.add_member(id(2).member_id(), Role::Admin).unwrap();
    // A history that does not compress away: names that look random.
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..3000 {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        a.rename(&format!("{x:016x}")).unwrap();
        a.commit();
    }
    let mut b = copy_for(&mut a, 2);
    let full = a.save().len();
    a.rename("a's edit").unwrap();
    b.set_display_name("b's edit").unwrap();
    let (messages, bytes) = sync(&mut a, &mut b);
    assert_eq!(a.heads(), b.heads());
    assert!(messages <= 6, "{messages} messages");
    assert!(
        bytes * 10 < full,
        "{bytes} bytes for a 2-change difference, history {full} bytes"
    );
    // Ten more changes on each side cost more than one, but still a fraction of the history.
    for i in 0..10 {
        a.rename(&format!("a {i}")).unwrap();
        a.commit();
        b.set_display_name(&format!("b {i}")).unwrap();
        b.commit();
    }
    let (_, bytes10) = sync(&mut a, &mut b);
    assert!(
        bytes10 > bytes && bytes10 * 3 < full,
        "{bytes10} vs {bytes} vs {full}"
    );
    assert_eq!(state(&mut a), state(&mut b));
}

proptest! {
    /// Law: every text form the bindings read (ids, names of roles, kinds and statuses,
    /// fields, parties, field values) either parses or gives a typed error — never a
    /// panic, whatever the string; and what parses prints back to the same text.
    #[test]
    fn text_forms_parse_or_refuse_and_round_trip(text in "\\PC{0,80}", pick in 0usize..4) {
        use cercle::{
            AttendeeRole, ChangeHash, ContactKind, EntryStatus, EventKind, EventStatus, Field,
            GroupId, GroupRole, MemberId, ObjectId, Party,
        };
        // Strings that look like the real thing, and arbitrary ones.
        let text = match pick {
            0 => text,
            1 => text.to_lowercase().replace(' ', "_"),
            2 => format!("custom:{text}"),
            _ => text.chars().filter(char::is_ascii_hexdigit).collect::<String>().to_lowercase(),
        };
        fn round<T: std::str::FromStr + std::fmt::Display>(text: &str) -> Result<(), String> {
            match text.parse::<T>() {
                Ok(v) if v.to_string() != text => Err(format!("{text:?} printed as {v}")),
                _ => Ok(()),
            }
        }
        round::<Role>(&text).map_err(TestCaseError::fail)?;
        round::<GroupRole>(&text).map_err(TestCaseError::fail)?;
        round::<EventKind>(&text).map_err(TestCaseError::fail)?;
        round::<EventStatus>(&text).map_err(TestCaseError::fail)?;
        round::<EntryStatus>(&text).map_err(TestCaseError::fail)?;
        round::<AttendeeRole>(&text).map_err(TestCaseError::fail)?;
        round::<MemberId>(&text).map_err(TestCaseError::fail)?;
        round::<GroupId>(&text).map_err(TestCaseError::fail)?;
        round::<ObjectId>(&text).map_err(TestCaseError::fail)?;
        round::<ChangeHash>(&text).map_err(TestCaseError::fail)?;
        round::<Party>(&text).map_err(TestCaseError::fail)?;
        // Names are trimmed; free contact kinds keep their label.
        if let Ok(kind) = ContactKind::parse(&text) {
            prop_assert_eq!(ContactKind::parse(kind.as_str()).ok(), Some(kind));
        }
        if let Ok(field) = text.parse::<Field>() {
            prop_assert_eq!(field.to_string().parse::<Field>().ok(), Some(field.clone()));
            let _ = field.parse_value(&text);
        }
    }
}

/// Law: a change that travels without its own signature is stored only with the later
/// change of its author that vouches for it. When that change waits for a dependency, so
/// does the vouched one (reported as waiting for its voucher) — unless it arrives again
/// with its own signature. Both are stored once the dependency arrives, and the copy can
/// then send them on.
#[test]
fn a_change_without_its_signature_waits_for_the_change_that_vouches_for_it() {
    let mut alice = founded();
    alice.add_member(id(2).member_id(), Role::Admin).unwrap();
    alice.commit();
    let mut bob = copy_for(&mut alice, 2);
    let mut carol = copy_for(&mut alice, 2);
    // Bob's change, then one of Alice's; Alice merges Bob's, then builds on both.
    bob.create_group(NewGroup::new("Bob's")).unwrap();
    bob.commit();
    alice.create_group(NewGroup::new("First")).unwrap();
    let first = alice.commit().unwrap();
    alice.merge(&bob).unwrap();
    alice.create_group(NewGroup::new("Second")).unwrap();
    let second = alice.commit().unwrap();
    // Forwarding Alice's first change alone brings her second, which vouches for it.
    let forwarded = alice.save_since(&[]);
    let relay = Workspace::load(id(3), &forwarded).unwrap();
    let bundle = relay.encode_changes(&[first]);
    let before = state(&mut carol);
    let report = carol.apply(&bundle).unwrap();
    assert!(report.applied.is_empty(), "{report:?}");
    let mut waiting: Vec<_> = report
        .pending
        .iter()
        .map(|p| (p.hash, p.missing.clone()))
        .collect();
    waiting.sort();
    let bobs = bob.heads();
    let mut second_waits = bobs.clone();
    second_waits.push(first);
    second_waits.sort();
    let mut expected = vec![(first, vec![second]), (second, second_waits)];
    expected.sort();
    assert_eq!(waiting, expected);
    assert_eq!(state(&mut carol), before);
    // Alice sends her first change herself, signed: it no longer waits.
    let report = carol.apply(&alice.encode_changes(&[first])).unwrap();
    assert_eq!((report.applied, report.duplicates), (vec![first], 1));
    assert_eq!(report.pending.len(), 1);
    // Bob's change arrives: all three are stored, and Carol sends them on to a new copy.
    carol.apply(&bob.encode_changes(&bobs)).unwrap();
    assert_eq!(state(&mut carol), state(&mut alice));
    let mut dave = Workspace::load(id(4), &carol.save()).unwrap();
    assert_eq!(state(&mut dave), state(&mut alice));
}

/// Law: a creation is judged with its first values, each as the write or addition it
/// stands for (with the same rights), and a refused one creates nothing; a write or an
/// addition to a field that merges the other way is refused. Judged alike by the copy
/// that made it and by the copies it reaches.
#[test]
fn a_creation_is_judged_with_its_first_values() {
    use cercle::{
        ChangeStatus, ContactQuery, EntryStatus, Field, NewContact, ObjectKind, Op, Value,
    };
    let mut owner = founded();
    owner.add_member(id(2).member_id(), Role::Member).unwrap();
    let hub = owner.create_group(NewGroup::new("Convivialité")).unwrap();
    let glossary = owner
        .create_glossary(hub, "Dictionnaire", "fr", "")
        .unwrap();
    let client = owner.create_contact(NewContact::new("Client")).unwrap();
    owner.commit();
    let mut member = copy_for(&mut owner, 2);
    // A member of the glossary's group, not one of its leads.
    member.join_group(hub).unwrap();
    member.commit();
    let entry = |status| Op::CreateWith {
        kind: ObjectKind::Entry,
        parent: Some(glossary.into()),
        groups: Vec::new(),
        values: vec![
            (Field::Term, Value::Text("Été".into())),
            (Field::EntryStatus, Value::EntryStatus(status)),
        ],
    };
    let contact = |values: Vec<(Field, Value)>| Op::CreateWith {
        kind: ObjectKind::Contact,
        parent: None,
        groups: Vec::new(),
        values,
    };
    let text = |field: Field, t: &str| (field, Value::Text(t.into()));
    let email = text(Field::Emails, "a@example.org");
    let emails = |n: usize| -> Vec<(Field, Value)> {
        (0..n)
            .map(|i| text(Field::Emails, &format!("{i}@example.org")))
            .collect()
    };
    let cases = [
        (entry(EntryStatus::Draft), true),
        // Only the group's leads approve an entry.
        (entry(EntryStatus::Approved), false),
        (
            contact(vec![text(Field::DisplayName, "a"), email.clone()]),
            true,
        ),
        // A single-valued field given twice.
        (
            contact(vec![
                text(Field::DisplayName, "a"),
                text(Field::DisplayName, "b"),
            ]),
            false,
        ),
        // One value added twice.
        (contact(vec![email.clone(), email.clone()]), false),
        // Many values, all different; the same with one repeated.
        (contact(emails(20)), true),
        (contact([emails(20), emails(1)].concat()), false),
        // A text field: its text is inserted.
        (contact(vec![text(Field::Notes, "n")]), false),
        // Not a contact's field.
        (contact(vec![text(Field::Term, "t")]), false),
        // A multi-valued field written, a single-valued one added to.
        (
            Op::Set {
                object: client.into(),
                field: Field::Emails,
                value: Value::Text("b@example.org".into()),
                pred: Vec::new(),
            },
            false,
        ),
        (
            Op::Add {
                object: client.into(),
                field: Field::Organisation,
                value: Value::Text("ACME".into()),
            },
            false,
        ),
    ];
    // The content: contacts and entries.
    let content = |ws: &Workspace| {
        let contacts = ws.contacts(&ContactQuery::default());
        let entries = ws.entries(&glossary);
        (
            contacts.len() + entries.len(),
            format!("{contacts:?}{entries:?}"),
        )
    };
    for (op, valid) in cases {
        let before = content(&member);
        let hash = member.commit_unchecked(vec![op.clone()]).unwrap();
        let status = member.change_status(&hash).unwrap();
        assert_eq!(status == ChangeStatus::Valid, valid, "{op:?}: {status:?}");
        if valid {
            assert_eq!(content(&member).0, before.0 + 1, "{op:?}");
        } else {
            assert_eq!(content(&member), before, "{op:?}");
        }
    }
    owner.merge(&member).unwrap();
    assert_eq!(state(&mut owner), state(&mut member));
}

/// Law: every text edit of a change is judged, even among a run of edits: one of a text
/// its author may edit does not let the next one edit a text they may not. Judged alike
/// by the copy that made the change and by the copies it reaches.
#[test]
fn each_text_a_change_edits_is_judged() {
    use cercle::{ChangeStatus, Field, NewEntry, Op};
    let mut owner = founded();
    owner.add_member(id(2).member_id(), Role::Member).unwrap();
    let sense_of = |ws: &mut Workspace, group| {
        let glossary = ws.create_glossary(group, "g", "fr", "").unwrap();
        let entry = ws.add_entry(glossary, NewEntry::new("Été")).unwrap();
        ws.add_sense(entry, "", "").unwrap()
    };
    let hub = owner.create_group(NewGroup::new("Convivialité")).unwrap();
    let open = sense_of(&mut owner, hub);
    // A group the member is not in: its glossary is not theirs to edit.
    let board = owner.create_group(NewGroup::new("Conseil")).unwrap();
    let closed = sense_of(&mut owner, board);
    owner.commit();
    let mut member = copy_for(&mut owner, 2);
    member.join_group(hub).unwrap();
    member.commit();
    let insert = |sense: cercle::SenseId, text: &str| Op::Insert {
        object: sense.into(),
        field: Field::Definition,
        after: None,
        text: text.into(),
    };
    let cases = [
        (vec![insert(open, "a"), insert(open, "b")], true),
        (vec![insert(open, "a"), insert(closed, "b")], false),
        (vec![insert(closed, "a"), insert(closed, "b")], false),
        (
            vec![insert(open, "a"), insert(closed, "b"), insert(open, "c")],
            false,
        ),
    ];
    for (ops, valid) in cases {
        let hash = member.commit_unchecked(ops.clone()).unwrap();
        let status = member.change_status(&hash).unwrap();
        assert_eq!(status == ChangeStatus::Valid, valid, "{ops:?}: {status:?}");
    }
    assert_eq!(member.text(&open.into(), &Field::Definition).len(), 2);
    owner.merge(&member).unwrap();
    assert_eq!(
        owner.text(&closed.into(), &Field::Definition),
        member.text(&closed.into(), &Field::Definition)
    );
    assert_eq!(owner.text(&closed.into(), &Field::Definition), "");
    assert_eq!(state(&mut owner), state(&mut member));
}
