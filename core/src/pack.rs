//! Settled operations packed in blocks: the encodings of consecutive stored changes'
//! operations ([`crate::compact::OpsWriter`]) concatenated up to [`BLOCK`] bytes and
//! compressed together (DEFLATE), so that what changes repeat from one to the next (field
//! names, the start of texts, the ids an author names again) is kept once. The history of
//! a team is read back seldom (to replay it when permissions change, to send or save it),
//! and then mostly in order: the last blocks read are kept inflated by each thread.
//!
//! A change whose encoding takes a block on its own is kept in a block of its own, as is.

use std::cell::RefCell;
use std::sync::{Arc, Weak};

use crate::change::{DecodedOps, Ops};
use crate::compact::OpsWriter;
use crate::ids::MemberId;

/// How many bytes of encodings a block gathers before it is compressed.
pub(crate) const BLOCK: usize = 8 << 10;

/// DEFLATE level: the fastest (level 6 gains 4 %, at three times the time).
const LEVEL: u8 = 1;

/// How many inflated blocks each thread keeps (at most 256 KiB): reading changes in
/// canonical order goes back and forth between the blocks of the copies that made them
/// (four kept made replaying the permissions workload's four concurrent branches 20 %
/// slower; sixteen, as fast as with the encodings kept apart).
const INFLATED: usize = 16;

/// The encodings of some changes' operations.
#[derive(Debug)]
pub(crate) enum Block {
    /// Consecutive changes' encodings compressed together, with where each ends in the
    /// inflated bytes (a block inflates to less than `2 * BLOCK` bytes).
    Deflated { data: Box<[u8]>, ends: Box<[u16]> },
    /// One change's encoding, as is.
    Raw(Box<[u8]>),
}

impl Block {
    /// The encoding at `slot`, given to `read` (inflating the block unless this thread
    /// kept it inflated); `None` if there is no such slot.
    pub(crate) fn with_slot<R>(
        self: &Arc<Self>,
        slot: u16,
        read: impl FnOnce(&[u8]) -> R,
    ) -> Option<R> {
        match &**self {
            Block::Raw(bytes) => (slot == 0).then(|| read(bytes)),
            Block::Deflated { ends, .. } => {
                let at = usize::from(slot);
                let start = at.checked_sub(1).map_or(Some(0), |p| ends.get(p).copied());
                let range = usize::from(start?)..usize::from(*ends.get(at)?);
                CACHE.with(|cache| {
                    let mut cache = cache.borrow_mut();
                    let bytes = cache.inflated(self)?;
                    bytes.get(range).map(read)
                })
            }
        }
    }
}

thread_local! {
    /// The blocks this thread inflated last, most recent first.
    static CACHE: RefCell<Inflated> = const { RefCell::new(Inflated(Vec::new())) };
}

/// Blocks inflated, each with the block it is (a weak reference: a block dropped cannot be
/// mistaken for a later one, whose address the reference keeps from being reused).
struct Inflated(Vec<(Weak<Block>, Vec<u8>)>);

impl Inflated {
    fn inflated(&mut self, block: &Arc<Block>) -> Option<&[u8]> {
        let Block::Deflated { data, ends } = &**block else {
            return None;
        };
        let weak = Arc::downgrade(block);
        match self.0.iter().position(|(b, _)| b.ptr_eq(&weak)) {
            Some(at) => {
                let hit = self.0.remove(at);
                self.0.insert(0, hit);
            }
            None => {
                let len = ends.last().map_or(0, |&e| usize::from(e));
                let bytes = crate::codec::inflate(data, len)?;
                self.0.truncate(INFLATED - 1);
                self.0.insert(0, (weak, bytes));
            }
        }
        self.0.first().map(|(_, bytes)| bytes.as_slice())
    }
}

/// Packs the operations of stored changes, in the order they are settled.
#[derive(Default)]
pub(crate) struct Packer {
    writer: OpsWriter,
    /// The encodings gathered for the next block.
    bytes: Vec<u8>,
    /// The changes they are: index, where the encoding ends, width.
    changes: Vec<(u32, u16, u32)>,
}

impl std::fmt::Debug for Packer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Packer")
            .field("bytes", &self.bytes.len())
            .field("changes", &self.changes)
            .finish_non_exhaustive()
    }
}

impl Packer {
    /// Encodes the operations of stored change `index` (by `author` from counter
    /// `lamport`) for the next block, unless they come with their encoding; returns the
    /// changes whose operations are now packed, with their packed form. A change of width
    /// beyond `u32::MAX`, or whose operations do not encode, stays as it is.
    pub(crate) fn add(
        &mut self,
        index: u32,
        author: MemberId,
        lamport: u64,
        decoded: &DecodedOps,
    ) -> Vec<(u32, Ops)> {
        let ops = &decoded.ops;
        let Ok(width) = u32::try_from(decoded.width) else {
            return Vec::new();
        };
        let encoded = match &decoded.encoding {
            Some(encoding) => encoding,
            None => self.writer.write(author, lamport, ops),
        };
        if encoded.len() >= BLOCK {
            let block = Arc::new(Block::Raw(encoded.into()));
            let mut packed = self.seal();
            packed.push((index, Ops::packed(block, 0, width)));
            return packed;
        }
        self.bytes.extend_from_slice(encoded);
        match u16::try_from(self.bytes.len()) {
            Ok(end) => self.changes.push((index, end, width)),
            // Never: the bytes gathered stay under `2 * BLOCK`.
            Err(_) => {
                self.bytes.truncate(self.bytes.len() - encoded.len());
                return Vec::new();
            }
        }
        if self.bytes.len() >= BLOCK {
            self.seal()
        } else {
            Vec::new()
        }
    }

    /// Compresses the encodings gathered into a block; returns the changes they are, with
    /// their packed form.
    pub(crate) fn seal(&mut self) -> Vec<(u32, Ops)> {
        if self.changes.is_empty() {
            return Vec::new();
        }
        let data = miniz_oxide::deflate::compress_to_vec(&self.bytes, LEVEL);
        let ends = self.changes.iter().map(|&(_, end, _)| end).collect();
        let block = Arc::new(Block::Deflated {
            data: data.into(),
            ends,
        });
        self.bytes.clear();
        let changes = std::mem::take(&mut self.changes);
        let slots = (0u16..).zip(changes);
        slots
            .map(|(slot, (index, _, width))| (index, Ops::packed(block.clone(), slot, width)))
            .collect()
    }

    /// Forgets the changes from index `index` on (taken back before their block was
    /// sealed).
    pub(crate) fn forget_from(&mut self, index: u32) {
        let keep = self.changes.partition_point(|&(i, _, _)| i < index);
        self.changes.truncate(keep);
        let end = self
            .changes
            .last()
            .map_or(0, |&(_, end, _)| usize::from(end));
        self.bytes.truncate(end);
    }
}
