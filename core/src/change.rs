//! Changes: operations sealed with their author, causal position and signature.
//!
//! A change travels as `postcard((body, signature))` where `body` is the canonical
//! postcard encoding of [`ChangeBody`] and `signature` is the author's Ed25519 signature of
//! `SIGNING_CONTEXT || body`. Its hash is the BLAKE3 hash of those bytes. Decoding accepts
//! only the canonical encoding, so one change has exactly one byte form and one hash.

use serde::{Deserialize, Serialize};

use crate::error::{DecodeError, Rejection};
use crate::identity::{Identity, Verifier};
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

/// A decoded, hashed change with its signature. The signature is checked before a
/// `Change` exists ([`Change::decode_all`], [`Change::check_all`]); a `Change` never holds a
/// forged one. Its canonical bytes are not kept: they are rebuilt from the body when needed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Change {
    pub(crate) hash: ChangeHash,
    pub(crate) body: ChangeBody,
    pub(crate) signature: [u8; 64],
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

/// Changes per verifying thread, at least: below, threads cost more than they save.
const PER_THREAD: usize = 256;

/// The threads to work on: the machine's cores (one where threads do not exist).
pub(crate) fn parallelism() -> usize {
    if cfg!(target_arch = "wasm32") {
        return 1;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn signing_message(body: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(SIGNING_CONTEXT.len() + body.len());
    message.extend_from_slice(SIGNING_CONTEXT);
    message.extend_from_slice(body);
    message
}

/// A change whose hash is known but whose signature and structure are not yet checked:
/// what a compact list decodes to. [`Change::check_all`] turns it into a [`Change`].
#[derive(Debug)]
pub(crate) struct Unchecked {
    change: Change,
    /// The canonical encoding of the body: what the signature signs.
    body_bytes: Vec<u8>,
}

/// The canonical encoding of a change body: what its author signs.
fn body_bytes(body: &ChangeBody) -> Vec<u8> {
    // Encoding plain data into a vector cannot fail.
    postcard::to_allocvec(body).unwrap_or_default()
}

/// The canonical bytes of a change, from its body's encoding and its signature: what is
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
    /// Rebuilds the canonical bytes of a change from its content and signature, to hash it.
    pub(crate) fn rebuild(body: ChangeBody, signature: [u8; 64]) -> Self {
        let body_bytes = body_bytes(&body);
        Unchecked {
            change: Change {
                hash: hash_bytes(&wire_bytes(&body_bytes, &signature)),
                body,
                signature,
            },
            body_bytes,
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
    /// Encodes and signs `body`.
    pub(crate) fn seal(body: ChangeBody, identity: &Identity) -> Self {
        let body_bytes = body_bytes(&body);
        let signature = identity.sign(&signing_message(&body_bytes));
        Change {
            hash: hash_bytes(&wire_bytes(&body_bytes, &signature)),
            body,
            signature,
        }
    }

    /// The change's canonical bytes, as hashed.
    #[cfg(test)]
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        wire_bytes(&body_bytes(&self.body), &self.signature)
    }

    /// Decodes and verifies a list of changes, in order. Large lists are verified on
    /// every core of the machine (signature verification dominates loading); the error is
    /// always that of the first rejected change in the list, whichever thread met it.
    pub(crate) fn decode_all(encoded: &[&[u8]]) -> Result<Vec<Self>, (ChangeHash, Rejection)> {
        in_parallel(encoded, |verifier, bytes| {
            Self::decode_with(verifier, bytes)
        })
    }

    /// Checks rebuilt changes like [`decode_all`](Change::decode_all) checks decoded ones.
    pub(crate) fn check_all(changes: Vec<Unchecked>) -> Result<Vec<Self>, (ChangeHash, Rejection)> {
        in_parallel(&changes, |verifier, u| {
            u.change.check(verifier, &u.body_bytes)
        })?;
        Ok(changes.into_iter().map(|u| u.change).collect())
    }

    /// Decodes one change and checks its encoding and signature. Causal checks (known
    /// author, Lamport counter) need the history and are done when it is applied.
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
            body,
            signature,
        };
        change.check(verifier, wire.body)?;
        Ok(change)
    }

    /// Checks the signature (over `body_bytes`, the body's canonical encoding) and the
    /// structure of a change.
    fn check(
        &self,
        verifier: &mut Verifier,
        body_bytes: &[u8],
    ) -> Result<(), (ChangeHash, Rejection)> {
        let (hash, body) = (self.hash, &self.body);
        if !verifier.verify(&body.author, &signing_message(body_bytes), &self.signature) {
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
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

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
                Change::seal(body, &me)
            })
            .collect()
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
