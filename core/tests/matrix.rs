//! The permission matrix of the README, tested as a table.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use cercle::{GroupId, GroupRole, GroupUpdate, MemberId, NewGroup, Role, Workspace};
use common::{clock, id};

/// The cast, in order of seniority: founder (owner), a second owner, a senior and a junior
/// admin, a member, a guest, and an outsider never added.
#[derive(Clone, Copy, Debug)]
enum Who {
    Founder,
    Owner2,
    SeniorAdmin,
    JuniorAdmin,
    Member,
    Guest,
    Outsider,
}

use Who::*;

fn key(w: Who) -> u8 {
    match w {
        Founder => 1,
        Owner2 => 2,
        SeniorAdmin => 3,
        JuniorAdmin => 4,
        Member => 5,
        Guest => 6,
        Outsider => 7,
    }
}

fn mid(w: Who) -> MemberId {
    id(key(w)).member_id()
}

const NEWCOMER: u8 = 20;

/// A member who joined before every admin.
fn early() -> MemberId {
    id(21).member_id()
}

struct Fixture {
    saved: Vec<u8>,
    open_group: GroupId,
    closed_group: GroupId,
}

fn fixture() -> Fixture {
    let mut ws = Workspace::create_with_clock(id(1), "Juste à temps", clock());
    ws.add_member(early(), Role::Member).unwrap();
    ws.add_member(mid(Owner2), Role::Owner).unwrap();
    ws.add_member(mid(SeniorAdmin), Role::Admin).unwrap();
    ws.commit();
    ws.add_member(mid(JuniorAdmin), Role::Admin).unwrap();
    ws.add_member(mid(Member), Role::Member).unwrap();
    ws.add_member(mid(Guest), Role::Guest).unwrap();
    let open_group = ws.create_group(NewGroup::new("open")).unwrap();
    let closed_group = ws
        .create_group(NewGroup::new("closed").open(false))
        .unwrap();
    // The member leads the closed group; the guest observes it.
    ws.set_group_role(closed_group, mid(Member), GroupRole::Lead)
        .unwrap();
    ws.set_group_role(closed_group, mid(Guest), GroupRole::Observer)
        .unwrap();
    Fixture {
        saved: ws.save(),
        open_group,
        closed_group,
    }
}

type Action = fn(&mut Workspace, &Fixture) -> Result<(), cercle::EditError>;

fn newcomer() -> MemberId {
    id(NEWCOMER).member_id()
}

#[test]
fn permission_matrix() {
    let f = fixture();
    #[rustfmt::skip]
    let table: &[(&str, Action, &[Who])] = &[
        ("add a member", |w, _| w.add_member(newcomer(), Role::Member), &[Founder, Owner2, SeniorAdmin, JuniorAdmin]),
        ("add a guest", |w, _| w.add_member(newcomer(), Role::Guest), &[Founder, Owner2, SeniorAdmin, JuniorAdmin]),
        ("remove a member", |w, _| w.remove_member(mid(Member)), &[Founder, Owner2, SeniorAdmin, JuniorAdmin]),
        ("remove a guest", |w, _| w.remove_member(mid(Guest)), &[Founder, Owner2, SeniorAdmin, JuniorAdmin]),
        ("make a member a guest", |w, _| w.set_role(mid(Member), Role::Guest), &[Founder, Owner2, SeniorAdmin, JuniorAdmin]),
        ("add an admin", |w, _| w.add_member(newcomer(), Role::Admin), &[Founder, Owner2, SeniorAdmin, JuniorAdmin]),
        ("promote a member who joined after them to admin", |w, _| w.set_role(mid(Member), Role::Admin), &[Founder, Owner2, SeniorAdmin, JuniorAdmin]),
        ("promote a member who joined before them to admin", |w, _| w.set_role(early(), Role::Admin), &[Founder, Owner2]),
        ("remove the junior admin", |w, _| w.remove_member(mid(JuniorAdmin)), &[Founder, Owner2, SeniorAdmin]),
        ("demote the junior admin", |w, _| w.set_role(mid(JuniorAdmin), Role::Member), &[Founder, Owner2, SeniorAdmin]),
        ("remove the senior admin", |w, _| w.remove_member(mid(SeniorAdmin)), &[Founder, Owner2]),
        ("grant owner to a newcomer", |w, _| w.add_member(newcomer(), Role::Owner), &[Founder, Owner2]),
        ("grant owner to a member", |w, _| w.set_role(mid(Member), Role::Owner), &[Founder, Owner2]),
        ("remove the second owner", |w, _| w.remove_member(mid(Owner2)), &[Founder]),
        ("demote the second owner", |w, _| w.set_role(mid(Owner2), Role::Admin), &[Founder]),
        ("remove the founder", |w, _| w.remove_member(mid(Founder)), &[]),
        ("leave", |w, _| w.leave(), &[Founder, Owner2, SeniorAdmin, JuniorAdmin, Member, Guest]),
        ("create a group", |w, _| w.create_group(NewGroup::new("new")).map(drop), &[Founder, Owner2, SeniorAdmin, JuniorAdmin, Member]),
        ("change a group's settings", |w, f| w.update_group(f.closed_group, GroupUpdate::Name("renamed".into())), &[Founder, Owner2, SeniorAdmin, JuniorAdmin, Member]),
        ("archive a group", |w, f| w.update_group(f.closed_group, GroupUpdate::Archived(true)), &[Founder, Owner2, SeniorAdmin, JuniorAdmin, Member]),
        ("manage a group's members", |w, f| w.set_group_role(f.closed_group, mid(JuniorAdmin), GroupRole::Member), &[Founder, Owner2, SeniorAdmin, JuniorAdmin, Member]),
        ("remove someone from a group", |w, f| w.remove_from_group(f.closed_group, mid(Guest)), &[Founder, Owner2, SeniorAdmin, JuniorAdmin, Member]),
        ("join an open group", |w, f| w.join_group(f.open_group), &[Owner2, SeniorAdmin, JuniorAdmin, Member]),
        ("join a closed group", |w, f| w.join_group(f.closed_group), &[]),
        ("rename the workspace", |w, _| w.rename("renamed"), &[Founder, Owner2, SeniorAdmin, JuniorAdmin]),
        ("set one's display name", |w, _| w.set_display_name("me"), &[Founder, Owner2, SeniorAdmin, JuniorAdmin, Member, Guest]),
    ];
    let everyone = [
        Founder,
        Owner2,
        SeniorAdmin,
        JuniorAdmin,
        Member,
        Guest,
        Outsider,
    ];
    let mut failures = Vec::new();
    for (name, action, allowed) in table {
        for who in everyone {
            let mut ws = Workspace::load_with_clock(id(key(who)), &f.saved, clock()).unwrap();
            let expected = allowed.iter().any(|a| key(*a) == key(who));
            let got = action(&mut ws, &f);
            if got.is_ok() != expected {
                failures.push(format!(
                    "{who:?} {name}: expected {}, got {got:?}",
                    if expected { "allowed" } else { "refused" }
                ));
            }
            if let Err(e) = &got {
                assert!(!ws.has_uncommitted(), "a refused edit left an open change");
                // A refusal by the matrix names who and why; other refusals are bad input.
                if let Some(d) = e.denied() {
                    assert_eq!(d.member, mid(who));
                    assert!(!d.reason.is_empty());
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "matrix mismatches:\n{}",
        failures.join("\n")
    );
}

/// The founder already joined the open group as its lead (creator), so "join" is refused
/// as bad input for them, not as a permission refusal.
#[test]
fn joining_a_group_one_is_in_is_bad_input_not_a_refusal() {
    let f = fixture();
    let mut ws = Workspace::load_with_clock(id(1), &f.saved, clock()).unwrap();
    let err = ws.join_group(f.open_group).unwrap_err();
    assert!(err.denied().is_none(), "{err}");
}
