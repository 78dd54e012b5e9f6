#![doc = include_str!("../../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod apply;
mod authority;
mod change;
mod clock;
mod codec;
mod error;
mod history;
mod identity;
mod ids;
mod model;
mod op;
mod query;
#[doc(hidden)]
pub mod reference;
mod resolve;
mod sync;
mod workspace;

pub use apply::{ApplyReport, IgnoredChange, PendingChange};
pub use clock::{Clock, SteppingClock, SystemClock};
pub use codec::FORMAT_VERSION;
pub use error::{
    ApplyError, DecodeError, Denied, EditError, KeyError, LoadError, ParseIdError, Rejection,
};
pub use identity::Identity;
pub use ids::{ChangeHash, GroupId, MemberId, OpId, WorkspaceId};
pub use op::{GroupRole, GroupUpdate, Op, Role};
pub use query::{ChangeInfo, ChangeStatus, GroupInfo, GroupMember, MemberInfo};
pub use resolve::IgnoredReason;
pub use sync::SyncState;
pub use workspace::{NewGroup, Workspace};
