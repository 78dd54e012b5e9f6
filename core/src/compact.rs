//! The compact form of a list of changes: the body of saved workspaces, change bundles
//! and sync messages.
//!
//! A change's identity is the hash of its canonical bytes (see [`crate::change`]), which
//! spell every member id in full (32 bytes) and every object or group id (16 bytes)
//! wherever it is used. A list of changes repeats the same few authors and the same
//! objects thousands of times, so the compact form writes each id once and refers back to
//! it afterwards:
//!
//! - an id is a varint `r`: `0` is followed by the raw id, which joins its table (members,
//!   objects or groups); `r > 0` names the `r`-th most recent entry of the table;
//! - the id of an object or group created by an operation joins its table as soon as that
//!   operation is read, so created ids are never written at all;
//! - a change is its author (an id as above), its sequence number as a difference from the
//!   author's previous change in the list, its Lamport counter and time as differences
//!   from the previous change, its dependencies (a varint `r`: `r > 0` is the change `r`
//!   places earlier in the list, `0` is followed by a raw hash), its operations and its
//!   seal: a byte, `0` for none (a later change of the author vouches for it), `1` followed
//!   by a 64-byte signature, `2` followed by the 64-byte signature of a legacy change
//!   (see [`crate::change`]). Version 2 lists have no seal byte: every change there is a
//!   legacy change followed by its signature.
//!
//! Integers are LEB128 varints (signed ones zigzag-encoded), strings and byte strings
//! carry their length, enums their variant index, structs and tuples their fields in order
//! (the layout of the canonical encoding, with ids replaced as above).
//!
//! The compact form is only an encoding, never trusted: reading it rebuilds each change's
//! canonical bytes, whose hash and signature are then checked.
//!
//! A stored change keeps its operations in the same encoding, written with tables of
//! their own that start with the change's author ([`OpsWriter`], [`read_ops`]).

use foldhash::{HashMap, HashMapExt};
use std::borrow::Borrow;
use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde::ser::{self, Serialize};
use serde::Deserialize;

use crate::change::{ChangeBody, ChangeView, Ops, Received, Seal, Unchecked};
use crate::ids::{ChangeHash, GroupId, MemberId, ObjectId, OpId};
use crate::object::Field;
use crate::op::{text_width, with_ids, Op};

const SIGNATURE_LEN: usize = 64;

/// The seal byte of a change: no signature, a signature, a legacy change's signature.
const BARE: u8 = 0;
const SIGNED: u8 = 1;
const LEGACY: u8 = 2;

/// Why a compact list could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CompactError {
    /// The bytes end early.
    Truncated,
    /// The bytes are not a compact list of changes.
    Malformed,
}

impl fmt::Display for CompactError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CompactError::Truncated => "truncated",
            CompactError::Malformed => "malformed",
        })
    }
}

impl std::error::Error for CompactError {}

impl ser::Error for CompactError {
    fn custom<T: fmt::Display>(_: T) -> Self {
        CompactError::Malformed
    }
}

impl de::Error for CompactError {
    fn custom<T: fmt::Display>(_: T) -> Self {
        CompactError::Malformed
    }
}

/// The id tables a name of an id type refers to.
#[derive(Clone, Copy)]
enum Table {
    Members,
    Objects,
    Groups,
}

impl Table {
    fn of(name: &str) -> Option<Table> {
        match name {
            "MemberId" => Some(Table::Members),
            "GroupId" => Some(Table::Groups),
            "ObjectId" | "ContactId" | "EventId" | "GlossaryId" | "EntryId" | "SenseId"
            | "CommentId" | "ItemId" => Some(Table::Objects),
            _ => None,
        }
    }
}

pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

// ----- writing -------------------------------------------------------------------------

/// Ids already written, with the position each last took in its table.
#[derive(Default)]
struct Interner<const N: usize> {
    len: usize,
    index: foldhash::HashMap<[u8; N], usize>,
    /// The id written last and its position (operations name the same object and author
    /// again and again): found without hashing.
    last: Option<([u8; N], usize)>,
}

impl<const N: usize> Interner<N> {
    fn clear(&mut self) {
        self.len = 0;
        self.index.clear();
        self.last = None;
    }

    fn push(&mut self, id: [u8; N]) {
        self.index.insert(id, self.len);
        self.last = Some((id, self.len));
        self.len += 1;
    }

    fn write(&mut self, out: &mut Vec<u8>, id: [u8; N]) {
        let at = match self.last {
            Some((last, at)) if last == id => Some(at),
            _ => self.index.get(&id).copied(),
        };
        match at {
            Some(at) => {
                put_varint(out, (self.len - at) as u64);
                self.last = Some((id, at));
            }
            None => {
                out.push(0);
                out.extend_from_slice(&id);
                self.push(id);
            }
        }
    }
}

#[derive(Default)]
struct Writer {
    out: Vec<u8>,
    members: Interner<32>,
    objects: Interner<16>,
    groups: Interner<16>,
    /// Writes the canonical encoding instead (see [`write_canonical`]).
    canonical: bool,
}

/// Appends to `out` the canonical encoding of `value` (a change body): exactly the bytes
/// postcard writes for it, which a change's hash and signature cover, written the way
/// this module writes (ids whole, not byte by byte). It differs from the compact form in
/// three places: ids are written in full, an `i8` is its byte, a `char` its UTF-8 string.
pub(crate) fn write_canonical(body: &ChangeBody, out: &mut Vec<u8>) {
    let mut w = Writer {
        out: std::mem::take(out),
        canonical: true,
        ..Writer::default()
    };
    // The fields in the order the struct declares them; the operations one by one, text
    // edits without serde (see `Writer::write_op`).
    let ChangeBody {
        author,
        seq,
        lamport,
        deps,
        time,
        ops,
    } = body;
    let written = (|| {
        w.write_head(*author, *seq, *lamport, deps, *time)?;
        put_varint(&mut w.out, ops.len() as u64);
        ops.iter().try_for_each(|op| w.write_op(op))
    })();
    // Plain data always encodes; an error here would be a bug in this module.
    if written.is_err() {
        debug_assert!(false, "a change body did not encode");
    }
    *out = w.out;
}

/// The variant indices of the text edits in [`Op`] (its serde encoding names variants by
/// their index), which both encodings write and read without serde.
const INSERT: u64 = 19;
const DELETE: u64 = 20;

impl Writer {
    fn write_id(&mut self, table: Table, raw: &[u8]) -> Result<(), CompactError> {
        let out = &mut self.out;
        match table {
            Table::Members => self
                .members
                .write(out, raw.try_into().map_err(|_| CompactError::Malformed)?),
            Table::Objects => self
                .objects
                .write(out, raw.try_into().map_err(|_| CompactError::Malformed)?),
            Table::Groups => self
                .groups
                .write(out, raw.try_into().map_err(|_| CompactError::Malformed)?),
        }
        Ok(())
    }

    /// Writes an id: whole in the canonical encoding, else by reference to its table.
    fn put_id(&mut self, table: Table, raw: &[u8]) -> WResult {
        if self.canonical {
            self.out.extend_from_slice(raw);
            return Ok(());
        }
        self.write_id(table, raw)
    }

    fn put_op_id(&mut self, id: &OpId) -> WResult {
        put_varint(&mut self.out, id.counter);
        self.put_id(Table::Members, id.author.as_bytes())
    }

    /// Writes what a text edit starts with: its variant, object and field.
    fn put_edit_head(&mut self, variant: u64, object: &ObjectId, field: &Field) -> WResult {
        put_varint(&mut self.out, variant);
        self.put_id(Table::Objects, object.as_bytes())?;
        field.serialize(&mut *self)
    }

    /// Writes one operation. Text edits, most of the operations of a long text, are
    /// written here field by field, exactly as serde writes them through this writer
    /// (a law checks it against postcard); the others go through serde.
    fn write_op(&mut self, op: &Op) -> WResult {
        match op {
            Op::Insert {
                object,
                field,
                after,
                text,
            } => self.write_insert(object, field, after.as_ref(), text),
            Op::Delete {
                object,
                field,
                runs,
            } => self.write_delete(object, field, runs),
            _ => op.serialize(self),
        }
    }

    /// Writes an operation as read, as [`Writer::write_op`] writes it.
    fn write_edit(&mut self, edit: &Edit<'_, '_>) -> WResult {
        match edit {
            Edit::Insert {
                object,
                field,
                after,
                text,
            } => self.write_insert(object, field, after.as_ref(), text),
            Edit::Delete {
                object,
                field,
                runs,
            } => self.write_delete(object, field, runs),
            Edit::Other(op) => op.serialize(self),
        }
    }

    /// Writes [`Op::Insert`].
    fn write_insert(
        &mut self,
        object: &ObjectId,
        field: &Field,
        after: Option<&OpId>,
        text: &str,
    ) -> WResult {
        self.put_edit_head(INSERT, object, field)?;
        match after {
            None => self.out.push(0),
            Some(id) => {
                self.out.push(1);
                self.put_op_id(id)?;
            }
        }
        put_varint(&mut self.out, text.len() as u64);
        self.out.extend_from_slice(text.as_bytes());
        Ok(())
    }

    /// Writes [`Op::Delete`].
    fn write_delete(&mut self, object: &ObjectId, field: &Field, runs: &[(OpId, u32)]) -> WResult {
        self.put_edit_head(DELETE, object, field)?;
        put_varint(&mut self.out, runs.len() as u64);
        for (id, len) in runs {
            self.put_op_id(id)?;
            put_varint(&mut self.out, u64::from(*len));
        }
        Ok(())
    }

    /// Writes what a change body holds before its operations, field by field in the order
    /// [`ChangeBody`] declares them.
    fn write_head(
        &mut self,
        author: MemberId,
        seq: u64,
        lamport: u64,
        deps: &[ChangeHash],
        time: i64,
    ) -> WResult {
        author.serialize(&mut *self)?;
        seq.serialize(&mut *self)?;
        lamport.serialize(&mut *self)?;
        deps.serialize(&mut *self)?;
        time.serialize(&mut *self)
    }

    /// Writes the `count` operations of a change by `author` from counter `lamport`:
    /// their number, then each one, the ids they create joining the tables as the reader
    /// will add them.
    fn write_ops(
        &mut self,
        author: MemberId,
        lamport: u64,
        count: usize,
        ops: impl IntoIterator<Item = impl Borrow<Op>>,
    ) {
        put_varint(&mut self.out, count as u64);
        for (id, op) in with_ids(author, lamport, ops) {
            let op = op.borrow();
            // Plain data always encodes; an error here would be a bug in this module.
            if self.write_op(op).is_err() {
                debug_assert!(false, "an operation did not encode");
            }
            match created(op, id) {
                Some(Created::Object(raw)) => self.objects.push(raw),
                Some(Created::Group(raw)) => self.groups.push(raw),
                None => {}
            }
        }
    }
}

/// An id an operation creates.
enum Created {
    Object([u8; 16]),
    Group([u8; 16]),
}

/// The id operation `op` (with id `id`) creates, if any: the one rule by which writer and
/// reader both add created ids to their tables without writing them.
fn created(op: &Op, id: OpId) -> Option<Created> {
    match op {
        Op::Create { .. } | Op::CreateWith { .. } => {
            Some(Created::Object(*ObjectId::derive(id).as_bytes()))
        }
        Op::CreateGroup { .. } => Some(Created::Group(*GroupId::derive(id).as_bytes())),
        _ => None,
    }
}

/// Encodes changes with their seals (see [`crate::change::outgoing`]), in the order
/// given, in the compact form.
pub(crate) fn encode(changes: &[impl ChangeView], seals: &[Seal]) -> Vec<u8> {
    let mut w = Writer::default();
    let mut positions: HashMap<ChangeHash, usize> = HashMap::with_capacity(changes.len());
    let mut last_seq: HashMap<MemberId, u64> = HashMap::new();
    let (mut lamport, mut time) = (0u64, 0i64);
    put_varint(&mut w.out, changes.len() as u64);
    for (at, (change, seal)) in changes.iter().zip(seals).enumerate() {
        let author = change.author();
        w.members.write(&mut w.out, *author.as_bytes());
        let seq = last_seq.insert(author, change.seq()).unwrap_or(0);
        put_varint(&mut w.out, zigzag(change.seq().wrapping_sub(seq) as i64));
        put_varint(
            &mut w.out,
            zigzag(change.lamport().wrapping_sub(lamport) as i64),
        );
        put_varint(&mut w.out, zigzag(change.time().wrapping_sub(time)));
        (lamport, time) = (change.lamport(), change.time());
        let deps = change.deps();
        put_varint(&mut w.out, deps.len() as u64);
        for dep in deps {
            match positions.get(&dep) {
                Some(&p) => put_varint(&mut w.out, (at - p) as u64),
                None => {
                    w.out.push(0);
                    w.out.extend_from_slice(dep.as_bytes());
                }
            }
        }
        let (count, ops) = change.ops().each(author, change.lamport());
        w.write_ops(author, change.lamport(), count, ops);
        match seal {
            Seal::Signed(signature) => {
                w.out.push(SIGNED);
                w.out.extend_from_slice(signature.as_slice());
            }
            Seal::Legacy(signature) => {
                w.out.push(LEGACY);
                w.out.extend_from_slice(signature.as_slice());
            }
            Seal::Vouched(_) | Seal::Own => w.out.push(BARE),
        }
        positions.insert(change.hash(), at);
    }
    w.out
}

/// Writes the operations of one change at a time the way a compact list writes them
/// (their number, then each one), with tables of their own that start with the change's
/// author: the form a stored change keeps them in ([`crate::change::Ops`]), read back by
/// [`read_ops`]. A change names its author, the objects it creates and the objects it
/// edits again and again: each is written once. One writer serves many changes, its room
/// kept from one to the next.
#[derive(Default)]
pub(crate) struct OpsWriter(Writer);

impl OpsWriter {
    /// The operations of a change by `author` from counter `lamport`, written.
    pub(crate) fn write(&mut self, author: MemberId, lamport: u64, ops: &[Op]) -> &[u8] {
        let w = &mut self.0;
        w.out.clear();
        w.members.clear();
        w.objects.clear();
        w.groups.clear();
        w.members.push(*author.as_bytes());
        w.write_ops(author, lamport, ops.len(), ops);
        &w.out
    }
}

/// Operations written by an [`OpsWriter`], read one at a time.
pub(crate) struct OpsReader<'a> {
    reader: Reader<'a>,
    left: usize,
    id: OpId,
}

/// Reads operations written by an [`OpsWriter`] with the same `author` and `lamport`: their
/// number, and each one as it is read.
pub(crate) fn read_ops(author: MemberId, lamport: u64, bytes: &[u8]) -> (usize, OpsReader<'_>) {
    let mut reader = Reader {
        input: bytes,
        members: vec![*author.as_bytes()],
        objects: Vec::new(),
        groups: Vec::new(),
        runs: Vec::new(),
    };
    let left = reader.len().unwrap_or_else(|_| {
        debug_assert!(false, "stored operations do not decode");
        0
    });
    let id = OpId {
        counter: lamport,
        author,
    };
    (left, OpsReader { reader, left, id })
}

impl Iterator for OpsReader<'_> {
    type Item = Op;

    fn next(&mut self) -> Option<Op> {
        self.left = self.left.checked_sub(1)?;
        match self.reader.op(&mut self.id) {
            Ok(op) => Some(op),
            Err(_) => {
                // Only what an `OpsWriter` wrote is read.
                debug_assert!(false, "stored operations do not decode");
                self.left = 0;
                None
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

type WResult = Result<(), CompactError>;

impl ser::Serializer for &mut Writer {
    type Ok = ();
    type Error = CompactError;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fn is_human_readable(&self) -> bool {
        false
    }

    fn serialize_bool(self, v: bool) -> WResult {
        self.out.push(u8::from(v));
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> WResult {
        if self.canonical {
            return self.serialize_u8(v.to_le_bytes()[0]);
        }
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> WResult {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> WResult {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> WResult {
        put_varint(&mut self.out, zigzag(v));
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> WResult {
        self.out.push(v);
        Ok(())
    }
    fn serialize_u16(self, v: u16) -> WResult {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> WResult {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> WResult {
        put_varint(&mut self.out, v);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> WResult {
        self.out.extend_from_slice(&v.to_le_bytes());
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> WResult {
        self.out.extend_from_slice(&v.to_le_bytes());
        Ok(())
    }
    fn serialize_char(self, v: char) -> WResult {
        if self.canonical {
            return self.serialize_str(v.encode_utf8(&mut [0; 4]));
        }
        self.serialize_u64(u64::from(v))
    }
    fn serialize_str(self, v: &str) -> WResult {
        self.serialize_bytes(v.as_bytes())
    }
    fn serialize_bytes(self, v: &[u8]) -> WResult {
        put_varint(&mut self.out, v.len() as u64);
        self.out.extend_from_slice(v);
        Ok(())
    }
    fn serialize_none(self) -> WResult {
        self.out.push(0);
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> WResult {
        self.out.push(1);
        value.serialize(self)
    }
    fn serialize_unit(self) -> WResult {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> WResult {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, index: u32, _: &'static str) -> WResult {
        self.serialize_u32(index)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> WResult {
        let Some(table) = Table::of(name) else {
            return value.serialize(self);
        };
        // The id's bytes are caught on the stack and written whole, or as their reference.
        let mut id = IdBytes::default();
        value.serialize(&mut id)?;
        self.put_id(table, id.bytes())
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        index: u32,
        _: &'static str,
        value: &T,
    ) -> WResult {
        self.serialize_u32(index)?;
        value.serialize(self)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Self, CompactError> {
        put_varint(&mut self.out, len.ok_or(CompactError::Malformed)? as u64);
        Ok(self)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self, CompactError> {
        Ok(self)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, CompactError> {
        Ok(self)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        index: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, CompactError> {
        self.serialize_u32(index)?;
        Ok(self)
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self, CompactError> {
        self.serialize_seq(len)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, CompactError> {
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        index: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, CompactError> {
        self.serialize_u32(index)?;
        Ok(self)
    }
}

macro_rules! compound {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for &mut Writer {
            type Ok = ();
            type Error = CompactError;
            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> WResult {
                value.serialize(&mut **self)
            }
            fn end(self) -> WResult {
                Ok(())
            }
        }
    )*};
}

compound!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for &mut Writer {
    type Ok = ();
    type Error = CompactError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> WResult {
        key.serialize(&mut **self)
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> WResult {
        value.serialize(&mut **self)
    }
    fn end(self) -> WResult {
        Ok(())
    }
}

/// Structs write their fields in order, without names.
macro_rules! fields_in_order {
    ($($trait:ident),*) => {$(
        impl ser::$trait for &mut Writer {
            type Ok = ();
            type Error = CompactError;
            fn serialize_field<T: ?Sized + Serialize>(
                &mut self,
                _: &'static str,
                value: &T,
            ) -> WResult {
                value.serialize(&mut **self)
            }
            fn end(self) -> WResult {
                Ok(())
            }
        }
    )*};
}

fields_in_order!(SerializeStruct, SerializeStructVariant);

/// The raw bytes of an id (a tuple of at most 32 bytes), caught as it serializes itself.
#[derive(Default)]
struct IdBytes {
    raw: [u8; 32],
    len: usize,
}

impl IdBytes {
    fn bytes(&self) -> &[u8] {
        self.raw.get(..self.len).unwrap_or_default()
    }
}

/// Anything but bytes in a tuple is not an id.
macro_rules! not_an_id {
    ($($method:ident($($arg:ty),*) -> $ok:ty;)*) => {$(
        fn $method(self, $(_: $arg),*) -> Result<$ok, CompactError> {
            Err(CompactError::Malformed)
        }
    )*};
}

impl ser::Serializer for &mut IdBytes {
    type Ok = ();
    type Error = CompactError;
    type SerializeSeq = ser::Impossible<(), CompactError>;
    type SerializeTuple = Self;
    type SerializeTupleStruct = ser::Impossible<(), CompactError>;
    type SerializeTupleVariant = ser::Impossible<(), CompactError>;
    type SerializeMap = ser::Impossible<(), CompactError>;
    type SerializeStruct = ser::Impossible<(), CompactError>;
    type SerializeStructVariant = ser::Impossible<(), CompactError>;

    fn serialize_u8(self, v: u8) -> WResult {
        let slot = self.raw.get_mut(self.len).ok_or(CompactError::Malformed)?;
        *slot = v;
        self.len += 1;
        Ok(())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self, CompactError> {
        Ok(self)
    }
    not_an_id! {
        serialize_bool(bool) -> ();
        serialize_i8(i8) -> ();
        serialize_i16(i16) -> ();
        serialize_i32(i32) -> ();
        serialize_i64(i64) -> ();
        serialize_u16(u16) -> ();
        serialize_u32(u32) -> ();
        serialize_u64(u64) -> ();
        serialize_f32(f32) -> ();
        serialize_f64(f64) -> ();
        serialize_char(char) -> ();
        serialize_str(&str) -> ();
        serialize_bytes(&[u8]) -> ();
        serialize_none() -> ();
        serialize_unit() -> ();
        serialize_unit_struct(&'static str) -> ();
        serialize_unit_variant(&'static str, u32, &'static str) -> ();
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> WResult {
        Err(CompactError::Malformed)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, _: &T) -> WResult {
        Err(CompactError::Malformed)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> WResult {
        Err(CompactError::Malformed)
    }
}

impl ser::SerializeTuple for &mut IdBytes {
    type Ok = ();
    type Error = CompactError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> WResult {
        value.serialize(&mut **self)
    }
    fn end(self) -> WResult {
        Ok(())
    }
}

// ----- reading -------------------------------------------------------------------------

struct Reader<'de> {
    input: &'de [u8],
    members: Vec<[u8; 32]>,
    objects: Vec<[u8; 16]>,
    groups: Vec<[u8; 16]>,
    /// The runs of the delete read last (kept from one to the next: a delete of a few
    /// characters needs no vector of its own).
    runs: Vec<(OpId, u32)>,
}

fn read_ref<const N: usize>(
    table: &mut Vec<[u8; N]>,
    input: &mut &[u8],
) -> Result<[u8; N], CompactError> {
    let back = take_varint(input)?;
    if back == 0 {
        let (id, rest) = input
            .split_first_chunk::<N>()
            .ok_or(CompactError::Truncated)?;
        *input = rest;
        table.push(*id);
        return Ok(*id);
    }
    usize::try_from(back)
        .ok()
        .and_then(|back| table.len().checked_sub(back))
        .and_then(|at| table.get(at))
        .copied()
        .ok_or(CompactError::Malformed)
}

#[inline]
pub(crate) fn take_varint(input: &mut &[u8]) -> Result<u64, CompactError> {
    // Most varints are a single byte.
    if let Some((&byte, rest)) = input.split_first() {
        if byte < 0x80 {
            *input = rest;
            return Ok(u64::from(byte));
        }
    }
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = input.split_first().ok_or(CompactError::Truncated)?;
        *input = rest;
        let bits = u64::from(byte & 0x7f);
        if shift == 63 && bits > 1 {
            return Err(CompactError::Malformed);
        }
        value |= bits << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(CompactError::Malformed)
}

impl<'de> Reader<'de> {
    fn varint(&mut self) -> Result<u64, CompactError> {
        take_varint(&mut self.input)
    }

    fn byte(&mut self) -> Result<u8, CompactError> {
        let (&b, rest) = self.input.split_first().ok_or(CompactError::Truncated)?;
        self.input = rest;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&'de [u8], CompactError> {
        if n > self.input.len() {
            return Err(CompactError::Truncated);
        }
        let (head, rest) = self.input.split_at(n);
        self.input = rest;
        Ok(head)
    }

    /// A length that cannot exceed what is left: every element takes at least a byte.
    fn len(&mut self) -> Result<usize, CompactError> {
        let n = self.varint()?;
        match usize::try_from(n) {
            Ok(n) if n <= self.input.len() => Ok(n),
            _ => Err(CompactError::Truncated),
        }
    }

    fn signed(&mut self) -> Result<i64, CompactError> {
        self.varint().map(unzigzag)
    }

    fn unsigned<T: TryFrom<u64>>(&mut self) -> Result<T, CompactError> {
        T::try_from(self.varint()?).map_err(|_| CompactError::Malformed)
    }

    fn signed_as<T: TryFrom<i64>>(&mut self) -> Result<T, CompactError> {
        T::try_from(self.signed()?).map_err(|_| CompactError::Malformed)
    }

    fn op_id(&mut self) -> RResult<OpId> {
        let counter = self.varint()?;
        let author = MemberId::from_bytes(read_ref(&mut self.members, &mut self.input)?);
        Ok(OpId { counter, author })
    }

    /// The variant of the next operation, read, if it is a text edit; `None`, with nothing
    /// read, for any other operation.
    fn text_variant(&mut self) -> RResult<Option<u64>> {
        let start = self.input;
        let variant = self.varint()?;
        if variant == INSERT || variant == DELETE {
            return Ok(Some(variant));
        }
        self.input = start;
        Ok(None)
    }

    /// Reads the rest of a text edit of variant `variant` field by field, as serde reads
    /// it through this reader (the counterpart of `Writer::write_op`), its text borrowed.
    fn text_edit(&mut self, variant: u64) -> RResult<Edit<'de, '_>> {
        let object = ObjectId::from_bytes(read_ref(&mut self.objects, &mut self.input)?);
        let field = Field::deserialize(&mut *self)?;
        if variant == INSERT {
            let after = match self.byte()? {
                0 => None,
                1 => Some(self.op_id()?),
                _ => return Err(CompactError::Malformed),
            };
            let n = self.len()?;
            let text = std::str::from_utf8(self.take(n)?).map_err(|_| CompactError::Malformed)?;
            return Ok(Edit::Insert {
                object,
                field,
                after,
                text,
            });
        }
        let n = self.len()?;
        self.runs.clear();
        for _ in 0..n {
            let id = self.op_id()?;
            let len = self.unsigned()?;
            self.runs.push((id, len));
        }
        Ok(Edit::Delete {
            object,
            field,
            runs: &self.runs,
        })
    }

    /// Reads the operation with id `id`, the id it creates joining the tables as the
    /// writer added it, and moves `id` past it.
    fn edit(&mut self, id: &mut OpId) -> RResult<Edit<'de, '_>> {
        let Some(variant) = self.text_variant()? else {
            return self.other_op(id).map(Edit::Other);
        };
        let edit = self.text_edit(variant)?;
        id.counter = id.counter.saturating_add(edit.width());
        Ok(edit)
    }

    /// [`Reader::edit`], as an operation.
    fn op(&mut self, id: &mut OpId) -> RResult<Op> {
        self.edit(id).map(Edit::into_op)
    }

    /// Reads an operation other than a text edit, as [`Reader::edit`] does.
    fn other_op(&mut self, id: &mut OpId) -> RResult<Op> {
        let op = Op::deserialize(&mut *self)?;
        match created(&op, *id) {
            Some(Created::Object(raw)) => self.objects.push(raw),
            Some(Created::Group(raw)) => self.groups.push(raw),
            None => {}
        }
        id.counter = id.counter.saturating_add(op.width());
        Ok(op)
    }
}

/// An operation as a list is read: a text edit borrows its text from the list (of
/// lifetime `'a`), a delete its runs from the reader (`'r`).
pub(crate) enum Edit<'a, 'r> {
    /// [`Op::Insert`].
    Insert {
        object: ObjectId,
        field: Field,
        after: Option<OpId>,
        text: &'a str,
    },
    /// [`Op::Delete`].
    Delete {
        object: ObjectId,
        field: Field,
        runs: &'r [(OpId, u32)],
    },
    /// Any other operation.
    Other(Op),
}

impl Edit<'_, '_> {
    /// The operation's width (see [`Op::width`]).
    fn width(&self) -> u64 {
        match self {
            Edit::Insert { text, .. } => text_width(text),
            Edit::Delete { .. } => 1,
            Edit::Other(op) => op.width(),
        }
    }

    fn into_op(self) -> Op {
        match self {
            Edit::Insert {
                object,
                field,
                after,
                text,
            } => Op::Insert {
                object,
                field,
                after,
                text: text.to_owned(),
            },
            Edit::Delete {
                object,
                field,
                runs,
            } => Op::Delete {
                object,
                field,
                runs: runs.to_vec(),
            },
            Edit::Other(op) => op,
        }
    }
}

/// What reading a compact list (of lifetime `'de`) does with the changes it reads.
trait ListSink<'de> {
    /// What it keeps of a change's operations.
    type Ops;
    /// Room for the `count` changes the list holds.
    fn reserve(&mut self, count: usize);
    /// The hash of the change read `back` changes before the next one (a dependency), if
    /// there is one.
    fn earlier(&self, back: usize) -> Option<ChangeHash>;
    /// Reads the operations (their number, then each one) of the change `head` begins.
    fn ops(&mut self, r: &mut Reader<'de>, head: &Head<'_>) -> RResult<Self::Ops>;
    /// The next change.
    fn take(&mut self, body: ChangeBody<Self::Ops>, received: Received);
}

/// What a change holds before its operations.
struct Head<'h> {
    author: MemberId,
    seq: u64,
    lamport: u64,
    deps: &'h [ChangeHash],
    time: i64,
    /// Whether the tables hold the author alone, as an [`OpsWriter`]'s start (in a list's
    /// first change): the operations are then read as [`read_ops`] reads them.
    alone: bool,
}

impl Head<'_> {
    /// The id of the change's first operation.
    fn first_id(&self) -> OpId {
        OpId {
            counter: self.lamport,
            author: self.author,
        }
    }
}

/// Reads a compact list of changes into `sink`. `legacy`: a version 2 list, without seal
/// bytes.
fn read_list<'de>(
    bytes: &'de [u8],
    legacy: bool,
    sink: &mut impl ListSink<'de>,
) -> Result<(), CompactError> {
    let mut r = Reader {
        input: bytes,
        members: Vec::new(),
        objects: Vec::new(),
        groups: Vec::new(),
        runs: Vec::new(),
    };
    let count = r.len()?;
    sink.reserve(count);
    let mut last_seq: HashMap<MemberId, u64> = HashMap::new();
    let (mut lamport, mut time) = (0u64, 0i64);
    for _ in 0..count {
        let author = MemberId::from_bytes(read_ref(&mut r.members, &mut r.input)?);
        let seq_before = last_seq.get(&author).copied().unwrap_or(0);
        let seq = seq_before.wrapping_add(r.signed()? as u64);
        last_seq.insert(author, seq);
        lamport = lamport.wrapping_add(r.signed()? as u64);
        time = time.wrapping_add(r.signed()?);
        let n = r.len()?;
        let mut deps = Vec::with_capacity(n);
        for _ in 0..n {
            let back = r.varint()?;
            let dep = if back == 0 {
                let raw = r.take(32)?;
                let raw: [u8; 32] = raw.try_into().map_err(|_| CompactError::Truncated)?;
                ChangeHash::from_bytes(raw)
            } else {
                usize::try_from(back)
                    .ok()
                    .and_then(|back| sink.earlier(back))
                    .ok_or(CompactError::Malformed)?
            };
            deps.push(dep);
        }
        let head = Head {
            author,
            seq,
            lamport,
            deps: &deps,
            time,
            alone: r.members.len() == 1 && r.objects.is_empty() && r.groups.is_empty(),
        };
        let ops = sink.ops(&mut r, &head)?;
        let seal = if legacy { LEGACY } else { r.byte()? };
        let mut signature = || -> Result<[u8; SIGNATURE_LEN], CompactError> {
            r.take(SIGNATURE_LEN)?
                .try_into()
                .map_err(|_| CompactError::Truncated)
        };
        let received = match seal {
            BARE => Received::Bare,
            SIGNED => Received::Signature(signature()?),
            LEGACY => Received::Legacy(signature()?),
            _ => return Err(CompactError::Malformed),
        };
        let body = ChangeBody {
            author,
            seq,
            lamport,
            deps,
            time,
            ops,
        };
        sink.take(body, received);
    }
    if !r.input.is_empty() {
        return Err(CompactError::Malformed);
    }
    Ok(())
}

/// A change's operations as decoding reads them.
enum ReadOps {
    /// Decoded.
    Decoded(Vec<Op>),
    /// Read as [`read_ops`] reads them, kept from the bytes they take in the list
    /// ([`Ops::stored`]), with the change body's canonical encoding written as they were
    /// read.
    Transcoded { ops: Ops, canonical: Vec<u8> },
}

/// Decoding keeps every change, rebuilt to its canonical bytes and hashed. The operations
/// of a change read with its author alone in the tables are not decoded: its canonical
/// bytes are written as they are read (a text edit's text is copied, not allocated), and
/// the bytes they take in the list are their packed form.
impl ListSink<'_> for Vec<Unchecked> {
    type Ops = ReadOps;

    fn reserve(&mut self, count: usize) {
        Vec::reserve(self, count);
    }

    fn earlier(&self, back: usize) -> Option<ChangeHash> {
        self.len()
            .checked_sub(back)
            .and_then(|at| self.get(at))
            .map(Unchecked::hash)
    }

    fn ops(&mut self, r: &mut Reader<'_>, head: &Head<'_>) -> RResult<ReadOps> {
        let start = r.input;
        let n = r.len()?;
        let mut id = head.first_id();
        if !head.alone {
            let mut ops = Vec::with_capacity(n);
            for _ in 0..n {
                ops.push(r.op(&mut id)?);
            }
            return Ok(ReadOps::Decoded(ops));
        }
        let mut w = Writer {
            canonical: true,
            ..Writer::default()
        };
        w.write_head(head.author, head.seq, head.lamport, head.deps, head.time)?;
        put_varint(&mut w.out, n as u64);
        let mut width = 0u64;
        // What the checks read (see `Skimmed`).
        let mut checked: Vec<(OpId, Op)> = Vec::new();
        for _ in 0..n {
            let at = id;
            let edit = r.edit(&mut id)?;
            width = width.saturating_add(edit.width());
            w.write_edit(&edit)?;
            let stub = match edit {
                Edit::Other(op) => {
                    checked.push((at, op));
                    continue;
                }
                Edit::Insert { object, field, .. } => Op::Insert {
                    object,
                    field,
                    after: None,
                    text: String::new(),
                },
                Edit::Delete { object, field, .. } => Op::Delete {
                    object,
                    field,
                    runs: Vec::new(),
                },
            };
            // The last one kept is the operation before, or the first of the edits of
            // the same text that lead to this one.
            let previous = checked.last().and_then(|(_, op)| op.text_edited());
            if previous != stub.text_edited() {
                checked.push((at, stub));
            }
        }
        let encoding = start
            .get(..start.len() - r.input.len())
            .ok_or(CompactError::Malformed)?;
        Ok(ReadOps::Transcoded {
            ops: Ops::stored(head.author, head.lamport, encoding, n, width, checked),
            canonical: w.out,
        })
    }

    fn take(&mut self, body: ChangeBody<ReadOps>, received: Received) {
        let (head, ops) = body.split_ops();
        self.push(match ops {
            ReadOps::Decoded(ops) => Unchecked::rebuild(head.with_ops(|()| ops), received),
            ReadOps::Transcoded { ops, canonical } => {
                Unchecked::from_canonical(head.with_ops(|()| ops), &canonical, received)
            }
        });
    }
}

/// Reads a compact list of changes: each one rebuilt to its canonical bytes and hashed,
/// its signature not yet checked. `legacy`: a version 2 list, without seal bytes.
pub(crate) fn decode(bytes: &[u8], legacy: bool) -> Result<Vec<Unchecked>, CompactError> {
    let mut out = Vec::new();
    read_list(bytes, legacy, &mut out)?;
    Ok(out)
}

/// A replay hands on each operation as it is read and keeps nothing.
struct Replay<F> {
    read: usize,
    each: F,
}

impl<'de, F: FnMut(OpId, Edit<'de, '_>)> ListSink<'de> for Replay<F> {
    type Ops = ();

    fn reserve(&mut self, _: usize) {}

    /// Dependencies are not kept: a reference only has to name an earlier change.
    fn earlier(&self, back: usize) -> Option<ChangeHash> {
        (back <= self.read).then(|| ChangeHash::from_bytes([0; 32]))
    }

    fn ops(&mut self, r: &mut Reader<'de>, head: &Head<'_>) -> RResult<()> {
        let n = r.len()?;
        let mut id = head.first_id();
        for _ in 0..n {
            let at = id;
            let edit = r.edit(&mut id)?;
            (self.each)(at, edit);
        }
        Ok(())
    }

    fn take(&mut self, _: ChangeBody<()>, _: Received) {
        self.read += 1;
    }
}

/// The number of changes a compact list says it holds.
pub(crate) fn list_len(bytes: &[u8]) -> Option<usize> {
    usize::try_from(take_varint(&mut &bytes[..]).ok()?).ok()
}

/// Reads a compact list the way [`decode`] does, without hashing or keeping anything:
/// each operation goes to `each` with its id, in list order, a text edit's text borrowed
/// from the list. The content of a list can thus be built while another thread decodes
/// and verifies it; what `each` was given is trusted only once [`decode`] and the checks
/// accept the list.
pub(crate) fn replay<'a>(
    bytes: &'a [u8],
    legacy: bool,
    each: impl FnMut(OpId, Edit<'a, '_>),
) -> Result<(), CompactError> {
    read_list(bytes, legacy, &mut Replay { read: 0, each })
}

type RResult<T> = Result<T, CompactError>;

/// Integer `deserialize_*` methods: each reads its integer with one of the [`Reader`]'s
/// methods and hands it to the visitor.
macro_rules! integers {
    ($($method:ident => $visit:ident($read:ident)),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> RResult<V::Value> {
            visitor.$visit(self.$read()?)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for &mut Reader<'de> {
    type Error = CompactError;

    fn is_human_readable(&self) -> bool {
        false
    }

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> RResult<V::Value> {
        Err(CompactError::Malformed)
    }
    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> RResult<V::Value> {
        match self.byte()? {
            0 => visitor.visit_bool(false),
            1 => visitor.visit_bool(true),
            _ => Err(CompactError::Malformed),
        }
    }
    integers! {
        deserialize_i8 => visit_i8(signed_as),
        deserialize_i16 => visit_i16(signed_as),
        deserialize_i32 => visit_i32(signed_as),
        deserialize_i64 => visit_i64(signed),
        deserialize_u8 => visit_u8(byte),
        deserialize_u16 => visit_u16(unsigned),
        deserialize_u32 => visit_u32(unsigned),
        deserialize_u64 => visit_u64(varint),
    }
    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> RResult<V::Value> {
        let raw = self.take(4)?;
        visitor.visit_f32(f32::from_le_bytes(
            raw.try_into().map_err(|_| CompactError::Truncated)?,
        ))
    }
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> RResult<V::Value> {
        let raw = self.take(8)?;
        visitor.visit_f64(f64::from_le_bytes(
            raw.try_into().map_err(|_| CompactError::Truncated)?,
        ))
    }
    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> RResult<V::Value> {
        let c = self.unsigned::<u32>()?;
        visitor.visit_char(char::from_u32(c).ok_or(CompactError::Malformed)?)
    }
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> RResult<V::Value> {
        let n = self.len()?;
        let raw = self.take(n)?;
        visitor.visit_borrowed_str(std::str::from_utf8(raw).map_err(|_| CompactError::Malformed)?)
    }
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> RResult<V::Value> {
        self.deserialize_str(visitor)
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> RResult<V::Value> {
        let n = self.len()?;
        visitor.visit_borrowed_bytes(self.take(n)?)
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> RResult<V::Value> {
        self.deserialize_bytes(visitor)
    }
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> RResult<V::Value> {
        match self.byte()? {
            0 => visitor.visit_none(),
            1 => visitor.visit_some(self),
            _ => Err(CompactError::Malformed),
        }
    }
    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> RResult<V::Value> {
        visitor.visit_unit()
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> RResult<V::Value> {
        visitor.visit_unit()
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> RResult<V::Value> {
        // Ids take their bytes whole.
        fn raw<'de, V: Visitor<'de>>(visitor: V, id: &[u8]) -> RResult<V::Value> {
            visitor.visit_bytes(id)
        }
        match Table::of(name) {
            None => visitor.visit_newtype_struct(self),
            Some(Table::Members) => raw(visitor, &read_ref(&mut self.members, &mut self.input)?),
            Some(Table::Objects) => raw(visitor, &read_ref(&mut self.objects, &mut self.input)?),
            Some(Table::Groups) => raw(visitor, &read_ref(&mut self.groups, &mut self.input)?),
        }
    }
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> RResult<V::Value> {
        let left = self.len()?;
        visitor.visit_seq(Elements { r: self, left })
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> RResult<V::Value> {
        visitor.visit_seq(Elements { r: self, left: len })
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        len: usize,
        visitor: V,
    ) -> RResult<V::Value> {
        self.deserialize_tuple(len, visitor)
    }
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> RResult<V::Value> {
        let left = self.len()?;
        visitor.visit_map(Elements { r: self, left })
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> RResult<V::Value> {
        self.deserialize_tuple(fields.len(), visitor)
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> RResult<V::Value> {
        visitor.visit_enum(self)
    }
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> RResult<V::Value> {
        self.deserialize_u32(visitor)
    }
    fn deserialize_ignored_any<V: Visitor<'de>>(self, _: V) -> RResult<V::Value> {
        Err(CompactError::Malformed)
    }
}

struct Elements<'a, 'de> {
    r: &'a mut Reader<'de>,
    left: usize,
}

impl<'de> de::SeqAccess<'de> for Elements<'_, 'de> {
    type Error = CompactError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> RResult<Option<T::Value>> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.r).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

impl<'de> de::MapAccess<'de> for Elements<'_, 'de> {
    type Error = CompactError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> RResult<Option<K::Value>> {
        de::SeqAccess::next_element_seed(self, seed)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> RResult<V::Value> {
        seed.deserialize(&mut *self.r)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

impl<'de> de::EnumAccess<'de> for &mut Reader<'de> {
    type Error = CompactError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> RResult<(V::Value, Self)> {
        let index: u32 = self.unsigned()?;
        let value = seed.deserialize(index.into_deserializer())?;
        Ok((value, self))
    }
}

impl<'de> de::VariantAccess<'de> for &mut Reader<'de> {
    type Error = CompactError;

    fn unit_variant(self) -> RResult<()> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> RResult<T::Value> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> RResult<V::Value> {
        de::Deserializer::deserialize_tuple(self, len, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> RResult<V::Value> {
        de::Deserializer::deserialize_tuple(self, fields.len(), visitor)
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::change::{outgoing, Change};
    use crate::identity::Identity;
    use crate::ids::OpId;
    use crate::object::{Field, ObjectKind, Value};
    use crate::strategies::op;

    /// A change's content apart from its dependencies: author, seq, Lamport, time, ops.
    type Draft = (u8, u64, u64, i64, Vec<Op>);

    /// A draft, indices of earlier changes it depends on, whether it also depends on a
    /// change outside the list, whether it is a legacy change.
    type Drafted = (Draft, Vec<prop::sample::Index>, bool, bool);

    fn drafts() -> impl Strategy<Value = Vec<Drafted>> {
        let draft = (
            0u8..4,
            any::<u64>(),
            any::<u64>(),
            any::<i64>(),
            prop::collection::vec(op(), 0..6),
        );
        let deps = prop::collection::vec(any::<prop::sample::Index>(), 0..3);
        prop::collection::vec((draft, deps, any::<bool>(), any::<bool>()), 0..12)
    }

    /// Seals drafts into changes (signed, or legacy) whose dependencies point to earlier
    /// changes of the list and, when `outside` is set, to a change that is not in it.
    fn seal(drafts: Vec<Drafted>) -> Vec<Change> {
        let mut out: Vec<Change> = Vec::new();
        for ((author, seq, lamport, time, ops), deps, outside, legacy) in drafts {
            let mut deps: Vec<ChangeHash> = deps
                .iter()
                .filter(|_| !out.is_empty())
                .map(|i| out[i.index(out.len())].hash)
                .collect();
            if outside {
                deps.push(ChangeHash::from_bytes([author; 32]));
            }
            deps.sort();
            deps.dedup();
            let identity = Identity::from_secret_bytes([author; 32]);
            let body = ChangeBody {
                author: identity.member_id(),
                seq,
                lamport,
                deps,
                time,
                ops,
            };
            out.push(if legacy {
                Change::legacy(body, &identity)
            } else {
                Change::signed(body, &identity)
            });
        }
        out
    }

    /// Encodes changes with the seals they leave a copy with.
    fn encode_all(changes: &[Change]) -> Vec<u8> {
        let seals = outgoing(changes, &Identity::from_secret_bytes([0; 32]));
        encode(changes, &seals)
    }

    proptest! {
        /// Law: the compact form of any list of changes (every kind of operation, ids
        /// repeated, created, or fresh; dependencies inside and outside the list; any
        /// counters; legacy changes among them) rebuilds every change byte for byte, with
        /// the same hash, and with its signature unless a later change vouches for it.
        #[test]
        fn compact_form_rebuilds_every_change_byte_for_byte(drafts in drafts()) {
            let changes = seal(drafts);
            let seals = outgoing(&changes, &Identity::from_secret_bytes([0; 32]));
            let encoded = encode(&changes, &seals);
            let decoded = decode(&encoded, false);
            prop_assert!(decoded.is_ok());
            let rebuilt = decoded.unwrap_or_default();
            prop_assert_eq!(rebuilt.len(), changes.len());
            for ((again, change), seal) in rebuilt.iter().zip(&changes).zip(&seals) {
                let again = again.unchecked();
                prop_assert_eq!(again.hash, change.hash);
                prop_assert_eq!(&again.body, &change.body);
                match seal {
                    Seal::Vouched(_) => prop_assert!(matches!(again.seal, Seal::Vouched(_))),
                    _ => prop_assert_eq!(&again.seal, &change.seal),
                }
            }
            // A change list written twice is written the same.
            prop_assert_eq!(encode_all(&changes), encoded);
        }

        /// Law: a change read while the list's tables held its author alone (the first
        /// change of a list, and the next ones by the same author while they name no other
        /// id) keeps the bytes its operations were read from, which are exactly what
        /// packing writes for them and read back as them.
        #[test]
        fn a_change_read_with_its_author_alone_keeps_its_packed_form(drafts in drafts()) {
            let changes = seal(drafts);
            let encoded = encode_all(&changes);
            let rebuilt = decode(&encoded, false).unwrap_or_default();
            prop_assert_eq!(rebuilt.len(), changes.len());
            for (at, (again, change)) in rebuilt.iter().zip(&changes).enumerate() {
                let again = again.unchecked();
                let (author, lamport) = (again.body.author, again.body.lamport);
                let crate::change::Ops::Decoded(decoded) = &again.body.ops else {
                    return Err(TestCaseError::fail("a rebuilt change is packed"));
                };
                let Some(encoding) = &decoded.encoding else {
                    prop_assert!(at > 0, "the first change kept no bytes");
                    continue;
                };
                let ops = change.body.ops.ops(author, lamport).into_owned();
                let mut writer = OpsWriter::default();
                prop_assert_eq!(&**encoding, writer.write(author, lamport, &ops));
                let (count, read) = read_ops(author, lamport, encoding);
                prop_assert_eq!(count, ops.len());
                prop_assert_eq!(read.collect::<Vec<_>>(), ops);
            }
        }

        /// Law: a large change read with its author alone is kept encoded as it was read,
        /// not decoded: its operations read back as they were, with their hash, number and
        /// width; and what its checks read is every operation with its id, except a text
        /// edit that follows an edit of the same text, text edits without their text or
        /// runs (what the permission checks read of an operation sequence).
        #[test]
        fn a_large_change_read_alone_is_kept_encoded_and_skimmed(
            ops in prop::collection::vec((op(), any::<bool>()), 0..12),
            pad in any::<prop::sample::Index>(),
            legacy in any::<bool>(),
        ) {
            // Repeated operations make runs of edits of one text.
            let mut ops: Vec<Op> = ops
                .into_iter()
                .flat_map(|(op, twice)| std::iter::repeat_n(op, 1 + usize::from(twice)))
                .collect();
            let long = Op::RenameWorkspace { name: "é".repeat(crate::pack::BLOCK) };
            ops.insert(pad.index(ops.len() + 1), long);
            let draft = ((1, 1, 5, 0, ops.clone()), Vec::new(), false, legacy);
            let changes = seal(vec![draft]);
            let rebuilt = decode(&encode_all(&changes), false).unwrap_or_default();
            prop_assert_eq!(rebuilt.len(), 1);
            let again = rebuilt[0].unchecked();
            prop_assert_eq!(again.hash, changes[0].hash);
            let (author, lamport) = (again.body.author, again.body.lamport);
            let crate::change::Ops::Skimmed(skimmed) = &again.body.ops else {
                return Err(TestCaseError::fail("a large change read alone was decoded"));
            };
            prop_assert_eq!(again.body.ops.ops(author, lamport).into_owned(), ops.clone());
            prop_assert_eq!(again.body.ops.width(), crate::op::total_width(&ops));
            prop_assert_eq!(skimmed.count, ops.len());
            let mut expected = Vec::new();
            let mut previous: Option<&Op> = None;
            for (id, op) in with_ids(author, lamport, &ops) {
                let edited = op.text_edited();
                let again = edited.is_some() && previous.and_then(Op::text_edited) == edited;
                previous = Some(op);
                if again {
                    continue;
                }
                expected.push((id, match op.clone() {
                    Op::Insert { object, field, .. } => {
                        Op::Insert { object, field, after: None, text: String::new() }
                    }
                    Op::Delete { object, field, .. } => Op::Delete { object, field, runs: Vec::new() },
                    op => op,
                }));
            }
            let (count, checked) = again.body.ops.checked(author, lamport);
            prop_assert_eq!(count, ops.len());
            prop_assert_eq!(checked.map(|(id, op)| (id, op.into_owned())).collect::<Vec<_>>(), expected);
        }

        /// Law: arbitrary bytes, and every truncation of a real compact list, are refused
        /// with an error or read as some list — never a panic.
        #[test]
        fn compact_reading_never_panics(
            drafts in drafts(),
            noise in prop::collection::vec(any::<u8>(), 0..64),
            cut in any::<prop::sample::Index>(),
        ) {
            let _ = decode(&noise, false);
            let _ = decode(&noise, true);
            let encoded = encode_all(&seal(drafts));
            let cut = cut.index(encoded.len() + 1);
            let truncated = decode(&encoded[..cut], false);
            prop_assert!(cut == encoded.len() || truncated.is_err());
        }
    }

    #[test]
    fn created_ids_are_never_written_out() {
        let me = Identity::from_secret_bytes([9; 32]);
        let create = ChangeBody {
            author: me.member_id(),
            seq: 1,
            lamport: 1,
            deps: vec![ChangeHash::from_bytes([1; 32])],
            time: 0,
            ops: vec![Op::Create {
                kind: ObjectKind::Contact,
                parent: None,
                groups: vec![],
            }],
        };
        let contact = ObjectId::derive(OpId {
            counter: 1,
            author: me.member_id(),
        });
        let set = |seq, lamport| ChangeBody {
            author: me.member_id(),
            seq,
            lamport,
            deps: vec![ChangeHash::from_bytes([2; 32])],
            time: 0,
            ops: vec![Op::Set {
                object: contact,
                field: Field::DisplayName,
                value: Value::Text("x".into()),
                pred: vec![],
            }],
        };
        let changes = [
            Change::signed(create, &me),
            Change::signed(set(2, 2), &me),
            Change::signed(set(3, 3), &me),
        ];
        let encoded = encode_all(&changes);
        let raw = contact.as_bytes();
        assert!(!encoded.windows(raw.len()).any(|w| w == raw));
        assert!(decode(&encoded, false).is_ok_and(|d| d.len() == 3));
    }
}
