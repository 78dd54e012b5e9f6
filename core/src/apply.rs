//! Saving, loading, applying and merging changes, and keeping the state in step.

use std::collections::BTreeMap;

use foldhash::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::change::{outgoing, Change, Seal};
use crate::codec;
use crate::compact;
use crate::error::ApplyError;
use crate::history::Stored;
use crate::ids::ChangeHash;
use crate::model::{Building, Model};
use crate::resolve::{self, IgnoredReason, Resolution, Verdicts};
use crate::workspace::Workspace;

/// What [`Workspace::apply`] (or a merge or sync) did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyReport {
    /// Changes newly stored, in the order they were stored (valid or ignored).
    pub applied: Vec<ChangeHash>,
    /// How many received changes were already stored (duplicates are no-ops).
    pub duplicates: usize,
    /// Changes waiting for dependencies this copy has not seen yet.
    pub pending: Vec<PendingChange>,
    /// Changes newly ignored, with the reason: new changes refused by the permission rules,
    /// and earlier changes invalidated by a change received now (a late removal).
    pub ignored: Vec<IgnoredChange>,
}

/// A change that waits for missing dependencies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingChange {
    /// The waiting change.
    pub hash: ChangeHash,
    /// The dependencies it waits for; for a change without a signature whose
    /// dependencies are all present, the later change that vouches for it (itself waiting).
    pub missing: Vec<ChangeHash>,
}

/// A change that is stored but has no effect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IgnoredChange {
    /// The ignored change.
    pub hash: ChangeHash,
    /// Why it is ignored.
    pub reason: IgnoredReason,
}

/// The content of a list of changes, built on another thread while the list was decoded,
/// verified and stored: every change applied in list order, as if all were valid (`None`
/// if the list did not read).
type Aside<'a> = Box<dyn FnOnce() -> Option<Model> + 'a>;

/// The smallest compact list whose content is built aside (below, a thread costs more
/// than it saves).
const ASIDE_MIN_BYTES: usize = 1 << 16;

/// The fewest bytes per change, on average, of a list whose content is built aside.
const ASIDE_BYTES_PER_CHANGE: usize = 1 << 10;

/// The changes received but not stored: new ones and those that waited before.
struct Unstored<'a> {
    incoming: &'a [Option<Change>],
    position: &'a HashMap<ChangeHash, usize>,
    pending: &'a BTreeMap<ChangeHash, Change>,
}

impl Unstored<'_> {
    fn get(&self, hash: &ChangeHash) -> Option<&Change> {
        match self.position.get(hash) {
            Some(&at) => self.incoming.get(at).and_then(Option::as_ref),
            None => self.pending.get(hash),
        }
    }
}

impl Workspace {
    /// Saves every change (after committing the open one), in canonical order.
    /// Two copies holding the same changes save the same bytes.
    pub fn save(&mut self) -> Vec<u8> {
        self.save_since(&[])
    }

    /// Saves the changes not in the causal past of `heads`: an incremental save, which
    /// [`apply`](Workspace::apply) reads.
    pub fn save_since(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        self.commit();
        let known: Vec<u32> = heads
            .iter()
            .filter_map(|h| self.history.lookup(h))
            .collect();
        let order = self.history.missing_from(&known);
        self.encode_stored(&order)
    }

    /// Encodes the listed stored changes (unknown hashes are skipped) in canonical order,
    /// in the format [`apply`](Workspace::apply) reads: for forwarding single changes. A
    /// change that travels without its own signature comes with the later change of its
    /// author that vouches for it.
    pub fn encode_changes(&self, hashes: &[ChangeHash]) -> Vec<u8> {
        let mut idx: Vec<u32> = hashes
            .iter()
            .filter_map(|h| self.history.lookup(h))
            .collect();
        let mut listed: HashSet<u32> = idx.iter().copied().collect();
        let mut at = 0;
        while let Some(&i) = idx.get(at) {
            at += 1;
            let voucher = match self.history.node(i).map(|n| n.seal()) {
                Some(Seal::Vouched(v)) => self.history.lookup(v),
                _ => None,
            };
            if let Some(v) = voucher.filter(|&v| listed.insert(v)) {
                idx.push(v);
            }
        }
        idx.sort_by_key(|&i| self.history.node(i).map(|n| n.key()));
        self.encode_stored(&idx)
    }

    /// Encodes stored changes, in the order given (a causal one), as they leave this copy.
    fn encode_stored(&self, order: &[u32]) -> Vec<u8> {
        let changes: Vec<Stored<'_>> = order
            .iter()
            .filter_map(|&i| self.history.stored(i))
            .collect();
        codec::encode_changes(&changes, &self.identity)
    }

    /// Applies changes saved or sent by another copy. Every change is verified (encoding,
    /// hash, signature, author known in its causal past); changes whose dependencies are
    /// missing wait and are applied when they arrive; duplicates are no-ops. If anything is
    /// malformed or forged, nothing is applied and the error names the reason.
    ///
    /// The open change is committed first.
    pub fn apply(&mut self, bytes: &[u8]) -> Result<ApplyReport, ApplyError> {
        let unpacked = codec::unpack_changes(bytes)?;
        let Some((list, legacy)) = unpacked
            .compact()
            .filter(|(list, _)| self.builds_aside(list))
        else {
            return self.apply_unpacked(&unpacked, None);
        };
        std::thread::scope(|s| {
            let mut content = Building::new(self.model.clone());
            let building = std::thread::Builder::new()
                .spawn_scoped(s, move || {
                    compact::replay(list, legacy, |at, edit| {
                        content.apply(at.author, at, edit);
                    })
                    .ok()
                    .map(|()| content.finish())
                })
                .ok();
            let built = building.map(|b| Box::new(move || b.join().ok().flatten()) as Aside<'_>);
            self.apply_unpacked(&unpacked, built)
        })
    }

    /// Decodes, verifies and applies changes, with their content built `aside` if it was.
    fn apply_unpacked(
        &mut self,
        unpacked: &codec::Unpacked<'_>,
        aside: Option<Aside<'_>>,
    ) -> Result<ApplyReport, ApplyError> {
        let changes = unpacked
            .decode()?
            .verify()
            .map_err(|(hash, reason)| ApplyError::Rejected { hash, reason })?;
        self.commit();
        self.apply_listed(changes, aside)
    }

    /// Whether to build the content of a compact list on a second thread while the list is
    /// decoded and verified: into an empty workspace, with a second core, for a list of
    /// a few large changes (a long text). Verifying many small changes keeps every core
    /// busy; verifying a few large ones leaves the second core free.
    fn builds_aside(&self, list: &[u8]) -> bool {
        self.history.len() == 0
            && self.open.is_none()
            && list.len() >= ASIDE_MIN_BYTES
            && compact::list_len(list)
                .is_some_and(|n| n.saturating_mul(ASIDE_BYTES_PER_CHANGE) <= list.len())
            && crate::change::parallelism() >= 2
    }

    /// Merges another in-memory copy into this one (its committed changes).
    pub fn merge(&mut self, other: &Workspace) -> Result<ApplyReport, ApplyError> {
        self.commit();
        let theirs: Vec<Stored<'_>> = other
            .history
            .canonical_order()
            .into_iter()
            .filter_map(|i| other.history.stored(i))
            .filter(|s| !self.history.contains(&s.node.hash))
            .collect();
        // As if sent: the other copy's own changes are signed by it.
        let seals = outgoing(&theirs, &other.identity);
        let changes: Vec<Change> = theirs
            .into_iter()
            .zip(seals)
            .map(|(change, seal)| Change {
                seal,
                ..change.to_change()
            })
            .collect();
        self.apply_changes(changes)
    }

    pub(crate) fn missing_deps(&self, change: &Change) -> Vec<ChangeHash> {
        change
            .body
            .deps
            .iter()
            .filter(|d| !self.history.contains(d))
            .copied()
            .collect()
    }

    /// Stores verified changes atomically, then brings validity and state up to date.
    pub(crate) fn apply_changes(
        &mut self,
        changes: Vec<Change>,
    ) -> Result<ApplyReport, ApplyError> {
        self.apply_listed(changes, None)
    }

    /// [`apply_changes`](Self::apply_changes), with the content of the whole list built
    /// aside, in list order, if it was: it is used when every change is stored in that
    /// order and valid.
    fn apply_listed(
        &mut self,
        changes: Vec<Change>,
        aside: Option<Aside<'_>>,
    ) -> Result<ApplyReport, ApplyError> {
        let mut report = ApplyReport::default();
        let mark = self.history.mark();
        let pending_before = self.pending.clone();
        // The new changes, by position; they join `self.pending` only if they wait.
        let mut incoming: Vec<Option<Change>> = Vec::with_capacity(changes.len());
        let mut position: HashMap<ChangeHash, usize> =
            HashMap::with_capacity_and_hasher(changes.len(), Default::default());
        for change in changes {
            let hash = change.hash;
            let known = self.history.contains(&hash)
                || self.pending.contains_key(&hash)
                || position.contains_key(&hash);
            if known {
                report.duplicates += 1;
                // A waiting change without its signature takes the one that arrives.
                if let (Some(waiting), Seal::Signed(_)) =
                    (self.pending.get_mut(&hash), &change.seal)
                {
                    if matches!(waiting.seal, Seal::Vouched(_)) {
                        waiting.seal = change.seal;
                    }
                }
            } else {
                position.insert(hash, incoming.len());
                incoming.push(Some(change));
            }
        }
        let waiting_before: Vec<ChangeHash> = self.pending.keys().copied().collect();
        let plan = {
            let unstored = Unstored {
                incoming: &incoming,
                position: &position,
                pending: &self.pending,
            };
            let queue = incoming
                .iter()
                .flatten()
                .map(|c| c.hash)
                .chain(waiting_before);
            let size = incoming.len() + self.pending.len();
            let (mut plan, planned) = self.plan(&unstored, queue, size);
            let held = self.held_back(&unstored, &plan, &planned);
            plan.retain(|h| !held.contains(h));
            plan
        };
        // Content built aside is exact only if the changes are stored as listed.
        let as_listed = report.duplicates == 0
            && plan.len() == incoming.len()
            && plan
                .iter()
                .zip(&incoming)
                .all(|(h, c)| c.as_ref().is_some_and(|c| c.hash == *h));
        let aside = aside.filter(|_| as_listed);
        let mut stored: Vec<u32> = Vec::with_capacity(plan.len());
        self.history.reserve(plan.len());
        for hash in plan {
            let change = match position.get(&hash) {
                Some(&at) => incoming.get_mut(at).and_then(Option::take),
                None => self.pending.remove(&hash),
            };
            let Some(change) = change else {
                continue;
            };
            let founder = self.history.node(0).map(|n| n.author());
            match self.history.check(&change, founder) {
                Ok(deps) => {
                    stored.push(self.history.insert(change, deps));
                    report.applied.push(hash);
                }
                Err(reason) => {
                    self.history.rollback(mark);
                    self.pending = pending_before;
                    return Err(ApplyError::Rejected { hash, reason });
                }
            }
        }
        for change in incoming.into_iter().flatten() {
            self.pending.insert(change.hash, change);
        }
        for c in self.pending.values() {
            let mut missing = self.missing_deps(c);
            if let (true, Seal::Vouched(voucher)) = (missing.is_empty(), &c.seal) {
                missing.push(**voucher);
            }
            report.pending.push(PendingChange {
                hash: c.hash,
                missing,
            });
        }
        self.settle(&stored, &mut report, aside);
        self.history.settle();
        Ok(report)
    }

    /// The order in which to store the changes of `queue` (new ones in the order received,
    /// then those that waited before): each change as soon as all its dependencies are
    /// stored or planned — in the order received when it is a causal order, the usual
    /// case. Returns the plan and the set of its changes.
    fn plan(
        &self,
        unstored: &Unstored<'_>,
        queue: impl Iterator<Item = ChangeHash>,
        size: usize,
    ) -> (Vec<ChangeHash>, HashSet<ChangeHash>) {
        let mut waiting: BTreeMap<ChangeHash, Vec<ChangeHash>> = BTreeMap::new();
        let mut plan: Vec<ChangeHash> = Vec::with_capacity(size);
        let mut planned: HashSet<ChangeHash> =
            HashSet::with_capacity_and_hasher(size, Default::default());
        let mut woken: Vec<ChangeHash> = Vec::new();
        for hash in queue {
            woken.push(hash);
            while let Some(hash) = woken.pop() {
                let Some(change) = unstored.get(&hash) else {
                    continue;
                };
                if planned.contains(&hash) {
                    continue;
                }
                // Waits for its first missing dependency; woken when that one is planned.
                let missing = change
                    .body
                    .deps
                    .iter()
                    .find(|d| !self.history.contains(d) && !planned.contains(*d));
                if let Some(dep) = missing {
                    waiting.entry(*dep).or_default().push(hash);
                    continue;
                }
                plan.push(hash);
                planned.insert(hash);
                if let Some(children) = waiting.remove(&hash) {
                    // Woken in the order they arrived.
                    woken.extend(children.into_iter().rev());
                }
            }
        }
        (plan, planned)
    }

    /// The planned changes that must wait although their dependencies are present: those
    /// without a signature whose voucher (a later change of their author) is neither
    /// stored nor stored with them, and the changes that depend on them. A stored change
    /// without a signature thus always has its voucher stored, and can be sent on.
    fn held_back(
        &self,
        unstored: &Unstored<'_>,
        plan: &[ChangeHash],
        planned: &HashSet<ChangeHash>,
    ) -> HashSet<ChangeHash> {
        let mut held: HashSet<ChangeHash> = HashSet::default();
        loop {
            let before = held.len();
            // A voucher comes after what it vouches for: walk back.
            for hash in plan.iter().rev() {
                let Some(Seal::Vouched(voucher)) = unstored.get(hash).map(|c| &c.seal) else {
                    continue;
                };
                let present = self.history.contains(voucher)
                    || (planned.contains(voucher) && !held.contains(voucher));
                if !present {
                    held.insert(*hash);
                }
            }
            if held.len() == before {
                return held;
            }
            // What depends on a held change waits with it.
            for hash in plan {
                let depends = unstored
                    .get(hash)
                    .is_some_and(|c| c.body.deps.iter().any(|d| held.contains(d)));
                if depends {
                    held.insert(*hash);
                }
            }
        }
    }

    /// Decides the validity of newly stored changes, on the fast path when they extend the
    /// history without concurrent authority changes, by a full resolution otherwise.
    fn settle(&mut self, stored: &[u32], report: &mut ApplyReport, aside: Option<Aside<'_>>) {
        let Some(&first) = stored.iter().min() else {
            return;
        };
        // The first stored change the fast path could not decide; none after it is tried.
        let mut undecided = None;
        for &c in stored {
            self.ignored.push_valid();
            if undecided.is_none() && !self.try_fast(c) {
                undecided = Some(c);
            }
        }
        // Earlier changes can only change verdict on the slow path.
        let before = match undecided {
            None => None,
            Some(from) => {
                let before = self.ignored.clone();
                self.resolve_from(from, stored, &before, aside);
                Some(before)
            }
        };
        // Stored changes have the indices from `first` on.
        let from = if before.is_some() { 0 } else { first };
        for (i, reason) in self.ignored.ignored_from(from) {
            let newly = i >= first;
            let invalidated = before.as_ref().is_some_and(|b| b.is_valid(i));
            if newly || invalidated {
                if let Some(n) = self.history.node(i) {
                    report.ignored.push(IgnoredChange {
                        hash: n.hash,
                        reason: IgnoredReason::clone(reason),
                    });
                }
            }
        }
    }

    /// Tries to decide change `c` against the current state; false if a full resolution
    /// is needed.
    fn try_fast(&mut self, c: u32) -> bool {
        let h = &self.history;
        if c == 0 {
            // The genesis founds the authority state: resolve from scratch.
            return false;
        }
        let Some(node) = h.node(c) else { return false };
        if h.is_forked(&node.author()) {
            return false;
        }
        let all_authority_in_past = {
            let mut past: Vec<u32> = h.auth_past(c).to_vec();
            let mut heads: Vec<u32> = h.auth_heads().iter().copied().filter(|&x| x != c).collect();
            past.sort_unstable();
            heads.sort_unstable();
            past == heads
        };
        if !all_authority_in_past {
            return false;
        }
        let past = |x: u32| h.auth_in_past(x, c);
        let (author, lamport) = (node.author(), node.lamport());
        let verdict = if node.authority {
            match self.authority.step_all(author, c, node.checked(), &past) {
                Ok(applied) => {
                    // A lowered member with changes not in this one's past, or a lost last
                    // owner, needs the full resolution.
                    let needs_resolution = applied.lowerings.iter().any(|l| {
                        !h.all_in_past(&l.member, c)
                            || (l.was_owner && self.authority.owners() == 0)
                    });
                    if needs_resolution {
                        self.authority.undo(applied);
                        return false;
                    }
                    Ok(())
                }
                Err(e) => Err(e),
            }
        } else {
            self.authority.check_all(author, c, node.checked(), &past)
        };
        match verdict {
            Ok(()) => self.model.apply(author, lamport, node.each_op()),
            Err(e) => {
                let reason = e.to_string();
                self.ignored
                    .ignore(c, IgnoredReason::Unauthorized { reason });
            }
        }
        true
    }

    /// Resolves validity from the whole history after the fast path stopped at stored
    /// change `from`. When no change decided before `from` changes verdict, the content
    /// already built stays, and only the valid stored changes from `from` on are applied
    /// to it (in the order they were stored, a causal order: content merges the same in
    /// any causal order). Otherwise the content is rebuilt from scratch.
    ///
    /// Loading into an empty workspace (`from` is the genesis) builds the content on a
    /// second core while validity is resolved (or takes `aside`, built while the changes
    /// were decoded), assuming every change valid; that content is kept only if the
    /// resolution ignores none of them (it is then exactly what the sequential path
    /// builds), and thrown away otherwise.
    fn resolve_from(
        &mut self,
        from: u32,
        stored: &[u32],
        before: &Verdicts,
        aside: Option<Aside<'_>>,
    ) {
        let (res, speculative) = if from == 0 {
            self.resolve_while_building(stored, aside)
        } else {
            (resolve::resolve(&self.history), None)
        };
        let Some(res) = res else {
            self.rebuild_model();
            return;
        };
        let decided = from.min(before.len() as u32);
        let unchanged = before.same_before(&res.ignored, decided);
        self.ignored = res.ignored;
        self.authority = res.authority;
        if !unchanged {
            self.rebuild_model();
            return;
        }
        let all_valid = stored.iter().all(|&c| self.ignored.is_valid(c));
        if let (Some(model), true) = (speculative, all_valid) {
            self.model = model;
            return;
        }
        for &c in stored.iter().filter(|&&c| c >= from) {
            if self.ignored.is_valid(c) {
                if let Some(n) = self.history.node(c) {
                    self.model.apply(n.author(), n.lamport(), n.each_op());
                }
            }
        }
    }

    /// Resolves validity and, on another thread when there is a second core, builds the
    /// content of every `stored` change (in stored order) onto the current content, unless
    /// it was built `aside` already; this thread packs the stored operations meanwhile
    /// (settling the history).
    fn resolve_while_building(
        &mut self,
        stored: &[u32],
        aside: Option<Aside<'_>>,
    ) -> (Option<Resolution>, Option<Model>) {
        if let Some(built) = aside {
            // Content built aside does not read the history: the history is settled
            // before the content is waited for.
            let res = resolve::resolve(&self.history);
            let mut packer = self.history.take_packer();
            let packed = self.history.packed(&mut packer);
            self.history.store_packed(packer, packed);
            return (res, built());
        }
        if crate::change::parallelism() < 2 {
            return (resolve::resolve(&self.history), None);
        }
        let mut packer = self.history.take_packer();
        let (history, base) = (&self.history, &self.model);
        let (res, model, packed) = std::thread::scope(|s| {
            let builder = std::thread::Builder::new()
                .spawn_scoped(s, move || {
                    let mut model = base.clone();
                    for n in stored.iter().filter_map(|&c| history.node(c)) {
                        model.apply(n.author(), n.lamport(), n.each_op());
                    }
                    model
                })
                .ok();
            let res = resolve::resolve(history);
            let packed = history.packed(&mut packer);
            (res, builder.and_then(|b| b.join().ok()), packed)
        });
        self.history.store_packed(packer, packed);
        (res, model)
    }

    /// Resolves validity from the whole history and rebuilds the state.
    pub(crate) fn rebuild(&mut self) {
        if let Some(res) = resolve::resolve(&self.history) {
            self.ignored = res.ignored;
            self.authority = res.authority;
        }
        self.rebuild_model();
    }

    /// Rebuilds the content from the valid changes, in canonical order.
    fn rebuild_model(&mut self) {
        let mut model = Model::default();
        for i in self.history.canonical_order() {
            if self.ignored.is_valid(i) {
                if let Some(n) = self.history.node(i) {
                    model.apply(n.author(), n.lamport(), n.each_op());
                }
            }
        }
        self.model = model;
    }

    pub(crate) fn pending_changes(&self) -> impl Iterator<Item = &Change> {
        self.pending.values()
    }
}
