//! The permission resolver: decides which changes are valid.
//!
//! The rule, applied to the whole history (and therefore the same on every copy that holds
//! the same changes):
//!
//! 1. Changes are visited in canonical order (Lamport counter, then hash), a topological
//!    order. A change is valid when its author was allowed to make every one of its
//!    operations in the state given by the valid authority changes of its causal past.
//!    Timestamps are never read.
//! 2. Strong remove: a valid change that removes or demotes a member revokes that member's
//!    changes made concurrently with it (neither saw the other) that the lowered role would
//!    not allow.
//!    Revocations are found one removal at a time, most senior author first, and each
//!    round re-runs step 1, so invalidation is transitive.
//! 3. Before that, cycles are cut: a change lowering a member more senior than its author,
//!    when a path of concurrent lowerings leads from that member back to the author (a
//!    mutual removal, or a cycle of three or more), is ignored; the most senior keeps their
//!    place.
//! 4. If the outcome leaves no owner, the last change (in canonical order) that took an
//!    owner's role away is ignored, and the resolution runs again.

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt};

use serde::{Deserialize, Serialize};

use crate::authority::{Authority, Lowering, Seniority};
use crate::history::History;
use crate::ids::{ChangeHash, MemberId, OpId};
use crate::op::Op;

/// Why a change that was stored is ignored: it stays in the history but has no effect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum IgnoredReason {
    /// The author lacked the right in the change's causal past.
    Unauthorized {
        /// The refusal, in words.
        reason: String,
    },
    /// The author's rights were removed or lowered by a concurrent change.
    Revoked {
        /// The removal or demotion that revoked it.
        by: ChangeHash,
    },
    /// Ignored so that the workspace keeps at least one owner.
    KeepsOwner,
    /// It lowers a more senior member who, through concurrent removals or demotions,
    /// lowered its author: in such a cycle the most senior member keeps their place.
    MutualRemoval {
        /// The more senior member it targeted.
        senior: MemberId,
    },
}

/// The standing of every stored change, by index: valid, unless listed as ignored with
/// why. Almost every change is valid, so only the ignored ones are kept (a verdict per
/// change took a word each).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Verdicts {
    len: u32,
    ignored: BTreeMap<u32, IgnoredReason>,
}

impl Verdicts {
    /// `len` changes, all valid.
    pub(crate) fn all_valid(len: usize) -> Self {
        Verdicts {
            len: len as u32,
            ignored: BTreeMap::new(),
        }
    }

    /// How many changes have a verdict.
    pub(crate) fn len(&self) -> usize {
        self.len as usize
    }

    /// One more change, valid.
    pub(crate) fn push_valid(&mut self) {
        self.len += 1;
    }

    /// Whether change `c` has a verdict, and it is valid.
    pub(crate) fn is_valid(&self, c: u32) -> bool {
        c < self.len && !self.ignored.contains_key(&c)
    }

    /// Why change `c` is ignored, if it is.
    pub(crate) fn reason(&self, c: u32) -> Option<&IgnoredReason> {
        self.ignored.get(&c)
    }

    /// Ignores change `c` (one that has a verdict) for `reason`.
    pub(crate) fn ignore(&mut self, c: u32, reason: IgnoredReason) {
        if c < self.len {
            self.ignored.insert(c, reason);
        }
    }

    /// The ignored changes with why, by index, from index `from` on.
    pub(crate) fn ignored_from(&self, from: u32) -> impl Iterator<Item = (u32, &IgnoredReason)> {
        self.ignored.range(from..).map(|(&c, reason)| (c, reason))
    }

    /// Whether both give the same verdicts to the changes before `n` (and have them).
    pub(crate) fn same_before(&self, other: &Self, n: u32) -> bool {
        n <= self.len && n <= other.len && self.ignored.range(..n).eq(other.ignored.range(..n))
    }
}

impl std::fmt::Display for IgnoredReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IgnoredReason::Unauthorized { reason } => write!(f, "unauthorized: {reason}"),
            IgnoredReason::Revoked { by } => write!(
                f,
                "revoked: the author was removed or demoted concurrently by change `{by}`"
            ),
            IgnoredReason::KeepsOwner => {
                write!(f, "ignored so that the workspace keeps an owner")
            }
            IgnoredReason::MutualRemoval { senior } => write!(
                f,
                "part of a cycle of concurrent removals: the more senior `{senior}` keeps their place"
            ),
        }
    }
}

/// The outcome of a resolution: a verdict per change (by index) and the authority state.
#[derive(Clone, Debug)]
pub(crate) struct Resolution {
    pub(crate) ignored: Verdicts,
    pub(crate) authority: Authority,
}

struct Pass {
    ignored: Verdicts,
    authority: Authority,
    /// Valid changes that lowered someone, with the author's seniority at that point.
    lowerings: Vec<(u32, Option<Seniority>, Vec<Lowering>)>,
}

/// The genesis op id of a history.
fn genesis(h: &History) -> Option<(u32, MemberId)> {
    let node = h.node(0)?;
    Some((0, node.author()))
}

/// The authority state of the valid authority changes strictly in the past of `c`.
pub(crate) fn state_at(h: &History, c: u32, ignored: &Verdicts) -> Option<Authority> {
    let (g, founder) = genesis(h)?;
    let mut ancestors: Vec<u32> = h
        .auth_ancestors(c)
        .into_iter()
        .filter(|&a| a != g && ignored.is_valid(a))
        .collect();
    ancestors.sort_by_key(|&a| h.node(a).map(|n| n.key()));
    let mut state = Authority::genesis(
        founder,
        g,
        OpId {
            counter: 1,
            author: founder,
        },
    );
    for a in ancestors {
        if let Some(n) = h.node(a) {
            state.apply_all(n.author(), a, n.lamport(), n.each_op(), &|x| {
                h.auth_in_past(x, a)
            });
        }
    }
    Some(state)
}

/// The authority states after each authority change that later changes still need.
///
/// A change whose authority frontier is a single change `f` is judged against the state
/// after `f`; that state is handed on (or copied, at a branch point) to the next authority
/// change of the branch, so a history with a few concurrent branches costs one state per
/// branch, not a replay per change. A change after several concurrent authority changes
/// (a merge) replays its past.
struct States {
    after: HashMap<u32, Authority>,
    /// How many changes still to be judged have each authority change as sole frontier.
    readers: HashMap<u32, usize>,
}

impl States {
    fn new(h: &History, order: &[u32], genesis: Authority, g: u32) -> Self {
        let mut readers: HashMap<u32, usize> = HashMap::new();
        for &c in order {
            if let [f] = h.auth_past(c) {
                *readers.entry(*f).or_default() += 1;
            }
        }
        let mut after = HashMap::new();
        after.insert(g, genesis);
        States { after, readers }
    }

    /// The state before `c`, to read.
    fn before(
        &self,
        h: &History,
        c: u32,
        ignored: &Verdicts,
    ) -> Option<std::borrow::Cow<'_, Authority>> {
        match h.auth_past(c) {
            [f] => match self.after.get(f) {
                Some(s) => Some(std::borrow::Cow::Borrowed(s)),
                None => state_at(h, c, ignored).map(std::borrow::Cow::Owned),
            },
            _ => state_at(h, c, ignored).map(std::borrow::Cow::Owned),
        }
    }

    /// The state before `c`, to own (for an authority change, which moves it on).
    fn take(&mut self, h: &History, c: u32, ignored: &Verdicts) -> Option<Authority> {
        let [f] = h.auth_past(c) else {
            return state_at(h, c, ignored);
        };
        let last = self.readers.get(f).is_some_and(|&n| n <= 1);
        let state = if last {
            self.after.remove(f)
        } else {
            self.after.get(f).cloned()
        };
        match state {
            Some(s) => Some(s),
            None => state_at(h, c, ignored),
        }
    }

    /// Keeps the state after authority change `c`, if a later change reads it.
    fn keep(&mut self, c: u32, state: Authority) {
        if self.readers.get(&c).is_some_and(|&n| n > 0) {
            self.after.insert(c, state);
        }
    }

    /// Marks `c` as judged.
    fn done(&mut self, h: &History, c: u32) {
        if let [f] = h.auth_past(c) {
            if let Some(n) = self.readers.get_mut(f) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.after.remove(f);
                }
            }
        }
    }
}

fn pass(h: &History, order: &[u32], revoked: &BTreeMap<u32, IgnoredReason>) -> Option<Pass> {
    let (g, founder) = genesis(h)?;
    let genesis_state = Authority::genesis(
        founder,
        g,
        OpId {
            counter: 1,
            author: founder,
        },
    );
    let mut ignored = Verdicts::all_valid(h.len());
    let mut running = genesis_state.clone();
    let mut states = States::new(h, order, genesis_state, g);
    let mut lowerings = Vec::new();
    let mut kept: Vec<(OpId, Op)> = Vec::new();
    for &c in order {
        if c == g {
            continue;
        }
        let Some(node) = h.node(c) else { continue };
        let past = |x: u32| h.auth_in_past(x, c);
        let author = node.author();
        let revoked_reason = revoked.get(&c);
        if !node.authority {
            if let Some(reason) = revoked_reason {
                ignored.ignore(c, reason.clone());
            } else {
                let state = states.before(h, c, &ignored)?;
                if let Err(e) = state.check_all(author, c, node.checked(), &past) {
                    let reason = e.to_string();
                    ignored.ignore(c, IgnoredReason::Unauthorized { reason });
                }
            }
            states.done(h, c);
            continue;
        }
        let mut state = states.take(h, c, &ignored)?;
        states.done(h, c);
        if let Some(reason) = revoked_reason {
            ignored.ignore(c, reason.clone());
            states.keep(c, state);
            continue;
        }
        let seniority = state.seniority(&author);
        // The running state takes the change's authority operations, kept as they are
        // read (decoding a large change twice would take longer).
        kept.clear();
        let ops = node.checked().inspect(|(id, op)| {
            if op.is_authority() {
                kept.push((*id, op.authority_part()));
            }
        });
        match state.step_all(author, c, ops, &past) {
            Err(e) => {
                let reason = e.to_string();
                ignored.ignore(c, IgnoredReason::Unauthorized { reason });
            }
            Ok(applied) => {
                running.apply_with_ids(author, c, kept.drain(..), &past);
                if !applied.lowerings.is_empty() {
                    lowerings.push((c, seniority, applied.lowerings));
                }
            }
        }
        states.keep(c, state);
    }
    Some(Pass {
        ignored,
        authority: running,
        lowerings,
    })
}

/// The changes of `member` concurrent with `r` (neither in the other's past).
fn concurrent_changes_of(h: &History, member: &MemberId, r: u32) -> Vec<u32> {
    let forked = h.is_forked(member);
    let mut mine: Vec<u32> = h.changes_by(member).collect();
    mine.sort_by_key(|&c| std::cmp::Reverse(h.node(c).map(|n| (n.seq(), n.key()))));
    let mut out = Vec::new();
    for c in mine {
        if c == r || h.auth_in_past(r, c) {
            continue;
        }
        if h.is_ancestor(c, r) {
            if forked {
                continue;
            }
            // Without forks the author's changes form one chain: all earlier ones are in
            // the past of `r` too.
            break;
        }
        out.push(c);
    }
    out
}

/// The first removal (most senior author first) that revokes concurrent changes, with them.
fn find_revocations(h: &History, p: &Pass) -> Option<(u32, Vec<u32>)> {
    let mut candidates: Vec<&(u32, Option<Seniority>, Vec<Lowering>)> =
        p.lowerings.iter().collect();
    candidates.sort_by_key(|(r, s, _)| (*s, h.node(*r).map(|n| n.key())));
    for (r, _, lowered) in candidates {
        let mut victims = Vec::new();
        for low in lowered {
            for c in concurrent_changes_of(h, &low.member, *r) {
                if !p.ignored.is_valid(c) || victims.contains(&c) {
                    continue;
                }
                let Some(node) = h.node(c) else { continue };
                let Some(mut state) = state_at(h, c, &p.ignored) else {
                    continue;
                };
                let past = |x: u32| h.auth_in_past(x, c);
                state.cap(low);
                if state
                    .step_all(node.author(), c, node.checked(), &past)
                    .is_err()
                {
                    victims.push(c);
                }
            }
        }
        if !victims.is_empty() {
            return Some((*r, victims));
        }
    }
    None
}

/// A lowering by `author` of `target`, made by change `change`.
pub(crate) struct Edge {
    pub(crate) change: u32,
    pub(crate) author: MemberId,
    pub(crate) target: MemberId,
    pub(crate) author_seniority: Option<Seniority>,
    pub(crate) target_seniority: Option<Seniority>,
}

/// The lowerings that cut a cycle of concurrent lowerings: those that lower a more senior
/// member from whom a path of lowerings concurrent with them leads back to their author.
pub(crate) fn cycle_cuts(
    edges: &[Edge],
    concurrent: &dyn Fn(u32, u32) -> bool,
) -> Vec<(u32, MemberId)> {
    let mut cuts = Vec::new();
    for e in edges {
        let senior_target = match (e.target_seniority, e.author_seniority) {
            (Some(t), Some(a)) => t < a,
            _ => false,
        };
        if !senior_target {
            continue;
        }
        // Is there a path target ~> author through lowerings concurrent with `e`?
        let mut reached = vec![e.target];
        let mut frontier = vec![e.target];
        let mut found = false;
        while let Some(m) = frontier.pop() {
            for f in edges {
                if f.change == e.change || f.author != m || !concurrent(f.change, e.change) {
                    continue;
                }
                if f.target == e.author {
                    found = true;
                    break;
                }
                if !reached.contains(&f.target) {
                    reached.push(f.target);
                    frontier.push(f.target);
                }
            }
            if found {
                break;
            }
        }
        if found {
            cuts.push((e.change, e.target));
        }
    }
    cuts
}

fn edges_of(h: &History, p: &Pass) -> Vec<Edge> {
    let mut edges = Vec::new();
    for (r, seniority, lowered) in &p.lowerings {
        let Some(node) = h.node(*r) else { continue };
        for low in lowered.iter().filter(|l| l.member != node.author()) {
            edges.push(Edge {
                change: *r,
                author: node.author(),
                target: low.member,
                author_seniority: *seniority,
                target_seniority: low.seniority,
            });
        }
    }
    edges
}

/// Resolves the validity of every change in the history.
pub(crate) fn resolve(h: &History) -> Option<Resolution> {
    let order = h.canonical_order();
    let mut revoked: BTreeMap<u32, IgnoredReason> = BTreeMap::new();
    loop {
        let p = pass(h, &order, &revoked)?;
        let edges = edges_of(h, &p);
        let concurrent = |a: u32, b: u32| !h.is_ancestor(a, b) && !h.is_ancestor(b, a);
        let cuts = cycle_cuts(&edges, &concurrent);
        if !cuts.is_empty() {
            for (c, senior) in cuts {
                revoked.insert(c, IgnoredReason::MutualRemoval { senior });
            }
            continue;
        }
        if let Some((r, victims)) = find_revocations(h, &p) {
            let by = h.node(r)?.hash;
            for v in victims {
                revoked.insert(v, IgnoredReason::Revoked { by });
            }
            continue;
        }
        if p.authority.owners() == 0 {
            let last = p
                .lowerings
                .iter()
                .filter(|(_, _, l)| l.iter().any(|l| l.was_owner))
                .map(|(c, _, _)| *c)
                .max_by_key(|&c| h.node(c).map(|n| n.key()));
            if let Some(c) = last {
                revoked.insert(c, IgnoredReason::KeepsOwner);
                continue;
            }
        }
        return Some(Resolution {
            ignored: p.ignored,
            authority: p.authority,
        });
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Law: the verdicts read exactly as a vector of one verdict per change (`None`
        /// when valid) under any sequence of new changes and ignored ones: validity, the
        /// reasons, the ignored changes from any index on, and the comparison of two of
        /// them over the changes before any index.
        #[test]
        fn verdicts_read_as_a_verdict_per_change(
            steps in proptest::collection::vec((any::<bool>(), 0u32..12, 0u8..3), 0..40),
            other in proptest::collection::vec(0u32..12, 0..4),
            other_len in 0usize..14,
        ) {
            let reason = |r: u8| IgnoredReason::Unauthorized { reason: r.to_string() };
            let (mut verdicts, mut plain) = (Verdicts::default(), Vec::<Option<IgnoredReason>>::new());
            for (push, c, r) in steps {
                if push {
                    verdicts.push_valid();
                    plain.push(None);
                } else {
                    verdicts.ignore(c, reason(r));
                    if let Some(slot) = plain.get_mut(c as usize) {
                        *slot = Some(reason(r));
                    }
                }
            }
            let mut second = Verdicts::all_valid(other_len);
            let mut second_plain = vec![None; other_len];
            for c in other {
                second.ignore(c, reason(0));
                if let Some(slot) = second_plain.get_mut(c as usize) {
                    *slot = Some(reason(0));
                }
            }
            prop_assert_eq!(verdicts.len(), plain.len());
            for c in 0..14u32 {
                let want = plain.get(c as usize);
                prop_assert_eq!(verdicts.is_valid(c), matches!(want, Some(None)));
                prop_assert_eq!(verdicts.reason(c), want.and_then(Option::as_ref));
                let from: Vec<(u32, &IgnoredReason)> = verdicts.ignored_from(c).collect();
                let want_from: Vec<(u32, &IgnoredReason)> = (c..plain.len() as u32)
                    .filter_map(|i| plain.get(i as usize)?.as_ref().map(|r| (i, r)))
                    .collect();
                prop_assert_eq!(from, want_from);
                prop_assert_eq!(
                    verdicts.same_before(&second, c),
                    plain.get(..c as usize).is_some_and(|p| Some(p) == second_plain.get(..c as usize))
                );
            }
        }
    }
}
