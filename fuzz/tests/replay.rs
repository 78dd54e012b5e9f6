//! Replays every saved crash input (and a few seeds) through all fuzz entry points.

#[test]
fn replay_saved_inputs() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/crashers");
    let mut inputs: Vec<Vec<u8>> = vec![Vec::new(), b"CRCL\x01".to_vec(), b"CRCS\x01\x00".to_vec()];
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if let Ok(bytes) = std::fs::read(entry.path()) {
            inputs.push(bytes);
        }
    }
    let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/golden/catalogue.cercle");
    if let Ok(bytes) = std::fs::read(golden) {
        inputs.extend(cercle::reference::compact_body(&bytes));
        inputs.push(bytes);
    }
    for input in &inputs {
        cercle_fuzz::load(input);
        cercle_fuzz::apply(input);
        cercle_fuzz::sync(input);
        cercle_fuzz::ops(input);
        cercle_fuzz::compact(input);
    }
    assert!(inputs.len() >= 3);
}
