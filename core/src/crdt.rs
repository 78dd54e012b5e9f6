//! Small merge-friendly data types, each giving the same result whatever the order the
//! operations are applied in (given that an operation comes after those in its causal
//! past, as the history guarantees).

use std::collections::BTreeSet;

use crate::ids::OpId;
use crate::object::Value;

/// A register: the write with the greatest operation id wins; writes made concurrently stay
/// visible as conflicts until a later write (which lists them in its `pred`) replaces them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Register {
    values: Sorted<(OpId, Value)>,
    overwritten: BTreeSet<OpId>,
}

/// A small sorted set of distinct elements. Almost every one holds exactly one element
/// (the live write of a register, the addition of a set value), kept inline: a workspace
/// has one per field of every object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum Sorted<T> {
    #[default]
    Empty,
    One(T),
    Many(Vec<T>),
}

impl<T: Ord> Sorted<T> {
    pub(crate) fn as_slice(&self) -> &[T] {
        match self {
            Sorted::Empty => &[],
            Sorted::One(x) => std::slice::from_ref(x),
            Sorted::Many(xs) => xs,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }

    pub(crate) fn retain(&mut self, keep: impl Fn(&T) -> bool) {
        match self {
            Sorted::Empty => {}
            Sorted::One(x) => {
                if !keep(x) {
                    *self = Sorted::Empty;
                }
            }
            Sorted::Many(xs) => {
                xs.retain(keep);
                match xs.len() {
                    0 => *self = Sorted::Empty,
                    1 => {
                        if let Some(x) = xs.pop() {
                            *self = Sorted::One(x);
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    /// Adds an element in its sorted place, unless an equal one is there.
    pub(crate) fn insert(&mut self, x: T) {
        match std::mem::take(self) {
            Sorted::Empty => *self = Sorted::One(x),
            Sorted::One(y) => {
                *self = match x.cmp(&y) {
                    std::cmp::Ordering::Less => Sorted::Many(vec![x, y]),
                    std::cmp::Ordering::Equal => Sorted::One(y),
                    std::cmp::Ordering::Greater => Sorted::Many(vec![y, x]),
                };
            }
            Sorted::Many(mut xs) => {
                if let Err(at) = xs.binary_search(&x) {
                    xs.insert(at, x);
                }
                *self = Sorted::Many(xs);
            }
        }
    }
}

impl Register {
    pub(crate) fn set(&mut self, id: OpId, value: Value, pred: &[OpId]) {
        self.overwritten.extend(pred.iter().copied());
        self.values.retain(|(v, _)| !pred.contains(v));
        if !self.overwritten.contains(&id) && !self.all().iter().any(|(v, _)| *v == id) {
            self.values.insert((id, value));
        }
    }

    /// The winning value (the greatest id), if any.
    pub(crate) fn get(&self) -> Option<&Value> {
        self.all()
            .last()
            .map(|(_, v)| v)
            .filter(|v| **v != Value::Null)
    }

    /// Every live value, oldest first: more than one when writes were concurrent.
    pub(crate) fn all(&self) -> &[(OpId, Value)] {
        self.values.as_slice()
    }

    /// The ids a new write must list to replace every live value.
    pub(crate) fn heads(&self) -> Vec<OpId> {
        self.all().iter().map(|(id, _)| *id).collect()
    }
}

/// An add-wins set: a removal takes away only the additions its author saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct OrSet {
    /// Each value present with the ids of its additions.
    tags: SmallMap<Value, Sorted<OpId>>,
    removed: BTreeSet<OpId>,
}

impl OrSet {
    pub(crate) fn add(&mut self, id: OpId, value: Value) {
        if !self.removed.contains(&id) {
            if let Some(tags) = self.tags.or_default(&value) {
                tags.insert(id);
            }
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
            .map(|t| t.as_slice().to_vec())
            .unwrap_or_default()
    }

    pub(crate) fn contains(&self, value: &Value) -> bool {
        self.tags.contains_key(value)
    }
}

/// Makes room for one more element, growing by half rather than doubling from four: most
/// of these vectors hold one or two elements for the life of the workspace.
fn grow_gently<T>(v: &mut Vec<T>) {
    if v.len() == v.capacity() {
        v.reserve_exact((v.len() / 2).max(1));
    }
}

/// A map kept as a vector sorted by key: the few fields of an object in one allocation,
/// where a B-tree would take a node of eleven slots for each map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SmallMap<K, V>(Vec<(K, V)>);

impl<K, V> Default for SmallMap<K, V> {
    fn default() -> Self {
        SmallMap(Vec::new())
    }
}

impl<K: Ord, V> SmallMap<K, V> {
    fn find(&self, key: &K) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.cmp(key))
    }

    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        self.find(key)
            .ok()
            .and_then(|i| self.0.get(i))
            .map(|(_, v)| v)
    }

    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let i = self.find(key).ok()?;
        self.0.get_mut(i).map(|(_, v)| v)
    }

    pub(crate) fn contains_key(&self, key: &K) -> bool {
        self.find(key).is_ok()
    }

    /// The value at `key`, inserted as the default first if absent (always `Some`).
    pub(crate) fn or_default(&mut self, key: &K) -> Option<&mut V>
    where
        K: Clone,
        V: Default,
    {
        let i = match self.find(key) {
            Ok(i) => i,
            Err(i) => {
                grow_gently(&mut self.0);
                self.0.insert(i, (key.clone(), V::default()));
                i
            }
        };
        self.0.get_mut(i).map(|(_, v)| v)
    }

    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        let i = self.find(key).ok()?;
        Some(self.0.remove(i).1)
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &K> {
        self.0.iter().map(|(k, _)| k)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Char {
    id: OpId,
    ch: char,
    deleted: bool,
}

/// Characters per chunk after a split; a chunk splits when it holds twice as many.
const CHUNK: usize = 128;

/// A run of consecutive characters of the sequence, with a stable key.
#[derive(Clone, Debug)]
struct Chunk {
    key: u32,
    chars: Vec<Char>,
    visible: usize,
}

/// Text that merges character by character (a replicated growable array).
///
/// Every character has an operation id and is inserted after a given character. Among
/// characters inserted after the same one, the greatest id comes first, and a character
/// always has a greater id than the one it follows (ids are Lamport counters), so an
/// insertion skips exactly the characters with greater ids: runs typed concurrently at the
/// same place stay whole, one after the other, never interleaved.
///
/// The sequence (deleted characters included) is kept in chunks of a few hundred
/// characters, each with its count of visible ones, and an index gives the chunk of every
/// id; a Fenwick tree of the chunks' visible counts finds the chunk of a position.
/// Finding a character or a position costs a logarithmic search plus a pass over one
/// chunk, not a pass over the whole text. Chunk boundaries depend on the editing history
/// but nothing observable does: equality compares the sequences.
#[derive(Clone, Debug, Default)]
pub(crate) struct Text {
    chunks: Vec<Chunk>,
    /// The key of the chunk holding each id. Only looked up, never iterated.
    index: foldhash::HashMap<OpId, u32>,
    /// The position in `chunks` of the chunk with each key.
    position: Vec<u32>,
    /// Fenwick tree (1-based) of the chunks' visible counts.
    tree: Vec<usize>,
    /// The chunk and offset of the character inserted or deleted last (typing inserts
    /// after it, deleting key by key deletes the one before it). Only a hint: checked.
    last: Option<(usize, usize)>,
    next_key: u32,
    visible: usize,
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.visible == other.visible && self.iter().eq(other.iter())
    }
}

impl Eq for Text {}

impl Text {
    fn iter(&self) -> impl Iterator<Item = &Char> {
        self.chunks.iter().flat_map(|c| c.chars.iter())
    }

    /// The chunk and offset of character `id`.
    fn locate(&self, id: OpId) -> Option<(usize, usize)> {
        // Typing and deleting key by key touch the character next to the last one.
        if let Some((ci, off)) = self.last {
            let chars = self.chunks.get(ci).map_or(&[][..], |c| &c.chars);
            for o in [off, off.wrapping_sub(1), off + 1] {
                if chars.get(o).is_some_and(|c| c.id == id) {
                    return Some((ci, o));
                }
            }
        }
        let key = *self.index.get(&id)?;
        let ci = *self.position.get(key as usize)? as usize;
        let off = self.chunks.get(ci)?.chars.iter().position(|c| c.id == id)?;
        Some((ci, off))
    }

    /// Adds `delta` visible characters to chunk `ci` (and to the whole text).
    fn add_visible(&mut self, ci: usize, delta: isize) {
        if let Some(chunk) = self.chunks.get_mut(ci) {
            chunk.visible = chunk.visible.wrapping_add_signed(delta);
        }
        self.visible = self.visible.wrapping_add_signed(delta);
        let mut i = ci + 1;
        while let Some(slot) = self.tree.get_mut(i) {
            *slot = slot.wrapping_add_signed(delta);
            i += i & i.wrapping_neg();
        }
    }

    /// Rebuilds the chunk positions and the Fenwick tree after chunks moved.
    fn reindex(&mut self) {
        self.last = None;
        let keys = self.next_key as usize;
        self.position.resize(keys.max(self.position.len()), 0);
        self.tree.clear();
        self.tree.resize(self.chunks.len() + 1, 0);
        for (ci, chunk) in self.chunks.iter().enumerate() {
            if let Some(p) = self.position.get_mut(chunk.key as usize) {
                *p = ci as u32;
            }
            if let Some(slot) = self.tree.get_mut(ci + 1) {
                *slot += chunk.visible;
            }
        }
        // In place: each node passes its sum to its parent.
        for i in 1..self.tree.len() {
            let parent = i + (i & i.wrapping_neg());
            let sum = self.tree.get(i).copied().unwrap_or(0);
            if let Some(slot) = self.tree.get_mut(parent) {
                *slot += sum;
            }
        }
    }

    /// The chunk and offset of the `pos`-th visible character.
    fn visible_at(&self, pos: usize) -> Option<(usize, usize)> {
        if pos >= self.visible {
            return None;
        }
        // The last chunk whose preceding chunks hold at most `pos` visible characters.
        let (mut ci, mut rest) = (0usize, pos);
        let mut step = (self.tree.len().max(1)).next_power_of_two();
        while step > 0 {
            if let Some(&sum) = self.tree.get(ci + step) {
                if sum <= rest {
                    ci += step;
                    rest -= sum;
                }
            }
            step /= 2;
        }
        let off = self
            .chunks
            .get(ci)?
            .chars
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.deleted)
            .nth(rest)
            .map(|(i, _)| i)?;
        Some((ci, off))
    }

    /// Splits chunk `ci` in two if it grew too large.
    fn split(&mut self, ci: usize) {
        let Some(chunk) = self.chunks.get_mut(ci) else {
            return;
        };
        if chunk.chars.len() <= 2 * CHUNK {
            return;
        }
        let tail = chunk.chars.split_off(CHUNK);
        let moved = tail.iter().filter(|c| !c.deleted).count();
        chunk.visible -= moved;
        let key = self.next_key;
        self.next_key = self.next_key.wrapping_add(1);
        for c in &tail {
            self.index.insert(c.id, key);
        }
        self.chunks.insert(
            ci + 1,
            Chunk {
                key,
                chars: tail,
                visible: moved,
            },
        );
        self.reindex();
    }

    /// Inserts `text` after character `after` (or at the start); its characters take the
    /// ids `first`, `first + 1`, ...
    pub(crate) fn insert(&mut self, after: Option<OpId>, first: OpId, text: &str) {
        let (mut ci, mut off) = match after {
            None => (0, 0),
            Some(a) => match self.locate(a) {
                Some((ci, off)) => (ci, off + 1),
                None => return,
            },
        };
        for (k, ch) in text.chars().enumerate() {
            let id = OpId {
                counter: first.counter.saturating_add(k as u64),
                author: first.author,
            };
            // Skip the characters with greater ids, across chunk boundaries.
            while let Some(chunk) = self.chunks.get(ci) {
                match chunk.chars.get(off) {
                    Some(c) if c.id > id => off += 1,
                    Some(_) => break,
                    None if ci + 1 < self.chunks.len() => {
                        ci += 1;
                        off = 0;
                    }
                    None => break,
                }
            }
            if self.chunks.is_empty() {
                let key = self.next_key;
                self.next_key = self.next_key.wrapping_add(1);
                self.chunks.push(Chunk {
                    key,
                    chars: Vec::new(),
                    visible: 0,
                });
                self.reindex();
                (ci, off) = (0, 0);
            }
            let Some(chunk) = self.chunks.get_mut(ci) else {
                return;
            };
            match self.index.entry(id) {
                // Already applied (a duplicate from a forked author).
                std::collections::hash_map::Entry::Occupied(_) => return,
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(chunk.key);
                }
            }
            let at = off.min(chunk.chars.len());
            chunk.chars.insert(
                at,
                Char {
                    id,
                    ch,
                    deleted: false,
                },
            );
            let len = chunk.chars.len();
            self.add_visible(ci, 1);
            self.last = Some((ci, at));
            off = at + 1;
            if len > 2 * CHUNK {
                self.split(ci);
                if off > CHUNK {
                    ci += 1;
                    off -= CHUNK;
                }
            }
        }
    }

    /// Deletes the characters of the runs `(first id, length)`.
    pub(crate) fn delete(&mut self, runs: &[(OpId, u32)]) {
        for (first, len) in runs {
            for k in 0..u64::from(*len) {
                let id = OpId {
                    counter: first.counter.saturating_add(k),
                    author: first.author,
                };
                let Some((ci, off)) = self.locate(id) else {
                    continue;
                };
                self.last = Some((ci, off));
                let deleted = self
                    .chunks
                    .get_mut(ci)
                    .and_then(|chunk| chunk.chars.get_mut(off))
                    .is_some_and(|c| !std::mem::replace(&mut c.deleted, true));
                if deleted {
                    self.add_visible(ci, -1);
                }
            }
        }
    }

    /// The visible text.
    pub(crate) fn value(&self) -> String {
        self.iter().filter(|c| !c.deleted).map(|c| c.ch).collect()
    }

    /// The id of the visible character at `pos` (0-based), if any.
    pub(crate) fn id_at(&self, pos: usize) -> Option<OpId> {
        let (ci, off) = self.visible_at(pos)?;
        self.chunks.get(ci)?.chars.get(off).map(|c| c.id)
    }

    /// The runs of ids of the visible characters in `start..start + len`.
    pub(crate) fn runs(&self, start: usize, len: usize) -> Vec<(OpId, u32)> {
        let mut runs: Vec<(OpId, u32)> = Vec::new();
        let Some((ci, off)) = self.visible_at(start) else {
            return runs;
        };
        let rest = self
            .chunks
            .get(ci)
            .map(|c| c.chars.get(off..).unwrap_or_default())
            .unwrap_or_default()
            .iter()
            .chain(self.chunks.iter().skip(ci + 1).flat_map(|c| c.chars.iter()));
        for c in rest.filter(|c| !c.deleted).take(len) {
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
        self.visible
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::ids::MemberId;
    use proptest::prelude::*;

    /// The plain sequence the chunked text must behave exactly like.
    #[derive(Default)]
    struct Plain(Vec<Char>);

    impl Plain {
        fn insert(&mut self, after: Option<OpId>, first: OpId, text: &str) {
            let mut pos = match after {
                None => 0,
                Some(a) => match self.0.iter().position(|c| c.id == a) {
                    Some(i) => i + 1,
                    None => return,
                },
            };
            for (k, ch) in text.chars().enumerate() {
                let id = OpId {
                    counter: first.counter + k as u64,
                    author: first.author,
                };
                if self.0.iter().any(|c| c.id == id) {
                    return;
                }
                while self.0.get(pos).is_some_and(|c| c.id > id) {
                    pos += 1;
                }
                self.0.insert(
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

        fn delete(&mut self, runs: &[(OpId, u32)]) {
            for c in &mut self.0 {
                if runs.iter().any(|(f, n)| {
                    c.id.author == f.author
                        && c.id.counter >= f.counter
                        && c.id.counter - f.counter < u64::from(*n)
                }) {
                    c.deleted = true;
                }
            }
        }

        fn visible(&self) -> Vec<&Char> {
            self.0.iter().filter(|c| !c.deleted).collect()
        }
    }

    #[derive(Clone, Debug)]
    enum Edit {
        /// Insert `len` characters after the `after`-th character ever inserted (or at the
        /// start), by author `who`.
        Insert {
            after: Option<usize>,
            who: u8,
            len: usize,
        },
        /// Delete the visible characters `start..start + len` (positions taken modulo).
        Delete { start: usize, len: usize },
    }

    fn edit() -> impl Strategy<Value = Edit> {
        prop_oneof![
            3 => (proptest::option::of(any::<usize>()), 0u8..3, 1usize..300)
                .prop_map(|(after, who, len)| Edit::Insert { after, who, len }),
            1 => (any::<usize>(), 1usize..200).prop_map(|(start, len)| Edit::Delete { start, len }),
        ]
    }

    proptest! {
        /// Law: `Sorted` reads exactly as a sorted, deduplicated vector under any sequence
        /// of insertions and removals (the inline forms change nothing observable).
        #[test]
        fn sorted_reads_as_a_sorted_deduplicated_vector(
            steps in proptest::collection::vec((any::<bool>(), 0u8..6), 0..40),
        ) {
            let mut small: Sorted<u8> = Sorted::default();
            let mut plain: Vec<u8> = Vec::new();
            for (add, x) in steps {
                if add {
                    small.insert(x);
                    if let Err(at) = plain.binary_search(&x) {
                        plain.insert(at, x);
                    }
                } else {
                    small.retain(|y| *y != x);
                    plain.retain(|y| *y != x);
                }
                prop_assert_eq!(small.as_slice(), plain.as_slice());
                prop_assert_eq!(small.is_empty(), plain.is_empty());
                // One element is always kept inline.
                prop_assert_eq!(matches!(small, Sorted::One(_)), plain.len() == 1);
            }
        }
    }

    proptest! {
        /// Law: the chunked text is observably the plain sequence — same visible text, same
        /// ids at every position, same runs — whatever the inserts (long enough to split
        /// chunks, concurrent authors, skipped greater ids) and deletes.
        #[test]
        fn chunked_text_behaves_exactly_like_the_plain_sequence(
            edits in proptest::collection::vec(edit(), 1..40)
        ) {
            let mut text = Text::default();
            let mut plain = Plain::default();
            let mut ids: Vec<OpId> = Vec::new();
            let mut counter = 1u64;
            for e in edits {
                match e {
                    Edit::Insert { after, who, len } => {
                        // A quarter of the inserts continue after the last character typed.
                        let after = after.and_then(|a| if a % 4 == 0 {
                            ids.last().copied()
                        } else {
                            ids.get(a % ids.len().max(1)).copied()
                        });
                        let first = OpId { counter, author: MemberId::from_bytes([who; 32]) };
                        let s: String = (0..len).map(|k| char::from(b'a' + (k % 26) as u8)).collect();
                        text.insert(after, first, &s);
                        plain.insert(after, first, &s);
                        for k in 0..len as u64 {
                            ids.push(OpId { counter: counter + k, author: first.author });
                        }
                        counter += len as u64 + u64::from(who);
                    }
                    Edit::Delete { start, len } => {
                        let n = text.len();
                        if n == 0 { continue; }
                        let start = start % n;
                        let runs = text.runs(start, len);
                        text.delete(&runs);
                        plain.delete(&runs);
                    }
                }
                let visible = plain.visible();
                prop_assert_eq!(text.len(), visible.len());
                prop_assert_eq!(text.value(), visible.iter().map(|c| c.ch).collect::<String>());
                let every = (visible.len() / 16).max(1);
                for pos in (0..visible.len()).step_by(every).chain([visible.len().saturating_sub(1)]) {
                    prop_assert_eq!(text.id_at(pos), visible.get(pos).map(|c| c.id));
                }
            }
            prop_assert!(text.iter().eq(plain.0.iter()));
        }
    }
}
