/** A member's role in the workspace, from least to most powerful. */
export type Role = "guest" | "member" | "admin" | "owner";
/** A member's role in a group. */
export type GroupRole = "observer" | "member" | "lead";
/** What kind of event. */
export type EventKind = "meeting" | "call" | "email" | "note" | "status_change" | "decision" | "task";
/** Where an event stands. */
export type EventStatus = "planned" | "done" | "cancelled";
/** Where a glossary entry stands in its workflow. */
export type EntryStatus = "draft" | "proposed" | "approved" | "rejected" | "deprecated";
/** How someone takes part in an event. */
export type AttendeeRole = "chair" | "required" | "optional" | "informed";
/** A known kind of contact, or any other label. */
export type ContactKind =
  | "prospect" | "business_angel" | "start_up" | "partner" | "customer" | "investor" | "supplier"
  | (string & {});
/** A date: a `Date`, or an RFC 3339 string whose offset is kept (`"2010-03-01T10:00:00+01:00"`). */
export type DateInput = Date | string;
/** What a field holds: text (also ids, kinds and statuses), a boolean, a Date, or null. */
export type FieldValue = string | boolean | Date | null;
/** Why an error was thrown. */
export type ErrorCode = "denied" | "not_found" | "invalid_input" | "corrupt";

/** Every error this package throws: an `Error` named `CercleError` with a stable `code`. */
export interface CercleError extends Error {
  name: "CercleError";
  code: ErrorCode;
  /** `denied`: the member who tried. */
  member?: string;
  /** `denied`: the action, in words. */
  action?: string;
  /** `denied`: the rule that refuses it. */
  reason?: string;
  /** `not_found`: what was missing (`member`, `group`, `contact`, ...). */
  what?: string;
  /** `not_found`: the id named. */
  id?: string;
  /** `corrupt`: the rejected change, when one was. */
  change?: string;
}

export interface GroupOptions { purpose?: string; tags?: string[]; open?: boolean }
export interface GroupUpdate { name?: string; purpose?: string; tags?: string[]; open?: boolean; archived?: boolean }
export interface ContactOptions {
  givenName?: string; familyName?: string; kind?: ContactKind; organisation?: string;
  jobTitle?: string; address?: string; stage?: string; owner?: string; emails?: string[];
  phones?: string[]; links?: string[]; tags?: string[]; notes?: string;
  custom?: Record<string, string>; groups?: string[];
}
export interface ContactQuery {
  kind?: ContactKind; stage?: string; tag?: string; group?: string; owner?: string;
  text?: string; includeArchived?: boolean;
}
export interface EventOptions {
  start?: DateInput; end?: DateInput; location?: string; contacts?: string[]; groups?: string[];
  /** Member or contact id → role, in the order given. */
  attendees?: Record<string, AttendeeRole>;
  agenda?: string[]; notes?: string; status?: EventStatus;
}
export interface GlossaryOptions { language?: string; description?: string }
export interface EntryOptions {
  definition?: string; examples?: string; variants?: string[]; tags?: string[];
  sources?: string[]; seeAlso?: string[];
}
export type HistorySubject = { member: string } | { group: string } | { object: string } | undefined;
export type DigestSince = { heads: string[] } | { time: DateInput };

export interface MemberInfo { id: string; role: Role; displayName: string | null }
export interface GroupMember { member: string; role: GroupRole }
export interface GroupInfo {
  id: string; name: string; purpose: string; tags: string[]; open: boolean; archived: boolean;
  members: GroupMember[];
}
export interface Contact {
  id: string; displayName: string; givenName: string | null; familyName: string | null;
  kind: ContactKind | null; organisation: string | null; jobTitle: string | null;
  emails: string[]; phones: string[]; links: string[]; address: string | null; tags: string[];
  stage: string | null; owner: string | null; groups: string[]; notes: string;
  custom: Record<string, string>; archived: boolean; mergedInto: string | null;
  mergedFrom: string[]; createdBy: string;
}
export type DuplicateReason =
  | { kind: "same_email"; value: string } | { kind: "same_phone"; value: string } | { kind: "similar_name" };
export interface Duplicate { a: string; b: string; reason: DuplicateReason }
export type Party = { kind: "member"; value: string } | { kind: "contact"; value: string };
export interface Attendee { party: Party; role: AttendeeRole }
export interface AgendaItem { id: string; text: string }
export interface Decision { id: string; text: string; decidedAt: Date | null; decidedBy: string[] }
export interface Event {
  id: string; kind: EventKind; title: string; notes: string; start: Date | null; end: Date | null;
  location: string | null; contacts: string[]; groups: string[]; attendees: Attendee[];
  agenda: AgendaItem[]; decisions: Decision[]; status: EventStatus; retracted: boolean;
  fromStage: string | null; toStage: string | null; createdBy: string;
}
export interface Glossary {
  id: string; group: string | null; title: string; language: string; description: string; createdBy: string;
}
export interface Sense { id: string; definition: string; examples: string }
export interface Entry {
  id: string; glossary: string; term: string; variants: string[]; tags: string[]; sources: string[];
  seeAlso: string[]; senses: Sense[]; status: EntryStatus; createdBy: string; contributors: string[];
}
export type IgnoredReason =
  | { kind: "unauthorized"; reason: string }
  | { kind: "revoked"; by: string }
  | { kind: "keeps_owner" }
  | { kind: "mutual_removal"; senior: string };
export type ChangeStatus =
  | { kind: "valid" } | { kind: "ignored"; value: IgnoredReason } | { kind: "pending"; value: string[] };
export type Subject =
  | { kind: "workspace" } | { kind: "member"; value: string } | { kind: "group"; value: string }
  | { kind: "object"; value: string };
export interface HistoryEntry {
  change: string; author: string; time: Date; subject: Subject; field: string | null;
  summary: string; ignored: IgnoredReason | null;
}
export interface Comment { id: string; on: string; author: string; time: Date; text: string }
export interface DigestItem { subject: Subject; title: string; entries: HistoryEntry[] }
export interface Digest { member: string; items: DigestItem[] }
/** An operation of a change: `type` names it; the other fields are its data. */
export interface Operation { type: string; [field: string]: unknown }
export interface ChangeInfo {
  hash: string; author: string; seq: number; lamport: number; time: Date; deps: string[];
  ops: Operation[]; status: ChangeStatus;
}
export interface PendingChange { hash: string; missing: string[] }
export interface IgnoredChange { hash: string; reason: IgnoredReason }
export interface ApplyReport {
  applied: string[]; duplicates: number; pending: PendingChange[]; ignored: IgnoredChange[];
}
export interface SyncStats { messages: number; bytes: number }
export interface OpId { counter: number; author: string }
