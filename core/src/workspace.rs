//! The [`Workspace`]: one member's copy of a shared workspace.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::authority::{Authority, Ctx};
use crate::change::{Change, ChangeBody};
use crate::clock::{Clock, SystemClock};
use crate::codec;
use crate::error::{ApplyError, EditError, LoadError};
use crate::history::History;
use crate::identity::Identity;
use crate::ids::{ChangeHash, GroupId, MemberId, OpId, WorkspaceId};
use crate::model::Model;
use crate::op::{GroupRole, GroupUpdate, Op, Role};
use crate::resolve::{self, IgnoredReason};

/// The local edits not yet sealed into a change.
#[derive(Debug)]
struct OpenChange {
    deps: Vec<ChangeHash>,
    lamport: u64,
    index: u32,
    ops: Vec<Op>,
}

/// What [`Workspace::apply`] (or a merge or sync) did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyReport {
    /// Changes newly stored, in the order they were stored (valid or ignored).
    pub applied: Vec<ChangeHash>,
    /// How many received changes were already stored (duplicates are no-ops).
    pub duplicates: usize,
    /// Changes waiting for dependencies this copy has not seen yet.
    pub pending: Vec<PendingChange>,
    /// Changes newly ignored, with the reason: new changes refused by the permission rules,
    /// and earlier changes invalidated by a change received now (a late removal).
    pub ignored: Vec<IgnoredChange>,
}

/// A change that waits for missing dependencies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingChange {
    /// The waiting change.
    pub hash: ChangeHash,
    /// The dependencies it waits for.
    pub missing: Vec<ChangeHash>,
}

/// A change that is stored but has no effect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IgnoredChange {
    /// The ignored change.
    pub hash: ChangeHash,
    /// Why it is ignored.
    pub reason: IgnoredReason,
}

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

/// The settings of a new group, for [`Workspace::create_group`].
///
/// ```
/// use cercle::NewGroup;
/// let group = NewGroup::new("Catalogue")
///     .purpose("choose what the shop sells")
///     .tags(["catalogue", "suppliers"])
///     .open(false);
/// assert_eq!(group.name(), "Catalogue");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewGroup {
    name: String,
    purpose: String,
    tags: Vec<String>,
    open: bool,
}

impl NewGroup {
    /// An open group named `name`, with no purpose and no tags.
    pub fn new(name: impl Into<String>) -> Self {
        NewGroup {
            name: name.into(),
            purpose: String::new(),
            tags: Vec::new(),
            open: true,
        }
    }

    /// Sets what the group is for.
    pub fn purpose(mut self, purpose: impl Into<String>) -> Self {
        self.purpose = purpose.into();
        self
    }

    /// Sets the interest tags (trimmed, lowercased, sorted, deduplicated).
    pub fn tags<I, S>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tags = tags.into_iter().map(Into::into).collect();
        self
    }

    /// Whether any workspace member may join (default: `true`).
    pub fn open(mut self, open: bool) -> Self {
        self.open = open;
        self
    }

    /// The group's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

const MAX_NAME: usize = 200;
const MAX_TEXT: usize = 10_000;
const MAX_TAGS: usize = 100;

fn check_name(what: &str, name: &str) -> Result<String, EditError> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(EditError::Invalid(format!("{what} must not be empty")));
    }
    if trimmed.chars().count() > MAX_NAME {
        return Err(EditError::Invalid(format!(
            "{what} is longer than {MAX_NAME} characters"
        )));
    }
    Ok(trimmed.to_string())
}

fn check_text(what: &str, text: &str) -> Result<String, EditError> {
    if text.chars().count() > MAX_TEXT {
        return Err(EditError::Invalid(format!(
            "{what} is longer than {MAX_TEXT} characters"
        )));
    }
    Ok(text.to_string())
}

/// Normalises tags: trimmed, lowercased, non-empty, sorted, distinct.
pub(crate) fn normalize_tags(tags: &[String]) -> Result<Vec<String>, EditError> {
    let set: BTreeSet<String> = tags
        .iter()
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    if set.len() > MAX_TAGS {
        return Err(EditError::Invalid(format!("more than {MAX_TAGS} tags")));
    }
    set.into_iter().map(|t| check_name("a tag", &t)).collect()
}

/// One member's copy of a workspace.
///
/// Local edits take effect at once and accumulate in an open change, sealed and signed by
/// [`commit`](Workspace::commit) (and automatically before saving, applying or syncing).
/// Changes from other copies arrive through [`apply`](Workspace::apply),
/// [`merge`](Workspace::merge) or the sync protocol; whatever order they arrive in, copies
/// that hold the same changes show the same state.
///
/// ```
/// use cercle::{Identity, Role, Workspace};
/// let patrick = Identity::from_secret_bytes([1; 32]);
/// let claire = Identity::from_secret_bytes([2; 32]);
///
/// let mut ws = Workspace::create(patrick, "Juste à temps");
/// ws.add_member(claire.member_id(), Role::Admin)?;
/// ws.commit();
///
/// // Claire loads a copy and works on it.
/// let mut hers = Workspace::load(claire, &ws.save())?;
/// assert_eq!(hers.role(&hers.member_id()), Some(Role::Admin));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Workspace {
    identity: Identity,
    clock: Arc<dyn Clock>,
    history: History,
    ignored: Vec<Option<IgnoredReason>>,
    authority: Authority,
    model: Model,
    open: Option<OpenChange>,
    pending: BTreeMap<ChangeHash, Change>,
    next_seq: u64,
}

impl fmt::Debug for Workspace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Workspace")
            .field("id", &self.id())
            .field("member", &self.member_id())
            .field("changes", &self.history.len())
            .field("heads", &self.heads())
            .finish_non_exhaustive()
    }
}

impl Workspace {
    /// Founds a new workspace named `name`; `founder` becomes its first owner.
    pub fn create(founder: Identity, name: &str) -> Self {
        Self::create_with_clock(founder, name, Arc::new(SystemClock))
    }

    /// Founds a new workspace, reading wall-clock times from `clock`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use cercle::{Identity, SteppingClock, Workspace};
    /// let clock = Arc::new(SteppingClock::new("2010-02-23T12:25:00Z".parse()?, 1000));
    /// let ws = Workspace::create_with_clock(Identity::from_secret_bytes([1; 32]), "Juste à temps", clock);
    /// assert_eq!(ws.name(), "Juste à temps");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_with_clock(founder: Identity, name: &str, clock: Arc<dyn Clock>) -> Self {
        let name = name.trim();
        let name = if name.is_empty() { "workspace" } else { name };
        let body = ChangeBody {
            author: founder.member_id(),
            seq: 1,
            lamport: 1,
            deps: Vec::new(),
            time: clock.now_millis(),
            ops: vec![Op::Genesis {
                name: name.chars().take(MAX_NAME).collect(),
            }],
        };
        let change = Change::seal(body, &founder);
        let mut ws = Self::empty(founder, clock);
        let g = ws.history.insert(change, Vec::new());
        debug_assert_eq!(g, 0);
        ws.ignored.push(None);
        ws.rebuild();
        ws
    }

    fn empty(identity: Identity, clock: Arc<dyn Clock>) -> Self {
        let id = identity.member_id();
        Workspace {
            identity,
            clock,
            history: History::default(),
            ignored: Vec::new(),
            authority: Authority::genesis(
                id,
                0,
                OpId {
                    counter: 1,
                    author: id,
                },
            ),
            model: Model::default(),
            open: None,
            pending: BTreeMap::new(),
            next_seq: 1,
        }
    }

    /// Loads a saved workspace (from [`save`](Workspace::save)) as the copy of `identity`.
    /// Every change is verified exactly as [`apply`](Workspace::apply) verifies it.
    pub fn load(identity: Identity, bytes: &[u8]) -> Result<Self, LoadError> {
        Self::load_with_clock(identity, bytes, Arc::new(SystemClock))
    }

    /// Loads a saved workspace, reading wall-clock times from `clock`.
    pub fn load_with_clock(
        identity: Identity,
        bytes: &[u8],
        clock: Arc<dyn Clock>,
    ) -> Result<Self, LoadError> {
        let mut ws = Self::empty(identity, clock);
        let report = ws.apply(bytes)?;
        if ws.history.len() == 0 {
            return Err(LoadError::Empty);
        }
        if !report.pending.is_empty() {
            let missing: BTreeSet<ChangeHash> = report
                .pending
                .iter()
                .flat_map(|p| p.missing.iter().copied())
                .collect();
            return Err(LoadError::MissingDependencies {
                missing: missing.into_iter().collect(),
            });
        }
        Ok(ws)
    }

    /// Replaces the clock that stamps new changes.
    pub fn set_clock(&mut self, clock: Arc<dyn Clock>) {
        self.clock = clock;
    }

    /// The workspace's id (the hash of its genesis change).
    pub fn id(&self) -> WorkspaceId {
        let genesis = self.history.node(0).map(|n| n.change.hash);
        WorkspaceId::from_bytes(genesis.map(|h| *h.as_bytes()).unwrap_or([0; 32]))
    }

    /// The local member (whose identity signs this copy's changes).
    pub fn member_id(&self) -> MemberId {
        self.identity.member_id()
    }

    /// The local identity.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The founder of the workspace.
    pub fn founder(&self) -> MemberId {
        self.authority.founder
    }

    /// The workspace's name.
    pub fn name(&self) -> &str {
        &self.model.name.value
    }

    /// The heads: the changes no other stored change depends on, sorted. The open change
    /// is not included until it is committed.
    pub fn heads(&self) -> Vec<ChangeHash> {
        self.history.heads()
    }

    /// How many changes are stored (valid or ignored; pending ones excluded).
    pub fn change_count(&self) -> usize {
        self.history.len()
    }

    // ----- local edits -------------------------------------------------------------

    /// Applies a local operation: checked against the current state, in effect at once,
    /// recorded in the open change. On error nothing changes.
    fn edit(&mut self, op: Op) -> Result<OpId, EditError> {
        let author = self.member_id();
        let (index, counter) = match &self.open {
            Some(open) => (open.index, open.lamport + open.ops.len() as u64),
            None => (self.history.len() as u32, self.history.max_counter() + 1),
        };
        let at = OpId { counter, author };
        let ctx = Ctx {
            author,
            change: index,
            op: at,
            past: &|i| i < index,
        };
        self.authority.step(&ctx, &op)?;
        self.model.apply_op(author, at, &op);
        let open = self.open.get_or_insert_with(|| OpenChange {
            deps: self.history.heads(),
            lamport: counter,
            index,
            ops: Vec::new(),
        });
        open.ops.push(op);
        Ok(at)
    }

    /// Seals the open change: signs it and adds it to the history. Returns its hash, or
    /// `None` when there was nothing to commit.
    pub fn commit(&mut self) -> Option<ChangeHash> {
        let open = self.open.take()?;
        let body = ChangeBody {
            author: self.member_id(),
            seq: self.next_seq,
            lamport: open.lamport,
            deps: open.deps,
            time: self.clock.now_millis(),
            ops: open.ops,
        };
        let deps: Vec<u32> = body
            .deps
            .iter()
            .filter_map(|h| self.history.lookup(h))
            .collect();
        let change = Change::seal(body, &self.identity);
        let hash = change.hash;
        self.history.insert(change, deps);
        self.ignored.push(None);
        self.next_seq += 1;
        Some(hash)
    }

    /// Whether there are local edits not yet committed.
    pub fn has_uncommitted(&self) -> bool {
        self.open.is_some()
    }

    /// Renames the workspace (owners and admins).
    pub fn rename(&mut self, name: &str) -> Result<(), EditError> {
        let name = check_name("a workspace name", name)?;
        self.edit(Op::RenameWorkspace { name }).map(drop)
    }

    /// Sets the local member's display name.
    pub fn set_display_name(&mut self, display_name: &str) -> Result<(), EditError> {
        let display_name = check_name("a display name", display_name)?;
        self.edit(Op::SetProfile { display_name }).map(drop)
    }

    /// Adds a member (or guest, admin, owner) to the workspace.
    pub fn add_member(&mut self, member: MemberId, role: Role) -> Result<(), EditError> {
        self.edit(Op::AddMember { member, role }).map(drop)
    }

    /// Changes a member's workspace role.
    pub fn set_role(&mut self, member: MemberId, role: Role) -> Result<(), EditError> {
        self.edit(Op::SetRole { member, role }).map(drop)
    }

    /// Removes a member from the workspace. Their changes concurrent with the removal are
    /// ignored on every copy once it arrives.
    pub fn remove_member(&mut self, member: MemberId) -> Result<(), EditError> {
        self.edit(Op::RemoveMember { member }).map(drop)
    }

    /// The local member leaves the workspace (the last owner cannot).
    pub fn leave(&mut self) -> Result<(), EditError> {
        self.edit(Op::Leave).map(drop)
    }

    /// Creates a group led by the local member.
    ///
    /// ```
    /// use cercle::{GroupRole, Identity, NewGroup, Workspace};
    /// let mut ws = Workspace::create(Identity::from_secret_bytes([1; 32]), "Juste à temps");
    /// let catalogue = ws.create_group(NewGroup::new("Catalogue").tags(["Catalogue"]))?;
    /// let info = ws.group(&catalogue).unwrap();
    /// assert_eq!(info.tags, ["catalogue"]);
    /// assert_eq!(info.members[0].role, GroupRole::Lead);
    /// # Ok::<(), cercle::EditError>(())
    /// ```
    pub fn create_group(&mut self, group: NewGroup) -> Result<GroupId, EditError> {
        let op = Op::CreateGroup {
            name: check_name("a group name", &group.name)?,
            purpose: check_text("a purpose", &group.purpose)?,
            tags: normalize_tags(&group.tags)?,
            open: group.open,
        };
        self.edit(op).map(GroupId::derive)
    }

    /// Changes one setting of a group (its leads, workspace owners and admins).
    pub fn update_group(&mut self, group: GroupId, update: GroupUpdate) -> Result<(), EditError> {
        let update = match update {
            GroupUpdate::Name(n) => GroupUpdate::Name(check_name("a group name", &n)?),
            GroupUpdate::Purpose(p) => GroupUpdate::Purpose(check_text("a purpose", &p)?),
            GroupUpdate::Tags(t) => GroupUpdate::Tags(normalize_tags(&t)?),
            other => other,
        };
        self.edit(Op::UpdateGroup { group, update }).map(drop)
    }

    /// Adds a member to a group with a role, or changes their role.
    pub fn set_group_role(
        &mut self,
        group: GroupId,
        member: MemberId,
        role: GroupRole,
    ) -> Result<(), EditError> {
        self.edit(Op::SetGroupRole {
            group,
            member,
            role,
        })
        .map(drop)
    }

    /// Removes a member from a group.
    pub fn remove_from_group(&mut self, group: GroupId, member: MemberId) -> Result<(), EditError> {
        self.edit(Op::RemoveFromGroup { group, member }).map(drop)
    }

    /// The local member joins an open group as a member.
    pub fn join_group(&mut self, group: GroupId) -> Result<(), EditError> {
        self.edit(Op::JoinGroup { group }).map(drop)
    }

    /// The local member leaves a group.
    pub fn leave_group(&mut self, group: GroupId) -> Result<(), EditError> {
        self.edit(Op::LeaveGroup { group }).map(drop)
    }

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
            return Some(match self.ignored.get(i as usize).cloned().flatten() {
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
        let node = self.history.node(i)?;
        let body = &node.change.body;
        Some(ChangeInfo {
            hash: *hash,
            author: body.author,
            seq: body.seq,
            lamport: body.lamport,
            time: Utc
                .timestamp_millis_opt(body.time)
                .single()
                .unwrap_or_default(),
            deps: body.deps.clone(),
            ops: body.ops.clone(),
            status: self.change_status(hash)?,
        })
    }

    /// Every stored change, in canonical order (a causal order: Lamport counter, then hash).
    pub fn changes(&self) -> Vec<ChangeInfo> {
        self.history
            .canonical_order()
            .into_iter()
            .filter_map(|i| self.history.node(i).map(|n| n.change.hash))
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
            .filter_map(|i| self.history.node(i).map(|n| n.change.hash))
            .collect()
    }

    // ----- save, load, apply, merge --------------------------------------------------

    /// Saves every change (after committing the open one), in canonical order.
    /// Two copies holding the same changes save the same bytes.
    pub fn save(&mut self) -> Vec<u8> {
        self.save_since(&[])
    }

    /// Saves the changes not in the causal past of `heads`: an incremental save, which
    /// [`apply`](Workspace::apply) reads.
    pub fn save_since(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        self.commit();
        let known: Vec<u32> = heads
            .iter()
            .filter_map(|h| self.history.lookup(h))
            .collect();
        let order = self.history.missing_from(&known);
        codec::encode_changes(
            order
                .iter()
                .filter_map(|&i| self.history.node(i))
                .map(|n| n.change.bytes.as_slice()),
        )
    }

    /// Encodes the listed stored changes (unknown hashes are skipped) in canonical order,
    /// in the format [`apply`](Workspace::apply) reads: for forwarding single changes.
    pub fn encode_changes(&self, hashes: &[ChangeHash]) -> Vec<u8> {
        let mut idx: Vec<u32> = hashes
            .iter()
            .filter_map(|h| self.history.lookup(h))
            .collect();
        idx.sort_by_key(|&i| self.history.node(i).map(|n| n.key()));
        idx.dedup();
        codec::encode_changes(
            idx.iter()
                .filter_map(|&i| self.history.node(i))
                .map(|n| n.change.bytes.as_slice()),
        )
    }

    /// Applies changes saved or sent by another copy. Every change is verified (encoding,
    /// hash, signature, author known in its causal past); changes whose dependencies are
    /// missing wait and are applied when they arrive; duplicates are no-ops. If anything is
    /// malformed or forged, nothing is applied and the error names the reason.
    ///
    /// The open change is committed first.
    pub fn apply(&mut self, bytes: &[u8]) -> Result<ApplyReport, ApplyError> {
        let encoded = codec::decode_changes(bytes)?;
        let mut changes = Vec::with_capacity(encoded.len());
        for e in encoded {
            changes.push(
                Change::decode(e)
                    .map_err(|(hash, reason)| ApplyError::Rejected { hash, reason })?,
            );
        }
        self.commit();
        self.apply_changes(changes)
    }

    /// Merges another in-memory copy into this one (its committed changes).
    pub fn merge(&mut self, other: &Workspace) -> Result<ApplyReport, ApplyError> {
        self.commit();
        let changes: Vec<Change> = other
            .history
            .canonical_order()
            .into_iter()
            .filter_map(|i| other.history.node(i))
            .filter(|n| !self.history.contains(&n.change.hash))
            .map(|n| n.change.clone())
            .collect();
        self.apply_changes(changes)
    }

    fn missing_deps(&self, change: &Change) -> Vec<ChangeHash> {
        change
            .body
            .deps
            .iter()
            .filter(|d| !self.history.contains(d))
            .copied()
            .collect()
    }

    /// Stores verified changes atomically, then brings validity and state up to date.
    pub(crate) fn apply_changes(
        &mut self,
        changes: Vec<Change>,
    ) -> Result<ApplyReport, ApplyError> {
        let mut report = ApplyReport::default();
        let mark = self.history.mark();
        let pending_before = self.pending.clone();
        let mut order = Vec::with_capacity(changes.len());
        for change in changes {
            if self.history.contains(&change.hash) || self.pending.contains_key(&change.hash) {
                report.duplicates += 1;
            } else {
                order.push(change.hash);
                self.pending.insert(change.hash, change);
            }
        }
        // Store every change whose dependencies are present, waking the changes that
        // wait for it, in input order otherwise (usually canonical, so nothing waits).
        let mut waiting: BTreeMap<ChangeHash, Vec<ChangeHash>> = BTreeMap::new();
        let mut ready: Vec<ChangeHash> = Vec::new();
        let mut queue: Vec<ChangeHash> = order;
        queue.extend(pending_before.keys().copied());
        for hash in queue.into_iter().rev() {
            let Some(change) = self.pending.get(&hash) else {
                continue;
            };
            let missing: Vec<ChangeHash> = change
                .body
                .deps
                .iter()
                .filter(|d| !self.history.contains(d))
                .copied()
                .collect();
            if missing.is_empty() {
                ready.push(hash);
            } else {
                for m in missing {
                    waiting.entry(m).or_default().push(hash);
                }
            }
        }
        ready.reverse();
        let mut stored: Vec<u32> = Vec::new();
        let mut next = 0;
        while let Some(&hash) = ready.get(next) {
            next += 1;
            let Some(change) = self.pending.remove(&hash) else {
                continue;
            };
            let founder = self.history.node(0).map(|n| n.author());
            match self.history.check(&change, founder) {
                Ok(deps) => {
                    stored.push(self.history.insert(change, deps));
                    report.applied.push(hash);
                }
                Err(reason) => {
                    self.history.rollback(mark);
                    self.pending = pending_before;
                    return Err(ApplyError::Rejected { hash, reason });
                }
            }
            for child in waiting.remove(&hash).unwrap_or_default() {
                let complete = self
                    .pending
                    .get(&child)
                    .is_some_and(|c| c.body.deps.iter().all(|d| self.history.contains(d)));
                // A change completes once: when the last of its dependencies is stored.
                if complete {
                    ready.push(child);
                }
            }
        }
        for c in self.pending.values() {
            report.pending.push(PendingChange {
                hash: c.hash,
                missing: self.missing_deps(c),
            });
        }
        self.settle(&stored, &mut report);
        Ok(report)
    }

    /// Decides the validity of newly stored changes, on the fast path when they extend the
    /// history without concurrent authority changes, by a full resolution otherwise.
    fn settle(&mut self, stored: &[u32], report: &mut ApplyReport) {
        let Some(&first) = stored.iter().min() else {
            return;
        };
        let mut fast = true;
        for &c in stored {
            self.ignored.push(None);
            if fast {
                fast = self.try_fast(c);
            }
        }
        // Earlier changes can only change verdict on the slow path.
        let before = if fast {
            None
        } else {
            let before = self.ignored.clone();
            self.rebuild();
            Some(before)
        };
        // Stored changes have the indices from `first` on.
        let candidates = match &before {
            None => first as usize..self.ignored.len(),
            Some(_) => 0..self.ignored.len(),
        };
        for i in candidates {
            let Some(Some(reason)) = self.ignored.get(i) else {
                continue;
            };
            let newly = i >= first as usize;
            let invalidated = before
                .as_ref()
                .is_some_and(|b| matches!(b.get(i), Some(None)));
            if newly || invalidated {
                if let Some(n) = self.history.node(i as u32) {
                    report.ignored.push(IgnoredChange {
                        hash: n.change.hash,
                        reason: reason.clone(),
                    });
                }
            }
        }
        let me = self.member_id();
        for &c in stored {
            if let Some(n) = self.history.node(c).filter(|n| n.author() == me) {
                self.next_seq = self.next_seq.max(n.change.body.seq + 1);
            }
        }
    }

    /// Tries to decide change `c` against the current state; false if a full resolution
    /// is needed.
    fn try_fast(&mut self, c: u32) -> bool {
        let h = &self.history;
        if c == 0 {
            // The genesis founds the authority state: resolve from scratch.
            return false;
        }
        let Some(node) = h.node(c) else { return false };
        if h.is_forked(&node.author()) {
            return false;
        }
        let all_authority_in_past = {
            let mut past: Vec<u32> = node.auth_past.to_vec();
            let mut heads: Vec<u32> = h.auth_heads().iter().copied().filter(|&x| x != c).collect();
            past.sort_unstable();
            heads.sort_unstable();
            past == heads
        };
        if !all_authority_in_past {
            return false;
        }
        let past = |x: u32| h.auth_in_past(x, c);
        let (author, lamport, ops) = (node.author(), node.lamport(), node.ops());
        let verdict = if node.authority {
            match self.authority.step_all(author, c, lamport, ops, &past) {
                Ok(applied) => {
                    // A lowered member with changes not in this one's past, or a lost last
                    // owner, needs the full resolution.
                    let needs_resolution = applied.lowerings.iter().any(|l| {
                        !h.all_in_past(&l.member, c)
                            || (l.was_owner && self.authority.owners() == 0)
                    });
                    if needs_resolution {
                        self.authority.undo(applied);
                        return false;
                    }
                    Ok(())
                }
                Err(e) => Err(e),
            }
        } else {
            self.authority.check_all(author, c, lamport, ops, &past)
        };
        match verdict {
            Ok(()) => self.model.apply(author, lamport, ops),
            Err(e) => {
                if let Some(slot) = self.ignored.get_mut(c as usize) {
                    *slot = Some(IgnoredReason::Unauthorized {
                        reason: e.to_string(),
                    });
                }
            }
        }
        true
    }

    /// Resolves validity from the whole history and rebuilds the state.
    fn rebuild(&mut self) {
        if let Some(res) = resolve::resolve(&self.history) {
            self.ignored = res.ignored;
            self.authority = res.authority;
        }
        let mut model = Model::default();
        for i in self.history.canonical_order() {
            if matches!(self.ignored.get(i as usize), Some(None)) {
                if let Some(n) = self.history.node(i) {
                    model.apply(n.author(), n.lamport(), n.ops());
                }
            }
        }
        self.model = model;
    }

    pub(crate) fn history(&self) -> &History {
        &self.history
    }

    pub(crate) fn pending_changes(&self) -> impl Iterator<Item = &Change> {
        self.pending.values()
    }
}
