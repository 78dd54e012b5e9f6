//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use cercle::{Identity, SteppingClock, Workspace};

/// A deterministic identity.
pub fn id(n: u8) -> Identity {
    Identity::from_secret_bytes([n; 32])
}

pub fn clock() -> Arc<SteppingClock> {
    Arc::new(SteppingClock::new(
        "2010-02-23T12:25:00Z".parse().unwrap(),
        1000,
    ))
}

/// A workspace founded by identity 1.
pub fn founded() -> Workspace {
    Workspace::create_with_clock(id(1), "Juste à temps", clock())
}

/// A copy of `ws` for identity `n`.
pub fn copy_for(ws: &mut Workspace, n: u8) -> Workspace {
    Workspace::load_with_clock(id(n), &ws.save(), clock()).unwrap()
}

/// Runs the sync protocol between two copies until both are silent; returns the number
/// of messages and bytes exchanged.
pub fn sync(a: &mut Workspace, b: &mut Workspace) -> (usize, usize) {
    let stats = cercle::sync_in_memory(a, b).unwrap();
    assert_eq!(a.heads(), b.heads(), "sync did not converge");
    (stats.messages, stats.bytes)
}

/// Everything observable about a workspace's state, for comparisons.
pub mod gen;

pub fn state(ws: &mut Workspace) -> String {
    let contacts = ws.contacts(&cercle::ContactQuery::default().include_archived(true));
    let content: Vec<String> = contacts
        .iter()
        .map(|c| {
            format!(
                "{c:?}\n  timeline {:?}\n  comments {:?}\n  conflicts {:?}",
                ws.timeline(&c.id),
                ws.comments(c.id),
                ws.conflicts(&c.id.into(), &cercle::Field::Organisation)
            )
        })
        .collect();
    format!(
        "{}\n{:?}\n{:?}\n{:?}\n{}\n{:?}",
        ws.name(),
        ws.heads(),
        ws.members(),
        ws.groups(),
        content.join("\n"),
        ws.changes()
            .iter()
            .map(|c| (c.hash, c.status.clone()))
            .collect::<Vec<_>>()
    )
}
