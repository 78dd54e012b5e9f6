//! Storage for the many small records a workspace keeps (stored changes, objects): a
//! vector in chunks, an index of positions by key, and a map made of the two.

use std::hash::{BuildHasher, Hash};

/// A vector in chunks of at most [`Chunked::CHUNK`] elements, for the stored changes and
/// the objects: it grows by a chunk at a time instead of doubling (a doubled vector, at
/// its largest, keeps room for as many elements again as it holds, and copies them all at
/// every growth).
#[derive(Clone, Debug)]
pub(crate) struct Chunked<T> {
    /// Every chunk but the last is full; the last is empty only when it is the only one
    /// (made by `reserve`).
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Chunked<T> {
    const CHUNK: usize = 1 << 12;

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every element, in order.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.chunks.iter().flatten()
    }

    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i / Self::CHUNK)?.get(i % Self::CHUNK)
    }

    pub(crate) fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.chunks
            .get_mut(i / Self::CHUNK)?
            .get_mut(i % Self::CHUNK)
    }

    pub(crate) fn push(&mut self, node: T) {
        match self.chunks.last_mut() {
            // The last chunk grows like a vector (a small history stays small) up to its
            // bound, then the next one starts at its full size.
            Some(last) if last.len() < Self::CHUNK => last.push(node),
            _ => {
                let mut chunk = Vec::with_capacity(if self.chunks.is_empty() {
                    0
                } else {
                    Self::CHUNK
                });
                chunk.push(node);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    pub(crate) fn last(&self) -> Option<&T> {
        self.chunks.last()?.last()
    }

    pub(crate) fn pop(&mut self) -> Option<T> {
        let last = self.chunks.last_mut()?;
        let node = last.pop()?;
        if last.is_empty() {
            self.chunks.pop();
        }
        self.len -= 1;
        Some(node)
    }

    /// Makes room for `additional` more elements in the chunk being filled.
    pub(crate) fn reserve(&mut self, additional: usize) {
        match self.chunks.last_mut() {
            Some(last) => {
                let room = Self::CHUNK - last.len();
                last.reserve(additional.min(room));
            }
            None => self
                .chunks
                .push(Vec::with_capacity(additional.min(Self::CHUNK))),
        }
    }
}

/// Positions in a vector, found by the key of the element at each: a table of positions
/// only (4 bytes a slot, where a map repeats the key and the element in every slot, a
/// quarter of them empty). Hashed with a per-process seed, like the other hash maps: keys
/// chosen to crowd one spot of the table cannot be prepared in advance.
#[derive(Clone, Debug, Default)]
pub(crate) struct Index {
    positions: hashbrown::HashTable<u32>,
    seed: foldhash::fast::RandomState,
}

impl Index {
    fn hash<K: Hash>(&self, key: &K) -> u64 {
        self.seed.hash_one(key)
    }

    /// How the table hashes a position again when it grows, given the key at each.
    fn rehash<'a, K: Hash>(
        seed: &'a foldhash::fast::RandomState,
        key_at: impl Fn(u32) -> Option<K> + 'a,
    ) -> impl Fn(&u32) -> u64 + 'a {
        move |&i| key_at(i).map_or(0, |k| seed.hash_one(k))
    }

    pub(crate) fn reserve<K: Hash>(
        &mut self,
        additional: usize,
        key_at: impl Fn(u32) -> Option<K>,
    ) {
        self.positions
            .reserve(additional, Self::rehash(&self.seed, key_at));
    }

    /// The position of `key`, given the key at each position.
    pub(crate) fn get<K: Hash + Eq>(
        &self,
        key: &K,
        key_at: impl Fn(u32) -> Option<K>,
    ) -> Option<u32> {
        let is = |&i: &u32| key_at(i).as_ref() == Some(key);
        self.positions.find(self.hash(key), is).copied()
    }

    /// Adds position `i`, whose key `key_at` gives and is not indexed yet.
    pub(crate) fn insert<K: Hash>(&mut self, i: u32, key_at: impl Fn(u32) -> Option<K>) {
        let Some(key) = key_at(i) else { return };
        let hash = self.hash(&key);
        self.positions
            .insert_unique(hash, i, Self::rehash(&self.seed, key_at));
    }

    /// Removes position `i`, whose key is `key`.
    pub(crate) fn remove<K: Hash>(&mut self, key: &K, i: u32) {
        if let Ok(entry) = self.positions.find_entry(self.hash(key), |&j| j == i) {
            entry.remove();
        }
    }
}

/// A map for many small records (the objects of a workspace, their rights): the entries
/// in a chunked vector, found through an [`Index`] of positions. An entry takes its key
/// and value, where a hash map also keeps a quarter of its slots empty and, while it
/// grows, both its old and new tables. A removal moves the last entry into the place of
/// the one removed (removals are rare: undoing the creation of an object).
#[derive(Clone)]
pub(crate) struct Table<K, V> {
    entries: Chunked<(K, V)>,
    index: Index,
}

impl<K, V> Default for Table<K, V> {
    fn default() -> Self {
        Table {
            entries: Chunked::default(),
            index: Index::default(),
        }
    }
}

impl<K: Hash + Eq + Copy, V> Table<K, V> {
    fn position(&self, key: &K) -> Option<u32> {
        let entries = &self.entries;
        self.index
            .get(key, |i| entries.get(i as usize).map(|(k, _)| *k))
    }

    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        let at = self.position(key)?;
        self.entries.get(at as usize).map(|(_, v)| v)
    }

    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let at = self.position(key)?;
        self.entries.get_mut(at as usize).map(|(_, v)| v)
    }

    /// Sets the value of `key`, replacing any.
    pub(crate) fn insert(&mut self, key: K, value: V) {
        if let Some(slot) = self.get_mut(&key) {
            *slot = value;
            return;
        }
        let at = self.entries.len() as u32;
        self.entries.push((key, value));
        let entries = &self.entries;
        self.index
            .insert(at, |i| entries.get(i as usize).map(|(k, _)| *k));
    }

    /// Every entry, in the order inserted, removals aside (which differs between copies:
    /// sort what is shown).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// Removes the entry of `key`, if any, and returns its value.
    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        let at = self.position(key)?;
        self.index.remove(key, at);
        let (last_key, last) = self.entries.pop()?;
        let last_at = self.entries.len() as u32;
        if at == last_at {
            return Some(last);
        }
        self.index.remove(&last_key, last_at);
        let slot = self.entries.get_mut(at as usize)?;
        let (_, removed) = std::mem::replace(slot, (last_key, last));
        let entries = &self.entries;
        self.index
            .insert(at, |i| entries.get(i as usize).map(|(k, _)| *k));
        Some(removed)
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

/// The same entries, whatever the order they were inserted in.
impl<K: Hash + Eq + Copy, V: PartialEq> PartialEq for Table<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl<K: Hash + Eq + Copy, V: Eq> Eq for Table<K, V> {}

impl<K: std::fmt::Debug, V: std::fmt::Debug> std::fmt::Debug for Table<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.entries.iter().map(|(k, v)| (k, v)))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{Chunked, Index, Table};
    use crate::ids::ChangeHash;

    #[derive(Clone, Debug)]
    enum Step {
        Push(usize),
        Pop(usize),
        Reserve(usize),
    }

    fn step() -> impl Strategy<Value = Step> {
        let many = 0..3 * Chunked::<u32>::CHUNK;
        prop_oneof![
            3 => many.clone().prop_map(Step::Push),
            2 => many.clone().prop_map(Step::Pop),
            1 => many.prop_map(Step::Reserve),
        ]
    }

    proptest! {
        /// Law: a chunked vector holds what a plain vector holds after the same pushes,
        /// pops and reservations, across chunk boundaries (each step moves up to three
        /// chunks' worth of elements).
        #[test]
        fn chunked_vector_reads_like_a_plain_one(steps in prop::collection::vec(step(), 1..12)) {
            let mut chunked = Chunked::default();
            let mut plain = Vec::new();
            let mut next = 0u32;
            for s in steps {
                match s {
                    Step::Push(n) => {
                        for _ in 0..n {
                            chunked.push(next);
                            plain.push(next);
                            next += 1;
                        }
                    }
                    Step::Pop(n) => {
                        for _ in 0..n {
                            prop_assert_eq!(chunked.pop(), plain.pop());
                        }
                    }
                    Step::Reserve(n) => chunked.reserve(n),
                }
                prop_assert_eq!(chunked.len(), plain.len());
                prop_assert_eq!(chunked.is_empty(), plain.is_empty());
                for (i, x) in plain.iter().enumerate() {
                    prop_assert_eq!(chunked.get(i), Some(x));
                }
                prop_assert_eq!(chunked.get(plain.len()), None);
            }
        }
    }

    proptest! {
        /// Law: the index finds exactly the hashes a plain map holds after the same
        /// insertions and removals of the last one inserted, through growths of its
        /// table (sixteen hashes, alike but for two bytes).
        #[test]
        fn index_finds_what_a_plain_map_holds(
            steps in prop::collection::vec((any::<bool>(), 0u8..4, 0u8..4), 1..60)
        ) {
            let hash = |prefix: u8, rest: u8| {
                let mut bytes = [0u8; 32];
                bytes[0] = prefix;
                bytes[31] = rest;
                ChangeHash::from_bytes(bytes)
            };
            let mut index = Index::default();
            let mut stored: Vec<ChangeHash> = Vec::new();
            for (push, prefix, rest) in steps {
                if push {
                    let h = hash(prefix, rest);
                    if !stored.contains(&h) {
                        stored.push(h);
                        index.insert(stored.len() as u32 - 1, |i| stored.get(i as usize).copied());
                    }
                } else if let Some(h) = stored.pop() {
                    index.remove(&h, stored.len() as u32);
                }
                for prefix in 0..4 {
                    for rest in 0..4 {
                        let h = hash(prefix, rest);
                        let want = stored.iter().position(|s| *s == h).map(|i| i as u32);
                        let got = index.get(&h, |i| stored.get(i as usize).copied());
                        prop_assert_eq!(got, want);
                    }
                }
            }
        }
    }

    proptest! {
        /// Law: a table holds what a plain map holds after the same insertions and
        /// removals, and two tables with the same entries are equal whatever the order
        /// they were inserted in (across chunk boundaries).
        #[test]
        fn table_holds_what_a_plain_map_holds(
            steps in prop::collection::vec((0u32..6000, any::<u8>()), 0..6000)
        ) {
            let mut table = Table::default();
            let mut plain = std::collections::BTreeMap::new();
            for &(k, v) in &steps {
                // One step in eight removes a key.
                if v % 8 == 0 {
                    prop_assert_eq!(table.remove(&k), plain.remove(&k));
                } else {
                    table.insert(k, v);
                    plain.insert(k, v);
                }
            }
            prop_assert_eq!(table.len(), plain.len());
            for k in 0..6000 {
                prop_assert_eq!(table.get(&k), plain.get(&k));
            }
            let mut reversed = Table::default();
            for (&k, &v) in plain.iter().rev() {
                reversed.insert(k, v);
            }
            prop_assert!(table == reversed);
            if let Some((&k, &v)) = plain.iter().next() {
                reversed.insert(k, v.wrapping_add(1));
                prop_assert!(table != reversed);
            }
        }
    }
}
