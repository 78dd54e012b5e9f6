//! Workload 3: the automerge-paper editing trace replayed into one glossary definition.

use std::io::Read;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, ROOT};
use cercle::{Field, GroupId, Identity, NewEntry, NewGroup, SenseId, Workspace};
use loro::LoroDoc;
use serde::Deserialize;
use yrs::updates::decoder::Decode;
use yrs::{GetString, ReadTxn, Text, Transact};

use crate::table::Kind;
use crate::{measure_median, Scale, Table};

#[derive(Deserialize)]
struct Trace {
    #[serde(rename = "endContent")]
    end: String,
    txns: Vec<Txn>,
}

#[derive(Deserialize)]
struct Txn {
    patches: Vec<(usize, usize, String)>,
}

/// Reads an editing trace of `bench/data/` (gzipped JSON, see `SOURCE.md`).
pub(crate) fn read_trace<T: serde::de::DeserializeOwned>(file: &str) -> T {
    let path = format!("{}/data/{file}", env!("CARGO_MANIFEST_DIR"));
    let file = std::fs::File::open(path).expect("trace");
    let mut json = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut json)
        .expect("gzip");
    serde_json::from_str(&json).expect("json")
}

/// A glossary of group `group` with one entry, and that entry's sense, whose definition
/// the traces edit.
pub(crate) fn empty_sense(ws: &mut Workspace, group: GroupId) -> SenseId {
    let dico = ws
        .create_glossary(group, "dictionnaire", "fr", "")
        .expect("glossary");
    let entry = ws
        .add_entry(dico, NewEntry::new("convivialité"))
        .expect("entry");
    ws.add_sense(entry, "", "").expect("sense")
}

/// Workload 3.
pub fn run(scale: Scale) {
    let trace: Trace = read_trace("automerge-paper.json.gz");
    let patches: Vec<(usize, usize, String)> = trace
        .txns
        .into_iter()
        .flat_map(|t| t.patches)
        .take(scale.of(259_778))
        .collect();
    let full = scale.div == 1;
    let mut t = Table::new(
        &format!(
            "3. Glossary text — {} single-character edits of the automerge-paper trace",
            patches.len()
        ),
        &["cercle", "automerge", "yrs", "loro", "diamond"],
    );

    // cercle: one sense's definition.
    let (ws_text, c_time, _) = measure_median(|| {
        let mut ws = Workspace::create(Identity::from_secret_bytes([1; 32]), "bench");
        let g = ws.create_group(NewGroup::new("hub")).expect("group");
        let sense = empty_sense(&mut ws, g);
        for (pos, del, ins) in &patches {
            ws.splice_text(sense.into(), Field::Definition, *pos, *del, ins)
                .expect("edit");
        }
        ws.commit();
        let text = ws.text(&sense.into(), &Field::Definition);
        (ws, text)
    });
    let (mut ws, c_final) = ws_text;
    let c_saved = ws.save();
    let (_, c_load, _) = measure_median(|| {
        Workspace::load(Identity::from_secret_bytes([2; 32]), &c_saved).expect("load")
    });
    if full {
        assert_eq!(c_final, trace.end, "cercle replays the trace exactly");
    }

    let (mut am, a_time, _) = measure_median(|| {
        let mut doc = AutoCommit::new();
        let text = doc.put_object(ROOT, "text", ObjType::Text).expect("text");
        for (pos, del, ins) in &patches {
            doc.splice_text(&text, *pos, *del as isize, ins)
                .expect("edit");
        }
        doc.commit();
        doc
    });
    let a_saved = am.save();
    let (_, a_load, _) = measure_median(|| AutoCommit::load(&a_saved).expect("load"));
    let a_final = am
        .get(ROOT, "text")
        .ok()
        .flatten()
        .and_then(|(_, id)| am.text(&id).ok())
        .unwrap_or_default();
    assert_eq!(a_final, c_final, "automerge and cercle agree");

    let (ydoc, y_time, _) = measure_median(|| {
        let doc = yrs::Doc::new();
        let text = doc.get_or_insert_text("text");
        for (pos, del, ins) in &patches {
            let mut txn = doc.transact_mut();
            if *del > 0 {
                text.remove_range(&mut txn, *pos as u32, *del as u32);
            }
            if !ins.is_empty() {
                text.insert(&mut txn, *pos as u32, ins);
            }
        }
        doc
    });
    let y_saved = ydoc
        .transact()
        .encode_state_as_update_v1(&yrs::StateVector::default());
    let (_, y_load, _) = measure_median(|| {
        let doc = yrs::Doc::new();
        let update = yrs::Update::decode_v1(&y_saved).expect("decode");
        doc.transact_mut().apply_update(update).expect("apply");
        let text = doc.get_or_insert_text("text");
        // The transaction must be dropped before the document it borrows.
        #[allow(clippy::let_and_return)]
        let len = text.get_string(&doc.transact()).len();
        len
    });

    let (lo, l_time, _) = measure_median(|| {
        let doc = LoroDoc::new();
        let text = doc.get_text("text");
        for (pos, del, ins) in &patches {
            if *del > 0 {
                text.delete(*pos, *del).expect("delete");
            }
            if !ins.is_empty() {
                text.insert(*pos, ins).expect("insert");
            }
        }
        doc.commit();
        doc
    });
    let l_saved = lo.export(loro::ExportMode::Snapshot).expect("export");
    let (_, l_load, _) = measure_median(|| LoroDoc::from_snapshot(&l_saved).expect("load"));

    let (dt, d_time, _) = measure_median(|| {
        let mut doc = diamond_types::list::ListCRDT::new();
        let agent = doc.get_or_create_agent_id("bench");
        for (pos, del, ins) in &patches {
            if *del > 0 {
                doc.delete(agent, *pos..*pos + *del);
            }
            if !ins.is_empty() {
                doc.insert(agent, *pos, ins);
            }
        }
        doc
    });
    let d_saved = dt
        .oplog
        .encode(diamond_types::list::encoding::EncodeOptions::default());
    let (_, d_load, _) =
        measure_median(|| diamond_types::list::ListCRDT::load_from(&d_saved).expect("load"));

    t.row(
        "replay",
        Kind::Secs,
        vec![
            Some(c_time),
            Some(a_time),
            Some(y_time),
            Some(l_time),
            Some(d_time),
        ],
    );
    t.row(
        "saved size",
        Kind::Bytes,
        [
            c_saved.len(),
            a_saved.len(),
            y_saved.len(),
            l_saved.len(),
            d_saved.len(),
        ]
        .map(|n| Some(n as f64))
        .to_vec(),
    );
    t.row(
        "load",
        Kind::Secs,
        vec![
            Some(c_load),
            Some(a_load),
            Some(y_load),
            Some(l_load),
            Some(d_load),
        ],
    );
    t.print();
}
