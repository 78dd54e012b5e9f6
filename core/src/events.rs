//! Timeline events and meetings: agenda, attendees with explicit roles, decisions.
//!
//! Transparency is built in: an event has no hidden recipients. Its audience is every
//! attendee plus every member of the groups it is shared with, and whoever sees the event
//! sees that whole audience.

use std::collections::BTreeSet;

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use crate::crdt::Val;
use crate::error::EditError;
use crate::ids::{ContactId, EventId, GroupId, ItemId, MemberId, ObjectId, OpId};
use crate::model::Object;
use crate::object::{
    Attendee, AttendeeRole, EventKind, EventStatus, Field, ObjectKind, Party, Value,
};
use crate::workspace::Workspace;

/// A new event, for [`Workspace::create_event`].
///
/// ```
/// use cercle::{AttendeeRole, EventKind, Identity, NewEvent, Party};
/// let claire = Identity::from_secret_bytes([2; 32]).member_id();
/// let e = NewEvent::new(EventKind::Meeting, "Catalogue 2010")
///     .start("2010-03-01T10:00:00+01:00".parse().unwrap())
///     .attendee(Party::Member(claire), AttendeeRole::Chair)
///     .agenda_item("suppliers for the spring");
/// assert_eq!(e.title(), "Catalogue 2010");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    kind: EventKind,
    title: String,
    start: Option<DateTime<FixedOffset>>,
    end: Option<DateTime<FixedOffset>>,
    location: Option<String>,
    contacts: Vec<ContactId>,
    groups: Vec<GroupId>,
    attendees: Vec<Attendee>,
    agenda: Vec<String>,
    notes: String,
    status: EventStatus,
}

impl NewEvent {
    /// A planned event of `kind` titled `title`.
    pub fn new(kind: EventKind, title: impl Into<String>) -> Self {
        NewEvent {
            kind,
            title: title.into(),
            start: None,
            end: None,
            location: None,
            contacts: Vec::new(),
            groups: Vec::new(),
            attendees: Vec::new(),
            agenda: Vec::new(),
            notes: String::new(),
            status: EventStatus::Planned,
        }
    }
    /// When it starts, with its time-zone offset.
    pub fn start(mut self, at: DateTime<FixedOffset>) -> Self {
        self.start = Some(at);
        self
    }
    /// When it ends.
    pub fn end(mut self, at: DateTime<FixedOffset>) -> Self {
        self.end = Some(at);
        self
    }
    /// Where.
    pub fn location(mut self, place: impl Into<String>) -> Self {
        self.location = Some(place.into());
        self
    }
    /// A contact it concerns (an event may concern several).
    pub fn contact(mut self, c: ContactId) -> Self {
        self.contacts.push(c);
        self
    }
    /// A group it is shared with.
    pub fn group(mut self, g: GroupId) -> Self {
        self.groups.push(g);
        self
    }
    /// An attendee (a member or a contact) with their role.
    pub fn attendee(mut self, party: Party, role: AttendeeRole) -> Self {
        self.attendees.retain(|a| a.party != party);
        self.attendees.push(Attendee { party, role });
        self
    }
    /// An item of the agenda, in order.
    pub fn agenda_item(mut self, text: impl Into<String>) -> Self {
        self.agenda.push(text.into());
        self
    }
    /// Notes.
    pub fn notes(mut self, text: impl Into<String>) -> Self {
        self.notes = text.into();
        self
    }
    /// The status (default: planned).
    pub fn status(mut self, status: EventStatus) -> Self {
        self.status = status;
        self
    }
    /// The title.
    pub fn title(&self) -> &str {
        &self.title
    }
}

/// An agenda item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgendaItem {
    /// Its id.
    pub id: ItemId,
    /// What is to be discussed.
    pub text: String,
}

/// A decision recorded on an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Its id.
    pub id: ItemId,
    /// What was decided.
    pub text: String,
    /// When.
    #[serde(with = "crate::dynamic::time::option")]
    pub decided_at: Option<DateTime<FixedOffset>>,
    /// Who decided.
    pub decided_by: Vec<MemberId>,
}

/// An event as the workspace shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Its id.
    pub id: EventId,
    /// Kind.
    pub kind: EventKind,
    /// Title.
    pub title: String,
    /// Notes.
    pub notes: String,
    /// Start, with its offset.
    #[serde(with = "crate::dynamic::time::option")]
    pub start: Option<DateTime<FixedOffset>>,
    /// End, with its offset.
    #[serde(with = "crate::dynamic::time::option")]
    pub end: Option<DateTime<FixedOffset>>,
    /// Where.
    pub location: Option<String>,
    /// The contacts it concerns (as they read now, after merges).
    pub contacts: Vec<ContactId>,
    /// The groups it is shared with.
    pub groups: Vec<GroupId>,
    /// The attendees with their roles.
    pub attendees: Vec<Attendee>,
    /// The agenda, in order.
    pub agenda: Vec<AgendaItem>,
    /// The decisions, in the order recorded.
    pub decisions: Vec<Decision>,
    /// Status.
    pub status: EventStatus,
    /// Retracted by its author (kept in the history).
    pub retracted: bool,
    /// For a status change: the stage before.
    pub from_stage: Option<String>,
    /// For a status change: the stage after.
    pub to_stage: Option<String>,
    /// Who recorded it.
    pub created_by: MemberId,
}

fn instant(o: &Object, f: &Field) -> Option<DateTime<FixedOffset>> {
    match o.get(f) {
        Some(Value::Instant(i)) => i.to_datetime(),
        _ => None,
    }
}

impl Workspace {
    fn event_object(&self, id: &ObjectId) -> Result<&Object, EditError> {
        match self.object(id) {
            Some(o) if o.kind == ObjectKind::Event => Ok(o),
            _ => Err(EditError::NoSuchObject {
                id: *id,
                what: "event",
            }),
        }
    }

    /// Records an event: a meeting, a call, an email, a note, a decision or a task.
    pub fn create_event(&mut self, event: NewEvent) -> Result<EventId, EditError> {
        crate::workspace::check_name_pub("an event's title", &event.title)?;
        for c in &event.contacts {
            match self.object(&(*c).into()) {
                Some(o) if o.kind == ObjectKind::Contact => {}
                _ => {
                    return Err(EditError::Invalid(format!(
                        "no contact `{c}` in this workspace"
                    )))
                }
            }
        }
        if let (Some(s), Some(e)) = (event.start, event.end) {
            if e < s {
                return Err(EditError::Invalid(
                    "an event cannot end before it starts".into(),
                ));
            }
        }
        let mut values = vec![
            (Field::EventKind, Value::EventKind(event.kind)),
            (Field::Title, Value::Text(event.title)),
            (Field::EventStatus, Value::EventStatus(event.status)),
        ];
        let start = event
            .start
            .map(|s| (Field::Start, Value::Instant(s.into())));
        let end = event.end.map(|e| (Field::End, Value::Instant(e.into())));
        let location = event.location.map(|l| (Field::Location, Value::Text(l)));
        values.extend(start.into_iter().chain(end).chain(location));
        let contacts = event.contacts.into_iter();
        values.extend(contacts.map(|c| (Field::Contacts, Value::Object(c.into()))));
        let attendees = event.attendees.into_iter();
        values.extend(attendees.map(|a| (Field::Attendees, Value::Attendee(a))));
        let id = self.create_object(ObjectKind::Event, None, event.groups, values)?;
        for item in event.agenda {
            self.add_agenda_item(id.into(), &item)?;
        }
        if !event.notes.is_empty() {
            self.set_text(id, Field::Notes, &event.notes)?;
        }
        Ok(id.into())
    }

    fn add_item(
        &mut self,
        event: EventId,
        kind: ObjectKind,
        text: &str,
    ) -> Result<ObjectId, EditError> {
        self.event_object(&event.into())?;
        crate::workspace::check_name_pub("an item's text", text)?;
        let id = self.create_object(kind, Some(event.into()), Vec::new(), Vec::new())?;
        self.set_text(id, Field::Text, text)?;
        Ok(id)
    }

    /// Adds an item to an event's agenda.
    pub fn add_agenda_item(&mut self, event: EventId, text: &str) -> Result<ItemId, EditError> {
        self.add_item(event, ObjectKind::AgendaItem, text)
            .map(Into::into)
    }

    /// Records a decision on an event: what, when, and who decided.
    pub fn record_decision(
        &mut self,
        event: EventId,
        text: &str,
        decided_at: DateTime<FixedOffset>,
        decided_by: &[MemberId],
    ) -> Result<ItemId, EditError> {
        let id = self.add_item(event, ObjectKind::Decision, text)?;
        self.set_field(id, Field::DecidedAt, Value::Instant(decided_at.into()))?;
        for m in decided_by {
            self.add_value(id, Field::DecidedBy, Value::Member(*m))?;
        }
        Ok(id.into())
    }

    /// Sets an event's status.
    pub fn set_event_status(
        &mut self,
        event: EventId,
        status: EventStatus,
    ) -> Result<(), EditError> {
        self.event_object(&event.into())?;
        self.set_field(event.into(), Field::EventStatus, Value::EventStatus(status))
    }

    /// Adds an attendee, or changes their role.
    pub fn set_attendee(
        &mut self,
        event: EventId,
        party: Party,
        role: AttendeeRole,
    ) -> Result<(), EditError> {
        self.remove_attendee(event, party)?;
        self.add_value(
            event.into(),
            Field::Attendees,
            Value::Attendee(Attendee { party, role }),
        )
    }

    /// Removes an attendee.
    pub fn remove_attendee(&mut self, event: EventId, party: Party) -> Result<(), EditError> {
        let o = self.event_object(&event.into())?;
        let current: Vec<Value> = o
            .set_values(&Field::Attendees)
            .into_iter()
            .filter(|v| matches!(v, Value::Attendee(a) if a.party == party))
            .collect();
        for v in current {
            self.remove_value(event.into(), Field::Attendees, v)?;
        }
        Ok(())
    }

    /// Retracts an event (its author, or a lead of its groups): it leaves timelines but
    /// stays in the history.
    pub fn retract_event(&mut self, event: EventId) -> Result<(), EditError> {
        self.event_object(&event.into())?;
        self.set_field(event.into(), Field::Retracted, Value::Bool(true))
    }

    /// An event.
    pub fn event(&self, id: &EventId) -> Option<Event> {
        let oid: ObjectId = (*id).into();
        let o = self.object(&oid).filter(|o| o.kind == ObjectKind::Event)?;
        Some(self.build_event(oid, o))
    }

    /// The event view of object `oid`, `o`.
    fn build_event(&self, oid: ObjectId, o: &Object) -> Event {
        let id: EventId = oid.into();
        let text = |id: &ObjectId| self.text(id, &Field::Text);
        let mut contacts: Vec<ContactId> = o
            .set_values(&Field::Contacts)
            .into_iter()
            .filter_map(|v| match v {
                Value::Object(c) => Some(self.resolve_contact(c).into()),
                _ => None,
            })
            .collect();
        contacts.dedup();
        Event {
            id,
            kind: match o.val(&Field::EventKind) {
                Some(Val::EventKind(k)) => *k,
                _ => EventKind::Note,
            },
            title: o.str(&Field::Title).unwrap_or_default(),
            notes: o.text(&Field::Notes),
            start: instant(o, &Field::Start),
            end: instant(o, &Field::End),
            location: o.str(&Field::Location),
            contacts,
            groups: self.shared_with(&oid),
            attendees: o
                .set_values(&Field::Attendees)
                .into_iter()
                .filter_map(|v| match v {
                    Value::Attendee(a) => Some(a),
                    _ => None,
                })
                .collect(),
            agenda: self
                .model
                .children_of(&oid, ObjectKind::AgendaItem)
                .into_iter()
                .map(|(i, _)| AgendaItem {
                    id: i.into(),
                    text: text(&i),
                })
                .collect(),
            decisions: self
                .model
                .children_of(&oid, ObjectKind::Decision)
                .into_iter()
                .map(|(i, d)| Decision {
                    id: i.into(),
                    text: text(&i),
                    decided_at: instant(d, &Field::DecidedAt),
                    decided_by: d
                        .set_values(&Field::DecidedBy)
                        .into_iter()
                        .filter_map(|v| match v {
                            Value::Member(m) => Some(m),
                            _ => None,
                        })
                        .collect(),
                })
                .collect(),
            status: match o.val(&Field::EventStatus) {
                Some(Val::EventStatus(s)) => *s,
                _ => EventStatus::Planned,
            },
            retracted: o.flag(&Field::Retracted),
            from_stage: o.str(&Field::FromStage),
            to_stage: o.str(&Field::ToStage),
            created_by: o.creator(),
        }
    }

    /// Everyone concerned by an event: its attendees who are members, and every member
    /// of the groups it is shared with. Nobody is hidden; the list is the same on every
    /// copy that has seen the same changes.
    ///
    /// ```
    /// use cercle::{AttendeeRole, EventKind, Identity, NewEvent, NewGroup, Party, Role, Workspace};
    /// let mut ws = Workspace::create(Identity::from_secret_bytes([1; 32]), "Juste à temps");
    /// let guest = Identity::from_secret_bytes([2; 32]).member_id();
    /// ws.add_member(guest, Role::Guest)?;
    /// let g = ws.create_group(NewGroup::new("Catalogue"))?;
    /// let e = ws.create_event(
    ///     NewEvent::new(EventKind::Meeting, "review")
    ///         .group(g)
    ///         .attendee(Party::Member(guest), AttendeeRole::Informed),
    /// )?;
    /// let mut expected = vec![ws.member_id(), guest];
    /// expected.sort();
    /// assert_eq!(ws.audience(&e), expected);
    /// # Ok::<(), cercle::EditError>(())
    /// ```
    pub fn audience(&self, event: &EventId) -> Vec<MemberId> {
        let Some(e) = self.event(event) else {
            return Vec::new();
        };
        let mut out: BTreeSet<MemberId> = e
            .attendees
            .iter()
            .filter_map(|a| match a.party {
                Party::Member(m) => Some(m),
                Party::Contact(_) => None,
            })
            .collect();
        for g in &e.groups {
            out.extend(self.group_members(g).into_iter().map(|m| m.member));
        }
        out.into_iter().filter(|m| self.role(m).is_some()).collect()
    }

    /// The events whose object passes `select` (checked before anything is built) and
    /// whose built form passes `keep`, retracted ones left out, in time order.
    fn events_where(
        &self,
        select: impl Fn(&Object) -> bool,
        keep: impl Fn(&Event) -> bool,
    ) -> Vec<Event> {
        // Time order: start, then creation, then id (unique).
        type Key = (Option<i64>, OpId, ObjectId);
        let out: Vec<(Key, Event)> = self
            .model
            .objects
            .iter()
            .filter(|(_, o)| o.kind == ObjectKind::Event && !o.flag(&Field::Retracted) && select(o))
            .map(|(id, o)| {
                let e = self.build_event(*id, o);
                (
                    (e.start.map(|s| s.timestamp_millis()), o.created.id(), *id),
                    e,
                )
            })
            .filter(|(_, e)| !e.retracted && keep(e))
            .collect();
        // Sort the keys with their positions (keys are unique), then move each event once:
        // sorting the events themselves moves them about twenty times each.
        let mut order: Vec<(Key, usize)> = out
            .iter()
            .enumerate()
            .map(|(at, (key, _))| (*key, at))
            .collect();
        order.sort_unstable();
        let mut slots: Vec<Option<Event>> = out.into_iter().map(|(_, e)| Some(e)).collect();
        order
            .into_iter()
            .filter_map(|(_, at)| slots.get_mut(at).and_then(Option::take))
            .collect()
    }

    /// Every event, retracted ones left out, in time order.
    pub fn events(&self) -> Vec<Event> {
        self.events_where(|_| true, |_| true)
    }

    /// A contact's timeline: every event that concerns it (or a contact merged into it),
    /// in time order, status changes included.
    pub fn timeline(&self, contact: &ContactId) -> Vec<Event> {
        let target = self.resolve_contact((*contact).into());
        // Only the events that name the contact, or a contact merged into it, are built.
        self.events_where(
            |o| {
                o.set_values(&Field::Contacts)
                    .into_iter()
                    .any(|v| matches!(v, Value::Object(c) if self.resolve_contact(c) == target))
            },
            |_| true,
        )
    }

    /// The planned meetings starting at or after `now` whose audience includes `member`.
    pub fn upcoming_meetings(&self, member: &MemberId, now: DateTime<Utc>) -> Vec<Event> {
        self.events_where(
            |o| {
                matches!(
                    o.val(&Field::EventKind),
                    Some(Val::EventKind(EventKind::Meeting))
                )
            },
            |e| {
                e.kind == EventKind::Meeting
                    && e.status == EventStatus::Planned
                    && e.start.is_some_and(|s| s >= now)
                    && self.audience(&e.id).contains(member)
            },
        )
    }
}
