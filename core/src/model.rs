//! The materialised content: everything that is not authority, built only from valid
//! changes. Every field merges independently of the order changes are applied in.

use std::collections::BTreeMap;

use crate::ids::{MemberId, OpId};
use crate::op::Op;

/// A last-writer-wins register: the write with the greatest operation id wins (ties, which
/// only a forked author can cause, go to the greater value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Lww<T> {
    pub(crate) value: T,
    pub(crate) at: Option<OpId>,
}

impl<T: Ord + Clone + Default> Lww<T> {
    pub(crate) fn set(&mut self, value: &T, at: OpId) {
        let newer = match self.at {
            None => true,
            Some(cur) => (at, value) > (cur, &self.value),
        };
        if newer {
            self.value = value.clone();
            self.at = Some(at);
        }
    }
}

impl<T: Default> Default for Lww<T> {
    fn default() -> Self {
        Lww {
            value: T::default(),
            at: None,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Model {
    pub(crate) name: Lww<String>,
    pub(crate) profiles: BTreeMap<MemberId, Lww<String>>,
}

impl Model {
    /// Applies the content operations of a valid change.
    pub(crate) fn apply(&mut self, author: MemberId, lamport: u64, ops: &[Op]) {
        for (i, op) in ops.iter().enumerate() {
            let at = OpId {
                counter: lamport + i as u64,
                author,
            };
            self.apply_op(author, at, op);
        }
    }

    pub(crate) fn apply_op(&mut self, author: MemberId, at: OpId, op: &Op) {
        match op {
            Op::Genesis { name } | Op::RenameWorkspace { name } => self.name.set(name, at),
            Op::SetProfile { display_name } => self
                .profiles
                .entry(author)
                .or_default()
                .set(display_name, at),
            _ => {}
        }
    }
}
