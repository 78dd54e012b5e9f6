//! A small team shares a workspace; a member removed while offline cannot keep writing.
//!
//! Run with `cargo run --example quickstart`.

use std::error::Error;
use std::sync::Arc;

use cercle::{sync_in_memory, GroupRole, Identity, NewGroup, Role, SteppingClock, Workspace};

fn main() -> Result<(), Box<dyn Error>> {
    let clock = Arc::new(SteppingClock::new("2010-02-23T09:00:00Z".parse()?, 60_000));
    let patrick = Identity::from_secret_bytes([1; 32]);
    let claire = Identity::from_secret_bytes([2; 32]);
    let marc = Identity::from_secret_bytes([3; 32]);

    // Patrick founds the workspace and the three-person core group.
    let mut ws = Workspace::create_with_clock(patrick, "Juste à temps", clock.clone());
    ws.set_display_name("Patrick")?;
    ws.add_member(claire.member_id(), Role::Admin)?;
    ws.add_member(marc.member_id(), Role::Member)?;
    let catalogue = ws.create_group(
        NewGroup::new("Catalogue")
            .purpose("choose what the shop sells")
            .tags(["catalogue", "suppliers"])
            .open(false),
    )?;
    ws.set_group_role(catalogue, claire.member_id(), GroupRole::Member)?;
    ws.set_group_role(catalogue, marc.member_id(), GroupRole::Member)?;
    ws.commit();
    println!(
        "{} founded by {}",
        ws.name(),
        ws.display_name(&ws.founder()).unwrap_or("?")
    );

    // Claire and Marc each take a copy.
    let saved = ws.save();
    let mut claires = Workspace::load_with_clock(claire, &saved, clock.clone())?;
    let mut marcs = Workspace::load_with_clock(marc, &saved, clock)?;

    // Offline, Marc starts an informal working group; meanwhile Claire removes him.
    marcs.create_group(NewGroup::new("Convivialité").tags(["bureau"]))?;
    let marcs_change = marcs.commit().ok_or("nothing to commit")?;
    claires.remove_member(marcs.member_id())?;
    claires.commit();

    // Everyone syncs. Marc's concurrent change is ignored on every copy, with the reason.
    sync_in_memory(&mut ws, &mut claires)?;
    sync_in_memory(&mut ws, &mut marcs)?;
    sync_in_memory(&mut claires, &mut marcs)?;
    assert_eq!(ws.save(), marcs.save());
    println!(
        "groups: {:?}",
        ws.groups()
            .iter()
            .map(|g| g.name.as_str())
            .collect::<Vec<_>>()
    );
    if let Some(reason) = ws.why_ignored(&marcs_change) {
        println!("Marc's offline change is ignored: {reason}");
    }
    for m in ws.members() {
        println!(
            "member {} ({})",
            m.display_name.as_deref().unwrap_or(&m.id.to_string()[..8]),
            m.role
        );
    }
    Ok(())
}
