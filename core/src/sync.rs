//! The sync protocol: two copies exchange messages over any byte transport until each
//! holds what the other has.
//!
//! Each message carries the sender's heads, a sample of its history (the heads and the
//! changes 1, 2, 4, 8, ... steps behind them), hashes it knows it needs, and the changes the
//! receiver lacks as far as the sender can tell. Everything in the causal past of a hash
//! both sides know is never sent, so two copies that differ by a few changes exchange bytes
//! in proportion to the difference (within a factor of about two), not to the history.

use std::collections::BTreeSet;

use crate::apply::ApplyReport;
use crate::change::Change;
use crate::codec;
use crate::error::ApplyError;
use crate::history::Stored;
use crate::ids::ChangeHash;
use crate::workspace::Workspace;

/// What one side of a sync knows about its peer. Keep one per peer and connection; start
/// a fresh one after a reconnection (messages may have been lost).
///
/// ```
/// use cercle::{Identity, Role, SyncState, Workspace};
/// let mut a = Workspace::create(Identity::from_secret_bytes([1; 32]), "Juste à temps");
/// let claire = Identity::from_secret_bytes([2; 32]);
/// a.add_member(claire.member_id(), Role::Member)?;
/// let mut b = Workspace::load(claire, &a.save())?;
/// a.rename("Juste à temps SARL")?;
/// b.set_display_name("Claire")?;
///
/// let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
/// loop {
///     let m1 = a.generate_sync_message(&mut sa);
///     if let Some(m) = &m1 { b.receive_sync_message(&mut sb, m)?; }
///     let m2 = b.generate_sync_message(&mut sb);
///     if let Some(m) = &m2 { a.receive_sync_message(&mut sa, m)?; }
///     if m1.is_none() && m2.is_none() { break; }
/// }
/// assert_eq!(a.heads(), b.heads());
/// assert_eq!(b.name(), "Juste à temps SARL");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncState {
    their_heads: Option<Vec<ChangeHash>>,
    their_have: Vec<ChangeHash>,
    their_need: Vec<ChangeHash>,
    sent_heads: Option<Vec<ChangeHash>>,
    sent: BTreeSet<ChangeHash>,
}

impl SyncState {
    /// A state for a peer nothing is known about.
    pub fn new() -> Self {
        Self::default()
    }

    /// The peer's heads, as of its last message.
    pub fn their_heads(&self) -> Option<&[ChangeHash]> {
        self.their_heads.as_deref()
    }
}

/// What an in-memory sync exchanged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SyncStats {
    /// Messages sent, both ways.
    pub messages: usize,
    /// Bytes sent, both ways.
    pub bytes: usize,
}

/// Runs the sync protocol between two copies held in one process until both have nothing
/// more to say — what two applications do over a network, message by message.
///
/// ```
/// use cercle::{sync_in_memory, Identity, Role, Workspace};
/// let mut a = Workspace::create(Identity::from_secret_bytes([1; 32]), "Juste à temps");
/// let claire = Identity::from_secret_bytes([2; 32]);
/// a.add_member(claire.member_id(), Role::Member)?;
/// let mut b = Workspace::load(claire, &a.save())?;
/// b.set_display_name("Claire")?;
/// let stats = sync_in_memory(&mut a, &mut b)?;
/// assert_eq!(a.heads(), b.heads());
/// assert!(stats.messages <= 6);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sync_in_memory(a: &mut Workspace, b: &mut Workspace) -> Result<SyncStats, ApplyError> {
    let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
    let mut stats = SyncStats::default();
    // The protocol settles in a handful of messages; the bound only guards the loop.
    for _ in 0..64 {
        let to_b = a.generate_sync_message(&mut sa);
        if let Some(m) = &to_b {
            stats.messages += 1;
            stats.bytes += m.len();
            b.receive_sync_message(&mut sb, m)?;
        }
        let to_a = b.generate_sync_message(&mut sb);
        if let Some(m) = &to_a {
            stats.messages += 1;
            stats.bytes += m.len();
            a.receive_sync_message(&mut sa, m)?;
        }
        if to_b.is_none() && to_a.is_none() {
            break;
        }
    }
    Ok(stats)
}

impl Workspace {
    /// The next message to send to the peer, or `None` when there is nothing to say.
    /// Commits the open change first.
    pub fn generate_sync_message(&mut self, state: &mut SyncState) -> Option<Vec<u8>> {
        self.commit();
        let history = &self.history;
        let heads = history.heads();
        let mut to_send: Vec<u32> = Vec::new();
        if let Some(theirs) = &state.their_heads {
            let known: Vec<u32> = theirs
                .iter()
                .chain(&state.their_have)
                .filter_map(|h| history.lookup(h))
                .collect();
            to_send = history
                .missing_from(&known)
                .into_iter()
                .filter(|&i| {
                    history
                        .node(i)
                        .is_some_and(|n| !state.sent.contains(&n.hash))
                })
                .collect();
        }
        let need: BTreeSet<ChangeHash> = self
            .pending_changes()
            .flat_map(|c: &Change| c.body.deps.iter())
            .filter(|d| !history.contains(d))
            .copied()
            .collect();
        let answering = !state.their_need.is_empty();
        if state.sent_heads.as_ref() == Some(&heads) && to_send.is_empty() && !answering {
            return None;
        }
        let changes: Vec<Stored<'_>> = to_send.iter().filter_map(|&i| history.stored(i)).collect();
        let message = codec::encode_sync(
            heads.clone(),
            history.sample(),
            need.into_iter().collect(),
            &changes,
            &self.identity,
        );
        for &i in &to_send {
            if let Some(n) = history.node(i) {
                state.sent.insert(n.hash);
            }
        }
        state.sent_heads = Some(heads);
        state.their_need.clear();
        Some(message)
    }

    /// Reads a message from the peer and applies the changes it carries. If the message
    /// is malformed or carries a forged change, nothing is applied.
    pub fn receive_sync_message(
        &mut self,
        state: &mut SyncState,
        bytes: &[u8],
    ) -> Result<ApplyReport, ApplyError> {
        let message = codec::decode_sync(bytes)?;
        let changes = message
            .changes
            .verify()
            .map_err(|(hash, reason)| ApplyError::Rejected { hash, reason })?;
        self.commit();
        let report = self.apply_changes(changes)?;
        if !message.need.is_empty() {
            // The peer lacks something it was sent or assumed to have: send again.
            state.sent.clear();
            state.their_need = message.need;
        }
        state.their_heads = Some(message.heads);
        state.their_have = message.have;
        Ok(report)
    }
}
