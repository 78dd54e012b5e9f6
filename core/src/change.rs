//! Changes: operations sealed with their author, causal position and signature.
//!
//! A change travels as `postcard((body, signature))` where `body` is the canonical
//! postcard encoding of [`ChangeBody`] and `signature` is the author's Ed25519 signature of
//! `SIGNING_CONTEXT || body`. Its hash is the BLAKE3 hash of those bytes. Decoding accepts
//! only the canonical encoding, so one change has exactly one byte form and one hash.

use serde::{Deserialize, Serialize};

use crate::error::{DecodeError, Rejection};
use crate::identity::{self, Identity};
use crate::ids::{ChangeHash, MemberId};
use crate::op::Op;

const SIGNING_CONTEXT: &[u8] = b"cercle change v1\0";

/// The signed content of a change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ChangeBody {
    pub(crate) author: MemberId,
    pub(crate) seq: u64,
    pub(crate) lamport: u64,
    pub(crate) deps: Vec<ChangeHash>,
    pub(crate) time: i64,
    pub(crate) ops: Vec<Op>,
}

impl ChangeBody {
    /// The last operation counter this change uses.
    pub(crate) fn end_counter(&self) -> u64 {
        self.lamport
            .saturating_add(crate::op::total_width(&self.ops).max(1) - 1)
    }
}

#[derive(Serialize, Deserialize)]
struct Wire<'a> {
    #[serde(borrow)]
    body: &'a [u8],
    signature: &'a [u8],
}

/// A decoded, hashed change with its exact bytes. Its signature is checked by
/// [`Change::decode`]; a `Change` never holds a forged signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Change {
    pub(crate) hash: ChangeHash,
    pub(crate) body: ChangeBody,
    pub(crate) bytes: Vec<u8>,
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

pub(crate) fn hash_bytes(bytes: &[u8]) -> ChangeHash {
    ChangeHash::from_bytes(*blake3::hash(bytes).as_bytes())
}

fn signing_message(body: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(SIGNING_CONTEXT.len() + body.len());
    message.extend_from_slice(SIGNING_CONTEXT);
    message.extend_from_slice(body);
    message
}

impl Change {
    /// Encodes and signs `body`.
    pub(crate) fn seal(body: ChangeBody, identity: &Identity) -> Self {
        // Encoding plain data into a vector cannot fail.
        let body_bytes = postcard::to_allocvec(&body).unwrap_or_default();
        let signature = identity.sign(&signing_message(&body_bytes));
        let bytes = postcard::to_allocvec(&Wire {
            body: &body_bytes,
            signature: &signature,
        })
        .unwrap_or_default();
        Change {
            hash: hash_bytes(&bytes),
            body,
            bytes,
        }
    }

    /// Decodes one change and checks its encoding and signature. Causal checks (known
    /// author, Lamport counter) need the history and are done when it is applied.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, (ChangeHash, Rejection)> {
        let hash = hash_bytes(bytes);
        let wire: Wire<'_> = decode_exact("change", bytes).map_err(|e| (hash, e.into()))?;
        let body: ChangeBody =
            decode_exact("change body", wire.body).map_err(|e| (hash, e.into()))?;
        let Ok(signature) = <[u8; 64]>::try_from(wire.signature) else {
            return Err((hash, DecodeError::Malformed { what: "signature" }.into()));
        };
        if !identity::verify(&body.author, &signing_message(wire.body), &signature) {
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
        let genesis = body.ops.iter().any(|op| matches!(op, Op::Genesis { .. }));
        if body.deps.is_empty() != genesis || (genesis && body.ops.len() != 1) {
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
        let width = body
            .ops
            .iter()
            .map(Op::width)
            .try_fold(0u64, u64::checked_add);
        if width.and_then(|w| body.lamport.checked_add(w)).is_none() {
            return Err((hash, Rejection::Structure("counter overflow")));
        }
        Ok(Change {
            hash,
            body,
            bytes: bytes.to_vec(),
        })
    }
}
