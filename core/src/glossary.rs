//! Collaborative glossaries: a group co-writes entries, each with senses, links and a
//! workflow in which members propose and leads approve.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::crdt::Val;
use crate::error::EditError;
use crate::fold::{collation_key, fold};
use crate::ids::{EntryId, GlossaryId, GroupId, MemberId, ObjectId, SenseId};
use crate::model::Object;
use crate::object::{EntryStatus, Field, ObjectKind, Value};
use crate::workspace::Workspace;

/// A glossary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Glossary {
    /// Its id.
    pub id: GlossaryId,
    /// The group that writes it (its hub).
    pub group: Option<GroupId>,
    /// Title.
    pub title: String,
    /// Language (a tag such as `fr`).
    pub language: String,
    /// Description.
    pub description: String,
    /// Who created it.
    pub created_by: MemberId,
}

/// A new glossary entry, for [`Workspace::add_entry`].
///
/// ```
/// use cercle::NewEntry;
/// let e = NewEntry::new("Convivialité")
///     .variant("convivial")
///     .definition("Capacité d'une société à favoriser la tolérance et les échanges.", "")
///     .tag("bureau");
/// assert_eq!(e.term(), "Convivialité");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewEntry {
    term: String,
    variants: Vec<String>,
    tags: Vec<String>,
    sources: Vec<String>,
    see_also: Vec<EntryId>,
    senses: Vec<(String, String)>,
}

impl NewEntry {
    /// An entry for `term`.
    pub fn new(term: impl Into<String>) -> Self {
        NewEntry {
            term: term.into(),
            ..NewEntry::default()
        }
    }
    /// A variant or synonym.
    pub fn variant(mut self, v: impl Into<String>) -> Self {
        self.variants.push(v.into());
        self
    }
    /// A tag.
    pub fn tag(mut self, v: impl Into<String>) -> Self {
        self.tags.push(v.into());
        self
    }
    /// A source.
    pub fn source(mut self, v: impl Into<String>) -> Self {
        self.sources.push(v.into());
        self
    }
    /// A related entry.
    pub fn see_also(mut self, e: EntryId) -> Self {
        self.see_also.push(e);
        self
    }
    /// A sense: a definition and its examples.
    pub fn definition(
        mut self,
        definition: impl Into<String>,
        examples: impl Into<String>,
    ) -> Self {
        self.senses.push((definition.into(), examples.into()));
        self
    }
    /// The term.
    pub fn term(&self) -> &str {
        &self.term
    }
}

/// One sense of an entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sense {
    /// Its id.
    pub id: SenseId,
    /// The definition.
    pub definition: String,
    /// Examples.
    pub examples: String,
}

/// A glossary entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Its id.
    pub id: EntryId,
    /// Its glossary.
    pub glossary: GlossaryId,
    /// The term.
    pub term: String,
    /// Variants and synonyms.
    pub variants: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Sources.
    pub sources: Vec<String>,
    /// Related entries.
    pub see_also: Vec<EntryId>,
    /// Senses, in the order they were added.
    pub senses: Vec<Sense>,
    /// Workflow status.
    pub status: EntryStatus,
    /// Who created it.
    pub created_by: MemberId,
    /// Everyone whose valid changes shaped it (its history's authors), in id order.
    pub contributors: Vec<MemberId>,
}

impl Workspace {
    fn object_of_kind(&self, id: &ObjectId, kind: ObjectKind) -> Result<&Object, EditError> {
        match self.object(id) {
            Some(o) if o.kind == kind => Ok(o),
            _ => Err(EditError::NoSuchObject {
                id: *id,
                what: crate::acl::kind_name(kind),
            }),
        }
    }

    /// Creates a glossary written by `group`.
    pub fn create_glossary(
        &mut self,
        group: GroupId,
        title: &str,
        language: &str,
        description: &str,
    ) -> Result<GlossaryId, EditError> {
        crate::workspace::check_name_pub("a glossary's title", title)?;
        let mut values = vec![(Field::Title, Value::Text(title.trim().to_string()))];
        if !language.trim().is_empty() {
            values.push((Field::Language, Value::Text(language.trim().to_string())));
        }
        let id = self.create_object(ObjectKind::Glossary, None, vec![group], values)?;
        if !description.is_empty() {
            self.set_text(id, Field::Description, description)?;
        }
        Ok(id.into())
    }

    /// A glossary.
    pub fn glossary(&self, id: &GlossaryId) -> Option<Glossary> {
        let oid: ObjectId = (*id).into();
        let o = self
            .object(&oid)
            .filter(|o| o.kind == ObjectKind::Glossary)?;
        Some(Glossary {
            id: *id,
            group: self.shared_with(&oid).first().copied(),
            title: o.str(&Field::Title).unwrap_or_default(),
            language: o.str(&Field::Language).unwrap_or_default(),
            description: o.text(&Field::Description),
            created_by: o.creator(),
        })
    }

    /// Every glossary, by title.
    pub fn glossaries(&self) -> Vec<Glossary> {
        let mut out: Vec<Glossary> = self
            .model
            .objects
            .iter()
            .filter(|(_, o)| o.kind == ObjectKind::Glossary)
            .filter_map(|(id, _)| self.glossary(&(*id).into()))
            .collect();
        out.sort_by_cached_key(|x| (collation_key(&x.title), x.id));
        out
    }

    /// Adds an entry (as a draft) to a glossary.
    pub fn add_entry(
        &mut self,
        glossary: GlossaryId,
        entry: NewEntry,
    ) -> Result<EntryId, EditError> {
        self.object_of_kind(&glossary.into(), ObjectKind::Glossary)?;
        crate::workspace::check_name_pub("a term", &entry.term)?;
        let mut values = vec![
            (Field::Term, Value::Text(entry.term.trim().to_string())),
            (Field::EntryStatus, Value::EntryStatus(EntryStatus::Draft)),
        ];
        for (field, texts) in [
            (Field::Variants, entry.variants),
            (Field::Tags, entry.tags),
            (Field::Sources, entry.sources),
        ] {
            values.extend(texts.into_iter().map(|v| (field.clone(), Value::Text(v))));
        }
        let see_also = entry.see_also.into_iter();
        values.extend(see_also.map(|e| (Field::SeeAlso, Value::Object(e.into()))));
        let parent = Some(glossary.into());
        let id = self.create_object(ObjectKind::Entry, parent, Vec::new(), values)?;
        for (definition, examples) in entry.senses {
            self.add_sense(id.into(), &definition, &examples)?;
        }
        Ok(id.into())
    }

    /// Adds a sense (definition and examples) to an entry.
    pub fn add_sense(
        &mut self,
        entry: EntryId,
        definition: &str,
        examples: &str,
    ) -> Result<SenseId, EditError> {
        self.object_of_kind(&entry.into(), ObjectKind::Entry)?;
        let id = self.create_object(
            ObjectKind::Sense,
            Some(entry.into()),
            Vec::new(),
            Vec::new(),
        )?;
        self.set_text(id, Field::Definition, definition)?;
        if !examples.is_empty() {
            self.set_text(id, Field::Examples, examples)?;
        }
        Ok(id.into())
    }

    /// Moves an entry through its workflow: members propose (draft, proposed), leads
    /// approve, reject or deprecate.
    pub fn set_entry_status(
        &mut self,
        entry: EntryId,
        status: EntryStatus,
    ) -> Result<(), EditError> {
        self.object_of_kind(&entry.into(), ObjectKind::Entry)?;
        self.set_field(entry.into(), Field::EntryStatus, Value::EntryStatus(status))
    }

    /// An entry.
    pub fn entry(&self, id: &EntryId) -> Option<Entry> {
        let oid: ObjectId = (*id).into();
        let o = self.object(&oid).filter(|o| o.kind == ObjectKind::Entry)?;
        let senses: Vec<Sense> = self
            .model
            .children_of(&oid, ObjectKind::Sense)
            .into_iter()
            .map(|(s, so)| Sense {
                id: s.into(),
                definition: so.text(&Field::Definition),
                examples: so.text(&Field::Examples),
            })
            .collect();
        let mut touched: Vec<ObjectId> = vec![oid];
        touched.extend(senses.iter().map(|s| ObjectId::from(s.id)));
        let contributors: BTreeSet<MemberId> = self
            .history_of_objects(&touched)
            .into_iter()
            .filter(|h| h.ignored.is_none())
            .map(|h| h.author)
            .collect();
        Some(Entry {
            id: *id,
            glossary: o
                .parent()
                .map(Into::into)
                .unwrap_or_else(|| GlossaryId::from_bytes([0; 16])),
            term: o.str(&Field::Term).unwrap_or_default(),
            variants: o.strings(&Field::Variants),
            tags: o.strings(&Field::Tags),
            sources: o.strings(&Field::Sources),
            see_also: o
                .set_values(&Field::SeeAlso)
                .into_iter()
                .filter_map(|v| match v {
                    Value::Object(e) => Some(e.into()),
                    _ => None,
                })
                .collect(),
            senses,
            status: match o.val(&Field::EntryStatus) {
                Some(Val::EntryStatus(s)) => *s,
                _ => EntryStatus::Draft,
            },
            created_by: o.creator(),
            contributors: contributors.into_iter().collect(),
        })
    }

    /// The entries of a glossary in alphabetical order, ignoring accents and case ("été"
    /// sorts among the e's).
    pub fn entries(&self, glossary: &GlossaryId) -> Vec<Entry> {
        let mut out: Vec<Entry> = self
            .model
            .children_of(&(*glossary).into(), ObjectKind::Entry)
            .into_iter()
            .filter_map(|(id, _)| self.entry(&id.into()))
            .collect();
        out.sort_by_cached_key(|x| (collation_key(&x.term), x.id));
        out
    }

    /// The entries of a glossary with a given status, alphabetically.
    pub fn entries_with_status(&self, glossary: &GlossaryId, status: EntryStatus) -> Vec<Entry> {
        self.entries(glossary)
            .into_iter()
            .filter(|e| e.status == status)
            .collect()
    }

    /// The entries whose term, variants or definitions contain `query`, ignoring accents
    /// and case, alphabetically.
    pub fn search_entries(&self, glossary: &GlossaryId, query: &str) -> Vec<Entry> {
        let needle = fold(query);
        self.entries(glossary)
            .into_iter()
            .filter(|e| {
                std::iter::once(&e.term)
                    .chain(&e.variants)
                    .chain(e.senses.iter().map(|s| &s.definition))
                    .any(|t| fold(t).contains(&needle))
            })
            .collect()
    }
}
