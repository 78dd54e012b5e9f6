//! Random histories: several copies editing offline, committing and merging.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use cercle::{
    ContactQuery, EventKind, Field, GroupRole, GroupUpdate, MemberId, NewContact, NewEvent,
    NewGroup, ObjectId, ObjectKind, Op, Role, Value, Workspace,
};
use proptest::prelude::*;

use super::{clock, id};

/// Copies are held by identities 1..=COPIES; members 2..=6 can be added.
pub const COPIES: usize = 4;

#[derive(Clone, Debug)]
pub enum Edit {
    Add(u8, u8),
    SetRole(u8, u8),
    Remove(u8),
    Leave,
    CreateGroup(u8, bool),
    Join(u8),
    SetGroupRole(u8, u8, u8),
    RemoveFromGroup(u8, u8),
    Archive(u8, bool),
    Rename(u8),
    Profile(u8),
    NewContact(u8, bool),
    SetOrganisation(u8, u8),
    AddEmail(u8, u8),
    RemoveEmail(u8, u8),
    SpliceNotes(u8, u8, u8, u8),
    NewEvent(u8, bool),
    Comment(u8),
    ArchiveContact(u8, bool),
    SetStage(u8, u8),
    MergeContacts(u8, u8),
}

#[derive(Clone, Debug)]
pub enum Action {
    Edit(usize, Edit),
    /// An edit signed without the local checks, as a modified client could.
    Rogue(usize, Edit),
    Commit(usize),
    Merge(usize, usize),
}

fn role(n: u8) -> Role {
    [Role::Guest, Role::Member, Role::Admin, Role::Owner][n as usize % 4]
}

fn group_role(n: u8) -> GroupRole {
    [GroupRole::Observer, GroupRole::Member, GroupRole::Lead][n as usize % 3]
}

fn member(n: u8) -> MemberId {
    id(2 + n % 5).member_id()
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Edit::Add(a, b)),
        2 => (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Edit::SetRole(a, b)),
        2 => any::<u8>().prop_map(Edit::Remove),
        1 => Just(Edit::Leave),
        2 => (any::<u8>(), any::<bool>()).prop_map(|(a, b)| Edit::CreateGroup(a, b)),
        2 => any::<u8>().prop_map(Edit::Join),
        2 => (any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(a, b, c)| Edit::SetGroupRole(a, b, c)),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Edit::RemoveFromGroup(a, b)),
        1 => (any::<u8>(), any::<bool>()).prop_map(|(a, b)| Edit::Archive(a, b)),
        1 => any::<u8>().prop_map(Edit::Rename),
        1 => any::<u8>().prop_map(Edit::Profile),
        3 => (any::<u8>(), any::<bool>()).prop_map(|(a, b)| Edit::NewContact(a, b)),
        3 => (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Edit::SetOrganisation(a, b)),
        2 => (any::<u8>(), 0u8..4).prop_map(|(a, b)| Edit::AddEmail(a, b)),
        2 => (any::<u8>(), 0u8..4).prop_map(|(a, b)| Edit::RemoveEmail(a, b)),
        3 => (any::<u8>(), any::<u8>(), 0u8..3, any::<u8>()).prop_map(|(a, b, c, d)| Edit::SpliceNotes(a, b, c, d)),
        2 => (any::<u8>(), any::<bool>()).prop_map(|(a, b)| Edit::NewEvent(a, b)),
        1 => any::<u8>().prop_map(Edit::Comment),
        1 => (any::<u8>(), any::<bool>()).prop_map(|(a, b)| Edit::ArchiveContact(a, b)),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Edit::SetStage(a, b)),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Edit::MergeContacts(a, b)),
    ]
}

pub fn actions(max: usize) -> impl Strategy<Value = Vec<Action>> {
    let action = prop_oneof![
        6 => (0..COPIES, edit()).prop_map(|(c, e)| Action::Edit(c, e)),
        1 => (0..COPIES, edit()).prop_map(|(c, e)| Action::Rogue(c, e)),
        3 => (0..COPIES).prop_map(Action::Commit),
        3 => (0..COPIES, 0..COPIES).prop_map(|(a, b)| Action::Merge(a, b)),
    ];
    proptest::collection::vec(action, 1..max)
}

/// Initial roles of members 2..=COPIES, chosen by the test.
pub fn setup() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(0u8..3, COPIES - 1)
}

fn contacts(ws: &Workspace) -> Vec<ObjectId> {
    ws.contacts(&ContactQuery::default().include_archived(true))
        .into_iter()
        .map(|c| c.id.into())
        .collect()
}

const WORDS: [&str; 4] = ["é", "ab", "🙂x", "zz"];

fn apply_edit(ws: &mut Workspace, e: &Edit) {
    let groups = ws.groups();
    let group = |n: u8| groups.get(n as usize % groups.len().max(1)).map(|g| g.id);
    let cs = contacts(ws);
    let contact = |n: u8| cs.get(n as usize % cs.len().max(1)).copied();
    // Refused edits are part of the game: they must change nothing.
    let _ = match e {
        Edit::Add(m, r) => ws.add_member(member(*m), role(*r)),
        Edit::SetRole(m, r) => ws.set_role(member(*m), role(*r)),
        Edit::Remove(m) => ws.remove_member(member(*m)),
        Edit::Leave => ws.leave(),
        Edit::CreateGroup(n, open) => ws
            .create_group(NewGroup::new(format!("g{n}")).open(*open))
            .map(drop),
        Edit::Join(g) => match group(*g) {
            Some(g) => ws.join_group(g),
            None => Ok(()),
        },
        Edit::SetGroupRole(g, m, r) => match group(*g) {
            Some(g) => ws.set_group_role(g, member(*m), group_role(*r)),
            None => Ok(()),
        },
        Edit::RemoveFromGroup(g, m) => match group(*g) {
            Some(g) => ws.remove_from_group(g, member(*m)),
            None => Ok(()),
        },
        Edit::Archive(g, a) => match group(*g) {
            Some(g) => ws.update_group(g, GroupUpdate::Archived(*a)),
            None => Ok(()),
        },
        Edit::Rename(n) => ws.rename(&format!("name {n}")),
        Edit::Profile(n) => ws.set_display_name(&format!("person {n}")),
        Edit::NewContact(n, shared) => {
            let mut c = NewContact::new(format!("contact {n}")).email(format!("c{}@x.org", n % 4));
            if *shared {
                if let Some(g) = group(*n) {
                    c = c.group(g);
                }
            }
            ws.create_contact(c).map(drop)
        }
        Edit::SetOrganisation(c, v) => match contact(*c) {
            Some(c) => ws.set_field(c, Field::Organisation, Value::Text(format!("org {v}"))),
            None => Ok(()),
        },
        Edit::AddEmail(c, v) => match contact(*c) {
            Some(c) => ws.add_value(c, Field::Emails, Value::Text(format!("c{v}@x.org"))),
            None => Ok(()),
        },
        Edit::RemoveEmail(c, v) => match contact(*c) {
            Some(c) => ws.remove_value(c, Field::Emails, Value::Text(format!("c{v}@x.org"))),
            None => Ok(()),
        },
        Edit::SpliceNotes(c, pos, del, w) => match contact(*c) {
            Some(c) => {
                let len = ws.text(&c, &Field::Notes).chars().count();
                let pos = *pos as usize % (len + 1);
                let del = (*del as usize).min(len - pos);
                ws.splice_text(c, Field::Notes, pos, del, WORDS[*w as usize % WORDS.len()])
            }
            None => Ok(()),
        },
        Edit::NewEvent(c, shared) => {
            let mut e = NewEvent::new(EventKind::Meeting, format!("meeting {c}"));
            if let Some(c) = contact(*c) {
                e = e.contact(c.into());
            }
            if *shared {
                if let Some(g) = group(*c) {
                    e = e.group(g);
                }
            }
            ws.create_event(e).map(drop)
        }
        Edit::Comment(c) => match contact(*c) {
            Some(c) => ws.comment(c, "noted").map(drop),
            None => Ok(()),
        },
        Edit::ArchiveContact(c, a) => match contact(*c) {
            Some(c) if *a => ws.archive_contact(c.into()),
            Some(c) => ws.restore_contact(c.into()),
            None => Ok(()),
        },
        Edit::SetStage(c, s) => match contact(*c) {
            Some(c) => {
                let stages = ws.pipeline();
                let stage = stages[*s as usize % stages.len()].clone();
                ws.set_stage(c.into(), &stage).map(drop)
            }
            None => Ok(()),
        },
        Edit::MergeContacts(a, b) => match (contact(*a), contact(*b)) {
            (Some(a), Some(b)) => ws.merge_contacts(a.into(), b.into()),
            _ => Ok(()),
        },
    };
}

fn as_op(ws: &Workspace, e: &Edit) -> Option<Op> {
    let groups = ws.groups();
    let group = |n: u8| groups.get(n as usize % groups.len().max(1)).map(|g| g.id);
    Some(match e {
        Edit::Add(m, r) => Op::AddMember {
            member: member(*m),
            role: role(*r),
        },
        Edit::SetRole(m, r) => Op::SetRole {
            member: member(*m),
            role: role(*r),
        },
        Edit::Remove(m) => Op::RemoveMember { member: member(*m) },
        Edit::Leave => Op::Leave,
        Edit::CreateGroup(n, open) => Op::CreateGroup {
            name: format!("rogue {n}"),
            purpose: String::new(),
            tags: Vec::new(),
            open: *open,
        },
        Edit::Join(g) => Op::JoinGroup { group: group(*g)? },
        Edit::SetGroupRole(g, m, r) => Op::SetGroupRole {
            group: group(*g)?,
            member: member(*m),
            role: group_role(*r),
        },
        Edit::RemoveFromGroup(g, m) => Op::RemoveFromGroup {
            group: group(*g)?,
            member: member(*m),
        },
        Edit::Archive(g, a) => Op::UpdateGroup {
            group: group(*g)?,
            update: GroupUpdate::Archived(*a),
        },
        Edit::Rename(n) => Op::RenameWorkspace {
            name: format!("rogue {n}"),
        },
        Edit::Profile(n) => Op::SetProfile {
            display_name: format!("rogue {n}"),
        },
        Edit::SetOrganisation(c, v) => Op::Set {
            object: *contacts(ws).get(*c as usize % contacts(ws).len().max(1))?,
            field: Field::Organisation,
            value: Value::Text(format!("rogue {v}")),
            pred: Vec::new(),
        },
        Edit::AddEmail(c, v) => Op::Add {
            object: *contacts(ws).get(*c as usize % contacts(ws).len().max(1))?,
            field: Field::Emails,
            value: Value::Text(format!("rogue{v}@x.org")),
        },
        Edit::NewContact(_, _) => Op::Create {
            kind: ObjectKind::Contact,
            parent: None,
            groups: groups.first().map(|g| vec![g.id]).unwrap_or_default(),
        },
        Edit::NewEvent(c, _) => Op::CreateWith {
            kind: ObjectKind::Contact,
            parent: None,
            groups: groups.first().map(|g| vec![g.id]).unwrap_or_default(),
            values: vec![
                (Field::DisplayName, Value::Text(format!("rogue {c}"))),
                (Field::Emails, Value::Text(format!("rogue{c}@x.org"))),
            ],
        },
        _ => return None,
    })
}

/// Runs the actions on COPIES copies; every copy ends committed.
pub fn run(setup: &[u8], actions: &[Action]) -> Vec<Workspace> {
    let mut founder = Workspace::create_with_clock(id(1), "Juste à temps", clock());
    for (i, r) in setup.iter().enumerate() {
        let _ = founder.add_member(id(2 + i as u8).member_id(), role(*r));
    }
    let base = founder.save();
    let mut copies = vec![founder];
    for n in 2..=COPIES as u8 {
        copies.push(Workspace::load_with_clock(id(n), &base, clock()).unwrap());
    }
    for a in actions {
        match a {
            Action::Edit(c, e) => apply_edit(&mut copies[*c], e),
            Action::Rogue(c, e) => {
                if let Some(op) = as_op(&copies[*c], e) {
                    copies[*c].commit_unchecked(vec![op]);
                }
            }
            Action::Commit(c) => {
                copies[*c].commit();
            }
            Action::Merge(a, b) if a != b => {
                let bytes = copies[*a].save();
                copies[*b].apply(&bytes).unwrap();
            }
            Action::Merge(..) => {}
        }
    }
    for c in &mut copies {
        c.commit();
    }
    copies
}

/// One copy holding every change of `copies`.
pub fn union(copies: &mut [Workspace]) -> Workspace {
    let mut all = Workspace::load_with_clock(id(1), &copies[0].save(), clock()).unwrap();
    for c in copies.iter_mut() {
        all.apply(&c.save()).unwrap();
    }
    all
}
