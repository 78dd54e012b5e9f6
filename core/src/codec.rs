//! Containers: saved workspaces, change bundles and sync messages.
//!
//! Every container starts with four magic bytes and a format version, followed by a
//! postcard encoding. Saved workspaces and change bundles share one container (`CRCL`):
//! a list of encoded changes in canonical order.

use serde::{Deserialize, Serialize};

use crate::change::decode_exact;
use crate::error::DecodeError;
use crate::ids::ChangeHash;

/// The format version written and read by this library.
pub const FORMAT_VERSION: u8 = 1;

pub(crate) const CHANGES_MAGIC: &[u8; 4] = b"CRCL";
pub(crate) const SYNC_MAGIC: &[u8; 4] = b"CRCS";

fn header<'a>(
    magic: &[u8; 4],
    expected: &'static str,
    bytes: &'a [u8],
) -> Result<&'a [u8], DecodeError> {
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
    if version != FORMAT_VERSION {
        return Err(DecodeError::UnsupportedVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    Ok(rest)
}

fn with_header(magic: &[u8; 4], body: &impl Serialize) -> Vec<u8> {
    let mut out = magic.to_vec();
    out.push(FORMAT_VERSION);
    // Encoding plain data into a vector cannot fail.
    out.extend(postcard::to_allocvec(body).unwrap_or_default());
    out
}

#[derive(Serialize, Deserialize)]
struct Bundle<'a> {
    #[serde(borrow)]
    changes: Vec<&'a [u8]>,
}

pub(crate) fn encode_changes<'a>(changes: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    with_header(
        CHANGES_MAGIC,
        &Bundle {
            changes: changes.into_iter().collect(),
        },
    )
}

pub(crate) fn decode_changes(bytes: &[u8]) -> Result<Vec<&[u8]>, DecodeError> {
    let body = header(CHANGES_MAGIC, "saved cercle changes", bytes)?;
    let bundle: Bundle<'_> = decode_exact("change list", body)?;
    Ok(bundle.changes)
}

/// A sync message.
#[derive(Serialize, Deserialize)]
pub(crate) struct SyncMessage<'a> {
    pub(crate) heads: Vec<ChangeHash>,
    pub(crate) have: Vec<ChangeHash>,
    pub(crate) need: Vec<ChangeHash>,
    #[serde(borrow)]
    pub(crate) changes: Vec<&'a [u8]>,
}

pub(crate) fn encode_sync(message: &SyncMessage<'_>) -> Vec<u8> {
    with_header(SYNC_MAGIC, message)
}

pub(crate) fn decode_sync(bytes: &[u8]) -> Result<SyncMessage<'_>, DecodeError> {
    let body = header(SYNC_MAGIC, "a cercle sync message", bytes)?;
    decode_exact("sync message", body)
}
