//! Workload 4 (permissions at scale, against the naive reference) and workload 5 (the share
//! of signature verification in load time).

use cercle::{Identity, Role, Workspace};

use crate::crm::{cercle_build, work, Rng};
use crate::table::Kind;
use crate::{measure, Scale, Table};

const BRANCHES: usize = 4;

fn member(i: usize) -> Identity {
    let mut b = [7u8; 32];
    b[..8].copy_from_slice(&(i as u64).to_le_bytes());
    Identity::from_secret_bytes(b)
}

/// A workspace of `members` members where BRANCHES admins, offline, each make their share
/// of `changes` role changes and removals; returns the base save and the branches' saves.
fn history(members: usize, changes: usize) -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut founder = Workspace::create(Identity::from_secret_bytes([1; 32]), "bench");
    for i in 0..members {
        let role = if i < BRANCHES {
            Role::Admin
        } else {
            Role::Member
        };
        founder
            .add_member(member(i).member_id(), role)
            .expect("member");
    }
    founder.commit();
    let base = founder.save();
    let mut branches = Vec::new();
    for a in 0..BRANCHES {
        let mut ws = Workspace::load(member(a), &base).expect("branch");
        let mut rng = Rng::new(a as u64 + 1);
        let mut done = 0;
        while done < changes / BRANCHES {
            let target = member(BRANCHES + rng.below(members - BRANCHES)).member_id();
            let ok = if rng.below(50) == 0 {
                ws.remove_member(target).is_ok()
            } else {
                let role = if rng.below(3) == 0 {
                    Role::Guest
                } else {
                    Role::Member
                };
                ws.set_role(target, role).is_ok()
            };
            done += usize::from(ok);
            if done % 5 == 0 {
                ws.commit();
            }
        }
        ws.commit();
        branches.push(ws.save_since(&founder.heads()));
    }
    (base, branches)
}

/// Workload 4.
pub fn run(scale: Scale) {
    let members = scale.of(1_000).max(2 * BRANCHES);
    let changes = scale.of(10_000);
    let (base, branches) = history(members, changes);
    let mut merged = Workspace::load(Identity::from_secret_bytes([9; 32]), &base).expect("base");
    for b in &branches {
        merged.apply(b).expect("branch");
    }
    let saved = merged.save();
    let (_, load, _) =
        measure(|| Workspace::load(Identity::from_secret_bytes([9; 32]), &saved).expect("load"));
    let (_, verify, _) = measure(|| cercle::reference::verify_saved(&saved).expect("verify"));
    // A late removal: made without seeing any branch, it revokes one admin's whole branch.
    let mut late = Workspace::load(Identity::from_secret_bytes([1; 32]), &base).expect("late");
    late.remove_member(member(0).member_id()).expect("removal");
    let removal = late.save_since(
        &Workspace::load(Identity::from_secret_bytes([1; 32]), &base)
            .expect("b")
            .heads(),
    );
    let (report, late_time, _) = measure(|| merged.apply(&removal).expect("late removal"));

    // The naive reference, on a tenth of the history (it is quadratic or worse).
    let (small_base, small_branches) = history(members.min(200), (changes / 10).max(40));
    let mut small =
        Workspace::load(Identity::from_secret_bytes([9; 32]), &small_base).expect("small");
    for b in &small_branches {
        small.apply(b).expect("branch");
    }
    let small_saved = small.save();
    let (_, engine_small, _) = measure(|| {
        Workspace::load(Identity::from_secret_bytes([9; 32]), &small_saved).expect("load")
    });
    let (_, naive_small, _) = measure(|| cercle::reference::naive_validity(&small));

    let mut t = Table::new(
        &format!(
            "4. Permissions at scale — {members} members, {changes} role changes and removals on {BRANCHES} concurrent branches"
        ),
        &["cercle", "naive"],
    );
    t.row(
        "resolve from scratch (load)",
        Kind::Secs,
        vec![Some(load), None],
    );
    t.row(
        "of which verification",
        Kind::Secs,
        vec![Some(verify), None],
    );
    t.row(
        "resolution alone",
        Kind::Secs,
        vec![Some((load - verify).max(0.0)), None],
    );
    t.row(
        "apply one late removal",
        Kind::Secs,
        vec![Some(late_time), None],
    );
    t.row(
        "changes it invalidated",
        Kind::Count,
        vec![Some(report.ignored.len() as f64), None],
    );
    t.row(
        &format!("resolve {} changes", small.change_count()),
        Kind::Secs,
        vec![Some(engine_small), Some(naive_small)],
    );
    t.print();
}

/// Workload 5.
pub fn run_verify(scale: Scale) {
    let w = work(scale);
    let mut t = Table::new(
        "5. Signed history — verification in load time (CRM, commit per operation)",
        &["cercle"],
    );
    let (mut ws, _) = cercle_build(&w, true);
    let saved = ws.save();
    let (_, load, _) =
        measure(|| Workspace::load(Identity::from_secret_bytes([3; 32]), &saved).expect("load"));
    let (n, verify, _) = measure(|| cercle::reference::verify_saved(&saved).expect("verify"));
    t.row("changes", Kind::Count, vec![Some(n as f64)]);
    t.row("load", Kind::Secs, vec![Some(load)]);
    t.row("decode and verify only", Kind::Secs, vec![Some(verify)]);
    t.row(
        "verification share (%)",
        Kind::Count,
        vec![Some(100.0 * verify / load.max(1e-9))],
    );
    t.print();
}
