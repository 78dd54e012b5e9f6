//! The causal history: every verified change, its dependencies, the heads, and the changes
//! waiting for missing dependencies.
//!
//! Changes are numbered in the order this copy stored them (an index private to the copy);
//! every decision that must agree across copies uses the canonical order instead: Lamport
//! counter, then hash. Authority changes (those that change roles or groups) also form a
//! smaller graph of their own, so that questions about them skip the content in between.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::change::{Change, ChangeBody, ChangeView, Checked, DepHashes, OpIter, Ops, Seal};
use crate::error::Rejection;
use crate::ids::{ChangeHash, MemberId};
use crate::op::Op;
use crate::pack::Packer;
use crate::table::{Chunked, Index};

/// The dependencies of a stored change, by index: almost every change has exactly one
/// (the change before it), kept inline ([`Node`]); a genesis has none; a merge has
/// several, kept in the history's table of them ([`History::deps`]).
#[derive(Clone, Copy, Debug)]
enum DepsForm {
    None,
    One,
    Kept,
}

/// Which [`AuthPast`] a node has; its index is kept apart ([`Node`]).
#[derive(Clone, Copy, Debug)]
enum AuthForm {
    After,
    Like,
    Kept,
}

/// The maximal authority changes in a stored change's past, when its one dependency does
/// not tell them ([`AuthPast::Kept`]).
type Frontier = Box<[u32]>;

/// What of authority a stored change has strictly in its past: the maximal authority
/// changes there (its frontier), and for each of their authors the highest sequence
/// number of their authority changes there (its clock). Told by the change's one
/// dependency whenever it can be (almost always), so that a change spends a word on it
/// ([`History::auth_past`], [`History::auth_clock`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AuthPast {
    /// Its one dependency `d` is an authority change whose clock counts only `d`'s
    /// author, if anyone: the frontier is `d`, the clock `d`'s author at `d`'s sequence
    /// number.
    After,
    /// The same as stored change `i`'s, itself not `Like` another's.
    Like(u32),
    /// At this position of the history's table of them.
    Kept(u32),
}

/// For each author of authority changes, the highest sequence number of their authority
/// changes in some change's past, sorted by author. Most workspaces' authority changes
/// come from one member at a time: a single author is kept inline (so that reading the
/// clock a change's dependency tells, [`AuthPast::After`], allocates nothing).
#[derive(Clone, Debug, Default)]
pub(crate) enum AuthClock {
    #[default]
    Empty,
    One(Arc<MemberId>, u64),
    Many(Box<[(MemberId, u64)]>),
}

impl AuthClock {
    /// The clock with these entries (sorted by author, without repeats); `authors` holds
    /// the members it keeps.
    fn new(entries: &[(MemberId, u64)], authors: &mut crate::crdt::Authors) -> Self {
        match entries {
            [] => AuthClock::Empty,
            [(author, seq)] => AuthClock::One(authors.get(*author), *seq),
            many => AuthClock::Many(many.into()),
        }
    }

    /// The highest sequence number of `author`'s authority changes it counts.
    pub(crate) fn get(&self, author: &MemberId) -> Option<u64> {
        match self {
            AuthClock::Empty => None,
            AuthClock::One(a, seq) => (**a == *author).then_some(*seq),
            AuthClock::Many(all) => all
                .binary_search_by(|(m, _)| m.cmp(author))
                .ok()
                .and_then(|i| all.get(i))
                .map(|(_, seq)| *seq),
        }
    }

    /// Its entries, sorted by author.
    fn to_vec(&self) -> Vec<(MemberId, u64)> {
        match self {
            AuthClock::Empty => Vec::new(),
            AuthClock::One(author, seq) => vec![(**author, *seq)],
            AuthClock::Many(all) => all.to_vec(),
        }
    }
}

/// A stored change: a [`Change`] whose dependencies are known by index (their hashes are
/// those of the stored changes at these indices: [`History::stored`] views it whole).
///
/// Its dependencies ([`DepsForm`]) and [`AuthPast`] are kept as their forms (a byte each)
/// and their indices apart, and its sequence number in 32 bits (an author's changes form
/// a chain from 1: [`History::check`]), so that a node takes 96 bytes.
#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) hash: ChangeHash,
    /// Shared with the author's other changes ([`History`]'s `authors`).
    author: Arc<MemberId>,
    pub(crate) lamport: u64,
    pub(crate) time: i64,
    pub(crate) ops: Ops,
    /// Its seal, unless it is [`Seal::Own`] (most are, in a copy that writes): a word.
    seal: Option<Box<Seal>>,
    seq: u32,
    deps_at: u32,
    auth_at: u32,
    deps_form: DepsForm,
    auth_form: AuthForm,
    pub(crate) authority: bool,
}

impl Node {
    /// The author's sequence number for it.
    pub(crate) fn seq(&self) -> u64 {
        u64::from(self.seq)
    }

    fn auth(&self) -> AuthPast {
        match self.auth_form {
            AuthForm::After => AuthPast::After,
            AuthForm::Like => AuthPast::Like(self.auth_at),
            AuthForm::Kept => AuthPast::Kept(self.auth_at),
        }
    }

    pub(crate) fn lamport(&self) -> u64 {
        self.lamport
    }

    pub(crate) fn author(&self) -> MemberId {
        *self.author
    }

    pub(crate) fn seal(&self) -> &Seal {
        self.seal.as_deref().unwrap_or(&Seal::Own)
    }

    /// Its operations (decoded, when they are kept encoded).
    pub(crate) fn ops(&self) -> Cow<'_, [Op]> {
        self.ops.ops(self.author(), self.lamport)
    }

    /// Its operations one at a time (each decoded as it is read, when they are kept
    /// encoded: a large change is never decoded whole, which takes several times longer).
    pub(crate) fn each_op(&self) -> OpIter<'_> {
        self.ops.each(self.author(), self.lamport).1
    }

    /// What checking this change's permissions reads of its operations, with their ids
    /// (see [`Ops::checked`]).
    pub(crate) fn checked(&self) -> Checked<'_> {
        self.ops.checked(self.author(), self.lamport).1
    }

    /// The last operation counter it uses.
    pub(crate) fn end_counter(&self) -> u64 {
        crate::change::end_counter(self.lamport, &self.ops)
    }

    /// The canonical order key.
    pub(crate) fn key(&self) -> (u64, ChangeHash) {
        (self.lamport, self.hash)
    }
}

/// A stored change as the encoders read it: its node, and the history that knows its
/// dependencies' hashes.
#[derive(Clone, Copy)]
pub(crate) struct Stored<'a> {
    history: &'a History,
    pub(crate) node: &'a Node,
}

impl ChangeView for Stored<'_> {
    fn hash(&self) -> ChangeHash {
        self.node.hash
    }
    fn author(&self) -> MemberId {
        self.node.author()
    }
    fn seq(&self) -> u64 {
        self.node.seq()
    }
    fn lamport(&self) -> u64 {
        self.node.lamport
    }
    fn time(&self) -> i64 {
        self.node.time
    }
    fn deps(&self) -> DepHashes<'_> {
        DepHashes::Stored(self.history, self.history.deps_of(self.node).iter())
    }
    fn seal(&self) -> &Seal {
        self.node.seal()
    }
    fn ops(&self) -> &Ops {
        &self.node.ops
    }
}

impl Stored<'_> {
    /// The change whole, its operations decoded.
    pub(crate) fn to_change(self) -> Change {
        Change {
            hash: self.node.hash,
            body: ChangeBody {
                author: self.node.author(),
                seq: self.node.seq(),
                lamport: self.node.lamport,
                deps: self.deps().collect(),
                time: self.node.time,
                ops: Ops::decoded(self.node.ops().into_owned()),
            },
            seal: self.node.seal().clone(),
        }
    }
}

/// What [`History::rollback`] needs to undo the inserts made after [`History::mark`].
#[derive(Debug)]
pub(crate) struct Mark {
    len: usize,
    heads: BTreeSet<ChangeHash>,
    auth_heads: Vec<u32>,
    auth_kept: usize,
    deps_kept: usize,
    max_counter: u64,
    forked: BTreeSet<MemberId>,
}

#[derive(Debug, Default)]
pub(crate) struct History {
    nodes: Chunked<Node>,
    index: Index,
    heads: BTreeSet<ChangeHash>,
    auth_heads: Vec<u32>,
    /// The authority pasts that stored changes' dependencies do not tell
    /// ([`AuthPast::Kept`]): those of merges, and of changes after an authority change
    /// whose clock counts several authors. Each clock is sorted by author.
    auth_kept: Vec<(Frontier, AuthClock)>,
    /// The dependencies of the stored changes with several ([`DepsForm::Kept`]).
    deps_kept: Vec<Box<[u32]>>,
    /// The changes of each forked author, in the order stored (those of any other author
    /// are their `by_seq`).
    forked_changes: BTreeMap<MemberId, Chunked<u32>>,
    /// Every author of a stored change, held once for all their changes.
    authors: crate::crdt::Authors,
    /// By author, the first change stored with each sequence number (1, 2, ...): each
    /// change's previous one is in its past, so these are stored in sequence order.
    /// Chunked: an author's list grows with the history.
    by_seq: BTreeMap<MemberId, Chunked<u32>>,
    /// The other changes of forked authors, by author and sequence number.
    forks: BTreeMap<(MemberId, u64), Vec<u32>>,
    /// Changes that add a member, by member (to check that authors are known).
    adds: BTreeMap<MemberId, Vec<u32>>,
    max_counter: u64,
    /// Authors who signed two changes with the same sequence number.
    forked: BTreeSet<MemberId>,
    /// How many changes, from the first, were settled: their operations packed, or
    /// gathered for the next block.
    settled: usize,
    /// Packs the settled changes' operations.
    packer: Packer,
}

/// Hands stored change `i`'s decoded operations to `packer`; returns the changes whose
/// operations that sealed into a block, with their packed form.
fn pack_node(packer: &mut Packer, i: usize, node: &Node) -> Vec<(u32, Ops)> {
    match &node.ops {
        Ops::Decoded(d) => packer.add(i as u32, node.author(), node.lamport, d),
        // A change that takes a block alone is packed as it is.
        Ops::Skimmed(s) => vec![(i as u32, Ops::packed(s.block.clone(), 0, s.width))],
        Ops::Packed { .. } => Vec::new(),
    }
}

impl History {
    /// Makes room for `additional` more changes.
    pub(crate) fn reserve(&mut self, additional: usize) {
        self.nodes.reserve(additional);
        let nodes = &self.nodes;
        self.index
            .reserve(additional, |i| nodes.get(i as usize).map(|n| n.hash));
    }

    pub(crate) fn mark(&self) -> Mark {
        Mark {
            len: self.nodes.len(),
            heads: self.heads.clone(),
            auth_heads: self.auth_heads.clone(),
            auth_kept: self.auth_kept.len(),
            deps_kept: self.deps_kept.len(),
            max_counter: self.max_counter,
            forked: self.forked.clone(),
        }
    }

    /// Encodes the operations of the changes stored since the last call: to be called
    /// once the content and permissions have taken them in (they are decoded again only
    /// for a replay or to be sent).
    pub(crate) fn settle(&mut self) {
        for i in self.settled..self.nodes.len() {
            let packed = self
                .nodes
                .get(i)
                .map(|node| pack_node(&mut self.packer, i, node));
            // Each change's decoded operations go as soon as their block is sealed.
            self.pack(packed.unwrap_or_default());
        }
        self.settled = self.nodes.len();
    }

    /// Takes the packer out, for [`Self::packed`] while the history is read elsewhere.
    pub(crate) fn take_packer(&mut self) -> Packer {
        std::mem::take(&mut self.packer)
    }

    /// The packed forms of the operations of the changes stored since the last settling
    /// (or of those gathered into a block with them), made with `packer` (taken out with
    /// [`Self::take_packer`], so that the history can be read meanwhile).
    pub(crate) fn packed(&self, packer: &mut Packer) -> Vec<(u32, Ops)> {
        let unsettled = self.nodes.iter().enumerate().skip(self.settled);
        unsettled
            .flat_map(|(i, node)| pack_node(packer, i, node))
            .collect()
    }

    /// Gives the changes stored since the last settling the packed forms [`Self::packed`]
    /// made for them, and puts back the packer it made them with: they are settled.
    pub(crate) fn store_packed(&mut self, packer: Packer, packed: Vec<(u32, Ops)>) {
        self.packer = packer;
        self.pack(packed);
        self.settled = self.nodes.len();
    }

    /// Gives changes their operations' packed form.
    fn pack(&mut self, packed: Vec<(u32, Ops)>) {
        for (i, ops) in packed {
            if let Some(node) = self.nodes.get_mut(i as usize) {
                node.ops = ops;
            }
        }
    }

    /// Removes every change stored since `mark` was taken.
    pub(crate) fn rollback(&mut self, mark: Mark) {
        while self.nodes.len() > mark.len {
            let Some(node) = self.nodes.pop() else { break };
            let author = node.author();
            self.index.remove(&node.hash, self.nodes.len() as u32);
            if let Some(v) = self.forked_changes.get_mut(&author) {
                v.pop();
            }
            let popped = self.nodes.len() as u32;
            let key = (author, node.seq());
            if let Some(v) = self.forks.get_mut(&key) {
                v.retain(|&i| i != popped);
                if v.is_empty() {
                    self.forks.remove(&key);
                }
            }
            if let Some(v) = self.by_seq.get_mut(&author) {
                if v.last() == Some(&popped) {
                    v.pop();
                }
                if v.is_empty() {
                    self.by_seq.remove(&author);
                }
            }
            for op in node.ops().iter() {
                if let Op::AddMember { member, .. } = op {
                    if let Some(v) = self.adds.get_mut(member) {
                        v.retain(|&i| (i as usize) < mark.len);
                        if v.is_empty() {
                            self.adds.remove(member);
                        }
                    }
                }
            }
        }
        self.heads = mark.heads;
        self.auth_heads = mark.auth_heads;
        self.auth_kept.truncate(mark.auth_kept);
        self.deps_kept.truncate(mark.deps_kept);
        self.max_counter = mark.max_counter;
        self.forked = mark.forked;
        let forked = &self.forked;
        self.forked_changes
            .retain(|author, _| forked.contains(author));
        self.settled = self.settled.min(self.nodes.len());
        self.packer.forget_from(self.nodes.len() as u32);
    }

    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    pub(crate) fn node(&self, i: u32) -> Option<&Node> {
        self.nodes.get(i as usize)
    }

    /// The dependencies of stored change `node`, by index.
    pub(crate) fn deps_of<'a>(&'a self, node: &'a Node) -> &'a [u32] {
        match node.deps_form {
            DepsForm::None => &[],
            DepsForm::One => std::slice::from_ref(&node.deps_at),
            DepsForm::Kept => self.deps_kept.get(node.deps_at as usize).map_or(&[], |d| d),
        }
    }

    /// The dependencies of stored change `c`, by index.
    pub(crate) fn deps(&self, c: u32) -> &[u32] {
        self.node(c).map_or(&[], |n| self.deps_of(n))
    }

    /// The stored change at `i`, as the encoders read it.
    pub(crate) fn stored(&self, i: u32) -> Option<Stored<'_>> {
        self.node(i).map(|node| Stored {
            history: self,
            node,
        })
    }

    pub(crate) fn lookup(&self, hash: &ChangeHash) -> Option<u32> {
        self.index.get(hash, |i| self.node(i).map(|n| n.hash))
    }

    pub(crate) fn contains(&self, hash: &ChangeHash) -> bool {
        self.lookup(hash).is_some()
    }

    /// The heads, sorted.
    pub(crate) fn heads(&self) -> Vec<ChangeHash> {
        self.heads.iter().copied().collect()
    }

    pub(crate) fn auth_heads(&self) -> &[u32] {
        &self.auth_heads
    }

    pub(crate) fn max_counter(&self) -> u64 {
        self.max_counter
    }

    pub(crate) fn is_forked(&self, author: &MemberId) -> bool {
        self.forked.contains(author)
    }

    /// Whether every change by `member` other than `c` is in the causal past of `c`.
    pub(crate) fn all_in_past(&self, member: &MemberId, c: u32) -> bool {
        let mut mine = self.changes_by(member);
        if self.forked.contains(member) {
            return mine.all(|x| x == c || self.is_ancestor(x, c));
        }
        // Without forks the changes form a chain, stored in sequence order.
        match mine.rev().find(|&x| x != c) {
            Some(latest) => self.is_ancestor(latest, c),
            None => true,
        }
    }

    /// Every change of `author`, in the order stored.
    pub(crate) fn changes_by(
        &self,
        author: &MemberId,
    ) -> impl DoubleEndedIterator<Item = u32> + '_ {
        let changes = self
            .forked_changes
            .get(author)
            .or_else(|| self.by_seq.get(author));
        changes.into_iter().flat_map(Chunked::iter).copied()
    }

    /// The sequence number of `author`'s next change: one more than the highest stored.
    pub(crate) fn next_seq(&self, author: &MemberId) -> u64 {
        self.by_seq.get(author).map_or(0, Chunked::len) as u64 + 1
    }

    /// Whether some change of `author` with sequence number `seq` satisfies `pred`.
    fn any_with_seq(&self, author: &MemberId, seq: u64, pred: impl Fn(u32) -> bool) -> bool {
        let first = usize::try_from(seq)
            .ok()
            .and_then(|s| s.checked_sub(1))
            .and_then(|at| self.by_seq.get(author)?.get(at).copied());
        first.is_some_and(&pred)
            || self
                .forks
                .get(&(*author, seq))
                .is_some_and(|v| v.iter().any(|&i| pred(i)))
    }

    fn lamport_of(&self, i: u32) -> u64 {
        self.node(i).map_or(0, Node::lamport)
    }

    /// The stored change whose authority past `c` has (`c` itself, or the one it is
    /// `Like`), with that past.
    fn auth_of(&self, c: u32) -> Option<(&Node, AuthPast)> {
        let node = self.node(c)?;
        match node.auth() {
            AuthPast::Like(i) => self.node(i).map(|like| (like, like.auth())),
            told => Some((node, told)),
        }
    }

    /// The maximal authority changes strictly in the causal past of stored change `c`.
    pub(crate) fn auth_past(&self, c: u32) -> &[u32] {
        match self.auth_of(c) {
            Some((node, AuthPast::After)) => self.deps_of(node),
            Some((_, AuthPast::Kept(k))) => self.auth_kept.get(k as usize).map_or(&[], |(f, _)| f),
            // Never: a change is `Like` one that is not.
            Some((_, AuthPast::Like(_))) | None => &[],
        }
    }

    /// For each author of authority changes, the highest sequence number of their
    /// authority changes strictly in the causal past of stored change `c`, sorted by
    /// author.
    fn auth_clock(&self, c: u32) -> Cow<'_, AuthClock> {
        let after = |node: &Node| {
            let dep = self.deps_of(node).first().and_then(|&d| self.node(d));
            dep.map(|d| AuthClock::One(d.author.clone(), d.seq()))
        };
        let clock = match self.auth_of(c) {
            Some((node, AuthPast::After)) => after(node).map(Cow::Owned),
            Some((_, AuthPast::Kept(k))) => self
                .auth_kept
                .get(k as usize)
                .map(|(_, c)| Cow::Borrowed(c)),
            Some((_, AuthPast::Like(_))) | None => None,
        };
        clock.unwrap_or_default()
    }

    /// The authority past of a change with these dependencies, kept in the table if its
    /// dependencies do not tell it.
    fn auth_past_of(&mut self, deps: &[u32]) -> AuthPast {
        if let [d] = *deps {
            if let Some(node) = self.node(d) {
                if !node.authority {
                    return match node.auth() {
                        AuthPast::Like(i) => AuthPast::Like(i),
                        _ => AuthPast::Like(d),
                    };
                }
                let alone = match &*self.auth_clock(d) {
                    AuthClock::Empty => true,
                    AuthClock::One(author, seq) => **author == node.author() && *seq <= node.seq(),
                    AuthClock::Many(_) => false,
                };
                if alone {
                    return AuthPast::After;
                }
            }
        }
        let past = (self.auth_frontier_of(deps), self.auth_clock_of(deps));
        self.auth_kept.push(past);
        AuthPast::Kept(self.auth_kept.len() as u32 - 1)
    }

    /// The authority frontier a change with these dependencies has in its past.
    fn auth_frontier_of(&self, deps: &[u32]) -> Frontier {
        let mut parts: Vec<u32> = Vec::new();
        for &d in deps {
            let Some(node) = self.node(d) else { continue };
            if node.authority {
                parts.push(d);
            } else {
                parts.extend(self.auth_past(d).iter().copied());
            }
        }
        parts.sort_unstable();
        parts.dedup();
        let reduced: Vec<u32> = parts
            .iter()
            .copied()
            .filter(|&a| !parts.iter().any(|&b| b != a && self.auth_reaches(a, &[b])))
            .collect();
        reduced.into()
    }

    /// The authority clock of a change with these dependencies.
    fn auth_clock_of(&mut self, deps: &[u32]) -> AuthClock {
        let mut clock: BTreeMap<MemberId, u64> = BTreeMap::new();
        for &d in deps {
            let Some(n) = self.node(d) else { continue };
            for (m, s) in self.auth_clock(d).to_vec() {
                let e = clock.entry(m).or_insert(s);
                *e = (*e).max(s);
            }
            if n.authority {
                let e = clock.entry(n.author()).or_insert(n.seq());
                *e = (*e).max(n.seq());
            }
        }
        let clock: Vec<(MemberId, u64)> = clock.into_iter().collect();
        AuthClock::new(&clock, &mut self.authors)
    }

    /// Whether authority change `a` is in `frontier` or in the past of one of its members.
    pub(crate) fn auth_reaches(&self, a: u32, frontier: &[u32]) -> bool {
        if frontier.contains(&a) {
            return true;
        }
        let Some(na) = self.node(a) else { return false };
        let author = na.author();
        if !self.forked.contains(&author) {
            // An author's changes form a chain: `a` is in the past of `f` as soon as one of
            // the author's later (or equal) authority changes is.
            let seq = na.seq();
            return frontier.iter().any(|&f| {
                self.node(f)
                    .is_some_and(|n| n.author() == author && n.seq() >= seq)
                    || self.auth_clock(f).get(&author).is_some_and(|s| s >= seq)
            });
        }
        self.search_back(a, frontier, |x| self.auth_past(x))
    }

    /// Whether `target` is among `from` or reachable from them through `parents`, skipping
    /// every change too low in Lamport order to have `target` in its past.
    fn search_back<'a>(
        &'a self,
        target: u32,
        from: &[u32],
        parents: impl Fn(u32) -> &'a [u32],
    ) -> bool {
        let floor = self.lamport_of(target);
        let mut stack: Vec<u32> = from.to_vec();
        let mut seen = BTreeSet::new();
        while let Some(x) = stack.pop() {
            if x == target {
                return true;
            }
            if self.lamport_of(x) <= floor || !seen.insert(x) {
                continue;
            }
            stack.extend(parents(x).iter().copied());
        }
        false
    }

    /// Whether authority change `a` is strictly in the causal past of change `c`.
    pub(crate) fn auth_in_past(&self, a: u32, c: u32) -> bool {
        self.auth_reaches(a, self.auth_past(c))
    }

    /// All authority changes in the causal past of `c` (strictly), in no particular order.
    pub(crate) fn auth_ancestors(&self, c: u32) -> Vec<u32> {
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        let mut stack: Vec<u32> = self.auth_past(c).to_vec();
        while let Some(x) = stack.pop() {
            if !seen.insert(x) {
                continue;
            }
            out.push(x);
            stack.extend(self.auth_past(x).iter().copied());
        }
        out
    }

    /// Whether change `a` is strictly in the causal past of change `b`.
    pub(crate) fn is_ancestor(&self, a: u32, b: u32) -> bool {
        let Some(na) = self.node(a) else { return false };
        let Some(nb) = self.node(b) else { return false };
        if na.authority {
            return self.auth_reaches(a, self.auth_past(b));
        }
        self.search_back(a, self.deps_of(nb), |x| self.deps(x))
    }

    /// The Lamport counter a change with these dependencies must carry.
    pub(crate) fn next_lamport(&self, deps: &[u32]) -> u64 {
        deps.iter()
            .filter_map(|&d| self.node(d))
            .map(|n| n.end_counter().saturating_add(1))
            .max()
            .unwrap_or(1)
    }

    /// Checks a decoded change against the history. Its dependencies must all be stored.
    pub(crate) fn check(
        &self,
        change: &Change,
        founder: Option<MemberId>,
    ) -> Result<Vec<u32>, Rejection> {
        let body = &change.body;
        let deps: Vec<u32> = body.deps.iter().filter_map(|h| self.lookup(h)).collect();
        let expected = self.next_lamport(&deps);
        if body.lamport != expected {
            return Err(Rejection::BadLamport {
                expected,
                found: body.lamport,
            });
        }
        if deps.is_empty() {
            // A genesis: accepted only as the first change of an empty history.
            return if self.nodes.is_empty() {
                Ok(deps)
            } else {
                Err(Rejection::ForeignWorkspace)
            };
        }
        if u32::try_from(body.seq).is_err() {
            // Unreachable by an honest author (the chain below would hold four billion
            // changes): nodes keep the number in 32 bits.
            return Err(Rejection::Structure("a sequence number beyond 2^32 - 1"));
        }
        if body.seq > 1 {
            // The author's previous change must be in the causal past: an author's changes
            // form a chain (or several, if they forked).
            let previous = self.any_with_seq(&body.author, body.seq - 1, |p| {
                deps.contains(&p) || deps.iter().any(|&d| self.is_ancestor(p, d))
            });
            if !previous {
                return Err(Rejection::Structure(
                    "the author's previous change is not in its causal past",
                ));
            }
        }
        if founder != Some(body.author) {
            let frontier = self.auth_frontier_of(&deps);
            let known = self
                .adds
                .get(&body.author)
                .is_some_and(|adds| adds.iter().any(|&a| self.auth_reaches(a, &frontier)));
            if !known {
                return Err(Rejection::UnknownAuthor {
                    author: body.author,
                });
            }
        }
        Ok(deps)
    }

    /// Stores a checked change; returns its index.
    pub(crate) fn insert(&mut self, change: Change, deps: Vec<u32>) -> u32 {
        let i = self.nodes.len() as u32;
        let checked = || {
            change
                .body
                .ops
                .checked(change.body.author, change.body.lamport)
                .1
        };
        let authority = checked().any(|(_, op)| op.is_authority());
        let auth = self.auth_past_of(&deps);
        for &d in &deps {
            if let Some(hash) = self.node(d).map(|n| n.hash) {
                self.heads.remove(&hash);
            }
        }
        self.heads.insert(change.hash);
        if authority {
            let auth_past: Vec<u32> = match auth {
                AuthPast::After => deps.clone(),
                AuthPast::Like(like) => self.auth_past(like).to_vec(),
                AuthPast::Kept(_) => self
                    .auth_kept
                    .last()
                    .map(|(f, _)| f.to_vec())
                    .unwrap_or_default(),
            };
            let auth_heads = std::mem::take(&mut self.auth_heads);
            let mut kept: Vec<u32> = auth_heads
                .into_iter()
                .filter(|&h| !auth_past.contains(&h) && !self.auth_reaches(h, &auth_past))
                .collect();
            kept.push(i);
            self.auth_heads = kept;
            for (_, op) in checked() {
                if let Op::AddMember { member, .. } = *op {
                    self.adds.entry(member).or_default().push(i);
                }
            }
        }
        self.max_counter = self.max_counter.max(change.body.end_counter());
        let firsts = self.by_seq.entry(change.body.author).or_default();
        if usize::try_from(change.body.seq).ok() == Some(firsts.len() + 1) {
            firsts.push(i);
        } else {
            // A second change with a sequence number already used (or, out of order,
            // one no check let through): a fork.
            self.forked.insert(change.body.author);
            self.forks
                .entry((change.body.author, change.body.seq))
                .or_default()
                .push(i);
            // Its changes so far are those stored in sequence.
            let so_far = &*firsts;
            self.forked_changes
                .entry(change.body.author)
                .or_insert_with(|| so_far.clone());
        }
        if let Some(all) = self.forked_changes.get_mut(&change.body.author) {
            all.push(i);
        }
        let Change { hash, body, seal } = change;
        let author = self.authors.get(body.author);
        let (deps_form, deps_at) = match *deps {
            [] => (DepsForm::None, 0),
            [one] => (DepsForm::One, one),
            _ => {
                self.deps_kept.push(deps.into());
                (DepsForm::Kept, self.deps_kept.len() as u32 - 1)
            }
        };
        let (auth_form, auth_at) = match auth {
            AuthPast::After => (AuthForm::After, 0),
            AuthPast::Like(i) => (AuthForm::Like, i),
            AuthPast::Kept(k) => (AuthForm::Kept, k),
        };
        self.nodes.push(Node {
            hash,
            author,
            lamport: body.lamport,
            time: body.time,
            ops: body.ops,
            seal: match seal {
                Seal::Own => None,
                seal => Some(Box::new(seal)),
            },
            // Checked to fit ([`History::check`]).
            seq: u32::try_from(body.seq).unwrap_or(u32::MAX),
            deps_at,
            auth_at,
            deps_form,
            auth_form,
            authority,
        });
        let nodes = &self.nodes;
        self.index
            .insert(i, |i| nodes.get(i as usize).map(|n| n.hash));
        i
    }

    /// Every index in canonical order (Lamport counter, then hash): a topological order.
    pub(crate) fn canonical_order(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.nodes.len() as u32).collect();
        order.sort_by_key(|&i| self.node(i).map(Node::key));
        order
    }

    /// The changes not in the causal past of (nor equal to) `known`, in canonical order.
    pub(crate) fn missing_from(&self, known: &[u32]) -> Vec<u32> {
        let mut covered = vec![false; self.nodes.len()];
        let mut stack: Vec<u32> = known.to_vec();
        while let Some(x) = stack.pop() {
            match covered.get_mut(x as usize) {
                Some(c) if !*c => *c = true,
                _ => continue,
            }
            if let Some(n) = self.node(x) {
                stack.extend(self.deps_of(n).iter().copied());
            }
        }
        let mut out: Vec<u32> = covered
            .iter()
            .enumerate()
            .filter(|(_, c)| !**c)
            .map(|(i, _)| i as u32)
            .collect();
        out.sort_by_key(|&i| self.node(i).map(Node::key));
        out
    }

    /// A sample of this history for sync: each head, then changes reached by following first
    /// dependencies back 1, 2, 4, 8, ... steps.
    pub(crate) fn sample(&self) -> Vec<ChangeHash> {
        let mut out = BTreeSet::new();
        for head in &self.heads {
            let Some(mut at) = self.lookup(head) else {
                continue;
            };
            let mut step = 1u64;
            'walk: loop {
                for _ in 0..step {
                    match self.deps(at).first() {
                        Some(&d) => at = d,
                        None => break 'walk,
                    }
                }
                if let Some(n) = self.node(at) {
                    out.insert(n.hash);
                }
                step *= 2;
            }
            if let Some(n) = self.node(at) {
                out.insert(n.hash);
            }
        }
        out.into_iter().collect()
    }
}

// What a stored change takes, as [`Node`] states it (on 64-bit targets; pointers are
// smaller elsewhere).
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<Node>() == 96);
