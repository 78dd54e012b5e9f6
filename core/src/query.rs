//! Queries: members, groups and the history of changes.

use std::collections::BTreeSet;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::change::ChangeView;
use crate::ids::{ChangeHash, GroupId, MemberId, OpId};
use crate::op::{GroupRole, Op, Role};
use crate::resolve::IgnoredReason;
use crate::workspace::Workspace;

/// The standing of one change in this copy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChangeStatus {
    /// Stored and in effect.
    Valid,
    /// Stored, kept for causality and audit, but without effect.
    Ignored(IgnoredReason),
    /// Received, waiting for the listed dependencies.
    Pending(Vec<ChangeHash>),
}

/// A stored change, described.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeInfo {
    /// Its hash.
    pub hash: ChangeHash,
    /// Its author.
    pub author: MemberId,
    /// The author's sequence number for it.
    pub seq: u64,
    /// Its Lamport counter (of its first operation).
    pub lamport: u64,
    /// Its wall-clock time, as the author's clock said (informational only).
    #[serde(with = "crate::dynamic::time")]
    pub time: DateTime<Utc>,
    /// The heads its author had seen.
    pub deps: Vec<ChangeHash>,
    /// Its operations.
    pub ops: Vec<Op>,
    /// Whether it is in effect.
    pub status: ChangeStatus,
}

/// A member of the workspace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberInfo {
    /// Their id.
    pub id: MemberId,
    /// Their workspace role.
    pub role: Role,
    /// Their display name, if they set one.
    pub display_name: Option<String>,
}

/// A member of a group with their role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMember {
    /// The member.
    pub member: MemberId,
    /// Their role in the group.
    pub role: GroupRole,
}

/// A group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupInfo {
    /// Its id.
    pub id: GroupId,
    /// Its name.
    pub name: String,
    /// What it is for.
    pub purpose: String,
    /// Its interest tags, sorted.
    pub tags: Vec<String>,
    /// Whether any workspace member may join.
    pub open: bool,
    /// Whether it is archived.
    pub archived: bool,
    /// Its members and their roles, in member id order.
    pub members: Vec<GroupMember>,
}

impl Workspace {
    // ----- queries -----------------------------------------------------------------

    /// The workspace role of `member`, if they are a member.
    pub fn role(&self, member: &MemberId) -> Option<Role> {
        self.authority.role(member)
    }

    /// Every current member with their role and display name, in id order.
    pub fn members(&self) -> Vec<MemberInfo> {
        self.authority
            .members()
            .map(|(id, role)| MemberInfo {
                id,
                role,
                display_name: self.model.profiles.get(&id).map(|p| p.value.clone()),
            })
            .collect()
    }

    /// The display name of `member`, if they set one.
    pub fn display_name(&self, member: &MemberId) -> Option<&str> {
        self.model.profiles.get(member).map(|p| p.value.as_str())
    }

    fn group_info(&self, id: GroupId) -> Option<GroupInfo> {
        let g = self.authority.groups.get(&id)?;
        Some(GroupInfo {
            id,
            name: g.name.clone(),
            purpose: g.purpose.clone(),
            tags: g.tags.clone(),
            open: g.open,
            archived: g.archived,
            members: self
                .authority
                .group_members(&id)
                .into_iter()
                .map(|(member, role)| GroupMember { member, role })
                .collect(),
        })
    }

    /// A group, if it exists.
    pub fn group(&self, id: &GroupId) -> Option<GroupInfo> {
        self.group_info(*id)
    }

    /// Every group, archived ones included, in order of creation.
    pub fn groups(&self) -> Vec<GroupInfo> {
        let mut ids: Vec<(OpId, GroupId)> = self
            .authority
            .groups
            .iter()
            .map(|(id, g)| (g.created, *id))
            .collect();
        ids.sort();
        ids.into_iter()
            .filter_map(|(_, id)| self.group_info(id))
            .collect()
    }

    /// The groups `member` belongs to, with their role in each.
    pub fn member_groups(&self, member: &MemberId) -> Vec<(GroupInfo, GroupRole)> {
        self.groups()
            .into_iter()
            .filter_map(|g| self.authority.group_role(&g.id, member).map(|r| (g, r)))
            .collect()
    }

    /// The members of a group with their roles.
    pub fn group_members(&self, group: &GroupId) -> Vec<GroupMember> {
        self.group_info(*group)
            .map(|g| g.members)
            .unwrap_or_default()
    }

    /// The groups, not archived, sharing at least one interest tag with `tags`, the ones
    /// sharing most first.
    pub fn groups_matching<S: AsRef<str>>(&self, tags: &[S]) -> Vec<GroupInfo> {
        let wanted: BTreeSet<String> = tags
            .iter()
            .map(|t| t.as_ref().trim().to_lowercase())
            .collect();
        let mut scored: Vec<(usize, GroupInfo)> = self
            .groups()
            .into_iter()
            .filter(|g| !g.archived)
            .map(|g| (g.tags.iter().filter(|t| wanted.contains(*t)).count(), g))
            .filter(|(n, _)| *n > 0)
            .collect();
        scored.sort_by_key(|(n, _)| std::cmp::Reverse(*n));
        scored.into_iter().map(|(_, g)| g).collect()
    }

    /// The standing of a change: valid, ignored (and why) or pending.
    pub fn change_status(&self, hash: &ChangeHash) -> Option<ChangeStatus> {
        if let Some(i) = self.history.lookup(hash) {
            return Some(match self.ignored.reason(i).cloned() {
                None => ChangeStatus::Valid,
                Some(reason) => ChangeStatus::Ignored(reason),
            });
        }
        self.pending
            .get(hash)
            .map(|c| ChangeStatus::Pending(self.missing_deps(c)))
    }

    /// Why a change is ignored, if it is.
    pub fn why_ignored(&self, hash: &ChangeHash) -> Option<IgnoredReason> {
        match self.change_status(hash)? {
            ChangeStatus::Ignored(r) => Some(r),
            _ => None,
        }
    }

    /// A stored change, described.
    pub fn change(&self, hash: &ChangeHash) -> Option<ChangeInfo> {
        let i = self.history.lookup(hash)?;
        let stored = self.history.stored(i)?;
        let body = stored.node;
        Some(ChangeInfo {
            hash: *hash,
            author: body.author(),
            seq: body.seq(),
            lamport: body.lamport,
            time: Utc
                .timestamp_millis_opt(body.time)
                .single()
                .unwrap_or_default(),
            deps: stored.deps().collect(),
            ops: body.ops().into_owned(),
            status: self.change_status(hash)?,
        })
    }

    /// Every stored change, in canonical order (a causal order: Lamport counter, then hash).
    pub fn changes(&self) -> Vec<ChangeInfo> {
        self.history
            .canonical_order()
            .into_iter()
            .filter_map(|i| self.history.node(i).map(|n| n.hash))
            .filter_map(|h| self.change(&h))
            .collect()
    }

    /// The hashes of the stored changes that are not in the causal past of `heads` (nor
    /// among them), in canonical order. Unknown hashes in `heads` are skipped.
    pub fn changes_since(&self, heads: &[ChangeHash]) -> Vec<ChangeHash> {
        let known: Vec<u32> = heads
            .iter()
            .filter_map(|h| self.history.lookup(h))
            .collect();
        self.history
            .missing_from(&known)
            .into_iter()
            .filter_map(|i| self.history.node(i).map(|n| n.hash))
            .collect()
    }
}
