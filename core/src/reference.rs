//! A deliberately naive resolver, used to check the real one.
//!
//! It follows the rule documented in the resolver module with none of its shortcuts:
//! ancestor sets are computed in full, the state before every change is replayed from the
//! genesis, and every change of a lowered member is examined. It is quadratic or worse and
//! exists only so tests can compare it with the optimized engine on random histories.

use std::collections::{BTreeMap, BTreeSet};

use crate::authority::{Authority, Lowering, Seniority};
use crate::ids::{ChangeHash, OpId};
use crate::op::with_ids;
use crate::resolve::IgnoredReason;
use crate::workspace::Workspace;

struct Graph<'a> {
    nodes: Vec<&'a crate::history::Node>,
    ancestors: Vec<BTreeSet<u32>>,
}

impl Graph<'_> {
    fn past(&self, a: u32, c: u32) -> bool {
        self.ancestors
            .get(c as usize)
            .is_some_and(|s| s.contains(&a))
    }

    fn state_at(
        &self,
        c: u32,
        ignored: &[Option<IgnoredReason>],
        order: &[u32],
    ) -> Option<Authority> {
        let founder = self.nodes.first()?.author();
        let mut state = Authority::genesis(
            founder,
            0,
            OpId {
                counter: 1,
                author: founder,
            },
        );
        for &a in order {
            let n = self.nodes.get(a as usize)?;
            if a != 0
                && n.authority
                && self.past(a, c)
                && matches!(ignored.get(a as usize), Some(None))
            {
                state.apply_all(n.author(), a, n.lamport(), n.each_op(), &|x| {
                    self.past(x, a)
                });
            }
        }
        Some(state)
    }
}

/// The verdict of the naive resolver for every stored change, in canonical order.
#[doc(hidden)]
pub fn naive_validity(ws: &Workspace) -> Vec<(ChangeHash, Option<IgnoredReason>)> {
    let h = &ws.history;
    let nodes: Vec<_> = (0..h.len() as u32).filter_map(|i| h.node(i)).collect();
    let mut ancestors: Vec<BTreeSet<u32>> = Vec::new();
    for n in &nodes {
        let mut set = BTreeSet::new();
        for &d in h.deps_of(n) {
            set.insert(d);
            set.extend(ancestors.get(d as usize).into_iter().flatten().copied());
        }
        ancestors.push(set);
    }
    let g = Graph { nodes, ancestors };
    let order = h.canonical_order();
    let mut revoked: BTreeMap<u32, IgnoredReason> = BTreeMap::new();
    loop {
        // Step 1: judge every change against the state of its causal past.
        let mut ignored: Vec<Option<IgnoredReason>> = vec![None; g.nodes.len()];
        let mut lowerings: Vec<(u32, Option<Seniority>, Vec<Lowering>)> = Vec::new();
        for &c in order.iter().skip(1) {
            if let Some(r) = revoked.get(&c) {
                if let Some(slot) = ignored.get_mut(c as usize) {
                    *slot = Some(r.clone());
                }
                continue;
            }
            let Some(n) = g.nodes.get(c as usize) else {
                continue;
            };
            let Some(mut state) = g.state_at(c, &ignored, &order) else {
                continue;
            };
            let past = |x: u32| g.past(x, c);
            let seniority = state.seniority(&n.author());
            match state.step_all(
                n.author(),
                c,
                with_ids(n.author(), n.lamport(), n.each_op()),
                &past,
            ) {
                Err(e) => {
                    if let Some(slot) = ignored.get_mut(c as usize) {
                        *slot = Some(IgnoredReason::Unauthorized {
                            reason: e.to_string(),
                        });
                    }
                }
                Ok(applied) if !applied.lowerings.is_empty() => {
                    lowerings.push((c, seniority, applied.lowerings))
                }
                Ok(_) => {}
            }
        }
        // Cycles of concurrent lowerings: the most senior keeps their place.
        let mut edges = Vec::new();
        for (r, seniority, lowered) in &lowerings {
            let Some(n) = g.nodes.get(*r as usize) else {
                continue;
            };
            let Some(state) = g.state_at(*r, &ignored, &order) else {
                continue;
            };
            for low in lowered.iter().filter(|l| l.member != n.author()) {
                edges.push(crate::resolve::Edge {
                    change: *r,
                    author: n.author(),
                    target: low.member,
                    author_seniority: *seniority,
                    target_seniority: state.seniority(&low.member),
                });
            }
        }
        let concurrent = |a: u32, b: u32| a != b && !g.past(a, b) && !g.past(b, a);
        let cuts = crate::resolve::cycle_cuts(&edges, &concurrent);
        if !cuts.is_empty() {
            for (c, senior) in cuts {
                revoked.insert(c, IgnoredReason::MutualRemoval { senior });
            }
            continue;
        }
        // Step 2: the first removal, most senior author first, that revokes something.
        lowerings.sort_by_key(|(r, s, _)| (*s, g.nodes.get(*r as usize).map(|n| n.key())));
        let mut found = None;
        'removals: for (r, _, lowered) in &lowerings {
            let mut victims = Vec::new();
            for low in lowered {
                for &c in &order {
                    let Some(n) = g.nodes.get(c as usize) else {
                        continue;
                    };
                    let concurrent = c != *r && !g.past(c, *r) && !g.past(*r, c);
                    if n.author() != low.member
                        || !concurrent
                        || !matches!(ignored.get(c as usize), Some(None))
                        || victims.contains(&c)
                    {
                        continue;
                    }
                    let Some(mut state) = g.state_at(c, &ignored, &order) else {
                        continue;
                    };
                    let past = |x: u32| g.past(x, c);
                    state.cap(low);
                    if state
                        .step_all(
                            n.author(),
                            c,
                            with_ids(n.author(), n.lamport(), n.each_op()),
                            &past,
                        )
                        .is_err()
                    {
                        victims.push(c);
                    }
                }
            }
            if !victims.is_empty() {
                found = Some((*r, victims));
                break 'removals;
            }
        }
        if let Some((r, victims)) = found {
            let by = g
                .nodes
                .get(r as usize)
                .map(|n| n.hash)
                .unwrap_or(ChangeHash::from_bytes([0; 32]));
            for v in victims {
                revoked.insert(v, IgnoredReason::Revoked { by });
            }
            continue;
        }
        // Step 3: keep an owner.
        let everything = g.nodes.len() as u32;
        let mut all = g.ancestors.clone();
        all.push((0..everything).collect());
        let final_graph = Graph {
            nodes: g.nodes.clone(),
            ancestors: all,
        };
        let final_state = final_graph.state_at(everything, &ignored, &order);
        if final_state.is_some_and(|s| s.owners() == 0) {
            let last = lowerings
                .iter()
                .filter(|(_, _, l)| l.iter().any(|l| l.was_owner))
                .map(|(c, _, _)| *c)
                .max_by_key(|&c| g.nodes.get(c as usize).map(|n| n.key()));
            if let Some(c) = last {
                revoked.insert(c, IgnoredReason::KeepsOwner);
                continue;
            }
        }
        return order
            .iter()
            .filter_map(|&c| {
                g.nodes
                    .get(c as usize)
                    .map(|n| (n.hash, ignored.get(c as usize).cloned().flatten()))
            })
            .collect();
    }
}

/// Decodes and verifies every change of a saved workspace without applying any, as
/// loading does (on every core): the cost of verification alone, for benchmarks.
#[doc(hidden)]
pub fn verify_saved(bytes: &[u8]) -> Result<usize, crate::LoadError> {
    let decoded = crate::codec::decode_changes(bytes)?;
    let count = decoded.len();
    decoded
        .verify()
        .map_err(|(hash, reason)| crate::LoadError::Rejected { hash, reason })?;
    Ok(count)
}

/// Reads a compact change list — the body of a saved workspace without its header,
/// checksum and compression — and verifies it, returning how many changes it held: for
/// fuzzing the decoder the checksum otherwise shields from random bytes.
#[doc(hidden)]
pub fn decode_compact(bytes: &[u8]) -> Result<usize, crate::LoadError> {
    let changes =
        crate::codec::decode_compact("compact change list", crate::codec::FORMAT_VERSION, bytes)?;
    let count = changes.len();
    crate::change::Change::check_all(changes)
        .map_err(|(hash, reason)| crate::LoadError::Rejected { hash, reason })?;
    Ok(count)
}

/// The compact change list inside a saved workspace (decompressed, checksum checked): the
/// seeds of the compact decoder's fuzzing.
#[doc(hidden)]
pub fn compact_body(saved: &[u8]) -> Option<Vec<u8>> {
    crate::codec::compact_body(saved)
}
