//! Small merge-friendly data types, each giving the same result whatever the order the
//! operations are applied in (given that an operation comes after those in its causal
//! past, as the history guarantees).

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::sync::Arc;

mod bulk;

pub(crate) use bulk::TextLog;

use crate::ids::{MemberId, ObjectId, OpId};
use crate::object::{
    Attendee, ContactKind, EntryStatus, EventKind, EventStatus, Field, Instant, KnownField, Value,
};

/// An operation id as the content keeps it: its author is shared with the other ids of
/// that author ([`Authors`]), so it takes 16 bytes instead of 40 (a workspace keeps one
/// for every field of every object). Ordered like [`OpId`]: counter, then author.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Stamp {
    counter: u64,
    author: Arc<MemberId>,
}

impl Stamp {
    pub(crate) fn id(&self) -> OpId {
        OpId {
            counter: self.counter,
            author: *self.author,
        }
    }

    pub(crate) fn author(&self) -> MemberId {
        *self.author
    }

    fn cmp_id(&self, id: &OpId) -> Ordering {
        (self.counter, &*self.author).cmp(&(id.counter, &id.author))
    }

    fn is(&self, id: &OpId) -> bool {
        self.cmp_id(id) == Ordering::Equal
    }
}

/// Member ids held once each, shared by everything that names them (the authors of the
/// content's operation ids, of stored changes, the creators of objects).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Authors(foldhash::HashMap<MemberId, Arc<MemberId>>);

impl Authors {
    /// `member`, held once.
    pub(crate) fn get(&mut self, member: MemberId) -> Arc<MemberId> {
        self.0
            .entry(member)
            .or_insert_with(|| Arc::new(member))
            .clone()
    }

    pub(crate) fn stamp(&mut self, id: OpId) -> Stamp {
        Stamp {
            counter: id.counter,
            author: self.get(id.author),
        }
    }
}

/// A value as the content keeps it: 24 bytes where a [`Value`] takes 40 (a workspace
/// keeps one for every field of every object). Short text (most names, phone numbers,
/// addresses) is kept inline, longer text without spare capacity; the values that hold a
/// member id or a free label, rare, are boxed. Compared like the [`Value`] it stands for
/// ([`Val::view`]), so sets and registers order their values as before.
#[derive(Clone, Debug)]
pub(crate) enum Val {
    Null,
    Short(ShortText),
    Text(Box<str>),
    Bool(bool),
    Object(ObjectId),
    Instant(Instant),
    EventKind(EventKind),
    EventStatus(EventStatus),
    EntryStatus(EntryStatus),
    /// A member, a contact kind or an attendee.
    Boxed(Box<Value>),
}

/// Text of at most [`ShortText::MAX`] bytes, inline: its bytes, then `0xFF` bytes (which
/// UTF-8 never uses) up to the end, so that the length takes no byte of its own.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ShortText {
    bytes: [u8; ShortText::MAX],
}

impl ShortText {
    const MAX: usize = 23;
    const END: u8 = 0xFF;

    fn new(text: &str) -> Option<Self> {
        let mut bytes = [Self::END; Self::MAX];
        bytes
            .get_mut(..text.len())?
            .copy_from_slice(text.as_bytes());
        Some(ShortText { bytes })
    }

    fn as_str(&self) -> &str {
        let len = self
            .bytes
            .iter()
            .position(|&b| b == Self::END)
            .unwrap_or(Self::MAX);
        // Always whole text: it was copied from a `str`.
        let bytes = self.bytes.get(..len).unwrap_or_default();
        std::str::from_utf8(bytes).unwrap_or_default()
    }
}

/// A [`Value`] or a [`Val`] seen the same way, to compare them: the variants of
/// [`Value`], in its order, so that the derived order is [`Value`]'s.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ValueRef<'a> {
    Null,
    Text(&'a str),
    Bool(bool),
    Member(&'a MemberId),
    Object(&'a ObjectId),
    Instant(&'a Instant),
    ContactKind(&'a ContactKind),
    EventKind(EventKind),
    EventStatus(EventStatus),
    EntryStatus(EntryStatus),
    Attendee(&'a Attendee),
}

impl<'a> From<&'a Value> for ValueRef<'a> {
    fn from(v: &'a Value) -> Self {
        match v {
            Value::Null => ValueRef::Null,
            Value::Text(t) => ValueRef::Text(t),
            Value::Bool(b) => ValueRef::Bool(*b),
            Value::Member(m) => ValueRef::Member(m),
            Value::Object(o) => ValueRef::Object(o),
            Value::Instant(i) => ValueRef::Instant(i),
            Value::ContactKind(k) => ValueRef::ContactKind(k),
            Value::EventKind(k) => ValueRef::EventKind(*k),
            Value::EventStatus(s) => ValueRef::EventStatus(*s),
            Value::EntryStatus(s) => ValueRef::EntryStatus(*s),
            Value::Attendee(a) => ValueRef::Attendee(a),
        }
    }
}

impl Val {
    /// The value this stands for, borrowed.
    pub(crate) fn view(&self) -> ValueRef<'_> {
        match self {
            Val::Null => ValueRef::Null,
            Val::Short(t) => ValueRef::Text(t.as_str()),
            Val::Text(t) => ValueRef::Text(t),
            Val::Bool(b) => ValueRef::Bool(*b),
            Val::Object(o) => ValueRef::Object(o),
            Val::Instant(i) => ValueRef::Instant(i),
            Val::EventKind(k) => ValueRef::EventKind(*k),
            Val::EventStatus(s) => ValueRef::EventStatus(*s),
            Val::EntryStatus(s) => ValueRef::EntryStatus(*s),
            Val::Boxed(v) => ValueRef::from(&**v),
        }
    }

    /// The value this stands for.
    pub(crate) fn to_value(&self) -> Value {
        match self {
            Val::Null => Value::Null,
            Val::Short(t) => Value::Text(t.as_str().to_string()),
            Val::Text(t) => Value::Text(t.to_string()),
            Val::Bool(b) => Value::Bool(*b),
            Val::Object(o) => Value::Object(*o),
            Val::Instant(i) => Value::Instant(*i),
            Val::EventKind(k) => Value::EventKind(*k),
            Val::EventStatus(s) => Value::EventStatus(*s),
            Val::EntryStatus(s) => Value::EntryStatus(*s),
            Val::Boxed(v) => (**v).clone(),
        }
    }

    pub(crate) fn as_text(&self) -> Option<&str> {
        match self {
            Val::Short(t) => Some(t.as_str()),
            Val::Text(t) => Some(t),
            _ => None,
        }
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Val::Null)
    }
}

impl From<&Value> for Val {
    fn from(v: &Value) -> Self {
        match v {
            Value::Null => Val::Null,
            Value::Text(t) => {
                ShortText::new(t).map_or_else(|| Val::Text(t.as_str().into()), Val::Short)
            }
            Value::Bool(b) => Val::Bool(*b),
            Value::Object(o) => Val::Object(*o),
            Value::Instant(i) => Val::Instant(*i),
            Value::EventKind(k) => Val::EventKind(*k),
            Value::EventStatus(s) => Val::EventStatus(*s),
            Value::EntryStatus(s) => Val::EntryStatus(*s),
            Value::Member(_) | Value::ContactKind(_) | Value::Attendee(_) => {
                Val::Boxed(Box::new(v.clone()))
            }
        }
    }
}

impl PartialEq for Val {
    fn eq(&self, other: &Self) -> bool {
        self.view() == other.view()
    }
}

impl Eq for Val {}

impl PartialOrd for Val {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Val {
    fn cmp(&self, other: &Self) -> Ordering {
        self.view().cmp(&other.view())
    }
}

/// A small sorted set of distinct elements. Almost every one holds exactly one element
/// (the live write of a register written again, the id it lists as overwritten, the
/// addition of a set's value), kept inline.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum Sorted<T> {
    #[default]
    Empty,
    One(T),
    /// Boxed, so that a register's single write needs no room beside it.
    #[allow(clippy::box_collection)]
    Many(Box<Vec<T>>),
}

impl<T: Ord> Sorted<T> {
    pub(crate) fn as_slice(&self) -> &[T] {
        match self {
            Sorted::Empty => &[],
            Sorted::One(x) => std::slice::from_ref(x),
            Sorted::Many(xs) => xs,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }

    pub(crate) fn retain(&mut self, keep: impl Fn(&T) -> bool) {
        match self {
            Sorted::Empty => {}
            Sorted::One(x) => {
                if !keep(x) {
                    *self = Sorted::Empty;
                }
            }
            Sorted::Many(xs) => {
                xs.retain(keep);
                match xs.len() {
                    0 => *self = Sorted::Empty,
                    1 => {
                        if let Some(x) = xs.pop() {
                            *self = Sorted::One(x);
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    /// Adds an element in its sorted place, unless an equal one is there.
    pub(crate) fn insert(&mut self, x: T) {
        match std::mem::take(self) {
            Sorted::Empty => *self = Sorted::One(x),
            Sorted::One(y) => {
                *self = match x.cmp(&y) {
                    Ordering::Less => Sorted::Many(Box::new(vec![x, y])),
                    Ordering::Equal => Sorted::One(y),
                    Ordering::Greater => Sorted::Many(Box::new(vec![y, x])),
                };
            }
            Sorted::Many(mut xs) => {
                if let Err(at) = xs.binary_search(&x) {
                    xs.insert(at, x);
                }
                *self = Sorted::Many(xs);
            }
        }
    }
}

/// The value of one field of an object: a register if the field is single-valued, an
/// add-wins set if it is multi-valued (the field's merge kind says which; the model never
/// mixes them, and a variant of the other kind reads as empty). One type, so that an
/// object keeps both kinds of fields in one slice.
///
/// A register: the write with the greatest operation id wins; writes made concurrently
/// stay visible as conflicts until a later write (which lists them in its `pred`) replaces
/// them. A set: a removal takes away only the additions its author saw.
///
/// A workspace has one for every field of every object, and almost every one holds a
/// single value given by the object's creation ([`crate::Op::CreateWith`]) that nothing
/// ever overwrote or removed: that case keeps the value alone, inline (24 bytes), its id
/// being the creation's. Anything else (a field written later, written again, concurrent
/// writes, several values, a removal) is boxed. Each state has exactly one form.
///
/// The methods that need an id take `created`, the id of the object's creation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum Slot {
    #[default]
    Empty,
    /// One value, written or added once by the object's creation (its id is `created`),
    /// with nothing listed as overwritten or removed.
    Born(Val),
    /// A register's one live write with another id, nothing listed as overwritten.
    Written(Box<(Stamp, Val)>),
    /// A register in any other state.
    Writes(Box<Writes>),
    /// A set's one value, added once with another id, no removal recorded.
    Added(Box<(Val, Stamp)>),
    /// A set in any other state.
    Tagged(Box<Tagged>),
}

/// A register's live writes, and the ids writes listed as overwritten.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Writes {
    values: Sorted<(Stamp, Val)>,
    /// Every id a write listed as overwritten, sorted, without repeats: an overwritten
    /// write arriving late stays out.
    overwritten: Sorted<Stamp>,
}

impl Writes {
    fn set(&mut self, authors: &mut Authors, id: OpId, value: &Value, pred: &[OpId]) {
        for p in pred {
            if !self.listed(p) {
                self.overwritten.insert(authors.stamp(*p));
            }
        }
        self.values.retain(|(v, _)| !pred.iter().any(|p| v.is(p)));
        if !self.listed(&id) && !self.values.as_slice().iter().any(|(v, _)| v.is(&id)) {
            self.values.insert((authors.stamp(id), Val::from(value)));
        }
    }

    fn listed(&self, id: &OpId) -> bool {
        let overwritten = self.overwritten.as_slice();
        overwritten.binary_search_by(|s| s.cmp_id(id)).is_ok()
    }

    /// The register these writes make, in its one form for them.
    fn into_slot(self: Box<Self>, created: &Stamp) -> Slot {
        if !self.overwritten.is_empty() || self.values.as_slice().len() > 1 {
            return Slot::Writes(self);
        }
        match self.values {
            Sorted::One((stamp, value)) if stamp == *created => Slot::Born(value),
            Sorted::One(write) => Slot::Written(Box::new(write)),
            _ => Slot::Empty,
        }
    }
}

/// The values of a set with the ids of their additions, and the additions removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tagged {
    /// Each value present with the ids of its additions.
    tags: SmallMap<Val, Sorted<Stamp>>,
    /// The additions removals listed, so that one arriving late stays out.
    removed: BTreeSet<OpId>,
}

impl Tagged {
    /// Where `value` is, or would be, among the values present.
    fn find(&self, value: &Value) -> Result<usize, usize> {
        let value = ValueRef::from(value);
        self.tags.find_by(|k| k.view().cmp(&value))
    }

    fn add(&mut self, authors: &mut Authors, id: OpId, value: &Value) {
        if !self.removed.contains(&id) {
            let at = match self.find(value) {
                Ok(at) => at,
                Err(at) => self.tags.insert_at(at, Val::from(value)),
            };
            if let Some(tags) = self.tags.value_at(at) {
                tags.insert(authors.stamp(id));
            }
        }
    }

    /// Takes away the additions `observed` lists, whatever value they added: a removal
    /// listing another value's addition takes that one away too, as it keeps it out if
    /// it arrives later (which only a careless or hostile author causes).
    fn remove(&mut self, observed: &[OpId]) {
        self.removed.extend(observed.iter().copied());
        self.tags.0.retain_mut(|(_, tags)| {
            tags.retain(|t| !observed.iter().any(|o| t.is(o)));
            !tags.is_empty()
        });
    }

    fn tags_of(&self, value: &Value) -> Vec<OpId> {
        self.find(value)
            .ok()
            .and_then(|at| self.tags.value(at))
            .map(|t| t.as_slice().iter().map(Stamp::id).collect())
            .unwrap_or_default()
    }

    /// The set these make, in its one form for them.
    fn into_slot(mut self: Box<Self>, created: &Stamp) -> Slot {
        if !self.removed.is_empty() || self.tags.0.len() > 1 {
            return Slot::Tagged(self);
        }
        match self.tags.0.pop() {
            None => Slot::Empty,
            Some((value, Sorted::One(tag))) if tag == *created => Slot::Born(value),
            Some((value, Sorted::One(tag))) => Slot::Added(Box::new((value, tag))),
            Some(several) => {
                self.tags.0.push(several);
                Slot::Tagged(self)
            }
        }
    }
}

/// A register: single-valued fields.
impl Slot {
    /// Writes `value` with id `id`, replacing the writes listed in `pred`; `authors` holds
    /// the authors of the ids kept.
    pub(crate) fn write(
        &mut self,
        authors: &mut Authors,
        id: OpId,
        value: &Value,
        pred: &[OpId],
        created: &Stamp,
    ) {
        let mut writes = match std::mem::take(self) {
            Slot::Born(value) => Box::new(Writes {
                values: Sorted::One((created.clone(), value)),
                overwritten: Sorted::Empty,
            }),
            Slot::Written(write) => Box::new(Writes {
                values: Sorted::One(*write),
                overwritten: Sorted::Empty,
            }),
            Slot::Writes(writes) => writes,
            // Empty, or (never) a set's.
            _ if pred.is_empty() => {
                *self = if created.is(&id) {
                    Slot::Born(Val::from(value))
                } else {
                    Slot::Written(Box::new((authors.stamp(id), Val::from(value))))
                };
                return;
            }
            _ => Box::default(),
        };
        writes.set(authors, id, value, pred);
        *self = writes.into_slot(created);
    }

    /// The winning value (the greatest id), if any.
    pub(crate) fn get(&self) -> Option<&Val> {
        let value = match self {
            Slot::Born(value) => Some(value),
            Slot::Written(write) => Some(&write.1),
            Slot::Writes(writes) => writes.values.as_slice().last().map(|(_, v)| v),
            Slot::Empty | Slot::Added(_) | Slot::Tagged(_) => None,
        };
        value.filter(|v| !v.is_null())
    }

    /// Every live write, oldest first: more than one when writes were concurrent.
    pub(crate) fn writes<'a>(
        &'a self,
        created: &'a Stamp,
    ) -> impl DoubleEndedIterator<Item = (&'a Stamp, &'a Val)> {
        let (one, many) = match self {
            Slot::Born(value) => (Some((created, value)), &[][..]),
            Slot::Written(write) => (Some((&write.0, &write.1)), &[][..]),
            Slot::Writes(writes) => (None, writes.values.as_slice()),
            Slot::Empty | Slot::Added(_) | Slot::Tagged(_) => (None, &[][..]),
        };
        one.into_iter().chain(many.iter().map(|(s, v)| (s, v)))
    }
}

/// A set: multi-valued fields.
impl Slot {
    /// The same set, boxed.
    fn into_tagged(self, created: &Stamp) -> Box<Tagged> {
        let one = |value, tag| {
            Box::new(Tagged {
                tags: SmallMap(vec![(value, Sorted::One(tag))]),
                removed: BTreeSet::new(),
            })
        };
        match self {
            Slot::Born(value) => one(value, created.clone()),
            Slot::Added(added) => {
                let (value, tag) = *added;
                one(value, tag)
            }
            Slot::Tagged(tagged) => tagged,
            // Empty, or (never) a register's.
            Slot::Empty | Slot::Written(_) | Slot::Writes(_) => Box::default(),
        }
    }

    /// Its one value added once and never removed, with the id of the addition, if it
    /// is that.
    fn single<'a>(&'a self, created: &'a Stamp) -> Option<(&'a Val, &'a Stamp)> {
        match self {
            Slot::Born(value) => Some((value, created)),
            Slot::Added(added) => Some((&added.0, &added.1)),
            _ => None,
        }
    }

    /// Adds `value` with id `id`; `authors` holds the authors of the ids kept.
    pub(crate) fn add(&mut self, authors: &mut Authors, id: OpId, value: &Value, created: &Stamp) {
        match self {
            Slot::Born(_) | Slot::Added(_) | Slot::Tagged(_) => {}
            // Empty, or (never) a register's.
            _ => {
                *self = if created.is(&id) {
                    Slot::Born(Val::from(value))
                } else {
                    Slot::Added(Box::new((Val::from(value), authors.stamp(id))))
                };
                return;
            }
        }
        if self
            .single(created)
            .is_some_and(|(v, tag)| tag.is(&id) && v.view() == ValueRef::from(value))
        {
            return;
        }
        let mut tagged = std::mem::take(self).into_tagged(created);
        tagged.add(authors, id, value);
        *self = tagged.into_slot(created);
    }

    /// Takes away the additions `observed` lists (those of one value, from an honest
    /// author), and keeps out those arriving later.
    pub(crate) fn remove(&mut self, observed: &[OpId], created: &Stamp) {
        if !observed.is_empty() {
            let mut tagged = std::mem::take(self).into_tagged(created);
            tagged.remove(observed);
            *self = tagged.into_slot(created);
        }
    }

    /// The values present, in value order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &Val> {
        let (one, many) = match self {
            Slot::Born(value) => (Some(value), None),
            Slot::Added(added) => (Some(&added.0), None),
            Slot::Tagged(tagged) => (None, Some(tagged.tags.keys())),
            Slot::Empty | Slot::Written(_) | Slot::Writes(_) => (None, None),
        };
        one.into_iter().chain(many.into_iter().flatten())
    }

    /// The additions of `value` a removal must list.
    pub(crate) fn tags_of(&self, value: &Value, created: &Stamp) -> Vec<OpId> {
        match (self, self.single(created)) {
            (_, Some((v, tag))) if v.view() == ValueRef::from(value) => vec![tag.id()],
            (Slot::Tagged(tagged), _) => tagged.tags_of(value),
            _ => Vec::new(),
        }
    }

    pub(crate) fn contains(&self, value: &Value) -> bool {
        match self {
            Slot::Tagged(tagged) => tagged.find(value).is_ok(),
            _ => self.values().any(|v| v.view() == ValueRef::from(value)),
        }
    }
}

/// Makes room for one more element, growing by half rather than doubling from four: most
/// of these vectors hold one or two elements for the life of the workspace.
fn grow_gently<T>(v: &mut Vec<T>) {
    if v.len() == v.capacity() {
        v.reserve_exact((v.len() / 2).max(1));
    }
}

/// The values of an object's known fields of one kind (registers and sets, or texts).
///
/// The fields that have a value are bits of a mask (one per [`KnownField`]), and their
/// values sit in a slice of exactly their number, in field order: a value takes no room
/// for its key (a workspace has one for every field of every object). The slice grows
/// one at a time (an object has at most one value per known field).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Known<V> {
    present: u64,
    values: Box<[V]>,
}

impl<V> Default for Known<V> {
    fn default() -> Self {
        Known {
            present: 0,
            values: Box::default(),
        }
    }
}

impl<V> Known<V> {
    /// Where the value of `field` is, or would be, in the slice.
    fn find(&self, field: KnownField) -> Result<usize, usize> {
        let bit = 1u64 << (field as u8);
        let at = (self.present & (bit - 1)).count_ones() as usize;
        if self.present & bit != 0 {
            Ok(at)
        } else {
            Err(at)
        }
    }

    pub(crate) fn get(&self, field: KnownField) -> Option<&V> {
        self.values.get(self.find(field).ok()?)
    }

    pub(crate) fn get_mut(&mut self, field: KnownField) -> Option<&mut V> {
        let at = self.find(field).ok()?;
        self.values.get_mut(at)
    }

    /// The value of `field`, inserted as the default first if absent (always `Some`).
    pub(crate) fn or_default(&mut self, field: KnownField) -> Option<&mut V>
    where
        V: Default,
    {
        let at = match self.find(field) {
            Ok(at) => at,
            Err(at) => {
                let mut values = Vec::from(std::mem::take(&mut self.values));
                values.reserve_exact(1);
                values.insert(at, V::default());
                self.values = values.into_boxed_slice();
                self.present |= 1u64 << (field as u8);
                at
            }
        };
        self.values.get_mut(at)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// The values of an object's custom fields of one kind, by name.
pub(crate) type Custom<V> = SmallMap<Box<str>, V>;

impl<V> Custom<V> {
    pub(crate) fn named(&self, name: &str) -> Option<&V> {
        self.value(self.find_by(|k| (**k).cmp(name)).ok()?)
    }

    pub(crate) fn named_mut(&mut self, name: &str) -> Option<&mut V> {
        let at = self.find_by(|k| (**k).cmp(name)).ok()?;
        self.value_at(at)
    }

    /// The value of field `name`, inserted as the default first if absent (always `Some`).
    pub(crate) fn named_or_default(&mut self, name: &str) -> Option<&mut V>
    where
        V: Default,
    {
        let at = match self.find_by(|k| (**k).cmp(name)) {
            Ok(at) => at,
            Err(at) => self.insert_at(at, name.into()),
        };
        self.value_at(at)
    }

    /// The fields with their values, by name.
    pub(crate) fn named_values(&self) -> impl Iterator<Item = (&str, &V)> {
        self.iter().map(|(name, v)| (&**name, v))
    }
}

/// The values of an object's fields of one kind, known and custom, by field: the known
/// ones inline, the custom ones (rare) in a box of their own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Fields<V> {
    known: Known<V>,
    custom: Option<Box<Custom<V>>>,
}

impl<V> Default for Fields<V> {
    fn default() -> Self {
        Fields {
            known: Known::default(),
            custom: None,
        }
    }
}

/// The value of `field` among `known` values and `custom` ones (if there are any).
pub(crate) fn value_of<'a, V>(
    known: &'a Known<V>,
    custom: Option<&'a Custom<V>>,
    field: &Field,
) -> Option<&'a V> {
    match (field.known(), field) {
        (Some(known_field), _) => known.get(known_field),
        (None, Field::Custom(name)) => custom?.named(name),
        // Every field but a custom one is known.
        (None, _) => None,
    }
}

/// Like [`value_of`], to change it.
pub(crate) fn value_mut<'a, V>(
    known: &'a mut Known<V>,
    custom: Option<&'a mut Custom<V>>,
    field: &Field,
) -> Option<&'a mut V> {
    match (field.known(), field) {
        (Some(known_field), _) => known.get_mut(known_field),
        (None, Field::Custom(name)) => custom?.named_mut(name),
        (None, _) => None,
    }
}

/// Like [`value_mut`], the value inserted as the default first if absent (always `Some`);
/// `custom` gives the custom values, made first if there are none, only when needed.
pub(crate) fn value_or_default<'a, V: Default>(
    known: &'a mut Known<V>,
    custom: impl FnOnce() -> &'a mut Custom<V>,
    field: &Field,
) -> Option<&'a mut V> {
    match (field.known(), field) {
        (Some(known_field), _) => known.or_default(known_field),
        (None, Field::Custom(name)) => custom().named_or_default(name),
        (None, _) => None,
    }
}

impl<V> Fields<V> {
    pub(crate) fn get(&self, field: &Field) -> Option<&V> {
        value_of(&self.known, self.custom.as_deref(), field)
    }

    pub(crate) fn get_mut(&mut self, field: &Field) -> Option<&mut V> {
        value_mut(&mut self.known, self.custom.as_deref_mut(), field)
    }

    /// The value of `field`, inserted as the default first if absent (always `Some`).
    pub(crate) fn or_default(&mut self, field: &Field) -> Option<&mut V>
    where
        V: Default,
    {
        value_or_default(
            &mut self.known,
            || self.custom.get_or_insert_with(Box::default),
            field,
        )
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.known.is_empty() && self.custom.as_ref().is_none_or(|c| c.is_empty())
    }

    /// How many fields have a value.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.known.values.len() + self.custom.as_ref().map_or(0, |c| c.iter().count())
    }
}

// What a value and a field's slot take, as their docs state it (on 64-bit targets;
// pointers are smaller elsewhere).
#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(std::mem::size_of::<Val>() == 24);
    assert!(std::mem::size_of::<Slot>() == 24);
};

/// A map kept as a vector sorted by key: the few fields of an object in one allocation,
/// where a B-tree would take a node of eleven slots for each map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SmallMap<K, V>(Vec<(K, V)>);

impl<K, V> Default for SmallMap<K, V> {
    fn default() -> Self {
        SmallMap(Vec::new())
    }
}

impl<K, V> SmallMap<K, V> {
    /// Where the key that `probe` compares as equal is, or would be (`probe` orders keys
    /// as the map does).
    fn find_by(&self, probe: impl Fn(&K) -> Ordering) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| probe(k))
    }

    /// Inserts `key` with a default value at `at`, returned (`at` from [`Self::find_by`]).
    fn insert_at(&mut self, at: usize, key: K) -> usize
    where
        V: Default,
    {
        grow_gently(&mut self.0);
        self.0.insert(at, (key, V::default()));
        at
    }

    fn value(&self, at: usize) -> Option<&V> {
        self.0.get(at).map(|(_, v)| v)
    }

    fn value_at(&mut self, at: usize) -> Option<&mut V> {
        self.0.get_mut(at).map(|(_, v)| v)
    }
}

impl<K: Ord, V> SmallMap<K, V> {
    fn find(&self, key: &K) -> Result<usize, usize> {
        self.find_by(|k| k.cmp(key))
    }

    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let at = self.find(key).ok()?;
        self.value_at(at)
    }

    /// The value at `key`, inserted as the default first if absent (always `Some`).
    pub(crate) fn or_default(&mut self, key: &K) -> Option<&mut V>
    where
        K: Clone,
        V: Default,
    {
        let at = match self.find(key) {
            Ok(at) => at,
            Err(at) => self.insert_at(at, key.clone()),
        };
        self.value_at(at)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &K> {
        self.0.iter().map(|(k, _)| k)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

/// Consecutive characters inserted together: ids `counter`, `counter + 1`, ... of one
/// author (named by its number in the text, see [`Writers`]), side by side in the
/// sequence, all visible or all deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    counter: u64,
    len: u32,
    author: u32,
    deleted: bool,
}

impl Span {
    /// The offset in the span of the character with counter `counter` by author number
    /// `author`, if the span holds it.
    fn offset_of(&self, counter: u64, author: u32) -> Option<u32> {
        let k = counter.checked_sub(self.counter)?;
        (k < u64::from(self.len) && author == self.author).then_some(k as u32)
    }

    /// The counter of the character at offset `k`.
    fn counter_at(&self, k: u32) -> u64 {
        self.counter.saturating_add(u64::from(k))
    }

    /// How many of its characters are visible.
    fn visible(&self) -> usize {
        if self.deleted {
            0
        } else {
            self.len as usize
        }
    }

    /// The span `self` followed by `next`, when they make one (same author, ids that
    /// follow on, same state).
    fn joined(&self, next: &Span) -> Option<Span> {
        let follows = self.deleted == next.deleted
            && self.author == next.author
            && self.counter.checked_add(u64::from(self.len)) == Some(next.counter);
        if !follows {
            return None;
        }
        Some(Span {
            len: self.len.checked_add(next.len)?,
            ..*self
        })
    }
}

/// Extends the run `(first, n)` by `take` characters from `id` when `id` follows its last
/// id; returns whether it did.
fn extend_run(run: Option<&mut (OpId, u32)>, id: OpId, take: u32) -> bool {
    match run {
        Some((first, n))
            if first.author == id.author
                && first.counter.checked_add(u64::from(*n)) == Some(id.counter) =>
        {
            *n = n.saturating_add(take);
            true
        }
        _ => false,
    }
}

/// The authors of a text's characters, numbered in the order they first wrote in it
/// (spans and the index name them by number: 4 bytes, not 32), each with the greatest
/// counter among its characters (greater ids are new).
#[derive(Clone, Debug, Default)]
struct Writers {
    by_number: Vec<(MemberId, u64)>,
    /// The numbers, in the order of the authors' ids.
    sorted: Vec<u32>,
}

impl Writers {
    /// Where `author` is or would be in `sorted`.
    fn search(&self, author: &MemberId) -> Result<usize, usize> {
        self.sorted.binary_search_by(|&w| {
            self.by_number
                .get(w as usize)
                .map_or(Ordering::Less, |(m, _)| m.cmp(author))
        })
    }

    /// The number of `author`, if it wrote in the text.
    fn find(&self, author: &MemberId) -> Option<u32> {
        self.search(author)
            .ok()
            .and_then(|at| self.sorted.get(at).copied())
    }

    /// The greatest counter among the characters of `author`, if it wrote in the text.
    fn newest(&self, author: &MemberId) -> Option<u64> {
        let w = self.find(author)?;
        self.by_number.get(w as usize).map(|&(_, newest)| newest)
    }

    /// Records that `author` wrote characters up to counter `newest`: its number, and
    /// whether `newest` is its greatest counter.
    fn note(&mut self, author: MemberId, newest: u64) -> (u32, bool) {
        let w = match self.search(&author) {
            Ok(at) => self.sorted.get(at).copied().unwrap_or(0),
            Err(at) => {
                let w = u32::try_from(self.by_number.len()).unwrap_or(u32::MAX);
                self.by_number.push((author, newest));
                self.sorted.insert(at, w);
                w
            }
        };
        self.raise(w, newest);
        let greatest = self.by_number.get(w as usize).map(|&(_, g)| g);
        (w, greatest == Some(newest))
    }

    /// Raises the greatest counter of author number `w` to `newest`, if it is greater.
    fn raise(&mut self, w: u32, newest: u64) {
        if let Some((_, greatest)) = self.by_number.get_mut(w as usize) {
            *greatest = newest.max(*greatest);
        }
    }

    /// The id of the character at offset `k` of `span`.
    fn id(&self, span: &Span, k: u32) -> OpId {
        OpId {
            counter: span.counter_at(k),
            author: self
                .by_number
                .get(span.author as usize)
                .map_or_else(|| MemberId::from_bytes([0; 32]), |&(m, _)| m),
        }
    }
}

/// The block of ids a counter belongs to in the index of a text: 64 consecutive counters.
fn block(counter: u64) -> u64 {
    counter >> 6
}

/// Visible characters per chunk after a split; a chunk splits when it holds twice as many.
const CHUNK: usize = 256;

/// Spans per chunk after a split; a chunk splits when it holds twice as many.
const SPANS: usize = 32;

/// A stretch of the sequence, with a stable key.
#[derive(Clone, Debug)]
struct Chunk {
    key: u32,
    /// The characters, deleted ones included, as spans.
    spans: Vec<Span>,
    /// The visible characters, in order (deleted characters keep only their ids).
    chars: Vec<char>,
}

impl Chunk {
    /// How many visible characters come before span `si`.
    fn chars_before(&self, si: usize) -> usize {
        self.spans.iter().take(si).map(Span::visible).sum()
    }

    /// Splits span `si` in two at offset `k` (between its `k`-th character and the next).
    fn split_span(&mut self, si: usize, k: u32) {
        let Some(span) = self.spans.get_mut(si) else {
            return;
        };
        if k == 0 || k >= span.len {
            return;
        }
        let right = Span {
            counter: span.counter_at(k),
            len: span.len - k,
            ..*span
        };
        span.len = k;
        self.spans.insert(si + 1, right);
    }

    /// Inserts the first `n` characters of `text` before its `at`-th visible character
    /// (`at` within bounds).
    fn insert_chars(&mut self, at: usize, text: &str, n: usize) {
        if n == 1 {
            if let Some(ch) = text.chars().next() {
                self.chars.insert(at, ch);
            }
            return;
        }
        // Appended, then turned into place: one move of what follows `at`.
        let end = self.chars.len();
        self.chars.reserve(n);
        if text.is_ascii() {
            // One byte a character: copied without decoding.
            self.chars.extend(text.bytes().take(n).map(char::from));
        } else {
            self.chars.extend(text.chars().take(n));
        }
        if let Some(moved) = self.chars.get_mut(at..) {
            moved.rotate_right(moved.len() - (end - at.min(end)));
        }
    }

    /// Whether the chunk has grown past its bounds.
    fn too_big(&self) -> bool {
        self.spans.len() > 2 * SPANS || self.chars.len() > 2 * CHUNK
    }

    /// Takes from the end of the chunk a tail of at most `SPANS` spans and `CHUNK`
    /// visible characters (splitting a span if needed).
    fn cut_tail(&mut self) -> Option<(Vec<Span>, Vec<char>)> {
        let mut si = self.spans.len();
        let mut chars = 0;
        while si > 0 && self.spans.len() - si < SPANS {
            let span = *self.spans.get(si - 1)?;
            if chars + span.visible() > CHUNK {
                if chars < CHUNK {
                    // Keep the first part of the span, take the rest.
                    self.split_span(si - 1, span.len - (CHUNK - chars) as u32);
                    chars = CHUNK;
                }
                break;
            }
            chars += span.visible();
            si -= 1;
        }
        if si == 0 || si >= self.spans.len() {
            return None;
        }
        let spans = self.spans.split_off(si);
        let chars = self.chars.split_off(self.chars.len().checked_sub(chars)?);
        Some((spans, chars))
    }
}

/// The character inserted last into a text, while nothing else has changed since: where
/// it is, so that typing right after it goes straight there.
#[derive(Clone, Copy, Debug)]
struct Tip {
    /// Its chunk and span, which it ends (visible).
    ci: usize,
    si: usize,
    /// The rank after it among its chunk's visible characters, and among the text's.
    at: usize,
    pos: usize,
    /// Its id: the greatest of its author's in the text (the author's newest counter in
    /// `writers` lags behind it while typing goes on, and is brought up to date when the
    /// tip goes), and its author's number.
    id: OpId,
    writer: u32,
}

/// Text that merges character by character (a replicated growable array).
///
/// Every character has an operation id and is inserted after a given character. Among
/// characters inserted after the same one, the greatest id comes first, and a character
/// always has a greater id than the one it follows (ids are Lamport counters), so an
/// insertion skips exactly the characters with greater ids: runs typed concurrently at the
/// same place stay whole, one after the other, never interleaved.
///
/// The sequence (deleted characters included) is kept as spans of characters inserted
/// together, in chunks of 256 visible characters or 32 spans (split past twice as
/// many); an index gives, for every block of 64 consecutive ids of an author, the chunks
/// holding them, and a Fenwick tree of the chunks' visible counts finds the chunk of a
/// position. Typing extends a span, deleting key by key grows a deleted one; the
/// character inserted last is kept as the tip, so that typing right after it goes there
/// without a search. Finding a character or a position costs a hash or logarithmic
/// search plus a pass over one chunk's spans, not a pass over the whole text; splitting a
/// chunk moves the chunks after it. A text can also be built at once from the whole log
/// of its edits ([`TextLog`]), as a loaded list builds its texts. Span and chunk
/// boundaries depend on the editing history but nothing observable does: equality
/// compares the sequences.
#[derive(Clone, Debug, Default)]
pub(crate) struct Text {
    chunks: Vec<Chunk>,
    /// The keys of the chunks holding characters of each block of an author's ids (see
    /// [`block`]); a key may linger after its chunk gave the characters away. Only looked
    /// up, never iterated.
    index: foldhash::HashMap<(u32, u64), Sorted<u32>>,
    /// The authors of the characters, by number.
    writers: Writers,
    /// The position in `chunks` of the chunk with each key.
    position: Vec<u32>,
    /// Fenwick tree (1-based) of the chunks' visible counts.
    tree: Vec<usize>,
    /// The chunk and span of the characters inserted or deleted last (typing inserts
    /// after them, deleting key by key deletes next to them). Only a hint: checked.
    last: Option<(usize, usize)>,
    /// The chunk edited last and how many visible characters precede it (typing edits
    /// the same chunk again: its position is found without the tree).
    cursor: Option<(usize, usize)>,
    /// The character inserted last, while nothing else has changed (see [`Tip`]).
    tip: Option<Tip>,
    next_key: u32,
    visible: usize,
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.visible == other.visible
            && self.ids().eq(other.ids())
            && self.chars().eq(other.chars())
    }
}

impl Eq for Text {}

impl Text {
    /// Every character's id and whether it is deleted, in order.
    fn ids(&self) -> impl Iterator<Item = (OpId, bool)> + '_ {
        let writers = &self.writers;
        self.chunks
            .iter()
            .flat_map(|c| c.spans.iter())
            .flat_map(move |s| (0..s.len).map(move |k| (writers.id(s, k), s.deleted)))
    }

    /// The visible characters, in order.
    fn chars(&self) -> impl Iterator<Item = char> + '_ {
        self.chunks.iter().flat_map(|c| c.chars.iter().copied())
    }

    /// The chunk, span and offset in the span of character `id`.
    fn locate(&self, id: OpId) -> Option<(usize, usize, u32)> {
        self.locate_by(self.writers.find(&id.author)?, id.counter)
    }

    /// The chunk, span and offset in the span of the character with counter `counter` by
    /// author number `author`.
    fn locate_by(&self, author: u32, counter: u64) -> Option<(usize, usize, u32)> {
        if let Some((ci, si)) = self.last {
            let spans = self.chunks.get(ci).map_or(&[][..], |c| &c.spans);
            for s in [si, si + 1, si.wrapping_sub(1)] {
                if let Some(k) = spans
                    .get(s)
                    .and_then(|span| span.offset_of(counter, author))
                {
                    return Some((ci, s, k));
                }
            }
        }
        let keys = self.index.get(&(author, block(counter)))?;
        keys.as_slice().iter().find_map(|key| {
            let ci = *self.position.get(*key as usize)? as usize;
            self.chunks
                .get(ci)?
                .spans
                .iter()
                .enumerate()
                .find_map(|(si, span)| span.offset_of(counter, author).map(|k| (ci, si, k)))
        })
    }

    /// Forgets the tip (something else changes), bringing its author's newest counter up
    /// to date with it.
    fn drop_tip(&mut self) {
        if let Some(tip) = self.tip.take() {
            self.writers.raise(tip.writer, tip.id.counter);
        }
    }

    /// Records that chunk `key` holds the characters of author number `author` with the
    /// counters `first`, ..., `first + len - 1`, except those of block `known` (already
    /// recorded).
    fn register(&mut self, author: u32, first: u64, len: u32, key: u32, known: Option<u64>) {
        let last = first.saturating_add(u64::from(len.max(1) - 1));
        let (from, to) = (block(first), block(last));
        if known == Some(from) && from == to {
            return;
        }
        for b in from..=to {
            if Some(b) != known {
                self.index.entry((author, b)).or_default().insert(key);
            }
        }
    }

    /// Adds `delta` visible characters to the count of chunk `ci` and of the whole text.
    fn add_visible(&mut self, ci: usize, delta: isize) {
        self.visible = self.visible.wrapping_add_signed(delta);
        // The chunk's own count does not move what precedes it.
        let before = match self.cursor {
            Some((c, before)) if c == ci => before,
            _ => self.visible_before(ci),
        };
        self.cursor = Some((ci, before));
        let mut i = ci + 1;
        while let Some(slot) = self.tree.get_mut(i) {
            *slot = slot.wrapping_add_signed(delta);
            i += i & i.wrapping_neg();
        }
    }

    /// Brings the chunk positions and the Fenwick tree up to date after the chunks from
    /// `ci` on changed (split, moved), those before it being as they were: only what
    /// covers the changed chunks is recomputed.
    fn reindex_from(&mut self, ci: usize) {
        self.drop_tip();
        self.last = None;
        self.cursor = self.cursor.filter(|&(c, _)| c <= ci);
        let keys = self.next_key as usize;
        if self.position.len() < keys {
            self.position.resize(keys, 0);
        }
        let n = self.chunks.len();
        self.tree.resize(n + 1, 0);
        for (i, chunk) in self.chunks.iter().enumerate().skip(ci) {
            if let Some(p) = self.position.get_mut(chunk.key as usize) {
                *p = i as u32;
            }
            if let Some(slot) = self.tree.get_mut(i + 1) {
                *slot = chunk.chars.len();
            }
        }
        // Node `i` sums the chunks `i - lowbit(i) .. i` (0-based, end excluded); those
        // past `ci` are rebuilt, each passing its sum to its parent, starting from the
        // nodes before them that they cover (the ones summed for what precedes `ci`).
        let mut k = ci;
        while k > 0 {
            let parent = k + (k & k.wrapping_neg());
            let sum = self.tree.get(k).copied().unwrap_or(0);
            if let Some(slot) = self.tree.get_mut(parent) {
                *slot += sum;
            }
            k -= k & k.wrapping_neg();
        }
        for i in ci + 1..=n {
            let parent = i + (i & i.wrapping_neg());
            let sum = self.tree.get(i).copied().unwrap_or(0);
            if let Some(slot) = self.tree.get_mut(parent) {
                *slot += sum;
            }
        }
    }

    /// A fresh key for a new chunk.
    fn new_key(&mut self) -> u32 {
        let key = self.next_key;
        self.next_key = self.next_key.wrapping_add(1);
        key
    }

    /// How many visible characters the chunks before chunk `ci` hold.
    fn visible_before(&self, ci: usize) -> usize {
        let (mut i, mut sum) = (ci, 0usize);
        while i > 0 {
            sum = sum.wrapping_add(self.tree.get(i).copied().unwrap_or(0));
            i -= i & i.wrapping_neg();
        }
        sum
    }

    /// The chunk holding the `pos`-th visible character, and that character's rank
    /// among the chunk's visible ones.
    fn chunk_at(&self, pos: usize) -> (usize, usize) {
        // The chunk edited last, or one of its neighbours.
        if let Some((ci, before)) = self.cursor {
            let len = |ci: usize| self.chunks.get(ci).map_or(0, |c| c.chars.len());
            let here = len(ci);
            if let Some(rest) = pos.checked_sub(before) {
                if rest < here {
                    return (ci, rest);
                }
                if rest - here < len(ci + 1) {
                    return (ci + 1, rest - here);
                }
            } else if let Some(prev) = ci.checked_sub(1) {
                if let Some(rest) = pos.checked_sub(before - len(prev).min(before)) {
                    return (prev, rest);
                }
            }
        }
        // The last chunk whose preceding chunks hold at most `pos` visible characters.
        let (mut ci, mut rest) = (0usize, pos);
        let mut step = (self.tree.len().max(1)).next_power_of_two();
        while step > 0 {
            if let Some(&sum) = self.tree.get(ci + step) {
                if sum <= rest {
                    ci += step;
                    rest -= sum;
                }
            }
            step /= 2;
        }
        (ci, rest)
    }

    /// The chunk, span and offset in the span of the `pos`-th visible character.
    fn visible_at(&self, pos: usize) -> Option<(usize, usize, u32)> {
        if pos >= self.visible {
            return None;
        }
        let (ci, mut rest) = self.chunk_at(pos);
        for (si, span) in self.chunks.get(ci)?.spans.iter().enumerate() {
            let n = span.visible();
            if rest < n {
                return Some((ci, si, rest as u32));
            }
            rest -= n;
        }
        None
    }

    /// Splits chunk `ci` into chunks within bounds, if it grew past them.
    fn split(&mut self, ci: usize) {
        let mut tails = Vec::new();
        while let Some(chunk) = self.chunks.get_mut(ci).filter(|c| c.too_big()) {
            let Some((spans, chars)) = chunk.cut_tail() else {
                break;
            };
            let key = self.new_key();
            // The block a span ends in is often the one the next span starts in.
            let mut known: Option<(u32, u64)> = None;
            for span in &spans {
                let same = known.filter(|(author, _)| *author == span.author);
                self.register(
                    span.author,
                    span.counter,
                    span.len,
                    key,
                    same.map(|(_, b)| b),
                );
                let last = span.counter_at(span.len.max(1) - 1);
                known = Some((span.author, block(last)));
            }
            tails.push(Chunk { key, spans, chars });
        }
        if !tails.is_empty() {
            let at = (ci + 1).min(self.chunks.len());
            self.chunks.splice(at..at, tails.into_iter().rev());
            self.reindex_from(ci);
        }
    }

    /// Inserts `text` after character `after` (or at the start); its characters take the
    /// ids `first`, `first + 1`, ...
    pub(crate) fn insert(&mut self, after: Option<OpId>, first: OpId, text: &str) {
        self.drop_tip();
        // Where the first character goes: before span `si` of chunk `ci`, or inside it
        // at offset `off`.
        let (mut ci, mut si, mut off) = match after {
            None => (0, 0, 0),
            Some(a) => match self.locate(a) {
                Some((ci, si, k)) => (ci, si, k + 1),
                None => return,
            },
        };
        // Skip the characters with greater ids, across span and chunk boundaries.
        while let Some(chunk) = self.chunks.get(ci) {
            match chunk.spans.get(si) {
                Some(span) if off >= span.len => (si, off) = (si + 1, 0),
                Some(span) if self.writers.id(span, off) > first => (si, off) = (si + 1, 0),
                Some(_) => break,
                None if ci + 1 < self.chunks.len() => (ci, si, off) = (ci + 1, 0, 0),
                None => break,
            }
        }
        if self.chunks.is_empty() {
            let key = self.new_key();
            self.chunks.push(Chunk {
                key,
                spans: Vec::new(),
                chars: Vec::new(),
            });
            self.reindex_from(0);
            (ci, si, off) = (0, 0, 0);
        }
        // The characters not applied yet: a duplicate (from a forked author) ends them.
        let fresh = self
            .writers
            .newest(&first.author)
            .is_none_or(|newest| first.counter > newest);
        let n = if fresh {
            // As many as there are ids left after `first`, and at most `u32::MAX`.
            let room = (u64::MAX - first.counter).saturating_add(1);
            let count = (crate::op::char_count(text) as u64).min(room);
            u32::try_from(count).unwrap_or(u32::MAX)
        } else {
            let mut n = 0u32;
            for _ in text.chars() {
                let Some(counter) = first.counter.checked_add(u64::from(n)) else {
                    break;
                };
                let id = OpId {
                    counter,
                    author: first.author,
                };
                if n == u32::MAX || self.locate(id).is_some() {
                    break;
                }
                n += 1;
            }
            n
        };
        if n == 0 {
            return;
        }
        let newest = first.counter.saturating_add(u64::from(n - 1));
        let (writer, is_newest) = self.writers.note(first.author, newest);
        let Some(chunk) = self.chunks.get_mut(ci) else {
            return;
        };
        if off > 0 {
            chunk.split_span(si, off);
            si += 1;
        }
        let at = chunk.chars_before(si).min(chunk.chars.len());
        chunk.insert_chars(at, text, n as usize);
        let new = Span {
            counter: first.counter,
            len: n,
            author: writer,
            deleted: false,
        };
        // Typing: the characters continue the span they follow.
        let extended = si
            .checked_sub(1)
            .and_then(|p| chunk.spans.get_mut(p))
            .and_then(|prev| Some((prev.joined(&new)?, prev)))
            .map(|(joined, prev)| *prev = joined)
            .is_some();
        // The block of the character they follow is recorded for this chunk already.
        let known = if extended {
            si -= 1;
            Some(block(first.counter.saturating_sub(1)))
        } else {
            chunk.spans.insert(si, new);
            None
        };
        let (key, too_big) = (chunk.key, chunk.too_big());
        self.register(writer, first.counter, n, key, known);
        self.last = Some((ci, si));
        self.add_visible(ci, n as isize);
        // `add_visible` just set the cursor to this chunk.
        if let Some((_, before)) = self.cursor.filter(|_| is_newest) {
            self.tip = Some(Tip {
                ci,
                si,
                at: at + n as usize,
                pos: before + at + n as usize,
                id: OpId {
                    counter: newest,
                    author: first.author,
                },
                writer,
            });
        }
        if too_big {
            self.split(ci);
        }
    }

    /// Typing: inserts `text`, its characters taking the ids `first`, `first + 1`, ...,
    /// at visible position `pos` when that is right after the tip and `first` follows the
    /// tip's id, as [`Self::insert`] after the tip would, without looking anything up.
    /// Returns whether it did (if not, nothing changed).
    pub(crate) fn type_at_tip(&mut self, pos: usize, first: OpId, text: &str) -> bool {
        let Some(tip) = self.tip else {
            return false;
        };
        let follows = tip.pos == pos
            && tip.id.author == first.author
            && tip.id.counter.checked_add(1) == Some(first.counter);
        if !follows {
            return false;
        }
        let Some(n) = u32::try_from(crate::op::char_count(text))
            .ok()
            .filter(|&n| n > 0)
        else {
            return false;
        };
        let Some(last) = first.counter.checked_add(u64::from(n - 1)) else {
            return false;
        };
        // An insert after the tip would skip the character that follows it if that one's id
        // were greater (inserted concurrently); then the general way is needed.
        let next = self.chunks.get(tip.ci).and_then(|c| {
            c.spans
                .get(tip.si + 1)
                .or_else(|| self.chunks.get(tip.ci + 1)?.spans.first())
        });
        if next.is_some_and(|s| self.writers.id(s, 0) > first) {
            return false;
        }
        let Some(chunk) = self.chunks.get_mut(tip.ci) else {
            return false;
        };
        let Some(span) = chunk.spans.get_mut(tip.si) else {
            return false;
        };
        let Some(len) = span.len.checked_add(n) else {
            return false;
        };
        // The tip ends its span, visible: a hint checked like any other.
        if span.deleted
            || span.offset_of(tip.id.counter, tip.writer) != Some(span.len - 1)
            || tip.at > chunk.chars.len()
        {
            return false;
        }
        span.len = len;
        chunk.insert_chars(tip.at, text, n as usize);
        let (key, too_big) = (chunk.key, chunk.too_big());
        self.register(
            tip.writer,
            first.counter,
            n,
            key,
            Some(block(tip.id.counter)),
        );
        self.tip = Some(Tip {
            at: tip.at + n as usize,
            pos: tip.pos + n as usize,
            id: OpId {
                counter: last,
                author: first.author,
            },
            ..tip
        });
        self.last = Some((tip.ci, tip.si));
        self.add_visible(tip.ci, n as isize);
        if too_big {
            self.split(tip.ci);
        }
        true
    }

    /// Marks deleted the `take` characters from offset `off` of span `si` of chunk `ci`
    /// (all visible), joining the deleted part with deleted neighbours it continues.
    fn delete_in(&mut self, ci: usize, si: usize, off: u32, take: u32) {
        self.drop_tip();
        let Some(chunk) = self.chunks.get_mut(ci) else {
            return;
        };
        let at = chunk.chars_before(si) + off as usize;
        let end = (at + take as usize).min(chunk.chars.len());
        chunk.chars.drain(at.min(end)..end);
        chunk.split_span(si, off + take);
        chunk.split_span(si, off);
        let mut mi = if off > 0 { si + 1 } else { si };
        if let Some(span) = chunk.spans.get_mut(mi) {
            span.deleted = true;
        }
        let next = chunk.spans.get(mi + 1).copied();
        if let Some(span) = chunk.spans.get_mut(mi) {
            if let Some(joined) = next.and_then(|n| span.joined(&n)) {
                *span = joined;
                chunk.spans.remove(mi + 1);
            }
        }
        let this = chunk.spans.get(mi).copied();
        if let Some(prev) = mi.checked_sub(1).and_then(|p| chunk.spans.get_mut(p)) {
            if let Some(joined) = this.and_then(|t| prev.joined(&t)) {
                *prev = joined;
                chunk.spans.remove(mi);
                mi -= 1;
            }
        }
        self.last = Some((ci, mi));
        self.add_visible(ci, -(take as isize));
    }

    /// Deletes the characters of the runs `(first id, length)`.
    pub(crate) fn delete(&mut self, runs: &[(OpId, u32)]) {
        for &(first, len) in runs {
            // An author who wrote nothing here deleted nothing here.
            let Some(author) = self.writers.find(&first.author) else {
                continue;
            };
            let mut k = 0u32;
            while k < len {
                let Some(counter) = first.counter.checked_add(u64::from(k)) else {
                    break;
                };
                let found = self.locate_by(author, counter).and_then(|(ci, si, off)| {
                    let span = self.chunks.get(ci)?.spans.get(si).copied()?;
                    Some((ci, si, off, span))
                });
                let Some((ci, si, off, span)) = found else {
                    k += 1;
                    continue;
                };
                let take = (len - k).min(span.len - off);
                if span.deleted {
                    self.last = Some((ci, si));
                } else {
                    self.delete_in(ci, si, off, take);
                }
                k += take;
            }
        }
    }

    /// Deletes the visible characters in `pos..pos + len` (as many as there are), and
    /// reports their ids to `deleted` as runs `(first id, length)`, in order, each as long
    /// as it can be: the runs [`Self::runs`] gives, deleted as [`Self::delete`] would.
    pub(crate) fn delete_range(
        &mut self,
        pos: usize,
        len: usize,
        mut deleted: impl FnMut(OpId, u32),
    ) {
        let mut run: Option<(OpId, u32)> = None;
        let mut rest = len;
        while rest > 0 {
            let Some((ci, si, off)) = self.visible_at(pos) else {
                break;
            };
            let Some(span) = self.chunks.get(ci).and_then(|c| c.spans.get(si)) else {
                break;
            };
            let take = (span.len - off).min(u32::try_from(rest).unwrap_or(u32::MAX));
            let id = self.writers.id(span, off);
            self.delete_in(ci, si, off, take);
            rest -= take as usize;
            if !extend_run(run.as_mut(), id, take) {
                if let Some((first, n)) = run.replace((id, take)) {
                    deleted(first, n);
                }
            }
        }
        if let Some((first, n)) = run {
            deleted(first, n);
        }
    }

    /// The visible text.
    pub(crate) fn value(&self) -> String {
        self.chars().collect()
    }

    /// The id of the visible character at `pos` (0-based), if any.
    pub(crate) fn id_at(&self, pos: usize) -> Option<OpId> {
        let (ci, si, off) = self.visible_at(pos)?;
        self.chunks
            .get(ci)?
            .spans
            .get(si)
            .map(|s| self.writers.id(s, off))
    }

    /// The runs of ids of the visible characters in `start..start + len`.
    pub(crate) fn runs(&self, start: usize, len: usize) -> Vec<(OpId, u32)> {
        let mut runs: Vec<(OpId, u32)> = Vec::new();
        let Some((ci, si, mut off)) = self.visible_at(start).filter(|_| len > 0) else {
            return runs;
        };
        let spans = self
            .chunks
            .get(ci)
            .map(|c| c.spans.get(si..).unwrap_or_default())
            .unwrap_or_default()
            .iter()
            .chain(self.chunks.iter().skip(ci + 1).flat_map(|c| c.spans.iter()));
        let mut rest = len;
        for span in spans.filter(|s| !s.deleted) {
            let take = (span.len - off).min(u32::try_from(rest).unwrap_or(u32::MAX));
            let id = self.writers.id(span, off);
            if !extend_run(runs.last_mut(), id, take) {
                runs.push((id, take));
            }
            rest -= take as usize;
            if rest == 0 {
                break;
            }
            off = 0;
        }
        runs
    }

    /// How many visible characters.
    pub(crate) fn len(&self) -> usize {
        self.visible
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::ids::MemberId;
    use proptest::prelude::*;

    struct Char {
        id: OpId,
        ch: char,
        deleted: bool,
    }

    /// The plain sequence the chunked text must behave exactly like.
    #[derive(Default)]
    struct Plain(Vec<Char>);

    impl Plain {
        fn insert(&mut self, after: Option<OpId>, first: OpId, text: &str) {
            let mut pos = match after {
                None => 0,
                Some(a) => match self.0.iter().position(|c| c.id == a) {
                    Some(i) => i + 1,
                    None => return,
                },
            };
            for (k, ch) in text.chars().enumerate() {
                let id = OpId {
                    counter: first.counter + k as u64,
                    author: first.author,
                };
                if self.0.iter().any(|c| c.id == id) {
                    return;
                }
                while self.0.get(pos).is_some_and(|c| c.id > id) {
                    pos += 1;
                }
                self.0.insert(
                    pos,
                    Char {
                        id,
                        ch,
                        deleted: false,
                    },
                );
                pos += 1;
            }
        }

        fn delete(&mut self, runs: &[(OpId, u32)]) {
            for c in &mut self.0 {
                if runs.iter().any(|(f, n)| {
                    c.id.author == f.author
                        && c.id.counter >= f.counter
                        && c.id.counter - f.counter < u64::from(*n)
                }) {
                    c.deleted = true;
                }
            }
        }

        fn visible(&self) -> Vec<&Char> {
            self.0.iter().filter(|c| !c.deleted).collect()
        }
    }

    #[derive(Clone, Debug)]
    enum Edit {
        /// Insert `len` characters after the `after`-th character ever inserted (or at the
        /// start), by author `who`.
        Insert {
            after: Option<usize>,
            who: u8,
            len: usize,
        },
        /// Type `len` characters after the last one inserted, by its author, with the ids
        /// that follow (the way [`Text::type_at_tip`] takes when it can).
        Type { len: usize },
        /// Delete the visible characters `start..start + len` (positions taken modulo),
        /// as a range when `start` is even, else by the runs of their ids.
        Delete { start: usize, len: usize },
        /// Delete the visible character before the last one typed (a backspace).
        Backspace,
        /// Apply again the `k`-th insert (modulo), `extra` characters longer, its ids
        /// starting `back` earlier: a forked author's duplicate, whose new characters (if
        /// any) end at the first already applied.
        Again { k: usize, extra: usize, back: u64 },
    }

    /// Edits of any size, long enough to split chunks by their characters.
    fn edit() -> impl Strategy<Value = Edit> {
        prop_oneof![
            6 => (proptest::option::of(any::<usize>()), 0u8..3, 1usize..300)
                .prop_map(|(after, who, len)| Edit::Insert { after, who, len }),
            2 => (1usize..300).prop_map(|len| Edit::Type { len }),
            2 => (any::<usize>(), 1usize..200).prop_map(|(start, len)| Edit::Delete { start, len }),
            1 => Just(Edit::Backspace),
            1 => (any::<usize>(), 0usize..3, 0u64..3)
                .prop_map(|(k, extra, back)| Edit::Again { k, extra, back }),
        ]
    }

    /// Keystrokes: short inserts, mostly continuing the last one, and short deletes, so
    /// spans split, join and pile up until chunks split by their spans.
    fn keystroke() -> impl Strategy<Value = Edit> {
        prop_oneof![
            6 => (proptest::option::of(any::<usize>()), 0u8..3, 1usize..4)
                .prop_map(|(after, who, len)| Edit::Insert { after, who, len }),
            6 => (1usize..3).prop_map(|len| Edit::Type { len }),
            2 => (any::<usize>(), 1usize..4).prop_map(|(start, len)| Edit::Delete { start, len }),
            3 => Just(Edit::Backspace),
            1 => (any::<usize>(), 0usize..3, 0u64..3)
                .prop_map(|(k, extra, back)| Edit::Again { k, extra, back }),
        ]
    }

    /// The runs of ids of the plain sequence's visible characters in `start..start + len`.
    fn plain_runs(visible: &[&Char], start: usize, len: usize) -> Vec<(OpId, u32)> {
        let mut runs: Vec<(OpId, u32)> = Vec::new();
        for c in visible.iter().skip(start).take(len) {
            match runs.last_mut() {
                Some((first, n))
                    if first.author == c.id.author
                        && first.counter + u64::from(*n) == c.id.counter =>
                {
                    *n += 1
                }
                _ => runs.push((c.id, 1)),
            }
        }
        runs
    }

    /// Replays `edits` on the chunked text and on the plain sequence, checking after each
    /// that they read the same.
    fn replay(edits: Vec<Edit>) -> Result<(), TestCaseError> {
        let mut text = Text::default();
        let mut plain = Plain::default();
        let mut ids: Vec<OpId> = Vec::new();
        let mut inserts: Vec<(Option<OpId>, OpId, usize)> = Vec::new();
        let mut counter = 1u64;
        let letters = |len: usize| -> String {
            (0..len)
                .map(|k| char::from(b'a' + (k % 26) as u8))
                .collect()
        };
        for e in edits {
            let runs = match e {
                Edit::Insert { after, who, len } => {
                    // A quarter of the inserts continue after the last character typed.
                    let after = after.and_then(|a| {
                        if a % 4 == 0 {
                            ids.last().copied()
                        } else {
                            ids.get(a % ids.len().max(1)).copied()
                        }
                    });
                    let first = OpId {
                        counter,
                        author: MemberId::from_bytes([who; 32]),
                    };
                    text.insert(after, first, &letters(len));
                    plain.insert(after, first, &letters(len));
                    for k in 0..len as u64 {
                        ids.push(OpId {
                            counter: counter + k,
                            author: first.author,
                        });
                    }
                    inserts.push((after, first, len));
                    counter += len as u64 + u64::from(who);
                    Vec::new()
                }
                Edit::Type { len } => {
                    let Some(&last) = ids.last() else {
                        continue;
                    };
                    let first = OpId {
                        counter,
                        author: last.author,
                    };
                    // Where the keys are typed: after the last character, if visible.
                    let visible = plain.visible();
                    let Some(pos) = visible.iter().position(|c| c.id == last).map(|p| p + 1) else {
                        continue;
                    };
                    if !text.type_at_tip(pos, first, &letters(len)) {
                        text.insert(Some(last), first, &letters(len));
                    }
                    plain.insert(Some(last), first, &letters(len));
                    for k in 0..len as u64 {
                        ids.push(OpId {
                            counter: counter + k,
                            author: first.author,
                        });
                    }
                    inserts.push((Some(last), first, len));
                    counter += len as u64;
                    Vec::new()
                }
                Edit::Again { k, extra, back } => {
                    if let Some(&(after, first, len)) = inserts.get(k % inserts.len().max(1)) {
                        let first = OpId {
                            counter: first.counter.saturating_sub(back).max(1),
                            ..first
                        };
                        text.insert(after, first, &letters(len + extra));
                        plain.insert(after, first, &letters(len + extra));
                    }
                    Vec::new()
                }
                Edit::Delete { start, len } => {
                    let visible = plain.visible();
                    if visible.is_empty() {
                        continue;
                    }
                    let start_at = start % visible.len();
                    let expected = plain_runs(&visible, start_at, len);
                    if start % 2 == 0 {
                        let mut runs = Vec::new();
                        text.delete_range(start_at, len, |first, n| runs.push((first, n)));
                        prop_assert_eq!(&runs, &expected);
                        plain.delete(&runs);
                        Vec::new()
                    } else {
                        let runs = text.runs(start_at, len);
                        prop_assert_eq!(&runs, &expected);
                        runs
                    }
                }
                Edit::Backspace => {
                    let visible = plain.visible();
                    let typed = ids
                        .last()
                        .and_then(|id| visible.iter().position(|c| c.id == *id));
                    match typed.and_then(|p| p.checked_sub(1)) {
                        Some(p) => text.runs(p, 1),
                        None => continue,
                    }
                }
            };
            text.delete(&runs);
            plain.delete(&runs);
            let visible = plain.visible();
            prop_assert_eq!(text.len(), visible.len());
            prop_assert_eq!(
                text.value(),
                visible.iter().map(|c| c.ch).collect::<String>()
            );
            let every = (visible.len() / 16).max(1);
            for pos in (0..visible.len())
                .step_by(every)
                .chain([visible.len().saturating_sub(1)])
            {
                prop_assert_eq!(text.id_at(pos), visible.get(pos).map(|c| c.id));
            }
        }
        prop_assert!(text.ids().eq(plain.0.iter().map(|c| (c.id, c.deleted))));
        Ok(())
    }

    /// Some operations, with an order to apply them in.
    fn shuffled<T: Clone + std::fmt::Debug>(
        ops: impl Strategy<Value = Vec<T>>,
    ) -> impl Strategy<Value = (Vec<T>, Vec<usize>)> {
        ops.prop_flat_map(|ops| {
            let n = ops.len();
            (Just(ops), Just((0..n).collect::<Vec<_>>()).prop_shuffle())
        })
    }

    /// The id of operation `i` (counter `i + 1`) by author `who`.
    fn op_id(i: usize, who: u8) -> OpId {
        OpId {
            counter: i as u64 + 1,
            author: MemberId::from_bytes([who; 32]),
        }
    }

    /// Concurrent writes to one register: `(author, overwritten)` for write `i` (id
    /// counter `i + 1`), each listing any of the others as overwritten, whether or not it
    /// could have seen them, as a careless or hostile author may.
    fn writes() -> impl Strategy<Value = Vec<(u8, Vec<usize>)>> {
        proptest::collection::vec((0u8..2, proptest::collection::vec(0usize..8, 0..3)), 1..8)
    }

    proptest! {
        /// Law: a register converges whatever the order its writes arrive in, even when a
        /// write lists as overwritten one it was concurrent with (which may then arrive
        /// after it, and must stay out); whether or not its first write is the object's
        /// creation (whose id the register does not keep).
        #[test]
        fn register_converges_in_any_order_even_with_concurrent_overwrites(
            (writes, order) in shuffled(writes()),
            born in any::<bool>(),
        ) {
            let ids: Vec<OpId> = writes.iter().enumerate().map(|(i, (who, _))| op_id(i, *who)).collect();
            let created = if born { ids[0] } else { op_id(100, 9) };
            let apply = |order: &mut dyn Iterator<Item = usize>| {
                let (mut r, mut authors) = (Slot::default(), Authors::default());
                let created = authors.stamp(created);
                for i in order {
                    let (_, pred) = &writes[i];
                    let pred: Vec<OpId> = pred.iter().filter_map(|&p| ids.get(p).copied()).collect();
                    r.write(&mut authors, ids[i], &Value::Text(i.to_string()), &pred, &created);
                }
                r
            };
            let in_order = apply(&mut (0..writes.len()));
            let shuffled = apply(&mut order.into_iter());
            // The same register, down to its form.
            prop_assert_eq!(&in_order, &shuffled);
            // The live writes are exactly those nobody listed.
            let listed: Vec<usize> = writes.iter().flat_map(|(_, p)| p.iter().copied()).collect();
            let live: Vec<OpId> = (0..writes.len())
                .filter(|i| !listed.contains(i))
                .map(|i| ids[i])
                .collect();
            let created = Authors::default().stamp(created);
            let mut got: Vec<OpId> = in_order.writes(&created).map(|(i, _)| i.id()).collect();
            got.sort();
            let mut want = live;
            want.sort();
            prop_assert_eq!(got, want);
        }
    }

    /// Operations on one set: `(author, addition, value, listed)` for operation `i` (id
    /// counter `i + 1`): the addition of `value`, or a removal of it listing operations
    /// as the additions it takes away, whether or not it could have seen them or they
    /// added that value, as a careless or hostile author may.
    fn set_ops() -> impl Strategy<Value = Vec<(u8, bool, u8, Vec<usize>)>> {
        let op = (
            0u8..2,
            any::<bool>(),
            0u8..3,
            proptest::collection::vec(0usize..8, 0..3),
        );
        proptest::collection::vec(op, 1..8)
    }

    proptest! {
        /// Law: a set converges whatever the order its additions and removals arrive in,
        /// down to its form, even when a removal lists additions it could not have seen
        /// or of another value; a value is present exactly when one of its additions is
        /// listed by no removal; whether or not its first operation is the object's
        /// creation (whose id the set does not keep).
        #[test]
        fn set_converges_in_any_order_even_with_unseen_removals(
            (ops, order) in shuffled(set_ops()),
            born in any::<bool>(),
        ) {
            let ids: Vec<OpId> = ops.iter().enumerate().map(|(i, (who, ..))| op_id(i, *who)).collect();
            let created = if born { ids[0] } else { op_id(100, 9) };
            let value = |v: u8| Value::Text(format!("v{v}"));
            let apply = |order: &mut dyn Iterator<Item = usize>| {
                let (mut set, mut authors) = (Slot::default(), Authors::default());
                let created = authors.stamp(created);
                for i in order {
                    let (_, add, v, listed) = &ops[i];
                    if *add {
                        set.add(&mut authors, ids[i], &value(*v), &created);
                    } else {
                        let listed: Vec<OpId> =
                            listed.iter().filter_map(|&l| ids.get(l).copied()).collect();
                        set.remove(&listed, &created);
                    }
                }
                set
            };
            let in_order = apply(&mut (0..ops.len()));
            let shuffled = apply(&mut order.into_iter());
            prop_assert_eq!(&in_order, &shuffled);
            let listed: Vec<usize> = ops
                .iter()
                .filter(|(_, add, ..)| !add)
                .flat_map(|(.., l)| l.iter().copied())
                .collect();
            let mut want: Vec<Value> = (0..ops.len())
                .filter(|&i| ops[i].1 && !listed.contains(&i))
                .map(|i| value(ops[i].2))
                .collect();
            want.sort();
            want.dedup();
            let got: Vec<Value> = in_order.values().map(Val::to_value).collect();
            prop_assert_eq!(got, want);
            for v in 0..3 {
                prop_assert_eq!(in_order.contains(&value(v)), in_order.values().any(|x| x.to_value() == value(v)));
            }
        }
    }

    proptest! {
        /// Law: an object's fields, keyed as the content keys them, hold exactly what a
        /// plain map by field holds after the same writes, known and custom fields alike.
        #[test]
        fn fields_find_what_a_plain_map_holds(
            writes in proptest::collection::vec((crate::strategies::field(), any::<u8>()), 0..24),
            probes in proptest::collection::vec(crate::strategies::field(), 0..8),
        ) {
            let mut fields: Fields<Vec<u8>> = Fields::default();
            let mut plain: std::collections::BTreeMap<Field, Vec<u8>> = Default::default();
            for (field, x) in &writes {
                if let Some(v) = fields.or_default(field) {
                    v.push(*x);
                }
                plain.entry(field.clone()).or_default().push(*x);
            }
            for field in writes.iter().map(|(f, _)| f).chain(&probes) {
                prop_assert_eq!(fields.get(field), plain.get(field));
            }
            prop_assert_eq!(fields.len(), plain.len());
        }
    }

    proptest! {
        /// Law: a value as the content keeps it reads back as the value it was made from,
        /// and kept values compare (equality and order) exactly as the values do; so a
        /// set lists its values in value order and finds each by the value.
        #[test]
        fn kept_values_read_back_and_order_like_values(
            values in proptest::collection::vec(crate::strategies::value(), 1..12)
        ) {
            let kept: Vec<Val> = values.iter().map(Val::from).collect();
            for (v, k) in values.iter().zip(&kept) {
                prop_assert_eq!(&k.to_value(), v);
                prop_assert!(k.view() == ValueRef::from(v));
                for (w, l) in values.iter().zip(&kept) {
                    prop_assert_eq!(k.cmp(l), v.cmp(w));
                    prop_assert_eq!(k == l, v == w);
                }
            }
            let (mut set, mut authors) = (Slot::default(), Authors::default());
            let author = MemberId::from_bytes([1; 32]);
            let created = authors.stamp(OpId { counter: 0, author });
            for (i, v) in values.iter().enumerate() {
                set.add(&mut authors, OpId { counter: i as u64, author }, v, &created);
            }
            let mut want = values.clone();
            want.sort();
            want.dedup();
            let got: Vec<Value> = set.values().map(Val::to_value).collect();
            prop_assert_eq!(got, want);
            for v in &values {
                prop_assert!(set.contains(v));
            }
        }
    }

    proptest! {
        /// Law: a stamp reads back as the id it was made from, and stamps compare exactly
        /// as their ids do (counter, then author), whichever author was interned first.
        #[test]
        fn stamps_read_back_and_order_like_their_ids(
            ids in proptest::collection::vec((0u64..4, 0u8..4), 1..12)
        ) {
            let ids: Vec<OpId> = ids
                .into_iter()
                .map(|(counter, who)| OpId { counter, author: MemberId::from_bytes([who; 32]) })
                .collect();
            let mut authors = Authors::default();
            let stamps: Vec<Stamp> = ids.iter().rev().map(|id| authors.stamp(*id)).rev().collect();
            for (a, sa) in ids.iter().zip(&stamps) {
                prop_assert_eq!(sa.id(), *a);
                for (b, sb) in ids.iter().zip(&stamps) {
                    prop_assert_eq!(sa.cmp(sb), a.cmp(b));
                    prop_assert_eq!(sa.cmp_id(b), a.cmp(b));
                }
            }
        }
    }

    proptest! {
        /// Law: `Sorted` reads exactly as a sorted, deduplicated vector under any sequence
        /// of insertions and removals (the inline forms change nothing observable).
        #[test]
        fn sorted_reads_as_a_sorted_deduplicated_vector(
            steps in proptest::collection::vec((any::<bool>(), 0u8..6), 0..40),
        ) {
            let mut small: Sorted<u8> = Sorted::default();
            let mut plain: Vec<u8> = Vec::new();
            for (add, x) in steps {
                if add {
                    small.insert(x);
                    if let Err(at) = plain.binary_search(&x) {
                        plain.insert(at, x);
                    }
                } else {
                    small.retain(|y| *y != x);
                    plain.retain(|y| *y != x);
                }
                prop_assert_eq!(small.as_slice(), plain.as_slice());
                prop_assert_eq!(small.is_empty(), plain.is_empty());
                // One element is always kept inline.
                prop_assert_eq!(matches!(small, Sorted::One(_)), plain.len() == 1);
            }
        }
    }

    /// Typing goes straight to the tip only right after it, with the id that follows it,
    /// and not once something else has changed the text.
    #[test]
    fn typing_goes_to_the_tip_only_when_it_follows_it() {
        let a = MemberId::from_bytes([1; 32]);
        let id = |counter| OpId { counter, author: a };
        let mut text = Text::default();
        text.insert(None, id(1), "ab");
        assert!(!text.type_at_tip(1, id(3), "x"), "not after the tip");
        assert!(!text.type_at_tip(2, id(4), "x"), "not the id that follows");
        assert!(!text.type_at_tip(2, id(3), ""), "nothing to type");
        assert!(text.type_at_tip(2, id(3), "cd"));
        assert!(text.type_at_tip(4, id(5), "e"));
        assert_eq!(text.value(), "abcde");
        assert_eq!(text.runs(0, 5), [(id(1), 5)]);
        text.delete(&[(id(5), 1)]);
        assert!(!text.type_at_tip(4, id(6), "f"), "a delete moved the text");
        // Long enough typing splits chunks; the tip survives in the right place or goes.
        text.insert(Some(id(4)), id(6), "f");
        let mut typed = 0;
        for k in 0..1000u64 {
            let pos = text.len();
            if text.type_at_tip(pos, id(7 + k), "g") {
                typed += 1;
            } else {
                text.insert(text.id_at(pos - 1), id(7 + k), "g");
            }
        }
        assert!(typed > 990, "{typed}");
        assert_eq!(text.value(), format!("abcdf{}", "g".repeat(1000)));
    }

    proptest! {
        /// Law: the chunked text is observably the plain sequence — same visible text, same
        /// ids at every position, same runs — whatever the inserts (long enough to split
        /// chunks, concurrent authors, skipped greater ids, forked duplicates) and deletes.
        #[test]
        fn chunked_text_behaves_exactly_like_the_plain_sequence(
            edits in proptest::collection::vec(edit(), 1..40)
        ) {
            replay(edits)?;
        }

        /// Law: the same under keystrokes — one or a few characters typed or deleted at a
        /// time, backspaces — long enough for spans to pile up and chunks to split by them.
        #[test]
        fn chunked_text_behaves_like_the_plain_sequence_under_keystrokes(
            edits in proptest::collection::vec(keystroke(), 1..600)
        ) {
            replay(edits)?;
        }
    }
}
