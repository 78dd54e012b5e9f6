"""cercle: collaborative work for small teams.

Each member keeps their own copy of a workspace, online or offline: groups and roles, a
shared CRM (contacts and their timelines), meetings with agenda, decisions and explicit
audiences, and glossaries written together. Copies exchange signed changes and merge;
permissions merge too.

>>> import cercle
>>> patrick = cercle.Identity.from_secret_bytes(bytes([1] * 32))
>>> ws = cercle.Workspace.create(patrick, "Juste à temps")
>>> contact = ws.create_contact("Ergonomie Services", kind="start_up")
>>> ws.contact(contact).kind
'start_up'
"""

from ._cercle import (
    DEFAULT_PIPELINE,
    FORMAT_VERSION,
    Batch,
    CercleError,
    CorruptData,
    Identity,
    InvalidInput,
    NotFound,
    PermissionDenied,
    SteppingClock,
    SyncState,
    Workspace,
    __version__,
    fold,
    sync_in_memory,
)
from ._types import (
    AgendaItem,
    ApplyReport,
    Attendee,
    ChangeInfo,
    ChangeStatus,
    Comment,
    Contact,
    Decision,
    Digest,
    DigestItem,
    Duplicate,
    DuplicateReason,
    Entry,
    Event,
    FieldValue,
    Glossary,
    GroupInfo,
    GroupMember,
    HistoryEntry,
    IgnoredChange,
    IgnoredReason,
    MemberInfo,
    OpId,
    Party,
    PendingChange,
    Sense,
    Subject,
    SyncStats,
)

__all__ = [
    "DEFAULT_PIPELINE",
    "FORMAT_VERSION",
    "AgendaItem",
    "ApplyReport",
    "Attendee",
    "Batch",
    "CercleError",
    "ChangeInfo",
    "ChangeStatus",
    "Comment",
    "Contact",
    "CorruptData",
    "Decision",
    "Digest",
    "DigestItem",
    "Duplicate",
    "DuplicateReason",
    "Entry",
    "Event",
    "FieldValue",
    "Glossary",
    "GroupInfo",
    "GroupMember",
    "HistoryEntry",
    "Identity",
    "IgnoredChange",
    "IgnoredReason",
    "InvalidInput",
    "MemberInfo",
    "NotFound",
    "OpId",
    "Party",
    "PendingChange",
    "PermissionDenied",
    "Sense",
    "SteppingClock",
    "Subject",
    "SyncState",
    "SyncStats",
    "Workspace",
    "__version__",
    "fold",
    "sync_in_memory",
]
