//! The permission rules on small, named scenarios.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use cercle::{ChangeStatus, EditError, GroupRole, IgnoredReason, NewGroup, Role};
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

#[test]
fn forked_author_still_converges() {
    let mut owner = founded();
    owner.add_member(id(2).member_id(), Role::Member).unwrap();
    let base = owner.save();
    // Two copies of the same member, from the same point: both sign seq 1.
    let mut one = cercle::Workspace::load(id(2), &base).unwrap();
    let mut two = cercle::Workspace::load(id(2), &base).unwrap();
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
