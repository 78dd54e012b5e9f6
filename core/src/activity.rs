//! Comments, the history of every thing, and digests of what concerns a member.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::error::EditError;
use crate::ids::{ChangeHash, CommentId, GroupId, MemberId, ObjectId, OpId};
use crate::object::{Field, ObjectKind, Value};
use crate::op::{with_ids, Op};
use crate::resolve::IgnoredReason;
use crate::workspace::Workspace;

/// What a history entry is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Subject {
    /// The workspace itself (its name, its pipeline).
    Workspace,
    /// A member (their role, their profile).
    Member(MemberId),
    /// A group (its settings and members).
    Group(GroupId),
    /// An object: a contact, an event, a glossary, an entry, ...
    Object(ObjectId),
}

impl Subject {
    /// The subject named by at most one of `member`, `group` and `object`; the workspace
    /// when none is.
    ///
    /// ```
    /// use cercle::{MemberId, Subject};
    /// let m = MemberId::from_bytes([1; 32]);
    /// assert_eq!(Subject::one_of(None, None, None)?, Subject::Workspace);
    /// assert_eq!(Subject::one_of(Some(m), None, None)?, Subject::Member(m));
    /// # Ok::<(), cercle::EditError>(())
    /// ```
    pub fn one_of(
        member: Option<MemberId>,
        group: Option<GroupId>,
        object: Option<ObjectId>,
    ) -> Result<Self, EditError> {
        match (member, group, object) {
            (None, None, None) => Ok(Subject::Workspace),
            (Some(m), None, None) => Ok(Subject::Member(m)),
            (None, Some(g), None) => Ok(Subject::Group(g)),
            (None, None, Some(o)) => Ok(Subject::Object(o)),
            _ => Err(EditError::Invalid(
                "give at most one of member, group and object".into(),
            )),
        }
    }
}

/// One operation in the history: who changed what, when, in which change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The change that carried it.
    pub change: ChangeHash,
    /// Its author.
    pub author: MemberId,
    /// The author's wall-clock time (informational).
    #[serde(with = "crate::dynamic::time")]
    pub time: DateTime<Utc>,
    /// What it is about.
    pub subject: Subject,
    /// The field changed, if any.
    pub field: Option<Field>,
    /// What was done, in words.
    pub summary: String,
    /// Set when the change is ignored (unauthorized or revoked), with why.
    pub ignored: Option<IgnoredReason>,
}

/// A comment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// Its id.
    pub id: CommentId,
    /// What it is about.
    pub on: ObjectId,
    /// Its author.
    pub author: MemberId,
    /// When it was written (the author's clock).
    #[serde(with = "crate::dynamic::time")]
    pub time: DateTime<Utc>,
    /// The text.
    pub text: String,
}

/// Where a digest starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Since {
    /// After the changes a copy had (its heads then).
    Heads(Vec<ChangeHash>),
    /// After an instant, by the authors' clocks.
    Time(DateTime<Utc>),
}

impl Since {
    /// The start named by exactly one of `heads` and `time`.
    ///
    /// ```
    /// use cercle::Since;
    /// assert_eq!(Since::one_of(Some(vec![]), None)?, Since::Heads(vec![]));
    /// assert!(Since::one_of(None, None).is_err());
    /// # Ok::<(), cercle::EditError>(())
    /// ```
    pub fn one_of(
        heads: Option<Vec<ChangeHash>>,
        time: Option<DateTime<Utc>>,
    ) -> Result<Self, EditError> {
        match (heads, time) {
            (Some(h), None) => Ok(Since::Heads(h)),
            (None, Some(t)) => Ok(Since::Time(t)),
            _ => Err(EditError::Invalid(
                "give exactly one of heads and time".into(),
            )),
        }
    }
}

/// What changed about one thing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestItem {
    /// The thing.
    pub subject: Subject,
    /// Its name or title.
    pub title: String,
    /// The changes, oldest first.
    pub entries: Vec<HistoryEntry>,
}

/// What changed that concerns a member, grouped by thing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    /// The member.
    pub member: MemberId,
    /// One item per thing, in the order of their first change.
    pub items: Vec<DigestItem>,
}

fn describe(op: &Op, at: OpId) -> Option<(Subject, Option<Field>, String)> {
    let s = match op {
        Op::Genesis { name } => (Subject::Workspace, None, format!("founded `{name}`")),
        Op::RenameWorkspace { name } => (
            Subject::Workspace,
            None,
            format!("renamed the workspace `{name}`"),
        ),
        Op::SetPipeline { stages } => (
            Subject::Workspace,
            None,
            format!("set the pipeline to {}", stages.join(", ")),
        ),
        Op::SetProfile { display_name } => (
            Subject::Member(at.author),
            None,
            format!("set their name to `{display_name}`"),
        ),
        Op::AddMember { member, role } => {
            (Subject::Member(*member), None, format!("added as {role}"))
        }
        Op::SetRole { member, role } => (Subject::Member(*member), None, format!("made {role}")),
        Op::RemoveMember { member } => (Subject::Member(*member), None, "removed".into()),
        Op::Leave => (Subject::Member(at.author), None, "left".into()),
        Op::CreateGroup { name, .. } => (
            Subject::Group(GroupId::derive(at)),
            None,
            format!("created group `{name}`"),
        ),
        Op::UpdateGroup { group, update } => {
            (Subject::Group(*group), None, format!("changed {update:?}"))
        }
        Op::SetGroupRole {
            group,
            member,
            role,
        } => (
            Subject::Group(*group),
            None,
            format!("made `{member}` {role}"),
        ),
        Op::RemoveFromGroup { group, member } => {
            (Subject::Group(*group), None, format!("removed `{member}`"))
        }
        Op::JoinGroup { group } => (Subject::Group(*group), None, "joined".into()),
        Op::LeaveGroup { group } => (Subject::Group(*group), None, "left".into()),
        Op::Create { kind, .. } | Op::CreateWith { kind, .. } => (
            Subject::Object(ObjectId::derive(at)),
            None,
            format!("created the {}", crate::acl::kind_name(*kind)),
        ),
        Op::Share { object, group } => (
            Subject::Object(*object),
            None,
            format!("shared with group `{group}`"),
        ),
        Op::Unshare { object, group } => (
            Subject::Object(*object),
            None,
            format!("stopped sharing with group `{group}`"),
        ),
        Op::Set {
            object,
            field,
            value,
            ..
        } => (
            Subject::Object(*object),
            Some(field.clone()),
            format!("set {field:?} to {}", show(value)),
        ),
        Op::Add {
            object,
            field,
            value,
        } => (
            Subject::Object(*object),
            Some(field.clone()),
            format!("added {} to {field:?}", show(value)),
        ),
        Op::Remove {
            object,
            field,
            value,
            ..
        } => (
            Subject::Object(*object),
            Some(field.clone()),
            format!("removed {} from {field:?}", show(value)),
        ),
        Op::Insert {
            object,
            field,
            text,
            ..
        } => (
            Subject::Object(*object),
            Some(field.clone()),
            format!("wrote `{text}` in {field:?}"),
        ),
        Op::Delete {
            object,
            field,
            runs,
        } => (
            Subject::Object(*object),
            Some(field.clone()),
            format!(
                "deleted {} characters of {field:?}",
                runs.iter().map(|(_, n)| u64::from(*n)).sum::<u64>()
            ),
        ),
    };
    Some(s)
}

fn show(v: &Value) -> String {
    match v {
        Value::Text(t) => format!("`{t}`"),
        Value::Null => "nothing".into(),
        other => format!("{other:?}"),
    }
}

impl Workspace {
    /// Every operation in the history, valid or ignored, in canonical order.
    fn all_entries(&self) -> Vec<HistoryEntry> {
        let mut out = Vec::new();
        for i in self.history.canonical_order() {
            let Some(node) = self.history.node(i) else {
                continue;
            };
            let ignored = self.ignored.reason(i).cloned();
            let time = Utc
                .timestamp_millis_opt(node.time)
                .single()
                .unwrap_or_default();
            for (at, op) in with_ids(node.author(), node.lamport, node.each_op()) {
                if let Some((subject, field, summary)) = describe(&op, at) {
                    out.push(HistoryEntry {
                        change: node.hash,
                        author: node.author(),
                        time,
                        subject,
                        field,
                        summary,
                        ignored: ignored.clone(),
                    });
                }
            }
        }
        out
    }

    /// The objects nested under `object` (senses, agenda items, decisions, comments),
    /// itself first.
    fn with_descendants(&self, object: ObjectId) -> Vec<ObjectId> {
        let mut out = vec![object];
        let mut i = 0;
        while let Some(&o) = out.get(i) {
            out.extend(
                self.model
                    .children
                    .get(&o)
                    .into_iter()
                    .flatten()
                    .map(|(_, c)| *c),
            );
            i += 1;
        }
        out
    }

    pub(crate) fn history_of_objects(&self, objects: &[ObjectId]) -> Vec<HistoryEntry> {
        self.all_entries()
            .into_iter()
            .filter(|h| matches!(h.subject, Subject::Object(o) if objects.contains(&o)))
            .collect()
    }

    /// Who changed what about `subject`, when and in which change — ignored changes
    /// included and flagged. For an object, its nested objects (senses, agenda items,
    /// decisions, comments) are included; for a contact, those merged into it too.
    pub fn history(&self, subject: Subject) -> Vec<HistoryEntry> {
        match subject {
            Subject::Object(o) => {
                let mut objects = Vec::new();
                let roots = match self.object(&o).map(|x| x.kind) {
                    Some(ObjectKind::Contact) => self.contact_sources(self.resolve_contact(o)),
                    _ => vec![o],
                };
                for r in roots {
                    objects.extend(self.with_descendants(r));
                }
                self.history_of_objects(&objects)
            }
            other => self
                .all_entries()
                .into_iter()
                .filter(|h| h.subject == other)
                .collect(),
        }
    }

    /// Recent valid activity on what a group shares, and on the group itself, newest first.
    pub fn group_activity(&self, group: &GroupId, limit: usize) -> Vec<HistoryEntry> {
        let mut out: Vec<HistoryEntry> = self
            .all_entries()
            .into_iter()
            .filter(|h| h.ignored.is_none())
            .filter(|h| match h.subject {
                Subject::Group(g) => g == *group,
                Subject::Object(o) => self.shared_with(&o).contains(group),
                _ => false,
            })
            .collect();
        out.reverse();
        out.truncate(limit);
        out
    }

    /// Comments on a contact, an event or a glossary entry (everyone in its groups may,
    /// observers included).
    ///
    /// ```
    /// use cercle::{Identity, NewContact, Workspace};
    /// let mut ws = Workspace::create(Identity::from_secret_bytes([1; 32]), "Juste à temps");
    /// let c = ws.create_contact(NewContact::new("Guillaume"))?;
    /// ws.comment(c, "interested in the showroom")?;
    /// assert_eq!(ws.comments(c)[0].text, "interested in the showroom");
    /// # Ok::<(), cercle::EditError>(())
    /// ```
    pub fn comment(&mut self, on: impl Into<ObjectId>, text: &str) -> Result<CommentId, EditError> {
        let on = on.into();
        crate::workspace::check_name_pub("a comment", text).map(drop)?;
        let id = self.create_object(ObjectKind::Comment, Some(on), Vec::new(), Vec::new())?;
        self.set_text(id, Field::Text, text)?;
        Ok(id.into())
    }

    /// The comments on an object (for a contact, also those on contacts merged into it),
    /// oldest first; retracted ones left out.
    pub fn comments(&self, on: impl Into<ObjectId>) -> Vec<Comment> {
        let on = on.into();
        let targets = match self.object(&on).map(|o| o.kind) {
            Some(ObjectKind::Contact) => self.contact_sources(self.resolve_contact(on)),
            _ => vec![on],
        };
        let mut out: Vec<(OpId, Comment)> = Vec::new();
        for t in targets {
            for (id, o) in self.model.children_of(&t, ObjectKind::Comment) {
                if o.flag(&Field::Retracted) {
                    continue;
                }
                out.push((
                    o.created.id(),
                    Comment {
                        id: id.into(),
                        on: t,
                        author: o.creator(),
                        time: self.time_of(o.created.id()),
                        text: o.text(&Field::Text),
                    },
                ));
            }
        }
        out.sort_by_key(|(at, _)| *at);
        out.into_iter().map(|(_, c)| c).collect()
    }

    /// Retracts one's own comment.
    pub fn retract_comment(&mut self, comment: CommentId) -> Result<(), EditError> {
        self.set_field(comment.into(), Field::Retracted, Value::Bool(true))
    }

    /// The wall-clock time of the change that made operation `at`.
    pub(crate) fn time_of(&self, at: OpId) -> DateTime<Utc> {
        let millis = self
            .history
            .changes_by(&at.author)
            .rev()
            .filter_map(|i| self.history.node(i))
            .find(|n| n.lamport() <= at.counter && at.counter <= n.end_counter())
            .map(|n| n.time)
            .unwrap_or_else(|| self.clock.now_millis());
        Utc.timestamp_millis_opt(millis)
            .single()
            .unwrap_or_default()
    }

    /// The thing a subject is reported under in a digest: nested objects under the
    /// contact, event or entry they belong to.
    fn digest_subject(&self, subject: Subject) -> Subject {
        let Subject::Object(mut o) = subject else {
            return subject;
        };
        for _ in 0..4 {
            match self.object(&o) {
                Some(x)
                    if matches!(
                        x.kind,
                        ObjectKind::Contact
                            | ObjectKind::Event
                            | ObjectKind::Entry
                            | ObjectKind::Glossary
                    ) =>
                {
                    break
                }
                Some(x) => match x.parent() {
                    Some(p) => o = p,
                    None => break,
                },
                None => break,
            }
        }
        match self.object(&o).map(|x| x.kind) {
            Some(ObjectKind::Contact) => Subject::Object(self.resolve_contact(o)),
            _ => Subject::Object(o),
        }
    }

    fn concerns(&self, member: &MemberId, subject: Subject) -> bool {
        let my_groups: Vec<GroupId> = self
            .member_groups(member)
            .into_iter()
            .map(|(g, _)| g.id)
            .collect();
        match subject {
            Subject::Workspace => true,
            Subject::Member(m) => m == *member,
            Subject::Group(g) => my_groups.contains(&g),
            Subject::Object(o) => {
                let shared = self.shared_with(&o).iter().any(|g| my_groups.contains(g));
                match self.object(&o).map(|x| x.kind) {
                    Some(ObjectKind::Contact) => {
                        shared
                            || self.contact(&o.into()).is_some_and(|c| {
                                c.owner == Some(*member) || c.created_by == *member
                            })
                    }
                    Some(ObjectKind::Event) => self.audience(&o.into()).contains(member),
                    Some(ObjectKind::Entry) => {
                        shared
                            || self
                                .entry(&o.into())
                                .is_some_and(|e| e.contributors.contains(member))
                            || self.comments(o).iter().any(|c| c.author == *member)
                    }
                    _ => shared,
                }
            }
        }
    }

    fn title_of(&self, subject: Subject) -> String {
        match subject {
            Subject::Workspace => self.name().to_string(),
            Subject::Member(m) => self
                .display_name(&m)
                .map(str::to_string)
                .unwrap_or_else(|| m.to_string()),
            Subject::Group(g) => self.group(&g).map(|g| g.name).unwrap_or_default(),
            Subject::Object(o) => match self.object(&o).map(|x| x.kind) {
                Some(ObjectKind::Contact) => self
                    .contact(&o.into())
                    .map(|c| c.display_name)
                    .unwrap_or_default(),
                Some(ObjectKind::Event) => {
                    self.event(&o.into()).map(|e| e.title).unwrap_or_default()
                }
                Some(ObjectKind::Entry) => {
                    self.entry(&o.into()).map(|e| e.term).unwrap_or_default()
                }
                Some(ObjectKind::Glossary) => self
                    .glossary(&o.into())
                    .map(|g| g.title)
                    .unwrap_or_default(),
                _ => String::new(),
            },
        }
    }

    /// What changed since `since` that concerns `member` — their groups, events they
    /// attend, contacts they own, entries they wrote or discuss — grouped by thing. The
    /// member's own changes and ignored changes are left out. Everyone concerned by a thing
    /// gets the same items about it; nobody else gets them.
    ///
    /// ```
    /// use cercle::{GroupRole, Identity, NewContact, NewGroup, Role, Since, Workspace};
    /// let mut ws = Workspace::create(Identity::from_secret_bytes([1; 32]), "Juste à temps");
    /// let claire = Identity::from_secret_bytes([2; 32]).member_id();
    /// ws.add_member(claire, Role::Member)?;
    /// let g = ws.create_group(NewGroup::new("Catalogue"))?;
    /// ws.set_group_role(g, claire, GroupRole::Member)?;
    /// ws.commit();
    /// let mark = ws.heads();
    /// ws.create_contact(NewContact::new("Bureau Vallée").group(g))?;
    /// ws.commit();
    /// let digest = ws.digest(&claire, &Since::Heads(mark));
    /// assert_eq!(digest.items[0].title, "Bureau Vallée");
    /// # Ok::<(), cercle::EditError>(())
    /// ```
    pub fn digest(&self, member: &MemberId, since: &Since) -> Digest {
        let fresh: Option<Vec<ChangeHash>> = match since {
            Since::Heads(h) => Some(self.changes_since(h)),
            Since::Time(_) => None,
        };
        let mut items: Vec<DigestItem> = Vec::new();
        let mut index: BTreeMap<Subject, usize> = BTreeMap::new();
        for h in self.all_entries() {
            let recent = match (since, &fresh) {
                (_, Some(list)) => list.contains(&h.change),
                (Since::Time(t), None) => h.time > *t,
                _ => false,
            };
            if !recent || h.ignored.is_some() || h.author == *member {
                continue;
            }
            let subject = self.digest_subject(h.subject);
            if !self.concerns(member, subject) {
                continue;
            }
            let slot = *index.entry(subject).or_insert_with(|| {
                items.push(DigestItem {
                    subject,
                    title: self.title_of(subject),
                    entries: Vec::new(),
                });
                items.len() - 1
            });
            if let Some(item) = items.get_mut(slot) {
                item.entries.push(h);
            }
        }
        Digest {
            member: *member,
            items,
        }
    }
}
