//! Who may write which object: the part of the authority state that follows content.
//!
//! An object's rights come from its root (a contact, an event or a glossary) and the groups
//! the root is shared with: the groups' leads and members write, everyone in them comments,
//! and an object shared with no group belongs to every workspace member. Sharing and
//! unsharing are authority operations, so they are resolved like roles.

use std::sync::Arc;

use crate::authority::{deny, Authority, Ctx, Undo};
use crate::crdt::SmallMap;
use crate::error::EditError;
use crate::ids::{GroupId, MemberId, ObjectId};
use crate::object::{EntryStatus, Field, Merge, ObjectKind, Value};
use crate::op::{Creation, GroupRole, Op, Role};

/// Checks that `field` merges as `merge`.
fn merged_by(field: &Field, merge: Merge) -> Result<(), EditError> {
    if field.spec().0 == merge {
        Ok(())
    } else {
        Err(EditError::Invalid(format!(
            "{field:?} is not a {} field",
            merge.describe()
        )))
    }
}

/// A first value given twice: a single-valued field listed twice, or one value listed
/// twice for a multi-valued field.
fn repeated(values: &[(Field, Value)]) -> Option<&(Field, Value)> {
    fn key((field, value): &(Field, Value)) -> (&Field, Option<&Value>) {
        let set = field.spec().0 == Merge::Set;
        (field, set.then_some(value))
    }
    // A creation gives a few values: compared pairwise, without allocating.
    if values.len() <= 16 {
        let mut earlier = values.iter().enumerate();
        return earlier.find_map(|(i, v)| {
            let before = values.get(..i).unwrap_or_default();
            before.iter().any(|w| key(w) == key(v)).then_some(v)
        });
    }
    let mut sorted: Vec<&(Field, Value)> = values.iter().collect();
    sorted.sort_unstable_by(|a, b| key(a).cmp(&key(b)));
    sorted.windows(2).find_map(|w| match w {
        [a, b] if key(a) == key(b) => Some(*b),
        _ => None,
    })
}

/// The rights-relevant facts of an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Acl {
    pub(crate) kind: ObjectKind,
    /// The author of the creation (shared: [`Authority`]'s `creators`).
    creator: Arc<MemberId>,
    /// Its parent or its groups, if it has either; boxed, so that an object with neither
    /// (an event or contact that belongs to every member) spends a word on them.
    place: Option<Box<Place>>,
}

/// Where an object's rights come from, beyond its kind and creator.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Place {
    parent: Option<ObjectId>,
    /// For each group, the changes whose shares are live (add-wins).
    shares: SmallMap<GroupId, Vec<u32>>,
}

impl Acl {
    pub(crate) fn creator(&self) -> MemberId {
        *self.creator
    }

    pub(crate) fn parent(&self) -> Option<ObjectId> {
        self.place.as_ref().and_then(|p| p.parent)
    }

    pub(crate) fn groups(&self) -> impl Iterator<Item = GroupId> + '_ {
        self.place
            .iter()
            .flat_map(|p| p.shares.iter())
            .filter(|(_, tags)| !tags.is_empty())
            .map(|(g, _)| *g)
    }
}

/// A lowercase name for a kind, for messages.
pub(crate) fn kind_name(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::Contact => "contact",
        ObjectKind::Event => "event",
        ObjectKind::Glossary => "glossary",
        ObjectKind::Entry => "glossary entry",
        ObjectKind::Sense => "sense",
        ObjectKind::AgendaItem => "agenda item",
        ObjectKind::Decision => "decision",
        ObjectKind::Comment => "comment",
    }
}

const MAX_DEPTH: usize = 4;

impl Authority {
    fn acl(&self, object: &ObjectId) -> Result<&Acl, EditError> {
        self.objects.get(object).ok_or(EditError::NoSuchObject {
            id: *object,
            what: "object",
        })
    }

    /// The top-level object an object belongs to.
    pub(crate) fn root(&self, object: &ObjectId) -> Option<(ObjectId, &Acl)> {
        let mut id = *object;
        for _ in 0..MAX_DEPTH {
            let acl = self.objects.get(&id)?;
            match acl.parent() {
                Some(p) => id = p,
                None => return Some((id, acl)),
            }
        }
        None
    }

    /// The groups an object's rights come from (those of its root).
    pub(crate) fn object_groups(&self, object: &ObjectId) -> Vec<GroupId> {
        self.root(object)
            .map(|(_, acl)| acl.groups().collect())
            .unwrap_or_default()
    }

    /// May `member` write the content of `object`?
    pub(crate) fn may_write(&self, member: &MemberId, object: &ObjectId) -> bool {
        let groups = self.object_groups(object);
        if groups.is_empty() {
            return self.role(member) >= Some(Role::Member);
        }
        groups.iter().any(|g| self.may_write_group(member, g))
    }

    /// May `member` comment on `object` (everyone in its groups, observers included)?
    pub(crate) fn may_comment(&self, member: &MemberId, object: &ObjectId) -> bool {
        let groups = self.object_groups(object);
        if groups.is_empty() || self.role(member) >= Some(Role::Admin) {
            return self.role(member).is_some();
        }
        groups.iter().any(|g| self.group_role(g, member).is_some())
    }

    /// Does `member` lead one of the groups of `object` (or administer the workspace)?
    pub(crate) fn leads(&self, member: &MemberId, object: &ObjectId) -> bool {
        if self.role(member) >= Some(Role::Admin) {
            return true;
        }
        self.object_groups(object)
            .iter()
            .any(|g| self.group_role(g, member) == Some(GroupRole::Lead))
    }

    /// May `member` write content shared with `group`?
    pub(crate) fn may_write_group(&self, member: &MemberId, group: &GroupId) -> bool {
        let active = self.groups.get(group).is_some_and(|g| !g.archived);
        active
            && self.role(member) >= Some(Role::Member)
            && self.group_role(group, member) >= Some(GroupRole::Member)
    }

    /// May `member` edit `field` of `object` (setting `value`, if given)?
    fn may_edit(
        &self,
        member: &MemberId,
        object: &ObjectId,
        field: &Field,
        value: Option<&Value>,
    ) -> Result<(), EditError> {
        let acl = self.acl(object)?;
        let (_, kinds) = field.spec();
        if !kinds.contains(&acl.kind) {
            return Err(EditError::Invalid(format!(
                "a {} has no field {field:?}",
                kind_name(acl.kind)
            )));
        }
        if let Some(v) = value {
            if !field.accepts(v) {
                return Err(EditError::Invalid(format!("{field:?} does not take {v:?}")));
            }
        }
        let action = || format!("edit {field:?} of {} `{object}`", kind_name(acl.kind));
        let allowed = match acl.kind {
            ObjectKind::Contact | ObjectKind::Glossary | ObjectKind::Sense => {
                self.may_write(member, object)
            }
            ObjectKind::Entry => match (field, value) {
                (
                    Field::EntryStatus,
                    Some(Value::EntryStatus(
                        EntryStatus::Approved | EntryStatus::Rejected | EntryStatus::Deprecated,
                    )),
                ) => {
                    if !self.leads(member, object) {
                        return Err(deny(
                            *member,
                            action(),
                            "only the group's leads approve, reject or deprecate entries",
                        ));
                    }
                    true
                }
                _ => self.may_write(member, object),
            },
            ObjectKind::Event | ObjectKind::AgendaItem | ObjectKind::Decision => {
                let (event, root) = self.root(object).ok_or(EditError::NoSuchObject {
                    id: *object,
                    what: "object",
                })?;
                (root.creator() == *member && self.may_write(member, &event))
                    || self.leads(member, &event)
            }
            ObjectKind::Comment => acl.creator() == *member && self.may_comment(member, object),
        };
        if allowed {
            Ok(())
        } else {
            let reason = match acl.kind {
                ObjectKind::Event | ObjectKind::AgendaItem | ObjectKind::Decision => {
                    "only its author, while a writer of its groups, and the groups' leads edit an event"
                }
                ObjectKind::Comment => "only its author edits a comment",
                _ => "only the leads and members of its groups write it",
            };
            Err(deny(*member, action(), reason))
        }
    }

    /// Checks the creation of an object (its first values apart: [`Authority::step`]).
    fn check_create(&self, ctx: &Ctx<'_>, creation: Creation<'_>) -> Result<(), EditError> {
        let a = ctx.author;
        let Creation {
            kind,
            parent,
            groups,
            ..
        } = creation;
        let id = ObjectId::derive(ctx.op);
        if self.objects.get(&id).is_some() {
            return Err(EditError::Invalid(format!("object `{id}` already exists")));
        }
        let action = format!("create a {}", kind_name(kind));
        match (kind.parents(), parent) {
            (None, None) => {
                if kind == ObjectKind::Glossary && groups.len() != 1 {
                    return Err(EditError::Invalid(
                        "a glossary belongs to exactly one group".into(),
                    ));
                }
                for g in groups {
                    self.group(g)?;
                    if !self.may_write_group(&a, g) {
                        return Err(deny(
                            a,
                            action,
                            format!("only leads and members of group `{g}` write in it"),
                        ));
                    }
                }
                if groups.is_empty() && self.role(&a) < Some(Role::Member) {
                    return Err(deny(a, action, "guests do not write content"));
                }
            }
            (Some(kinds), Some(p)) => {
                let p = &p;
                let parent_kind = self.acl(p)?.kind;
                if !kinds.contains(&parent_kind) || !groups.is_empty() {
                    return Err(EditError::Invalid(format!(
                        "a {} cannot belong to a {}",
                        kind_name(kind),
                        kind_name(parent_kind)
                    )));
                }
                let ok = match kind {
                    ObjectKind::Comment => self.may_comment(&a, p),
                    ObjectKind::AgendaItem | ObjectKind::Decision => {
                        self.may_edit(&a, p, &Field::Title, None).is_ok()
                    }
                    _ => self.may_write(&a, p),
                };
                if !ok {
                    return Err(deny(a, action, "no right to write there"));
                }
            }
            _ => {
                return Err(EditError::Invalid(format!(
                    "a {} {} a parent",
                    kind_name(kind),
                    if parent.is_some() {
                        "takes no"
                    } else {
                        "needs"
                    }
                )))
            }
        }
        Ok(())
    }

    /// Checks a value written to a single-valued field (`merge` is [`Merge::Register`])
    /// or added to or removed from a multi-valued one ([`Merge::Set`]) by `a`.
    fn check_value(
        &self,
        a: &MemberId,
        object: &ObjectId,
        field: &Field,
        value: &Value,
        merge: Merge,
    ) -> Result<(), EditError> {
        merged_by(field, merge)?;
        self.may_edit(a, object, field, Some(value))?;
        if let (Field::MergedInto, Value::Object(into)) = (field, value) {
            if self.acl(into)?.kind != ObjectKind::Contact || into == object {
                return Err(EditError::Invalid(format!(
                    "`{into}` is not another contact"
                )));
            }
            if !self.may_write(a, into) {
                return Err(deny(
                    *a,
                    format!("merge contact `{object}` into `{into}`"),
                    "merging needs write rights on both contacts",
                ));
            }
        }
        Ok(())
    }

    /// Checks the first values of the object operation `ctx.op` has just created, each as
    /// the write or addition it stands for (so with the same rights), once the object
    /// exists: a single-valued field takes at most one, a multi-valued field each value
    /// at most once, a text field none (its text is inserted).
    pub(crate) fn check_values(
        &self,
        ctx: &Ctx<'_>,
        values: &[(Field, Value)],
    ) -> Result<(), EditError> {
        if let Some((field, value)) = repeated(values) {
            return Err(EditError::Invalid(match field.spec().0 {
                Merge::Set => format!("a creation adds {value:?} to {field:?} twice"),
                _ => format!("a creation gives {field:?} two values"),
            }));
        }
        let object = ObjectId::derive(ctx.op);
        for (field, value) in values {
            let merge = field.spec().0;
            if merge == Merge::Text {
                return Err(EditError::Invalid(format!(
                    "{field:?} is a text field: its text is inserted, not given at creation"
                )));
            }
            self.check_value(&ctx.author, &object, field, value, merge)?;
        }
        Ok(())
    }

    /// Checks a content or sharing operation.
    pub(crate) fn check_content(&self, ctx: &Ctx<'_>, op: &Op) -> Result<(), EditError> {
        let a = ctx.author;
        if let Some(creation) = op.creation() {
            return self.check_create(ctx, creation);
        }
        match op {
            Op::Share { object, group } => {
                let acl = self.acl(object)?;
                self.group(group)?;
                if acl.parent().is_some() {
                    return Err(EditError::Invalid(
                        "only top-level objects are shared".into(),
                    ));
                }
                if !self.may_write(&a, object) || !self.may_write_group(&a, group) {
                    return Err(deny(
                        a,
                        format!("share `{object}` with group `{group}`"),
                        "sharing needs write rights on the object and in the group",
                    ));
                }
            }
            Op::Unshare { object, group } => {
                self.acl(object)?;
                if !self.may_write(&a, object) && !self.may_manage_group(&a, group) {
                    return Err(deny(
                        a,
                        format!("stop sharing `{object}` with group `{group}`"),
                        "only writers of the object and managers of the group stop sharing",
                    ));
                }
            }
            Op::Set {
                object,
                field,
                value,
                ..
            } => self.check_value(&a, object, field, value, Merge::Register)?,
            Op::Add {
                object,
                field,
                value,
            }
            | Op::Remove {
                object,
                field,
                value,
                ..
            } => self.check_value(&a, object, field, value, Merge::Set)?,
            Op::Insert { object, field, .. } | Op::Delete { object, field, .. } => {
                merged_by(field, Merge::Text)?;
                self.may_edit(&a, object, field, None)?
            }
            Op::SetPipeline { stages } => {
                if self.role(&a) < Some(Role::Admin) {
                    return Err(deny(
                        a,
                        "change the pipeline",
                        "only owners and admins change the pipeline",
                    ));
                }
                if stages.is_empty() {
                    return Err(EditError::Invalid(
                        "a pipeline needs at least one stage".into(),
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Applies the creation of an object (its first values are content).
    fn apply_create(&mut self, ctx: &Ctx<'_>, creation: Creation<'_>) {
        let Creation {
            kind,
            parent,
            groups,
            ..
        } = creation;
        let id = ObjectId::derive(ctx.op);
        let before = self.objects.get(&id).cloned().map(Box::new);
        let exists = before.is_some();
        self.journal.push(Undo::Object(id, before));
        // A forked author's second creation of one object keeps the first's.
        if exists {
            return;
        }
        let mut shares = SmallMap::default();
        for g in groups {
            if let Some(tags) = shares.or_default(g) {
                *tags = vec![ctx.change];
            }
        }
        let place =
            (parent.is_some() || !groups.is_empty()).then(|| Box::new(Place { parent, shares }));
        let acl = Acl {
            kind,
            creator: self.creators.get(ctx.op.author),
            place,
        };
        self.objects.insert(id, acl);
    }

    /// Applies a creation or a change of sharing.
    pub(crate) fn apply_acl(&mut self, ctx: &Ctx<'_>, op: &Op) {
        if let Some(creation) = op.creation() {
            return self.apply_create(ctx, creation);
        }
        match op {
            Op::Share { object, group } => {
                self.journal.push(Undo::Object(
                    *object,
                    self.objects.get(object).cloned().map(Box::new),
                ));
                if let Some(tags) = self.objects.get_mut(object).and_then(|acl| {
                    acl.place
                        .get_or_insert_with(Box::default)
                        .shares
                        .or_default(group)
                }) {
                    if !tags.contains(&ctx.change) {
                        tags.push(ctx.change);
                    }
                }
            }
            Op::Unshare { object, group } => {
                self.journal.push(Undo::Object(
                    *object,
                    self.objects.get(object).cloned().map(Box::new),
                ));
                if let Some(tags) = self
                    .objects
                    .get_mut(object)
                    .and_then(|a| a.place.as_mut())
                    .and_then(|p| p.shares.get_mut(group))
                {
                    tags.retain(|&t| t != ctx.change && !(ctx.past)(t));
                }
            }
            _ => {}
        }
    }
}
