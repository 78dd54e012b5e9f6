//! The materialised content: everything that is not authority, built only from valid
//! changes. Every field merges independently of the order changes are applied in.

use std::borrow::Borrow;
use std::collections::BTreeMap;

use crate::crdt::{
    value_of, value_or_default, Authors, Custom, Fields, Known, OrSet, Register, Stamp, Text, Val,
};
use crate::ids::{MemberId, ObjectId, OpId};
use crate::object::{Field, ObjectKind, Value};
use crate::op::{with_ids, Op};
use crate::table::Table;

/// A last-writer-wins register: the write with the greatest operation id wins (ties, which
/// only a forked author can cause, go to the greater value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Lww<T> {
    pub(crate) value: T,
    pub(crate) at: Option<OpId>,
}

impl<T: Ord + Clone + Default> Lww<T> {
    pub(crate) fn set(&mut self, value: &T, at: OpId) {
        let newer = match self.at {
            None => true,
            Some(cur) => (at, value) > (cur, &self.value),
        };
        if newer {
            self.value = value.clone();
            self.at = Some(at);
        }
    }
}

impl<T: Default> Default for Lww<T> {
    fn default() -> Self {
        Lww {
            value: T::default(),
            at: None,
        }
    }
}

/// One object's content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Object {
    pub(crate) kind: ObjectKind,
    /// The creation's operation, whose author is the creator.
    pub(crate) created: Stamp,
    /// Its known single-valued and multi-valued fields ([`Self::register`], [`Self::set`]).
    registers: Known<Register>,
    sets: Known<OrSet>,
    /// What most objects (contacts, events) lack, boxed so that they spend a word on it.
    rare: Option<Box<Rare>>,
}

/// A parent, text fields, custom fields: what objects of some kinds have, and others
/// seldom.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Rare {
    parent: Option<ObjectId>,
    texts: Fields<Text>,
    registers: Custom<Register>,
    sets: Custom<OrSet>,
}

impl Rare {
    /// Whether it holds nothing but its parent.
    fn only_parent(&self) -> bool {
        self.texts.is_empty() && self.registers.is_empty() && self.sets.is_empty()
    }
}

impl Object {
    fn new(kind: ObjectKind, parent: Option<ObjectId>, created: Stamp) -> Self {
        let mut o = Object {
            kind,
            created,
            registers: Known::default(),
            sets: Known::default(),
            rare: None,
        };
        o.set_parent(parent);
        o
    }

    fn set_parent(&mut self, parent: Option<ObjectId>) {
        match (&mut self.rare, parent) {
            // Nothing left in the box: none, as for an object that never had any.
            (Some(rare), None) if rare.only_parent() => self.rare = None,
            (Some(rare), _) => rare.parent = parent,
            (None, None) => {}
            (rare @ None, Some(_)) => {
                *rare = Some(Box::new(Rare {
                    parent,
                    ..Rare::default()
                }));
            }
        }
    }

    /// The object it belongs to, if any.
    pub(crate) fn parent(&self) -> Option<ObjectId> {
        self.rare.as_ref().and_then(|r| r.parent)
    }

    /// A text field, if it was ever edited.
    pub(crate) fn text_field(&self, field: &Field) -> Option<&Text> {
        self.rare.as_ref().and_then(|r| r.texts.get(field))
    }

    /// A text field, if it was ever edited, to edit.
    pub(crate) fn text_field_edit(&mut self, field: &Field) -> Option<&mut Text> {
        self.rare.as_mut()?.texts.get_mut(field)
    }

    /// A text field, made empty first if it was never edited.
    fn text_field_mut(&mut self, field: &Field) -> Option<&mut Text> {
        self.rare
            .get_or_insert_with(Box::default)
            .texts
            .or_default(field)
    }

    /// A single-valued field, if it was ever written.
    pub(crate) fn register(&self, field: &Field) -> Option<&Register> {
        let custom = self.rare.as_deref().map(|r| &r.registers);
        value_of(&self.registers, custom, field)
    }

    /// A single-valued field, made empty first if it was never written.
    fn register_mut(&mut self, field: &Field) -> Option<&mut Register> {
        value_or_default(
            &mut self.registers,
            || &mut self.rare.get_or_insert_with(Box::default).registers,
            field,
        )
    }

    /// A multi-valued field, if a value was ever added.
    pub(crate) fn set(&self, field: &Field) -> Option<&OrSet> {
        value_of(&self.sets, self.rare.as_deref().map(|r| &r.sets), field)
    }

    /// A multi-valued field, made empty first if no value was ever added.
    fn set_mut(&mut self, field: &Field) -> Option<&mut OrSet> {
        value_or_default(
            &mut self.sets,
            || &mut self.rare.get_or_insert_with(Box::default).sets,
            field,
        )
    }

    /// The custom single-valued fields, by name.
    pub(crate) fn custom_registers(&self) -> impl Iterator<Item = (&str, &Register)> {
        self.rare.iter().flat_map(|r| r.registers.named_values())
    }

    pub(crate) fn creator(&self) -> MemberId {
        self.created.author()
    }

    /// The value of a single-valued field, if it has one.
    pub(crate) fn get(&self, field: &Field) -> Option<Value> {
        self.val(field).map(Val::to_value)
    }

    /// The value of a single-valued field as kept, if it has one.
    pub(crate) fn val(&self, field: &Field) -> Option<&Val> {
        self.register(field).and_then(Register::get)
    }

    pub(crate) fn text(&self, field: &Field) -> String {
        self.text_field(field).map(Text::value).unwrap_or_default()
    }

    pub(crate) fn set_values(&self, field: &Field) -> Vec<Value> {
        self.set(field)
            .map(|s| s.values().map(Val::to_value).collect())
            .unwrap_or_default()
    }

    pub(crate) fn str(&self, field: &Field) -> Option<String> {
        self.val(field).and_then(Val::as_text).map(str::to_string)
    }

    pub(crate) fn strings(&self, field: &Field) -> Vec<String> {
        self.set_values(field)
            .into_iter()
            .filter_map(|v| match v {
                Value::Text(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn flag(&self, field: &Field) -> bool {
        matches!(self.val(field), Some(Val::Bool(true)))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Model {
    pub(crate) name: Lww<String>,
    pub(crate) profiles: BTreeMap<MemberId, Lww<String>>,
    pub(crate) pipeline: Lww<Vec<String>>,
    /// Objects by id, in the order this copy created them: every listing sorts what it
    /// returns by a key that ends with the object id, so no result depends on that order.
    pub(crate) objects: Table<ObjectId, Object>,
    /// Children of each object, in creation order.
    pub(crate) children: BTreeMap<ObjectId, Vec<(OpId, ObjectId)>>,
    /// Contacts that were merged into another at some point.
    pub(crate) merged: std::collections::BTreeSet<ObjectId>,
    /// The authors of the operation ids that registers and sets keep.
    pub(crate) authors: Authors,
}

impl Model {
    /// Applies the content operations of a valid change.
    pub(crate) fn apply(
        &mut self,
        author: MemberId,
        lamport: u64,
        ops: impl IntoIterator<Item = impl Borrow<Op>>,
    ) {
        for (at, op) in with_ids(author, lamport, ops) {
            self.apply_op(author, at, op.borrow());
        }
    }

    pub(crate) fn apply_op(&mut self, author: MemberId, at: OpId, op: &Op) {
        match op {
            Op::Genesis { name } | Op::RenameWorkspace { name } => self.name.set(name, at),
            Op::SetProfile { display_name } => self
                .profiles
                .entry(author)
                .or_default()
                .set(display_name, at),
            Op::SetPipeline { stages } => self.pipeline.set(stages, at),
            Op::Create { kind, parent, .. } => {
                let id = ObjectId::derive(at);
                match self.objects.get_mut(&id) {
                    // Two creations with one id come only from a forked author: keep the
                    // smaller description, whatever the order they arrive in (its parent
                    // lists it among its children, the other's does not).
                    Some(o) => {
                        let before = o.parent();
                        if (*kind, *parent) < (o.kind, before) {
                            o.kind = *kind;
                            o.set_parent(*parent);
                            if let Some(p) = before {
                                if let Some(siblings) = self.children.get_mut(&p) {
                                    siblings.retain(|&(_, child)| child != id);
                                    if siblings.is_empty() {
                                        self.children.remove(&p);
                                    }
                                }
                            }
                            self.adopt(*parent, at, id);
                        }
                    }
                    None => {
                        let fresh = Object::new(*kind, *parent, self.authors.stamp(at));
                        self.objects.insert(id, fresh);
                        self.adopt(*parent, at, id);
                    }
                }
            }
            Op::Set {
                object,
                field,
                value,
                pred,
            } => {
                if let Some(o) = self.objects.get_mut(object) {
                    if let Some(slot) = o.register_mut(field) {
                        slot.set(&mut self.authors, at, value, pred);
                    }
                    if *field == Field::MergedInto {
                        self.merged.insert(*object);
                    }
                }
            }
            Op::Add {
                object,
                field,
                value,
            } => {
                if let Some(o) = self.objects.get_mut(object) {
                    if let Some(slot) = o.set_mut(field) {
                        slot.add(&mut self.authors, at, value);
                    }
                }
            }
            Op::Remove {
                object,
                field,
                observed,
                ..
            } => {
                if let Some(o) = self.objects.get_mut(object) {
                    if let Some(slot) = o.set_mut(field) {
                        slot.remove(observed);
                    }
                }
            }
            Op::Insert {
                object,
                field,
                after,
                text,
            } => self.insert_text(object, field, *after, at, text),
            Op::Delete {
                object,
                field,
                runs,
            } => {
                if let Some(o) = self.objects.get_mut(object) {
                    if let Some(text) = o.text_field_mut(field) {
                        text.delete(runs);
                    }
                }
            }
            _ => {}
        }
    }

    /// Lists object `id`, created by operation `at`, among the children of `parent`.
    fn adopt(&mut self, parent: Option<ObjectId>, at: OpId, id: ObjectId) {
        if let Some(p) = parent {
            let siblings = self.children.entry(p).or_default();
            if let Err(i) = siblings.binary_search(&(at, id)) {
                siblings.insert(i, (at, id));
            }
        }
    }

    /// Inserts `text` after character `after` of a text field, its characters taking
    /// the ids from `at` on.
    pub(crate) fn insert_text(
        &mut self,
        object: &ObjectId,
        field: &Field,
        after: Option<OpId>,
        at: OpId,
        text: &str,
    ) {
        if let Some(slot) = self
            .objects
            .get_mut(object)
            .and_then(|o| o.text_field_mut(field))
        {
            slot.insert(after, at, text);
        }
    }

    /// The children of `object` of a kind, in creation order.
    pub(crate) fn children_of(
        &self,
        object: &ObjectId,
        kind: ObjectKind,
    ) -> Vec<(ObjectId, &Object)> {
        self.children
            .get(object)
            .into_iter()
            .flatten()
            .filter_map(|(_, id)| self.objects.get(id).map(|o| (*id, o)))
            .filter(|(_, o)| o.kind == kind)
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Two creations with one id (a forked author's) leave the same object whatever
    /// order they arrive in, down to how it is kept and whose child it is: one with a
    /// parent, one without, and a custom field written between them.
    #[test]
    fn twin_creations_leave_the_same_object_in_either_order() {
        let author = MemberId::from_bytes([1; 32]);
        let at = OpId { counter: 5, author };
        let parent = ObjectId::derive(OpId { counter: 1, author });
        let create = |parent| Op::Create {
            kind: ObjectKind::Comment,
            parent,
            groups: Vec::new(),
        };
        let (with, without) = (create(Some(parent)), create(None));
        // A custom field written in between stays, whichever description is kept.
        let (object, field) = (ObjectId::derive(at), Field::Custom("mood".into()));
        let set = Op::Set {
            object,
            field: field.clone(),
            value: Value::Text("calm".into()),
            pred: Vec::new(),
        };
        let written = OpId { counter: 6, author };
        let mut a = Model::default();
        a.apply_op(author, at, &with);
        a.apply_op(author, written, &set);
        a.apply_op(author, at, &without);
        let mut b = Model::default();
        b.apply_op(author, at, &without);
        b.apply_op(author, written, &set);
        b.apply_op(author, at, &with);
        assert_eq!(a, b);
        let o = a.objects.get(&object).unwrap();
        assert_eq!(o.parent(), None);
        assert_eq!(o.str(&field).as_deref(), Some("calm"));
        assert!(a.children_of(&parent, ObjectKind::Comment).is_empty());
    }
}
