"""The typed results of cercle: frozen dataclasses built by the native module.

Every class mirrors a result type of the Rust crate field for field. Ids are str (their
hexadecimal text form), kinds and statuses are their lowercase names, instants are
timezone-aware ``datetime`` objects in the offset they were given in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Union

__all__ = [
    "FieldValue",
    "AgendaItem",
    "ApplyReport",
    "Attendee",
    "ChangeInfo",
    "ChangeStatus",
    "Comment",
    "Contact",
    "Decision",
    "Digest",
    "DigestItem",
    "Duplicate",
    "DuplicateReason",
    "Entry",
    "Event",
    "Glossary",
    "GroupInfo",
    "GroupMember",
    "HistoryEntry",
    "IgnoredChange",
    "IgnoredReason",
    "MemberInfo",
    "OpId",
    "Party",
    "PendingChange",
    "Sense",
    "Subject",
    "SyncStats",
]

FieldValue = Union[str, bool, datetime, None]
"""What a field holds: text (also ids, kinds and statuses), a bool, a datetime, or None."""

@lru_cache(maxsize=64)
def _zone(offset_seconds: int) -> timezone:
    return timezone.utc if offset_seconds == 0 else timezone(timedelta(seconds=offset_seconds))


def _instant(millis: int, offset_seconds: int) -> datetime:
    """An instant (milliseconds since the epoch) in the offset it was given in.

    Instants beyond what ``datetime`` holds (years 1 to 9999) are clamped to its range, so
    an absurd date in a received change cannot make a whole list unreadable.
    """
    zone = _zone(offset_seconds)
    try:
        return datetime.fromtimestamp(millis / 1000, zone)
    except (OverflowError, ValueError, OSError):
        limit = datetime.max if millis > 0 else datetime.min
        return limit.replace(tzinfo=zone)


@dataclass(frozen=True)
class Party:
    """Who attends an event: ``kind`` is ``"member"`` or ``"contact"``, ``value`` its id."""

    kind: str
    value: str


@dataclass(frozen=True)
class Attendee:
    """An attendee of an event with their role (``chair``, ``required``, ``optional``, ``informed``)."""

    party: Party
    role: str


@dataclass(frozen=True)
class Subject:
    """What a history entry is about: ``kind`` is ``workspace`` (``value`` None), ``member``,
    ``group`` or ``object`` (``value`` its id)."""

    kind: str
    value: Optional[str] = None


@dataclass(frozen=True)
class IgnoredReason:
    """Why a change is kept but ignored.

    ``kind`` is ``unauthorized`` (``reason`` says which rule), ``revoked`` (``by`` is the
    change that revoked the author's right), ``keeps_owner`` or ``mutual_removal``
    (``senior`` is the member whose removal won).
    """

    kind: str
    reason: Optional[str] = None
    by: Optional[str] = None
    senior: Optional[str] = None


@dataclass(frozen=True)
class ChangeStatus:
    """Where a change stands: ``valid``, ``ignored`` (``value`` an :class:`IgnoredReason`)
    or ``pending`` (``value`` the hashes it waits for)."""

    kind: str
    value: Union[IgnoredReason, List[str], None] = None


@dataclass(frozen=True)
class DuplicateReason:
    """Why two contacts look alike: ``same_email`` or ``same_phone`` (``value`` the shared
    address or number), or ``similar_name``."""

    kind: str
    value: Optional[str] = None


@dataclass(frozen=True)
class OpId:
    """The position of an operation: a Lamport counter and its author."""

    counter: int
    author: str


@dataclass(frozen=True)
class Contact:
    """A contact of the shared CRM."""

    id: str
    display_name: str
    given_name: Optional[str]
    family_name: Optional[str]
    kind: Optional[str]
    organisation: Optional[str]
    job_title: Optional[str]
    emails: List[str]
    phones: List[str]
    links: List[str]
    address: Optional[str]
    tags: List[str]
    stage: Optional[str]
    owner: Optional[str]
    groups: List[str]
    notes: str
    custom: Dict[str, str]
    archived: bool
    merged_into: Optional[str]
    merged_from: List[str]
    created_by: str


@dataclass(frozen=True)
class Duplicate:
    """A likely pair of duplicate contacts (``a`` the older)."""

    a: str
    b: str
    reason: DuplicateReason


@dataclass(frozen=True)
class AgendaItem:
    """An item of a meeting's agenda."""

    id: str
    text: str


@dataclass(frozen=True)
class Decision:
    """A decision recorded on an event."""

    id: str
    text: str
    decided_at: Optional[datetime]
    decided_by: List[str]


@dataclass(frozen=True)
class Event:
    """An event of the shared timeline: a meeting, call, email, note, status change, ..."""

    id: str
    kind: str
    title: str
    notes: str
    start: Optional[datetime]
    end: Optional[datetime]
    location: Optional[str]
    contacts: List[str]
    groups: List[str]
    attendees: List[Attendee]
    agenda: List[AgendaItem]
    decisions: List[Decision]
    status: str
    retracted: bool
    from_stage: Optional[str]
    to_stage: Optional[str]
    created_by: str


@dataclass(frozen=True)
class Glossary:
    """A glossary a group writes together."""

    id: str
    group: Optional[str]
    title: str
    language: str
    description: str
    created_by: str


@dataclass(frozen=True)
class Sense:
    """One sense of an entry: a definition and examples."""

    id: str
    definition: str
    examples: str


@dataclass(frozen=True)
class Entry:
    """An entry of a glossary."""

    id: str
    glossary: str
    term: str
    variants: List[str]
    tags: List[str]
    sources: List[str]
    see_also: List[str]
    senses: List[Sense]
    status: str
    created_by: str
    contributors: List[str]


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded change to something, with who made it and when."""

    change: str
    author: str
    time: datetime
    subject: Subject
    field: Optional[str]
    summary: str
    ignored: Optional[IgnoredReason]


@dataclass(frozen=True)
class Comment:
    """A comment on a contact, an event or an entry."""

    id: str
    on: str
    author: str
    time: datetime
    text: str


@dataclass(frozen=True)
class DigestItem:
    """What changed about one thing."""

    subject: Subject
    title: str
    entries: List[HistoryEntry]


@dataclass(frozen=True)
class Digest:
    """What changed for a member since a point in time, by subject."""

    member: str
    items: List[DigestItem]


@dataclass(frozen=True)
class ChangeInfo:
    """A stored change: its author, clocks, dependencies, operations and status."""

    hash: str
    author: str
    seq: int
    lamport: int
    time: datetime
    deps: List[str]
    ops: List[Dict[str, Any]]
    status: ChangeStatus


@dataclass(frozen=True)
class MemberInfo:
    """A member of the workspace with their role."""

    id: str
    role: str
    display_name: Optional[str]


@dataclass(frozen=True)
class GroupMember:
    """A member of a group with their role in it."""

    member: str
    role: str


@dataclass(frozen=True)
class GroupInfo:
    """A group: the core team or a working group."""

    id: str
    name: str
    purpose: str
    tags: List[str]
    open: bool
    archived: bool
    members: List[GroupMember] = field(default_factory=list)


@dataclass(frozen=True)
class PendingChange:
    """A received change that waits for changes it depends on."""

    hash: str
    missing: List[str]


@dataclass(frozen=True)
class IgnoredChange:
    """A received change that is kept but ignored, with the reason."""

    hash: str
    reason: IgnoredReason


@dataclass(frozen=True)
class ApplyReport:
    """What applying changes did."""

    applied: List[str]
    duplicates: int
    pending: List[PendingChange]
    ignored: List[IgnoredChange]


@dataclass(frozen=True)
class SyncStats:
    """What an in-memory sync exchanged."""

    messages: int
    bytes: int
