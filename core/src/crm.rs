//! The shared CRM: contacts, their pipeline stage, duplicates and merges.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::crdt::Val;
use crate::error::EditError;
use crate::fold::{distance, fold};
use crate::ids::{ContactId, GroupId, MemberId, ObjectId, OpId};
use crate::model::Object;
use crate::object::{ContactKind, EventKind, Field, ObjectKind, Value};
use crate::workspace::Workspace;

/// The stages a new workspace's pipeline starts with.
pub const DEFAULT_PIPELINE: [&str; 7] = [
    "new",
    "contacted",
    "meeting",
    "proposal",
    "negotiation",
    "won",
    "lost",
];

/// A new contact, for [`Workspace::create_contact`].
///
/// ```
/// use cercle::{ContactKind, NewContact};
/// let c = NewContact::new("Patrick Martin")
///     .kind(ContactKind::BusinessAngel)
///     .organisation("Juste à temps")
///     .email("patrick@example.org")
///     .tag("convivialité");
/// assert_eq!(c.display_name(), "Patrick Martin");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewContact {
    fields: Vec<(Field, Value)>,
    sets: Vec<(Field, Value)>,
    notes: String,
    groups: Vec<GroupId>,
    display_name: String,
}

impl NewContact {
    /// A contact shown as `display_name`.
    pub fn new(display_name: impl Into<String>) -> Self {
        let display_name = display_name.into();
        NewContact {
            fields: vec![(Field::DisplayName, Value::Text(display_name.clone()))],
            display_name,
            ..NewContact::default()
        }
    }

    fn with(mut self, field: Field, value: Value) -> Self {
        self.fields.retain(|(f, _)| *f != field);
        self.fields.push((field, value));
        self
    }

    fn with_item(mut self, field: Field, value: Value) -> Self {
        self.sets.push((field, value));
        self
    }

    /// The given name.
    pub fn given_name(self, v: impl Into<String>) -> Self {
        self.with(Field::GivenName, Value::Text(v.into()))
    }
    /// The family name.
    pub fn family_name(self, v: impl Into<String>) -> Self {
        self.with(Field::FamilyName, Value::Text(v.into()))
    }
    /// The kind of contact.
    pub fn kind(self, v: ContactKind) -> Self {
        self.with(Field::ContactKind, Value::ContactKind(v))
    }
    /// The organisation.
    pub fn organisation(self, v: impl Into<String>) -> Self {
        self.with(Field::Organisation, Value::Text(v.into()))
    }
    /// The job title.
    pub fn job_title(self, v: impl Into<String>) -> Self {
        self.with(Field::JobTitle, Value::Text(v.into()))
    }
    /// The postal address.
    pub fn address(self, v: impl Into<String>) -> Self {
        self.with(Field::Address, Value::Text(v.into()))
    }
    /// The pipeline stage (default: the pipeline's first).
    pub fn stage(self, v: impl Into<String>) -> Self {
        self.with(Field::Stage, Value::Text(v.into()))
    }
    /// The member who owns the contact.
    pub fn owner(self, v: MemberId) -> Self {
        self.with(Field::Owner, Value::Member(v))
    }
    /// A custom field.
    pub fn custom(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.with(Field::Custom(name.into()), Value::Text(value.into()))
    }
    /// One more email address.
    pub fn email(self, v: impl Into<String>) -> Self {
        self.with_item(Field::Emails, Value::Text(v.into()))
    }
    /// One more phone number.
    pub fn phone(self, v: impl Into<String>) -> Self {
        self.with_item(Field::Phones, Value::Text(v.into()))
    }
    /// One more web link.
    pub fn link(self, v: impl Into<String>) -> Self {
        self.with_item(Field::Links, Value::Text(v.into()))
    }
    /// One more tag.
    pub fn tag(self, v: impl Into<String>) -> Self {
        self.with_item(Field::Tags, Value::Text(v.into()))
    }
    /// Free notes.
    pub fn notes(mut self, v: impl Into<String>) -> Self {
        self.notes = v.into();
        self
    }
    /// A group the contact is shared with (none: every workspace member).
    pub fn group(mut self, g: GroupId) -> Self {
        self.groups.push(g);
        self
    }
    /// The name shown.
    pub fn display_name(&self) -> &str {
        &self.display_name
    }
}

/// A contact as the workspace shows it (with whatever was merged into it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// Its id.
    pub id: ContactId,
    /// The name shown.
    pub display_name: String,
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Kind.
    pub kind: Option<ContactKind>,
    /// Organisation.
    pub organisation: Option<String>,
    /// Job title.
    pub job_title: Option<String>,
    /// Email addresses.
    pub emails: Vec<String>,
    /// Phone numbers.
    pub phones: Vec<String>,
    /// Web links.
    pub links: Vec<String>,
    /// Postal address.
    pub address: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Pipeline stage.
    pub stage: Option<String>,
    /// The member who owns it.
    pub owner: Option<MemberId>,
    /// The groups it is shared with.
    pub groups: Vec<GroupId>,
    /// Free notes.
    pub notes: String,
    /// Custom fields.
    pub custom: BTreeMap<String, String>,
    /// Archived (kept, out of the default lists).
    pub archived: bool,
    /// The contact it was merged into, if any.
    pub merged_into: Option<ContactId>,
    /// The contacts merged into it.
    pub merged_from: Vec<ContactId>,
    /// Who created it.
    pub created_by: MemberId,
}

/// Which contacts [`Workspace::contacts`] lists. Every criterion set must match.
///
/// ```
/// use cercle::{ContactKind, ContactQuery};
/// let q = ContactQuery::default().kind(ContactKind::Prospect).text("dupont");
/// # let _ = q;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContactQuery {
    kind: Option<ContactKind>,
    stage: Option<String>,
    tag: Option<String>,
    group: Option<GroupId>,
    owner: Option<MemberId>,
    text: Option<String>,
    archived: bool,
}

impl ContactQuery {
    /// Only contacts of this kind.
    pub fn kind(mut self, kind: ContactKind) -> Self {
        self.kind = Some(kind);
        self
    }
    /// Only contacts at this stage.
    pub fn stage(mut self, stage: impl Into<String>) -> Self {
        self.stage = Some(stage.into());
        self
    }
    /// Only contacts with this tag (accent- and case-insensitive).
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = Some(tag.into());
        self
    }
    /// Only contacts shared with this group.
    pub fn group(mut self, group: GroupId) -> Self {
        self.group = Some(group);
        self
    }
    /// Only contacts owned by this member.
    pub fn owner(mut self, owner: MemberId) -> Self {
        self.owner = Some(owner);
        self
    }
    /// Only contacts whose names, organisation, emails, tags or notes contain this text
    /// (accent- and case-insensitive).
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }
    /// Include archived contacts.
    pub fn include_archived(mut self, yes: bool) -> Self {
        self.archived = yes;
        self
    }
}

/// Why two contacts look like duplicates.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DuplicateReason {
    /// The same email address, ignoring case.
    SameEmail(String),
    /// The same phone number, ignoring punctuation.
    SamePhone(String),
    /// Nearly the same name at the same organisation.
    SimilarName,
}

/// A likely pair of duplicate contacts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duplicate {
    /// The older contact.
    pub a: ContactId,
    /// The newer contact.
    pub b: ContactId,
    /// Why they look alike.
    pub reason: DuplicateReason,
}

fn normalize_email(e: &str) -> String {
    e.trim().to_lowercase()
}

fn normalize_phone(p: &str) -> String {
    let plus = p.trim_start().starts_with('+');
    let digits: String = p.chars().filter(char::is_ascii_digit).collect();
    if plus {
        format!("+{digits}")
    } else {
        digits
    }
}

impl Workspace {
    fn contact_object(&self, id: &ObjectId) -> Result<&Object, EditError> {
        match self.object(id) {
            Some(o) if o.kind == ObjectKind::Contact => Ok(o),
            _ => Err(EditError::NoSuchObject {
                id: *id,
                what: "contact",
            }),
        }
    }

    /// The pipeline of stages (the default one until an admin changes it).
    pub fn pipeline(&self) -> Vec<String> {
        if self.model.pipeline.at.is_none() {
            return DEFAULT_PIPELINE.iter().map(|s| s.to_string()).collect();
        }
        self.model.pipeline.value.clone()
    }

    /// Replaces the pipeline of stages (owners and admins).
    pub fn set_pipeline<S: AsRef<str>>(&mut self, stages: &[S]) -> Result<(), EditError> {
        let stages: Vec<String> = stages
            .iter()
            .map(|s| s.as_ref().trim().to_string())
            .collect();
        if stages.iter().any(String::is_empty) {
            return Err(EditError::Invalid("a stage name must not be empty".into()));
        }
        self.edit(crate::op::Op::SetPipeline { stages }).map(drop)
    }

    fn check_stage(&self, stage: &str) -> Result<(), EditError> {
        if self.pipeline().iter().any(|s| s == stage) {
            Ok(())
        } else {
            Err(EditError::Invalid(format!(
                "`{stage}` is not a stage of the pipeline ({})",
                self.pipeline().join(", ")
            )))
        }
    }

    /// Creates a contact. Its stage defaults to the pipeline's first.
    pub fn create_contact(&mut self, contact: NewContact) -> Result<ContactId, EditError> {
        crate::workspace::check_name_pub("a contact's name", &contact.display_name)?;
        let stage = contact
            .fields
            .iter()
            .find(|(f, _)| *f == Field::Stage)
            .and_then(|(_, v)| v.as_text().map(str::to_string));
        if let Some(s) = &stage {
            self.check_stage(s)?;
        }
        let mut values = contact.fields;
        if stage.is_none() {
            if let Some(first) = self.pipeline().first() {
                values.push((Field::Stage, Value::Text(first.clone())));
            }
        }
        values.extend(contact.sets);
        let id = self.create_object(ObjectKind::Contact, None, contact.groups, values)?;
        if !contact.notes.is_empty() {
            self.set_text(id, Field::Notes, &contact.notes)?;
        }
        Ok(id.into())
    }

    /// Moves a contact to another stage and records the change (an "évolution") as a
    /// status-change event on its timeline, with the stages before and after.
    ///
    /// ```
    /// use cercle::{EventKind, Identity, NewContact, Workspace};
    /// let mut ws = Workspace::create(Identity::from_secret_bytes([1; 32]), "Juste à temps");
    /// let c = ws.create_contact(NewContact::new("Ergonomie Services"))?;
    /// ws.set_stage(c, "proposal")?;
    /// let evolution = &ws.timeline(&c)[0];
    /// assert_eq!(evolution.kind, EventKind::StatusChange);
    /// assert_eq!(evolution.to_stage.as_deref(), Some("proposal"));
    /// # Ok::<(), cercle::EditError>(())
    /// ```
    pub fn set_stage(
        &mut self,
        contact: ContactId,
        stage: &str,
    ) -> Result<crate::ids::EventId, EditError> {
        self.check_stage(stage)?;
        let id: ObjectId = contact.into();
        let from = self.contact(&contact).and_then(|c| c.stage);
        self.set_field(id, Field::Stage, Value::Text(stage.to_string()))?;
        let groups = self.shared_with(&id);
        let title = match &from {
            Some(f) => format!("{f} → {stage}"),
            None => format!("→ {stage}"),
        };
        let now =
            chrono::DateTime::from_timestamp_millis(self.clock.now_millis()).unwrap_or_default();
        let mut values = vec![
            (Field::EventKind, Value::EventKind(EventKind::StatusChange)),
            (Field::Title, Value::Text(title)),
        ];
        if let Some(f) = from {
            values.push((Field::FromStage, Value::Text(f)));
        }
        values.extend([
            (Field::ToStage, Value::Text(stage.to_string())),
            (Field::Start, Value::Instant(now.into())),
            (
                Field::EventStatus,
                Value::EventStatus(crate::object::EventStatus::Done),
            ),
        ]);
        let event = self.create_object(ObjectKind::Event, None, groups, values)?;
        self.add_value(event, Field::Contacts, Value::Object(id))?;
        Ok(event.into())
    }

    /// Archives a contact: kept with its history, out of the default lists.
    pub fn archive_contact(&mut self, contact: ContactId) -> Result<(), EditError> {
        self.contact_object(&contact.into())?;
        self.set_field(contact.into(), Field::Archived, Value::Bool(true))
    }

    /// Restores an archived contact.
    pub fn restore_contact(&mut self, contact: ContactId) -> Result<(), EditError> {
        self.contact_object(&contact.into())?;
        self.set_field(contact.into(), Field::Archived, Value::Bool(false))
    }

    /// Merges contact `from` into `into`: from then on `from` reads as part of `into` —
    /// fields and sets combined, its events and comments on `into`'s timeline, and edits
    /// made to `from` concurrently with the merge land on `into`.
    ///
    /// ```
    /// use cercle::{ContactQuery, Identity, NewContact, Workspace};
    /// let mut ws = Workspace::create(Identity::from_secret_bytes([1; 32]), "Juste à temps");
    /// let a = ws.create_contact(NewContact::new("Jean Dupont").email("jean@example.org"))?;
    /// let b = ws.create_contact(NewContact::new("J. Dupont").phone("+33 6 12 34 56 78").email("jean@example.org"))?;
    /// assert_eq!(ws.find_duplicates().len(), 1);
    /// ws.merge_contacts(b, a)?;
    /// let merged = ws.contact(&a).unwrap();
    /// assert_eq!(merged.phones, ["+33 6 12 34 56 78"]);
    /// assert_eq!(ws.contacts(&ContactQuery::default()).len(), 1);
    /// # Ok::<(), cercle::EditError>(())
    /// ```
    pub fn merge_contacts(&mut self, from: ContactId, into: ContactId) -> Result<(), EditError> {
        self.contact_object(&from.into())?;
        self.contact_object(&into.into())?;
        if self.resolve_contact(into.into()) == ObjectId::from(from) {
            return Err(EditError::Invalid(format!(
                "`{into}` is already merged into `{from}`"
            )));
        }
        self.set_field(from.into(), Field::MergedInto, Value::Object(into.into()))
    }

    /// The contact `id` reads as: itself, or the one it was (transitively) merged into.
    /// A cycle of concurrent merges resolves to the smallest id in it.
    pub(crate) fn resolve_contact(&self, id: ObjectId) -> ObjectId {
        // A contact never merged into another reads as itself.
        if !self.model.merged.contains(&id) {
            return id;
        }
        let mut seen = vec![id];
        let mut at = id;
        while let Some(Val::Object(next)) = self.object(&at).and_then(|o| o.val(&Field::MergedInto))
        {
            if seen.contains(next) {
                return seen.iter().copied().min().unwrap_or(id);
            }
            seen.push(*next);
            at = *next;
        }
        at
    }

    /// The contacts that read as `id` (itself first, then those merged into it).
    pub(crate) fn contact_sources(&self, id: ObjectId) -> Vec<ObjectId> {
        let mut out = vec![id];
        for other in &self.model.merged {
            if *other != id && self.resolve_contact(*other) == id {
                out.push(*other);
            }
        }
        out
    }

    /// A contact, with whatever was merged into it.
    pub fn contact(&self, id: &ContactId) -> Option<Contact> {
        let oid: ObjectId = (*id).into();
        let me = self
            .object(&oid)
            .filter(|o| o.kind == ObjectKind::Contact)?;
        let sources: Vec<(ObjectId, &Object)> = self
            .contact_sources(oid)
            .into_iter()
            .filter_map(|s| self.object(&s).map(|o| (s, o)))
            .collect();
        // Single-valued fields: the latest write among the contact and its merged ones.
        let latest = |field: &Field| -> Option<Value> {
            sources
                .iter()
                .filter_map(|(_, o)| o.writes(field).next_back())
                .filter(|(_, v)| !v.is_null())
                .max_by(|(a, _), (b, _)| a.cmp(b))
                .map(|(_, v)| v.to_value())
        };
        let text = |field: &Field| latest(field).and_then(|v| v.as_text().map(str::to_string));
        let union = |field: &Field| -> Vec<String> {
            let set: BTreeSet<String> =
                sources.iter().flat_map(|(_, o)| o.strings(field)).collect();
            set.into_iter().collect()
        };
        let mut custom: BTreeMap<String, (OpId, String)> = BTreeMap::new();
        for (_, o) in &sources {
            for (name, r) in o.custom_registers() {
                let last = r.writes(&o.created).next_back();
                let text = last.and_then(|(at, v)| v.as_text().map(|v| (at.id(), v)));
                if let Some((at, v)) = text {
                    if custom.get(name).is_none_or(|(cur, _)| at > *cur) {
                        custom.insert(name.to_string(), (at, v.to_string()));
                    }
                }
            }
        }
        let notes: Vec<String> = sources
            .iter()
            .map(|(_, o)| o.text(&Field::Notes))
            .filter(|n| !n.is_empty())
            .collect();
        let merged_into = match me.get(&Field::MergedInto) {
            Some(Value::Object(_)) => Some(self.resolve_contact(oid).into()),
            _ => None,
        };
        Some(Contact {
            id: *id,
            display_name: me.str(&Field::DisplayName).unwrap_or_default(),
            given_name: text(&Field::GivenName),
            family_name: text(&Field::FamilyName),
            kind: match latest(&Field::ContactKind) {
                Some(Value::ContactKind(k)) => Some(k),
                _ => None,
            },
            organisation: text(&Field::Organisation),
            job_title: text(&Field::JobTitle),
            emails: union(&Field::Emails),
            phones: union(&Field::Phones),
            links: union(&Field::Links),
            address: text(&Field::Address),
            tags: union(&Field::Tags),
            stage: text(&Field::Stage),
            owner: match latest(&Field::Owner) {
                Some(Value::Member(m)) => Some(m),
                _ => None,
            },
            groups: self.shared_with(&oid),
            notes: notes.join("\n"),
            custom: custom.into_iter().map(|(k, (_, v))| (k, v)).collect(),
            archived: me.flag(&Field::Archived),
            merged_into,
            merged_from: sources.iter().skip(1).map(|(s, _)| (*s).into()).collect(),
            created_by: me.creator(),
        })
    }

    /// The contacts matching `query`, by name (accent- and case-insensitive). Contacts
    /// merged into another are listed as that one.
    pub fn contacts(&self, query: &ContactQuery) -> Vec<Contact> {
        let needle = query.text.as_deref().map(fold);
        let tag = query.tag.as_deref().map(fold);
        let mut out: Vec<Contact> = self
            .model
            .objects
            .iter()
            .filter(|(_, o)| o.kind == ObjectKind::Contact && o.get(&Field::MergedInto).is_none())
            .filter_map(|(id, _)| self.contact(&(*id).into()))
            .filter(|c| query.archived || !c.archived)
            .filter(|c| {
                query
                    .kind
                    .as_ref()
                    .is_none_or(|k| c.kind.as_ref() == Some(k))
            })
            .filter(|c| {
                query
                    .stage
                    .as_ref()
                    .is_none_or(|s| c.stage.as_ref() == Some(s))
            })
            .filter(|c| query.group.is_none_or(|g| c.groups.contains(&g)))
            .filter(|c| query.owner.is_none_or(|m| c.owner == Some(m)))
            .filter(|c| {
                tag.as_ref()
                    .is_none_or(|t| c.tags.iter().any(|x| fold(x) == *t))
            })
            .filter(|c| {
                needle.as_ref().is_none_or(|n| {
                    let hay = [
                        Some(c.display_name.as_str()),
                        c.given_name.as_deref(),
                        c.family_name.as_deref(),
                        c.organisation.as_deref(),
                        Some(c.notes.as_str()),
                    ];
                    hay.iter().flatten().any(|h| fold(h).contains(n.as_str()))
                        || c.emails
                            .iter()
                            .chain(&c.tags)
                            .any(|h| fold(h).contains(n.as_str()))
                })
            })
            .collect();
        // Each key made once (folding a name normalizes it), not at every comparison.
        out.sort_by_cached_key(|c| (crate::fold::collation_key(&c.display_name), c.id));
        out
    }

    /// Pairs of contacts that are likely duplicates: the same email (ignoring case), the
    /// same phone (ignoring punctuation), or nearly the same name at the same organisation.
    pub fn find_duplicates(&self) -> Vec<Duplicate> {
        struct Keys {
            id: ContactId,
            emails: Vec<String>,
            phones: Vec<String>,
            name: String,
            org: String,
        }
        let mut contacts: Vec<(OpId, Contact)> = self
            .model
            .objects
            .iter()
            .filter(|(_, o)| o.kind == ObjectKind::Contact && o.get(&Field::MergedInto).is_none())
            .filter_map(|(id, o)| self.contact(&(*id).into()).map(|c| (o.created.id(), c)))
            .filter(|(_, c)| !c.archived)
            .collect();
        contacts.sort_by_key(|(at, c)| (*at, c.id));
        let keys: Vec<Keys> = contacts
            .iter()
            .map(|(_, c)| Keys {
                id: c.id,
                emails: c
                    .emails
                    .iter()
                    .map(|e| normalize_email(e))
                    .filter(|e| !e.is_empty())
                    .collect(),
                phones: c
                    .phones
                    .iter()
                    .map(|p| normalize_phone(p))
                    .filter(|p| p.len() >= 6)
                    .collect(),
                name: fold(&c.display_name),
                org: c.organisation.as_deref().map(fold).unwrap_or_default(),
            })
            .collect();
        // Candidate pairs share a key (an email, a phone, an organisation and the start or
        // end of a name): no pass over all pairs.
        let mut buckets: BTreeMap<(u8, String), Vec<usize>> = BTreeMap::new();
        for (i, k) in keys.iter().enumerate() {
            for e in &k.emails {
                buckets.entry((0, e.clone())).or_default().push(i);
            }
            for p in &k.phones {
                buckets.entry((1, p.clone())).or_default().push(i);
            }
            // Near-identical names at one organisation share their start or their end.
            let chars: Vec<char> = k.name.chars().collect();
            let start: String = chars.iter().take(3).collect();
            let end: String = chars.iter().skip(chars.len().saturating_sub(3)).collect();
            buckets
                .entry((2, format!("{}|{start}", k.org)))
                .or_default()
                .push(i);
            buckets
                .entry((2, format!("{}|{end}|", k.org)))
                .or_default()
                .push(i);
        }
        let mut pairs: BTreeMap<(usize, usize), DuplicateReason> = BTreeMap::new();
        for ((kind, key), members) in &buckets {
            for (n, &i) in members.iter().enumerate() {
                for &j in members.iter().skip(n + 1) {
                    if i == j {
                        continue;
                    }
                    let reason = match kind {
                        0 => DuplicateReason::SameEmail(key.clone()),
                        1 => DuplicateReason::SamePhone(key.clone()),
                        _ => {
                            let (Some(a), Some(b)) = (keys.get(i), keys.get(j)) else {
                                continue;
                            };
                            let shortest = a.name.chars().count().min(b.name.chars().count());
                            let cap = if shortest > 8 { 2 } else { 1 };
                            if shortest < 5 || distance(&a.name, &b.name, cap) > cap {
                                continue;
                            }
                            DuplicateReason::SimilarName
                        }
                    };
                    let pair = (i.min(j), i.max(j));
                    let better = pairs.get(&pair).is_none_or(|r| reason < *r);
                    if better {
                        pairs.insert(pair, reason);
                    }
                }
            }
        }
        pairs
            .into_iter()
            .filter_map(|((i, j), reason)| {
                Some(Duplicate {
                    a: keys.get(i)?.id,
                    b: keys.get(j)?.id,
                    reason,
                })
            })
            .collect()
    }
}
