//! The native module of the `cercle` Python package (`cercle._cercle`).
//!
//! A thin layer: it converts arguments (text ids, names, timezone-aware datetimes,
//! bytes), calls the `cercle` crate, and converts results through
//! [`cercle::dynamic`] into the typed classes of `cercle._types`. No domain logic lives
//! here.

use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyMapping, PyString, PyTuple};

use cercle::dynamic::{tag_key, to_dynamic, value_to_dynamic, Dynamic};
use cercle::{
    ApplyError, ChangeHash, ContactId, ContactQuery, EditError, ErrorKind, EventId, Field, GroupId,
    GroupUpdate, Identity, LoadError, MemberId, NewContact, NewEntry, NewEvent, NewGroup, ObjectId,
    ParseIdError, Party, Since, SteppingClock, Subject, SyncState, Value, Workspace,
};

create_exception!(
    cercle,
    CercleError,
    PyException,
    "Base class of every error the library raises."
);
create_exception!(
    cercle,
    PermissionDenied,
    CercleError,
    "The member lacks the right to do this."
);
create_exception!(
    cercle,
    NotFound,
    CercleError,
    "A member, group or object named by the call does not exist."
);
create_exception!(
    cercle,
    InvalidInput,
    CercleError,
    "The call's input is not acceptable (a malformed id, an empty name, a naive datetime, ...)."
);
create_exception!(
    cercle,
    CorruptData,
    CercleError,
    "Bytes from outside are corrupt, forged, or from an unsupported format version."
);

// ----- errors ---------------------------------------------------------------------------

type Attrs = Vec<(&'static str, Option<String>)>;

fn raise(py: Python<'_>, kind: ErrorKind, message: String, attrs: Attrs) -> PyErr {
    let err = match kind {
        ErrorKind::Denied => PermissionDenied::new_err(message.clone()),
        ErrorKind::NotFound => NotFound::new_err(message.clone()),
        ErrorKind::InvalidInput => InvalidInput::new_err(message.clone()),
        _ => CorruptData::new_err(message.clone()),
    };
    let value = err.value(py);
    // Setting attributes on a fresh exception instance cannot fail in practice; if it
    // did, the exception would still carry its message.
    let _ = value.setattr("kind", kind.as_str());
    let _ = value.setattr("message", message);
    for (name, v) in attrs {
        let _ = value.setattr(name, v);
    }
    err
}

fn edit_error(py: Python<'_>, e: EditError) -> PyErr {
    let attrs: Attrs = e.details().into_iter().map(|(k, v)| (k, Some(v))).collect();
    raise(py, e.kind(), e.to_string(), attrs)
}

fn apply_error(py: Python<'_>, e: ApplyError) -> PyErr {
    let change = e.change().map(|h| h.to_string());
    raise(py, e.kind(), e.to_string(), vec![("change", change)])
}

fn load_error(py: Python<'_>, e: LoadError) -> PyErr {
    let change = e.change().map(|h| h.to_string());
    raise(py, e.kind(), e.to_string(), vec![("change", change)])
}

fn invalid(py: Python<'_>, message: String) -> PyErr {
    raise(py, ErrorKind::InvalidInput, message, Vec::new())
}

trait OrRaise<T> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> OrRaise<T> for Result<T, EditError> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| edit_error(py, e))
    }
}

impl<T> OrRaise<T> for Result<T, ApplyError> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| apply_error(py, e))
    }
}

impl<T> OrRaise<T> for Result<T, ParseIdError> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| invalid(py, e.to_string()))
    }
}

// ----- arguments ------------------------------------------------------------------------

fn id<T: FromStr<Err = ParseIdError>>(py: Python<'_>, text: &str) -> PyResult<T> {
    text.parse::<T>().or_raise(py)
}

fn ids<T: FromStr<Err = ParseIdError>>(py: Python<'_>, texts: &[String]) -> PyResult<Vec<T>> {
    texts.iter().map(|t| id(py, t)).collect()
}

fn name<T: FromStr<Err = EditError>>(py: Python<'_>, text: &str) -> PyResult<T> {
    text.parse::<T>().or_raise(py)
}

/// The `datetime` class and the epoch as an aware `datetime`, looked up once.
static DATETIME: pyo3::sync::PyOnceLock<(Py<PyAny>, Py<PyAny>)> = pyo3::sync::PyOnceLock::new();

/// A timezone-aware `datetime` as a date-time with its offset. Naive datetimes are refused:
/// a shared workspace cannot guess which time zone a member meant.
fn datetime(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<DateTime<FixedOffset>> {
    let (class, epoch) = DATETIME.get_or_try_init(py, || -> PyResult<_> {
        let module = py.import("datetime")?;
        let class = module.getattr("datetime")?;
        let utc = module.getattr("timezone")?.getattr("utc")?;
        let epoch = class.call1((1970, 1, 1, 0, 0, 0, 0, utc))?;
        Ok((class.unbind(), epoch.unbind()))
    })?;
    if !value.is_instance(class.bind(py))? {
        let type_name = value.get_type().name()?.to_string();
        return Err(invalid(py, format!("expected a datetime, got {type_name}")));
    }
    let offset = value.call_method0(intern!(py, "utcoffset"))?;
    if offset.is_none() {
        return Err(invalid(
            py,
            format!(
                "naive datetime `{}`: give it a time zone (e.g. tzinfo=timezone.utc)",
                value.str()?
            ),
        ));
    }
    let offset_seconds: f64 = offset
        .call_method0(intern!(py, "total_seconds"))?
        .extract()?;
    let delta = value.call_method1(intern!(py, "__sub__"), (epoch.bind(py),))?;
    let days: i64 = delta.getattr(intern!(py, "days"))?.extract()?;
    let seconds: i64 = delta.getattr(intern!(py, "seconds"))?.extract()?;
    let micros: i64 = delta.getattr(intern!(py, "microseconds"))?.extract()?;
    let millis = days
        .checked_mul(86_400_000)
        .and_then(|d| d.checked_add(seconds * 1000 + micros / 1000));
    let fixed = FixedOffset::east_opt(offset_seconds as i32);
    match (millis, fixed) {
        (Some(millis), Some(fixed)) => fixed
            .timestamp_millis_opt(millis)
            .single()
            .ok_or_else(|| invalid(py, "datetime out of range".into())),
        _ => Err(invalid(py, "datetime out of range".into())),
    }
}

/// A field value from Python: `None`, a bool, a datetime, or text read for the field.
fn field_value(py: Python<'_>, field: &Field, value: &Bound<'_, PyAny>) -> PyResult<Value> {
    if value.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = value.cast::<pyo3::types::PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(text) = value.extract::<String>() {
        return field.parse_value(&text).or_raise(py);
    }
    datetime(py, value)
        .map(|t| Value::Instant(t.into()))
        .map_err(|_| {
            invalid(
                py,
                format!("{field} takes text, a bool, a datetime or None"),
            )
        })
}

// ----- results --------------------------------------------------------------------------

fn types(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    py.import("cercle._types")
}

/// Turns dynamic results into Python objects. Field names, result classes and the
/// instant helper are looked up once per conversion and reused: a list of events names
/// the same dozen fields hundreds of thousands of times, and a new Python string per
/// name was most of the work.
struct Converter<'py> {
    py: Python<'py>,
    types: Bound<'py, PyModule>,
    names: std::collections::HashMap<&'static str, Bound<'py, PyString>>,
    classes: std::collections::HashMap<&'static str, Option<Bound<'py, PyAny>>>,
    instant: Option<Bound<'py, PyAny>>,
}

impl<'py> Converter<'py> {
    fn new(py: Python<'py>) -> PyResult<Self> {
        Ok(Converter {
            py,
            types: types(py)?,
            names: std::collections::HashMap::new(),
            classes: std::collections::HashMap::new(),
            instant: None,
        })
    }

    /// A field name as a Python string (made once).
    fn name(&mut self, name: &'static str) -> Bound<'py, PyString> {
        let py = self.py;
        self.names
            .entry(name)
            .or_insert_with(|| PyString::intern(py, name))
            .clone()
    }

    /// The result class of a type name, if the module has one.
    fn class(&mut self, name: &'static str) -> Option<Bound<'py, PyAny>> {
        let types = &self.types;
        self.classes
            .entry(name)
            .or_insert_with(|| types.getattr(name).ok())
            .clone()
    }

    /// A new, empty instance of the result class of a type name, and the dictionary of
    /// its attributes, which the caller fills with exactly the fields the core gave; a
    /// plain dictionary for a type without a class. The fields come complete from the
    /// core's own types, so the dataclass `__init__` is skipped: it is what makes a
    /// frozen dataclass slow to build.
    fn instance(
        &mut self,
        name: &'static str,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyDict>)> {
        let py = self.py;
        match self.class(name) {
            Some(class) => {
                let object = class.call_method1(intern!(py, "__new__"), (&class,))?;
                let attributes = object
                    .getattr(intern!(py, "__dict__"))?
                    .cast_into::<PyDict>()?;
                Ok((object, attributes))
            }
            None => {
                let dict = PyDict::new(py);
                Ok((dict.clone().into_any(), dict))
            }
        }
    }

    fn convert(&mut self, d: Dynamic) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        Ok(match d {
            Dynamic::Null => py.None().into_bound(py),
            Dynamic::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
            Dynamic::Int(i) => i.into_pyobject(py)?.into_any(),
            Dynamic::UInt(u) => u.into_pyobject(py)?.into_any(),
            Dynamic::Float(f) => f.into_pyobject(py)?.into_any(),
            Dynamic::Str(s) => s.into_pyobject(py)?.into_any(),
            Dynamic::Bytes(b) => PyBytes::new(py, &b).into_any(),
            Dynamic::Instant(i) => {
                let helper = match &self.instant {
                    Some(helper) => helper.clone(),
                    None => {
                        let helper = self.types.getattr(intern!(py, "_instant"))?;
                        self.instant = Some(helper.clone());
                        helper
                    }
                };
                helper.call1((i.millis, i.offset_seconds))?
            }
            Dynamic::List(items) => {
                let items = items
                    .into_iter()
                    .map(|x| self.convert(x))
                    .collect::<PyResult<Vec<_>>>()?;
                PyList::new(py, items)?.into_any()
            }
            Dynamic::Map(entries) => {
                let dict = PyDict::new(py);
                for (k, v) in entries {
                    dict.set_item(self.convert(k)?, self.convert(v)?)?;
                }
                dict.into_any()
            }
            Dynamic::Record { name, fields } => {
                let (object, attributes) = self.instance(name)?;
                for (k, v) in fields {
                    attributes.set_item(self.name(k), self.convert(v)?)?;
                }
                object
            }
            Dynamic::Variant { name, tag, value } => {
                let (object, attributes) = self.instance(name)?;
                attributes.set_item(self.name(tag_key(name)), tag)?;
                match *value {
                    Dynamic::Null => {}
                    Dynamic::Record { fields, .. } => {
                        for (k, v) in fields {
                            attributes.set_item(self.name(k), self.convert(v)?)?;
                        }
                    }
                    other => attributes.set_item(intern!(py, "value"), self.convert(other)?)?,
                }
                object
            }
        })
    }
}

fn out<T: serde::Serialize + ?Sized>(py: Python<'_>, value: &T) -> PyResult<Py<PyAny>> {
    let d = to_dynamic(value).map_err(|e| invalid(py, e.to_string()))?;
    Ok(Converter::new(py)?.convert(d)?.unbind())
}

/// Pauses Python's cyclic garbage collector while a large result is converted, and turns
/// it back on when dropped. Results hold no cycles, yet each container they create counts
/// towards a collection, and collections then walk every object built so far.
struct GcPause<'py>(Option<Bound<'py, PyModule>>);

impl<'py> GcPause<'py> {
    fn new(py: Python<'py>) -> Self {
        let Ok(gc) = py.import("gc") else {
            return GcPause(None);
        };
        let enabled = gc
            .call_method0(intern!(py, "isenabled"))
            .and_then(|v| v.is_truthy())
            .unwrap_or(false);
        if enabled && gc.call_method0(intern!(py, "disable")).is_ok() {
            GcPause(Some(gc))
        } else {
            GcPause(None)
        }
    }
}

impl Drop for GcPause<'_> {
    fn drop(&mut self) {
        if let Some(gc) = &self.0 {
            // Re-enabling cannot meaningfully fail; there is nothing to report it to.
            let _ = gc.call_method0(intern!(gc.py(), "enable"));
        }
    }
}

/// A list of results, converted one item at a time so a large result never exists twice
/// in full (as a dynamic tree and as Python objects).
fn out_each<T: serde::Serialize>(py: Python<'_>, items: &[T]) -> PyResult<Py<PyAny>> {
    let _pause = (items.len() >= 1024).then(|| GcPause::new(py));
    let mut converter = Converter::new(py)?;
    let list = PyList::empty(py);
    for item in items {
        let d = to_dynamic(item).map_err(|e| invalid(py, e.to_string()))?;
        list.append(converter.convert(d)?)?;
    }
    Ok(list.into_any().unbind())
}

fn bytes(py: Python<'_>, b: &[u8]) -> Py<PyBytes> {
    PyBytes::new(py, b).unbind()
}

// ----- classes --------------------------------------------------------------------------

/// A member's signing key. Its public half is the member id.
#[pyclass(module = "cercle", name = "Identity", frozen)]
struct PyIdentity(Identity);

#[pymethods]
impl PyIdentity {
    /// A new identity from the operating system's secure random source.
    #[staticmethod]
    fn generate() -> Self {
        PyIdentity(Identity::generate())
    }

    /// The identity whose secret key is these 32 bytes.
    #[staticmethod]
    fn from_secret_bytes(py: Python<'_>, secret: &[u8]) -> PyResult<Self> {
        Identity::from_secret_slice(secret)
            .map(PyIdentity)
            .map_err(|e| invalid(py, e.to_string()))
    }

    /// The 32 secret bytes: keep them private.
    fn secret_bytes(&self, py: Python<'_>) -> Py<PyBytes> {
        bytes(py, &self.0.secret_bytes())
    }

    /// The member id (64 hexadecimal digits).
    #[getter]
    fn member_id(&self) -> String {
        self.0.member_id().to_string()
    }

    fn __repr__(&self) -> String {
        format!("Identity(member_id='{}')", self.0.member_id())
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyIdentity>()
            .is_ok_and(|o| o.get().0.member_id() == self.0.member_id())
    }

    fn __hash__(&self) -> u64 {
        let b = self.0.member_id();
        let mut h = [0u8; 8];
        h.copy_from_slice(b.as_bytes().get(..8).unwrap_or(&[0; 8]));
        u64::from_le_bytes(h)
    }
}

/// A clock that starts at `start` and advances `step_ms` milliseconds at every reading:
/// reproducible change times for tests and examples.
#[pyclass(module = "cercle", name = "SteppingClock", frozen)]
struct PySteppingClock(Arc<SteppingClock>);

#[pymethods]
impl PySteppingClock {
    #[new]
    #[pyo3(signature = (start, step_ms = 1000))]
    fn new(py: Python<'_>, start: &Bound<'_, PyAny>, step_ms: i64) -> PyResult<Self> {
        let start = datetime(py, start)?.with_timezone(&Utc);
        Ok(PySteppingClock(Arc::new(SteppingClock::new(
            start, step_ms,
        ))))
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.0)
    }
}

/// What one side of a sync knows about the other. Keep one per peer and connection.
#[pyclass(module = "cercle", name = "SyncState")]
#[derive(Default)]
struct PySyncState(SyncState);

#[pymethods]
impl PySyncState {
    #[new]
    fn new() -> Self {
        Self::default()
    }

    /// The peer's heads, once it has said them.
    #[getter]
    fn their_heads(&self) -> Option<Vec<String>> {
        self.0
            .their_heads()
            .map(|h| h.iter().map(ToString::to_string).collect())
    }

    fn __repr__(&self) -> String {
        match self.0.their_heads() {
            Some(h) => format!("SyncState(their_heads={})", h.len()),
            None => "SyncState()".into(),
        }
    }
}

/// One member's copy of a workspace.
#[pyclass(module = "cercle", name = "Workspace")]
struct PyWorkspace(Workspace);

/// A batch of edits: committed as one change when the block ends, abandoned if it raises.
#[pyclass(module = "cercle", name = "Batch")]
struct PyBatch(Py<PyWorkspace>);

#[pymethods]
impl PyBatch {
    fn __enter__(&self, py: Python<'_>) -> Py<PyWorkspace> {
        self.0.clone_ref(py)
    }

    #[pyo3(signature = (exc_type = None, _exc = None, _tb = None))]
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: Option<&Bound<'_, PyAny>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> bool {
        let mut ws = self.0.borrow_mut(py);
        if exc_type.is_some_and(|t| !t.is_none()) {
            ws.0.discard();
        } else {
            ws.0.commit();
        }
        false
    }
}

fn party(py: Python<'_>, text: &str) -> PyResult<Party> {
    name(py, text)
}

fn optional_id<T: FromStr<Err = ParseIdError>>(
    py: Python<'_>,
    text: Option<&str>,
) -> PyResult<Option<T>> {
    text.map(|t| id(py, t)).transpose()
}

/// The object, field and value of a field edit.
fn field_edit(
    py: Python<'_>,
    object: &str,
    field: &str,
    value: &Bound<'_, PyAny>,
) -> PyResult<(ObjectId, Field, Value)> {
    let object: ObjectId = id(py, object)?;
    let field: Field = name(py, field)?;
    let value = field_value(py, &field, value)?;
    Ok((object, field, value))
}

#[pymethods]
impl PyWorkspace {
    /// Founds a new workspace; `founder` becomes its first owner.
    #[staticmethod]
    #[pyo3(signature = (founder, name, *, clock = None))]
    fn create(founder: &PyIdentity, name: &str, clock: Option<&PySteppingClock>) -> Self {
        let identity = founder.0.clone();
        PyWorkspace(match clock {
            Some(c) => Workspace::create_with_clock(identity, name, c.0.clone()),
            None => Workspace::create(identity, name),
        })
    }

    /// Loads saved bytes as the copy of `identity`, verifying every change.
    #[staticmethod]
    #[pyo3(signature = (identity, data, *, clock = None))]
    fn load(
        py: Python<'_>,
        identity: &PyIdentity,
        data: &[u8],
        clock: Option<&PySteppingClock>,
    ) -> PyResult<Self> {
        let identity = identity.0.clone();
        let clock = clock.map(|c| c.0.clone());
        let result = py.detach(|| match clock {
            Some(c) => Workspace::load_with_clock(identity, data, c),
            None => Workspace::load(identity, data),
        });
        result.map(PyWorkspace).map_err(|e| load_error(py, e))
    }

    fn __repr__(&self) -> String {
        format!(
            "Workspace(name={:?}, id='{}', member='{}', changes={})",
            self.0.name(),
            self.0.id(),
            self.0.member_id(),
            self.0.change_count()
        )
    }

    /// Replaces the clock that stamps new changes.
    fn set_clock(&mut self, clock: &PySteppingClock) {
        self.0.set_clock(clock.0.clone());
    }

    /// The workspace id.
    #[getter]
    fn id(&self) -> String {
        self.0.id().to_string()
    }

    /// The local member.
    #[getter]
    fn member_id(&self) -> String {
        self.0.member_id().to_string()
    }

    /// The local identity.
    #[getter]
    fn identity(&self) -> PyIdentity {
        PyIdentity(self.0.identity().clone())
    }

    /// The founder.
    #[getter]
    fn founder(&self) -> String {
        self.0.founder().to_string()
    }

    /// The workspace's name.
    #[getter]
    fn name(&self) -> String {
        self.0.name().to_string()
    }

    /// The heads: the changes no other depends on, sorted.
    #[getter]
    fn heads(&self) -> Vec<String> {
        self.0.heads().iter().map(ToString::to_string).collect()
    }

    /// How many changes are stored.
    #[getter]
    fn change_count(&self) -> usize {
        self.0.change_count()
    }

    /// Whether local edits wait to be committed.
    #[getter]
    fn has_uncommitted(&self) -> bool {
        self.0.has_uncommitted()
    }

    /// Seals the local edits into one signed change; returns its hash or None.
    fn commit(&mut self) -> Option<String> {
        self.0.commit().map(|h| h.to_string())
    }

    /// Abandons the local edits not yet committed.
    fn discard(&mut self) -> bool {
        self.0.discard()
    }

    /// A context manager: the edits of the block become one change, or none if it raises.
    fn batch(slf: Py<Self>) -> PyBatch {
        PyBatch(slf)
    }

    // ----- bytes ------------------------------------------------------------------------

    /// Every change, as bytes `Workspace.load` reads.
    fn save(&mut self, py: Python<'_>) -> Py<PyBytes> {
        let ws = &mut self.0;
        let data = py.detach(|| ws.save());
        bytes(py, &data)
    }

    /// The changes not reachable from `heads`, as bytes `apply` reads.
    fn save_since(&mut self, py: Python<'_>, heads: Vec<String>) -> PyResult<Py<PyBytes>> {
        let heads: Vec<ChangeHash> = ids(py, &heads)?;
        Ok(bytes(py, &self.0.save_since(&heads)))
    }

    /// These changes, as bytes `apply` reads.
    fn encode_changes(&self, py: Python<'_>, hashes: Vec<String>) -> PyResult<Py<PyBytes>> {
        let hashes: Vec<ChangeHash> = ids(py, &hashes)?;
        Ok(bytes(py, &self.0.encode_changes(&hashes)))
    }

    /// Applies changes from another copy (all or nothing).
    fn apply(&mut self, py: Python<'_>, data: &[u8]) -> PyResult<Py<PyAny>> {
        let ws = &mut self.0;
        let report = py.detach(|| ws.apply(data)).or_raise(py)?;
        out(py, &report)
    }

    /// Takes every change of `other` this copy lacks.
    fn merge(&mut self, py: Python<'_>, other: PyRef<'_, PyWorkspace>) -> PyResult<Py<PyAny>> {
        let ws = &mut self.0;
        let other = &other.0;
        let report = py.detach(|| ws.merge(other)).or_raise(py)?;
        out(py, &report)
    }

    /// The hashes of the changes not reachable from `heads`.
    fn changes_since(&self, py: Python<'_>, heads: Vec<String>) -> PyResult<Vec<String>> {
        let heads: Vec<ChangeHash> = ids(py, &heads)?;
        Ok(self
            .0
            .changes_since(&heads)
            .iter()
            .map(ToString::to_string)
            .collect())
    }

    /// The next message to send to the peer of `state`, or None when there is nothing to say.
    fn generate_sync_message(
        &mut self,
        py: Python<'_>,
        mut state: PyRefMut<'_, PySyncState>,
    ) -> Option<Py<PyBytes>> {
        let ws = &mut self.0;
        let state = &mut state.0;
        py.detach(|| ws.generate_sync_message(state))
            .map(|m| bytes(py, &m))
    }

    /// Reads a message from the peer of `state` and applies the changes it carries.
    fn receive_sync_message(
        &mut self,
        py: Python<'_>,
        mut state: PyRefMut<'_, PySyncState>,
        message: &[u8],
    ) -> PyResult<Py<PyAny>> {
        let ws = &mut self.0;
        let state = &mut state.0;
        let report = py
            .detach(|| ws.receive_sync_message(state, message))
            .or_raise(py)?;
        out(py, &report)
    }

    // ----- members and groups -----------------------------------------------------------

    fn rename(&mut self, py: Python<'_>, name: &str) -> PyResult<()> {
        self.0.rename(name).or_raise(py)
    }

    fn set_display_name(&mut self, py: Python<'_>, display_name: &str) -> PyResult<()> {
        self.0.set_display_name(display_name).or_raise(py)
    }

    #[pyo3(signature = (member, role = "member"))]
    fn add_member(&mut self, py: Python<'_>, member: &str, role: &str) -> PyResult<()> {
        let (member, role) = (id(py, member)?, name(py, role)?);
        self.0.add_member(member, role).or_raise(py)
    }

    fn set_role(&mut self, py: Python<'_>, member: &str, role: &str) -> PyResult<()> {
        let (member, role) = (id(py, member)?, name(py, role)?);
        self.0.set_role(member, role).or_raise(py)
    }

    fn remove_member(&mut self, py: Python<'_>, member: &str) -> PyResult<()> {
        let member = id(py, member)?;
        self.0.remove_member(member).or_raise(py)
    }

    fn leave(&mut self, py: Python<'_>) -> PyResult<()> {
        self.0.leave().or_raise(py)
    }

    fn role(&self, py: Python<'_>, member: &str) -> PyResult<Option<String>> {
        let member: MemberId = id(py, member)?;
        Ok(self.0.role(&member).map(|r| r.as_str().to_string()))
    }

    fn members(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        out_each(py, &self.0.members())
    }

    fn display_name(&self, py: Python<'_>, member: &str) -> PyResult<Option<String>> {
        let member: MemberId = id(py, member)?;
        Ok(self.0.display_name(&member).map(str::to_string))
    }

    #[pyo3(signature = (name, *, purpose = None, tags = Vec::new(), open = true))]
    fn create_group(
        &mut self,
        py: Python<'_>,
        name: &str,
        purpose: Option<String>,
        tags: Vec<String>,
        open: bool,
    ) -> PyResult<String> {
        let mut group = NewGroup::new(name).tags(tags).open(open);
        if let Some(p) = purpose {
            group = group.purpose(p);
        }
        self.0
            .create_group(group)
            .or_raise(py)
            .map(|g| g.to_string())
    }

    #[pyo3(signature = (group, *, name = None, purpose = None, tags = None, open = None, archived = None))]
    #[allow(clippy::too_many_arguments)]
    fn update_group(
        &mut self,
        py: Python<'_>,
        group: &str,
        name: Option<String>,
        purpose: Option<String>,
        tags: Option<Vec<String>>,
        open: Option<bool>,
        archived: Option<bool>,
    ) -> PyResult<()> {
        let group: GroupId = id(py, group)?;
        let updates: Vec<GroupUpdate> = [
            name.map(GroupUpdate::Name),
            purpose.map(GroupUpdate::Purpose),
            tags.map(GroupUpdate::Tags),
            open.map(GroupUpdate::Open),
            archived.map(GroupUpdate::Archived),
        ]
        .into_iter()
        .flatten()
        .collect();
        for update in updates {
            self.0.update_group(group, update).or_raise(py)?;
        }
        Ok(())
    }

    fn set_group_role(
        &mut self,
        py: Python<'_>,
        group: &str,
        member: &str,
        role: &str,
    ) -> PyResult<()> {
        let (group, member, role) = (id(py, group)?, id(py, member)?, name(py, role)?);
        self.0.set_group_role(group, member, role).or_raise(py)
    }

    fn remove_from_group(&mut self, py: Python<'_>, group: &str, member: &str) -> PyResult<()> {
        let (group, member) = (id(py, group)?, id(py, member)?);
        self.0.remove_from_group(group, member).or_raise(py)
    }

    fn join_group(&mut self, py: Python<'_>, group: &str) -> PyResult<()> {
        let group = id(py, group)?;
        self.0.join_group(group).or_raise(py)
    }

    fn leave_group(&mut self, py: Python<'_>, group: &str) -> PyResult<()> {
        let group = id(py, group)?;
        self.0.leave_group(group).or_raise(py)
    }

    fn group(&self, py: Python<'_>, group: &str) -> PyResult<Py<PyAny>> {
        let group: GroupId = id(py, group)?;
        out(py, &self.0.group(&group))
    }

    fn groups(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        out_each(py, &self.0.groups())
    }

    fn member_groups(&self, py: Python<'_>, member: &str) -> PyResult<Py<PyAny>> {
        let member: MemberId = id(py, member)?;
        out(py, &self.0.member_groups(&member))
    }

    fn group_members(&self, py: Python<'_>, group: &str) -> PyResult<Py<PyAny>> {
        let group: GroupId = id(py, group)?;
        out(py, &self.0.group_members(&group))
    }

    fn groups_matching(&self, py: Python<'_>, tags: Vec<String>) -> PyResult<Py<PyAny>> {
        out(py, &self.0.groups_matching(&tags))
    }

    // ----- changes ----------------------------------------------------------------------

    fn change_status(&self, py: Python<'_>, change: &str) -> PyResult<Py<PyAny>> {
        let change: ChangeHash = id(py, change)?;
        out(py, &self.0.change_status(&change))
    }

    fn why_ignored(&self, py: Python<'_>, change: &str) -> PyResult<Py<PyAny>> {
        let change: ChangeHash = id(py, change)?;
        out(py, &self.0.why_ignored(&change))
    }

    fn change(&self, py: Python<'_>, change: &str) -> PyResult<Py<PyAny>> {
        let change: ChangeHash = id(py, change)?;
        out(py, &self.0.change(&change))
    }

    fn changes(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        out_each(py, &self.0.changes())
    }

    // ----- contacts ---------------------------------------------------------------------

    #[getter]
    fn pipeline(&self) -> Vec<String> {
        self.0.pipeline()
    }

    fn set_pipeline(&mut self, py: Python<'_>, stages: Vec<String>) -> PyResult<()> {
        self.0.set_pipeline(&stages).or_raise(py)
    }

    #[pyo3(signature = (
        display_name, *, given_name = None, family_name = None, kind = None,
        organisation = None, job_title = None, address = None, stage = None, owner = None,
        emails = Vec::new(), phones = Vec::new(), links = Vec::new(), tags = Vec::new(),
        notes = None, custom = None, groups = Vec::new()
    ))]
    #[allow(clippy::too_many_arguments)]
    fn create_contact(
        &mut self,
        py: Python<'_>,
        display_name: &str,
        given_name: Option<String>,
        family_name: Option<String>,
        kind: Option<String>,
        organisation: Option<String>,
        job_title: Option<String>,
        address: Option<String>,
        stage: Option<String>,
        owner: Option<String>,
        emails: Vec<String>,
        phones: Vec<String>,
        links: Vec<String>,
        tags: Vec<String>,
        notes: Option<String>,
        custom: Option<Bound<'_, PyMapping>>,
        groups: Vec<String>,
    ) -> PyResult<String> {
        let mut c = NewContact::new(display_name);
        if let Some(v) = given_name {
            c = c.given_name(v);
        }
        if let Some(v) = family_name {
            c = c.family_name(v);
        }
        if let Some(v) = kind {
            c = c.kind(name(py, &v)?);
        }
        if let Some(v) = organisation {
            c = c.organisation(v);
        }
        if let Some(v) = job_title {
            c = c.job_title(v);
        }
        if let Some(v) = address {
            c = c.address(v);
        }
        if let Some(v) = stage {
            c = c.stage(v);
        }
        if let Some(v) = owner {
            c = c.owner(id(py, &v)?);
        }
        for v in emails {
            c = c.email(v);
        }
        for v in phones {
            c = c.phone(v);
        }
        for v in links {
            c = c.link(v);
        }
        for v in tags {
            c = c.tag(v);
        }
        if let Some(v) = notes {
            c = c.notes(v);
        }
        for item in custom.map(|m| m.items()).transpose()?.iter().flatten() {
            let (k, v): (String, String) = item.extract()?;
            c = c.custom(k, v);
        }
        for g in groups {
            c = c.group(id(py, &g)?);
        }
        self.0.create_contact(c).or_raise(py).map(|c| c.to_string())
    }

    fn set_stage(&mut self, py: Python<'_>, contact: &str, stage: &str) -> PyResult<String> {
        let contact = id(py, contact)?;
        self.0
            .set_stage(contact, stage)
            .or_raise(py)
            .map(|e| e.to_string())
    }

    fn archive_contact(&mut self, py: Python<'_>, contact: &str) -> PyResult<()> {
        let contact = id(py, contact)?;
        self.0.archive_contact(contact).or_raise(py)
    }

    fn restore_contact(&mut self, py: Python<'_>, contact: &str) -> PyResult<()> {
        let contact = id(py, contact)?;
        self.0.restore_contact(contact).or_raise(py)
    }

    fn merge_contacts(&mut self, py: Python<'_>, source: &str, into: &str) -> PyResult<()> {
        let (source, into) = (id(py, source)?, id(py, into)?);
        self.0.merge_contacts(source, into).or_raise(py)
    }

    fn contact(&self, py: Python<'_>, contact: &str) -> PyResult<Py<PyAny>> {
        let contact: ContactId = id(py, contact)?;
        out(py, &self.0.contact(&contact))
    }

    #[pyo3(signature = (*, kind = None, stage = None, tag = None, group = None, owner = None, text = None, include_archived = false))]
    #[allow(clippy::too_many_arguments)]
    fn contacts(
        &self,
        py: Python<'_>,
        kind: Option<String>,
        stage: Option<String>,
        tag: Option<String>,
        group: Option<String>,
        owner: Option<String>,
        text: Option<String>,
        include_archived: bool,
    ) -> PyResult<Py<PyAny>> {
        let mut q = ContactQuery::default().include_archived(include_archived);
        if let Some(v) = kind {
            q = q.kind(name(py, &v)?);
        }
        if let Some(v) = stage {
            q = q.stage(v);
        }
        if let Some(v) = tag {
            q = q.tag(v);
        }
        if let Some(v) = group {
            q = q.group(id(py, &v)?);
        }
        if let Some(v) = owner {
            q = q.owner(id(py, &v)?);
        }
        if let Some(v) = text {
            q = q.text(v);
        }
        out_each(py, &self.0.contacts(&q))
    }

    fn find_duplicates(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        out_each(py, &self.0.find_duplicates())
    }

    // ----- events -----------------------------------------------------------------------

    #[pyo3(signature = (
        kind, title, *, start = None, end = None, location = None, contacts = Vec::new(),
        groups = Vec::new(), attendees = None, agenda = Vec::new(), notes = None,
        status = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn create_event(
        &mut self,
        py: Python<'_>,
        kind: &str,
        title: &str,
        start: Option<&Bound<'_, PyAny>>,
        end: Option<&Bound<'_, PyAny>>,
        location: Option<String>,
        contacts: Vec<String>,
        groups: Vec<String>,
        attendees: Option<Bound<'_, PyMapping>>,
        agenda: Vec<String>,
        notes: Option<String>,
        status: Option<String>,
    ) -> PyResult<String> {
        let mut e = NewEvent::new(name(py, kind)?, title);
        if let Some(t) = start {
            e = e.start(datetime(py, t)?);
        }
        if let Some(t) = end {
            e = e.end(datetime(py, t)?);
        }
        if let Some(v) = location {
            e = e.location(v);
        }
        for c in contacts {
            e = e.contact(id(py, &c)?);
        }
        for g in groups {
            e = e.group(id(py, &g)?);
        }
        // In the order given, so the same calls make the same change in every runtime.
        for item in attendees.map(|m| m.items()).transpose()?.iter().flatten() {
            let (p, role): (String, String) = item.extract()?;
            e = e.attendee(party(py, &p)?, name(py, &role)?);
        }
        for item in agenda {
            e = e.agenda_item(item);
        }
        if let Some(v) = notes {
            e = e.notes(v);
        }
        if let Some(v) = status {
            e = e.status(name(py, &v)?);
        }
        self.0.create_event(e).or_raise(py).map(|e| e.to_string())
    }

    fn add_agenda_item(&mut self, py: Python<'_>, event: &str, text: &str) -> PyResult<String> {
        let event = id(py, event)?;
        self.0
            .add_agenda_item(event, text)
            .or_raise(py)
            .map(|i| i.to_string())
    }

    #[pyo3(signature = (event, text, decided_at, decided_by = Vec::new()))]
    fn record_decision(
        &mut self,
        py: Python<'_>,
        event: &str,
        text: &str,
        decided_at: &Bound<'_, PyAny>,
        decided_by: Vec<String>,
    ) -> PyResult<String> {
        let event = id(py, event)?;
        let at = datetime(py, decided_at)?;
        let by: Vec<MemberId> = ids(py, &decided_by)?;
        self.0
            .record_decision(event, text, at, &by)
            .or_raise(py)
            .map(|i| i.to_string())
    }

    fn set_event_status(&mut self, py: Python<'_>, event: &str, status: &str) -> PyResult<()> {
        let (event, status) = (id(py, event)?, name(py, status)?);
        self.0.set_event_status(event, status).or_raise(py)
    }

    fn set_attendee(
        &mut self,
        py: Python<'_>,
        event: &str,
        party_id: &str,
        role: &str,
    ) -> PyResult<()> {
        let (event, p, role) = (id(py, event)?, party(py, party_id)?, name(py, role)?);
        self.0.set_attendee(event, p, role).or_raise(py)
    }

    fn remove_attendee(&mut self, py: Python<'_>, event: &str, party_id: &str) -> PyResult<()> {
        let (event, p) = (id(py, event)?, party(py, party_id)?);
        self.0.remove_attendee(event, p).or_raise(py)
    }

    fn retract_event(&mut self, py: Python<'_>, event: &str) -> PyResult<()> {
        let event = id(py, event)?;
        self.0.retract_event(event).or_raise(py)
    }

    fn event(&self, py: Python<'_>, event: &str) -> PyResult<Py<PyAny>> {
        let event: EventId = id(py, event)?;
        out(py, &self.0.event(&event))
    }

    fn audience(&self, py: Python<'_>, event: &str) -> PyResult<Vec<String>> {
        let event: EventId = id(py, event)?;
        Ok(self
            .0
            .audience(&event)
            .iter()
            .map(ToString::to_string)
            .collect())
    }

    fn events(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        out_each(py, &self.0.events())
    }

    fn timeline(&self, py: Python<'_>, contact: &str) -> PyResult<Py<PyAny>> {
        let contact: ContactId = id(py, contact)?;
        out_each(py, &self.0.timeline(&contact))
    }

    fn upcoming_meetings(
        &self,
        py: Python<'_>,
        member: &str,
        now: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        let member: MemberId = id(py, member)?;
        let now = datetime(py, now)?.with_timezone(&Utc);
        out_each(py, &self.0.upcoming_meetings(&member, now))
    }

    // ----- glossaries -------------------------------------------------------------------

    #[pyo3(signature = (group, title, *, language = "fr", description = ""))]
    fn create_glossary(
        &mut self,
        py: Python<'_>,
        group: &str,
        title: &str,
        language: &str,
        description: &str,
    ) -> PyResult<String> {
        let group = id(py, group)?;
        self.0
            .create_glossary(group, title, language, description)
            .or_raise(py)
            .map(|g| g.to_string())
    }

    fn glossary(&self, py: Python<'_>, glossary: &str) -> PyResult<Py<PyAny>> {
        let glossary = id(py, glossary)?;
        out(py, &self.0.glossary(&glossary))
    }

    fn glossaries(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        out(py, &self.0.glossaries())
    }

    #[pyo3(signature = (
        glossary, term, *, definition = None, examples = String::new(), variants = Vec::new(),
        tags = Vec::new(), sources = Vec::new(), see_also = Vec::new()
    ))]
    #[allow(clippy::too_many_arguments)]
    fn add_entry(
        &mut self,
        py: Python<'_>,
        glossary: &str,
        term: &str,
        definition: Option<String>,
        examples: String,
        variants: Vec<String>,
        tags: Vec<String>,
        sources: Vec<String>,
        see_also: Vec<String>,
    ) -> PyResult<String> {
        let glossary = id(py, glossary)?;
        let mut e = NewEntry::new(term);
        if let Some(d) = definition {
            e = e.definition(d, examples);
        }
        for v in variants {
            e = e.variant(v);
        }
        for v in tags {
            e = e.tag(v);
        }
        for v in sources {
            e = e.source(v);
        }
        for v in see_also {
            e = e.see_also(id(py, &v)?);
        }
        self.0
            .add_entry(glossary, e)
            .or_raise(py)
            .map(|e| e.to_string())
    }

    #[pyo3(signature = (entry, definition, examples = ""))]
    fn add_sense(
        &mut self,
        py: Python<'_>,
        entry: &str,
        definition: &str,
        examples: &str,
    ) -> PyResult<String> {
        let entry = id(py, entry)?;
        self.0
            .add_sense(entry, definition, examples)
            .or_raise(py)
            .map(|s| s.to_string())
    }

    fn set_entry_status(&mut self, py: Python<'_>, entry: &str, status: &str) -> PyResult<()> {
        let (entry, status) = (id(py, entry)?, name(py, status)?);
        self.0.set_entry_status(entry, status).or_raise(py)
    }

    fn entry(&self, py: Python<'_>, entry: &str) -> PyResult<Py<PyAny>> {
        let entry = id(py, entry)?;
        out(py, &self.0.entry(&entry))
    }

    #[pyo3(signature = (glossary, *, status = None))]
    fn entries(&self, py: Python<'_>, glossary: &str, status: Option<&str>) -> PyResult<Py<PyAny>> {
        let glossary = id(py, glossary)?;
        match status {
            Some(s) => out_each(py, &self.0.entries_with_status(&glossary, name(py, s)?)),
            None => out_each(py, &self.0.entries(&glossary)),
        }
    }

    fn search_entries(&self, py: Python<'_>, glossary: &str, query: &str) -> PyResult<Py<PyAny>> {
        let glossary = id(py, glossary)?;
        out_each(py, &self.0.search_entries(&glossary, query))
    }

    // ----- activity and comments ----------------------------------------------------------

    #[pyo3(signature = (*, member = None, group = None, object = None))]
    fn history(
        &self,
        py: Python<'_>,
        member: Option<&str>,
        group: Option<&str>,
        object: Option<&str>,
    ) -> PyResult<Py<PyAny>> {
        let s = Subject::one_of(
            optional_id(py, member)?,
            optional_id(py, group)?,
            optional_id(py, object)?,
        )
        .or_raise(py)?;
        out_each(py, &self.0.history(s))
    }

    #[pyo3(signature = (group, limit = 50))]
    fn group_activity(&self, py: Python<'_>, group: &str, limit: usize) -> PyResult<Py<PyAny>> {
        let group: GroupId = id(py, group)?;
        out_each(py, &self.0.group_activity(&group, limit))
    }

    fn comment(&mut self, py: Python<'_>, on: &str, text: &str) -> PyResult<String> {
        let on: ObjectId = id(py, on)?;
        self.0.comment(on, text).or_raise(py).map(|c| c.to_string())
    }

    fn comments(&self, py: Python<'_>, on: &str) -> PyResult<Py<PyAny>> {
        let on: ObjectId = id(py, on)?;
        out_each(py, &self.0.comments(on))
    }

    fn retract_comment(&mut self, py: Python<'_>, comment: &str) -> PyResult<()> {
        let comment = id(py, comment)?;
        self.0.retract_comment(comment).or_raise(py)
    }

    #[pyo3(signature = (member, *, since_heads = None, since_time = None))]
    fn digest(
        &self,
        py: Python<'_>,
        member: &str,
        since_heads: Option<Vec<String>>,
        since_time: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let member: MemberId = id(py, member)?;
        let heads = since_heads.map(|h| ids(py, &h)).transpose()?;
        let time = since_time
            .map(|t| datetime(py, t).map(|t| t.with_timezone(&Utc)))
            .transpose()?;
        let since = Since::one_of(heads, time).or_raise(py)?;
        out(py, &self.0.digest(&member, &since))
    }

    // ----- fields, sets and texts ---------------------------------------------------------

    fn set_field(
        &mut self,
        py: Python<'_>,
        object: &str,
        field: &str,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let (object, field, value) = field_edit(py, object, field, value)?;
        self.0.set_field(object, field, value).or_raise(py)
    }

    fn add_value(
        &mut self,
        py: Python<'_>,
        object: &str,
        field: &str,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let (object, field, value) = field_edit(py, object, field, value)?;
        self.0.add_value(object, field, value).or_raise(py)
    }

    fn remove_value(
        &mut self,
        py: Python<'_>,
        object: &str,
        field: &str,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let (object, field, value) = field_edit(py, object, field, value)?;
        self.0.remove_value(object, field, value).or_raise(py)
    }

    #[pyo3(signature = (object, field, pos, delete = 0, insert = ""))]
    fn splice_text(
        &mut self,
        py: Python<'_>,
        object: &str,
        field: &str,
        pos: usize,
        delete: usize,
        insert: &str,
    ) -> PyResult<()> {
        let object: ObjectId = id(py, object)?;
        let field: Field = name(py, field)?;
        self.0
            .splice_text(object, field, pos, delete, insert)
            .or_raise(py)
    }

    fn set_text(&mut self, py: Python<'_>, object: &str, field: &str, value: &str) -> PyResult<()> {
        let object: ObjectId = id(py, object)?;
        let field: Field = name(py, field)?;
        self.0.set_text(object, field, value).or_raise(py)
    }

    fn text(&self, py: Python<'_>, object: &str, field: &str) -> PyResult<String> {
        let object: ObjectId = id(py, object)?;
        let field: Field = name(py, field)?;
        Ok(self.0.text(&object, &field))
    }

    fn field(&self, py: Python<'_>, object: &str, field: &str) -> PyResult<Py<PyAny>> {
        let object: ObjectId = id(py, object)?;
        let field: Field = name(py, field)?;
        let value = self.0.field(&object, &field);
        let d = value.as_ref().map_or(Dynamic::Null, value_to_dynamic);
        Ok(Converter::new(py)?.convert(d)?.unbind())
    }

    fn conflicts(&self, py: Python<'_>, object: &str, field: &str) -> PyResult<Py<PyAny>> {
        let object: ObjectId = id(py, object)?;
        let field: Field = name(py, field)?;
        let mut converter = Converter::new(py)?;
        let mut items = Vec::new();
        for (op, value) in self.0.conflicts(&object, &field) {
            let op = to_dynamic(&op).map_err(|e| invalid(py, e.to_string()))?;
            let pair = PyTuple::new(
                py,
                [
                    converter.convert(op)?,
                    converter.convert(value_to_dynamic(&value))?,
                ],
            )?;
            items.push(pair);
        }
        Ok(PyList::new(py, items)?.into_any().unbind())
    }

    fn share(&mut self, py: Python<'_>, object: &str, group: &str) -> PyResult<()> {
        let (object, group) = (id(py, object)?, id(py, group)?);
        self.0.share(object, group).or_raise(py)
    }

    fn unshare(&mut self, py: Python<'_>, object: &str, group: &str) -> PyResult<()> {
        let (object, group) = (id(py, object)?, id(py, group)?);
        self.0.unshare(object, group).or_raise(py)
    }

    fn shared_with(&self, py: Python<'_>, object: &str) -> PyResult<Vec<String>> {
        let object: ObjectId = id(py, object)?;
        Ok(self
            .0
            .shared_with(&object)
            .iter()
            .map(ToString::to_string)
            .collect())
    }
}

/// Runs the sync protocol between two copies in this process until both are silent.
#[pyfunction]
fn sync_in_memory(
    py: Python<'_>,
    mut a: PyRefMut<'_, PyWorkspace>,
    mut b: PyRefMut<'_, PyWorkspace>,
) -> PyResult<Py<PyAny>> {
    let (a, b) = (&mut a.0, &mut b.0);
    let stats = py.detach(|| cercle::sync_in_memory(a, b)).or_raise(py)?;
    out(py, &stats)
}

/// The text without accents, in lowercase, with runs of white space made single spaces:
/// the form glossary order and search compare.
#[pyfunction]
fn fold(text: &str) -> String {
    cercle::fold::fold(text)
}

#[pymodule]
fn _cercle(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("FORMAT_VERSION", cercle::FORMAT_VERSION)?;
    m.add("DEFAULT_PIPELINE", cercle::DEFAULT_PIPELINE.to_vec())?;
    m.add("CercleError", py.get_type::<CercleError>())?;
    m.add("PermissionDenied", py.get_type::<PermissionDenied>())?;
    m.add("NotFound", py.get_type::<NotFound>())?;
    m.add("InvalidInput", py.get_type::<InvalidInput>())?;
    m.add("CorruptData", py.get_type::<CorruptData>())?;
    m.add_class::<PyIdentity>()?;
    m.add_class::<PySteppingClock>()?;
    m.add_class::<PySyncState>()?;
    m.add_class::<PyWorkspace>()?;
    m.add_class::<PyBatch>()?;
    m.add_function(wrap_pyfunction!(sync_in_memory, m)?)?;
    m.add_function(wrap_pyfunction!(fold, m)?)?;
    Ok(())
}
