//! Containers: saved workspaces, change bundles and sync messages.
//!
//! Every container starts with four magic bytes and a format version. Saved workspaces
//! and change bundles share one container (`CRCL`): a list of changes in canonical order.
//! Sync messages (`CRCS`) are a postcard record whose changes are such a list.
//!
//! Since version 2 a list of changes is *packed*: the varint length of the rest, a 16-byte
//! checksum (the start of the BLAKE3 hash of what follows it), the varint length of the
//! list's compact form ([`crate::compact`]), then that form compressed with raw DEFLATE
//! (RFC 1951). The
//! checksum makes every altered byte an error, including the few bits DEFLATE ignores.
//! Version 3 changed the changes themselves, not the containers: a change's hash no longer
//! covers its signature, and a change vouched for by a later change of its author travels
//! without one (see [`crate::change`]). Version 4 added an operation, the creation of an
//! object with its first values ([`crate::Op::CreateWith`]); a version 3 list reads the
//! same way. Versions 1 (a postcard list of each change's canonical bytes) and 2 are
//! still read; their changes stay what they were (legacy changes, with their signatures
//! and hashes).

use serde::{Deserialize, Serialize};

use crate::change::{decode_exact, outgoing, Change, ChangeView, Unchecked};
use crate::compact::{self, CompactError};
use crate::error::{DecodeError, Rejection};
use crate::identity::Identity;
use crate::ids::ChangeHash;

/// The format version written by this library (it also reads every earlier one).
pub const FORMAT_VERSION: u8 = 4;

pub(crate) const CHANGES_MAGIC: &[u8; 4] = b"CRCL";
pub(crate) const SYNC_MAGIC: &[u8; 4] = b"CRCS";

/// Checks the magic bytes; returns the version and the body.
fn header<'a>(
    magic: &[u8; 4],
    expected: &'static str,
    bytes: &'a [u8],
) -> Result<(u8, &'a [u8]), DecodeError> {
    let Some((found, rest)) = bytes.split_first_chunk::<4>() else {
        return Err(if magic.starts_with(bytes) {
            DecodeError::Truncated { what: expected }
        } else {
            DecodeError::BadMagic { expected }
        });
    };
    if found != magic {
        return Err(DecodeError::BadMagic { expected });
    }
    let Some((&version, rest)) = rest.split_first() else {
        return Err(DecodeError::Truncated { what: expected });
    };
    if version == 0 || version > FORMAT_VERSION {
        return Err(DecodeError::UnsupportedVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    Ok((version, rest))
}

fn with_header(magic: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + body.len());
    out.extend_from_slice(magic);
    out.push(FORMAT_VERSION);
    out.extend_from_slice(body);
    out
}

fn compact_error(what: &'static str, e: CompactError) -> DecodeError {
    match e {
        CompactError::Truncated => DecodeError::Truncated { what },
        CompactError::Malformed => DecodeError::Malformed { what },
    }
}

/// DEFLATE level. Measured on the benchmark workloads' saved lists: level 3 makes them
/// 11 % (a CRM) to 20 % (a long typed text) smaller than level 1, for about twice the
/// compression time; level 4 gains 0–4 % more.
const DEFLATE_LEVEL: u8 = 3;

/// DEFLATE never expands more than about 1032 times; a declared length beyond that is a
/// lie, refused before any memory is reserved for it.
const MAX_EXPANSION: usize = 1032;

const CHECKSUM_LEN: usize = 16;

fn checksum(bytes: &[u8]) -> [u8; CHECKSUM_LEN] {
    let mut out = [0u8; CHECKSUM_LEN];
    out.copy_from_slice(&blake3::hash(bytes).as_bytes()[..CHECKSUM_LEN]);
    out
}

fn pack(compact: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(compact.len() / 3 + 16);
    compact::put_varint(&mut body, compact.len() as u64);
    body.extend(miniz_oxide::deflate::compress_to_vec(
        compact,
        DEFLATE_LEVEL,
    ));
    let mut out = Vec::with_capacity(CHECKSUM_LEN + body.len() + 10);
    compact::put_varint(&mut out, (CHECKSUM_LEN + body.len()) as u64);
    out.extend_from_slice(&checksum(&body));
    out.extend(body);
    out
}

fn unpack(what: &'static str, packed: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let mut rest = packed;
    let len = compact::take_varint(&mut rest).map_err(|e| compact_error(what, e))?;
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    if rest.len() < len.max(CHECKSUM_LEN) {
        return Err(DecodeError::Truncated { what });
    }
    if rest.len() > len {
        return Err(DecodeError::TrailingBytes {
            what,
            count: rest.len() - len,
        });
    }
    let Some((sum, body)) = rest.split_first_chunk::<CHECKSUM_LEN>() else {
        return Err(DecodeError::Truncated { what });
    };
    if *sum != checksum(body) {
        return Err(DecodeError::ChecksumMismatch { what });
    }
    let mut rest = body;
    let declared = compact::take_varint(&mut rest).map_err(|e| compact_error(what, e))?;
    let declared = usize::try_from(declared)
        .ok()
        .filter(|&n| n <= rest.len().saturating_mul(MAX_EXPANSION).saturating_add(64))
        .ok_or(DecodeError::Malformed { what })?;
    inflate(rest, declared).ok_or(DecodeError::Malformed { what })
}

/// Inflates raw DEFLATE `data` that holds exactly `len` bytes and nothing after them.
///
/// miniz_oxide writes DEFLATE (its output, which saved workspaces hold, stays the same
/// from version to version); zlib-rs reads it in about a third fewer instructions.
pub(crate) fn inflate(data: &[u8], len: usize) -> Option<Vec<u8>> {
    let mut out = vec![0u8; len];
    let mut inflater = zlib_rs::Inflate::new(false, 15);
    let done = inflater.decompress(data, &mut out, zlib_rs::InflateFlush::Finish);
    let exact = matches!(done, Ok(zlib_rs::Status::StreamEnd))
        && inflater.total_out() == len as u64
        && inflater.total_in() == data.len() as u64;
    exact.then_some(out)
}

/// Whether a compact list of format `version` has no seal bytes (version 2: every change
/// is a legacy one followed by its signature).
fn without_seals(version: u8) -> bool {
    version < 3
}

/// Reads a compact change list (see [`crate::compact`]) of format `version`, naming
/// `what` in errors.
pub(crate) fn decode_compact(
    what: &'static str,
    version: u8,
    bytes: &[u8],
) -> Result<Vec<Unchecked>, DecodeError> {
    compact::decode(bytes, without_seals(version)).map_err(|e| compact_error(what, e))
}

/// The packed compact form of changes in a causal order, as they leave the copy of
/// `identity` (see [`outgoing`]).
fn pack_changes(changes: &[impl ChangeView], identity: &Identity) -> Vec<u8> {
    pack(&compact::encode(changes, &outgoing(changes, identity)))
}

/// Changes read from a container, not yet verified.
pub(crate) enum Decoded<'a> {
    /// Version 1: each change's canonical bytes.
    Raw(Vec<&'a [u8]>),
    /// Versions 2 and 3: changes rebuilt from the compact form.
    Rebuilt(Vec<Unchecked>),
}

impl Decoded<'_> {
    /// How many changes were read.
    pub(crate) fn len(&self) -> usize {
        match self {
            Decoded::Raw(list) => list.len(),
            Decoded::Rebuilt(list) => list.len(),
        }
    }

    /// Verifies every change (on every core for long lists): the first rejected change in
    /// list order is reported.
    pub(crate) fn verify(self) -> Result<Vec<Change>, (ChangeHash, Rejection)> {
        match self {
            Decoded::Raw(list) => Change::decode_all(&list),
            Decoded::Rebuilt(list) => Change::check_all(list),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct BundleV1<'a> {
    #[serde(borrow)]
    changes: Vec<&'a [u8]>,
}

/// A saved workspace or change bundle holding `changes`, in a causal order, as they leave
/// the copy of `identity`.
pub(crate) fn encode_changes(changes: &[impl ChangeView], identity: &Identity) -> Vec<u8> {
    with_header(CHANGES_MAGIC, &pack_changes(changes, identity))
}

const SAVED: &str = "saved cercle changes";

pub(crate) fn decode_changes(bytes: &[u8]) -> Result<Decoded<'_>, DecodeError> {
    unpack_changes(bytes)?.decode()
}

/// A saved workspace or change bundle opened, its changes not yet read.
pub(crate) enum Unpacked<'a> {
    /// Version 1: each change's canonical bytes.
    Raw(Vec<&'a [u8]>),
    /// Later versions: the compact list, inflated.
    Compact {
        /// The format version.
        version: u8,
        /// The list's compact form.
        list: Vec<u8>,
    },
}

/// Opens a saved workspace or change bundle: its header, checksum and compression.
pub(crate) fn unpack_changes(bytes: &[u8]) -> Result<Unpacked<'_>, DecodeError> {
    match header(CHANGES_MAGIC, SAVED, bytes)? {
        (1, body) => {
            let bundle: BundleV1<'_> = decode_exact("change list", body)?;
            Ok(Unpacked::Raw(bundle.changes))
        }
        (version, body) => Ok(Unpacked::Compact {
            version,
            list: unpack(SAVED, body)?,
        }),
    }
}

impl<'a> Unpacked<'a> {
    /// Reads the changes.
    pub(crate) fn decode(&self) -> Result<Decoded<'a>, DecodeError> {
        match self {
            Unpacked::Raw(list) => Ok(Decoded::Raw(list.clone())),
            Unpacked::Compact { version, list } => {
                decode_compact(SAVED, *version, list).map(Decoded::Rebuilt)
            }
        }
    }

    /// The compact list and whether it is of version 2 (without seal bytes), if the
    /// changes come as one.
    pub(crate) fn compact(&self) -> Option<(&[u8], bool)> {
        match self {
            Unpacked::Raw(_) => None,
            Unpacked::Compact { version, list } => Some((list, without_seals(*version))),
        }
    }
}

/// The compact list inside a saved workspace of the current version (for fuzzing seeds).
pub(crate) fn compact_body(bytes: &[u8]) -> Option<Vec<u8>> {
    match unpack_changes(bytes).ok()? {
        Unpacked::Compact {
            version: FORMAT_VERSION,
            list,
        } => Some(list),
        _ => None,
    }
}

/// A sync message: the sender's heads, a sample of what it has, the hashes it needs, and
/// changes (a packed list).
#[derive(Serialize, Deserialize)]
pub(crate) struct SyncMessage<'a> {
    pub(crate) heads: Vec<ChangeHash>,
    pub(crate) have: Vec<ChangeHash>,
    pub(crate) need: Vec<ChangeHash>,
    #[serde(borrow)]
    pub(crate) changes: &'a [u8],
}

/// A version 1 sync message: its changes are their canonical bytes.
#[derive(Serialize, Deserialize)]
struct SyncMessageV1<'a> {
    heads: Vec<ChangeHash>,
    have: Vec<ChangeHash>,
    need: Vec<ChangeHash>,
    #[serde(borrow)]
    changes: Vec<&'a [u8]>,
}

/// A sync message as read: its changes decoded, not yet verified.
pub(crate) struct ReceivedSync<'a> {
    pub(crate) heads: Vec<ChangeHash>,
    pub(crate) have: Vec<ChangeHash>,
    pub(crate) need: Vec<ChangeHash>,
    pub(crate) changes: Decoded<'a>,
}

/// A sync message carrying `changes`, in a causal order, as they leave the copy of
/// `identity`.
pub(crate) fn encode_sync(
    heads: Vec<ChangeHash>,
    have: Vec<ChangeHash>,
    need: Vec<ChangeHash>,
    changes: &[impl ChangeView],
    identity: &Identity,
) -> Vec<u8> {
    let changes = pack_changes(changes, identity);
    let message = SyncMessage {
        heads,
        have,
        need,
        changes: &changes,
    };
    // Encoding plain data into a vector cannot fail.
    with_header(
        SYNC_MAGIC,
        &postcard::to_allocvec(&message).unwrap_or_default(),
    )
}

pub(crate) fn decode_sync(bytes: &[u8]) -> Result<ReceivedSync<'_>, DecodeError> {
    const WHAT: &str = "a cercle sync message";
    match header(SYNC_MAGIC, WHAT, bytes)? {
        (1, body) => {
            let m: SyncMessageV1<'_> = decode_exact("sync message", body)?;
            Ok(ReceivedSync {
                heads: m.heads,
                have: m.have,
                need: m.need,
                changes: Decoded::Raw(m.changes),
            })
        }
        (version, body) => {
            let m: SyncMessage<'_> = decode_exact("sync message", body)?;
            let changes = decode_compact(WHAT, version, &unpack(WHAT, m.changes)?)?;
            Ok(ReceivedSync {
                heads: m.heads,
                have: m.have,
                need: m.need,
                changes: Decoded::Rebuilt(changes),
            })
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn nothing_deflated_inflates_to_nothing() {
        let data = miniz_oxide::deflate::compress_to_vec(&[], DEFLATE_LEVEL);
        assert_eq!(inflate(&data, 0), Some(vec![]));
        assert_eq!(inflate(&data, 1), None);
        assert_eq!(inflate(&[], 0), None);
    }

    proptest! {
        /// Law: what the writer deflates inflates back exactly, at the declared length
        /// only, and not with a byte more or less of input.
        #[test]
        fn inflating_reads_exactly_what_deflating_wrote(
            bytes in prop::collection::vec(prop_oneof![Just(0u8), Just(b'a'), any::<u8>()], 0..5000),
            extra in 1usize..3,
        ) {
            let data = miniz_oxide::deflate::compress_to_vec(&bytes, DEFLATE_LEVEL);
            prop_assert_eq!(inflate(&data, bytes.len()), Some(bytes.clone()));
            prop_assert_eq!(inflate(&data, bytes.len() + extra), None);
            if !bytes.is_empty() {
                prop_assert_eq!(inflate(&data, bytes.len() - 1), None);
            }
            let mut longer = data.clone();
            longer.extend(std::iter::repeat_n(0u8, extra));
            prop_assert_eq!(inflate(&longer, bytes.len()), None);
            prop_assert_eq!(inflate(&data[..data.len() - 1], bytes.len()), None);
        }
    }
}
