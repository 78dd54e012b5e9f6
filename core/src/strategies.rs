//! Strategies shared by the property tests of several modules.

use proptest::prelude::*;

use crate::identity::Identity;
use crate::ids::{GroupId, MemberId, ObjectId, OpId};
use crate::object::{
    Attendee, AttendeeRole, ContactKind, EntryStatus, EventKind, EventStatus, Field, Instant,
    ObjectKind, Party, Value,
};
use crate::op::{GroupRole, GroupUpdate, Op, Role};

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

/// One of a small pool of group ids.
pub(crate) fn group() -> impl Strategy<Value = GroupId> {
    (0u8..4, 0u64..6).prop_map(|(n, c)| {
        GroupId::derive(OpId {
            counter: c,
            author: Identity::from_secret_bytes([n; 32]).member_id(),
        })
    })
}
/// An operation id by one of the members.
pub(crate) fn op_id() -> impl Strategy<Value = OpId> {
    (any::<u64>(), member()).prop_map(|(counter, author)| OpId { counter, author })
}

/// Every variant of [`Op`], with arbitrary content.
/// An operation of every kind.
pub(crate) fn op() -> impl Strategy<Value = Op> {
    let role = prop_oneof![Just(Role::Guest), Just(Role::Owner)];
    let update = prop_oneof![
        text().prop_map(GroupUpdate::Name),
        text().prop_map(GroupUpdate::Purpose),
        prop::collection::vec(text(), 0..3).prop_map(GroupUpdate::Tags),
        any::<bool>().prop_map(GroupUpdate::Open),
        any::<bool>().prop_map(GroupUpdate::Archived),
    ];
    let kind = prop_oneof![Just(ObjectKind::Contact), Just(ObjectKind::Comment)];
    prop_oneof![
        text().prop_map(|name| Op::Genesis { name }),
        (member(), role.clone()).prop_map(|(member, role)| Op::AddMember { member, role }),
        (member(), role).prop_map(|(member, role)| Op::SetRole { member, role }),
        member().prop_map(|member| Op::RemoveMember { member }),
        Just(Op::Leave),
        text().prop_map(|display_name| Op::SetProfile { display_name }),
        text().prop_map(|name| Op::RenameWorkspace { name }),
        (
            text(),
            text(),
            prop::collection::vec(text(), 0..3),
            any::<bool>()
        )
            .prop_map(|(name, purpose, tags, open)| Op::CreateGroup {
                name,
                purpose,
                tags,
                open
            }),
        (group(), update).prop_map(|(group, update)| Op::UpdateGroup { group, update }),
        (group(), member()).prop_map(|(group, member)| Op::SetGroupRole {
            group,
            member,
            role: GroupRole::Lead
        }),
        (group(), member()).prop_map(|(group, member)| Op::RemoveFromGroup { group, member }),
        group().prop_map(|group| Op::JoinGroup { group }),
        group().prop_map(|group| Op::LeaveGroup { group }),
        (
            kind.clone(),
            prop::option::of(object()),
            prop::collection::vec(group(), 0..3)
        )
            .prop_map(|(kind, parent, groups)| Op::Create {
                kind,
                parent,
                groups
            }),
        (
            kind,
            prop::option::of(object()),
            prop::collection::vec(group(), 0..2),
            prop::collection::vec((field(), value()), 0..4)
        )
            .prop_map(|(kind, parent, groups, values)| Op::CreateWith {
                kind,
                parent,
                groups,
                values
            }),
        (object(), group()).prop_map(|(object, group)| Op::Share { object, group }),
        (object(), group()).prop_map(|(object, group)| Op::Unshare { object, group }),
        edit_with_ids().prop_map(|(object, field, value, pred)| Op::Set {
            object,
            field,
            value,
            pred
        }),
        (object(), field(), value()).prop_map(|(object, field, value)| Op::Add {
            object,
            field,
            value
        }),
        edit_with_ids().prop_map(|(object, field, value, observed)| Op::Remove {
            object,
            field,
            value,
            observed
        }),
        (object(), field(), prop::option::of(op_id()), text()).prop_map(
            |(object, field, after, text)| Op::Insert {
                object,
                field,
                after,
                text
            }
        ),
        (
            object(),
            field(),
            prop::collection::vec((op_id(), any::<u32>()), 0..3)
        )
            .prop_map(|(object, field, runs)| Op::Delete {
                object,
                field,
                runs
            }),
        prop::collection::vec(text(), 0..4).prop_map(|stages| Op::SetPipeline { stages }),
    ]
}

/// A field of an object, a value and a few operation ids: a write and the writes it
/// replaces, or a removal and the additions it takes away.
fn edit_with_ids() -> impl Strategy<Value = (ObjectId, Field, Value, Vec<OpId>)> {
    (
        object(),
        field(),
        value(),
        prop::collection::vec(op_id(), 0..3),
    )
}
