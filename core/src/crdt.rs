//! Small merge-friendly data types, each giving the same result whatever the order the
//! operations are applied in (given that an operation comes after those in its causal
//! past, as the history guarantees).

use std::collections::{BTreeMap, BTreeSet};

use crate::ids::OpId;
use crate::object::Value;

/// A register: the write with the greatest operation id wins; writes made concurrently stay
/// visible as conflicts until a later write (which lists them in its `pred`) replaces them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Register {
    values: Vec<(OpId, Value)>,
    overwritten: BTreeSet<OpId>,
}

impl Register {
    pub(crate) fn set(&mut self, id: OpId, value: Value, pred: &[OpId]) {
        self.overwritten.extend(pred.iter().copied());
        self.values.retain(|(v, _)| !pred.contains(v));
        if !self.overwritten.contains(&id) && !self.values.iter().any(|(v, _)| *v == id) {
            self.values.push((id, value));
            self.values.sort();
        }
    }

    /// The winning value (the greatest id), if any.
    pub(crate) fn get(&self) -> Option<&Value> {
        self.values
            .last()
            .map(|(_, v)| v)
            .filter(|v| **v != Value::Null)
    }

    /// Every live value, oldest first: more than one when writes were concurrent.
    pub(crate) fn all(&self) -> &[(OpId, Value)] {
        &self.values
    }

    /// The ids a new write must list to replace every live value.
    pub(crate) fn heads(&self) -> Vec<OpId> {
        self.values.iter().map(|(id, _)| *id).collect()
    }
}

/// An add-wins set: a removal takes away only the additions its author saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct OrSet {
    tags: BTreeMap<Value, BTreeSet<OpId>>,
    removed: BTreeSet<OpId>,
}

impl OrSet {
    pub(crate) fn add(&mut self, id: OpId, value: Value) {
        if !self.removed.contains(&id) {
            self.tags.entry(value).or_default().insert(id);
        }
    }

    pub(crate) fn remove(&mut self, value: &Value, observed: &[OpId]) {
        self.removed.extend(observed.iter().copied());
        if let Some(tags) = self.tags.get_mut(value) {
            tags.retain(|t| !observed.contains(t));
            if tags.is_empty() {
                self.tags.remove(value);
            }
        }
    }

    /// The values present, in value order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &Value> {
        self.tags.keys()
    }

    /// The additions of `value` a removal must list.
    pub(crate) fn tags_of(&self, value: &Value) -> Vec<OpId> {
        self.tags
            .get(value)
            .map(|t| t.iter().copied().collect())
            .unwrap_or_default()
    }

    pub(crate) fn contains(&self, value: &Value) -> bool {
        self.tags.contains_key(value)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Char {
    id: OpId,
    ch: char,
    deleted: bool,
}

/// Text that merges character by character (a replicated growable array).
///
/// Every character has an operation id and is inserted after a given character. Among
/// characters inserted after the same one, the greatest id comes first, and a character
/// always has a greater id than the one it follows (ids are Lamport counters), so an
/// insertion skips exactly the characters with greater ids: runs typed concurrently at the
/// same place stay whole, one after the other, never interleaved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Text {
    chars: Vec<Char>,
}

impl Text {
    fn index_of(&self, id: OpId) -> Option<usize> {
        self.chars.iter().position(|c| c.id == id)
    }

    /// Inserts `text` after character `after` (or at the start); its characters take the
    /// ids `first`, `first + 1`, ...
    pub(crate) fn insert(&mut self, after: Option<OpId>, first: OpId, text: &str) {
        let mut pos = match after {
            None => 0,
            Some(a) => match self.index_of(a) {
                Some(i) => i + 1,
                None => return,
            },
        };
        for (k, ch) in text.chars().enumerate() {
            let id = OpId {
                counter: first.counter.saturating_add(k as u64),
                author: first.author,
            };
            if self.index_of(id).is_some() {
                // Already applied (a duplicate from a forked author).
                return;
            }
            while self.chars.get(pos).is_some_and(|c| c.id > id) {
                pos += 1;
            }
            self.chars.insert(
                pos,
                Char {
                    id,
                    ch,
                    deleted: false,
                },
            );
            pos += 1;
        }
    }

    /// Deletes the characters of the runs `(first id, length)`.
    pub(crate) fn delete(&mut self, runs: &[(OpId, u32)]) {
        for c in &mut self.chars {
            let hit = runs.iter().any(|(first, len)| {
                c.id.author == first.author
                    && c.id.counter >= first.counter
                    && c.id.counter - first.counter < u64::from(*len)
            });
            if hit {
                c.deleted = true;
            }
        }
    }

    /// The visible text.
    pub(crate) fn value(&self) -> String {
        self.chars
            .iter()
            .filter(|c| !c.deleted)
            .map(|c| c.ch)
            .collect()
    }

    /// The id of the visible character at `pos` (0-based), if any.
    pub(crate) fn id_at(&self, pos: usize) -> Option<OpId> {
        self.chars
            .iter()
            .filter(|c| !c.deleted)
            .nth(pos)
            .map(|c| c.id)
    }

    /// The runs of ids of the visible characters in `start..start + len`.
    pub(crate) fn runs(&self, start: usize, len: usize) -> Vec<(OpId, u32)> {
        let mut runs: Vec<(OpId, u32)> = Vec::new();
        for c in self
            .chars
            .iter()
            .filter(|c| !c.deleted)
            .skip(start)
            .take(len)
        {
            match runs.last_mut() {
                Some((first, n))
                    if first.author == c.id.author
                        && first.counter + u64::from(*n) == c.id.counter =>
                {
                    *n += 1
                }
                _ => runs.push((c.id, 1)),
            }
        }
        runs
    }

    /// How many visible characters.
    pub(crate) fn len(&self) -> usize {
        self.chars.iter().filter(|c| !c.deleted).count()
    }
}
