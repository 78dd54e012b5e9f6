//! The permission rules on small, named scenarios.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use cercle::{
    ChangeStatus, EditError, Field, GroupRole, IgnoredReason, NewContact, NewGroup, Role,
};
use common::*;

#[test]
fn strong_remove_ignores_concurrent_changes_of_the_removed_member() {
    let mut owner = founded();
    owner.add_member(id(2).member_id(), Role::Member).unwrap();
    let mut bob = copy_for(&mut owner, 2);
    // Offline, Bob creates a group; meanwhile the owner removes him.
    bob.create_group(NewGroup::new("Bob's group")).unwrap();
    let bobs = bob.commit().unwrap();
    owner.remove_member(id(2).member_id()).unwrap();
    let removal = owner.commit().unwrap();
    owner.merge(&bob).unwrap();
    bob.merge(&owner).unwrap();
    for ws in [&owner, &bob] {
        assert!(ws.groups().is_empty());
        assert_eq!(
            ws.why_ignored(&bobs),
            Some(IgnoredReason::Revoked { by: removal })
        );
        assert_eq!(ws.role(&id(2).member_id()), None);
    }
    assert_eq!(state(&mut owner), state(&mut bob));
}

#[test]
fn changes_before_the_removal_stay_valid() {
    let mut owner = founded();
    owner.add_member(id(2).member_id(), Role::Member).unwrap();
    let mut bob = copy_for(&mut owner, 2);
    let g = bob.create_group(NewGroup::new("Catalogue")).unwrap();
    let before = bob.commit().unwrap();
    owner.merge(&bob).unwrap();
    owner.remove_member(id(2).member_id()).unwrap();
    owner.commit();
    assert_eq!(owner.change_status(&before), Some(ChangeStatus::Valid));
    assert!(owner.group(&g).is_some());
}

#[test]
fn invalidation_is_transitive() {
    let mut owner = founded();
    owner.add_member(id(2).member_id(), Role::Admin).unwrap();
    let mut admin = copy_for(&mut owner, 2);
    // Offline, the admin adds Carol, who then creates a group on the strength of it.
    admin.add_member(id(3).member_id(), Role::Member).unwrap();
    let mut carol = copy_for(&mut admin, 3);
    carol.create_group(NewGroup::new("Carol's")).unwrap();
    let carols = carol.commit().unwrap();
    owner.remove_member(id(2).member_id()).unwrap();
    owner.commit();
    owner.merge(&carol).unwrap();
    assert_eq!(owner.role(&id(3).member_id()), None);
    assert!(owner.groups().is_empty());
    assert!(matches!(
        owner.why_ignored(&carols),
        Some(IgnoredReason::Unauthorized { .. })
    ));
}

#[test]
fn concurrent_re_add_does_not_restore_but_a_later_one_does() {
    let mut owner = founded();
    let (a, b) = (id(2).member_id(), id(3).member_id());
    owner.add_member(a, Role::Admin).unwrap();
    owner.add_member(b, Role::Member).unwrap();
    let mut admin = copy_for(&mut owner, 2);
    owner.remove_member(b).unwrap();
    owner.commit();
    admin.remove_member(b).unwrap();
    admin.commit();
    admin.add_member(b, Role::Member).unwrap();
    admin.commit();
    owner.merge(&admin).unwrap();
    assert_eq!(
        owner.role(&b),
        None,
        "a re-add concurrent with a removal does not restore"
    );
    owner.add_member(b, Role::Member).unwrap();
    owner.commit();
    assert_eq!(
        owner.role(&b),
        Some(Role::Member),
        "a re-add after the removal does"
    );
}

#[test]
fn demotion_keeps_what_the_lower_role_allows() {
    let mut owner = founded();
    let a = id(2).member_id();
    owner.add_member(a, Role::Admin).unwrap();
    let mut admin = copy_for(&mut owner, 2);
    admin.add_member(id(3).member_id(), Role::Member).unwrap();
    let admin_only = admin.commit().unwrap();
    admin.create_group(NewGroup::new("Still a member")).unwrap();
    let member_ok = admin.commit().unwrap();
    owner.set_role(a, Role::Member).unwrap();
    let demotion = owner.commit().unwrap();
    owner.merge(&admin).unwrap();
    assert_eq!(
        owner.why_ignored(&admin_only),
        Some(IgnoredReason::Revoked { by: demotion })
    );
    assert_eq!(owner.change_status(&member_ok), Some(ChangeStatus::Valid));
}

#[test]
fn group_removal_ignores_concurrent_group_management() {
    let mut owner = founded();
    let (a, b) = (id(2).member_id(), id(3).member_id());
    owner.add_member(a, Role::Member).unwrap();
    owner.add_member(b, Role::Member).unwrap();
    let g = owner
        .create_group(NewGroup::new("Catalogue").open(false))
        .unwrap();
    owner.set_group_role(g, a, GroupRole::Lead).unwrap();
    let mut lead = copy_for(&mut owner, 2);
    lead.set_group_role(g, b, GroupRole::Member).unwrap();
    let added = lead.commit().unwrap();
    owner.set_group_role(g, a, GroupRole::Observer).unwrap();
    owner.commit();
    owner.merge(&lead).unwrap();
    assert!(matches!(
        owner.why_ignored(&added),
        Some(IgnoredReason::Revoked { .. })
    ));
    assert_eq!(
        owner
            .group_members(&g)
            .iter()
            .map(|m| (m.member, m.role))
            .collect::<Vec<_>>()
            .len(),
        2
    );
}

#[test]
fn local_refusals_leave_the_workspace_unchanged() {
    let mut owner = founded();
    owner.add_member(id(2).member_id(), Role::Guest).unwrap();
    let mut guest = copy_for(&mut owner, 2);
    let before = state(&mut guest);
    let err = guest.create_group(NewGroup::new("x")).unwrap_err();
    let denied = err.denied().expect("a permission refusal");
    assert_eq!(denied.member, id(2).member_id());
    assert!(err.to_string().contains("may not create a group"), "{err}");
    assert!(!guest.has_uncommitted());
    assert_eq!(state(&mut guest), before);
    let err = owner.leave().unwrap_err();
    assert!(err.to_string().contains("keep at least one owner"), "{err}");
    assert!(matches!(
        owner.create_group(NewGroup::new("  ")),
        Err(EditError::Invalid(_))
    ));
}

/// Typing skips the permission check a keystroke of the same text passed a moment ago;
/// anything else in between — another text, a change of membership — is checked again.
#[test]
fn a_keystroke_is_checked_again_once_anything_else_was_edited() {
    let mut owner = founded();
    owner.add_member(id(2).member_id(), Role::Member).unwrap();
    let studio = owner.create_group(NewGroup::new("studio")).unwrap();
    let board = owner.create_group(NewGroup::new("board")).unwrap();
    owner
        .set_group_role(studio, id(2).member_id(), GroupRole::Member)
        .unwrap();
    let mine = owner
        .create_contact(NewContact::new("Élodie").group(studio))
        .unwrap()
        .into();
    let theirs = owner
        .create_contact(NewContact::new("Marc").group(board))
        .unwrap()
        .into();
    let mut member = copy_for(&mut owner, 2);
    member.splice_text(mine, Field::Notes, 0, 0, "a").unwrap();
    member.splice_text(mine, Field::Notes, 1, 0, "b").unwrap();
    let err = member
        .splice_text(theirs, Field::Notes, 0, 0, "x")
        .unwrap_err();
    assert!(err.denied().is_some(), "{err}");
    member.splice_text(mine, Field::Notes, 2, 0, "c").unwrap();
    member.leave_group(studio).unwrap();
    let err = member
        .splice_text(mine, Field::Notes, 3, 0, "d")
        .unwrap_err();
    assert!(err.denied().is_some(), "{err}");
    let err = member
        .splice_text(mine, Field::Notes, 2, 1, "")
        .unwrap_err();
    assert!(err.denied().is_some(), "{err}");
    assert_eq!(member.text(&mine, &Field::Notes), "abc");
}

/// Member 2 working from two devices with the same key, both from the same point (their
/// first changes both take sequence number 1): the owner's copy, the saved starting
/// point, and the two devices.
fn member_on_two_devices() -> (
    cercle::Workspace,
    Vec<u8>,
    cercle::Workspace,
    cercle::Workspace,
) {
    let mut owner = founded();
    owner.add_member(id(2).member_id(), Role::Member).unwrap();
    let base = owner.save();
    let one = cercle::Workspace::load(id(2), &base).unwrap();
    let two = cercle::Workspace::load(id(2), &base).unwrap();
    (owner, base, one, two)
}

#[test]
fn forked_author_still_converges() {
    let (_, base, mut one, mut two) = member_on_two_devices();
    one.create_group(NewGroup::new("one")).unwrap();
    two.create_group(NewGroup::new("two")).unwrap();
    one.commit();
    two.commit();
    let mut x = cercle::Workspace::load(id(1), &base).unwrap();
    let mut y = cercle::Workspace::load(id(1), &base).unwrap();
    x.merge(&one).unwrap();
    x.merge(&two).unwrap();
    y.merge(&two).unwrap();
    y.merge(&one).unwrap();
    assert_eq!(state(&mut x), state(&mut y));
    assert_eq!(x.save(), y.save());
}

/// Law: an author's sequence numbers count their changes from 1, the founder's genesis
/// included, so that no honest copy looks forked.
#[test]
fn sequence_numbers_count_each_authors_changes_from_one() {
    let mut owner = founded();
    owner.add_member(id(2).member_id(), Role::Member).unwrap();
    owner.commit();
    owner.create_group(NewGroup::new("g")).unwrap();
    owner.commit();
    let mut member = copy_for(&mut owner, 2);
    member.create_group(NewGroup::new("h")).unwrap();
    member.commit();
    owner.merge(&member).unwrap();
    let seqs = |who: u8| -> Vec<u64> {
        let who = id(who).member_id();
        owner
            .changes()
            .into_iter()
            .filter(|c| c.author == who)
            .map(|c| c.seq)
            .collect()
    };
    let founder = seqs(1);
    assert_eq!(founder, (1..=founder.len() as u64).collect::<Vec<_>>());
    assert_eq!(seqs(2), [1]);
}

/// Law: a member who forked (two devices signing the same sequence numbers) and is then
/// removed by someone who saw one branch only keeps that branch's work and loses the
/// other's, whatever the order in which copies learn of the three.
#[test]
fn a_removed_forked_author_keeps_only_the_branch_the_remover_saw() {
    let (mut owner, base, mut one, mut two) = member_on_two_devices();
    let seen = one.create_group(NewGroup::new("seen")).unwrap();
    let unseen = two.create_contact(NewContact::new("unseen")).unwrap();
    let (seen_change, unseen_change) = (one.commit().unwrap(), two.commit().unwrap());
    owner.merge(&one).unwrap();
    owner.remove_member(id(2).member_id()).unwrap();
    owner.commit();
    let sources = [&owner, &one, &two];
    let mut states = Vec::new();
    for order in permutations(3) {
        let mut copy = cercle::Workspace::load(id(3), &base).unwrap();
        for i in order {
            copy.merge(sources[i]).unwrap();
        }
        assert!(copy.groups().iter().any(|g| g.id == seen));
        assert!(copy.contact(&unseen).is_none());
        assert!(matches!(
            copy.change_status(&seen_change),
            Some(ChangeStatus::Valid)
        ));
        assert!(matches!(
            copy.change_status(&unseen_change),
            Some(ChangeStatus::Ignored(_))
        ));
        states.push((state(&mut copy), copy.save()));
    }
    assert!(states.windows(2).all(|w| w[0] == w[1]));
}

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for i in 0..=p.len() {
            let mut q = p.clone();
            q.insert(i, n - 1);
            out.push(q);
        }
    }
    out
}

/// Law: cycles of 2, 3 and 4 concurrent removals among admins give the same outcome under
/// every delivery order, the most senior survives, and an owner always remains.
#[test]
fn mutual_removal_cycles_resolve_by_seniority_in_every_order() {
    for k in 2..=4u8 {
        let admins: Vec<u8> = (2..2 + k).collect();
        let mut founder = founded();
        for a in &admins {
            founder.add_member(id(*a).member_id(), Role::Admin).unwrap();
            founder.commit();
        }
        let base = founder.save();
        let base_heads = founder.heads();
        let mut bundles = Vec::new();
        // a_i removes a_{i+1}: allowed, a_i is the more senior admin.
        for w in admins.windows(2) {
            let mut ws = cercle::Workspace::load(id(w[0]), &base).unwrap();
            ws.remove_member(id(w[1]).member_id()).unwrap();
            bundles.push(ws.save_since(&base_heads));
        }
        // The most junior is made owner on a branch of their own, and removes a_1.
        let last = *admins.last().unwrap();
        founder.set_role(id(last).member_id(), Role::Owner).unwrap();
        founder.commit();
        let mut ws = cercle::Workspace::load(id(last), &founder.save()).unwrap();
        ws.remove_member(id(admins[0]).member_id()).unwrap();
        bundles.push(ws.save_since(&base_heads));

        let mut outcomes = Vec::new();
        for perm in permutations(bundles.len()) {
            let mut copy = cercle::Workspace::load(id(1), &base).unwrap();
            for i in perm {
                copy.apply(&bundles[i]).unwrap();
            }
            assert_eq!(
                copy.role(&id(admins[0]).member_id()),
                Some(Role::Admin),
                "k={k}: the most senior survives"
            );
            assert!(copy.members().iter().any(|m| m.role == Role::Owner));
            assert_eq!(
                copy.role(&id(admins[1]).member_id()),
                None,
                "k={k}: a_1's removal of a_2 stands"
            );
            outcomes.push(state(&mut copy));
        }
        assert!(
            outcomes.windows(2).all(|w| w[0] == w[1]),
            "k={k}: outcomes differ by order"
        );
    }
}

/// Two owners leaving concurrently would leave no owner: one leave is ignored.
#[test]
fn concurrent_leaves_keep_an_owner() {
    let mut founder = founded();
    founder.add_member(id(2).member_id(), Role::Owner).unwrap();
    let mut other = copy_for(&mut founder, 2);
    founder.leave().unwrap();
    founder.commit();
    other.leave().unwrap();
    other.commit();
    founder.merge(&other).unwrap();
    other.merge(&founder).unwrap();
    assert_eq!(state(&mut founder), state(&mut other));
    assert_eq!(
        founder
            .members()
            .iter()
            .filter(|m| m.role == Role::Owner)
            .count(),
        1
    );
    assert!(founder
        .changes()
        .iter()
        .any(|c| c.status == ChangeStatus::Ignored(IgnoredReason::KeepsOwner)));
}

/// A workspace moves between threads (servers, the Python binding's threads).
#[test]
fn workspace_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<cercle::Workspace>();
    check::<cercle::SyncState>();
    check::<cercle::ApplyError>();
}

/// Writes a long text into the notes of `contact`, in commits of a few thousand edits
/// (typing runs at pseudo-random places, deletions), as one copy would over a day; returns
/// the text written.
fn write_a_long_text(ws: &mut cercle::Workspace, contact: cercle::ObjectId) -> String {
    let mut seed = 7u64;
    let mut next = move |n: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize % n.max(1)
    };
    for _ in 0..12 {
        for _ in 0..400 {
            let len = ws.text(&contact, &Field::Notes).chars().count();
            let pos = next(len + 1);
            if next(5) == 0 && len > 0 {
                let del = (1 + next(12)).min(len - pos.min(len));
                ws.splice_text(contact, Field::Notes, pos.min(len), del, "")
                    .unwrap();
            } else {
                // Typed one key at a time, as an editor sends it.
                for (k, ch) in "convivialité, "
                    .chars()
                    .cycle()
                    .take(12 + next(40))
                    .enumerate()
                {
                    ws.splice_text(contact, Field::Notes, pos + k, 0, &ch.to_string())
                        .unwrap();
                }
            }
        }
        ws.commit();
    }
    ws.text(&contact, &Field::Notes)
}

/// A long text loads exactly as it was saved: its content is built on a second core while
/// the changes are verified, and the result is the one the copy that wrote it has.
#[test]
fn a_long_text_loads_as_it_was_saved() {
    let mut owner = founded();
    let contact = owner
        .create_contact(NewContact::new("Dictionnaire"))
        .unwrap()
        .into();
    let written = write_a_long_text(&mut owner, contact);
    assert!(written.len() > 100_000, "{} bytes", written.len());
    let saved = owner.save();
    let mut loaded = cercle::Workspace::load_with_clock(id(1), &saved, clock()).unwrap();
    assert_eq!(loaded.text(&contact, &Field::Notes), written);
    assert_eq!(state(&mut loaded), state(&mut owner));
    assert_eq!(loaded.save(), saved);
    // Editing goes on from the loaded copy as from the original.
    for ws in [&mut owner, &mut loaded] {
        ws.splice_text(contact, Field::Notes, 10, 5, "·").unwrap();
    }
    assert_eq!(
        loaded.text(&contact, &Field::Notes),
        owner.text(&contact, &Field::Notes)
    );
}

/// Types a long text into the notes of `contact`, with deletions, without committing.
fn type_a_long_text(ws: &mut cercle::Workspace, contact: cercle::ObjectId) {
    let mut len = ws.text(&contact, &Field::Notes).chars().count();
    for k in 0..20_000usize {
        if k % 7 == 6 {
            ws.splice_text(contact, Field::Notes, len - 1, 1, "")
                .unwrap();
            len -= 1;
        } else {
            let at = (k * 31) % (len + 1);
            ws.splice_text(contact, Field::Notes, at, 0, "é").unwrap();
            len += 1;
        }
    }
}

/// A workspace with member 2 and a contact whose notes read "kept".
fn a_member_and_a_kept_note() -> (cercle::Workspace, cercle::ObjectId) {
    let mut owner = founded();
    owner.add_member(id(2).member_id(), Role::Member).unwrap();
    let contact = owner
        .create_contact(NewContact::new("Dictionnaire"))
        .unwrap()
        .into();
    owner
        .splice_text(contact, Field::Notes, 0, 0, "kept")
        .unwrap();
    (owner, contact)
}

/// A workspace made in one large change after its genesis (members, groups, contacts and a
/// long text together) loads as it was saved: that change is checked and stored without
/// its operations being decoded, and its content built aside.
#[test]
fn a_workspace_made_in_one_large_change_loads_as_it_was_saved() {
    let (mut owner, contact) = a_member_and_a_kept_note();
    type_a_long_text(&mut owner, contact);
    owner.commit();
    let saved = owner.save();
    let mut loaded = cercle::Workspace::load_with_clock(id(1), &saved, clock()).unwrap();
    assert_eq!(
        loaded.text(&contact, &Field::Notes),
        owner.text(&contact, &Field::Notes)
    );
    assert_eq!(state(&mut loaded), state(&mut owner));
    assert_eq!(loaded.save(), saved);
    // The member added in that change is one, and may write.
    let mut bob = copy_for(&mut loaded, 2);
    bob.splice_text(contact, Field::Notes, 0, 0, "·").unwrap();
    bob.commit();
    let report = loaded.merge(&bob).unwrap();
    assert!(report.ignored.is_empty(), "{:?}", report.ignored);
    assert!(loaded.text(&contact, &Field::Notes).starts_with('·'));
}

/// A large change of a member removed meanwhile, sent alone (and so checked without its
/// operations being decoded), is ignored exactly as when it is merged decoded.
#[test]
fn a_large_change_of_a_removed_member_sent_alone_is_ignored() {
    let (mut owner, contact) = a_member_and_a_kept_note();
    let mut bob = copy_for(&mut owner, 2);
    let known = bob.heads();
    owner.remove_member(id(2).member_id()).unwrap();
    owner.commit();
    let mut merged = copy_for(&mut owner, 1);
    type_a_long_text(&mut bob, contact);
    bob.commit();
    let sent = bob.save_since(&known);
    let report = owner.apply(&sent).unwrap();
    assert_eq!(report.applied.len(), 1);
    assert_eq!(report.ignored.len(), 1, "{:?}", report.ignored);
    let by_merge = merged.merge(&bob).unwrap();
    assert_eq!(report.ignored, by_merge.ignored);
    assert_eq!(owner.text(&contact, &Field::Notes), "kept");
    assert_eq!(state(&mut owner), state(&mut merged));
}

/// A long text written by a member removed meanwhile is ignored when the workspace
/// loads: the content built while loading, which assumed every change valid, is not
/// kept.
#[test]
fn a_long_text_of_a_removed_member_loads_ignored() {
    let (mut owner, contact) = a_member_and_a_kept_note();
    let mut bob = copy_for(&mut owner, 2);
    owner.remove_member(id(2).member_id()).unwrap();
    owner.commit();
    let written = write_a_long_text(&mut bob, contact);
    assert!(written.len() > 100_000);
    owner.merge(&bob).unwrap();
    assert_eq!(owner.text(&contact, &Field::Notes), "kept");
    let saved = owner.save();
    let mut loaded = cercle::Workspace::load_with_clock(id(1), &saved, clock()).unwrap();
    assert_eq!(loaded.text(&contact, &Field::Notes), "kept");
    assert_eq!(state(&mut loaded), state(&mut owner));
}
