//! Golden workspaces: bytes saved by this library, kept in `testdata/golden/` with the
//! state they must load to. The Rust, Python and JavaScript suites all read them, so a
//! workspace saved by one runtime loads the same in the others, and a change of the saved
//! format cannot go unnoticed. Set `CERCLE_BLESS=1` to rewrite them after an intended change.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::PathBuf;

use cercle::{
    AttendeeRole, ContactKind, ContactQuery, EventKind, GroupRole, NewContact, NewEntry, NewEvent,
    NewGroup, Party, Role, Workspace,
};
use common::{clock, copy_for, id};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/golden")
}

/// The story behind `catalogue.cercle`, with fixed keys and clock.
fn build() -> Workspace {
    let mut ws = Workspace::create_with_clock(id(1), "Juste à temps", clock());
    ws.set_display_name("Patrick").unwrap();
    ws.add_member(id(2).member_id(), Role::Admin).unwrap();
    ws.add_member(id(3).member_id(), Role::Member).unwrap();
    let g = ws
        .create_group(NewGroup::new("Catalogue").tags(["catalogue"]).open(false))
        .unwrap();
    ws.set_group_role(g, id(3).member_id(), GroupRole::Member)
        .unwrap();
    let c = ws
        .create_contact(
            NewContact::new("Ergonomie Services")
                .kind(ContactKind::StartUp)
                .email("contact@ergonomie.example")
                .notes("été 🙂")
                .group(g),
        )
        .unwrap();
    ws.set_stage(c, "contacted").unwrap();
    let e = ws
        .create_event(
            NewEvent::new(EventKind::Meeting, "Catalogue de printemps")
                .start("2010-03-01T10:00:00+01:00".parse().unwrap())
                .contact(c)
                .group(g)
                .attendee(Party::Member(id(1).member_id()), AttendeeRole::Chair)
                .agenda_item("chaises"),
        )
        .unwrap();
    ws.record_decision(
        e,
        "20 chaises",
        "2010-03-01T11:00:00+01:00".parse().unwrap(),
        &[id(1).member_id()],
    )
    .unwrap();
    let hub = ws.create_group(NewGroup::new("Convivialité")).unwrap();
    let dico = ws
        .create_glossary(hub, "Dictionnaire amoureux de la convivialité", "fr", "")
        .unwrap();
    ws.add_entry(
        dico,
        NewEntry::new("Été").definition("Saison des pique-niques.", ""),
    )
    .unwrap();
    ws.commit();
    // A member removed while offline: their concurrent change is kept, ignored.
    let mut marc = copy_for(&mut ws, 3);
    marc.create_contact(NewContact::new("offline").group(g))
        .unwrap();
    marc.commit();
    ws.remove_member(id(3).member_id()).unwrap();
    ws.commit();
    ws.merge(&marc).unwrap();
    ws
}

/// The state a golden workspace must show, as JSON every runtime can produce.
fn summary(ws: &Workspace) -> serde_json::Value {
    let contacts = ws.contacts(&ContactQuery::default().include_archived(true));
    let timelines: Vec<_> = contacts.iter().map(|c| ws.timeline(&c.id)).collect();
    let entries: Vec<_> = ws.glossaries().iter().map(|g| ws.entries(&g.id)).collect();
    let changes: Vec<_> = ws
        .changes()
        .into_iter()
        .map(|c| {
            (
                c.hash.to_string(),
                matches!(c.status, cercle::ChangeStatus::Valid),
            )
        })
        .collect();
    serde_json::json!({
        "id": ws.id().to_string(),
        "name": ws.name(),
        "heads": ws.heads().iter().map(|h| h.to_string()).collect::<Vec<_>>(),
        "members": ws.members(),
        "groups": ws.groups(),
        "contacts": contacts,
        "timelines": timelines,
        "glossaries": ws.glossaries(),
        "entries": entries,
        "changes": changes,
    })
}

#[test]
fn golden_workspace_loads_to_its_recorded_state() {
    let bytes_path = dir().join("catalogue.cercle");
    let state_path = dir().join("catalogue.json");
    let mut built = build();
    let saved = built.save();
    if std::env::var_os("CERCLE_BLESS").is_some() {
        std::fs::create_dir_all(dir()).unwrap();
        std::fs::write(&bytes_path, &saved).unwrap();
        let text = serde_json::to_string_pretty(&summary(&built)).unwrap();
        std::fs::write(&state_path, text + "\n").unwrap();
    }
    let golden =
        std::fs::read(&bytes_path).expect("run with CERCLE_BLESS=1 to create the golden files");
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state_path).unwrap()).unwrap();
    // Loading the recorded bytes gives the recorded state...
    let loaded = Workspace::load(id(7), &golden).unwrap();
    assert_eq!(summary(&loaded), expected);
    // ...and this library still writes exactly those bytes for the same story.
    assert!(
        saved == golden,
        "the saved format changed: bless the golden files if intended"
    );
}

/// The state without what names changes by their hash (heads, change list, and the
/// workspace id, its genesis change's hash): what the same story shows whatever the
/// format its changes were made in.
fn content(mut summary: serde_json::Value) -> serde_json::Value {
    if let Some(map) = summary.as_object_mut() {
        map.remove("id");
        map.remove("heads");
        map.remove("changes");
    }
    summary
}

/// Law: a workspace saved in an earlier format version loads to the state recorded then;
/// saved again, it is written in the current format and loads to the same state; and its
/// content is that of the same story as version 3 told it (only change hashes differ:
/// since version 3 they no longer cover signatures). Since version 4 the story creates
/// objects with their first values, in fewer operations, so its ids differ.
#[test]
fn earlier_format_versions_still_load_to_the_recorded_state() {
    let state = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(dir().join(name)).unwrap()).unwrap()
    };
    let v3 = state("catalogue-v3.json");
    for version in [1u8, 2, 3] {
        let expected = if version < 3 {
            state("catalogue-v2.json")
        } else {
            v3.clone()
        };
        let bytes = std::fs::read(dir().join(format!("catalogue-v{version}.cercle"))).unwrap();
        assert_eq!(bytes.get(4), Some(&version), "a version {version} file");
        let mut loaded = Workspace::load(id(7), &bytes).unwrap();
        assert_eq!(summary(&loaded), expected, "version {version}");
        let resaved = loaded.save();
        assert_eq!(resaved.get(4), Some(&cercle::FORMAT_VERSION));
        let mut again = Workspace::load(id(7), &resaved).unwrap();
        assert_eq!(summary(&again), expected, "version {version} saved again");
        assert_eq!(again.save(), resaved);
        assert_eq!(content(summary(&again)), content(v3.clone()));
    }
}

/// Law: the story told today shows what version 3 showed, but for the ids its objects
/// derive from their creations (now fewer operations) and the change hashes.
#[test]
fn the_story_told_today_shows_what_version_3_showed() {
    let v3: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("catalogue-v3.json")).unwrap())
            .unwrap();
    let today = summary(&build());
    assert_eq!(without_ids(content(today)), without_ids(content(v3)));
}

/// The state with every object id (32 hexadecimal digits) blanked out.
fn without_ids(state: serde_json::Value) -> serde_json::Value {
    match state {
        serde_json::Value::String(s)
            if s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            serde_json::Value::String("id".into())
        }
        serde_json::Value::Array(items) => items.into_iter().map(without_ids).collect(),
        serde_json::Value::Object(map) => {
            map.into_iter().map(|(k, v)| (k, without_ids(v))).collect()
        }
        other => other,
    }
}
