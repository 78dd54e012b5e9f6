//! Changes: operations sealed with their author, causal position and signature.
//!
//! A change's body ([`ChangeBody`]) has one canonical postcard encoding. Its hash, the
//! change's identity, is the BLAKE3 hash of that encoding (in key-derivation mode, with a
//! context string of its own). Its author vouches for it in one of two ways:
//!
//! - a **signature**: the author's Ed25519 signature of `SEAL_CONTEXT || hash`;
//! - a **later change of the same author** that names it among its dependencies and is
//!   itself vouched for: that change's hash covers this one's, so its signature covers this
//!   change too. A change sent or saved with such a later change needs no signature of its
//!   own, so a run of changes by one author carries one signature, on its last change.
//!
//! A change made by this copy's member is signed only when it leaves the copy, and only if
//! no later change of the member travels with it ([`outgoing`]).
//!
//! Changes written by format versions 1 and 2 are *legacy* changes: they travel as
//! `postcard((body, signature))`, signed over `LEGACY_CONTEXT || body`, and their hash is
//! the BLAKE3 hash of those bytes, so they always keep their signature. Decoding accepts
//! only canonical encodings, so one change has exactly one byte form and one hash.

use std::borrow::Cow;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{DecodeError, Rejection};
use crate::identity::{Identity, Verifier};
use crate::ids::{ChangeHash, MemberId, OpId};
use crate::op::Op;
use crate::pack::Block;

/// What a legacy change's signature signs, before its body.
const LEGACY_CONTEXT: &[u8] = b"cercle change v1\0";
/// The BLAKE3 key-derivation context of change hashes.
const HASH_CONTEXT: &str = "cercle 2026-11 change hash";
/// What a change's signature signs, before its hash.
const SEAL_CONTEXT: &[u8] = b"cercle change v2\0";

/// The signed content of a change. Its operations are a list of [`Op`]s, or in a stored
/// change, [`Ops`] (kept encoded once settled).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ChangeBody<O = Vec<Op>> {
    pub(crate) author: MemberId,
    pub(crate) seq: u64,
    pub(crate) lamport: u64,
    pub(crate) deps: Vec<ChangeHash>,
    pub(crate) time: i64,
    pub(crate) ops: O,
}

/// The operations of a change one at a time: see [`Ops::each`].
pub(crate) enum OpIter<'a> {
    Decoded(std::slice::Iter<'a, Op>),
    Encoded(crate::compact::OpsReader<'a>),
    /// Decoded from a block inflated for the purpose.
    Inflated(std::vec::IntoIter<Op>),
}

impl<'a> Iterator for OpIter<'a> {
    type Item = Cow<'a, Op>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            OpIter::Decoded(ops) => ops.next().map(Cow::Borrowed),
            OpIter::Encoded(ops) => ops.next().map(Cow::Owned),
            OpIter::Inflated(ops) => ops.next().map(Cow::Owned),
        }
    }
}

impl ChangeBody<Ops> {
    /// The last operation counter this change uses.
    pub(crate) fn end_counter(&self) -> u64 {
        end_counter(self.lamport, &self.ops)
    }
}

/// The last operation counter a change with this counter and these operations uses.
pub(crate) fn end_counter(lamport: u64, ops: &Ops) -> u64 {
    lamport.saturating_add(ops.width().max(1) - 1)
}

/// What the encoders read of a change: a [`Change`], or a stored one
/// ([`crate::history::Stored`]), whose dependencies the history knows by index.
pub(crate) trait ChangeView {
    fn hash(&self) -> ChangeHash;
    fn author(&self) -> MemberId;
    fn seq(&self) -> u64;
    fn lamport(&self) -> u64;
    fn time(&self) -> i64;
    fn deps(&self) -> DepHashes<'_>;
    fn seal(&self) -> &Seal;
    fn ops(&self) -> &Ops;
}

/// The hashes of a change's dependencies, in order, as [`ChangeView::deps`] gives them.
pub(crate) enum DepHashes<'a> {
    Listed(std::slice::Iter<'a, ChangeHash>),
    /// Those of the stored changes at these indices.
    Stored(&'a crate::history::History, std::slice::Iter<'a, u32>),
}

impl Iterator for DepHashes<'_> {
    type Item = ChangeHash;

    fn next(&mut self) -> Option<ChangeHash> {
        match self {
            DepHashes::Listed(hashes) => hashes.next().copied(),
            DepHashes::Stored(history, indices) => {
                let i = *indices.next()?;
                Some(history.node(i).map_or_else(
                    || {
                        // A change is stored after its dependencies.
                        debug_assert!(false, "a dependency is not stored");
                        ChangeHash::from_bytes([0; 32])
                    },
                    |n| n.hash,
                ))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            DepHashes::Listed(hashes) => hashes.size_hint(),
            DepHashes::Stored(_, indices) => indices.size_hint(),
        }
    }
}

impl ExactSizeIterator for DepHashes<'_> {}

impl ChangeView for Change {
    fn hash(&self) -> ChangeHash {
        self.hash
    }
    fn author(&self) -> MemberId {
        self.body.author
    }
    fn seq(&self) -> u64 {
        self.body.seq
    }
    fn lamport(&self) -> u64 {
        self.body.lamport
    }
    fn time(&self) -> i64 {
        self.body.time
    }
    fn deps(&self) -> DepHashes<'_> {
        DepHashes::Listed(self.body.deps.iter())
    }
    fn seal(&self) -> &Seal {
        &self.seal
    }
    fn ops(&self) -> &Ops {
        &self.body.ops
    }
}

/// The operations of a change past its hashing. A change arrives with its operations
/// decoded (or, a large one read from a list with its author alone in the tables,
/// [`Ops::Skimmed`]); once stored and taken in by the content and permissions
/// ([`crate::history::History::settle`]), they are kept encoded as a compact list encodes
/// them ([`crate::compact::OpsWriter`]: the author, the objects created and those edited
/// again written once each), packed with the next changes' in a compressed block
/// ([`crate::pack`]), and decoded again only when the history is replayed or sent.
/// Reading them takes the author and counter of their change, which the encoding leaves
/// out.
#[derive(Clone, Debug)]
pub(crate) enum Ops {
    /// Boxed, so that `Ops` takes two words: every stored change keeps one.
    Decoded(Box<DecodedOps>),
    /// Their encoding, at `slot` of `block`, and their [`crate::op::total_width`].
    Packed {
        block: Arc<Block>,
        width: u32,
        slot: u16,
    },
    /// A large change as read: its encoding in a block of its own, not decoded, and what
    /// its checks read of it ([`Skimmed`]). Boxed, like the decoded form.
    Skimmed(Box<Skimmed>),
}

/// The operations of a change, kept encoded, with what checking the change and its
/// permissions reads of them: the operations other than text edits, and each text edit
/// that edits another text than the operation before it, without its text or runs (a text
/// edit's check reads only the text it edits), each with its id. The checks thus neither
/// decode the whole change nor allocate its texts.
#[derive(Clone, Debug)]
pub(crate) struct Skimmed {
    /// The encoding, as read, in a block of its own.
    pub(crate) block: Arc<Block>,
    /// Their [`crate::op::total_width`].
    pub(crate) width: u32,
    /// How many operations there are.
    pub(crate) count: usize,
    /// What the checks read, each with its id.
    pub(crate) checked: Vec<(OpId, Op)>,
}

/// Operations as decoded, with their encoding if they were read from it.
#[derive(Clone, Debug)]
pub(crate) struct DecodedOps {
    pub(crate) ops: Vec<Op>,
    /// Their [`crate::op::total_width`], counted once (a change's checks, storing and
    /// packing each need it).
    pub(crate) width: u64,
    /// The bytes they were read from, exactly as an [`crate::compact::OpsWriter`] writes
    /// them (which [`crate::compact::read_ops`] reads back as `ops`): their packed form
    /// without encoding them again.
    pub(crate) encoding: Option<Box<[u8]>>,
}

impl DecodedOps {
    /// Operations as decoded, with the bytes they were read from if
    /// [`crate::compact::read_ops`] reads them back as them.
    pub(crate) fn new(ops: Vec<Op>, encoding: Option<Box<[u8]>>) -> Self {
        DecodedOps {
            width: crate::op::total_width(&ops),
            ops,
            encoding,
        }
    }
}

impl Ops {
    /// Operations as decoded.
    pub(crate) fn decoded(ops: Vec<Op>) -> Self {
        Ops::Decoded(Box::new(DecodedOps::new(ops, None)))
    }

    /// Operations read from `encoding`, as an [`crate::compact::OpsWriter`] writes those
    /// of a change by `author` from counter `lamport`: `count` of them, of width `width`,
    /// of which the checks read `checked` (see [`Skimmed`]). Kept encoded if they fill a
    /// block of their own (as packing would keep them), else decoded, with their encoding.
    pub(crate) fn stored(
        author: MemberId,
        lamport: u64,
        encoding: &[u8],
        count: usize,
        width: u64,
        checked: Vec<(OpId, Op)>,
    ) -> Self {
        match u32::try_from(width) {
            Ok(width) if encoding.len() >= crate::pack::BLOCK => Ops::Skimmed(Box::new(Skimmed {
                block: Arc::new(Block::Raw(encoding.into())),
                width,
                count,
                checked,
            })),
            _ => {
                let ops = crate::compact::read_ops(author, lamport, encoding)
                    .1
                    .collect();
                Ops::Decoded(Box::new(DecodedOps::new(ops, Some(encoding.into()))))
            }
        }
    }

    /// Operations packed at `slot` of `block`.
    pub(crate) fn packed(block: Arc<Block>, slot: u16, width: u32) -> Self {
        Ops::Packed { block, width, slot }
    }

    /// The operations of a change by `author` from counter `lamport`, decoded if they
    /// are kept encoded.
    pub(crate) fn ops(&self, author: MemberId, lamport: u64) -> Cow<'_, [Op]> {
        match self {
            Ops::Decoded(d) => Cow::Borrowed(&d.ops),
            Ops::Packed { .. } | Ops::Skimmed(_) => {
                // One way of decoding, with the room known beforehand (an operation
                // takes a byte at least).
                let (count, ops) = self.each(author, lamport);
                let mut out = Vec::with_capacity(count);
                out.extend(ops.map(Cow::into_owned));
                Cow::Owned(out)
            }
        }
    }

    /// How many operation counters they use ([`crate::op::total_width`]).
    pub(crate) fn width(&self) -> u64 {
        match self {
            Ops::Decoded(d) => d.width,
            Ops::Packed { width, .. } => u64::from(*width),
            Ops::Skimmed(s) => u64::from(s.width),
        }
    }

    /// What checking a change by `author` from counter `lamport`, and its permissions,
    /// reads of its operations (see [`Skimmed`]; all of them, unless skimmed), each with
    /// its id; and how many operations there are.
    pub(crate) fn checked(&self, author: MemberId, lamport: u64) -> (usize, Checked<'_>) {
        match self {
            Ops::Skimmed(s) => (s.count, Checked::Skimmed(s.checked.iter())),
            _ => {
                let (count, ops) = self.each(author, lamport);
                let next = OpId {
                    counter: lamport,
                    author,
                };
                (count, Checked::All { ops, next })
            }
        }
    }

    /// The operations of a change by `author` from counter `lamport`, one at a time
    /// (each decoded as it is read, if they are kept encoded as they are, so that a large
    /// change is never decoded whole), with their number.
    pub(crate) fn each(&self, author: MemberId, lamport: u64) -> (usize, OpIter<'_>) {
        match self {
            Ops::Decoded(d) => (d.ops.len(), OpIter::Decoded(d.ops.iter())),
            Ops::Skimmed(s) => Self::each_in(&s.block, 0, author, lamport),
            Ops::Packed { block, slot, .. } => Self::each_in(block, *slot, author, lamport),
        }
    }

    /// The operations at `slot` of `block`, as [`Ops::each`] reads them.
    fn each_in(
        block: &Arc<Block>,
        slot: u16,
        author: MemberId,
        lamport: u64,
    ) -> (usize, OpIter<'_>) {
        match &**block {
            Block::Raw(bytes) => {
                let (count, ops) = crate::compact::read_ops(author, lamport, bytes);
                (count, OpIter::Encoded(ops))
            }
            Block::Deflated { .. } => {
                let read = |bytes: &[u8]| -> Vec<Op> {
                    crate::compact::read_ops(author, lamport, bytes).1.collect()
                };
                let ops = block.with_slot(slot, read).unwrap_or_else(|| {
                    // Never: a block holds what was packed in it.
                    debug_assert!(false, "packed operations did not read back");
                    Vec::new()
                });
                (ops.len(), OpIter::Inflated(ops.into_iter()))
            }
        }
    }
}

/// What the checks read of a change's operations: see [`Ops::checked`].
pub(crate) enum Checked<'a> {
    /// What a skimmed change keeps for the checks.
    Skimmed(std::slice::Iter<'a, (OpId, Op)>),
    /// Every operation, `next` the id of the next one (as [`crate::op::with_ids`] counts them).
    All { ops: OpIter<'a>, next: OpId },
}

impl<'a> Iterator for Checked<'a> {
    type Item = (OpId, Cow<'a, Op>);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Checked::Skimmed(ops) => ops.next().map(|(id, op)| (*id, Cow::Borrowed(op))),
            Checked::All { ops, next } => {
                let op = ops.next()?;
                let id = *next;
                next.counter = next.counter.saturating_add(op.width());
                Some((id, op))
            }
        }
    }
}

/// The same change content, whatever form its operations are kept in.
impl PartialEq for ChangeBody<Ops> {
    fn eq(&self, other: &Self) -> bool {
        (self.author, self.seq, self.lamport, &self.deps, self.time)
            == (
                other.author,
                other.seq,
                other.lamport,
                &other.deps,
                other.time,
            )
            && self.ops.ops(self.author, self.lamport) == other.ops.ops(other.author, other.lamport)
    }
}

impl Eq for ChangeBody<Ops> {}

impl<O> ChangeBody<O> {
    /// The body without its operations, and its operations.
    pub(crate) fn split_ops(self) -> (ChangeBody<()>, O) {
        let ChangeBody {
            author,
            seq,
            lamport,
            deps,
            time,
            ops,
        } = self;
        let head = ChangeBody {
            author,
            seq,
            lamport,
            deps,
            time,
            ops: (),
        };
        (head, ops)
    }

    /// The body with its operations made into others by `ops`.
    pub(crate) fn with_ops<P>(self, ops: impl FnOnce(O) -> P) -> ChangeBody<P> {
        ChangeBody {
            author: self.author,
            seq: self.seq,
            lamport: self.lamport,
            deps: self.deps,
            time: self.time,
            ops: ops(self.ops),
        }
    }
}

impl ChangeBody<Ops> {
    /// The body with its operations decoded.
    #[cfg(test)]
    fn decoded(&self) -> ChangeBody {
        ChangeBody {
            author: self.author,
            seq: self.seq,
            lamport: self.lamport,
            deps: self.deps.clone(),
            time: self.time,
            ops: self.ops.ops(self.author, self.lamport).into_owned(),
        }
    }
}

/// How a change's author vouches for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Seal {
    /// The author's signature of the change's hash. Boxed, like the legacy one: every
    /// stored change has a seal and few carry a signature (a run of changes is signed
    /// once), so the others need not make room for one.
    Signed(Box<[u8; 64]>),
    /// No signature: the change with this hash, by the same author, names this one among
    /// its dependencies and is vouched for. A stored change sealed so always has that
    /// change stored too. Boxed too, so that a seal takes two words.
    Vouched(Box<ChangeHash>),
    /// Made by this copy's member and not signed yet: signed when it leaves the copy.
    Own,
    /// A change of format versions 1 and 2, whose hash covers its signature.
    Legacy(Box<[u8; 64]>),
}

/// The bytes of a legacy change.
#[derive(Serialize, Deserialize)]
struct Wire<'a> {
    #[serde(borrow)]
    body: &'a [u8],
    signature: &'a [u8],
}

/// A decoded, hashed change and its seal. Signatures are checked before a `Change` exists
/// ([`Change::decode_all`], [`Change::check_all`]); a `Change` never holds a forged one.
/// Its canonical bytes are not kept: they are rebuilt from the body when needed (once
/// stored, its operations are kept in a smaller encoding of their own, see [`Ops`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Change {
    pub(crate) hash: ChangeHash,
    pub(crate) body: ChangeBody<Ops>,
    pub(crate) seal: Seal,
}

pub(crate) fn postcard_error(what: &'static str, e: postcard::Error) -> DecodeError {
    match e {
        postcard::Error::DeserializeUnexpectedEnd => DecodeError::Truncated { what },
        _ => DecodeError::Malformed { what },
    }
}

/// Decodes a value that must be the whole of `bytes`, in canonical form.
pub(crate) fn decode_exact<'a, T>(what: &'static str, bytes: &'a [u8]) -> Result<T, DecodeError>
where
    T: Deserialize<'a> + Serialize,
{
    let (value, rest) =
        postcard::take_from_bytes::<T>(bytes).map_err(|e| postcard_error(what, e))?;
    if !rest.is_empty() {
        return Err(DecodeError::TrailingBytes {
            what,
            count: rest.len(),
        });
    }
    let again = postcard::to_allocvec(&value).map_err(|_| DecodeError::Malformed { what })?;
    if again != bytes {
        return Err(DecodeError::NonCanonical { what });
    }
    Ok(value)
}

/// The BLAKE3 hash of `bytes`: the hash of a legacy change's bytes.
pub(crate) fn hash_bytes(bytes: &[u8]) -> ChangeHash {
    ChangeHash::from_bytes(*blake3::hash(bytes).as_bytes())
}

/// The hash of a change from its body's canonical encoding.
fn hash_body_bytes(body_bytes: &[u8]) -> ChangeHash {
    let mut hasher = blake3::Hasher::new_derive_key(HASH_CONTEXT);
    hasher.update(body_bytes);
    ChangeHash::from_bytes(*hasher.finalize().as_bytes())
}

/// Gives `f` the canonical encoding of `body`, written by
/// [`crate::compact::write_canonical`] (ids whole, where postcard writes them a byte at a
/// time) into a buffer this thread keeps (loading rebuilds and hashes every change: a
/// fresh vector per change was a good part of it).
fn with_canonical<R>(body: &ChangeBody, f: impl FnOnce(&[u8]) -> R) -> R {
    thread_local! {
        static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    SCRATCH.with(|scratch| {
        let Ok(mut buf) = scratch.try_borrow_mut() else {
            return f(&body_bytes(body));
        };
        buf.clear();
        crate::compact::write_canonical(body, &mut buf);
        let out = f(&buf);
        // A large change (a whole import) does not leave its room to the thread.
        if buf.capacity() > SCRATCH_KEPT {
            *buf = Vec::new();
        }
        out
    })
}

/// The hash of a change from its body.
fn hash_body(body: ChangeBody) -> (ChangeHash, ChangeBody<Ops>) {
    let hash = with_canonical(&body, hash_body_bytes);
    (hash, body.with_ops(Ops::decoded))
}

/// The hash, seal and (for a legacy change) signed bytes of a change received so, whose
/// body's canonical encoding is `canonical`.
fn sealed(canonical: &[u8], received: Received) -> (ChangeHash, Seal, Vec<u8>) {
    match received {
        Received::Signature(signature) => (
            hash_body_bytes(canonical),
            Seal::Signed(Box::new(signature)),
            vec![],
        ),
        // The voucher is found when the whole list is checked.
        Received::Bare => (
            hash_body_bytes(canonical),
            Seal::Vouched(Box::new(ChangeHash::from_bytes([0; 32]))),
            vec![],
        ),
        Received::Legacy(signature) => (
            hash_bytes(&wire_bytes(canonical, &signature)),
            Seal::Legacy(Box::new(signature)),
            canonical.to_vec(),
        ),
    }
}

/// The largest encoding buffer a thread keeps between changes.
const SCRATCH_KEPT: usize = 1 << 16;

/// Changes per verifying thread, at least: below, threads cost more than they save.
const PER_THREAD: usize = 256;

/// The threads to work on: the machine's cores (one where threads do not exist). Asked
/// once: finding them reads system files on some platforms, too slow for every apply.
pub(crate) fn parallelism() -> usize {
    if cfg!(target_arch = "wasm32") {
        return 1;
    }
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

fn legacy_message(body: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(LEGACY_CONTEXT.len() + body.len());
    message.extend_from_slice(LEGACY_CONTEXT);
    message.extend_from_slice(body);
    message
}

fn seal_message(hash: &ChangeHash) -> Vec<u8> {
    let mut message = Vec::with_capacity(SEAL_CONTEXT.len() + 32);
    message.extend_from_slice(SEAL_CONTEXT);
    message.extend_from_slice(hash.as_bytes());
    message
}

/// A change's signature as read, before it is checked.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Received {
    /// A signature of the change's hash.
    Signature([u8; 64]),
    /// No signature: a later change of the list must vouch for it.
    Bare,
    /// A legacy change's signature.
    Legacy([u8; 64]),
}

/// A change whose hash is known but whose signature and structure are not yet checked:
/// what a compact list decodes to. [`Change::check_all`] turns it into a [`Change`].
#[derive(Debug)]
pub(crate) struct Unchecked {
    change: Change,
    /// A legacy change's body encoding, which its signature signs (empty otherwise).
    legacy_body: Vec<u8>,
}

/// The canonical encoding of a change body.
fn body_bytes(body: &ChangeBody) -> Vec<u8> {
    // Encoding plain data into a vector cannot fail.
    postcard::to_allocvec(body).unwrap_or_default()
}

/// The bytes of a legacy change, from its body's encoding and its signature: what is
/// hashed.
fn wire_bytes(body_bytes: &[u8], signature: &[u8]) -> Vec<u8> {
    // Encoding plain data into a vector cannot fail.
    postcard::to_allocvec(&Wire {
        body: body_bytes,
        signature,
    })
    .unwrap_or_default()
}

impl Unchecked {
    /// A change whose body's canonical encoding is `canonical`, as received.
    pub(crate) fn from_canonical(
        body: ChangeBody<Ops>,
        canonical: &[u8],
        received: Received,
    ) -> Self {
        let (hash, seal, legacy_body) = sealed(canonical, received);
        Unchecked {
            change: Change { hash, body, seal },
            legacy_body,
        }
    }

    /// Rebuilds a change's canonical encoding from its content, to hash it.
    pub(crate) fn rebuild(body: ChangeBody, received: Received) -> Self {
        let (hash, seal, legacy_body) = with_canonical(&body, |bytes| sealed(bytes, received));
        Unchecked {
            change: Change {
                hash,
                body: body.with_ops(Ops::decoded),
                seal,
            },
            legacy_body,
        }
    }

    pub(crate) fn hash(&self) -> ChangeHash {
        self.change.hash
    }

    /// The rebuilt change, unchecked: for tests of the encodings.
    #[cfg(test)]
    pub(crate) fn unchecked(&self) -> &Change {
        &self.change
    }
}

/// Runs `f` over `items` on every core when there are enough of them, keeping the order,
/// each thread with its own [`Verifier`]; the error is that of the first failing item in
/// the list, whichever thread met it.
fn in_parallel<T: Sync, U: Send, E: Send>(
    items: &[T],
    f: impl Fn(&mut Verifier, &T) -> Result<U, E> + Sync,
) -> Result<Vec<U>, E> {
    let sequential = |part: &[T]| -> Result<Vec<U>, E> {
        let mut verifier = Verifier::default();
        part.iter().map(|item| f(&mut verifier, item)).collect()
    };
    let threads = parallelism().min(items.len() / PER_THREAD);
    if threads <= 1 {
        return sequential(items);
    }
    let chunk = items.len().div_ceil(threads);
    let parts: Vec<Result<Vec<U>, E>> = std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                let handle = std::thread::Builder::new()
                    .spawn_scoped(s, move || sequential(part))
                    .ok();
                (part, handle)
            })
            .collect();
        handles
            .into_iter()
            .map(|(part, handle)| match handle.map(|h| h.join()) {
                Some(Ok(result)) => result,
                // No thread could be started (or it failed): do the part here.
                _ => sequential(part),
            })
            .collect()
    });
    let mut out = Vec::with_capacity(items.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

impl Change {
    /// Hashes `body` into a change of this copy's member, to be signed when it leaves.
    pub(crate) fn own(body: ChangeBody) -> Self {
        Change::hashed(body, Seal::Own)
    }

    /// Hashes `body` into a change sealed with `seal`, its operations kept decoded until
    /// the change is stored and settled ([`Ops`]).
    fn hashed(body: ChangeBody, seal: Seal) -> Self {
        let (hash, body) = hash_body(body);
        Change { hash, body, seal }
    }
}

/// The signature by `identity` of the change with this hash.
fn sign(hash: &ChangeHash, identity: &Identity) -> [u8; 64] {
    identity.sign(&seal_message(hash))
}

impl Change {
    /// The signature of this change by `identity`.
    #[cfg(test)]
    pub(crate) fn sign(&self, identity: &Identity) -> [u8; 64] {
        sign(&self.hash, identity)
    }
}

impl Change {
    /// Hashes and signs `body` (a change as another copy sends it).
    #[cfg(test)]
    pub(crate) fn signed(body: ChangeBody, identity: &Identity) -> Self {
        let mut change = Change::own(body);
        change.seal = Seal::Signed(Box::new(change.sign(identity)));
        change
    }

    /// Signs `body` into a legacy change (as format versions 1 and 2 wrote them).
    #[cfg(test)]
    pub(crate) fn legacy(body: ChangeBody, identity: &Identity) -> Self {
        let bytes = body_bytes(&body);
        let signature = identity.sign(&legacy_message(&bytes));
        Change {
            hash: hash_bytes(&wire_bytes(&bytes, &signature)),
            body: body.with_ops(Ops::decoded),
            seal: Seal::Legacy(Box::new(signature)),
        }
    }

    /// A legacy change's bytes, as hashed.
    #[cfg(test)]
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let signature = match &self.seal {
            Seal::Legacy(s) | Seal::Signed(s) => s.as_slice(),
            Seal::Vouched(_) | Seal::Own => &[],
        };
        wire_bytes(&body_bytes(&self.body.decoded()), signature)
    }

    /// Decodes and verifies a list of legacy changes, in order. Large lists are verified
    /// on every core of the machine; the error is always that of the first rejected change
    /// in the list, whichever thread met it.
    pub(crate) fn decode_all(encoded: &[&[u8]]) -> Result<Vec<Self>, (ChangeHash, Rejection)> {
        in_parallel(encoded, |verifier, bytes| {
            Self::decode_with(verifier, bytes)
        })
    }

    /// Checks rebuilt changes: finds, for each change without a signature, the later
    /// change of its author in the list that vouches for it, then checks every signature
    /// and structure (on every core for long lists). The error is that of the first
    /// rejected change in the list.
    pub(crate) fn check_all(
        mut changes: Vec<Unchecked>,
    ) -> Result<Vec<Self>, (ChangeHash, Rejection)> {
        let unvouched = find_vouchers(&mut changes);
        let checked = unvouched.map_or(changes.as_slice(), |at| changes.get(..at).unwrap_or(&[]));
        in_parallel(checked, |verifier, u| {
            u.change.check(verifier, &u.legacy_body)
        })?;
        if let Some(c) = unvouched.and_then(|at| changes.get(at)) {
            return Err((
                c.change.hash,
                Rejection::Unvouched {
                    author: c.change.body.author,
                },
            ));
        }
        Ok(changes.into_iter().map(|u| u.change).collect())
    }

    /// Decodes one legacy change and checks its encoding and signature. Causal checks
    /// (known author, Lamport counter) need the history and are done when it is applied.
    #[cfg(test)]
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, (ChangeHash, Rejection)> {
        Self::decode_with(&mut Verifier::default(), bytes)
    }

    fn decode_with(verifier: &mut Verifier, bytes: &[u8]) -> Result<Self, (ChangeHash, Rejection)> {
        let hash = hash_bytes(bytes);
        let wire: Wire<'_> = decode_exact("change", bytes).map_err(|e| (hash, e.into()))?;
        let body: ChangeBody =
            decode_exact("change body", wire.body).map_err(|e| (hash, e.into()))?;
        let Ok(signature) = <[u8; 64]>::try_from(wire.signature) else {
            return Err((hash, DecodeError::Malformed { what: "signature" }.into()));
        };
        let change = Change {
            hash,
            body: body.with_ops(Ops::decoded),
            seal: Seal::Legacy(Box::new(signature)),
        };
        change.check(verifier, wire.body)?;
        Ok(change)
    }

    /// Checks the signature (a legacy change's over `legacy_body`, its body's canonical
    /// encoding) and the structure of a change.
    fn check(
        &self,
        verifier: &mut Verifier,
        legacy_body: &[u8],
    ) -> Result<(), (ChangeHash, Rejection)> {
        let (hash, body) = (self.hash, &self.body);
        let verified = match &self.seal {
            Seal::Signed(signature) => {
                verifier.verify(&body.author, &seal_message(&hash), signature)
            }
            Seal::Legacy(signature) => {
                verifier.verify(&body.author, &legacy_message(legacy_body), signature)
            }
            // Vouched for by a later change, whose signature is checked.
            Seal::Vouched(_) | Seal::Own => true,
        };
        if !verified {
            return Err((
                hash,
                Rejection::BadSignature {
                    author: body.author,
                },
            ));
        }
        if !body.deps.windows(2).all(|w| matches!(w, [a, b] if a < b)) {
            return Err((
                hash,
                Rejection::Structure("dependencies are not sorted and distinct"),
            ));
        }
        let (count, mut checked) = body.ops.checked(body.author, body.lamport);
        let genesis = checked.any(|(_, op)| matches!(*op, Op::Genesis { .. }));
        if body.deps.is_empty() != genesis || (genesis && count != 1) {
            return Err((
                hash,
                Rejection::Structure(
                    "only a genesis change, made of the genesis alone, has no dependencies",
                ),
            ));
        }
        if body.seq == 0 || body.lamport == 0 {
            return Err((
                hash,
                Rejection::Structure("sequence numbers and counters start at 1"),
            ));
        }
        // The width saturates: a sum that overflows is too wide too.
        if body.lamport.checked_add(body.ops.width()).is_none() {
            return Err((hash, Rejection::Structure("counter overflow")));
        }
        Ok(())
    }
}

/// Who vouches for a change: (the change, its author) -> a later change of that author,
/// itself vouched for, that names it among its dependencies.
type Vouchers = foldhash::HashMap<(ChangeHash, MemberId), ChangeHash>;

/// Records that `change` (vouched for) vouches for the changes of its author it depends
/// on.
fn vouch(vouchers: &mut Vouchers, change: &impl ChangeView) {
    for dep in change.deps() {
        vouchers
            .entry((dep, change.author()))
            .or_insert(change.hash());
    }
}

/// Gives each change read without a signature the later change of the list that vouches
/// for it; returns the position of the first change for which none does.
fn find_vouchers(changes: &mut [Unchecked]) -> Option<usize> {
    let mut vouchers = Vouchers::with_capacity_and_hasher(changes.len(), Default::default());
    let mut unvouched = None;
    for (at, u) in changes.iter_mut().enumerate().rev() {
        let change = &mut u.change;
        if let Seal::Vouched(voucher) = &mut change.seal {
            match vouchers.get(&(change.hash, change.body.author)) {
                Some(found) => **voucher = *found,
                None => {
                    // Not vouched for: it vouches for nothing either.
                    unvouched = Some(at);
                    continue;
                }
            }
        }
        vouch(&mut vouchers, &*change);
    }
    unvouched
}

/// The seals with which `changes` (in a causal order) leave this copy, one per change: a
/// change that a later change of its author in the list names among its dependencies is
/// vouched for by it and travels without a signature; every other one carries its
/// signature, made now with `identity` for the member's own changes not signed yet. A
/// genesis carries its signature whenever this copy has it or can make it.
///
/// Lists that leave a copy hold every stored change that follows any change they hold
/// (everything the receiver lacks) or are completed with the changes that vouch for the
/// ones they hold, so a stored change sealed [`Seal::Vouched`] always finds its voucher.
pub(crate) fn outgoing(changes: &[impl ChangeView], identity: &Identity) -> Vec<Seal> {
    let mut vouchers = Vouchers::with_capacity_and_hasher(changes.len(), Default::default());
    let mut seals = Vec::with_capacity(changes.len());
    for change in changes.iter().rev() {
        // A genesis travels signed when it can, so a copy can start from it alone.
        let signable = matches!(change.seal(), Seal::Signed(_) | Seal::Own);
        let found = if change.deps().len() == 0 && signable {
            None
        } else {
            vouchers.get(&(change.hash(), change.author())).copied()
        };
        let seal = match (change.seal(), found) {
            // A legacy change's hash covers its signature: it always travels with it.
            (Seal::Legacy(signature), _) => Seal::Legacy(signature.clone()),
            (_, Some(voucher)) => Seal::Vouched(Box::new(voucher)),
            (Seal::Signed(signature), None) => Seal::Signed(signature.clone()),
            (Seal::Own, None) if change.author() == identity.member_id() => {
                Seal::Signed(Box::new(sign(&change.hash(), identity)))
            }
            // Unreachable when the list is complete (see above); the receiver would refuse
            // the change as unvouched rather than accept an unchecked one.
            (seal @ (Seal::Own | Seal::Vouched(_)), None) => {
                debug_assert!(false, "a change leaves without what vouches for it");
                seal.clone()
            }
        };
        vouch(&mut vouchers, change);
        seals.push(seal);
    }
    seals.reverse();
    seals
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Law: a change's hash, encoded into the thread's reused buffer, is the hash of
        /// its encoding made afresh, whatever was encoded before (longer or shorter).
        #[test]
        fn change_hash_is_the_hash_of_a_fresh_encoding(
            names in proptest::collection::vec("[a-zé🙂]{0,300}", 0..6),
            deps in 0usize..4,
            seq in proptest::num::u64::ANY,
        ) {
            let body = ChangeBody {
                author: MemberId::from_bytes([7; 32]),
                seq,
                lamport: seq / 2,
                deps: (0..deps).map(|d| ChangeHash::from_bytes([d as u8; 32])).collect(),
                time: -1,
                ops: names.into_iter().map(|name| Op::RenameWorkspace { name }).collect(),
            };
            let fresh = hash_body_bytes(&body_bytes(&body));
            let (hash, _) = hash_body(body);
            proptest::prop_assert_eq!(hash, fresh);
        }

        /// Law: the canonical encoding this crate writes is, byte for byte, postcard's
        /// encoding of the change body, for operations of every kind, any dependencies,
        /// times before and after 1970 and any counters: hashes and signatures made by
        /// one agree with the other.
        #[test]
        fn canonical_encoding_is_postcards(
            ops in proptest::collection::vec(crate::strategies::op(), 0..8),
            deps in proptest::collection::vec(proptest::array::uniform32(0u8..), 0..3),
            author in crate::strategies::member(),
            seq in proptest::num::u64::ANY,
            lamport in proptest::num::u64::ANY,
            time in proptest::num::i64::ANY,
        ) {
            let body = ChangeBody {
                author,
                seq,
                lamport,
                deps: deps.into_iter().map(ChangeHash::from_bytes).collect(),
                time,
                ops,
            };
            let mut ours = vec![0xAA];
            crate::compact::write_canonical(&body, &mut ours);
            proptest::prop_assert_eq!(&ours[..1], &[0xAA], "appended, not overwritten");
            proptest::prop_assert_eq!(&ours[1..], &body_bytes(&body)[..]);
        }

        /// Law: settled operations (kept encoded, the author and the objects the change
        /// creates or names again written once each, packed in a block with other
        /// changes' or alone) read back as the operations they were, one at a time or
        /// whole, with the same width, and changes compare equal whatever form their
        /// operations are kept in — whether packing encodes them or they came with the
        /// bytes they were read from.
        #[test]
        fn settled_ops_read_back(
            changes in proptest::collection::vec(
                (proptest::collection::vec(crate::strategies::op(), 0..12), crate::strategies::member(), 0u64..8),
                1..6,
            ),
            big in proptest::collection::vec(crate::strategies::text(), 0..3),
            read in proptest::collection::vec(proptest::prelude::any::<bool>(), 7),
        ) {
            let mut changes = changes;
            // A change that takes a block alone.
            let long = |t: &String| Op::RenameWorkspace { name: t.repeat(crate::pack::BLOCK / t.len().max(1) + 1) };
            changes.push((big.iter().map(long).collect(), MemberId::from_bytes([2; 32]), 1));
            let mut packer = crate::pack::Packer::default();
            let mut packed: Vec<Option<Ops>> = vec![None; changes.len()];
            for (i, (ops, author, lamport)) in changes.iter().enumerate() {
                let encoding = read[i].then(|| {
                    crate::compact::OpsWriter::default().write(*author, *lamport, ops).into()
                });
                let decoded = DecodedOps::new(ops.to_vec(), encoding);
                for (at, form) in packer.add(i as u32, *author, *lamport, &decoded) {
                    packed[at as usize] = Some(form);
                }
            }
            for (at, form) in packer.seal() {
                packed[at as usize] = Some(form);
            }
            for ((ops, author, lamport), settled) in changes.iter().zip(packed) {
                let (ops, author, lamport) = (ops.clone(), *author, *lamport);
                let Some(settled) = settled else {
                    return Err(proptest::test_runner::TestCaseError::fail("a change was not packed"));
                };
                proptest::prop_assert!(matches!(settled, Ops::Packed { .. }), "settled operations stay decoded");
                proptest::prop_assert_eq!(settled.ops(author, lamport).into_owned(), ops.clone());
                let (count, each) = settled.each(author, lamport);
                proptest::prop_assert_eq!(count, ops.len());
                proptest::prop_assert_eq!(each.map(Cow::into_owned).collect::<Vec<_>>(), ops.clone());
                proptest::prop_assert_eq!(settled.width(), crate::op::total_width(&ops));
                let body = |ops| ChangeBody { author, seq: 1, lamport, deps: Vec::new(), time: 0, ops };
                proptest::prop_assert_eq!(body(settled), body(Ops::decoded(ops)));
            }
        }
    }

    fn changes(n: usize) -> Vec<Change> {
        let me = Identity::from_secret_bytes([5; 32]);
        (1..=n as u64)
            .map(|seq| {
                let body = ChangeBody {
                    author: me.member_id(),
                    seq,
                    lamport: seq,
                    deps: vec![ChangeHash::from_bytes([0; 32])],
                    time: 0,
                    ops: vec![Op::RenameWorkspace {
                        name: format!("n{seq}"),
                    }],
                };
                Change::legacy(body, &me)
            })
            .collect()
    }

    /// A chain of changes by `author`, each depending on the previous one (the first on
    /// `root`), followed by a change of `other` depending on the last.
    fn chain(author: &Identity, n: u64, root: ChangeHash, other: &Identity) -> Vec<Change> {
        let mut out: Vec<Change> = Vec::new();
        let mut dep = root;
        for seq in 1..=n + 1 {
            let who = if seq <= n { author } else { other };
            let body = ChangeBody {
                author: who.member_id(),
                seq,
                lamport: seq,
                deps: vec![dep],
                time: 0,
                ops: vec![Op::RenameWorkspace {
                    name: format!("n{seq}"),
                }],
            };
            let change = Change::own(body);
            dep = change.hash;
            out.push(change);
        }
        out
    }

    /// Encodes `changes` as `identity`'s copy sends them, then reads and checks them.
    fn round_trip(
        changes: &[Change],
        seals: &[Seal],
    ) -> Result<Vec<Change>, (ChangeHash, Rejection)> {
        let bytes = crate::compact::encode(changes, seals);
        let read = crate::compact::decode(&bytes, false).map_err(|_| {
            (
                ChangeHash::from_bytes([0; 32]),
                Rejection::Structure("unreadable"),
            )
        })?;
        Change::check_all(read)
    }

    /// Law: a run of changes by one author carries one signature, on its last change; the
    /// others are vouched for by the change after them, and read back so.
    #[test]
    fn a_run_of_changes_by_one_author_carries_one_signature() {
        let (alice, bob) = (
            Identity::from_secret_bytes([5; 32]),
            Identity::from_secret_bytes([6; 32]),
        );
        let mut changes = chain(&alice, 5, ChangeHash::from_bytes([1; 32]), &bob);
        changes[5].seal = Seal::Signed(Box::new(changes[5].sign(&bob)));
        let seals = outgoing(&changes, &alice);
        let signed: Vec<bool> = seals.iter().map(|s| matches!(s, Seal::Signed(_))).collect();
        // Bob's change, after Alice's, does not vouch for hers.
        assert_eq!(signed, [false, false, false, false, true, true]);
        let alice_only = &changes[..5];
        let seals = outgoing(alice_only, &alice);
        let read = round_trip(alice_only, &seals).unwrap();
        for (i, c) in read.iter().enumerate() {
            assert_eq!(c.hash, alice_only[i].hash);
            match (i, &c.seal) {
                (4, Seal::Signed(_)) => {}
                (i, Seal::Vouched(v)) => assert_eq!(**v, alice_only[i + 1].hash),
                other => panic!("unexpected seal {other:?}"),
            }
        }
    }

    /// Law: a change without a signature is refused unless a later change of *its own
    /// author* in the same list names it: another member cannot vouch for it, nor can a
    /// change that is itself unvouched, nor one whose signature does not verify.
    #[test]
    fn only_its_own_author_can_vouch_for_a_change() {
        let (alice, mallory) = (
            Identity::from_secret_bytes([5; 32]),
            Identity::from_secret_bytes([7; 32]),
        );
        let changes = chain(&alice, 2, ChangeHash::from_bytes([1; 32]), &mallory);
        let bare = Seal::Vouched(Box::new(ChangeHash::from_bytes([0; 32])));
        let signed = |c: &Change, who: &Identity| Seal::Signed(Box::new(c.sign(who)));
        let unvouched = |r: Result<Vec<Change>, (ChangeHash, Rejection)>| match r {
            Err((hash, Rejection::Unvouched { .. })) => Some(hash),
            _ => None,
        };
        // Alice's first change bare, vouched by her second: accepted.
        let ok = [
            bare.clone(),
            signed(&changes[1], &alice),
            signed(&changes[2], &mallory),
        ];
        assert!(round_trip(&changes, &ok).is_ok());
        // Alice's second bare too: only Mallory's change names it. Refused, naming the
        // first change that nothing vouches for.
        let by_mallory = [bare.clone(), bare.clone(), signed(&changes[2], &mallory)];
        assert_eq!(
            unvouched(round_trip(&changes, &by_mallory)),
            Some(changes[0].hash)
        );
        // The last change of a list has nothing after it.
        let last_bare = [bare.clone(), signed(&changes[1], &alice), bare.clone()];
        assert_eq!(
            unvouched(round_trip(&changes, &last_bare)),
            Some(changes[2].hash)
        );
        // A voucher signed by someone else is a forgery: refused.
        let forged = [
            bare.clone(),
            signed(&changes[1], &mallory),
            signed(&changes[2], &mallory),
        ];
        assert!(matches!(
            round_trip(&changes, &forged),
            Err((hash, Rejection::BadSignature { .. })) if hash == changes[1].hash
        ));
    }

    /// Law: decoding a list gives the list, and a list with forged changes is refused
    /// naming the first forged one in list order — the same answer on one core or many.
    #[test]
    fn parallel_decoding_reports_the_first_forged_change_in_order() {
        let all = changes(4 * PER_THREAD + 7);
        let mut bytes: Vec<Vec<u8>> = all.iter().map(Change::to_bytes).collect();
        let view: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
        let decoded =
            Change::decode_all(&view).map(|v| v.into_iter().map(|c| c.hash).collect::<Vec<_>>());
        assert_eq!(decoded, Ok(all.iter().map(|c| c.hash).collect()));
        // Forge two changes, one late in the list, one early: the early one is named.
        for at in [3 * PER_THREAD + 1, PER_THREAD / 2] {
            let last = bytes[at].len() - 1;
            bytes[at][last] ^= 1;
        }
        let view: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
        let err = Change::decode_all(&view).err().map(|(hash, _)| hash);
        assert_eq!(err, Some(hash_bytes(&bytes[PER_THREAD / 2])));
        let sequential: Result<Vec<Change>, _> = view.iter().map(|e| Change::decode(e)).collect();
        assert_eq!(err, sequential.err().map(|(hash, _)| hash));
    }
}
