//! The fuzz harness: each entry point feeds arbitrary bytes to one way into a workspace
//! and checks that a failure leaves the workspace unchanged.

use cercle::{Identity, NewGroup, Role, SyncState, Workspace};

fn base() -> Workspace {
    let mut ws = Workspace::create(Identity::from_secret_bytes([1; 32]), "fuzz");
    let _ = ws.add_member(Identity::from_secret_bytes([2; 32]).member_id(), Role::Member);
    let _ = ws.create_group(NewGroup::new("g"));
    ws.commit();
    ws
}

/// Loads arbitrary bytes as a saved workspace.
pub fn load(data: &[u8]) {
    let _ = Workspace::load(Identity::from_secret_bytes([3; 32]), data);
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
        assert_eq!(ws.save(), before, "a failed sync message changed the workspace");
    }
    let _ = ws.generate_sync_message(&mut state);
}
