//! Error types, one per kind of operation.
//!
//! Messages are lowercase, name the offending value in backticks and never mention
//! Rust types. Errors that refuse an edit for lack of rights ([`Denied`]) are kept apart
//! from errors about bad input and from errors about corrupt or forged bytes.

use std::fmt;

use crate::ids::{ChangeHash, GroupId, MemberId, ObjectId};

/// The broad category of an error, the same in every language the library is used from.
///
/// Applications branch on the category (ask for rights, report a missing record, fix the
/// input, discard the bytes); the error itself carries the details.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The member lacks the right to do this.
    Denied,
    /// A member, group or object named by the call does not exist.
    NotFound,
    /// The call's input is not acceptable (a malformed id, an empty name, a bad range, ...).
    InvalidInput,
    /// Bytes from outside are corrupt, forged, or from an unsupported format version.
    Corrupt,
}

impl ErrorKind {
    /// The stable lowercase name of the category: `denied`, `not_found`, `invalid_input`
    /// or `corrupt`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Denied => "denied",
            ErrorKind::NotFound => "not_found",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Corrupt => "corrupt",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A text id could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} `{input}`: {reason}")]
pub struct ParseIdError {
    kind: &'static str,
    input: String,
    reason: &'static str,
}

impl ParseIdError {
    pub(crate) fn new(kind: &'static str, input: &str, reason: &'static str) -> Self {
        // Keep error messages short even for huge inputs.
        let input: String = input.chars().take(80).collect();
        ParseIdError {
            kind,
            input,
            reason,
        }
    }

    /// What kind of id was expected (`member id`, `change hash`, ...).
    pub fn kind(&self) -> &str {
        self.kind
    }

    /// Why the text was refused.
    pub fn reason(&self) -> &str {
        self.reason
    }

    /// The category of this error: always [`ErrorKind::InvalidInput`].
    pub fn error_kind(&self) -> ErrorKind {
        ErrorKind::InvalidInput
    }
}

/// Secret key bytes could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a secret key is 32 bytes, got {len}")]
pub struct KeyError {
    pub(crate) len: usize,
}

impl KeyError {
    /// The category of this error: always [`ErrorKind::InvalidInput`].
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::InvalidInput
    }
}

/// Why an action was refused: who tried, what, and the rule that forbids it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[error("`{member}` may not {action}: {reason}")]
pub struct Denied {
    /// The member who attempted the action.
    pub member: MemberId,
    /// The action, in words (`remove member \`…\``).
    pub action: String,
    /// The rule of the permission matrix that refuses it.
    pub reason: String,
}

/// A local edit was refused. The workspace is unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EditError {
    /// The local member lacks the right to make this edit.
    #[error(transparent)]
    Denied(#[from] Denied),
    /// The edit names a member who is not in the workspace.
    #[error("no member `{0}` in this workspace")]
    NoSuchMember(MemberId),
    /// The edit names a group that does not exist.
    #[error("no group `{0}` in this workspace")]
    NoSuchGroup(GroupId),
    /// The edit names a contact, event, glossary or other object that does not exist
    /// (or exists with another kind).
    #[error("no {what} `{id}` in this workspace")]
    NoSuchObject {
        /// The id named.
        id: ObjectId,
        /// What was expected: `contact`, `event`, ..., or `object`.
        what: &'static str,
    },
    /// The edit's input is not acceptable (empty name, value too long, ...).
    #[error("invalid input: {0}")]
    Invalid(String),
}

impl EditError {
    /// The category of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            EditError::Denied(_) => ErrorKind::Denied,
            EditError::NoSuchMember(_)
            | EditError::NoSuchGroup(_)
            | EditError::NoSuchObject { .. } => ErrorKind::NotFound,
            EditError::Invalid(_) => ErrorKind::InvalidInput,
        }
    }

    /// The details of this error as named text, the same in every binding: `member`,
    /// `action` and `reason` for a refusal; `what` and `id` for something missing.
    ///
    /// ```
    /// use cercle::{EditError, GroupId};
    /// let e = EditError::NoSuchGroup(GroupId::from_bytes([0; 16]));
    /// assert_eq!(e.details(), vec![("what", "group".to_string()), ("id", "00".repeat(16))]);
    /// ```
    pub fn details(&self) -> Vec<(&'static str, String)> {
        match self {
            EditError::Denied(d) => vec![
                ("member", d.member.to_string()),
                ("action", d.action.clone()),
                ("reason", d.reason.clone()),
            ],
            EditError::NoSuchMember(m) => vec![("what", "member".into()), ("id", m.to_string())],
            EditError::NoSuchGroup(g) => vec![("what", "group".into()), ("id", g.to_string())],
            EditError::NoSuchObject { id, what } => {
                vec![("what", (*what).into()), ("id", id.to_string())]
            }
            EditError::Invalid(_) => Vec::new(),
        }
    }

    /// The permission refusal, if that is what this error is.
    pub fn denied(&self) -> Option<&Denied> {
        match self {
            EditError::Denied(d) => Some(d),
            _ => None,
        }
    }
}

/// Bytes that are not a well-formed encoding of what was expected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The bytes do not start with the expected magic bytes.
    #[error("not {expected}: the bytes do not start with its magic bytes")]
    BadMagic {
        /// What was expected (`a saved workspace`, `a sync message`, ...).
        expected: &'static str,
    },
    /// The format version is not one this library reads.
    #[error("unsupported format version {found} (this library reads versions 1 to {supported})")]
    UnsupportedVersion {
        /// The version found in the bytes.
        found: u8,
        /// The version this library reads.
        supported: u8,
    },
    /// The bytes end before the encoding does.
    #[error("truncated {what}")]
    Truncated {
        /// What was being decoded.
        what: &'static str,
    },
    /// The bytes do not decode.
    #[error("malformed {what}")]
    Malformed {
        /// What was being decoded.
        what: &'static str,
    },
    /// The bytes decode, but not in the unique canonical form that is hashed and signed.
    #[error("non-canonical {what}")]
    NonCanonical {
        /// What was being decoded.
        what: &'static str,
    },
    /// The bytes were altered after they were written: their checksum does not match.
    #[error("corrupt {what}: the checksum does not match")]
    ChecksumMismatch {
        /// What was being decoded.
        what: &'static str,
    },
    /// Bytes remain after the end of the encoding.
    #[error("{count} unexpected trailing bytes after {what}")]
    TrailingBytes {
        /// What was decoded.
        what: &'static str,
        /// How many bytes were left.
        count: usize,
    },
}

/// Why a change received from another copy was rejected as corrupt or forged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The change's bytes do not decode.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The signature does not verify against the author's key.
    #[error("signature does not verify for author `{author}`")]
    BadSignature {
        /// The claimed author.
        author: MemberId,
    },
    /// The change carries no signature, and no later change of its author in the same list
    /// names it among its dependencies (which would vouch for it).
    #[error("change by `{author}` carries no signature and nothing in its list vouches for it")]
    Unvouched {
        /// The claimed author.
        author: MemberId,
    },
    /// The author was never added to the workspace in the change's causal past.
    #[error("author `{author}` is unknown in the change's causal past")]
    UnknownAuthor {
        /// The unknown author.
        author: MemberId,
    },
    /// The Lamport counter is not the one its dependencies imply.
    #[error("lamport counter {found} should be {expected}")]
    BadLamport {
        /// The counter the dependencies imply.
        expected: u64,
        /// The counter found.
        found: u64,
    },
    /// A genesis change where none may be, or a change without dependencies that is not a
    /// genesis.
    #[error("{0}")]
    Structure(&'static str),
    /// The change belongs to another workspace.
    #[error("the change founds another workspace")]
    ForeignWorkspace,
}

/// Applying changes from another copy failed. The workspace is unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApplyError {
    /// The container (a change list or sync message) does not decode.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// One change is corrupt or forged.
    #[error("change `{hash}` rejected: {reason}")]
    Rejected {
        /// Hash of the rejected change (of its bytes as received).
        hash: ChangeHash,
        /// Why it was rejected.
        reason: Rejection,
    },
}

/// Loading a saved workspace failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The bytes are not a saved workspace, or are corrupt.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A change in the saved workspace is corrupt or forged.
    #[error("change `{hash}` rejected: {reason}")]
    Rejected {
        /// Hash of the rejected change.
        hash: ChangeHash,
        /// Why it was rejected.
        reason: Rejection,
    },
    /// The saved workspace holds no genesis change.
    #[error("the saved workspace is empty")]
    Empty,
    /// Some changes depend on changes that the saved bytes do not hold.
    #[error("the saved workspace lacks {} change(s) it depends on, first `{}`", missing.len(), FirstHash(missing))]
    MissingDependencies {
        /// The missing hashes.
        missing: Vec<ChangeHash>,
    },
}

struct FirstHash<'a>(&'a [ChangeHash]);

impl fmt::Display for FirstHash<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.first() {
            Some(h) => write!(f, "{h}"),
            None => Ok(()),
        }
    }
}

impl DecodeError {
    /// The category of this error: always [`ErrorKind::Corrupt`].
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Corrupt
    }
}

impl ApplyError {
    /// The category of this error: always [`ErrorKind::Corrupt`].
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Corrupt
    }

    /// The hash of the rejected change, when one change was rejected.
    pub fn change(&self) -> Option<ChangeHash> {
        match self {
            ApplyError::Rejected { hash, .. } => Some(*hash),
            ApplyError::Decode(_) => None,
        }
    }
}

impl LoadError {
    /// The category of this error: always [`ErrorKind::Corrupt`] (the bytes are not a
    /// complete, authentic saved workspace).
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Corrupt
    }

    /// The hash of the rejected change, when one change was rejected.
    pub fn change(&self) -> Option<ChangeHash> {
        match self {
            LoadError::Rejected { hash, .. } => Some(*hash),
            _ => None,
        }
    }
}

impl From<ApplyError> for LoadError {
    fn from(e: ApplyError) -> Self {
        match e {
            ApplyError::Decode(d) => LoadError::Decode(d),
            ApplyError::Rejected { hash, reason } => LoadError::Rejected { hash, reason },
        }
    }
}
