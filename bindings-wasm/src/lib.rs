//! The WebAssembly module of the `cercle` npm package.
//!
//! A thin layer: it converts arguments (string ids, option objects, `Date`s,
//! `Uint8Array`s), calls the `cercle` crate, and converts results through
//! [`cercle::dynamic`] into plain objects with camelCase keys. No domain logic lives here.
//! The TypeScript interfaces of the results are in `types.d.ts`, included in the
//! generated declarations.

#[cfg(target_arch = "wasm32")]
mod heap;

use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use cercle::dynamic::{tag_key, to_dynamic, value_to_dynamic, Dynamic};
use cercle::{
    ApplyError, ChangeHash, ContactId, ContactQuery, EditError, ErrorKind, EventId, Field, GroupId,
    GroupUpdate, Identity as CoreIdentity, LoadError, MemberId, NewContact, NewEntry, NewEvent,
    NewGroup, ObjectId, ParseIdError, Party, Since, SteppingClock as CoreClock, Subject,
    SyncState as CoreSyncState, Value, Workspace as CoreWorkspace,
};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("types.d.ts");

#[wasm_bindgen]
extern "C" {
    /// A role name (`guest`, `member`, `admin`, `owner`).
    #[wasm_bindgen(typescript_type = "Role")]
    pub type RoleArg;
    /// Options of `createGroup`.
    #[wasm_bindgen(typescript_type = "GroupOptions")]
    pub type GroupOptionsArg;
    /// Options of `createContact`.
    #[wasm_bindgen(typescript_type = "ContactOptions")]
    pub type ContactOptionsArg;
    /// Criteria of `contacts`.
    #[wasm_bindgen(typescript_type = "ContactQuery")]
    pub type ContactQueryArg;
    /// Options of `createEvent`.
    #[wasm_bindgen(typescript_type = "EventOptions")]
    pub type EventOptionsArg;
    /// Options of `createGlossary`.
    #[wasm_bindgen(typescript_type = "GlossaryOptions")]
    pub type GlossaryOptionsArg;
    /// Options of `addEntry`.
    #[wasm_bindgen(typescript_type = "EntryOptions")]
    pub type EntryOptionsArg;
    /// The subject of `history`.
    #[wasm_bindgen(typescript_type = "HistorySubject")]
    pub type HistorySubjectArg;
    /// An entry status.
    #[wasm_bindgen(typescript_type = "EntryStatus")]
    pub type EntryStatusArg;
    /// Member ids.
    #[wasm_bindgen(typescript_type = "string[]")]
    pub type MemberIdsArg;
}

/// An optional argument as a plain value (`undefined` when absent).
fn arg<T: Into<JsValue>>(value: Option<T>) -> JsValue {
    value.map_or(JsValue::UNDEFINED, Into::into)
}

// ----- errors ---------------------------------------------------------------------------

/// Every error is an `Error` named `CercleError` with a stable `code` (`denied`,
/// `not_found`, `invalid_input`, `corrupt`) and the details the library has.
fn error(kind: ErrorKind, message: &str, details: &[(&str, Option<String>)]) -> JsValue {
    let e = js_sys::Error::new(message);
    e.set_name("CercleError");
    let set = |key: &str, value: JsValue| {
        // Setting a property on a fresh Error cannot fail.
        let _ = Reflect::set(&e, &JsValue::from_str(key), &value);
    };
    set("code", JsValue::from_str(kind.as_str()));
    for (key, value) in details {
        if let Some(v) = value {
            set(key, JsValue::from_str(v));
        }
    }
    e.into()
}

fn edit_error(e: EditError) -> JsValue {
    let details: Vec<(&str, Option<String>)> =
        e.details().into_iter().map(|(k, v)| (k, Some(v))).collect();
    error(e.kind(), &e.to_string(), &details)
}

fn apply_error(e: ApplyError) -> JsValue {
    error(
        e.kind(),
        &e.to_string(),
        &[("change", e.change().map(|h| h.to_string()))],
    )
}

fn load_error(e: LoadError) -> JsValue {
    error(
        e.kind(),
        &e.to_string(),
        &[("change", e.change().map(|h| h.to_string()))],
    )
}

fn invalid(message: impl AsRef<str>) -> JsValue {
    error(ErrorKind::InvalidInput, message.as_ref(), &[])
}

type Result<T> = std::result::Result<T, JsValue>;

trait OrThrow<T> {
    fn or_throw(self) -> Result<T>;
}

impl<T> OrThrow<T> for std::result::Result<T, EditError> {
    fn or_throw(self) -> Result<T> {
        self.map_err(edit_error)
    }
}

impl<T> OrThrow<T> for std::result::Result<T, ApplyError> {
    fn or_throw(self) -> Result<T> {
        self.map_err(apply_error)
    }
}

impl<T> OrThrow<T> for std::result::Result<T, ParseIdError> {
    fn or_throw(self) -> Result<T> {
        self.map_err(|e| invalid(e.to_string()))
    }
}

/// Whether `value` is an error thrown by this package.
#[wasm_bindgen(js_name = isCercleError, unchecked_return_type = "value is CercleError")]
pub fn is_cercle_error(
    #[wasm_bindgen(unchecked_param_type = "unknown")] value: JsValue,
) -> JsValue {
    let named = value
        .dyn_ref::<js_sys::Error>()
        .is_some_and(|e| e.name() == "CercleError");
    JsValue::from_bool(named)
}

// ----- arguments ------------------------------------------------------------------------

fn id<T: FromStr<Err = ParseIdError>>(text: &str) -> Result<T> {
    text.parse::<T>().or_throw()
}

fn name<T: FromStr<Err = EditError>>(text: &str) -> Result<T> {
    text.parse::<T>().or_throw()
}

fn strings(value: &JsValue, what: &str) -> Result<Vec<String>> {
    if value.is_undefined() || value.is_null() {
        return Ok(Vec::new());
    }
    if !Array::is_array(value) {
        return Err(invalid(format!("{what} must be an array of strings")));
    }
    Array::from(value)
        .iter()
        .map(|v| {
            v.as_string()
                .ok_or_else(|| invalid(format!("{what} must be an array of strings")))
        })
        .collect()
}

fn optional_id<T: FromStr<Err = ParseIdError>>(text: Option<String>) -> Result<Option<T>> {
    text.map(|t| id(&t)).transpose()
}

/// The object, field and value of a field edit.
fn field_edit(object: &str, field: &str, value: &JsValue) -> Result<(ObjectId, Field, Value)> {
    let object: ObjectId = id(object)?;
    let field: Field = name(field)?;
    let value = field_value(&field, value)?;
    Ok((object, field, value))
}

fn ids<T: FromStr<Err = ParseIdError>>(value: &JsValue, what: &str) -> Result<Vec<T>> {
    strings(value, what)?.iter().map(|s| id(s)).collect()
}

thread_local! {
    /// The option names as JavaScript strings, made once: a name passed as a new string
    /// at every read is decoded from the module's memory each time.
    static KEYS: std::cell::RefCell<std::collections::HashMap<&'static str, JsValue>> =
        std::cell::RefCell::default();
}

/// Runs `f` with the JavaScript string of an option name.
fn with_key<T>(key: &'static str, f: impl FnOnce(&JsValue) -> T) -> T {
    KEYS.with(|keys| {
        let mut keys = keys.borrow_mut();
        f(keys.entry(key).or_insert_with(|| JsValue::from_str(key)))
    })
}

/// Reads option objects: `{ kind: "start_up", emails: [...], ... }`.
struct Options(JsValue);

impl Options {
    fn new(value: JsValue) -> Result<Self> {
        if value.is_undefined() || value.is_null() || value.is_object() {
            Ok(Options(value))
        } else {
            Err(invalid("options must be an object"))
        }
    }

    fn get(&self, key: &'static str) -> JsValue {
        if self.0.is_object() {
            with_key(key, |k| Reflect::get(&self.0, k)).unwrap_or(JsValue::UNDEFINED)
        } else {
            JsValue::UNDEFINED
        }
    }

    fn string(&self, key: &'static str) -> Result<Option<String>> {
        let v = self.get(key);
        if v.is_undefined() || v.is_null() {
            return Ok(None);
        }
        v.as_string()
            .map(Some)
            .ok_or_else(|| invalid(format!("`{key}` must be a string")))
    }

    fn bool(&self, key: &'static str) -> Result<Option<bool>> {
        let v = self.get(key);
        if v.is_undefined() || v.is_null() {
            return Ok(None);
        }
        v.as_bool()
            .map(Some)
            .ok_or_else(|| invalid(format!("`{key}` must be a boolean")))
    }

    fn strings(&self, key: &'static str) -> Result<Vec<String>> {
        strings(&self.get(key), &format!("`{key}`"))
    }

    fn date(&self, key: &'static str) -> Result<Option<DateTime<FixedOffset>>> {
        let v = self.get(key);
        if v.is_undefined() || v.is_null() {
            return Ok(None);
        }
        date(&v).map(Some)
    }

    /// A `{ key: value }` object of strings, in its own key order.
    fn pairs(&self, key: &'static str) -> Result<Vec<(String, String)>> {
        let v = self.get(key);
        if v.is_undefined() || v.is_null() {
            return Ok(Vec::new());
        }
        let Some(object) = v.dyn_ref::<Object>() else {
            return Err(invalid(format!("`{key}` must be an object of strings")));
        };
        Object::entries(object)
            .iter()
            .map(|entry| {
                let pair = Array::from(&entry);
                match (pair.get(0).as_string(), pair.get(1).as_string()) {
                    (Some(k), Some(v)) => Ok((k, v)),
                    _ => Err(invalid(format!("`{key}` must be an object of strings"))),
                }
            })
            .collect()
    }
}

/// A `Date` (in UTC: a `Date` carries no offset), or an RFC 3339 string whose offset is
/// kept (`"2010-03-01T10:00:00+01:00"`).
fn date(value: &JsValue) -> Result<DateTime<FixedOffset>> {
    if let Some(text) = value.as_string() {
        return DateTime::parse_from_rfc3339(&text).map_err(|e| {
            let shown: String = text.chars().take(40).collect();
            invalid(format!("invalid date `{shown}`: {e}"))
        });
    }
    let Some(d) = value.dyn_ref::<js_sys::Date>() else {
        return Err(invalid("expected a Date or an RFC 3339 string"));
    };
    let millis = d.get_time();
    if !millis.is_finite() {
        return Err(invalid("invalid Date"));
    }
    Utc.timestamp_millis_opt(millis as i64)
        .single()
        .map(|t| t.fixed_offset())
        .ok_or_else(|| invalid("Date out of range"))
}

fn field_value(field: &Field, value: &JsValue) -> Result<Value> {
    if value.is_null() || value.is_undefined() {
        return Ok(Value::Null);
    }
    if let Some(b) = value.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Some(text) = value.as_string() {
        return field.parse_value(&text).or_throw();
    }
    if value.is_instance_of::<js_sys::Date>() {
        return date(value).map(|t| Value::Instant(t.into()));
    }
    Err(invalid(format!(
        "{field} takes a string, a boolean, a Date or null"
    )))
}

// ----- results --------------------------------------------------------------------------

/// Writes a field name as a JSON key in camelCase (`display_name` → `"displayName"`).
/// Field names are Rust identifiers: nothing in them needs escaping.
fn write_key(key: &str, out: &mut String) {
    out.push('"');
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out.push('"');
}

#[wasm_bindgen(inline_js = r#"
function revive(v) {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (x !== null && typeof x === 'object') v[i] = revive(x);
    }
    return v;
  }
  if (typeof v.$date === 'number') return new Date(v.$date);
  for (const k in v) {
    const x = v[k];
    if (x !== null && typeof x === 'object') v[k] = revive(x);
  }
  return v;
}
export function parseResult(text, dated) {
  const value = JSON.parse(text);
  return dated && value !== null && typeof value === 'object' ? revive(value) : value;
}
"#)]
extern "C" {
    /// `JSON.parse`, then (when `dated`) `{"$date": millis}` objects turned into `Date`s by
    /// a walk over objects and arrays only (a `JSON.parse` reviver would be called for
    /// every value).
    #[wasm_bindgen(js_name = parseResult)]
    fn parse_result(text: &str, dated: bool) -> JsValue;
}

/// The marker of an instant in the JSON text; inside a JSON string its quotes would be
/// escaped, so finding it means an instant was written.
const DATE_MARKER: &str = "{\"$date\":";

/// Writes `d` as JSON with camelCase keys; instants become `{"$date": millis}`.
fn write_json(d: &Dynamic, out: &mut String) {
    match d {
        Dynamic::Null => out.push_str("null"),
        Dynamic::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Dynamic::Int(i) => out.push_str(&i.to_string()),
        Dynamic::UInt(u) => out.push_str(&u.to_string()),
        Dynamic::Float(f) if f.is_finite() => out.push_str(&f.to_string()),
        Dynamic::Float(_) => out.push_str("null"),
        Dynamic::Str(s) => write_str(s, out),
        Dynamic::Bytes(b) => {
            out.push('[');
            for (i, x) in b.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&x.to_string());
            }
            out.push(']');
        }
        Dynamic::Instant(i) => {
            out.push_str(DATE_MARKER);
            out.push_str(&i.millis.to_string());
            out.push('}');
        }
        Dynamic::List(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(x, out);
            }
            out.push(']');
        }
        Dynamic::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                match k {
                    Dynamic::Str(k) => write_str(k, out),
                    other => {
                        let mut key = String::new();
                        write_json(other, &mut key);
                        write_str(&key, out);
                    }
                }
                out.push(':');
                write_json(v, out);
            }
            out.push('}');
        }
        Dynamic::Record { fields, .. } => {
            out.push('{');
            write_fields(fields, out, false);
            out.push('}');
        }
        Dynamic::Variant { name, tag, value } => {
            out.push('{');
            write_str(tag_key(name), out);
            out.push(':');
            write_str(tag, out);
            match value.as_ref() {
                Dynamic::Null => {}
                Dynamic::Record { fields, .. } => write_fields(fields, out, true),
                other => {
                    out.push_str(",\"value\":");
                    write_json(other, out);
                }
            }
            out.push('}');
        }
    }
}

fn write_fields(fields: &[(&'static str, Dynamic)], out: &mut String, mut comma: bool) {
    for (k, v) in fields {
        if comma {
            out.push(',');
        }
        comma = true;
        write_key(k, out);
        out.push(':');
        write_json(v, out);
    }
}

fn write_str(s: &str, out: &mut String) {
    out.push('"');
    if !s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A result as plain JavaScript objects: written as JSON here and read by the engine's
/// `JSON.parse`, instead of built field by field across the boundary.
fn out<T: serde::Serialize + ?Sized>(value: &T) -> Result<JsValue> {
    to_dynamic(value)
        .map(|d| js(&d))
        .map_err(|e| invalid(e.to_string()))
}

fn js(d: &Dynamic) -> JsValue {
    let mut json = String::new();
    write_json(d, &mut json);
    parse_result(&json, json.contains(DATE_MARKER))
}

fn or_undefined(value: JsValue) -> JsValue {
    if value.is_null() {
        JsValue::UNDEFINED
    } else {
        value
    }
}

fn string_array<I: IntoIterator<Item = S>, S: ToString>(items: I) -> Vec<String> {
    items.into_iter().map(|s| s.to_string()).collect()
}

// ----- classes --------------------------------------------------------------------------

/// A member's signing key. Its public half is the member id.
#[wasm_bindgen]
pub struct Identity(CoreIdentity);

#[wasm_bindgen]
impl Identity {
    /// A new identity from the platform's secure random source.
    pub fn generate() -> Identity {
        Identity(CoreIdentity::generate())
    }

    /// The identity whose secret key is these 32 bytes.
    #[wasm_bindgen(js_name = fromSecretBytes)]
    pub fn from_secret_bytes(secret: &[u8]) -> Result<Identity> {
        CoreIdentity::from_secret_slice(secret)
            .map(Identity)
            .map_err(|e| invalid(e.to_string()))
    }

    /// The 32 secret bytes: keep them private.
    #[wasm_bindgen(js_name = secretBytes)]
    pub fn secret_bytes(&self) -> Vec<u8> {
        self.0.secret_bytes().to_vec()
    }

    /// The member id (64 hexadecimal digits).
    #[wasm_bindgen(getter, js_name = memberId)]
    pub fn member_id(&self) -> String {
        self.0.member_id().to_string()
    }
}

/// A clock for reproducible change times: starts at `start`, advances `stepMs` per reading.
#[wasm_bindgen]
pub struct SteppingClock(Arc<CoreClock>);

#[wasm_bindgen]
impl SteppingClock {
    /// A clock starting at `start`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "DateInput")] start: JsValue,
        #[wasm_bindgen(js_name = stepMs)] step_ms: Option<f64>,
    ) -> Result<SteppingClock> {
        let start = date(&start)?.with_timezone(&Utc);
        let step = step_ms.unwrap_or(1000.0);
        if !step.is_finite() {
            return Err(invalid("stepMs must be a finite number"));
        }
        Ok(SteppingClock(Arc::new(CoreClock::new(start, step as i64))))
    }
}

/// What one side of a sync knows about the other. Keep one per peer and connection.
#[wasm_bindgen]
#[derive(Default)]
pub struct SyncState(CoreSyncState);

#[wasm_bindgen]
impl SyncState {
    /// A fresh state, for a new peer or connection.
    #[wasm_bindgen(constructor)]
    pub fn new() -> SyncState {
        SyncState::default()
    }

    /// The peer's heads, once it has said them.
    #[wasm_bindgen(getter, js_name = theirHeads)]
    pub fn their_heads(&self) -> Option<Vec<String>> {
        self.0.their_heads().map(string_array)
    }
}

/// One member's copy of a workspace.
#[wasm_bindgen]
pub struct Workspace(CoreWorkspace);

fn party(text: &str) -> Result<Party> {
    name(text)
}

#[wasm_bindgen]
impl Workspace {
    /// Founds a new workspace; `founder` becomes its first owner.
    pub fn create(founder: &Identity, name: &str) -> Workspace {
        Workspace(CoreWorkspace::create(founder.0.clone(), name))
    }

    /// Founds a new workspace whose changes read their time from `clock`.
    #[wasm_bindgen(js_name = createWithClock)]
    pub fn create_with_clock(founder: &Identity, name: &str, clock: &SteppingClock) -> Workspace {
        Workspace(CoreWorkspace::create_with_clock(
            founder.0.clone(),
            name,
            clock.0.clone(),
        ))
    }

    /// Loads saved bytes as the copy of `identity`, verifying every change.
    pub fn load(identity: &Identity, data: &[u8]) -> Result<Workspace> {
        CoreWorkspace::load(identity.0.clone(), data)
            .map(Workspace)
            .map_err(load_error)
    }

    /// Loads saved bytes; the copy's new changes read their time from `clock`.
    #[wasm_bindgen(js_name = loadWithClock)]
    pub fn load_with_clock(
        identity: &Identity,
        data: &[u8],
        clock: &SteppingClock,
    ) -> Result<Workspace> {
        CoreWorkspace::load_with_clock(identity.0.clone(), data, clock.0.clone())
            .map(Workspace)
            .map_err(load_error)
    }

    /// Replaces the clock that stamps new changes.
    #[wasm_bindgen(js_name = setClock)]
    pub fn set_clock(&mut self, clock: &SteppingClock) {
        self.0.set_clock(clock.0.clone());
    }

    /// The workspace id.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.0.id().to_string()
    }

    /// The local member.
    #[wasm_bindgen(getter, js_name = memberId)]
    pub fn member_id(&self) -> String {
        self.0.member_id().to_string()
    }

    /// The founder.
    #[wasm_bindgen(getter)]
    pub fn founder(&self) -> String {
        self.0.founder().to_string()
    }

    /// The workspace's name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.0.name().to_string()
    }

    /// The heads: the changes no other depends on, sorted.
    #[wasm_bindgen(getter)]
    pub fn heads(&self) -> Vec<String> {
        string_array(self.0.heads())
    }

    /// How many changes are stored.
    #[wasm_bindgen(getter, js_name = changeCount)]
    pub fn change_count(&self) -> usize {
        self.0.change_count()
    }

    /// Whether local edits wait to be committed.
    #[wasm_bindgen(getter, js_name = hasUncommitted)]
    pub fn has_uncommitted(&self) -> bool {
        self.0.has_uncommitted()
    }

    /// Seals the local edits into one signed change; returns its hash, or undefined.
    pub fn commit(&mut self) -> Option<String> {
        self.0.commit().map(|h| h.to_string())
    }

    /// Abandons the local edits not yet committed.
    pub fn discard(&mut self) -> bool {
        self.0.discard()
    }

    // ----- bytes ------------------------------------------------------------------------

    /// Every change, as bytes `Workspace.load` reads.
    pub fn save(&mut self) -> Vec<u8> {
        self.0.save()
    }

    /// The changes not reachable from `heads`, as bytes `apply` reads.
    #[wasm_bindgen(js_name = saveSince)]
    pub fn save_since(&mut self, heads: Vec<String>) -> Result<Vec<u8>> {
        let heads: Vec<ChangeHash> = heads.iter().map(|h| id(h)).collect::<Result<_>>()?;
        Ok(self.0.save_since(&heads))
    }

    /// These changes, as bytes `apply` reads.
    #[wasm_bindgen(js_name = encodeChanges)]
    pub fn encode_changes(&self, hashes: Vec<String>) -> Result<Vec<u8>> {
        let hashes: Vec<ChangeHash> = hashes.iter().map(|h| id(h)).collect::<Result<_>>()?;
        Ok(self.0.encode_changes(&hashes))
    }

    /// Applies changes from another copy (all or nothing).
    #[wasm_bindgen(unchecked_return_type = "ApplyReport")]
    pub fn apply(&mut self, data: &[u8]) -> Result<JsValue> {
        out(&self.0.apply(data).or_throw()?)
    }

    /// Takes every committed change of `other` this copy lacks.
    #[wasm_bindgen(unchecked_return_type = "ApplyReport")]
    pub fn merge(&mut self, other: &Workspace) -> Result<JsValue> {
        out(&self.0.merge(&other.0).or_throw()?)
    }

    /// The hashes of the changes not reachable from `heads`.
    #[wasm_bindgen(js_name = changesSince)]
    pub fn changes_since(&self, heads: Vec<String>) -> Result<Vec<String>> {
        let heads: Vec<ChangeHash> = heads.iter().map(|h| id(h)).collect::<Result<_>>()?;
        Ok(string_array(self.0.changes_since(&heads)))
    }

    /// The next message to send to the peer of `state`, or undefined when there is nothing
    /// to say.
    #[wasm_bindgen(js_name = generateSyncMessage)]
    pub fn generate_sync_message(&mut self, state: &mut SyncState) -> Option<Vec<u8>> {
        self.0.generate_sync_message(&mut state.0)
    }

    /// Reads a message from the peer of `state` and applies the changes it carries.
    #[wasm_bindgen(js_name = receiveSyncMessage, unchecked_return_type = "ApplyReport")]
    pub fn receive_sync_message(
        &mut self,
        state: &mut SyncState,
        message: &[u8],
    ) -> Result<JsValue> {
        out(&self
            .0
            .receive_sync_message(&mut state.0, message)
            .or_throw()?)
    }

    // ----- members and groups -----------------------------------------------------------

    /// Renames the workspace.
    pub fn rename(&mut self, name: &str) -> Result<()> {
        self.0.rename(name).or_throw()
    }

    /// Sets the local member's display name.
    #[wasm_bindgen(js_name = setDisplayName)]
    pub fn set_display_name(
        &mut self,
        #[wasm_bindgen(js_name = displayName)] display_name: &str,
    ) -> Result<()> {
        self.0.set_display_name(display_name).or_throw()
    }

    /// Adds a member with a role (`guest`, `member`, `admin`, `owner`; default `member`).
    #[wasm_bindgen(js_name = addMember)]
    pub fn add_member(&mut self, member: &str, role: Option<RoleArg>) -> Result<()> {
        let role = arg(role).as_string();
        let role = name(role.as_deref().unwrap_or("member"))?;
        self.0.add_member(id(member)?, role).or_throw()
    }

    /// Changes a member's role.
    #[wasm_bindgen(js_name = setRole)]
    pub fn set_role(
        &mut self,
        member: &str,
        #[wasm_bindgen(unchecked_param_type = "Role")] role: &str,
    ) -> Result<()> {
        self.0.set_role(id(member)?, name(role)?).or_throw()
    }

    /// Removes a member.
    #[wasm_bindgen(js_name = removeMember)]
    pub fn remove_member(&mut self, member: &str) -> Result<()> {
        self.0.remove_member(id(member)?).or_throw()
    }

    /// Leaves the workspace.
    pub fn leave(&mut self) -> Result<()> {
        self.0.leave().or_throw()
    }

    /// A member's role, or undefined.
    #[wasm_bindgen(unchecked_return_type = "Role | undefined")]
    pub fn role(&self, member: &str) -> Result<JsValue> {
        let member: MemberId = id(member)?;
        Ok(self
            .0
            .role(&member)
            .map_or(JsValue::UNDEFINED, |r| JsValue::from_str(r.as_str())))
    }

    /// Every member with their role.
    #[wasm_bindgen(unchecked_return_type = "MemberInfo[]")]
    pub fn members(&self) -> Result<JsValue> {
        out(&self.0.members())
    }

    /// A member's display name, or undefined.
    #[wasm_bindgen(js_name = displayName)]
    pub fn display_name(&self, member: &str) -> Result<Option<String>> {
        let member: MemberId = id(member)?;
        Ok(self.0.display_name(&member).map(str::to_string))
    }

    /// Creates a group; returns its id.
    #[wasm_bindgen(js_name = createGroup)]
    pub fn create_group(&mut self, name: &str, options: Option<GroupOptionsArg>) -> Result<String> {
        let o = Options::new(arg(options))?;
        let mut g = NewGroup::new(name).tags(o.strings("tags")?);
        if let Some(p) = o.string("purpose")? {
            g = g.purpose(p);
        }
        if let Some(open) = o.bool("open")? {
            g = g.open(open);
        }
        self.0.create_group(g).or_throw().map(|g| g.to_string())
    }

    /// Changes a group's settings.
    #[wasm_bindgen(js_name = updateGroup)]
    pub fn update_group(
        &mut self,
        group: &str,
        #[wasm_bindgen(unchecked_param_type = "GroupUpdate")] update: JsValue,
    ) -> Result<()> {
        let group: GroupId = id(group)?;
        let o = Options::new(update)?;
        let tags = o.get("tags");
        let updates: Vec<GroupUpdate> = [
            o.string("name")?.map(GroupUpdate::Name),
            o.string("purpose")?.map(GroupUpdate::Purpose),
            if tags.is_undefined() {
                None
            } else {
                Some(GroupUpdate::Tags(o.strings("tags")?))
            },
            o.bool("open")?.map(GroupUpdate::Open),
            o.bool("archived")?.map(GroupUpdate::Archived),
        ]
        .into_iter()
        .flatten()
        .collect();
        for u in updates {
            self.0.update_group(group, u).or_throw()?;
        }
        Ok(())
    }

    /// Sets a member's role in a group (`observer`, `member`, `lead`).
    #[wasm_bindgen(js_name = setGroupRole)]
    pub fn set_group_role(
        &mut self,
        group: &str,
        member: &str,
        #[wasm_bindgen(unchecked_param_type = "GroupRole")] role: &str,
    ) -> Result<()> {
        self.0
            .set_group_role(id(group)?, id(member)?, name(role)?)
            .or_throw()
    }

    /// Removes a member from a group.
    #[wasm_bindgen(js_name = removeFromGroup)]
    pub fn remove_from_group(&mut self, group: &str, member: &str) -> Result<()> {
        self.0.remove_from_group(id(group)?, id(member)?).or_throw()
    }

    /// Joins an open group.
    #[wasm_bindgen(js_name = joinGroup)]
    pub fn join_group(&mut self, group: &str) -> Result<()> {
        self.0.join_group(id(group)?).or_throw()
    }

    /// Leaves a group.
    #[wasm_bindgen(js_name = leaveGroup)]
    pub fn leave_group(&mut self, group: &str) -> Result<()> {
        self.0.leave_group(id(group)?).or_throw()
    }

    /// A group, or undefined.
    #[wasm_bindgen(unchecked_return_type = "GroupInfo | undefined")]
    pub fn group(&self, group: &str) -> Result<JsValue> {
        let group: GroupId = id(group)?;
        out(&self.0.group(&group)).map(or_undefined)
    }

    /// Every group.
    #[wasm_bindgen(unchecked_return_type = "GroupInfo[]")]
    pub fn groups(&self) -> Result<JsValue> {
        out(&self.0.groups())
    }

    /// The groups of a member, with their role in each.
    #[wasm_bindgen(js_name = memberGroups, unchecked_return_type = "[GroupInfo, GroupRole][]")]
    pub fn member_groups(&self, member: &str) -> Result<JsValue> {
        let member: MemberId = id(member)?;
        out(&self.0.member_groups(&member))
    }

    /// The members of a group with their roles.
    #[wasm_bindgen(js_name = groupMembers, unchecked_return_type = "GroupMember[]")]
    pub fn group_members(&self, group: &str) -> Result<JsValue> {
        let group: GroupId = id(group)?;
        out(&self.0.group_members(&group))
    }

    /// The groups with any of these tags.
    #[wasm_bindgen(js_name = groupsMatching, unchecked_return_type = "GroupInfo[]")]
    pub fn groups_matching(&self, tags: Vec<String>) -> Result<JsValue> {
        out(&self.0.groups_matching(&tags))
    }

    // ----- changes ----------------------------------------------------------------------

    /// Where a change stands, or undefined if unknown.
    #[wasm_bindgen(js_name = changeStatus, unchecked_return_type = "ChangeStatus | undefined")]
    pub fn change_status(&self, change: &str) -> Result<JsValue> {
        let change: ChangeHash = id(change)?;
        out(&self.0.change_status(&change)).map(or_undefined)
    }

    /// Why a change is ignored, or undefined.
    #[wasm_bindgen(js_name = whyIgnored, unchecked_return_type = "IgnoredReason | undefined")]
    pub fn why_ignored(&self, change: &str) -> Result<JsValue> {
        let change: ChangeHash = id(change)?;
        out(&self.0.why_ignored(&change)).map(or_undefined)
    }

    /// A stored change, or undefined.
    #[wasm_bindgen(unchecked_return_type = "ChangeInfo | undefined")]
    pub fn change(&self, change: &str) -> Result<JsValue> {
        let change: ChangeHash = id(change)?;
        out(&self.0.change(&change)).map(or_undefined)
    }

    /// Every stored change.
    #[wasm_bindgen(unchecked_return_type = "ChangeInfo[]")]
    pub fn changes(&self) -> Result<JsValue> {
        out(&self.0.changes())
    }

    // ----- contacts ---------------------------------------------------------------------

    /// The pipeline of stages.
    #[wasm_bindgen(getter)]
    pub fn pipeline(&self) -> Vec<String> {
        self.0.pipeline()
    }

    /// Replaces the pipeline of stages.
    #[wasm_bindgen(js_name = setPipeline)]
    pub fn set_pipeline(&mut self, stages: Vec<String>) -> Result<()> {
        self.0.set_pipeline(&stages).or_throw()
    }

    /// Creates a contact; returns its id.
    #[wasm_bindgen(js_name = createContact)]
    pub fn create_contact(
        &mut self,
        #[wasm_bindgen(js_name = displayName)] display_name: &str,
        options: Option<ContactOptionsArg>,
    ) -> Result<String> {
        let o = Options::new(arg(options))?;
        let mut c = NewContact::new(display_name);
        if let Some(v) = o.string("givenName")? {
            c = c.given_name(v);
        }
        if let Some(v) = o.string("familyName")? {
            c = c.family_name(v);
        }
        if let Some(v) = o.string("kind")? {
            c = c.kind(name(&v)?);
        }
        if let Some(v) = o.string("organisation")? {
            c = c.organisation(v);
        }
        if let Some(v) = o.string("jobTitle")? {
            c = c.job_title(v);
        }
        if let Some(v) = o.string("address")? {
            c = c.address(v);
        }
        if let Some(v) = o.string("stage")? {
            c = c.stage(v);
        }
        if let Some(v) = o.string("owner")? {
            c = c.owner(id(&v)?);
        }
        for v in o.strings("emails")? {
            c = c.email(v);
        }
        for v in o.strings("phones")? {
            c = c.phone(v);
        }
        for v in o.strings("links")? {
            c = c.link(v);
        }
        for v in o.strings("tags")? {
            c = c.tag(v);
        }
        if let Some(v) = o.string("notes")? {
            c = c.notes(v);
        }
        for (k, v) in o.pairs("custom")? {
            c = c.custom(k, v);
        }
        for g in o.strings("groups")? {
            c = c.group(id(&g)?);
        }
        self.0.create_contact(c).or_throw().map(|c| c.to_string())
    }

    /// Moves a contact to a stage of the pipeline; returns the status-change event's id.
    #[wasm_bindgen(js_name = setStage)]
    pub fn set_stage(&mut self, contact: &str, stage: &str) -> Result<String> {
        self.0
            .set_stage(id(contact)?, stage)
            .or_throw()
            .map(|e| e.to_string())
    }

    /// Archives a contact.
    #[wasm_bindgen(js_name = archiveContact)]
    pub fn archive_contact(&mut self, contact: &str) -> Result<()> {
        self.0.archive_contact(id(contact)?).or_throw()
    }

    /// Restores an archived contact.
    #[wasm_bindgen(js_name = restoreContact)]
    pub fn restore_contact(&mut self, contact: &str) -> Result<()> {
        self.0.restore_contact(id(contact)?).or_throw()
    }

    /// Merges contact `source` into `into`.
    #[wasm_bindgen(js_name = mergeContacts)]
    pub fn merge_contacts(&mut self, source: &str, into: &str) -> Result<()> {
        self.0.merge_contacts(id(source)?, id(into)?).or_throw()
    }

    /// A contact, or undefined.
    #[wasm_bindgen(unchecked_return_type = "Contact | undefined")]
    pub fn contact(&self, contact: &str) -> Result<JsValue> {
        let contact: ContactId = id(contact)?;
        out(&self.0.contact(&contact)).map(or_undefined)
    }

    /// The contacts matching every criterion given.
    #[wasm_bindgen(unchecked_return_type = "Contact[]")]
    pub fn contacts(&self, query: Option<ContactQueryArg>) -> Result<JsValue> {
        let o = Options::new(arg(query))?;
        let mut q =
            ContactQuery::default().include_archived(o.bool("includeArchived")?.unwrap_or(false));
        if let Some(v) = o.string("kind")? {
            q = q.kind(name(&v)?);
        }
        if let Some(v) = o.string("stage")? {
            q = q.stage(v);
        }
        if let Some(v) = o.string("tag")? {
            q = q.tag(v);
        }
        if let Some(v) = o.string("group")? {
            q = q.group(id(&v)?);
        }
        if let Some(v) = o.string("owner")? {
            q = q.owner(id(&v)?);
        }
        if let Some(v) = o.string("text")? {
            q = q.text(v);
        }
        out(&self.0.contacts(&q))
    }

    /// Likely pairs of duplicate contacts.
    #[wasm_bindgen(js_name = findDuplicates, unchecked_return_type = "Duplicate[]")]
    pub fn find_duplicates(&self) -> Result<JsValue> {
        out(&self.0.find_duplicates())
    }

    // ----- events -----------------------------------------------------------------------

    /// Records an event; returns its id.
    #[wasm_bindgen(js_name = createEvent)]
    pub fn create_event(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "EventKind")] kind: &str,
        title: &str,
        options: Option<EventOptionsArg>,
    ) -> Result<String> {
        let o = Options::new(arg(options))?;
        let mut e = NewEvent::new(name(kind)?, title);
        if let Some(t) = o.date("start")? {
            e = e.start(t);
        }
        if let Some(t) = o.date("end")? {
            e = e.end(t);
        }
        if let Some(v) = o.string("location")? {
            e = e.location(v);
        }
        for c in o.strings("contacts")? {
            e = e.contact(id(&c)?);
        }
        for g in o.strings("groups")? {
            e = e.group(id(&g)?);
        }
        for (p, role) in o.pairs("attendees")? {
            e = e.attendee(party(&p)?, name(&role)?);
        }
        for item in o.strings("agenda")? {
            e = e.agenda_item(item);
        }
        if let Some(v) = o.string("notes")? {
            e = e.notes(v);
        }
        if let Some(v) = o.string("status")? {
            e = e.status(name(&v)?);
        }
        self.0.create_event(e).or_throw().map(|e| e.to_string())
    }

    /// Adds an agenda item; returns its id.
    #[wasm_bindgen(js_name = addAgendaItem)]
    pub fn add_agenda_item(&mut self, event: &str, text: &str) -> Result<String> {
        self.0
            .add_agenda_item(id(event)?, text)
            .or_throw()
            .map(|i| i.to_string())
    }

    /// Records a decision; returns its id.
    #[wasm_bindgen(js_name = recordDecision)]
    pub fn record_decision(
        &mut self,
        event: &str,
        text: &str,
        #[wasm_bindgen(js_name = decidedAt, unchecked_param_type = "DateInput")]
        decided_at: JsValue,
        #[wasm_bindgen(js_name = decidedBy)] decided_by: Option<MemberIdsArg>,
    ) -> Result<String> {
        let at = date(&decided_at)?;
        let by: Vec<MemberId> = ids(&arg(decided_by), "decidedBy")?;
        self.0
            .record_decision(id(event)?, text, at, &by)
            .or_throw()
            .map(|i| i.to_string())
    }

    /// Sets an event's status (`planned`, `done`, `cancelled`).
    #[wasm_bindgen(js_name = setEventStatus)]
    pub fn set_event_status(
        &mut self,
        event: &str,
        #[wasm_bindgen(unchecked_param_type = "EventStatus")] status: &str,
    ) -> Result<()> {
        self.0
            .set_event_status(id(event)?, name(status)?)
            .or_throw()
    }

    /// Adds an attendee (a member id or a contact id) or changes their role.
    #[wasm_bindgen(js_name = setAttendee)]
    pub fn set_attendee(
        &mut self,
        event: &str,
        #[wasm_bindgen(js_name = party)] party_id: &str,
        #[wasm_bindgen(unchecked_param_type = "AttendeeRole")] role: &str,
    ) -> Result<()> {
        self.0
            .set_attendee(id(event)?, party(party_id)?, name(role)?)
            .or_throw()
    }

    /// Removes an attendee.
    #[wasm_bindgen(js_name = removeAttendee)]
    pub fn remove_attendee(
        &mut self,
        event: &str,
        #[wasm_bindgen(js_name = party)] party_id: &str,
    ) -> Result<()> {
        self.0
            .remove_attendee(id(event)?, party(party_id)?)
            .or_throw()
    }

    /// Retracts an event.
    #[wasm_bindgen(js_name = retractEvent)]
    pub fn retract_event(&mut self, event: &str) -> Result<()> {
        self.0.retract_event(id(event)?).or_throw()
    }

    /// An event, or undefined.
    #[wasm_bindgen(unchecked_return_type = "Event | undefined")]
    pub fn event(&self, event: &str) -> Result<JsValue> {
        let event: EventId = id(event)?;
        out(&self.0.event(&event)).map(or_undefined)
    }

    /// The members an event concerns: everyone it is visible to and meant for.
    pub fn audience(&self, event: &str) -> Result<Vec<String>> {
        let event: EventId = id(event)?;
        Ok(string_array(self.0.audience(&event)))
    }

    /// Every event.
    #[wasm_bindgen(unchecked_return_type = "Event[]")]
    pub fn events(&self) -> Result<JsValue> {
        out(&self.0.events())
    }

    /// A contact's timeline.
    #[wasm_bindgen(unchecked_return_type = "Event[]")]
    pub fn timeline(&self, contact: &str) -> Result<JsValue> {
        let contact: ContactId = id(contact)?;
        out(&self.0.timeline(&contact))
    }

    /// A member's meetings after `now`.
    #[wasm_bindgen(js_name = upcomingMeetings, unchecked_return_type = "Event[]")]
    pub fn upcoming_meetings(
        &self,
        member: &str,
        #[wasm_bindgen(unchecked_param_type = "DateInput")] now: JsValue,
    ) -> Result<JsValue> {
        let member: MemberId = id(member)?;
        let now = date(&now)?.with_timezone(&Utc);
        out(&self.0.upcoming_meetings(&member, now))
    }

    // ----- glossaries -------------------------------------------------------------------

    /// Creates a glossary written by `group`; returns its id.
    #[wasm_bindgen(js_name = createGlossary)]
    pub fn create_glossary(
        &mut self,
        group: &str,
        title: &str,
        options: Option<GlossaryOptionsArg>,
    ) -> Result<String> {
        let o = Options::new(arg(options))?;
        let language = o.string("language")?.unwrap_or_else(|| "fr".into());
        let description = o.string("description")?.unwrap_or_default();
        self.0
            .create_glossary(id(group)?, title, &language, &description)
            .or_throw()
            .map(|g| g.to_string())
    }

    /// A glossary, or undefined.
    #[wasm_bindgen(unchecked_return_type = "Glossary | undefined")]
    pub fn glossary(&self, glossary: &str) -> Result<JsValue> {
        let glossary = id(glossary)?;
        out(&self.0.glossary(&glossary)).map(or_undefined)
    }

    /// Every glossary.
    #[wasm_bindgen(unchecked_return_type = "Glossary[]")]
    pub fn glossaries(&self) -> Result<JsValue> {
        out(&self.0.glossaries())
    }

    /// Adds an entry; returns its id.
    #[wasm_bindgen(js_name = addEntry)]
    pub fn add_entry(
        &mut self,
        glossary: &str,
        term: &str,
        options: Option<EntryOptionsArg>,
    ) -> Result<String> {
        let o = Options::new(arg(options))?;
        let mut e = NewEntry::new(term);
        if let Some(d) = o.string("definition")? {
            e = e.definition(d, o.string("examples")?.unwrap_or_default());
        }
        for v in o.strings("variants")? {
            e = e.variant(v);
        }
        for v in o.strings("tags")? {
            e = e.tag(v);
        }
        for v in o.strings("sources")? {
            e = e.source(v);
        }
        for v in o.strings("seeAlso")? {
            e = e.see_also(id(&v)?);
        }
        self.0
            .add_entry(id(glossary)?, e)
            .or_throw()
            .map(|e| e.to_string())
    }

    /// Adds a sense to an entry; returns its id.
    #[wasm_bindgen(js_name = addSense)]
    pub fn add_sense(
        &mut self,
        entry: &str,
        definition: &str,
        examples: Option<String>,
    ) -> Result<String> {
        self.0
            .add_sense(id(entry)?, definition, examples.as_deref().unwrap_or(""))
            .or_throw()
            .map(|s| s.to_string())
    }

    /// Sets an entry's workflow status.
    #[wasm_bindgen(js_name = setEntryStatus)]
    pub fn set_entry_status(
        &mut self,
        entry: &str,
        #[wasm_bindgen(unchecked_param_type = "EntryStatus")] status: &str,
    ) -> Result<()> {
        self.0
            .set_entry_status(id(entry)?, name(status)?)
            .or_throw()
    }

    /// An entry, or undefined.
    #[wasm_bindgen(unchecked_return_type = "Entry | undefined")]
    pub fn entry(&self, entry: &str) -> Result<JsValue> {
        let entry = id(entry)?;
        out(&self.0.entry(&entry)).map(or_undefined)
    }

    /// A glossary's entries, alphabetically (accents ignored); only those with `status`
    /// if given.
    #[wasm_bindgen(unchecked_return_type = "Entry[]")]
    pub fn entries(&self, glossary: &str, status: Option<EntryStatusArg>) -> Result<JsValue> {
        let glossary = id(glossary)?;
        match arg(status).as_string() {
            Some(s) => out(&self.0.entries_with_status(&glossary, name(&s)?)),
            None => out(&self.0.entries(&glossary)),
        }
    }

    /// The entries whose term, variants or definitions match `query` (accents ignored).
    #[wasm_bindgen(js_name = searchEntries, unchecked_return_type = "Entry[]")]
    pub fn search_entries(&self, glossary: &str, query: &str) -> Result<JsValue> {
        let glossary = id(glossary)?;
        out(&self.0.search_entries(&glossary, query))
    }

    // ----- activity and comments ----------------------------------------------------------

    /// The recorded changes to a subject: the workspace (no argument), or
    /// `{ member }`, `{ group }` or `{ object }`.
    #[wasm_bindgen(unchecked_return_type = "HistoryEntry[]")]
    pub fn history(&self, subject: Option<HistorySubjectArg>) -> Result<JsValue> {
        let o = Options::new(arg(subject))?;
        let s = Subject::one_of(
            optional_id(o.string("member")?)?,
            optional_id(o.string("group")?)?,
            optional_id(o.string("object")?)?,
        )
        .or_throw()?;
        out(&self.0.history(s))
    }

    /// The latest activity of a group.
    #[wasm_bindgen(js_name = groupActivity, unchecked_return_type = "HistoryEntry[]")]
    pub fn group_activity(&self, group: &str, limit: Option<usize>) -> Result<JsValue> {
        let group: GroupId = id(group)?;
        out(&self.0.group_activity(&group, limit.unwrap_or(50)))
    }

    /// Comments on a contact, an event or an entry; returns the comment's id.
    pub fn comment(&mut self, on: &str, text: &str) -> Result<String> {
        let on: ObjectId = id(on)?;
        self.0.comment(on, text).or_throw().map(|c| c.to_string())
    }

    /// The comments on something.
    #[wasm_bindgen(unchecked_return_type = "Comment[]")]
    pub fn comments(&self, on: &str) -> Result<JsValue> {
        let on: ObjectId = id(on)?;
        out(&self.0.comments(on))
    }

    /// Retracts one of the local member's comments.
    #[wasm_bindgen(js_name = retractComment)]
    pub fn retract_comment(&mut self, comment: &str) -> Result<()> {
        self.0.retract_comment(id(comment)?).or_throw()
    }

    /// What changed for `member` since `{ heads }` or `{ time }`.
    #[wasm_bindgen(unchecked_return_type = "Digest")]
    pub fn digest(
        &self,
        member: &str,
        #[wasm_bindgen(unchecked_param_type = "DigestSince")] since: JsValue,
    ) -> Result<JsValue> {
        let member: MemberId = id(member)?;
        let o = Options::new(since)?;
        let heads = o.get("heads");
        let heads = if heads.is_undefined() {
            None
        } else {
            Some(ids(&heads, "heads")?)
        };
        let time = o.date("time")?.map(|t| t.with_timezone(&Utc));
        let since = Since::one_of(heads, time).or_throw()?;
        out(&self.0.digest(&member, &since))
    }

    // ----- fields, sets and texts ---------------------------------------------------------

    /// Sets a single-valued field (`organisation`, `custom:<name>`, ...).
    #[wasm_bindgen(js_name = setField)]
    pub fn set_field(
        &mut self,
        object: &str,
        field: &str,
        #[wasm_bindgen(unchecked_param_type = "FieldValue")] value: JsValue,
    ) -> Result<()> {
        let (object, field, value) = field_edit(object, field, &value)?;
        self.0.set_field(object, field, value).or_throw()
    }

    /// Adds a value to a multi-valued field (`emails`, `tags`, ...).
    #[wasm_bindgen(js_name = addValue)]
    pub fn add_value(
        &mut self,
        object: &str,
        field: &str,
        #[wasm_bindgen(unchecked_param_type = "FieldValue")] value: JsValue,
    ) -> Result<()> {
        let (object, field, value) = field_edit(object, field, &value)?;
        self.0.add_value(object, field, value).or_throw()
    }

    /// Removes a value from a multi-valued field.
    #[wasm_bindgen(js_name = removeValue)]
    pub fn remove_value(
        &mut self,
        object: &str,
        field: &str,
        #[wasm_bindgen(unchecked_param_type = "FieldValue")] value: JsValue,
    ) -> Result<()> {
        let (object, field, value) = field_edit(object, field, &value)?;
        self.0.remove_value(object, field, value).or_throw()
    }

    /// Edits a text field: deletes `deleteCount` characters at `pos`, inserts `insert`.
    #[wasm_bindgen(js_name = spliceText)]
    pub fn splice_text(
        &mut self,
        object: &str,
        field: &str,
        pos: usize,
        #[wasm_bindgen(js_name = deleteCount)] delete_count: Option<usize>,
        insert: Option<String>,
    ) -> Result<()> {
        let field: Field = name(field)?;
        self.0
            .splice_text(
                id(object)?,
                field,
                pos,
                delete_count.unwrap_or(0),
                insert.as_deref().unwrap_or(""),
            )
            .or_throw()
    }

    /// Sets a text field, editing only what differs.
    #[wasm_bindgen(js_name = setText)]
    pub fn set_text(&mut self, object: &str, field: &str, value: &str) -> Result<()> {
        let field: Field = name(field)?;
        self.0.set_text(id(object)?, field, value).or_throw()
    }

    /// A text field's value.
    pub fn text(&self, object: &str, field: &str) -> Result<String> {
        let object: ObjectId = id(object)?;
        let field: Field = name(field)?;
        Ok(self.0.text(&object, &field))
    }

    /// A single-valued field's value (null when unset).
    #[wasm_bindgen(unchecked_return_type = "FieldValue")]
    pub fn field(&self, object: &str, field: &str) -> Result<JsValue> {
        let object: ObjectId = id(object)?;
        let field: Field = name(field)?;
        Ok(self
            .0
            .field(&object, &field)
            .as_ref()
            .map_or(JsValue::NULL, |v| js(&value_to_dynamic(v))))
    }

    /// The concurrent values a single-valued field holds, with the operations that wrote them.
    #[wasm_bindgen(unchecked_return_type = "[OpId, FieldValue][]")]
    pub fn conflicts(&self, object: &str, field: &str) -> Result<JsValue> {
        let object: ObjectId = id(object)?;
        let field: Field = name(field)?;
        let list = Array::new();
        for (op, value) in self.0.conflicts(&object, &field) {
            let pair = Array::of2(&out(&op)?, &js(&value_to_dynamic(&value)));
            list.push(&pair);
        }
        Ok(list.into())
    }

    /// Shares an object with a group.
    pub fn share(&mut self, object: &str, group: &str) -> Result<()> {
        self.0.share(id(object)?, id(group)?).or_throw()
    }

    /// Stops sharing an object with a group.
    pub fn unshare(&mut self, object: &str, group: &str) -> Result<()> {
        self.0.unshare(id(object)?, id(group)?).or_throw()
    }

    /// The groups an object is shared with.
    #[wasm_bindgen(js_name = sharedWith)]
    pub fn shared_with(&self, object: &str) -> Result<Vec<String>> {
        let object: ObjectId = id(object)?;
        Ok(string_array(self.0.shared_with(&object)))
    }
}

/// Runs the sync protocol between two copies in this page or process until both are silent.
#[wasm_bindgen(js_name = syncInMemory, unchecked_return_type = "SyncStats")]
pub fn sync_in_memory(a: &mut Workspace, b: &mut Workspace) -> Result<JsValue> {
    out(&cercle::sync_in_memory(&mut a.0, &mut b.0).or_throw()?)
}

/// The text without accents, in lowercase, with runs of white space made single spaces:
/// the form glossary order and search compare.
#[wasm_bindgen]
pub fn fold(text: &str) -> String {
    cercle::fold::fold(text)
}

/// The version of the saved format this library writes.
#[wasm_bindgen(js_name = formatVersion)]
pub fn format_version() -> u8 {
    cercle::FORMAT_VERSION
}

/// The default pipeline of stages.
#[wasm_bindgen(js_name = defaultPipeline)]
pub fn default_pipeline() -> Vec<String> {
    string_array(cercle::DEFAULT_PIPELINE)
}
