//! Strategies shared by the property tests of several modules.

use proptest::prelude::*;

use crate::identity::Identity;
use crate::ids::{MemberId, ObjectId, OpId};
use crate::object::{
    Attendee, AttendeeRole, ContactKind, EntryStatus, EventKind, EventStatus, Field, Instant,
    Party, Value,
};

/// One of four members: a small pool, so ids repeat as well as appear fresh.
pub(crate) fn member() -> impl Strategy<Value = MemberId> {
    (0u8..4).prop_map(|n| Identity::from_secret_bytes([n; 32]).member_id())
}

/// One of a small pool of object ids.
pub(crate) fn object() -> impl Strategy<Value = ObjectId> {
    (0u8..6, 0u64..6).prop_map(|(n, c)| {
        ObjectId::derive(OpId {
            counter: c,
            author: Identity::from_secret_bytes([n % 4; 32]).member_id(),
        })
    })
}

/// Short text, sometimes empty, with characters outside ASCII.
pub(crate) fn text() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[a-zé🙂 ]{0,12}"]
}

/// A few known fields and custom ones.
pub(crate) fn field() -> impl Strategy<Value = Field> {
    prop_oneof![
        Just(Field::DisplayName),
        Just(Field::Title),
        Just(Field::Contacts),
        Just(Field::DecidedBy),
        text().prop_map(Field::Custom),
    ]
}

/// A value of every kind.
pub(crate) fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        text().prop_map(Value::Text),
        any::<bool>().prop_map(Value::Bool),
        member().prop_map(Value::Member),
        object().prop_map(Value::Object),
        (any::<i64>(), any::<i32>()).prop_map(|(millis, offset_seconds)| {
            Value::Instant(Instant {
                millis,
                offset_seconds,
            })
        }),
        text().prop_map(|t| Value::ContactKind(ContactKind::Other(t))),
        Just(Value::ContactKind(ContactKind::Investor)),
        Just(Value::EventKind(EventKind::Meeting)),
        Just(Value::EventStatus(EventStatus::Done)),
        Just(Value::EntryStatus(EntryStatus::Draft)),
        (prop_oneof![
            member().prop_map(Party::Member),
            object().prop_map(Party::Contact)
        ])
        .prop_map(|party| Value::Attendee(Attendee {
            party,
            role: AttendeeRole::Chair
        })),
    ]
}
