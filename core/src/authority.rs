//! The authority state: who holds which role, in the workspace and in each group, and the
//! permission matrix that decides whether an operation is allowed.
//!
//! Roles are multi-value registers: an assignment supersedes the assignments in its causal
//! past, concurrent assignments coexist, and the effective role is the lowest of them, so a
//! removal is never undone by a concurrent re-add.

use std::borrow::Borrow;
use std::collections::BTreeMap;

use crate::acl::Acl;
use crate::error::{Denied, EditError};
use crate::ids::{GroupId, MemberId, ObjectId, OpId};
use crate::op::{with_ids, GroupRole, GroupUpdate, Op, Role};
use crate::table::Table;

/// One assignment of a role (or of no role: `None`) made by the change `change`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Assign<R> {
    change: u32,
    role: Option<R>,
}

/// A multi-value role register.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RoleRegister<R> {
    live: Vec<Assign<R>>,
}

impl<R: Copy + Ord> RoleRegister<R> {
    fn new() -> Self {
        RoleRegister { live: Vec::new() }
    }

    fn effective(&self) -> Option<R> {
        let mut roles = self.live.iter().map(|a| a.role);
        let first = roles.next()?;
        roles.fold(first, |a, b| a.min(b))
    }

    fn assign(&mut self, change: u32, role: Option<R>, past: &dyn Fn(u32) -> bool) {
        self.live.retain(|a| a.change != change && !past(a.change));
        self.live.push(Assign { change, role });
    }
}

/// A member's standing in the workspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MemberState {
    register: RoleRegister<Role>,
    /// The operation that made them a member (their seniority), while they are one.
    pub(crate) joined: Option<OpId>,
}

/// A group's settings (its memberships live in [`Authority`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GroupState {
    pub(crate) created: OpId,
    pub(crate) name: String,
    pub(crate) purpose: String,
    pub(crate) tags: Vec<String>,
    pub(crate) open: bool,
    pub(crate) archived: bool,
}

/// The previous value of one entry, to undo an operation that turned out to be refused.
#[derive(Clone, Debug)]
/// Previous values are boxed: a change creating 200,000 objects journals 200,000 absent
/// values, which then take a word each instead of the size of the largest state.
pub(crate) enum Undo {
    Member(MemberId, Option<Box<MemberState>>),
    Group(GroupId, Option<Box<GroupState>>),
    GroupRole((MemberId, GroupId), Option<Box<RoleRegister<GroupRole>>>),
    Object(ObjectId, Option<Box<Acl>>),
}

/// What applying a change did: whom it lowered, and how to take it back.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    pub(crate) lowerings: Vec<Lowering>,
    undo: Vec<Undo>,
}

/// Which register a lowering touches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Scope {
    Workspace,
    Group(GroupId),
}

/// A member's rights lowered by an operation (removal or demotion).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Lowering {
    pub(crate) scope: Scope,
    pub(crate) member: MemberId,
    /// The level the member is lowered to (`None`: removed).
    pub(crate) to: Option<u8>,
    /// Whether the member lost the owner role (used to keep an owner in the workspace).
    pub(crate) was_owner: bool,
    /// The lowered member's seniority just before.
    pub(crate) seniority: Option<Seniority>,
}

/// Where an operation is being applied: its author, its change and its causal past.
pub(crate) struct Ctx<'a> {
    pub(crate) author: MemberId,
    pub(crate) change: u32,
    pub(crate) op: OpId,
    /// Whether a change (by index) is in the causal past of the operation's change.
    pub(crate) past: &'a dyn Fn(u32) -> bool,
}

/// The seniority key of a member: lower is more senior. The founder joined with the
/// genesis operation, which has the lowest counter of all.
pub(crate) type Seniority = (OpId, MemberId);

/// Roles and groups, as decided by the valid authority operations.
#[derive(Clone, Debug)]
pub(crate) struct Authority {
    pub(crate) founder: MemberId,
    members: BTreeMap<MemberId, MemberState>,
    pub(crate) groups: BTreeMap<GroupId, GroupState>,
    /// Group roles, by member then group.
    group_roles: BTreeMap<(MemberId, GroupId), RoleRegister<GroupRole>>,
    /// Who may write each object: its kind, creator, parent and groups. Only ever looked
    /// up by id (never iterated), so the table's order decides nothing.
    pub(crate) objects: Table<ObjectId, Acl>,
    /// The creators of the objects, each held once for all their objects.
    pub(crate) creators: crate::crdt::Authors,
    /// While applying a change: the previous values of what it touched.
    pub(crate) journal: Vec<Undo>,
    /// Role overrides used to ask "would this still be allowed with a lower role?".
    overrides: Vec<(Scope, MemberId, Option<u8>)>,
}

pub(crate) fn deny(
    member: MemberId,
    action: impl Into<String>,
    reason: impl Into<String>,
) -> EditError {
    EditError::Denied(Denied {
        member,
        action: action.into(),
        reason: reason.into(),
    })
}

fn group_role_level(r: Option<GroupRole>) -> Option<u8> {
    r.map(|r| r as u8)
}

fn role_level(r: Option<Role>) -> Option<u8> {
    r.map(|r| r as u8)
}

impl Authority {
    /// The state right after the genesis change (index `change`) of `founder`.
    pub(crate) fn genesis(founder: MemberId, change: u32, op: OpId) -> Self {
        let mut register = RoleRegister::new();
        register.assign(change, Some(Role::Owner), &|_| false);
        let mut members = BTreeMap::new();
        members.insert(
            founder,
            MemberState {
                register,
                joined: Some(op),
            },
        );
        Authority {
            founder,
            members,
            groups: BTreeMap::new(),
            group_roles: BTreeMap::new(),
            objects: Table::default(),
            creators: crate::crdt::Authors::default(),
            journal: Vec::new(),
            overrides: Vec::new(),
        }
    }

    /// The member's workspace role, if they are a member.
    pub(crate) fn role(&self, member: &MemberId) -> Option<Role> {
        let role = self
            .members
            .get(member)
            .and_then(|m| m.register.effective());
        let over = self
            .overrides
            .iter()
            .find(|(s, m, _)| *s == Scope::Workspace && m == member);
        match over {
            Some((_, _, cap)) => match (role, cap) {
                (Some(r), Some(cap)) if (r as u8) > *cap => ROLES.get(*cap as usize).copied(),
                (_, None) => None,
                (r, _) => r,
            },
            None => role,
        }
    }

    /// The member's role in a group (only while they are a workspace member).
    pub(crate) fn group_role(&self, group: &GroupId, member: &MemberId) -> Option<GroupRole> {
        self.role(member)?;
        self.groups.get(group)?;
        let role = self
            .group_roles
            .get(&(*member, *group))
            .and_then(RoleRegister::effective);
        let over = self
            .overrides
            .iter()
            .find(|(s, m, _)| *s == Scope::Group(*group) && m == member);
        match over {
            Some((_, _, cap)) => match (role, cap) {
                (Some(r), Some(cap)) if (r as u8) > *cap => GROUP_ROLES.get(*cap as usize).copied(),
                (_, None) => None,
                (r, _) => r,
            },
            None => role,
        }
    }

    /// Caps a member's role in a scope (for "still allowed if demoted?" questions).
    pub(crate) fn cap(&mut self, lowering: &Lowering) {
        self.overrides
            .push((lowering.scope, lowering.member, lowering.to));
    }

    /// The role level a member holds in a scope (for computing lowerings).
    pub(crate) fn level(&self, scope: Scope, member: &MemberId) -> Option<u8> {
        match scope {
            Scope::Workspace => role_level(self.role(member)),
            Scope::Group(g) => group_role_level(self.group_role(&g, member)),
        }
    }

    pub(crate) fn seniority(&self, member: &MemberId) -> Option<Seniority> {
        self.members
            .get(member)
            .and_then(|m| m.joined)
            .map(|op| (op, *member))
    }

    fn more_senior(&self, a: &MemberId, b: &MemberId) -> bool {
        match (self.seniority(a), self.seniority(b)) {
            (Some(a), Some(b)) => a < b,
            _ => false,
        }
    }

    /// Current members with their roles, in id order.
    pub(crate) fn members(&self) -> impl Iterator<Item = (MemberId, Role)> + '_ {
        self.members
            .keys()
            .filter_map(|m| self.role(m).map(|r| (*m, r)))
    }

    pub(crate) fn owners(&self) -> usize {
        self.members().filter(|(_, r)| *r == Role::Owner).count()
    }

    /// May `member` manage `group` (settings, members, roles)?
    pub(crate) fn may_manage_group(&self, member: &MemberId, group: &GroupId) -> bool {
        self.role(member) >= Some(Role::Admin)
            || (self.role(member) >= Some(Role::Member)
                && self.group_role(group, member) == Some(GroupRole::Lead))
    }

    /// Whether `author` has authority over `target`'s current role (to remove or demote).
    fn check_over(
        &self,
        author: &MemberId,
        target: &MemberId,
        action: &str,
    ) -> Result<(), EditError> {
        let ra = self.role(author);
        let rt = self.role(target);
        let ok = match rt {
            Some(Role::Owner) => ra == Some(Role::Owner) && self.more_senior(author, target),
            Some(Role::Admin) => {
                ra == Some(Role::Owner)
                    || (ra == Some(Role::Admin) && self.more_senior(author, target))
            }
            Some(_) => ra >= Some(Role::Admin),
            None => return Err(EditError::NoSuchMember(*target)),
        };
        if ok {
            return Ok(());
        }
        let reason = match rt {
            Some(Role::Owner) => "only a more senior owner may remove or demote an owner",
            Some(Role::Admin) => {
                "only an owner, or a more senior admin, may remove or demote an admin"
            }
            _ => "only owners and admins manage members",
        };
        Err(deny(*author, action, reason))
    }

    /// Whether `author` may give `role` to `target` (a new or existing member).
    fn check_grant(
        &self,
        author: &MemberId,
        target: &MemberId,
        role: Role,
        action: &str,
    ) -> Result<(), EditError> {
        let ra = self.role(author);
        let ok = match role {
            Role::Owner => ra == Some(Role::Owner),
            Role::Admin => {
                ra == Some(Role::Owner)
                    || (ra == Some(Role::Admin)
                        && (self.role(target).is_none() || self.more_senior(author, target)))
            }
            Role::Member | Role::Guest => ra >= Some(Role::Admin),
        };
        if ok {
            return Ok(());
        }
        let reason = match role {
            Role::Owner => "only an owner may grant the owner role",
            Role::Admin => {
                "only an owner, or an admin over a less senior member, may grant the admin role"
            }
            _ => "only owners and admins manage members",
        };
        Err(deny(*author, action, reason))
    }

    fn check_keeps_owner(
        &self,
        author: &MemberId,
        target: &MemberId,
        action: &str,
    ) -> Result<(), EditError> {
        if self.role(target) == Some(Role::Owner) && self.owners() <= 1 {
            return Err(deny(
                *author,
                action,
                "the workspace must keep at least one owner",
            ));
        }
        Ok(())
    }

    pub(crate) fn group(&self, group: &GroupId) -> Result<&GroupState, EditError> {
        self.groups.get(group).ok_or(EditError::NoSuchGroup(*group))
    }

    /// The members holding a role in `group`, with it, in id order.
    pub(crate) fn group_members(&self, group: &GroupId) -> Vec<(MemberId, GroupRole)> {
        self.group_roles
            .iter()
            .filter(|((_, g), _)| g == group)
            .filter_map(|((m, _), _)| self.group_role(group, m).map(|r| (*m, r)))
            .collect()
    }

    fn groups_of(&self, member: MemberId) -> Vec<GroupId> {
        let low = GroupId::from_bytes([0; 16]);
        self.group_roles
            .range((member, low)..)
            .take_while(|((m, _), _)| *m == member)
            .map(|((_, g), _)| *g)
            .collect()
    }

    fn log_member(&mut self, member: MemberId) {
        let old = self.members.get(&member).cloned().map(Box::new);
        self.journal.push(Undo::Member(member, old));
    }

    fn log_group(&mut self, group: GroupId) {
        let old = self.groups.get(&group).cloned().map(Box::new);
        self.journal.push(Undo::Group(group, old));
    }

    fn log_group_role(&mut self, key: (MemberId, GroupId)) {
        let old = self.group_roles.get(&key).cloned().map(Box::new);
        self.journal.push(Undo::GroupRole(key, old));
    }

    /// Takes back what a change applied.
    pub(crate) fn undo(&mut self, applied: Applied) {
        for entry in applied.undo.into_iter().rev() {
            match entry {
                Undo::Member(k, Some(v)) => {
                    self.members.insert(k, *v);
                }
                Undo::Member(k, None) => {
                    self.members.remove(&k);
                }
                Undo::Group(k, Some(v)) => {
                    self.groups.insert(k, *v);
                }
                Undo::Group(k, None) => {
                    self.groups.remove(&k);
                }
                Undo::GroupRole(k, Some(v)) => {
                    self.group_roles.insert(k, *v);
                }
                Undo::GroupRole(k, None) => {
                    self.group_roles.remove(&k);
                }
                Undo::Object(k, Some(v)) => {
                    self.objects.insert(k, *v);
                }
                Undo::Object(k, None) => {
                    self.objects.remove(&k);
                }
            }
        }
    }

    fn assign_role(&mut self, ctx: &Ctx<'_>, member: MemberId, role: Option<Role>) {
        self.log_member(member);
        let entry = self.members.entry(member).or_insert_with(|| MemberState {
            register: RoleRegister::new(),
            joined: None,
        });
        let before = entry.register.effective();
        entry.register.assign(ctx.change, role, ctx.past);
        match (before, entry.register.effective()) {
            (None, Some(_)) => entry.joined = Some(ctx.op),
            (_, None) => entry.joined = None,
            _ => {}
        }
        if role.is_none() {
            for group in self.groups_of(member) {
                self.assign_group_role(ctx, group, member, None);
            }
        }
    }

    fn assign_group_role(
        &mut self,
        ctx: &Ctx<'_>,
        group: GroupId,
        member: MemberId,
        role: Option<GroupRole>,
    ) {
        if self.groups.contains_key(&group) {
            self.log_group_role((member, group));
            self.group_roles
                .entry((member, group))
                .or_insert_with(RoleRegister::new)
                .assign(ctx.change, role, ctx.past);
        }
    }

    /// Checks `op` by `ctx.author` against the permission matrix and, if allowed, applies it.
    /// On refusal nothing changes.
    pub(crate) fn step(&mut self, ctx: &Ctx<'_>, op: &Op) -> Result<(), EditError> {
        self.check(ctx, op)?;
        let mark = self.journal.len();
        self.apply(ctx, op);
        // A creation's first values are checked as the writes they stand for: once the
        // object exists.
        if let Op::CreateWith { values, .. } = op {
            if let Err(e) = self.check_values(ctx, values) {
                let undo = self.journal.split_off(mark);
                self.undo(Applied {
                    lowerings: Vec::new(),
                    undo,
                });
                return Err(e);
            }
        }
        Ok(())
    }

    /// Applies the effect of an operation already judged valid, without checking it.
    pub(crate) fn apply(&mut self, ctx: &Ctx<'_>, op: &Op) {
        let a = ctx.author;
        match op {
            Op::AddMember { member, role } | Op::SetRole { member, role } => {
                self.assign_role(ctx, *member, Some(*role))
            }
            Op::RemoveMember { member } => self.assign_role(ctx, *member, None),
            Op::Leave => self.assign_role(ctx, a, None),
            Op::CreateGroup {
                name,
                purpose,
                tags,
                open,
            } => {
                let id = GroupId::derive(ctx.op);
                self.log_group(id);
                self.groups.entry(id).or_insert_with(|| GroupState {
                    created: ctx.op,
                    name: name.clone(),
                    purpose: purpose.clone(),
                    tags: tags.clone(),
                    open: *open,
                    archived: false,
                });
                self.assign_group_role(ctx, id, a, Some(GroupRole::Lead));
            }
            Op::UpdateGroup { group, update } => {
                self.log_group(*group);
                if let Some(g) = self.groups.get_mut(group) {
                    match update {
                        GroupUpdate::Name(v) => g.name.clone_from(v),
                        GroupUpdate::Purpose(v) => g.purpose.clone_from(v),
                        GroupUpdate::Tags(v) => g.tags.clone_from(v),
                        GroupUpdate::Open(v) => g.open = *v,
                        GroupUpdate::Archived(v) => g.archived = *v,
                    }
                }
            }
            Op::SetGroupRole {
                group,
                member,
                role,
            } => self.assign_group_role(ctx, *group, *member, Some(*role)),
            Op::RemoveFromGroup { group, member } => {
                self.assign_group_role(ctx, *group, *member, None)
            }
            Op::JoinGroup { group } => {
                self.assign_group_role(ctx, *group, a, Some(GroupRole::Member))
            }
            Op::LeaveGroup { group } => self.assign_group_role(ctx, *group, a, None),
            Op::Create { .. } | Op::CreateWith { .. } | Op::Share { .. } | Op::Unshare { .. } => {
                self.apply_acl(ctx, op)
            }
            Op::Genesis { .. }
            | Op::SetProfile { .. }
            | Op::RenameWorkspace { .. }
            | Op::Set { .. }
            | Op::Add { .. }
            | Op::Remove { .. }
            | Op::Insert { .. }
            | Op::Delete { .. }
            | Op::SetPipeline { .. } => {}
        }
    }

    /// Checks `op` by `ctx.author` against the permission matrix, changing nothing.
    pub(crate) fn check(&self, ctx: &Ctx<'_>, op: &Op) -> Result<(), EditError> {
        let a = ctx.author;
        if matches!(op, Op::Genesis { .. }) {
            return Err(EditError::Invalid(
                "a workspace has only one genesis".into(),
            ));
        }
        let Some(ra) = self.role(&a) else {
            return Err(deny(a, describe(op), "not a member of the workspace"));
        };
        match op {
            Op::Genesis { .. } => {}
            Op::Create { .. }
            | Op::CreateWith { .. }
            | Op::Share { .. }
            | Op::Unshare { .. }
            | Op::Set { .. }
            | Op::Add { .. }
            | Op::Remove { .. }
            | Op::Insert { .. }
            | Op::Delete { .. }
            | Op::SetPipeline { .. } => self.check_content(ctx, op)?,
            Op::AddMember { member, role } => {
                let action = describe(op);
                if self.role(member).is_some() {
                    return Err(EditError::Invalid(format!(
                        "`{member}` is already a member"
                    )));
                }
                self.check_grant(&a, member, *role, &action)?;
            }
            Op::SetRole { member, role } => {
                let action = describe(op);
                self.check_over(&a, member, &action)?;
                self.check_grant(&a, member, *role, &action)?;
                if *role < Role::Owner {
                    self.check_keeps_owner(&a, member, &action)?;
                }
            }
            Op::RemoveMember { member } => {
                let action = describe(op);
                if *member == a {
                    return Err(EditError::Invalid("to remove oneself, leave".into()));
                }
                self.check_over(&a, member, &action)?;
                self.check_keeps_owner(&a, member, &action)?;
            }
            Op::Leave => {
                self.check_keeps_owner(&a, &a, "leave")?;
            }
            Op::SetProfile { .. } => {}
            Op::RenameWorkspace { .. } => {
                if ra < Role::Admin {
                    return Err(deny(
                        a,
                        "rename the workspace",
                        "only owners and admins rename the workspace",
                    ));
                }
            }
            Op::CreateGroup { .. } => {
                if ra < Role::Member {
                    return Err(deny(a, "create a group", "guests do not create groups"));
                }
                let id = GroupId::derive(ctx.op);
                if self.groups.contains_key(&id) {
                    return Err(EditError::Invalid(format!("group `{id}` already exists")));
                }
            }
            Op::UpdateGroup { group, .. } => {
                self.group(group)?;
                if !self.may_manage_group(&a, group) {
                    return Err(deny(
                        a,
                        describe(op),
                        "only the group's leads and workspace owners and admins manage a group",
                    ));
                }
            }
            Op::SetGroupRole {
                group,
                member,
                role,
            } => {
                self.group(group)?;
                if !self.may_manage_group(&a, group) {
                    return Err(deny(
                        a,
                        describe(op),
                        "only the group's leads and workspace owners and admins manage a group",
                    ));
                }
                match self.role(member) {
                    None => return Err(EditError::NoSuchMember(*member)),
                    Some(Role::Guest) if *role != GroupRole::Observer => {
                        return Err(EditError::Invalid(format!(
                            "`{member}` is a guest: guests may only observe groups"
                        )))
                    }
                    _ => {}
                }
            }
            Op::RemoveFromGroup { group, member } => {
                self.group(group)?;
                if self.group_role(group, member).is_none() {
                    return Err(EditError::Invalid(format!(
                        "`{member}` is not in group `{group}`"
                    )));
                }
                if !self.may_manage_group(&a, group) {
                    return Err(deny(
                        a,
                        describe(op),
                        "only the group's leads and workspace owners and admins manage a group",
                    ));
                }
            }
            Op::JoinGroup { group } => {
                let g = self.group(group)?;
                if ra < Role::Member {
                    return Err(deny(a, describe(op), "guests do not join groups"));
                }
                if !g.open || g.archived {
                    return Err(deny(a, describe(op), "the group is not open"));
                }
                if self.group_role(group, &a).is_some() {
                    return Err(EditError::Invalid(format!("already in group `{group}`")));
                }
            }
            Op::LeaveGroup { group } => {
                self.group(group)?;
                if self.group_role(group, &a).is_none() {
                    return Err(EditError::Invalid(format!("not in group `{group}`")));
                }
            }
        }
        Ok(())
    }

    /// The (scope, member) pairs whose role an operation may lower.
    fn touched(&self, author: MemberId, op: &Op, out: &mut Vec<(Scope, MemberId)>) {
        let whole = |m: MemberId, out: &mut Vec<(Scope, MemberId)>| {
            out.push((Scope::Workspace, m));
            out.extend(self.groups_of(m).into_iter().map(|g| (Scope::Group(g), m)));
        };
        match op {
            Op::SetRole { member, .. } | Op::RemoveMember { member } => whole(*member, out),
            Op::Leave => whole(author, out),
            Op::SetGroupRole { group, member, .. } | Op::RemoveFromGroup { group, member } => {
                out.push((Scope::Group(*group), *member))
            }
            Op::LeaveGroup { group } => out.push((Scope::Group(*group), author)),
            _ => {}
        }
    }

    /// Applies every operation of a change in order (each with its id: all of them, or
    /// what the checks read of them, [`crate::change::Ops::checked`]), checking each
    /// against the matrix.
    /// On the first refusal the state is restored and the refusal returned; otherwise the
    /// result says whom the change lowered, and can be taken back with [`Authority::undo`].
    pub(crate) fn step_all(
        &mut self,
        author: MemberId,
        change: u32,
        ops: impl IntoIterator<Item = (OpId, impl Borrow<Op>)>,
        past: &dyn Fn(u32) -> bool,
    ) -> Result<Applied, EditError> {
        let mut touched: Vec<(Scope, MemberId)> = Vec::new();
        let mut before: Vec<(Scope, MemberId, Option<u8>, Option<Seniority>)> = Vec::new();
        self.journal.clear();
        let mut previous = None;
        for (id, op) in ops {
            let ctx = Ctx {
                author,
                change,
                op: id,
                past,
            };
            if edits_same_text(previous.as_ref().map(Borrow::borrow), op.borrow()) {
                // Allowed as the previous one was, and changes nothing here.
                previous = Some(op);
                continue;
            }
            let op: &Op = (*previous.insert(op)).borrow();
            touched.clear();
            self.touched(author, op, &mut touched);
            for &(scope, member) in &touched {
                if !before
                    .iter()
                    .any(|(s, m, _, _)| *s == scope && *m == member)
                {
                    before.push((
                        scope,
                        member,
                        self.level(scope, &member),
                        self.seniority(&member),
                    ));
                }
            }
            if let Err(e) = self.step(&ctx, op) {
                let undo = std::mem::take(&mut self.journal);
                self.undo(Applied {
                    lowerings: Vec::new(),
                    undo,
                });
                return Err(e);
            }
        }
        let lowerings = before
            .into_iter()
            .filter_map(|(scope, member, was, seniority)| {
                let now = self.level(scope, &member);
                (now < was).then_some(Lowering {
                    scope,
                    member,
                    to: now,
                    was_owner: scope == Scope::Workspace && was == Some(Role::Owner as u8),
                    seniority,
                })
            })
            .collect();
        Ok(Applied {
            lowerings,
            undo: std::mem::take(&mut self.journal),
        })
    }

    /// Checks every operation of a content change (which changes no role) against the
    /// matrix, each with its id, as [`Authority::step_all`] takes them.
    pub(crate) fn check_all(
        &self,
        author: MemberId,
        change: u32,
        ops: impl IntoIterator<Item = (OpId, impl Borrow<Op>)>,
        past: &dyn Fn(u32) -> bool,
    ) -> Result<(), EditError> {
        let mut previous = None;
        for (id, op) in ops {
            let ctx = Ctx {
                author,
                change,
                op: id,
                past,
            };
            if !edits_same_text(previous.as_ref().map(Borrow::borrow), op.borrow()) {
                self.check(&ctx, op.borrow())?;
            }
            previous = Some(op);
        }
        Ok(())
    }

    /// Applies every operation of a change already judged valid.
    pub(crate) fn apply_all(
        &mut self,
        author: MemberId,
        change: u32,
        lamport: u64,
        ops: impl IntoIterator<Item = impl Borrow<Op>>,
        past: &dyn Fn(u32) -> bool,
    ) {
        self.apply_with_ids(author, change, with_ids(author, lamport, ops), past);
    }

    /// Applies operations of a change already judged valid, given with their ids: those
    /// of its operations that are authority operations are enough (the others change
    /// nothing here).
    pub(crate) fn apply_with_ids(
        &mut self,
        author: MemberId,
        change: u32,
        ops: impl IntoIterator<Item = (OpId, impl Borrow<Op>)>,
        past: &dyn Fn(u32) -> bool,
    ) {
        for (id, op) in ops {
            let ctx = Ctx {
                author,
                change,
                op: id,
                past,
            };
            self.apply(&ctx, op.borrow());
        }
        self.journal.clear();
    }
}

const ROLES: [Role; 4] = [Role::Guest, Role::Member, Role::Admin, Role::Owner];
const GROUP_ROLES: [GroupRole; 3] = [GroupRole::Observer, GroupRole::Member, GroupRole::Lead];

/// A short description of an operation, for refusal messages.
pub(crate) fn describe(op: &Op) -> String {
    match op {
        Op::Genesis { .. } => "found the workspace".into(),
        Op::AddMember { member, role } => format!("add `{member}` as {role}"),
        Op::SetRole { member, role } => format!("make `{member}` {role}"),
        Op::RemoveMember { member } => format!("remove `{member}`"),
        Op::Leave => "leave".into(),
        Op::SetProfile { .. } => "set their profile".into(),
        Op::RenameWorkspace { .. } => "rename the workspace".into(),
        Op::CreateGroup { .. } => "create a group".into(),
        Op::UpdateGroup { group, .. } => format!("change the settings of group `{group}`"),
        Op::SetGroupRole {
            group,
            member,
            role,
        } => {
            format!("make `{member}` {role} of group `{group}`")
        }
        Op::RemoveFromGroup { group, member } => format!("remove `{member}` from group `{group}`"),
        Op::JoinGroup { group } => format!("join group `{group}`"),
        Op::LeaveGroup { group } => format!("leave group `{group}`"),
        Op::Create { kind, .. } | Op::CreateWith { kind, .. } => {
            format!("create a {}", crate::acl::kind_name(*kind))
        }
        Op::Share { object, group } => format!("share `{object}` with group `{group}`"),
        Op::Unshare { object, group } => format!("stop sharing `{object}` with group `{group}`"),
        Op::Set { object, field, .. }
        | Op::Add { object, field, .. }
        | Op::Remove { object, field, .. }
        | Op::Insert { object, field, .. }
        | Op::Delete { object, field, .. } => format!("edit {field:?} of `{object}`"),
        Op::SetPipeline { .. } => "change the pipeline".into(),
    }
}

/// Whether `op` edits the text `previous`, the operation before it in the same change,
/// edited: then it is allowed if that one was (the same member editing the same field of
/// the same object), and neither changes any rights. A typed run split by deletes is
/// judged once, not once per operation.
fn edits_same_text(previous: Option<&Op>, op: &Op) -> bool {
    op.text_edited()
        .is_some_and(|edited| previous.and_then(Op::text_edited) == Some(edited))
}
