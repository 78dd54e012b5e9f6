//! Each merge rule for permissions as its own property, on random amounts of concurrent work.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use cercle::{ChangeHash, ChangeStatus, IgnoredReason, NewGroup, Role, Workspace};
use common::{copy_for, founded, id, state};
use proptest::prelude::*;

/// The member's edits: groups created and display names set, committed in `batches`.
fn work(ws: &mut Workspace, batches: &[u8]) -> Vec<ChangeHash> {
    let mut out = Vec::new();
    for (i, n) in batches.iter().enumerate() {
        for j in 0..*n {
            if j % 2 == 0 {
                ws.create_group(NewGroup::new(format!("g{i}-{j}"))).unwrap();
            } else {
                ws.set_display_name(&format!("name {i}-{j}")).unwrap();
            }
        }
        if let Some(h) = ws.commit() {
            out.push(h);
        }
    }
    out
}

fn both_orders(a: &mut Workspace, b: &mut Workspace) -> (Workspace, Workspace) {
    let (sa, sb) = (a.save(), b.save());
    let mut ab = Workspace::load(id(1), &sa).unwrap();
    ab.apply(&sb).unwrap();
    let mut ba = Workspace::load(id(1), &sb).unwrap();
    ba.apply(&sa).unwrap();
    (ab, ba)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Law (strong remove): a removed member's changes concurrent with the removal are
    /// ignored, those the remover had seen stay valid, whatever the delivery order.
    #[test]
    fn strong_remove_ignores_exactly_the_concurrent_changes(
        before in proptest::collection::vec(1u8..4, 0..4), during in proptest::collection::vec(1u8..4, 1..5)
    ) {
        let mut owner = founded();
        owner.add_member(id(2).member_id(), Role::Member).unwrap();
        let mut m = copy_for(&mut owner, 2);
        let seen = work(&mut m, &before);
        owner.merge(&m).unwrap();
        owner.remove_member(id(2).member_id()).unwrap();
        let removal = owner.commit().unwrap();
        let concurrent = work(&mut m, &during);
        let (mut ab, mut ba) = both_orders(&mut owner, &mut m);
        prop_assert_eq!(state(&mut ab), state(&mut ba));
        for h in &seen {
            prop_assert_eq!(ab.change_status(h), Some(ChangeStatus::Valid));
        }
        for h in &concurrent {
            prop_assert_eq!(ab.why_ignored(h), Some(IgnoredReason::Revoked { by: removal }));
        }
        prop_assert_eq!(ab.groups().len(), before.iter().map(|n| (*n as usize).div_ceil(2)).sum::<usize>());
    }

    /// Law (demotion): after a concurrent demotion, the demoted member's changes that the
    /// lower role still allows stay valid; the others are ignored.
    #[test]
    fn demotion_keeps_what_the_lower_role_allows(ops in proptest::collection::vec(any::<bool>(), 1..8)) {
        let mut owner = founded();
        owner.add_member(id(2).member_id(), Role::Admin).unwrap();
        let mut admin = copy_for(&mut owner, 2);
        let mut expected = Vec::new();
        for (i, admin_only) in ops.iter().enumerate() {
            if *admin_only {
                admin.add_member(id(30 + i as u8).member_id(), Role::Guest).unwrap();
            } else {
                admin.create_group(NewGroup::new(format!("g{i}"))).unwrap();
            }
            expected.push((admin.commit().unwrap(), *admin_only));
        }
        owner.set_role(id(2).member_id(), Role::Member).unwrap();
        owner.commit();
        let (mut ab, mut ba) = both_orders(&mut owner, &mut admin);
        prop_assert_eq!(state(&mut ab), state(&mut ba));
        for (h, admin_only) in expected {
            let valid = ab.change_status(&h) == Some(ChangeStatus::Valid);
            prop_assert_eq!(valid, !admin_only);
        }
    }

    /// Law (transitive invalidation): when an admin's addition of a member is ignored,
    /// everything that member did on the strength of it is ignored too.
    #[test]
    fn invalidation_is_transitive(batches in proptest::collection::vec(1u8..4, 1..4)) {
        let mut owner = founded();
        owner.add_member(id(2).member_id(), Role::Admin).unwrap();
        let mut admin = copy_for(&mut owner, 2);
        admin.add_member(id(3).member_id(), Role::Member).unwrap();
        let mut carol = copy_for(&mut admin, 3);
        let hers = work(&mut carol, &batches);
        owner.remove_member(id(2).member_id()).unwrap();
        owner.commit();
        let (mut ab, mut ba) = both_orders(&mut owner, &mut carol);
        prop_assert_eq!(state(&mut ab), state(&mut ba));
        prop_assert_eq!(ab.role(&id(3).member_id()), None);
        for h in &hers {
            prop_assert!(ab.why_ignored(h).is_some());
        }
        prop_assert!(ab.groups().is_empty());
    }

    /// Law (re-add): a re-add concurrent with a removal does not restore the member; a
    /// re-add that causally follows the removal does.
    #[test]
    fn re_add_restores_only_after_the_removal(after in any::<bool>(), role in prop_oneof![Just(Role::Guest), Just(Role::Member)]) {
        let mut owner = founded();
        let (a, b) = (id(2).member_id(), id(3).member_id());
        owner.add_member(a, Role::Admin).unwrap();
        owner.add_member(b, Role::Member).unwrap();
        let mut admin = copy_for(&mut owner, 2);
        owner.remove_member(b).unwrap();
        owner.commit();
        if after {
            admin.merge(&owner).unwrap();
        } else {
            admin.remove_member(b).unwrap();
            admin.commit();
        }
        admin.add_member(b, role).unwrap();
        admin.commit();
        let (mut ab, mut ba) = both_orders(&mut owner, &mut admin);
        prop_assert_eq!(state(&mut ab), state(&mut ba));
        prop_assert_eq!(ab.role(&b), if after { Some(role) } else { None });
    }
}
