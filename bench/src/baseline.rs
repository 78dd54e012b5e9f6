//! The Rust baseline of the binding benchmarks: cercle alone on the CRM work (one commit per
//! phase) and the offline merge, each phase timed. `bench/python/crm.py` and
//! `bench/node/crm.mjs` do the same work through their bindings and divide by these figures.
//! Prints one line `baseline {json}` with seconds per phase.

use cercle::{ContactQuery, Identity, Role, Workspace};

use crate::crm::{cercle_contacts, cercle_events, cercle_updates, work, Rng, Work, FIELDS, KINDS};
use crate::{measure, Scale};

/// The two offline sides of workload 2: 10,000 updates and 2,000 events each (seeds 7, 8).
pub fn side(w: &Work, scale: Scale, seed: u64) -> Work {
    let mut rng = Rng::new(seed);
    Work {
        contacts: w.contacts,
        updates: (0..scale.of(10_000))
            .map(|k| {
                let (c, f) = (rng.below(w.contacts), rng.below(8));
                (c, f, format!("{} {c:05} side{seed} v{k}", FIELDS[f]))
            })
            .collect(),
        events: (0..scale.of(2_000))
            .map(|k| {
                let c = rng.below(w.contacts);
                (
                    c,
                    1_800_000_000_000 + k as i64,
                    KINDS[k % 4],
                    format!("side {seed} event {k}"),
                )
            })
            .collect(),
    }
}

pub fn run(scale: Scale) {
    let w = work(scale);
    let mut ws = Workspace::create(Identity::from_secret_bytes([1; 32]), "bench");
    ws.add_member(
        Identity::from_secret_bytes([2; 32]).member_id(),
        Role::Admin,
    )
    .ok();
    let (ids, contacts, _) = measure(|| cercle_contacts(&mut ws, w.contacts, false));
    let (_, updates, _) = measure(|| cercle_updates(&mut ws, &ids, &w.updates, false));
    let (_, events, _) = measure(|| cercle_events(&mut ws, &ids, &w.events, false));
    let (saved, save, _) = measure(|| ws.save());
    let (loaded, load, _) =
        measure(|| Workspace::load(Identity::from_secret_bytes([2; 32]), &saved).expect("load"));
    let (read, read_all, _) =
        measure(|| loaded.contacts(&ContactQuery::default()).len() + loaded.events().len());
    assert!(read > 0);
    let mut a = loaded;
    let mut b = Workspace::load(Identity::from_secret_bytes([1; 32]), &saved).expect("b");
    for (copy, seed) in [(&mut a, 7), (&mut b, 8)] {
        let s = side(&w, scale, seed);
        cercle_updates(copy, &ids, &s.updates, false);
        cercle_events(copy, &ids, &s.events, false);
    }
    let (_, merge, _) = measure(|| a.merge(&b).expect("merge"));
    println!(
        "baseline {{\"contacts\": {contacts:.4}, \"updates\": {updates:.4}, \"events\": {events:.4}, \
         \"save\": {save:.4}, \"load\": {load:.4}, \"read_all\": {read_all:.4}, \"merge\": {merge:.4}, \
         \"saved_bytes\": {}}}",
        saved.len()
    );
}
