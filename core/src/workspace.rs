//! The [`Workspace`]: one member's copy of a shared workspace.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use crate::authority::{Authority, Ctx};
use crate::change::{Change, ChangeBody};
use crate::clock::{Clock, SystemClock};
use crate::crdt::Text;
use crate::error::{EditError, LoadError};
use crate::history::History;
use crate::identity::Identity;
use crate::ids::{ChangeHash, GroupId, MemberId, ObjectId, OpId, WorkspaceId};
use crate::model::Model;
use crate::object::Field;
use crate::op::{text_width, GroupRole, GroupUpdate, Op, Role};
use crate::resolve::Verdicts;

/// The local edits not yet sealed into a change.
#[derive(Debug)]
pub(crate) struct OpenChange {
    deps: Vec<ChangeHash>,
    lamport: u64,
    /// The counter of the next operation.
    next_counter: u64,
    index: u32,
    ops: Vec<Op>,
}

impl OpenChange {
    /// Whether the last operation edits text field `field` of `object`. A further edit of
    /// that text needs no check: it was allowed a moment ago, and nothing has changed the
    /// permissions since (text edits change none, and changes from elsewhere are applied
    /// only after the open change is committed).
    pub(crate) fn edited_last(&self, object: &ObjectId, field: &Field) -> bool {
        self.ops
            .last()
            .and_then(Op::text_edited)
            .is_some_and(|(o, f)| o == object && f == field)
    }

    /// Typing: the id an insert into text field `field` of `object` by `author` takes
    /// when it can extend the last operation, an insert into that text (when it follows
    /// that insert's last character, whose id is this one's predecessor). Extending it
    /// ([`Self::extend_typing`]) makes one operation of a typed run instead of one per
    /// keystroke, the same characters with the same ids, so merges are unaffected.
    pub(crate) fn typing(
        &self,
        object: &ObjectId,
        field: &Field,
        author: MemberId,
    ) -> Option<OpId> {
        match self.ops.last()? {
            Op::Insert {
                object: o,
                field: f,
                text: typed,
                ..
            } if o == object && f == field && !typed.is_empty() => Some(OpId {
                counter: self.next_counter,
                author,
            }),
            _ => None,
        }
    }

    /// Adds `text`, just inserted in the content with the id [`Self::typing`] gave, to
    /// the last operation.
    pub(crate) fn extend_typing(&mut self, text: &str) {
        if let Some(Op::Insert { text: typed, .. }) = self.ops.last_mut() {
            typed.push_str(text);
            self.next_counter = self.next_counter.saturating_add(text_width(text));
        }
    }

    /// Deleting in the text edited last ([`Self::edited_last`]): deletes the visible
    /// characters `pos..pos + len` of `text`, field `field` of `object`, and records them
    /// in the last operation when it is a delete (deletes name characters by id, so one
    /// delete of both is the same edit, and it takes no id of its own), else in a new one.
    pub(crate) fn delete(
        &mut self,
        text: &mut Text,
        object: ObjectId,
        field: &Field,
        pos: usize,
        len: usize,
    ) {
        let joins = matches!(
            self.ops.last(),
            Some(Op::Delete { runs, .. }) if runs.len().saturating_add(len) <= MAX_JOINED_RUNS
        );
        if !joins {
            self.ops.push(Op::Delete {
                object,
                field: field.clone(),
                runs: Vec::new(),
            });
            self.next_counter = self.next_counter.saturating_add(1);
        }
        if let Some(Op::Delete { runs, .. }) = self.ops.last_mut() {
            text.delete_range(pos, len, |first, n| join_run(runs, first, n));
        }
    }
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
pub(crate) const MAX_TEXT: usize = 10_000;
const MAX_TAGS: usize = 100;

pub(crate) fn check_name_pub(what: &str, name: &str) -> Result<String, EditError> {
    check_name(what, name)
}

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

/// The most runs one delete operation gathers from consecutive deletes.
const MAX_JOINED_RUNS: usize = 4096;

/// Adds the run `(first, len)` to `runs`, joining it with the last run when they touch
/// (a backspace deletes the character just before the previous one).
fn join_run(runs: &mut Vec<(OpId, u32)>, first: OpId, len: u32) {
    if let Some((last, n)) = runs.last_mut() {
        if last.author == first.author {
            if first.counter == last.counter.saturating_add(u64::from(*n)) {
                *n = n.saturating_add(len);
                return;
            }
            if first.counter.saturating_add(u64::from(len)) == last.counter {
                *last = first;
                *n = n.saturating_add(len);
                return;
            }
        }
    }
    runs.push((first, len));
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
    pub(crate) identity: Identity,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) history: History,
    pub(crate) ignored: Verdicts,
    pub(crate) authority: Authority,
    pub(crate) model: Model,
    pub(crate) open: Option<OpenChange>,
    pub(crate) pending: BTreeMap<ChangeHash, Change>,
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

/// Changes from which a workspace frees its history and its content on two cores.
const PARALLEL_DROP: usize = 1 << 14;

impl Drop for Workspace {
    /// A large workspace is hundreds of thousands of allocations: the history is freed on
    /// a second core while the content is freed on this one (both are done on return).
    fn drop(&mut self) {
        if self.history.len() < PARALLEL_DROP || crate::change::parallelism() < 2 {
            return;
        }
        let history = std::mem::take(&mut self.history);
        std::thread::scope(|s| {
            let freeing = std::thread::Builder::new().spawn_scoped(s, move || drop(history));
            drop(std::mem::take(&mut self.model));
            drop(std::mem::take(&mut self.authority.objects));
            // If no thread could be started, the history was dropped with the closure.
            drop(freeing);
        });
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
        let change = Change::own(body);
        let mut ws = Self::empty(founder, clock);
        let g = ws.history.insert(change, Vec::new());
        debug_assert_eq!(g, 0);
        ws.ignored.push_valid();
        ws.rebuild();
        ws
    }

    fn empty(identity: Identity, clock: Arc<dyn Clock>) -> Self {
        let id = identity.member_id();
        Workspace {
            identity,
            clock,
            history: History::default(),
            ignored: Verdicts::default(),
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
        let genesis = self.history.node(0).map(|n| n.hash);
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
    pub(crate) fn edit(&mut self, op: Op) -> Result<OpId, EditError> {
        let author = self.member_id();
        let (index, counter) = match &self.open {
            Some(open) => (open.index, open.next_counter),
            None => (
                self.history.len() as u32,
                self.history.max_counter().saturating_add(1),
            ),
        };
        let at = OpId { counter, author };
        let ctx = Ctx {
            author,
            change: index,
            op: at,
            past: &|i| i < index,
        };
        // A text edit of the text the open change edited last needs no check.
        let edited_last = op
            .text_edited()
            .zip(self.open.as_ref())
            .is_some_and(|((object, field), open)| open.edited_last(object, field));
        if !edited_last {
            let stepped = self.authority.step(&ctx, &op);
            self.authority.journal.clear();
            stepped?;
        }
        self.model.apply_op(author, at, &op);
        let open = self.open.get_or_insert_with(|| OpenChange {
            deps: self.history.heads(),
            lamport: counter,
            next_counter: counter,
            index,
            ops: Vec::new(),
        });
        open.next_counter = open.next_counter.saturating_add(op.width());
        open.ops.push(op);
        Ok(at)
    }

    /// Seals the open change: hashes it and adds it to the history. Returns its hash, or
    /// `None` when there was nothing to commit. The change is signed when it leaves the
    /// copy (a save, a bundle, a sync message), unless a later change of this member that
    /// leaves with it vouches for it.
    pub fn commit(&mut self) -> Option<ChangeHash> {
        let mut open = self.open.take()?;
        // The change is kept for the life of the workspace: no spare capacity.
        open.ops.shrink_to_fit();
        open.deps.shrink_to_fit();
        let body = ChangeBody {
            author: self.member_id(),
            seq: self.history.next_seq(&self.member_id()),
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
        let change = Change::own(body);
        let hash = change.hash;
        self.history.insert(change, deps);
        // The content already holds the change's operations (each applied as it was made).
        self.history.settle();
        self.ignored.push_valid();
        Some(hash)
    }

    /// Seals `ops` into a change on top of the current heads without checking them, then
    /// applies it as if it came from another copy: it is judged like any received change.
    /// This is what a modified client could send; tests use it to exercise the resolver.
    #[doc(hidden)]
    pub fn commit_unchecked(&mut self, ops: Vec<Op>) -> Option<ChangeHash> {
        self.commit();
        if ops.is_empty() || ops.iter().any(|op| matches!(op, Op::Genesis { .. })) {
            return None;
        }
        let body = ChangeBody {
            author: self.member_id(),
            seq: self.history.next_seq(&self.member_id()),
            lamport: self.history.max_counter().saturating_add(1),
            deps: self.history.heads(),
            time: self.clock.now_millis(),
            ops,
        };
        let change = Change::own(body);
        let hash = change.hash;
        self.apply_changes(vec![change]).ok()?;
        Some(hash)
    }

    /// Abandons the local edits not yet committed: the copy returns to the state of its
    /// stored changes. Returns whether there was anything to abandon.
    ///
    /// ```
    /// use cercle::{Identity, NewContact, Workspace};
    /// let mut ws = Workspace::create(Identity::from_secret_bytes([1; 32]), "Juste à temps");
    /// let id = ws.create_contact(NewContact::new("Élodie"))?;
    /// assert!(ws.discard());
    /// assert!(ws.contact(&id).is_none());
    /// assert!(!ws.discard());
    /// # Ok::<(), cercle::EditError>(())
    /// ```
    pub fn discard(&mut self) -> bool {
        if self.open.take().is_none() {
            return false;
        }
        self.rebuild();
        true
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
}
