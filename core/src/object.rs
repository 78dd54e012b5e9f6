//! The vocabulary of content: kinds of objects, their fields and the values fields hold.

use std::fmt;

use chrono::{DateTime, FixedOffset, TimeZone};
use serde::{Deserialize, Serialize};

use crate::ids::{MemberId, ObjectId};

/// What an object is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ObjectKind {
    /// A contact of the CRM.
    Contact,
    /// A timeline event.
    Event,
    /// A glossary.
    Glossary,
    /// An entry of a glossary (parent: the glossary).
    Entry,
    /// A sense of an entry (parent: the entry).
    Sense,
    /// An agenda item of an event (parent: the event).
    AgendaItem,
    /// A decision recorded on an event (parent: the event).
    Decision,
    /// A comment (parent: a contact, an event or an entry).
    Comment,
}

impl ObjectKind {
    /// The kinds a parent of this kind may be, or `None` for top-level objects.
    pub(crate) fn parents(self) -> Option<&'static [ObjectKind]> {
        use ObjectKind::*;
        match self {
            Contact | Event | Glossary => None,
            Entry => Some(&[Glossary]),
            Sense => Some(&[Entry]),
            AgendaItem | Decision => Some(&[Event]),
            Comment => Some(&[Contact, Event, Entry]),
        }
    }
}

/// What kind of contact.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ContactKind {
    /// A prospect.
    Prospect,
    /// A business angel.
    BusinessAngel,
    /// A start-up.
    StartUp,
    /// A partner.
    Partner,
    /// A customer.
    Customer,
    /// An investor.
    Investor,
    /// A supplier.
    Supplier,
    /// Anything else, with a free label.
    Other(String),
}

/// What kind of event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum EventKind {
    /// A meeting.
    Meeting,
    /// A phone call.
    Call,
    /// An email.
    Email,
    /// A note.
    Note,
    /// A change of a contact's pipeline stage (an "évolution"), recorded automatically.
    StatusChange,
    /// A decision.
    Decision,
    /// A task.
    Task,
}

/// Where an event stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum EventStatus {
    /// Not happened yet.
    Planned,
    /// Happened.
    Done,
    /// Will not happen.
    Cancelled,
}

/// Where a glossary entry stands in its workflow: members propose, leads decide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum EntryStatus {
    /// Being written.
    Draft,
    /// Submitted to the group's leads.
    Proposed,
    /// Approved by a lead.
    Approved,
    /// Rejected by a lead.
    Rejected,
    /// No longer in use (set by a lead).
    Deprecated,
}

/// How someone takes part in an event. Everyone concerned is listed: there are no hidden
/// recipients.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AttendeeRole {
    /// Chairs the meeting.
    Chair,
    /// Expected to attend.
    Required,
    /// Welcome to attend.
    Optional,
    /// Kept in the loop, not attending.
    Informed,
}

/// Who attends: a member or a contact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Party {
    /// A workspace member.
    Member(MemberId),
    /// A contact of the CRM.
    Contact(ObjectId),
}

text_enum!(ObjectKind, "object kind", {
    Contact => "contact", Event => "event", Glossary => "glossary", Entry => "entry",
    Sense => "sense", AgendaItem => "agenda_item", Decision => "decision", Comment => "comment",
});
text_enum!(EventKind, "event kind", {
    Meeting => "meeting", Call => "call", Email => "email", Note => "note",
    StatusChange => "status_change", Decision => "decision", Task => "task",
});
text_enum!(EventStatus, "event status", {
    Planned => "planned", Done => "done", Cancelled => "cancelled",
});
text_enum!(EntryStatus, "entry status", {
    Draft => "draft", Proposed => "proposed", Approved => "approved", Rejected => "rejected",
    Deprecated => "deprecated",
});
text_enum!(AttendeeRole, "attendee role", {
    Chair => "chair", Required => "required", Optional => "optional", Informed => "informed",
});

const CONTACT_KINDS: [(&str, ContactKind); 7] = [
    ("prospect", ContactKind::Prospect),
    ("business_angel", ContactKind::BusinessAngel),
    ("start_up", ContactKind::StartUp),
    ("partner", ContactKind::Partner),
    ("customer", ContactKind::Customer),
    ("investor", ContactKind::Investor),
    ("supplier", ContactKind::Supplier),
];

impl ContactKind {
    /// The text form: a stable lowercase name (`business_angel`, ...) or the free label
    /// of [`ContactKind::Other`].
    pub fn as_str(&self) -> &str {
        match self {
            ContactKind::Other(label) => label,
            known => CONTACT_KINDS
                .iter()
                .find(|(_, k)| k == known)
                .map_or("", |(name, _)| name),
        }
    }

    /// Reads a text form: a known name gives its kind, any other non-empty label
    /// [`ContactKind::Other`].
    ///
    /// ```
    /// use cercle::ContactKind;
    /// assert_eq!(ContactKind::parse("business_angel")?, ContactKind::BusinessAngel);
    /// assert_eq!(ContactKind::parse("notaire")?, ContactKind::Other("notaire".into()));
    /// assert!(ContactKind::parse("  ").is_err());
    /// # Ok::<(), cercle::EditError>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self, crate::EditError> {
        let text = text.trim();
        if let Some((_, k)) = CONTACT_KINDS.iter().find(|(name, _)| *name == text) {
            return Ok(k.clone());
        }
        crate::workspace::check_name_pub("a contact kind", text).map(ContactKind::Other)
    }
}

impl fmt::Display for ContactKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ContactKind {
    type Err = crate::EditError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ContactKind::parse(s)
    }
}

impl std::str::FromStr for Party {
    type Err = crate::EditError;

    /// A member id (64 hexadecimal digits) or a contact id (32).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = |e: crate::ParseIdError| crate::EditError::Invalid(e.to_string());
        if s.len() == 64 {
            s.parse().map(Party::Member).map_err(invalid)
        } else {
            s.parse().map(Party::Contact).map_err(invalid)
        }
    }
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Party::Member(m) => write!(f, "{m}"),
            Party::Contact(c) => write!(f, "{c}"),
        }
    }
}

/// An attendee of an event, with their role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Attendee {
    /// Who.
    pub party: Party,
    /// Their role.
    pub role: AttendeeRole,
}

/// An instant with the time-zone offset it was given in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Instant {
    /// Milliseconds since the Unix epoch.
    pub millis: i64,
    /// Offset from UTC, in seconds.
    pub offset_seconds: i32,
}

impl Instant {
    /// The instant as a date-time with its offset, if it is representable.
    pub fn to_datetime(self) -> Option<DateTime<FixedOffset>> {
        let offset = FixedOffset::east_opt(self.offset_seconds)?;
        offset.timestamp_millis_opt(self.millis).single()
    }
}

impl<Tz: TimeZone> From<DateTime<Tz>> for Instant {
    fn from(t: DateTime<Tz>) -> Self {
        use chrono::Offset;
        Instant {
            millis: t.timestamp_millis(),
            offset_seconds: t.offset().fix().local_minus_utc(),
        }
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_datetime() {
            Some(t) => write!(f, "{}", t.format("%Y-%m-%d %H:%M %:z")),
            None => write!(f, "{}ms", self.millis),
        }
    }
}

/// A field of an object.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Field {
    /// Contact: the name shown.
    DisplayName,
    /// Contact: given name.
    GivenName,
    /// Contact: family name.
    FamilyName,
    /// Contact: kind.
    ContactKind,
    /// Contact: organisation.
    Organisation,
    /// Contact: job title.
    JobTitle,
    /// Contact: email addresses (a set).
    Emails,
    /// Contact: phone numbers (a set).
    Phones,
    /// Contact: web links (a set).
    Links,
    /// Contact: postal address.
    Address,
    /// Contact, entry: tags (a set).
    Tags,
    /// Contact: pipeline stage.
    Stage,
    /// Contact: the member who owns it.
    Owner,
    /// Contact, event: free notes (text).
    Notes,
    /// Contact: a custom field.
    Custom(String),
    /// Contact: archived or not.
    Archived,
    /// Contact: the contact it was merged into.
    MergedInto,
    /// Event: kind.
    EventKind,
    /// Event: title; glossary: title.
    Title,
    /// Event: start.
    Start,
    /// Event: end.
    End,
    /// Event: location.
    Location,
    /// Event: the contacts it concerns (a set).
    Contacts,
    /// Event: attendees with their roles (a set).
    Attendees,
    /// Event: status.
    EventStatus,
    /// Event, comment: retracted by its author.
    Retracted,
    /// Status change: the stage before.
    FromStage,
    /// Status change: the stage after.
    ToStage,
    /// Glossary: language.
    Language,
    /// Glossary: description (text).
    Description,
    /// Entry: the term.
    Term,
    /// Entry: variants and synonyms (a set).
    Variants,
    /// Entry: related entries (a set).
    SeeAlso,
    /// Entry: sources (a set).
    Sources,
    /// Entry: workflow status.
    EntryStatus,
    /// Sense: the definition (text).
    Definition,
    /// Sense: examples (text).
    Examples,
    /// Comment, agenda item, decision: the text (text).
    Text,
    /// Decision: when it was decided.
    DecidedAt,
    /// Decision: who decided (a set of members).
    DecidedBy,
}

/// Defines the table of the known fields (every field but custom ones) with their text
/// names, and [`KnownField`], their positions in it.
macro_rules! known_fields {
    ($($variant:ident => $name:literal,)*) => {
        const FIELDS: [(&str, Field); [$(stringify!($variant)),*].len()] =
            [$(($name, Field::$variant)),*];

        // The content marks the known fields an object has in a mask of 64 bits.
        const _: () = assert!(FIELDS.len() <= 64);

        /// A known field (any but a custom one) as one byte: the content keys its maps
        /// with it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(u8)]
        pub(crate) enum KnownField {
            $($variant),*
        }

        impl Field {
            /// The field as one byte, unless it is a custom one.
            pub(crate) fn known(&self) -> Option<KnownField> {
                match self {
                    $(Field::$variant => Some(KnownField::$variant),)*
                    Field::Custom(_) => None,
                }
            }
        }
    };
}

known_fields! {
    DisplayName => "display_name",
    GivenName => "given_name",
    FamilyName => "family_name",
    ContactKind => "contact_kind",
    Organisation => "organisation",
    JobTitle => "job_title",
    Emails => "emails",
    Phones => "phones",
    Links => "links",
    Address => "address",
    Tags => "tags",
    Stage => "stage",
    Owner => "owner",
    Notes => "notes",
    Archived => "archived",
    MergedInto => "merged_into",
    EventKind => "event_kind",
    Title => "title",
    Start => "start",
    End => "end",
    Location => "location",
    Contacts => "contacts",
    Attendees => "attendees",
    EventStatus => "event_status",
    Retracted => "retracted",
    FromStage => "from_stage",
    ToStage => "to_stage",
    Language => "language",
    Description => "description",
    Term => "term",
    Variants => "variants",
    SeeAlso => "see_also",
    Sources => "sources",
    EntryStatus => "entry_status",
    Definition => "definition",
    Examples => "examples",
    Text => "text",
    DecidedAt => "decided_at",
    DecidedBy => "decided_by",
}

impl Field {
    /// The text form: the field's lowercase name (`display_name`, `notes`, ...), or
    /// `custom:` followed by the name of a custom field.
    ///
    /// ```
    /// use cercle::Field;
    /// assert_eq!("job_title".parse::<Field>()?, Field::JobTitle);
    /// assert_eq!("custom:siret".parse::<Field>()?, Field::Custom("siret".into()));
    /// assert_eq!(Field::Custom("siret".into()).to_string(), "custom:siret");
    /// assert!("colour".parse::<Field>().is_err());
    /// # Ok::<(), cercle::EditError>(())
    /// ```
    pub fn name(&self) -> std::borrow::Cow<'static, str> {
        match self {
            Field::Custom(name) => format!("custom:{name}").into(),
            known => FIELDS
                .iter()
                .find(|(_, f)| f == known)
                .map_or("", |(name, _)| name)
                .into(),
        }
    }
}

impl Field {
    /// Reads a value for this field from its text form: a kind or status by its name, a
    /// member or object by its id, anything else as text. Booleans and instants have no
    /// text form here; pass them as [`Value::Bool`] and [`Value::Instant`].
    ///
    /// ```
    /// use cercle::{ContactKind, Field, Value};
    /// assert_eq!(Field::ContactKind.parse_value("start_up")?, Value::ContactKind(ContactKind::StartUp));
    /// assert_eq!(Field::Organisation.parse_value("Acme")?, Value::Text("Acme".into()));
    /// assert!(Field::Owner.parse_value("not an id").is_err());
    /// assert!(Field::Archived.parse_value("yes").is_err());
    /// # Ok::<(), cercle::EditError>(())
    /// ```
    pub fn parse_value(&self, text: &str) -> Result<Value, crate::EditError> {
        use crate::EditError::Invalid;
        let id_error = |e: crate::ParseIdError| Invalid(e.to_string());
        Ok(match self {
            Field::ContactKind => Value::ContactKind(text.parse()?),
            Field::EventKind => Value::EventKind(text.parse()?),
            Field::EventStatus => Value::EventStatus(text.parse()?),
            Field::EntryStatus => Value::EntryStatus(text.parse()?),
            Field::Owner | Field::DecidedBy => Value::Member(text.parse().map_err(id_error)?),
            Field::MergedInto | Field::Contacts | Field::SeeAlso => {
                Value::Object(text.parse().map_err(id_error)?)
            }
            Field::Archived
            | Field::Retracted
            | Field::Start
            | Field::End
            | Field::DecidedAt
            | Field::Attendees => {
                return Err(Invalid(format!("{self} does not take text")));
            }
            _ => Value::Text(text.to_string()),
        })
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl std::str::FromStr for Field {
    type Err = crate::EditError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(name) = s.strip_prefix("custom:") {
            return crate::workspace::check_name_pub("a custom field name", name)
                .map(Field::Custom);
        }
        FIELDS
            .iter()
            .find(|(name, _)| *name == s)
            .map(|(_, f)| f.clone())
            .ok_or_else(|| {
                crate::EditError::Invalid(format!(
                    "unknown field `{}` (expected a field name such as `notes`, or `custom:<name>`)",
                    s.chars().take(40).collect::<String>()
                ))
            })
    }
}

/// How a field merges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Merge {
    /// Last writer wins; concurrent values stay inspectable.
    Register,
    /// Add-wins set.
    Set,
    /// Character-level text.
    Text,
}

impl Merge {
    /// What a field merged this way is called in messages.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Merge::Register => "single-valued",
            Merge::Set => "multi-valued",
            Merge::Text => "text",
        }
    }
}

impl Field {
    /// How the field merges, and on which kinds of object it exists.
    pub(crate) fn spec(&self) -> (Merge, &'static [ObjectKind]) {
        use Field::*;
        use ObjectKind as K;
        match self {
            DisplayName | GivenName | FamilyName | ContactKind | Organisation | JobTitle
            | Address | Stage | Owner | Custom(_) | Archived | MergedInto => {
                (Merge::Register, &[K::Contact])
            }
            Emails | Phones | Links => (Merge::Set, &[K::Contact]),
            Tags => (Merge::Set, &[K::Contact, K::Entry]),
            Notes => (Merge::Text, &[K::Contact, K::Event]),
            EventKind | Start | End | Location | EventStatus | FromStage | ToStage => {
                (Merge::Register, &[K::Event])
            }
            Title => (Merge::Register, &[K::Event, K::Glossary]),
            Contacts | Attendees => (Merge::Set, &[K::Event]),
            Retracted => (Merge::Register, &[K::Event, K::Comment]),
            Language => (Merge::Register, &[K::Glossary]),
            Description => (Merge::Text, &[K::Glossary]),
            Term | EntryStatus => (Merge::Register, &[K::Entry]),
            Variants | SeeAlso | Sources => (Merge::Set, &[K::Entry]),
            Definition | Examples => (Merge::Text, &[K::Sense]),
            Text => (Merge::Text, &[K::Comment, K::AgendaItem, K::Decision]),
            DecidedAt => (Merge::Register, &[K::Decision]),
            DecidedBy => (Merge::Set, &[K::Decision]),
        }
    }

    /// Whether `value` fits this field.
    pub(crate) fn accepts(&self, value: &Value) -> bool {
        use Field::*;
        match (self, value) {
            (_, Value::Null) => !matches!(self.spec().0, Merge::Set),
            (
                DisplayName | GivenName | FamilyName | Organisation | JobTitle | Address | Stage
                | Custom(_) | Title | Location | FromStage | ToStage | Language | Term | Emails
                | Phones | Links | Tags | Variants | Sources,
                Value::Text(_),
            ) => true,
            (ContactKind, Value::ContactKind(_)) => true,
            (Owner, Value::Member(_)) | (DecidedBy, Value::Member(_)) => true,
            (Archived | Retracted, Value::Bool(_)) => true,
            (MergedInto | Contacts | SeeAlso, Value::Object(_)) => true,
            (EventKind, Value::EventKind(_)) => true,
            (Start | End | DecidedAt, Value::Instant(_)) => true,
            (Attendees, Value::Attendee(_)) => true,
            (EventStatus, Value::EventStatus(_)) => true,
            (EntryStatus, Value::EntryStatus(_)) => true,
            _ => false,
        }
    }
}

/// A value held by a field.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Value {
    /// No value (a cleared register).
    Null,
    /// Text.
    Text(String),
    /// A yes/no value.
    Bool(bool),
    /// A member.
    Member(MemberId),
    /// Another object.
    Object(ObjectId),
    /// An instant with its offset.
    Instant(Instant),
    /// A kind of contact.
    ContactKind(ContactKind),
    /// A kind of event.
    EventKind(EventKind),
    /// An event status.
    EventStatus(EventStatus),
    /// An entry status.
    EntryStatus(EntryStatus),
    /// An attendee with their role.
    Attendee(Attendee),
}

impl Value {
    /// The text, if the value is text.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }
}
