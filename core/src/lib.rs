#![doc = include_str!("../../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// Gives a fieldless enum a stable lowercase text form: `as_str`, `Display`, `FromStr`.
macro_rules! text_enum {
    ($ty:ident, $what:expr, { $($variant:ident => $text:expr),* $(,)? }) => {
        impl $ty {
            /// The stable lowercase name used in text forms and by the bindings.
            pub fn as_str(&self) -> &'static str {
                match self { $($ty::$variant => $text),* }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $ty {
            type Err = $crate::EditError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($ty::$variant),)*
                    other => Err($crate::EditError::Invalid(format!(
                        "unknown {} `{}` (expected one of: {})",
                        $what,
                        other.chars().take(40).collect::<String>(),
                        [$($text),*].join(", "),
                    ))),
                }
            }
        }
    };
}

mod acl;
mod activity;
mod apply;
mod authority;
mod change;
mod clock;
mod codec;
mod compact;
mod content;
mod crdt;
mod crm;
pub mod dynamic;
mod error;
mod events;
pub mod fold;
mod glossary;
mod history;
mod identity;
mod ids;
mod model;
mod object;
mod op;
mod pack;
mod query;
#[doc(hidden)]
pub mod reference;
mod resolve;
#[cfg(test)]
mod strategies;
mod sync;
mod table;
mod workspace;

pub use activity::{Comment, Digest, DigestItem, HistoryEntry, Since, Subject};
pub use apply::{ApplyReport, IgnoredChange, PendingChange};
pub use clock::{Clock, SteppingClock, SystemClock};
pub use codec::FORMAT_VERSION;
pub use crm::{Contact, ContactQuery, Duplicate, DuplicateReason, NewContact, DEFAULT_PIPELINE};
pub use error::{
    ApplyError, DecodeError, Denied, EditError, ErrorKind, KeyError, LoadError, ParseIdError,
    Rejection,
};
pub use events::{AgendaItem, Decision, Event, NewEvent};
pub use glossary::{Entry, Glossary, NewEntry, Sense};
pub use identity::Identity;
pub use ids::{
    ChangeHash, CommentId, ContactId, EntryId, EventId, GlossaryId, GroupId, ItemId, MemberId,
    ObjectId, OpId, SenseId, WorkspaceId,
};
pub use object::{
    Attendee, AttendeeRole, ContactKind, EntryStatus, EventKind, EventStatus, Field, Instant,
    ObjectKind, Party, Value,
};
pub use op::{GroupRole, GroupUpdate, Op, Role};
pub use query::{ChangeInfo, ChangeStatus, GroupInfo, GroupMember, MemberInfo};
pub use resolve::IgnoredReason;
pub use sync::{sync_in_memory, SyncState, SyncStats};
pub use workspace::{NewGroup, Workspace};
