//! Operations: the edits that changes carry.

use std::borrow::Borrow;

use serde::{Deserialize, Serialize};

use crate::ids::{GroupId, MemberId, ObjectId, OpId};
use crate::object::{Field, ObjectKind, Value};

/// A member's role in the workspace, from least to most powerful.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Reads everything; writes nothing but their own profile and comments.
    Guest,
    /// Creates groups, joins open ones, writes the content of their groups.
    Member,
    /// Manages members, guests, less senior admins and every group.
    Admin,
    /// Everything; only a more senior owner can remove or demote an owner.
    Owner,
}

/// A member's role in a group, from least to most powerful.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum GroupRole {
    /// Follows the group and comments, writes no content.
    Observer,
    /// Creates and edits the group's content.
    Member,
    /// Manages the group's settings, members and roles.
    Lead,
}

text_enum!(Role, "role", { Guest => "guest", Member => "member", Admin => "admin", Owner => "owner" });
text_enum!(GroupRole, "group role", { Observer => "observer", Member => "member", Lead => "lead" });

/// A change to one setting of a group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupUpdate {
    /// Renames the group.
    Name(String),
    /// Sets what the group is for.
    Purpose(String),
    /// Replaces the group's interest tags.
    Tags(Vec<String>),
    /// Opens the group (any workspace member may join) or closes it.
    Open(bool),
    /// Archives the group (no more content is written to it) or restores it.
    Archived(bool),
}

/// One edit. Changes carry a list of operations, signed together.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Op {
    /// Founds a workspace; only ever the single operation of the genesis change.
    Genesis {
        /// The workspace's name.
        name: String,
    },
    /// Adds a member or guest to the workspace.
    AddMember {
        /// The new member.
        member: MemberId,
        /// Their role.
        role: Role,
    },
    /// Changes a member's workspace role.
    SetRole {
        /// The member.
        member: MemberId,
        /// Their new role.
        role: Role,
    },
    /// Removes a member from the workspace.
    RemoveMember {
        /// The member removed.
        member: MemberId,
    },
    /// The author leaves the workspace.
    Leave,
    /// Sets the author's display name.
    SetProfile {
        /// The display name.
        display_name: String,
    },
    /// Renames the workspace.
    RenameWorkspace {
        /// The new name.
        name: String,
    },
    /// Creates a group led by the author.
    CreateGroup {
        /// The group's name.
        name: String,
        /// What the group is for.
        purpose: String,
        /// Interest tags.
        tags: Vec<String>,
        /// Whether any workspace member may join.
        open: bool,
    },
    /// Changes a group's setting.
    UpdateGroup {
        /// The group.
        group: GroupId,
        /// The new setting.
        update: GroupUpdate,
    },
    /// Adds a member to a group with a role, or changes their role.
    SetGroupRole {
        /// The group.
        group: GroupId,
        /// The member.
        member: MemberId,
        /// Their role in the group.
        role: GroupRole,
    },
    /// Removes a member from a group.
    RemoveFromGroup {
        /// The group.
        group: GroupId,
        /// The member removed.
        member: MemberId,
    },
    /// The author joins an open group as a member.
    JoinGroup {
        /// The group.
        group: GroupId,
    },
    /// The author leaves a group.
    LeaveGroup {
        /// The group.
        group: GroupId,
    },
    /// Creates an object; its id derives from this operation.
    Create {
        /// What it is.
        kind: ObjectKind,
        /// The object it belongs to (an entry's glossary, a comment's subject, ...).
        parent: Option<ObjectId>,
        /// The groups it is shared with.
        groups: Vec<GroupId>,
    },
    /// Shares an object with one more group.
    Share {
        /// The object.
        object: ObjectId,
        /// The group.
        group: GroupId,
    },
    /// Stops sharing an object with a group (a concurrent share wins).
    Unshare {
        /// The object.
        object: ObjectId,
        /// The group.
        group: GroupId,
    },
    /// Sets a register field, overwriting the values listed in `pred`.
    Set {
        /// The object.
        object: ObjectId,
        /// The field.
        field: Field,
        /// The new value.
        value: Value,
        /// The writes this one overwrites (those its author saw).
        pred: Vec<OpId>,
    },
    /// Adds a value to a set field.
    Add {
        /// The object.
        object: ObjectId,
        /// The field.
        field: Field,
        /// The value.
        value: Value,
    },
    /// Removes a value from a set field: the additions of it that its author saw (a
    /// concurrent addition wins).
    Remove {
        /// The object.
        object: ObjectId,
        /// The field.
        field: Field,
        /// The value.
        value: Value,
        /// The additions removed.
        observed: Vec<OpId>,
    },
    /// Inserts text after a character (or at the start). Each character gets its own
    /// operation id, consecutive from this operation's.
    Insert {
        /// The object.
        object: ObjectId,
        /// The text field.
        field: Field,
        /// The character it follows, or `None` for the start.
        after: Option<OpId>,
        /// The text inserted.
        text: String,
    },
    /// Deletes characters: runs of consecutive ids, as (first id, length).
    Delete {
        /// The object.
        object: ObjectId,
        /// The text field.
        field: Field,
        /// The runs deleted.
        runs: Vec<(OpId, u32)>,
    },
    /// Replaces the workspace's pipeline of stages.
    SetPipeline {
        /// The stages, in order.
        stages: Vec<String>,
    },
    /// Creates an object with first values for its fields, in one operation: each
    /// single-valued field listed is written, and each value listed for a multi-valued
    /// field is added, all with this operation's id (its id derives from it, as with
    /// [`Op::Create`]). Each single-valued field is listed at most once, each value of a
    /// multi-valued field at most once; text fields are written by [`Op::Insert`].
    ///
    /// The same as [`Op::Create`] followed by one [`Op::Set`] or [`Op::Add`] per value,
    /// checked against the same rights, but the values need no id of their own: a copy
    /// keeps them without their ids (most fields keep their first value for good).
    CreateWith {
        /// What it is.
        kind: ObjectKind,
        /// The object it belongs to (an entry's glossary, a comment's subject, ...).
        parent: Option<ObjectId>,
        /// The groups it is shared with.
        groups: Vec<GroupId>,
        /// Its first values, field by field.
        values: Vec<(Field, Value)>,
    },
}

impl Op {
    /// Whether the operation changes who may do what (roles, memberships, group settings).
    /// Such operations are resolved by the permission engine; the others are content.
    pub fn is_authority(&self) -> bool {
        !matches!(
            self,
            Op::SetProfile { .. }
                | Op::RenameWorkspace { .. }
                | Op::Set { .. }
                | Op::Add { .. }
                | Op::Remove { .. }
                | Op::Insert { .. }
                | Op::Delete { .. }
                | Op::SetPipeline { .. }
        )
    }

    /// The object creation it makes, if it makes one: its kind, parent, groups and first
    /// values ([`Op::Create`] has none).
    pub(crate) fn creation(&self) -> Option<Creation<'_>> {
        match self {
            Op::Create {
                kind,
                parent,
                groups,
            } => Some(Creation {
                kind: *kind,
                parent: *parent,
                groups,
                values: &[],
            }),
            Op::CreateWith {
                kind,
                parent,
                groups,
                values,
            } => Some(Creation {
                kind: *kind,
                parent: *parent,
                groups,
                values,
            }),
            _ => None,
        }
    }

    /// A copy of what the permissions take of it: all of it, but for a creation's first
    /// values, which are content (an [`Op::CreateWith`] becomes its [`Op::Create`]).
    pub(crate) fn authority_part(&self) -> Op {
        match self {
            Op::CreateWith {
                kind,
                parent,
                groups,
                ..
            } => Op::Create {
                kind: *kind,
                parent: *parent,
                groups: groups.clone(),
            },
            op => op.clone(),
        }
    }

    /// The text field an insert or delete edits.
    pub(crate) fn text_edited(&self) -> Option<(&ObjectId, &Field)> {
        match self {
            Op::Insert { object, field, .. } | Op::Delete { object, field, .. } => {
                Some((object, field))
            }
            _ => None,
        }
    }

    /// How many operation ids the operation uses: one per inserted character, else one.
    pub fn width(&self) -> u64 {
        match self {
            Op::Insert { text, .. } => text_width(text),
            _ => 1,
        }
    }
}

/// An object's creation, as [`Op::Create`] or [`Op::CreateWith`] tells it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Creation<'a> {
    pub(crate) kind: ObjectKind,
    pub(crate) parent: Option<ObjectId>,
    pub(crate) groups: &'a [GroupId],
    pub(crate) values: &'a [(Field, Value)],
}

/// How many operation ids inserting `text` uses: one per character (at least one).
pub(crate) fn text_width(text: &str) -> u64 {
    (char_count(text) as u64).max(1)
}

/// How many characters `text` holds.
pub(crate) fn char_count(text: &str) -> usize {
    // Most text is ASCII, checked a word at a time.
    if text.is_ascii() {
        text.len()
    } else {
        text.chars().count()
    }
}

/// The operations of a change with their ids: consecutive from the change's counter, each
/// taking as many as its width.
pub(crate) fn with_ids<O: Borrow<Op>>(
    author: MemberId,
    lamport: u64,
    ops: impl IntoIterator<Item = O>,
) -> impl Iterator<Item = (OpId, O)> {
    ops.into_iter().scan(lamport, move |next, op| {
        let id = OpId {
            counter: *next,
            author,
        };
        *next = next.saturating_add(op.borrow().width());
        Some((id, op))
    })
}

/// The total width of a list of operations.
pub(crate) fn total_width(ops: &[Op]) -> u64 {
    ops.iter().map(Op::width).fold(0u64, u64::saturating_add)
}
