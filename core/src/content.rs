//! Editing content field by field: the generic layer under contacts, events and glossaries.

use crate::error::EditError;
use crate::ids::{GroupId, ObjectId, OpId};
use crate::model::Object;
use crate::object::{Field, Merge, ObjectKind, Value};
use crate::op::Op;
use crate::workspace::Workspace;

/// The most characters one text field holds.
pub(crate) const MAX_TEXT_CHARS: usize = 1_000_000;

impl Workspace {
    pub(crate) fn object(&self, id: &ObjectId) -> Option<&Object> {
        self.model.objects.get(id)
    }

    fn object_of(&self, id: &ObjectId, field: &Field, merge: Merge) -> Result<&Object, EditError> {
        let o = self.object(id).ok_or_else(|| no_such_object(id))?;
        check_field(o, field, merge)?;
        Ok(o)
    }

    /// Creates an object with first values for its fields, in one operation: a
    /// single-valued field given twice keeps the last value, a value given twice to a
    /// multi-valued field is added once. Nothing changes on error.
    pub(crate) fn create_object(
        &mut self,
        kind: ObjectKind,
        parent: Option<ObjectId>,
        groups: Vec<GroupId>,
        values: Vec<(Field, Value)>,
    ) -> Result<ObjectId, EditError> {
        let mut first: Vec<(Field, Value)> = Vec::with_capacity(values.len());
        for (field, value) in values {
            let merge = field.spec().0;
            if merge == Merge::Text {
                return Err(EditError::Invalid(format!(
                    "{field:?} is a text field: its text is inserted"
                )));
            }
            check_field_of(kind, &field, merge)?;
            check_length(&field, &value)?;
            let given = first
                .iter_mut()
                .find(|(f, v)| *f == field && (merge == Merge::Register || *v == value));
            match given {
                Some((_, v)) => *v = value,
                None => first.push((field, value)),
            }
        }
        let op = if first.is_empty() {
            Op::Create {
                kind,
                parent,
                groups,
            }
        } else {
            Op::CreateWith {
                kind,
                parent,
                groups,
                values: first,
            }
        };
        self.edit(op).map(ObjectId::derive)
    }

    /// Sets a single-valued field; the value replaces every value the copy shows,
    /// concurrent ones included.
    pub fn set_field(
        &mut self,
        object: ObjectId,
        field: Field,
        value: Value,
    ) -> Result<(), EditError> {
        let o = self.object_of(&object, &field, Merge::Register)?;
        let pred = o.heads(&field);
        check_length(&field, &value)?;
        self.edit(Op::Set {
            object,
            field,
            value,
            pred,
        })
        .map(drop)
    }

    /// Adds a value to a multi-valued field (add-wins: a concurrent removal does not undo it).
    pub fn add_value(
        &mut self,
        object: ObjectId,
        field: Field,
        value: Value,
    ) -> Result<(), EditError> {
        let o = self.object_of(&object, &field, Merge::Set)?;
        if o.contains(&field, &value) {
            return Ok(());
        }
        self.edit(Op::Add {
            object,
            field,
            value,
        })
        .map(drop)
    }

    /// Removes a value from a multi-valued field (what this copy has seen of it).
    pub fn remove_value(
        &mut self,
        object: ObjectId,
        field: Field,
        value: Value,
    ) -> Result<(), EditError> {
        let o = self.object_of(&object, &field, Merge::Set)?;
        let observed = o.tags_of(&field, &value);
        if observed.is_empty() {
            return Ok(());
        }
        self.edit(Op::Remove {
            object,
            field,
            value,
            observed,
        })
        .map(drop)
    }

    /// Replaces `delete` characters at position `pos` of a text field with `insert`.
    /// Positions count characters (Unicode scalar values), never bytes.
    ///
    /// ```
    /// use cercle::{Field, Identity, NewContact, Workspace};
    /// let mut ws = Workspace::create(Identity::from_secret_bytes([1; 32]), "Juste à temps");
    /// let c = ws.create_contact(NewContact::new("Élodie").notes("née à Lyon"))?;
    /// ws.splice_text(c.into(), Field::Notes, 5, 0, " en été")?;
    /// assert_eq!(ws.text(&c.into(), &Field::Notes), "née à en été Lyon");
    /// assert!(ws.splice_text(c.into(), Field::Notes, 99, 0, "x").is_err());
    /// # Ok::<(), cercle::EditError>(())
    /// ```
    pub fn splice_text(
        &mut self,
        object: ObjectId,
        field: Field,
        pos: usize,
        delete: usize,
        insert: &str,
    ) -> Result<(), EditError> {
        let author = self.member_id();
        let o = self.model.objects.get_mut(&object);
        let o = o.ok_or_else(|| no_such_object(&object))?;
        check_field(o, &field, Merge::Text)?;
        let mut text = o.text_field_edit(&field);
        let len = text.as_ref().map_or(0, |t| t.len());
        if pos > len || delete > len - pos {
            return Err(EditError::Invalid(format!(
                "range {pos}..{} is outside the text ({len} characters)",
                pos.saturating_add(delete)
            )));
        }
        // Counting the inserted characters is needed only when the text could grow too long.
        if len - delete + insert.len() > MAX_TEXT_CHARS
            && len - delete + insert.chars().count() > MAX_TEXT_CHARS
        {
            return Err(EditError::Invalid(format!(
                "{field:?} would be longer than {MAX_TEXT_CHARS} characters"
            )));
        }
        // The open change edited this text last: the edit needs no check, and deleting key
        // by key or typing on extends its last operation.
        let open = self
            .open
            .as_mut()
            .filter(|o| o.edited_last(&object, &field));
        if let (Some(open), Some(text)) = (open, text.as_deref_mut()) {
            if delete > 0 {
                open.delete(text, object, &field, pos, delete);
            }
            if insert.is_empty() {
                return Ok(());
            }
            // Typing right after the character typed last: straight there.
            let typing = open.typing(&object, &field, author);
            if typing.is_some_and(|at| text.type_at_tip(pos, at, insert)) {
                open.extend_typing(insert);
                return Ok(());
            }
            // Typing on after the text moved, or inserting elsewhere in it.
            let after = pos.checked_sub(1).and_then(|p| text.id_at(p));
            let previous = typing.map(|at| OpId {
                counter: at.counter.wrapping_sub(1),
                author,
            });
            if let Some(at) = typing.filter(|_| after.is_some() && after == previous) {
                text.insert(after, at, insert);
                open.extend_typing(insert);
                return Ok(());
            }
            return self
                .edit(Op::Insert {
                    object,
                    field,
                    after,
                    text: insert.to_string(),
                })
                .map(drop);
        }
        let (runs, after) = match text.as_deref() {
            Some(text) => (
                text.runs(pos, delete),
                // The character an insert follows (a delete alone needs none).
                if insert.is_empty() {
                    None
                } else {
                    pos.checked_sub(1).and_then(|p| text.id_at(p))
                },
            ),
            None => (Vec::new(), None),
        };
        if !runs.is_empty() {
            self.edit(Op::Delete {
                object,
                field: field.clone(),
                runs,
            })?;
        }
        if !insert.is_empty() {
            self.edit(Op::Insert {
                object,
                field,
                after,
                text: insert.to_string(),
            })?;
        }
        Ok(())
    }

    /// Sets a text field to `value` by editing only what differs (so concurrent edits
    /// elsewhere in the text survive).
    pub fn set_text(
        &mut self,
        object: ObjectId,
        field: Field,
        value: &str,
    ) -> Result<(), EditError> {
        let current: Vec<char> = self.text(&object, &field).chars().collect();
        let new: Vec<char> = value.chars().collect();
        let prefix = current.iter().zip(&new).take_while(|(a, b)| a == b).count();
        let suffix = current
            .iter()
            .skip(prefix)
            .rev()
            .zip(new.iter().skip(prefix).rev())
            .take_while(|(a, b)| a == b)
            .count();
        let insert: String = new
            .get(prefix..new.len() - suffix)
            .unwrap_or_default()
            .iter()
            .collect();
        self.splice_text(
            object,
            field,
            prefix,
            current.len() - prefix - suffix,
            &insert,
        )
    }

    /// The value of a text field ("" when unset or unknown).
    pub fn text(&self, object: &ObjectId, field: &Field) -> String {
        self.object(object)
            .map(|o| o.text(field))
            .unwrap_or_default()
    }

    /// The value of a single-valued field.
    pub fn field(&self, object: &ObjectId, field: &Field) -> Option<Value> {
        self.object(object).and_then(|o| o.get(field))
    }

    /// Every value a single-valued field holds: more than one when concurrent writes have
    /// not been resolved by a later one. The first is the oldest; the shown value is the last.
    ///
    /// ```
    /// use cercle::{Field, Identity, NewContact, Role, Value, Workspace};
    /// let mut a = Workspace::create(Identity::from_secret_bytes([1; 32]), "Juste à temps");
    /// a.add_member(Identity::from_secret_bytes([2; 32]).member_id(), Role::Member)?;
    /// let c = a.create_contact(NewContact::new("Client"))?.into();
    /// let mut b = Workspace::load(Identity::from_secret_bytes([2; 32]), &a.save())?;
    /// a.set_field(c, Field::Organisation, Value::Text("ACME".into()))?;
    /// b.set_field(c, Field::Organisation, Value::Text("Acme SA".into()))?;
    /// b.commit();
    /// a.merge(&b)?;
    /// assert_eq!(a.conflicts(&c, &Field::Organisation).len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn conflicts(&self, object: &ObjectId, field: &Field) -> Vec<(OpId, Value)> {
        self.object(object)
            .map(|o| {
                o.writes(field)
                    .map(|(at, v)| (at.id(), v.to_value()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Shares an object (a contact, an event or a glossary) with one more group.
    pub fn share(&mut self, object: ObjectId, group: GroupId) -> Result<(), EditError> {
        self.edit(Op::Share { object, group }).map(drop)
    }

    /// Stops sharing an object with a group.
    pub fn unshare(&mut self, object: ObjectId, group: GroupId) -> Result<(), EditError> {
        self.edit(Op::Unshare { object, group }).map(drop)
    }

    /// The groups an object is shared with (for nested objects, those of their root).
    pub fn shared_with(&self, object: &ObjectId) -> Vec<GroupId> {
        self.authority.object_groups(object)
    }
}

fn no_such_object(id: &ObjectId) -> EditError {
    EditError::NoSuchObject {
        id: *id,
        what: "object",
    }
}

/// Checks that `field` is a field of `o`'s kind, merged by `merge`.
fn check_field(o: &Object, field: &Field, merge: Merge) -> Result<(), EditError> {
    check_field_of(o.kind, field, merge)
}

/// Checks that `field` is a field of objects of kind `kind`, merged by `merge`.
fn check_field_of(kind: ObjectKind, field: &Field, merge: Merge) -> Result<(), EditError> {
    let (m, kinds) = field.spec();
    if m != merge || !kinds.contains(&kind) {
        return Err(EditError::Invalid(format!(
            "{field:?} is not a {} field of a {}",
            merge.describe(),
            crate::acl::kind_name(kind)
        )));
    }
    Ok(())
}

/// Checks that a text value is not longer than a field takes.
fn check_length(field: &Field, value: &Value) -> Result<(), EditError> {
    match value {
        Value::Text(t) if t.chars().count() > crate::workspace::MAX_TEXT => {
            Err(EditError::Invalid(format!(
                "{field:?} is longer than {} characters",
                crate::workspace::MAX_TEXT
            )))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use crate::{
        EditError, EntryStatus, EventKind, Field, Identity, NewEntry, NewEvent, NewGroup,
        ObjectKind, Op, Role, Value, Workspace,
    };

    /// A creation refused for one of its first values leaves the copy as it was: the
    /// next creation takes the id it would have taken, and is made.
    #[test]
    fn a_creation_refused_for_a_first_value_leaves_nothing_behind() {
        let member_key = Identity::from_secret_bytes([2; 32]);
        let mut owner = Workspace::create(Identity::from_secret_bytes([1; 32]), "w");
        owner
            .add_member(member_key.member_id(), Role::Member)
            .unwrap();
        let hub = owner.create_group(NewGroup::new("hub")).unwrap();
        let glossary = owner.create_glossary(hub, "g", "fr", "").unwrap();
        owner.commit();
        let mut member = Workspace::load(member_key, &owner.save()).unwrap();
        member.join_group(hub).unwrap();
        // Only the group's leads approve an entry.
        let approved = vec![
            (Field::Term, Value::Text("Été".into())),
            (
                Field::EntryStatus,
                Value::EntryStatus(EntryStatus::Approved),
            ),
        ];
        let parent = Some(glossary.into());
        let refused = member.create_object(ObjectKind::Entry, parent, Vec::new(), approved);
        assert!(matches!(refused, Err(EditError::Denied(_))), "{refused:?}");
        member.add_entry(glossary, NewEntry::new("Été")).unwrap();
        assert_eq!(member.entries(&glossary).len(), 1);
    }

    /// Typing key by key makes one insert, backspacing key by key one delete, typing on
    /// after a jump a new insert; the copy shows what the keys typed.
    #[test]
    fn keystrokes_gather_into_one_operation_per_run() {
        let mut ws = Workspace::create(Identity::from_secret_bytes([1; 32]), "w");
        let c = ws.create_contact(crate::NewContact::new("Élodie")).unwrap();
        ws.commit();
        let notes = |ws: &Workspace| ws.text(&c.into(), &Field::Notes);
        for (k, ch) in "abcdef".chars().enumerate() {
            ws.splice_text(c.into(), Field::Notes, k, 0, &ch.to_string())
                .unwrap();
        }
        for k in (4..6).rev() {
            ws.splice_text(c.into(), Field::Notes, k, 1, "").unwrap();
        }
        // Forward deletes at the start join the same delete.
        ws.splice_text(c.into(), Field::Notes, 0, 1, "").unwrap();
        ws.splice_text(c.into(), Field::Notes, 0, 1, "").unwrap();
        assert_eq!(notes(&ws), "cd");
        for (k, ch) in "xy".chars().enumerate() {
            ws.splice_text(c.into(), Field::Notes, 1 + k, 0, &ch.to_string())
                .unwrap();
        }
        assert_eq!(notes(&ws), "cxyd");
        let hash = ws.commit().unwrap();
        let ops = ws.change(&hash).unwrap().ops;
        let shapes: Vec<String> = ops
            .iter()
            .map(|op| match op {
                Op::Insert { text, .. } => format!("insert {text}"),
                Op::Delete { runs, .. } => format!(
                    "delete {:?}",
                    runs.iter().map(|(_, n)| *n).collect::<Vec<_>>()
                ),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(shapes, ["insert abcdef", "delete [2, 2]", "insert xy"]);
        let fresh = Workspace::load(Identity::from_secret_bytes([2; 32]), &ws.save()).unwrap();
        assert_eq!(notes(&fresh), "cxyd");
    }

    /// An event refused for one of its values is not made at all.
    #[test]
    fn an_event_refused_for_a_value_is_not_made() {
        let mut ws = Workspace::create(Identity::from_secret_bytes([1; 32]), "w");
        let long = "x".repeat(crate::workspace::MAX_TEXT + 1);
        let event = NewEvent::new(EventKind::Meeting, "Catalogue").location(long);
        assert!(matches!(ws.create_event(event), Err(EditError::Invalid(_))));
        assert!(ws.events().is_empty());
        ws.commit();
        assert_eq!(ws.changes().len(), 1, "only the genesis");
    }
}
