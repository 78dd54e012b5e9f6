//! The fuzz harness: each entry point feeds arbitrary bytes to one way into a workspace
//! and checks that a failure leaves the workspace unchanged, or (for `ops`) drives several
//! copies through arbitrary edits and checks that they converge.

use cercle::{
    ContactQuery, Field, GroupRole, Identity, NewContact, NewGroup, Op, Role, SyncState, Value,
    Workspace,
};

fn base() -> Workspace {
    let mut ws = Workspace::create(Identity::from_secret_bytes([1; 32]), "fuzz");
    let _ = ws.add_member(
        Identity::from_secret_bytes([2; 32]).member_id(),
        Role::Member,
    );
    let _ = ws.create_group(NewGroup::new("g"));
    ws.commit();
    ws
}

/// Loads arbitrary bytes as a saved workspace.
pub fn load(data: &[u8]) {
    let _ = Workspace::load(Identity::from_secret_bytes([3; 32]), data);
}

/// Reads arbitrary bytes as a compact change list (what a saved workspace holds behind its
/// checksum and compression): refused or read, never a panic.
pub fn compact(data: &[u8]) {
    let _ = cercle::reference::decode_compact(data);
}

/// Applies arbitrary bytes to a small workspace; on error its state must be unchanged.
pub fn apply(data: &[u8]) {
    let mut ws = base();
    let before = ws.save();
    if ws.apply(data).is_err() {
        assert_eq!(ws.save(), before, "a failed apply changed the workspace");
    }
}

/// Receives arbitrary bytes as a sync message.
pub fn sync(data: &[u8]) {
    let mut ws = base();
    let before = ws.save();
    let mut state = SyncState::new();
    if ws.receive_sync_message(&mut state, data).is_err() {
        assert_eq!(
            ws.save(),
            before,
            "a failed sync message changed the workspace"
        );
    }
    let _ = ws.generate_sync_message(&mut state);
}

const COPIES: usize = 3;

/// Interprets the bytes as edits (checked or not), commits and merges on three copies,
/// then checks that every delivery order converges to the same state and bytes.
pub fn ops(data: &[u8]) {
    let mut founder = Workspace::create(Identity::from_secret_bytes([1; 32]), "fuzz");
    for n in 2..=COPIES as u8 {
        let _ = founder.add_member(
            Identity::from_secret_bytes([n; 32]).member_id(),
            Role::Admin,
        );
    }
    let g = founder.create_group(NewGroup::new("g")).ok();
    let saved = founder.save();
    let mut copies = vec![founder];
    for n in 2..=COPIES as u8 {
        match Workspace::load(Identity::from_secret_bytes([n; 32]), &saved) {
            Ok(ws) => copies.push(ws),
            Err(e) => panic!("a fresh save does not load: {e}"),
        }
    }
    for chunk in data.chunks(3).take(64) {
        let [a, b, c] = [0, 1, 2].map(|i| chunk.get(i).copied().unwrap_or(0));
        let who = a as usize % COPIES;
        let member = Identity::from_secret_bytes([2 + b % 4; 32]).member_id();
        let Some(ws) = copies.get_mut(who) else {
            continue;
        };
        let contacts: Vec<_> = ws
            .contacts(&ContactQuery::default().include_archived(true))
            .into_iter()
            .map(|c| c.id)
            .collect();
        let contact = contacts.get(c as usize % contacts.len().max(1)).copied();
        let _ = match a / 3 % 14 {
            0 => ws.add_member(
                member,
                [Role::Guest, Role::Member, Role::Admin][c as usize % 3],
            ),
            1 => ws.remove_member(member),
            2 => ws.set_role(
                member,
                [Role::Guest, Role::Member, Role::Admin][c as usize % 3],
            ),
            3 => match g {
                Some(g) => ws.set_group_role(
                    g,
                    member,
                    [GroupRole::Observer, GroupRole::Member, GroupRole::Lead][c as usize % 3],
                ),
                None => Ok(()),
            },
            4 => ws
                .create_contact(NewContact::new(format!("c{c}")).email(format!("{b}@x")))
                .map(drop),
            5 => match contact {
                Some(id) => {
                    ws.set_field(id.into(), Field::Organisation, Value::Text(format!("o{b}")))
                }
                None => Ok(()),
            },
            6 => match contact {
                Some(id) => {
                    let len = ws.text(&id.into(), &Field::Notes).chars().count();
                    ws.splice_text(id.into(), Field::Notes, b as usize % (len + 1), 0, "é🙂")
                }
                None => Ok(()),
            },
            7 => match contact {
                Some(id) => {
                    ws.remove_value(id.into(), Field::Emails, Value::Text(format!("{b}@x")))
                }
                None => Ok(()),
            },
            8 => {
                ws.commit();
                Ok(())
            }
            9 => {
                // A change signed without the local checks, as a modified client could.
                let op = Op::RemoveMember { member };
                let _ = ws.commit_unchecked(vec![op]);
                Ok(())
            }
            10 => {
                // One change forwarded alone (with what vouches for it, if unsigned).
                let changes = ws.changes();
                let to = b as usize % COPIES;
                if let (Some(change), true) =
                    (changes.get(c as usize % changes.len().max(1)), to != who)
                {
                    let bytes = ws.encode_changes(&[change.hash]);
                    if let Some(other) = copies.get_mut(to) {
                        let _ = other.apply(&bytes);
                    }
                }
                Ok(())
            }
            11 => {
                // An in-memory merge: the other copy's own changes are signed as they leave it.
                let to = b as usize % COPIES;
                let (low, high) = (who.min(to), who.max(to));
                if low != high {
                    let (left, right) = copies.split_at_mut(high);
                    if let (Some(l), Some(h)) = (left.get_mut(low), right.first_mut()) {
                        let _ = if to == high { h.merge(l) } else { l.merge(h) };
                    }
                }
                Ok(())
            }
            _ => {
                let to = b as usize % COPIES;
                if to != who {
                    let bytes = ws.save();
                    if let Some(other) = copies.get_mut(to) {
                        let _ = other.apply(&bytes);
                    }
                }
                Ok(())
            }
        };
    }
    let bundles: Vec<Vec<u8>> = copies.iter_mut().map(Workspace::save).collect();
    let mut forward = Workspace::load(Identity::from_secret_bytes([9; 32]), &saved).ok();
    let mut backward = Workspace::load(Identity::from_secret_bytes([9; 32]), &saved).ok();
    if let (Some(f), Some(b)) = (forward.as_mut(), backward.as_mut()) {
        for bundle in &bundles {
            let _ = f.apply(bundle);
        }
        for bundle in bundles.iter().rev() {
            let _ = b.apply(bundle);
        }
        assert!(
            f.save() == b.save(),
            "delivery order changed the saved bytes"
        );
        assert_eq!(
            f.members(),
            b.members(),
            "delivery order changed the members"
        );
        assert_eq!(
            f.contacts(&ContactQuery::default().include_archived(true)),
            b.contacts(&ContactQuery::default().include_archived(true)),
            "delivery order changed the contacts"
        );
    }
}
