#![doc = include_str!("../../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod acl;
mod activity;
mod apply;
mod authority;
mod change;
mod clock;
mod codec;
mod content;
mod crdt;
mod crm;
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
mod query;
#[doc(hidden)]
pub mod reference;
mod resolve;
mod sync;
mod workspace;

pub use activity::{Comment, Digest, DigestItem, HistoryEntry, Since, Subject};
pub use apply::{ApplyReport, IgnoredChange, PendingChange};
pub use clock::{Clock, SteppingClock, SystemClock};
pub use codec::FORMAT_VERSION;
pub use crm::{Contact, ContactQuery, Duplicate, DuplicateReason, NewContact, DEFAULT_PIPELINE};
pub use error::{
    ApplyError, DecodeError, Denied, EditError, KeyError, LoadError, ParseIdError, Rejection,
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
