//! Workload 1 (CRM) and workload 2 (offline merge).

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, ROOT};
use cercle::{
    sync_in_memory, ContactId, ContactQuery, EventKind, Field, Identity, NewContact, NewEvent,
    Role, Value, Workspace,
};
use loro::{LoroDoc, LoroList, LoroMap};

use crate::table::Kind;
use crate::{measure, Scale, Table};

/// SplitMix64, as the workload defines it.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

pub(crate) const FIELDS: [&str; 8] = [
    "name", "email", "phone", "company", "title", "city", "country", "notes",
];
pub(crate) const KINDS: [&str; 4] = ["call", "email", "meeting", "note"];

/// The work, as plain data every library replays.
pub struct Work {
    pub contacts: usize,
    pub updates: Vec<(usize, usize, String)>,
    pub events: Vec<(usize, i64, &'static str, String)>,
}

pub fn work(scale: Scale) -> Work {
    let contacts = scale.of(10_000);
    let mut rng = Rng::new(42);
    let updates = (0..scale.of(100_000))
        .map(|k| {
            let (c, f) = (rng.below(contacts), rng.below(8));
            (c, f, format!("{} {c:05} v{}", FIELDS[f], k + 1))
        })
        .collect();
    let mut rng = Rng::new(1001);
    let events = (0..scale.of(200_000))
        .map(|k| {
            let c = rng.below(contacts);
            let ts = 1_700_000_000_000 + k as i64 * 1000;
            (c, ts, KINDS[k % 4], format!("event {k} about c{c:05}"))
        })
        .collect();
    Work {
        contacts,
        updates,
        events,
    }
}

pub(crate) fn cercle_field(f: usize) -> Field {
    match f {
        0 => Field::DisplayName,
        3 => Field::Organisation,
        4 => Field::JobTitle,
        other => Field::Custom(FIELDS[other].to_string()),
    }
}

fn event_kind(k: &str) -> EventKind {
    match k {
        "call" => EventKind::Call,
        "email" => EventKind::Email,
        "meeting" => EventKind::Meeting,
        _ => EventKind::Note,
    }
}

/// Runs the CRM work on a cercle workspace; `per_op` commits after every user action.
pub fn cercle_build(w: &Work, per_op: bool) -> (Workspace, Vec<ContactId>) {
    let mut ws = Workspace::create(Identity::from_secret_bytes([1; 32]), "bench");
    ws.add_member(
        Identity::from_secret_bytes([2; 32]).member_id(),
        Role::Admin,
    )
    .ok();
    let ids = cercle_contacts(&mut ws, w.contacts, per_op);
    cercle_updates(&mut ws, &ids, &w.updates, per_op);
    cercle_events(&mut ws, &ids, &w.events, per_op);
    (ws, ids)
}

/// Creates the contacts `c00000`, ... with their 8 fields; `per_op` commits each one.
pub(crate) fn cercle_contacts(ws: &mut Workspace, n: usize, per_op: bool) -> Vec<ContactId> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let mut c = NewContact::new(format!("name {i:05} v0"))
            .organisation(format!("company {i:05} v0"))
            .job_title(format!("title {i:05} v0"));
        for f in [1, 2, 5, 6, 7] {
            c = c.custom(FIELDS[f], format!("{} {i:05} v0", FIELDS[f]));
        }
        ids.push(ws.create_contact(c).expect("contact"));
        if per_op {
            ws.commit();
        }
    }
    ws.commit();
    ids
}

pub(crate) fn cercle_updates(
    ws: &mut Workspace,
    ids: &[ContactId],
    updates: &[(usize, usize, String)],
    per_op: bool,
) {
    for (c, f, v) in updates {
        ws.set_field(ids[*c].into(), cercle_field(*f), Value::Text(v.clone()))
            .expect("update");
        if per_op {
            ws.commit();
        }
    }
    ws.commit();
}

pub(crate) fn cercle_events(
    ws: &mut Workspace,
    ids: &[ContactId],
    events: &[(usize, i64, &str, String)],
    per_op: bool,
) {
    for (c, ts, kind, text) in events {
        let start = chrono::DateTime::from_timestamp_millis(*ts)
            .expect("time")
            .fixed_offset();
        ws.create_event(
            NewEvent::new(event_kind(kind), text.clone())
                .start(start)
                .contact(ids[*c]),
        )
        .expect("event");
        if per_op {
            ws.commit();
        }
    }
    ws.commit();
}

fn cercle_read_all(ws: &Workspace) -> usize {
    let contacts = ws.contacts(&ContactQuery::default());
    let fields: usize = contacts
        .iter()
        .map(|c| {
            c.display_name.len() + c.custom.len() + c.organisation.as_ref().map_or(0, |o| o.len())
        })
        .sum();
    fields + ws.events().len()
}

// ----- automerge ---------------------------------------------------------------------

fn automerge_build(w: &Work, per_op: bool) -> (AutoCommit, Vec<automerge::ObjId>) {
    let mut doc = AutoCommit::new();
    let contacts = doc.put_object(ROOT, "contacts", ObjType::Map).expect("map");
    let mut ids = Vec::with_capacity(w.contacts);
    for i in 0..w.contacts {
        let c = doc
            .put_object(&contacts, format!("c{i:05}"), ObjType::Map)
            .expect("contact");
        for f in FIELDS {
            doc.put(&c, f, format!("{f} {i:05} v0")).expect("field");
        }
        doc.put_object(&c, "timeline", ObjType::List)
            .expect("timeline");
        ids.push(c);
        if per_op {
            doc.commit();
        }
    }
    doc.commit();
    automerge_updates(&mut doc, &ids, &w.updates, per_op);
    automerge_events(&mut doc, &ids, &w.events, per_op);
    (doc, ids)
}

fn automerge_updates(
    doc: &mut AutoCommit,
    ids: &[automerge::ObjId],
    updates: &[(usize, usize, String)],
    per_op: bool,
) {
    for (c, f, v) in updates {
        doc.put(&ids[*c], FIELDS[*f], v.as_str()).expect("update");
        if per_op {
            doc.commit();
        }
    }
    doc.commit();
}

fn automerge_events(
    doc: &mut AutoCommit,
    ids: &[automerge::ObjId],
    events: &[(usize, i64, &str, String)],
    per_op: bool,
) {
    for (c, ts, kind, text) in events {
        let timeline = match doc.get(&ids[*c], "timeline").expect("get") {
            Some((_, id)) => id,
            None => continue,
        };
        let len = doc.length(&timeline);
        let e = doc
            .insert_object(&timeline, len, ObjType::Map)
            .expect("event");
        doc.put(&e, "kind", *kind).expect("kind");
        doc.put(&e, "ts", *ts).expect("ts");
        doc.put(&e, "text", text.as_str()).expect("text");
        doc.put(&e, "contact", format!("c{c:05}")).expect("contact");
        doc.put(&e, "status", "done").expect("status");
        if per_op {
            doc.commit();
        }
    }
    doc.commit();
}

fn automerge_read_all(doc: &AutoCommit) -> usize {
    let Ok(Some((_, contacts))) = doc.get(ROOT, "contacts") else {
        return 0;
    };
    let mut n = 0;
    for key in doc.keys(&contacts).collect::<Vec<_>>() {
        if let Ok(Some((_, c))) = doc.get(&contacts, key.as_str()) {
            for f in FIELDS {
                n += usize::from(doc.get(&c, f).ok().flatten().is_some());
            }
            if let Ok(Some((_, t))) = doc.get(&c, "timeline") {
                n += doc.length(&t);
            }
        }
    }
    n
}

// ----- loro --------------------------------------------------------------------------

fn loro_build(w: &Work, per_op: bool) -> (LoroDoc, Vec<LoroMap>) {
    let doc = LoroDoc::new();
    let contacts = doc.get_map("contacts");
    let mut ids = Vec::with_capacity(w.contacts);
    for i in 0..w.contacts {
        let c = contacts
            .insert_container(&format!("c{i:05}"), LoroMap::new())
            .expect("contact");
        for f in FIELDS {
            c.insert(f, format!("{f} {i:05} v0")).expect("field");
        }
        c.insert_container("timeline", LoroList::new())
            .expect("timeline");
        ids.push(c);
        if per_op {
            doc.commit();
        }
    }
    doc.commit();
    loro_updates(&doc, &ids, &w.updates, per_op);
    loro_events(&doc, &ids, &w.events, per_op);
    (doc, ids)
}

fn loro_updates(doc: &LoroDoc, ids: &[LoroMap], updates: &[(usize, usize, String)], per_op: bool) {
    for (c, f, v) in updates {
        ids[*c].insert(FIELDS[*f], v.as_str()).expect("update");
        if per_op {
            doc.commit();
        }
    }
    doc.commit();
}

fn loro_timeline(c: &LoroMap) -> Option<LoroList> {
    match c.get("timeline")? {
        loro::ValueOrContainer::Container(loro::Container::List(l)) => Some(l),
        _ => None,
    }
}

fn loro_events(
    doc: &LoroDoc,
    ids: &[LoroMap],
    events: &[(usize, i64, &str, String)],
    per_op: bool,
) {
    for (c, ts, kind, text) in events {
        let Some(timeline) = loro_timeline(&ids[*c]) else {
            continue;
        };
        let e = timeline.push_container(LoroMap::new()).expect("event");
        e.insert("kind", *kind).expect("kind");
        e.insert("ts", *ts).expect("ts");
        e.insert("text", text.as_str()).expect("text");
        e.insert("contact", format!("c{c:05}")).expect("contact");
        e.insert("status", "done").expect("status");
        if per_op {
            doc.commit();
        }
    }
    doc.commit();
}

fn loro_read_all(doc: &LoroDoc) -> usize {
    use loro::ToJson;
    doc.get_deep_value().to_json_value().to_string().len()
}

/// Workload 1.
pub fn run(scale: Scale) {
    let w = work(scale);
    for per_op in [false, true] {
        let mode = if per_op {
            "one commit per operation"
        } else {
            "one commit per phase"
        };
        let mut t = Table::new(
            &format!(
                "1. CRM — {} contacts, {} updates, {} events, {mode}",
                w.contacts,
                w.updates.len(),
                w.events.len()
            ),
            &["cercle", "automerge", "loro"],
        );
        let ((mut ws, _), c_build, c_mem) = measure(|| cercle_build(&w, per_op));
        let (c_bytes, c_save, _) = measure(|| ws.save());
        drop(ws);
        let (_, c_load, _) = measure(|| {
            let ws = Workspace::load(Identity::from_secret_bytes([3; 32]), &c_bytes).expect("load");
            cercle_read_all(&ws)
        });

        let ((mut am, _), a_build, a_mem) = measure(|| automerge_build(&w, per_op));
        let (a_bytes, a_save, _) = measure(|| am.save());
        drop(am);
        let (_, a_load, _) = measure(|| {
            let doc = AutoCommit::load(&a_bytes).expect("load");
            automerge_read_all(&doc)
        });

        let ((lo, _), l_build, l_mem) = measure(|| loro_build(&w, per_op));
        let (l_bytes, l_save, _) =
            measure(|| lo.export(loro::ExportMode::Snapshot).expect("export"));
        drop(lo);
        let (_, l_load, _) = measure(|| {
            let doc = LoroDoc::from_snapshot(&l_bytes).expect("load");
            loro_read_all(&doc)
        });

        t.row(
            "apply (build)",
            Kind::Secs,
            vec![Some(c_build), Some(a_build), Some(l_build)],
        );
        t.row(
            "saved size",
            Kind::Bytes,
            vec![
                Some(c_bytes.len() as f64),
                Some(a_bytes.len() as f64),
                Some(l_bytes.len() as f64),
            ],
        );
        t.row(
            "save",
            Kind::Secs,
            vec![Some(c_save), Some(a_save), Some(l_save)],
        );
        t.row(
            "load and read every field",
            Kind::Secs,
            vec![Some(c_load), Some(a_load), Some(l_load)],
        );
        t.row(
            "peak heap while building",
            Kind::Bytes,
            vec![Some(c_mem as f64), Some(a_mem as f64), Some(l_mem as f64)],
        );
        t.print();
    }
}

/// Workload 2: two copies forked from workload 1 make concurrent work, then merge.
pub fn run_merge(scale: Scale) {
    let w = work(scale);
    let updates = scale.of(10_000);
    let events = scale.of(2_000);
    let (sa, sb) = (
        crate::baseline::side(&w, scale, 7),
        crate::baseline::side(&w, scale, 8),
    );
    let mut t = Table::new(
        &format!("2. Offline merge — two copies, {updates} updates and {events} events each"),
        &["cercle", "automerge", "loro"],
    );

    let (mut base, ids) = cercle_build(&w, false);
    let saved = base.save();
    let mut a = Workspace::load(Identity::from_secret_bytes([1; 32]), &saved).expect("a");
    let mut b = Workspace::load(Identity::from_secret_bytes([2; 32]), &saved).expect("b");
    for (ws, s) in [(&mut a, &sa), (&mut b, &sb)] {
        cercle_updates(ws, &ids, &s.updates, false);
        cercle_events(ws, &ids, &s.events, false);
    }
    let (a_saved, b_saved) = (a.save(), b.save());
    let (_, c_merge, _) = measure(|| a.merge(&b).expect("merge"));
    let mut x = Workspace::load(Identity::from_secret_bytes([1; 32]), &a_saved).expect("x");
    let mut y = Workspace::load(Identity::from_secret_bytes([2; 32]), &b_saved).expect("y");
    let (stats, c_sync, _) = measure(|| sync_in_memory(&mut x, &mut y).expect("sync"));

    let (mut am, am_ids) = automerge_build(&w, false);
    let mut am2 = am.fork();
    automerge_updates(&mut am, &am_ids, &sa.updates, false);
    automerge_events(&mut am, &am_ids, &sa.events, false);
    automerge_updates(&mut am2, &am_ids, &sb.updates, false);
    automerge_events(&mut am2, &am_ids, &sb.events, false);
    let (_, a_merge, _) = measure(|| am.merge(&mut am2).expect("merge"));

    let (lo, lo_ids) = loro_build(&w, false);
    let lo2 = lo.fork();
    let lo2_ids: Vec<LoroMap> = (0..w.contacts)
        .filter_map(|i| match lo2.get_map("contacts").get(&format!("c{i:05}")) {
            Some(loro::ValueOrContainer::Container(loro::Container::Map(m))) => Some(m),
            _ => None,
        })
        .collect();
    let vv = lo.oplog_vv();
    loro_updates(&lo, &lo_ids, &sa.updates, false);
    loro_events(&lo, &lo_ids, &sa.events, false);
    loro_updates(&lo2, &lo2_ids, &sb.updates, false);
    loro_events(&lo2, &lo2_ids, &sb.events, false);
    let (_, l_merge, _) = measure(|| {
        let update = lo2.export(loro::ExportMode::updates(&vv)).expect("export");
        lo.import(&update).expect("import");
    });

    t.row(
        "merge",
        Kind::Secs,
        vec![Some(c_merge), Some(a_merge), Some(l_merge)],
    );
    t.row(
        "full sync exchange",
        Kind::Secs,
        vec![Some(c_sync), None, None],
    );
    t.row(
        "sync bytes sent",
        Kind::Bytes,
        vec![Some(stats.bytes as f64), None, None],
    );
    t.row(
        "sync messages",
        Kind::Count,
        vec![Some(stats.messages as f64), None, None],
    );
    t.print();
}
