//! A dynamic view of the library's result types, for language bindings.
//!
//! [`to_dynamic`] turns any result (a [`Contact`](crate::Contact), a list of
//! [`Event`](crate::Event)s, an [`ApplyReport`](crate::ApplyReport), ...) into a
//! [`Dynamic`] tree through its `serde` form, so a binding converts every type with one
//! walk instead of one hand-written conversion per type:
//!
//! - ids are their text form, enums without data their stable lowercase name
//!   (`business_angel`, `status_change`), a [`ContactKind::Other`](crate::ContactKind) its
//!   label;
//! - structs are [`Dynamic::Record`]s that keep their type name, so a binding can build a
//!   typed object;
//! - an [`Instant`] is a [`Dynamic::Instant`], which a binding turns into
//!   its own date type;
//! - enums with data are [`Dynamic::Variant`]s with a lowercase tag.
//!
//! ```
//! use cercle::dynamic::{to_dynamic, Dynamic};
//! use cercle::{ContactKind, Identity, NewContact, Workspace};
//! let mut ws = Workspace::create(Identity::from_secret_bytes([1; 32]), "Juste à temps");
//! let id = ws.create_contact(NewContact::new("Élodie").kind(ContactKind::BusinessAngel))?;
//! let contact = ws.contact(&id).ok_or("no contact")?;
//! let Dynamic::Record { name, fields } = to_dynamic(&contact)? else {
//!     return Err("not a record".into());
//! };
//! assert_eq!(name, "Contact");
//! let kind = fields.iter().find(|(k, _)| *k == "kind").map(|(_, v)| v);
//! assert_eq!(kind, Some(&Dynamic::Str("business_angel".into())));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use chrono::{DateTime, SecondsFormat, TimeZone};
use serde::ser::{self, Serialize};

use crate::object::{Instant, Value};

/// A value of a result type, as a tree a binding walks to build its own objects.
#[derive(Clone, Debug, PartialEq)]
pub enum Dynamic {
    /// No value (`None`, a unit).
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer too large for `i64`.
    UInt(u64),
    /// A floating-point number.
    Float(f64),
    /// Text: also ids, and the names of enum variants without data.
    Str(String),
    /// Raw bytes.
    Bytes(Vec<u8>),
    /// An instant with the offset it was given in.
    Instant(Instant),
    /// A sequence (a `Vec`, a tuple, a set).
    List(Vec<Dynamic>),
    /// A map with arbitrary keys, in the order the value gives them.
    Map(Vec<(Dynamic, Dynamic)>),
    /// A struct: its type name and its fields in declaration order.
    Record {
        /// The Rust type name (`Contact`, `Event`, ...).
        name: &'static str,
        /// The fields, named in snake_case.
        fields: Vec<(&'static str, Dynamic)>,
    },
    /// A variant of an enum that carries data.
    Variant {
        /// The enum's type name (`Party`, `Subject`, ...).
        name: &'static str,
        /// The variant's lowercase name (`member`, `contact`, ...).
        tag: String,
        /// The data it carries (a [`Dynamic::Record`] for struct-like variants).
        value: Box<Dynamic>,
    },
}

/// Enums whose every variant, data or not, becomes a [`Dynamic::Variant`], so a binding
/// can give each of them one type.
const TAGGED: [&str; 5] = [
    "Party",
    "Subject",
    "DuplicateReason",
    "IgnoredReason",
    "ChangeStatus",
];

/// The key under which a binding stores the tag of a [`Dynamic::Variant`] of enum `name`:
/// `kind` for the enums a binding types (parties, subjects, reasons, statuses), `type` for
/// the others (the operations of a change), whose fields may include a `kind`.
pub fn tag_key(name: &str) -> &'static str {
    if TAGGED.contains(&name) {
        "kind"
    } else {
        "type"
    }
}

/// The name under which date-times of result types pass through `serde`: text forms
/// (RFC 3339, as `chrono` writes them) ignore it, the dynamic form reads it as an instant.
const TIME: &str = "$cercle::time";

/// `serde` helpers for the date-times of result types (`#[serde(with = ...)]`).
pub(crate) mod time {
    use super::*;

    struct Marked<'a, Tz: TimeZone>(&'a DateTime<Tz>);

    impl<Tz: TimeZone> Serialize for Marked<'_, Tz> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let text = self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true);
            serializer.serialize_newtype_struct(TIME, &text)
        }
    }

    pub(crate) fn serialize<S: serde::Serializer, Tz: TimeZone>(
        t: &DateTime<Tz>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        Marked(t).serialize(serializer)
    }

    pub(crate) fn deserialize<'de, D, T>(deserializer: D) -> Result<T, D::Error>
    where
        D: serde::Deserializer<'de>,
        T: serde::Deserialize<'de>,
    {
        T::deserialize(deserializer)
    }

    pub(crate) mod option {
        use super::*;

        pub(crate) fn serialize<S: serde::Serializer, Tz: TimeZone>(
            t: &Option<DateTime<Tz>>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => serializer.serialize_some(&Marked(t)),
                None => serializer.serialize_none(),
            }
        }

        pub(crate) fn deserialize<'de, D, T>(deserializer: D) -> Result<T, D::Error>
        where
            D: serde::Deserializer<'de>,
            T: serde::Deserialize<'de>,
        {
            T::deserialize(deserializer)
        }
    }
}

/// A value that has no dynamic form (never produced by the library's own types).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no dynamic form: {0}")]
pub struct DynamicError(String);

impl ser::Error for DynamicError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DynamicError(msg.to_string())
    }
}

/// Converts a value into its dynamic form.
pub fn to_dynamic<T: Serialize + ?Sized>(value: &T) -> Result<Dynamic, DynamicError> {
    value.serialize(Serializer)
}

/// The dynamic form of a field value: the plain value a binding shows (text, a boolean,
/// an id, an instant, a kind's name), without the [`Value`] wrapper.
pub fn value_to_dynamic(value: &Value) -> Dynamic {
    let inner = match value {
        Value::Null => return Dynamic::Null,
        Value::Text(t) => return Dynamic::Str(t.clone()),
        Value::Bool(b) => return Dynamic::Bool(*b),
        Value::Member(m) => return Dynamic::Str(m.to_string()),
        Value::Object(o) => return Dynamic::Str(o.to_string()),
        Value::Instant(i) => return Dynamic::Instant(*i),
        Value::ContactKind(k) => return Dynamic::Str(k.as_str().to_string()),
        Value::EventKind(k) => return Dynamic::Str(k.as_str().to_string()),
        Value::EventStatus(s) => return Dynamic::Str(s.as_str().to_string()),
        Value::EntryStatus(s) => return Dynamic::Str(s.as_str().to_string()),
        Value::Attendee(a) => to_dynamic(a),
    };
    inner.unwrap_or(Dynamic::Null)
}

/// `BusinessAngel` → `business_angel`.
fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

struct Serializer;

type Out<T> = std::result::Result<T, DynamicError>;

impl ser::Serializer for Serializer {
    type Ok = Dynamic;
    type Error = DynamicError;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = VariantBuilder<SeqBuilder>;
    type SerializeMap = MapBuilder;
    type SerializeStruct = RecordBuilder;
    type SerializeStructVariant = VariantBuilder<RecordBuilder>;

    fn serialize_bool(self, v: bool) -> Out<Dynamic> {
        Ok(Dynamic::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Out<Dynamic> {
        Ok(Dynamic::Int(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Out<Dynamic> {
        Ok(Dynamic::Int(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Out<Dynamic> {
        Ok(Dynamic::Int(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Out<Dynamic> {
        Ok(Dynamic::Int(v))
    }
    fn serialize_u8(self, v: u8) -> Out<Dynamic> {
        Ok(Dynamic::Int(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Out<Dynamic> {
        Ok(Dynamic::Int(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Out<Dynamic> {
        Ok(Dynamic::Int(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Out<Dynamic> {
        Ok(i64::try_from(v).map_or(Dynamic::UInt(v), Dynamic::Int))
    }
    fn serialize_f32(self, v: f32) -> Out<Dynamic> {
        Ok(Dynamic::Float(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Out<Dynamic> {
        Ok(Dynamic::Float(v))
    }
    fn serialize_char(self, v: char) -> Out<Dynamic> {
        Ok(Dynamic::Str(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Out<Dynamic> {
        Ok(Dynamic::Str(v.to_string()))
    }
    /// Text written by `Display` (every id) becomes the string directly, not a string
    /// copied into another.
    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Out<Dynamic> {
        Ok(Dynamic::Str(value.to_string()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Out<Dynamic> {
        Ok(Dynamic::Bytes(v.to_vec()))
    }
    fn serialize_none(self) -> Out<Dynamic> {
        Ok(Dynamic::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Out<Dynamic> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Out<Dynamic> {
        Ok(Dynamic::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Out<Dynamic> {
        Ok(Dynamic::Null)
    }
    fn serialize_unit_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Out<Dynamic> {
        if TAGGED.contains(&name) {
            return Ok(Dynamic::Variant {
                name,
                tag: snake(variant),
                value: Box::new(Dynamic::Null),
            });
        }
        Ok(Dynamic::Str(snake(variant)))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Out<Dynamic> {
        let value = value.serialize(self)?;
        if name == TIME {
            if let Dynamic::Str(text) = &value {
                if let Ok(t) = DateTime::parse_from_rfc3339(text) {
                    return Ok(Dynamic::Instant(t.into()));
                }
            }
        }
        Ok(value)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Out<Dynamic> {
        let value = value.serialize(Serializer)?;
        // A free contact kind reads as its label, like the known kinds read as names.
        if name == "ContactKind" {
            return Ok(value);
        }
        // A custom field reads as its text form, `custom:<name>`.
        if let ("Field", Dynamic::Str(field)) = (name, &value) {
            return Ok(Dynamic::Str(format!("custom:{field}")));
        }
        Ok(Dynamic::Variant {
            name,
            tag: snake(variant),
            value: Box::new(value),
        })
    }
    fn serialize_seq(self, len: Option<usize>) -> Out<SeqBuilder> {
        Ok(SeqBuilder(Vec::with_capacity(len.unwrap_or(0).min(4096))))
    }
    fn serialize_tuple(self, len: usize) -> Out<SeqBuilder> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Out<SeqBuilder> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Out<VariantBuilder<SeqBuilder>> {
        Ok(VariantBuilder {
            name,
            tag: snake(variant),
            inner: self.serialize_seq(Some(len))?,
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Out<MapBuilder> {
        Ok(MapBuilder {
            entries: Vec::new(),
            key: None,
        })
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Out<RecordBuilder> {
        Ok(RecordBuilder {
            name,
            fields: Vec::with_capacity(len),
        })
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Out<VariantBuilder<RecordBuilder>> {
        Ok(VariantBuilder {
            name,
            tag: snake(variant),
            inner: RecordBuilder {
                name: variant,
                fields: Vec::with_capacity(len),
            },
        })
    }
}

struct SeqBuilder(Vec<Dynamic>);

impl SeqBuilder {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Out<()> {
        self.0.push(value.serialize(Serializer)?);
        Ok(())
    }
}

impl ser::SerializeSeq for SeqBuilder {
    type Ok = Dynamic;
    type Error = DynamicError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Out<()> {
        self.push(value)
    }
    fn end(self) -> Out<Dynamic> {
        Ok(Dynamic::List(self.0))
    }
}

impl ser::SerializeTuple for SeqBuilder {
    type Ok = Dynamic;
    type Error = DynamicError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Out<()> {
        self.push(value)
    }
    fn end(self) -> Out<Dynamic> {
        Ok(Dynamic::List(self.0))
    }
}

impl ser::SerializeTupleStruct for SeqBuilder {
    type Ok = Dynamic;
    type Error = DynamicError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Out<()> {
        self.push(value)
    }
    fn end(self) -> Out<Dynamic> {
        Ok(Dynamic::List(self.0))
    }
}

struct MapBuilder {
    entries: Vec<(Dynamic, Dynamic)>,
    key: Option<Dynamic>,
}

impl ser::SerializeMap for MapBuilder {
    type Ok = Dynamic;
    type Error = DynamicError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Out<()> {
        self.key = Some(key.serialize(Serializer)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Out<()> {
        let key = self
            .key
            .take()
            .ok_or_else(|| DynamicError("map value without a key".into()))?;
        self.entries.push((key, value.serialize(Serializer)?));
        Ok(())
    }
    fn end(self) -> Out<Dynamic> {
        Ok(Dynamic::Map(self.entries))
    }
}

struct RecordBuilder {
    name: &'static str,
    fields: Vec<(&'static str, Dynamic)>,
}

impl ser::SerializeStruct for RecordBuilder {
    type Ok = Dynamic;
    type Error = DynamicError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Out<()> {
        self.fields.push((key, value.serialize(Serializer)?));
        Ok(())
    }
    fn end(self) -> Out<Dynamic> {
        if self.name == "Instant" {
            if let [("millis", Dynamic::Int(millis)), ("offset_seconds", Dynamic::Int(offset))] =
                self.fields.as_slice()
            {
                if let Ok(offset_seconds) = i32::try_from(*offset) {
                    return Ok(Dynamic::Instant(Instant {
                        millis: *millis,
                        offset_seconds,
                    }));
                }
            }
        }
        Ok(Dynamic::Record {
            name: self.name,
            fields: self.fields,
        })
    }
}

struct VariantBuilder<B> {
    name: &'static str,
    tag: String,
    inner: B,
}

impl ser::SerializeTupleVariant for VariantBuilder<SeqBuilder> {
    type Ok = Dynamic;
    type Error = DynamicError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Out<()> {
        self.inner.push(value)
    }
    fn end(self) -> Out<Dynamic> {
        Ok(Dynamic::Variant {
            name: self.name,
            tag: self.tag,
            value: Box::new(Dynamic::List(self.inner.0)),
        })
    }
}

impl ser::SerializeStructVariant for VariantBuilder<RecordBuilder> {
    type Ok = Dynamic;
    type Error = DynamicError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Out<()> {
        ser::SerializeStruct::serialize_field(&mut self.inner, key, value)
    }
    fn end(self) -> Out<Dynamic> {
        Ok(Dynamic::Variant {
            name: self.name,
            tag: self.tag,
            value: Box::new(Dynamic::Record {
                name: self.inner.name,
                fields: self.inner.fields,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AttendeeRole, ContactKind, EventKind, MemberId, Party};

    #[test]
    fn variant_names_are_snake_case_and_match_the_text_forms() {
        for k in [EventKind::StatusChange, EventKind::Meeting] {
            assert_eq!(to_dynamic(&k), Ok(Dynamic::Str(k.as_str().into())));
        }
        for k in [
            ContactKind::BusinessAngel,
            ContactKind::StartUp,
            ContactKind::Other("notaire".into()),
        ] {
            assert_eq!(to_dynamic(&k), Ok(Dynamic::Str(k.as_str().into())));
        }
    }

    #[test]
    fn instants_and_tagged_variants_keep_their_meaning() {
        let at = Instant {
            millis: 1_266_927_900_000,
            offset_seconds: 3600,
        };
        assert_eq!(to_dynamic(&at), Ok(Dynamic::Instant(at)));
        let m = MemberId::from_bytes([3; 32]);
        let party = to_dynamic(&Party::Member(m));
        assert_eq!(
            party,
            Ok(Dynamic::Variant {
                name: "Party",
                tag: "member".into(),
                value: Box::new(Dynamic::Str(m.to_string())),
            })
        );
        assert_eq!(
            to_dynamic(&Some(AttendeeRole::Chair)),
            Ok(Dynamic::Str("chair".into()))
        );
        assert_eq!(to_dynamic(&u64::MAX), Ok(Dynamic::UInt(u64::MAX)));
    }
}
