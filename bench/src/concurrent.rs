//! Workload 3, concurrent: the `friendsforever` trace, two people editing one text, each on
//! their own copy, merging now and then.

use cercle::{ChangeHash, Field, GroupRole, Identity, NewGroup, ObjectId, Role, Workspace};
use diamond_types::list::encoding::EncodeOptions;
use diamond_types::list::{ListCRDT, OpLog};
use serde::Deserialize;

use crate::table::Kind;
use crate::{measure_median, Scale, Table};

#[derive(Deserialize)]
struct Trace {
    #[serde(rename = "endContent")]
    end: String,
    #[serde(rename = "numAgents")]
    agents: usize,
    txns: Vec<Txn>,
}

/// One transaction: made by `agent` on the document at `parents` (earlier transactions),
/// its patches `(position, deleted, inserted)` applied one after another.
#[derive(Deserialize)]
struct Txn {
    parents: Vec<usize>,
    agent: usize,
    patches: Vec<(usize, usize, String)>,
}

/// Workload 3, concurrent.
pub fn run(scale: Scale) {
    let mut trace: Trace = crate::text::read_trace("concurrent-friendsforever.json.gz");
    // A prefix of the transactions is a causal history of its own (parents come first).
    let n = scale.of(trace.txns.len());
    trace.txns.truncate(n);
    let full = scale.div == 1;
    let mut t = Table::new(
        &format!(
            "3. Glossary text, concurrent — {n} edits of the friendsforever trace by {} people",
            trace.agents
        ),
        &["cercle", "diamond"],
    );

    let (ws, sense, people) = shared_sense(trace.agents);
    let ((copies, bundles), c_time, _) = measure_median(|| replay(&trace, &ws, sense, &people));
    let mut merged = copies.into_iter().reduce(|mut a, b| {
        a.merge(&b).expect("merge");
        a
    });
    let merged = merged.as_mut().expect("a copy");
    let c_final = merged.text(&sense, &Field::Definition);
    let c_saved = merged.save();
    let (_, c_load, _) =
        measure_median(|| Workspace::load(Identity::from_secret_bytes([3; 32]), &c_saved));

    let (d_final, d_time, _) = measure_median(|| {
        let oplog = diamond_replay(&trace);
        let text = oplog.checkout_tip().content().to_string();
        (oplog, text)
    });
    let (oplog, d_text) = d_final;
    let d_saved = oplog.encode(EncodeOptions::default());
    let (_, d_load, _) = measure_median(|| ListCRDT::load_from(&d_saved).expect("load"));
    if full {
        assert_eq!(d_text, trace.end, "diamond-types replays the trace exactly");
    }
    // Concurrent insertions at one place may be ordered differently by each library.
    let differing = c_final
        .chars()
        .zip(d_text.chars())
        .filter(|(a, b)| a != b)
        .count()
        + c_final.chars().count().abs_diff(d_text.chars().count());

    t.row(
        "replay and merge",
        Kind::Secs,
        vec![Some(c_time), Some(d_time)],
    );
    t.row(
        "bundles exchanged",
        Kind::Count,
        vec![Some(bundles as f64), None],
    );
    t.row(
        "saved size",
        Kind::Bytes,
        vec![Some(c_saved.len() as f64), Some(d_saved.len() as f64)],
    );
    t.row("load", Kind::Secs, vec![Some(c_load), Some(d_load)]);
    t.row(
        "final length (characters)",
        Kind::Count,
        vec![
            Some(c_final.chars().count() as f64),
            Some(d_text.chars().count() as f64),
        ],
    );
    t.row(
        "positions differing",
        Kind::Count,
        vec![Some(differing as f64), Some(0.0)],
    );
    t.print();
}

/// A workspace whose glossary sense every person may edit, saved as everyone's starting
/// point; the sense; and the people.
fn shared_sense(agents: usize) -> (Vec<u8>, ObjectId, Vec<Identity>) {
    let mut ws = Workspace::create(Identity::from_secret_bytes([1; 32]), "bench");
    let people: Vec<Identity> = (0..agents)
        .map(|a| Identity::from_secret_bytes([10u8.wrapping_add(a as u8); 32]))
        .collect();
    for p in &people {
        ws.add_member(p.member_id(), Role::Member).expect("member");
    }
    let g = ws.create_group(NewGroup::new("hub")).expect("group");
    for p in &people {
        ws.set_group_role(g, p.member_id(), GroupRole::Member)
            .expect("group member");
    }
    let sense = crate::text::empty_sense(&mut ws, g);
    (ws.save(), sense.into(), people)
}

/// Every person edits their own copy; before a transaction, their copy receives exactly
/// what the transaction's parents had seen from the others (one bundle per person), so
/// positions mean what they meant in the trace. Returns the copies and how many bundles
/// went from one to another.
fn replay(
    trace: &Trace,
    start: &[u8],
    sense: ObjectId,
    people: &[Identity],
) -> (Vec<Workspace>, usize) {
    let agents = trace.agents;
    let mut copies: Vec<Workspace> = people
        .iter()
        .map(|p| Workspace::load(p.clone(), start).expect("load"))
        .collect();
    let mut bundles = 0;
    let mut hashes: Vec<ChangeHash> = Vec::with_capacity(trace.txns.len());
    // For each transaction, per person, how many of their transactions it has seen.
    let mut seen: Vec<Vec<usize>> = Vec::with_capacity(trace.txns.len());
    // Each person's transactions, and how many of each other's every copy holds.
    let mut made: Vec<Vec<usize>> = vec![Vec::new(); agents];
    let mut holds: Vec<Vec<usize>> = vec![vec![0; agents]; agents];
    for (i, txn) in trace.txns.iter().enumerate() {
        let a = txn.agent;
        let mut v = vec![0; agents];
        for &p in &txn.parents {
            for (x, y) in v.iter_mut().zip(&seen[p]) {
                *x = (*x).max(*y);
            }
        }
        for b in (0..agents).filter(|&b| b != a) {
            let (have, need) = (holds[a][b], v[b]);
            if need > have {
                let missing: Vec<ChangeHash> =
                    made[b][have..need].iter().map(|&j| hashes[j]).collect();
                let bundle = copies[b].encode_changes(&missing);
                let report = copies[a].apply(&bundle).expect("apply");
                debug_assert!(report.pending.is_empty());
                holds[a][b] = need;
                bundles += 1;
            }
        }
        let copy = &mut copies[a];
        for (pos, del, ins) in &txn.patches {
            copy.splice_text(sense, Field::Definition, *pos, *del, ins)
                .expect("edit");
        }
        hashes.push(copy.commit().unwrap_or(ChangeHash::from_bytes([0; 32])));
        made[a].push(i);
        v[a] = made[a].len();
        holds[a][a] = v[a];
        seen.push(v);
    }
    (copies, bundles)
}

/// The trace added to a diamond-types operation log at the versions it names.
fn diamond_replay(trace: &Trace) -> OpLog {
    let mut oplog = OpLog::new();
    let agents: Vec<_> = (0..trace.agents)
        .map(|a| oplog.get_or_create_agent_id(&format!("agent{a}")))
        .collect();
    let mut versions: Vec<Vec<usize>> = Vec::with_capacity(trace.txns.len());
    for txn in &trace.txns {
        let mut version: Vec<usize> = txn
            .parents
            .iter()
            .flat_map(|&p| versions[p].iter().copied())
            .collect();
        for (pos, del, ins) in &txn.patches {
            if *del > 0 {
                version = vec![oplog.add_delete_at(agents[txn.agent], &version, *pos..*pos + *del)];
            }
            if !ins.is_empty() {
                version = vec![oplog.add_insert_at(agents[txn.agent], &version, *pos, ins)];
            }
        }
        versions.push(version);
    }
    oplog
}
