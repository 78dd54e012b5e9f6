//! The materialised content: everything that is not authority, built only from valid
//! changes. Every field merges independently of the order changes are applied in.

use std::borrow::Borrow;
use std::collections::BTreeMap;

use crate::compact::Edit;
use crate::crdt::{
    value_of, value_or_default, Authors, Custom, Fields, Known, Slot, Stamp, Text, TextLog, Val,
};
use crate::ids::{MemberId, ObjectId, OpId};
use crate::object::{Field, Merge, ObjectKind, Value};
use crate::op::{with_ids, Creation, Op};
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
    /// Its known single-valued and multi-valued fields, in one slice ([`Self::slot`]).
    slots: Known<Slot>,
    /// What most objects (contacts, events) lack, boxed so that they spend a word on it.
    rare: Option<Box<Rare>>,
}

/// A parent, text fields, custom fields: what objects of some kinds have, and others
/// seldom.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Rare {
    parent: Option<ObjectId>,
    texts: Fields<Text>,
    /// Custom fields (single-valued), by name.
    custom: Custom<Slot>,
}

impl Rare {
    /// Whether it holds nothing but its parent.
    fn only_parent(&self) -> bool {
        self.texts.is_empty() && self.custom.is_empty()
    }
}

impl Object {
    fn new(kind: ObjectKind, parent: Option<ObjectId>, created: Stamp) -> Self {
        let mut o = Object {
            kind,
            created,
            slots: Known::default(),
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

    /// A single-valued or multi-valued field, if it was ever written or added to.
    pub(crate) fn slot(&self, field: &Field) -> Option<&Slot> {
        value_of(&self.slots, self.rare.as_deref().map(|r| &r.custom), field)
    }

    /// A single-valued or multi-valued field, made empty first, with the id of the
    /// object's creation.
    fn slot_mut(&mut self, field: &Field) -> (Option<&mut Slot>, &Stamp) {
        let slot = value_or_default(
            &mut self.slots,
            || &mut self.rare.get_or_insert_with(Box::default).custom,
            field,
        );
        (slot, &self.created)
    }

    /// Writes `value` to single-valued field `field` with id `at`, replacing the writes
    /// `pred` lists.
    fn write(
        &mut self,
        authors: &mut Authors,
        field: &Field,
        at: OpId,
        value: &Value,
        pred: &[OpId],
    ) {
        if let (Some(slot), created) = self.slot_mut(field) {
            slot.write(authors, at, value, pred, created);
        }
    }

    /// The live writes of a single-valued field, oldest first: more than one when writes
    /// were concurrent.
    pub(crate) fn writes(&self, field: &Field) -> impl DoubleEndedIterator<Item = (&Stamp, &Val)> {
        self.slot(field)
            .into_iter()
            .flat_map(|r| r.writes(&self.created))
    }

    /// The ids a new write of a single-valued field must list to replace every live value.
    pub(crate) fn heads(&self, field: &Field) -> Vec<OpId> {
        self.writes(field).map(|(id, _)| id.id()).collect()
    }

    /// Adds `value` to multi-valued field `field` with id `at`.
    fn add(&mut self, authors: &mut Authors, field: &Field, at: OpId, value: &Value) {
        if let (Some(slot), created) = self.slot_mut(field) {
            slot.add(authors, at, value, created);
        }
    }

    /// Takes away from multi-valued field `field` the additions `observed` lists.
    fn remove(&mut self, field: &Field, observed: &[OpId]) {
        if let (Some(slot), created) = self.slot_mut(field) {
            slot.remove(observed, created);
        }
    }

    /// The additions of `value` to multi-valued field `field` a removal must list.
    pub(crate) fn tags_of(&self, field: &Field, value: &Value) -> Vec<OpId> {
        self.slot(field)
            .map(|s| s.tags_of(value, &self.created))
            .unwrap_or_default()
    }

    /// Whether multi-valued field `field` holds `value`.
    pub(crate) fn contains(&self, field: &Field, value: &Value) -> bool {
        self.slot(field).is_some_and(|s| s.contains(value))
    }

    /// The custom single-valued fields, by name.
    pub(crate) fn custom_registers(&self) -> impl Iterator<Item = (&str, &Slot)> {
        self.rare.iter().flat_map(|r| r.custom.named_values())
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
        self.slot(field).and_then(Slot::get)
    }

    pub(crate) fn text(&self, field: &Field) -> String {
        self.text_field(field).map(Text::value).unwrap_or_default()
    }

    pub(crate) fn set_values(&self, field: &Field) -> Vec<Value> {
        self.slot(field)
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

/// Content built from the operations of a whole list, read in order
/// ([`crate::compact::replay`]), its texts built once the list is read: a text's edits
/// are logged as they come (texts borrowed from the list) and the text is built from its
/// log at once ([`TextLog::apply_to`]), which gives the text the edits applied one by
/// one give.
///
/// Only text edits wait: no other operation reads or changes a text, and a text edit
/// applies only if its object exists when it comes, which is checked then.
pub(crate) struct Building<'a> {
    model: Model,
    /// The texts edited, each with its log, in the order first edited.
    logs: Vec<((ObjectId, Field), TextLog<'a>)>,
    /// Where each text's log is in `logs`.
    index: BTreeMap<(ObjectId, Field), usize>,
    /// The log of the text edited last (typing edits one text again and again).
    last: usize,
}

impl<'a> Building<'a> {
    /// Starts from `model`.
    pub(crate) fn new(model: Model) -> Self {
        Building {
            model,
            logs: Vec::new(),
            index: BTreeMap::new(),
            last: 0,
        }
    }

    /// The log of text field `field` of `object`, if a text edit applies there now.
    fn log(&mut self, object: ObjectId, field: Field) -> Option<&mut TextLog<'a>> {
        let again = self
            .logs
            .get(self.last)
            .is_some_and(|((o, f), _)| *o == object && *f == field);
        if !again {
            self.model.text_to_edit(&object, &field)?;
            let key = (object, field);
            self.last = match self.index.get(&key) {
                Some(&at) => at,
                None => {
                    self.logs.push((key.clone(), TextLog::default()));
                    self.index.insert(key, self.logs.len() - 1);
                    self.logs.len() - 1
                }
            };
        }
        self.logs.get_mut(self.last).map(|(_, log)| log)
    }

    /// Applies operation `edit`, with id `at`, by `author`, as [`Model::apply_op`] does
    /// (a text edit is logged).
    pub(crate) fn apply(&mut self, author: MemberId, at: OpId, edit: Edit<'a, '_>) {
        match edit {
            Edit::Insert {
                object,
                field,
                after,
                text,
            } => {
                if let Some(log) = self.log(object, field) {
                    log.insert(after, at, text);
                }
            }
            Edit::Delete {
                object,
                field,
                runs,
            } => {
                if let Some(log) = self.log(object, field) {
                    log.delete(runs);
                }
            }
            Edit::Other(op) => self.model.apply_op(author, at, &op),
        }
    }

    /// The content, every text built.
    pub(crate) fn finish(mut self) -> Model {
        for ((object, field), log) in std::mem::take(&mut self.logs) {
            if let Some(text) = self.model.text_to_edit(&object, &field) {
                log.apply_to(text);
            }
        }
        self.model
    }
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
            Op::Create { .. } | Op::CreateWith { .. } => {
                if let Some(creation) = op.creation() {
                    self.create(at, creation);
                }
            }
            Op::Set {
                object,
                field,
                value,
                pred,
            } => {
                if let Some(o) = self.objects.get_mut(object) {
                    o.write(&mut self.authors, field, at, value, pred);
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
                    o.add(&mut self.authors, field, at, value);
                }
            }
            Op::Remove {
                object,
                field,
                observed,
                ..
            } => {
                if let Some(o) = self.objects.get_mut(object) {
                    o.remove(field, observed);
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
            } => self.delete_text(object, field, runs),
            _ => {}
        }
    }

    /// The text field `field` of `object`, if the object exists and the field is a text:
    /// where a text edit applies (made empty first if it was never edited).
    fn text_to_edit(&mut self, object: &ObjectId, field: &Field) -> Option<&mut Text> {
        self.objects.get_mut(object)?.text_field_mut(field)
    }

    /// Creates the object operation `at` creates, with its first values.
    fn create(&mut self, at: OpId, creation: Creation<'_>) {
        let Creation {
            kind,
            parent,
            values,
            ..
        } = creation;
        let id = ObjectId::derive(at);
        let first = |o: &mut Object, authors: &mut Authors| {
            for (field, value) in values {
                match field.spec().0 {
                    Merge::Register => o.write(authors, field, at, value, &[]),
                    Merge::Set => o.add(authors, field, at, value),
                    // Never given at creation (a valid creation lists none).
                    Merge::Text => {}
                }
            }
        };
        if values.iter().any(|(f, _)| *f == Field::MergedInto) {
            self.merged.insert(id);
        }
        match self.objects.get_mut(&id) {
            // Two creations with one id come only from a forked author: keep the
            // smaller description, whatever the order they arrive in (its parent
            // lists it among its children, the other's does not).
            Some(o) => {
                first(o, &mut self.authors);
                let before = o.parent();
                if (kind, parent) < (o.kind, before) {
                    o.kind = kind;
                    o.set_parent(parent);
                    if let Some(p) = before {
                        if let Some(siblings) = self.children.get_mut(&p) {
                            siblings.retain(|&(_, child)| child != id);
                            if siblings.is_empty() {
                                self.children.remove(&p);
                            }
                        }
                    }
                    self.adopt(parent, at, id);
                }
            }
            None => {
                let mut fresh = Object::new(kind, parent, self.authors.stamp(at));
                first(&mut fresh, &mut self.authors);
                self.objects.insert(id, fresh);
                self.adopt(parent, at, id);
            }
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

    /// Deletes the runs of characters `runs` of a text field.
    fn delete_text(&mut self, object: &ObjectId, field: &Field, runs: &[(OpId, u32)]) {
        if let Some(text) = self.text_to_edit(object, field) {
            text.delete(runs);
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
        if let Some(slot) = self.text_to_edit(object, field) {
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
