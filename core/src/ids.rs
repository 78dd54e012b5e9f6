//! Identifiers: members, changes, workspaces and groups.
//!
//! Every id is a small `Copy` type with a stable text form (lowercase hexadecimal)
//! produced by [`Display`](fmt::Display) and read back by [`FromStr`]. The bindings
//! use exactly this text form, so an id printed by one runtime parses in every other.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ParseIdError;

/// Writes an id's bytes (at most 32) in lowercase hexadecimal, in one piece: the bindings
/// turn every id they return into this text, so it is built without the formatting
/// machinery for each byte.
fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    let digit = |n: u8| if n < 10 { b'0' + n } else { b'a' + n - 10 };
    let mut buf = [0u8; 64];
    for (pair, b) in buf.chunks_exact_mut(2).zip(bytes) {
        if let [hi, lo] = pair {
            *hi = digit(b >> 4);
            *lo = digit(b & 0x0f);
        }
    }
    debug_assert!(bytes.len() <= 32, "ids are at most 32 bytes");
    let text = buf
        .get(..2 * bytes.len())
        .and_then(|hex| std::str::from_utf8(hex).ok())
        .unwrap_or_default();
    f.write_str(text)
}

fn parse_hex<const N: usize>(kind: &'static str, s: &str) -> Result<[u8; N], ParseIdError> {
    let bad = |reason| ParseIdError::new(kind, s, reason);
    if s.len() != 2 * N {
        return Err(bad("wrong length"));
    }
    let mut out = [0u8; N];
    for (slot, pair) in out.iter_mut().zip(s.as_bytes().chunks_exact(2)) {
        let digit = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        match pair {
            [hi, lo] => match (digit(*hi), digit(*lo)) {
                (Some(hi), Some(lo)) => *slot = hi << 4 | lo,
                _ => return Err(bad("not lowercase hexadecimal")),
            },
            _ => return Err(bad("wrong length")),
        }
    }
    Ok(out)
}

macro_rules! hex_id {
    ($(#[$meta:meta])* $name:ident, $len:expr, $kind:expr) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        pub struct $name([u8; $len]);

        /// Ids are hashes or public keys, evenly spread: their first eight bytes feed a
        /// hasher as well as all of them (hash maps seed their hashers per process).
        impl std::hash::Hash for $name {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                let head = self.0.first_chunk::<8>().copied().unwrap_or_default();
                state.write_u64(u64::from_le_bytes(head));
            }
        }

        /// Text form in human-readable formats (JSON), raw bytes in binary ones.
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                if serializer.is_human_readable() {
                    serializer.collect_str(self)
                } else {
                    // A named newtype, so compact encodings can recognise ids; postcard
                    // writes newtypes transparently (the raw bytes).
                    serializer.serialize_newtype_struct(stringify!($name), &self.0)
                }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Raw;

                impl<'de> serde::de::Visitor<'de> for Raw {
                    type Value = $name;

                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        write!(f, "a {}", $kind)
                    }

                    fn visit_newtype_struct<D: serde::Deserializer<'de>>(
                        self,
                        deserializer: D,
                    ) -> Result<$name, D::Error> {
                        <[u8; $len]>::deserialize(deserializer).map($name)
                    }

                    /// The raw bytes at once, from a format that has them whole (the
                    /// compact form's id tables).
                    fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<$name, E> {
                        <[u8; $len]>::try_from(bytes)
                            .map($name)
                            .map_err(|_| E::invalid_length(bytes.len(), &self))
                    }
                }

                if deserializer.is_human_readable() {
                    let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                    text.parse().map_err(serde::de::Error::custom)
                } else {
                    deserializer.deserialize_newtype_struct(stringify!($name), Raw)
                }
            }
        }

        impl $name {
            /// The raw bytes of this id.
            pub fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }

            /// Builds an id from its raw bytes.
            pub fn from_bytes(bytes: [u8; $len]) -> Self {
                Self(bytes)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_hex(f, &self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}(", stringify!($name))?;
                write_hex(f, &self.0)?;
                write!(f, ")")
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                parse_hex::<$len>($kind, s).map(Self)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = ParseIdError;

            fn try_from(s: &str) -> Result<Self, Self::Error> {
                s.parse()
            }
        }
    };
}

hex_id!(
    /// A member of a workspace: the Ed25519 public key that signs their changes.
    ///
    /// Its text form is the 64 hexadecimal digits of the key.
    ///
    /// ```
    /// use cercle::{Identity, MemberId};
    /// let alice = Identity::from_secret_bytes([7; 32]);
    /// let id: MemberId = alice.member_id().to_string().parse()?;
    /// assert_eq!(id, alice.member_id());
    /// # Ok::<(), cercle::ParseIdError>(())
    /// ```
    MemberId,
    32,
    "member id"
);

hex_id!(
    /// The hash (BLAKE3) of a change's canonical encoding: the change's identity.
    ChangeHash,
    32,
    "change hash"
);

hex_id!(
    /// A workspace, named after the hash of the genesis change that founded it.
    WorkspaceId,
    32,
    "workspace id"
);

hex_id!(
    /// A group (the core team, or an informal working group) inside a workspace.
    ///
    /// Derived from the author and the operation counter of the creating operation, so it
    /// is known the moment the group is created, before the change is sealed.
    GroupId,
    16,
    "group id"
);

hex_id!(
    /// Any object of a workspace's content: a contact, an event, a glossary, an entry, a
    /// sense, an agenda item, a decision or a comment. Derived, like a [`GroupId`], from the
    /// operation that created it. The typed ids ([`ContactId`], [`EventId`], ...) convert
    /// to and from it.
    ObjectId,
    16,
    "object id"
);

macro_rules! object_id {
    ($(#[$meta:meta])* $name:ident, $kind:expr) => {
        hex_id!($(#[$meta])* $name, 16, $kind);

        impl From<$name> for ObjectId {
            fn from(id: $name) -> ObjectId {
                ObjectId(id.0)
            }
        }

        impl From<ObjectId> for $name {
            fn from(id: ObjectId) -> $name {
                $name(id.0)
            }
        }
    };
}

object_id!(
    /// A contact of the shared CRM.
    ContactId,
    "contact id"
);
object_id!(
    /// A timeline event: meeting, call, email, note, status change, decision or task.
    EventId,
    "event id"
);
object_id!(
    /// A glossary co-written by a group.
    GlossaryId,
    "glossary id"
);
object_id!(
    /// An entry of a glossary.
    EntryId,
    "entry id"
);
object_id!(
    /// A sense (definition and examples) of a glossary entry.
    SenseId,
    "sense id"
);
object_id!(
    /// A comment on a contact, an event or a glossary entry.
    CommentId,
    "comment id"
);
object_id!(
    /// An agenda item or a decision of an event.
    ItemId,
    "item id"
);

/// The position of an operation in the workspace's causal order: a Lamport counter and
/// the author. Unique for every honest author; compared counter first, then author.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub struct OpId {
    /// Lamport counter of the operation.
    pub counter: u64,
    /// Author of the operation.
    pub author: MemberId,
}

fn derive_bytes(context: &[u8], op: OpId) -> [u8; 16] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(context);
    hasher.update(op.author.as_bytes());
    hasher.update(&op.counter.to_le_bytes());
    let hash = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(hash.as_bytes().get(..16).unwrap_or(&[0; 16]));
    bytes
}

impl GroupId {
    /// The id of the group created by the operation `op`.
    pub(crate) fn derive(op: OpId) -> Self {
        GroupId(derive_bytes(b"cercle group id v1", op))
    }
}

impl ObjectId {
    /// The id of the object created by the operation `op`.
    pub(crate) fn derive(op: OpId) -> Self {
        ObjectId(derive_bytes(b"cercle object id v1", op))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_round_trips() {
        let id = ChangeHash::from_bytes([0xab; 32]);
        let text = id.to_string();
        assert_eq!(text, "ab".repeat(32));
        assert_eq!(text.parse::<ChangeHash>().ok(), Some(id));
    }

    proptest::proptest! {
        /// Law: an id's text form is its bytes in lowercase hexadecimal, two digits each,
        /// and reads back to the same id.
        #[test]
        fn text_form_is_lowercase_hex_and_reads_back(bytes in proptest::array::uniform32(0u8..)) {
            let id = MemberId::from_bytes(bytes);
            let text = id.to_string();
            let expected: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            proptest::prop_assert_eq!(&text, &expected);
            proptest::prop_assert_eq!(text.parse::<MemberId>().ok(), Some(id));
            let short = ObjectId::from_bytes(bytes[..16].try_into().unwrap_or_default());
            proptest::prop_assert_eq!(short.to_string(), expected[..32].to_string());
        }
    }

    #[test]
    fn json_uses_the_text_form_and_binary_the_bytes() {
        let id = MemberId::from_bytes([1; 32]);
        let json = serde_json::to_string(&id).ok();
        assert_eq!(json, Some(format!("\"{}\"", "01".repeat(32))));
        let back: Option<MemberId> = json.and_then(|j| serde_json::from_str(&j).ok());
        assert_eq!(back, Some(id));
        let bytes = postcard::to_allocvec(&id).unwrap_or_default();
        assert_eq!(bytes, vec![1; 32]);
    }

    #[test]
    fn bad_text_is_rejected_with_reason() {
        let err = "zz".parse::<GroupId>().err().map(|e| e.to_string());
        assert_eq!(err.as_deref(), Some("invalid group id `zz`: wrong length"));
        let err = "G"
            .repeat(32)
            .parse::<GroupId>()
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("not lowercase hexadecimal")));
        // multi-byte characters never split or panic
        assert!("é".repeat(16).parse::<GroupId>().is_err());
    }
}
