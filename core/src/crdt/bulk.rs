//! Building a text at once from the whole log of its edits, instead of edit by edit.
//!
//! Where a character goes depends on the characters present when it is inserted, but the
//! order they end up in does not depend on the order the edits came in: every character
//! follows the one it was inserted after, characters inserted after the same one come
//! greatest id first, and a character's id is greater than the one it follows (see
//! [`Text`]). The sequence is thus the walk of a tree: each character, then the characters
//! inserted after it, greatest first, each with everything inserted after it in turn. A
//! log's inserts are runs of characters typed one after the other, a chain in that tree, so
//! the walk goes run by run: a run is cut only where characters were inserted into it.
//!
//! The log is read once to number the runs and find where each one hangs; the tree is
//! walked once; the chunks, the index and the counts are filled in as the walk produces
//! the sequence. No character moves twice and no chunk splits, where applying the edits
//! one by one searches, splits and shifts at every edit.
//!
//! The walk holds only for a log whose ids behave: each author's inserts come with ever
//! greater ids, and every character has a greater id than the one it follows. For any
//! other log (a forked author's duplicate ids, an id smaller than the one it follows),
//! [`TextLog::apply_to`] applies the edits one by one: the result is the same either way.

use super::{block, Chunk, Span, Text, Writers, CHUNK, SPANS};
use crate::ids::OpId;

/// The edits of one text, in the order they were made (a causal order), each text
/// borrowed from where it was read.
#[derive(Debug, Default)]
pub(crate) struct TextLog<'a> {
    edits: Vec<Logged<'a>>,
    /// The runs of the deletes, one after the other.
    runs: Vec<(OpId, u32)>,
}

/// One edit of a [`TextLog`].
#[derive(Debug)]
enum Logged<'a> {
    /// [`Text::insert`].
    Insert {
        after: Option<OpId>,
        first: OpId,
        text: &'a str,
    },
    /// [`Text::delete`] of the runs `start..end` of the log's runs.
    Delete { start: usize, end: usize },
}

impl<'a> TextLog<'a> {
    /// Logs [`Text::insert`]`(after, first, text)`.
    pub(crate) fn insert(&mut self, after: Option<OpId>, first: OpId, text: &'a str) {
        self.edits.push(Logged::Insert { after, first, text });
    }

    /// Logs [`Text::delete`]`(runs)`.
    pub(crate) fn delete(&mut self, runs: &[(OpId, u32)]) {
        let start = self.runs.len();
        self.runs.extend_from_slice(runs);
        self.edits.push(Logged::Delete {
            start,
            end: self.runs.len(),
        });
    }

    /// The runs of a logged delete.
    fn runs(&self, start: usize, end: usize) -> &[(OpId, u32)] {
        self.runs.get(start..end).unwrap_or_default()
    }

    /// Applies the logged edits to `text`, in order: built at once if `text` has no
    /// character yet and the log allows it, else one by one. Either way `text` ends
    /// exactly as the edits applied one by one leave it.
    pub(crate) fn apply_to(self, text: &mut Text) {
        if text.is_blank() {
            if let Some(built) = Text::built(&self) {
                *text = built;
                return;
            }
        }
        for edit in &self.edits {
            match *edit {
                Logged::Insert {
                    after,
                    first,
                    text: s,
                } => text.insert(after, first, s),
                Logged::Delete { start, end } => text.delete(self.runs(start, end)),
            }
        }
    }
}

/// Characters a log inserted together: ids `counter`, `counter + 1`, ... of author number
/// `writer`, typed one after the other.
struct Run<'a> {
    counter: u64,
    len: u32,
    writer: u32,
    text: &'a str,
    /// Whether `text` is ASCII (a byte a character).
    ascii: bool,
    /// Where the characters the walk has not reached yet start in `text` (the walk
    /// reaches a run's characters in order).
    at: usize,
}

impl<'a> Run<'a> {
    /// The next `n` characters of the run (those the walk reaches now).
    fn take(&mut self, n: u32) -> &'a str {
        let rest = self.text.get(self.at..).unwrap_or_default();
        let end = nth_boundary(rest, n as usize, self.ascii);
        self.at += end;
        rest.get(..end).unwrap_or_default()
    }

    /// The counter of the character at offset `k`.
    fn counter_at(&self, k: u32) -> u64 {
        self.counter.saturating_add(u64::from(k))
    }
}

/// The byte offset of the `n`-th character of `s` (its length if it has fewer); `ascii`:
/// whether `s` is ASCII.
fn nth_boundary(s: &str, n: usize, ascii: bool) -> usize {
    if ascii {
        return n.min(s.len());
    }
    s.char_indices().nth(n).map_or(s.len(), |(at, _)| at)
}

/// Where a run hangs: after character `offset` of run `parent - 1`, or at the start
/// (`parent` 0).
#[derive(Clone, Copy)]
struct Hook {
    parent: u32,
    offset: u32,
    run: u32,
}

/// The log read: its runs, where each hangs, the ids deleted.
struct Read<'a> {
    runs: Vec<Run<'a>>,
    writers: Writers,
    /// The runs of each author number, in the order of their ids.
    by_writer: Vec<Vec<u32>>,
    hooks: Vec<Hook>,
    /// The ids deleted, by author number: `start..end` counters.
    deleted: Vec<Vec<(u64, u64)>>,
}

impl<'a> Read<'a> {
    /// Reads the edits of `log`; `None` if their ids do not behave (see the module's note).
    fn new(log: &TextLog<'a>) -> Option<Self> {
        let edits = &log.edits;
        // At most a run and a hook an edit.
        let mut read = Read {
            runs: Vec::with_capacity(edits.len()),
            writers: Writers::default(),
            by_writer: Vec::new(),
            hooks: Vec::with_capacity(edits.len()),
            deleted: Vec::new(),
        };
        for edit in edits {
            match edit {
                Logged::Insert { after, first, text } => read.insert(*after, *first, text)?,
                Logged::Delete { start, end } => read.delete(log.runs(*start, *end)),
            }
        }
        Some(read)
    }

    /// The run and offset of character `id`, if a run read so far holds it.
    fn find(&self, id: &OpId) -> Option<(u32, u32)> {
        let w = self.writers.find(&id.author)?;
        let runs = self.by_writer.get(w as usize)?;
        let starts_after = |r: &u32| {
            self.runs
                .get(*r as usize)
                .is_none_or(|run| run.counter > id.counter)
        };
        // Mostly the author's last run (typing goes on after it), else found by halves.
        let at = match runs.last() {
            Some(last) if !starts_after(last) => runs.len(),
            _ => runs.partition_point(|r| !starts_after(r)),
        };
        let r = *runs.get(at.checked_sub(1)?)?;
        let run = self.runs.get(r as usize)?;
        let k = id.counter.checked_sub(run.counter)?;
        (k < u64::from(run.len)).then_some((r, k as u32))
    }

    /// Reads an insert as [`Text::insert`] applies it; `None` if its ids do not behave.
    fn insert(&mut self, after: Option<OpId>, first: OpId, text: &'a str) -> Option<()> {
        // An insert after a character not there yet is dropped.
        let (parent, offset) = match after {
            None => (0, 0),
            Some(a) => match self.find(&a) {
                Some((r, k)) => (r + 1, k),
                None => return Some(()),
            },
        };
        if self
            .writers
            .newest(&first.author)
            .is_some_and(|newest| first.counter <= newest)
            || after.is_some_and(|a| a >= first)
        {
            return None;
        }
        let n = crate::op::char_count(text);
        // As many characters as bytes: one byte each.
        let ascii = n == text.len();
        if n == 0 {
            return Some(());
        }
        let len = u32::try_from(n).ok()?;
        let last = first.counter.checked_add(u64::from(len - 1))?;
        let (writer, _) = self.writers.note(first.author, last);
        let run = u32::try_from(self.runs.len())
            .ok()
            .filter(|&r| r < u32::MAX)?;
        if self.by_writer.len() <= writer as usize {
            self.by_writer.resize_with(writer as usize + 1, Vec::new);
            self.deleted.resize_with(writer as usize + 1, Vec::new);
        }
        self.by_writer.get_mut(writer as usize)?.push(run);
        self.runs.push(Run {
            counter: first.counter,
            len,
            writer,
            text,
            ascii,
            at: 0,
        });
        self.hooks.push(Hook {
            parent,
            offset,
            run,
        });
        Some(())
    }

    /// Reads a delete as [`Text::delete`] applies it: it reaches the characters there
    /// already, those of ids up to their author's newest (later ones are greater).
    fn delete(&mut self, runs: &[(OpId, u32)]) {
        for (first, len) in runs {
            let Some(w) = self.writers.find(&first.author) else {
                continue;
            };
            let Some(&(_, newest)) = self.writers.by_number.get(w as usize) else {
                continue;
            };
            let start = first.counter;
            let end = start
                .saturating_add(u64::from(*len))
                .min(newest.saturating_add(1));
            if let (true, Some(deleted)) = (start < end, self.deleted.get_mut(w as usize)) {
                deleted.push((start, end));
            }
        }
    }

    /// The id of the first character of run `r`.
    fn id(&self, r: u32) -> Option<OpId> {
        let run = self.runs.get(r as usize)?;
        let (author, _) = self.writers.by_number.get(run.writer as usize)?;
        Some(OpId {
            counter: run.counter,
            author: *author,
        })
    }
}

/// Sorts and merges deleted ranges.
fn merged(mut ranges: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    // By start alone: ranges that start together merge whatever their ends.
    ranges.sort_unstable_by_key(|&(start, _)| start);
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for (start, end) in ranges {
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

/// The chunks of a text, filled span by span in order.
#[derive(Default)]
struct Filler {
    chunks: Vec<Chunk>,
    spans: Vec<Span>,
    chars: Vec<char>,
}

impl Filler {
    /// Ends the chunk being filled.
    fn close(&mut self) {
        if self.spans.is_empty() {
            return;
        }
        let key = u32::try_from(self.chunks.len()).unwrap_or(u32::MAX);
        // The next chunk fills to the same bounds: room for them from the start.
        let spans = std::mem::replace(&mut self.spans, Vec::with_capacity(SPANS));
        let chars = std::mem::replace(&mut self.chars, Vec::with_capacity(CHUNK));
        self.chunks.push(Chunk { key, spans, chars });
    }

    /// Adds `span` to the chunk being filled (its characters added already), joined with
    /// the span before it if they make one.
    fn add(&mut self, span: Span) {
        match self
            .spans
            .last_mut()
            .and_then(|l| Some((l.joined(&span)?, l)))
        {
            Some((joined, last)) => *last = joined,
            None => self.spans.push(span),
        }
    }

    /// Closes the chunk being filled if `span` (of `len` visible characters, at most
    /// what is left of `CHUNK`) cannot go in it: no room for another span, or for its
    /// characters.
    fn make_room(&mut self, span: &Span) {
        let joins = self.spans.last().is_some_and(|l| l.joined(span).is_some());
        let visible = span.visible();
        if (!joins && self.spans.len() >= SPANS) || (visible > 0 && self.chars.len() >= CHUNK) {
            self.close();
        }
    }

    /// Appends a span of deleted characters.
    fn deleted(&mut self, span: Span) {
        self.make_room(&span);
        self.add(span);
    }

    /// Appends a span of visible characters, `text` (`ascii`: whether it is ASCII), over
    /// as many chunks as it fills.
    fn visible(&mut self, mut span: Span, mut text: &str, ascii: bool) {
        while span.len > 0 {
            self.make_room(&span);
            let room = u32::try_from(CHUNK.saturating_sub(self.chars.len())).unwrap_or(u32::MAX);
            let take = span.len.min(room);
            let end = nth_boundary(text, take as usize, ascii);
            let (now, rest) = text.split_at(end);
            if ascii {
                self.chars.extend(now.bytes().map(char::from));
            } else {
                self.chars.extend(now.chars());
            }
            self.add(Span { len: take, ..span });
            span = Span {
                counter: span.counter_at(take),
                len: span.len - take,
                ..span
            };
            text = rest;
        }
    }
}

impl Text {
    /// Whether no character was ever inserted.
    fn is_blank(&self) -> bool {
        self.writers.by_number.is_empty() && self.chunks.iter().all(|c| c.spans.is_empty())
    }

    /// The text the edits of `log` make, applied in order to an empty text; `None` if
    /// their ids do not behave (see the module's note).
    fn built(log: &TextLog<'_>) -> Option<Text> {
        let mut read = Read::new(log)?;
        let ids: Vec<OpId> = (0..read.runs.len())
            .map(|r| read.id(u32::try_from(r).ok()?))
            .collect::<Option<_>>()?;
        let (hooks, starts) = by_parent(std::mem::take(&mut read.hooks), &ids)?;
        let deleted: Vec<Vec<(u64, u64)>> = std::mem::take(&mut read.deleted)
            .into_iter()
            .map(merged)
            .collect();
        let mut fill = Filler::default();
        // The hooks on run `r` not walked yet start at `next[r + 1]`.
        let mut next = starts.clone();
        // What is left to walk, last first: (run, from offset).
        let mut stack: Vec<(u32, u32)> = Vec::new();
        let roots = hooks.get(..*starts.get(1)? as usize)?;
        stack.extend(roots.iter().rev().map(|h| (h.run, 0)));
        while let Some((r, from)) = stack.pop() {
            let parent = r as usize + 1;
            let (at, end) = (*next.get(parent)?, *starts.get(parent + 1)?);
            let len = read.runs.get(r as usize)?.len;
            // Up to the next character something hangs on, or to the end of the run.
            let group = hooks.get(at as usize..end as usize)?;
            let to = group.first().map_or(len, |h| h.offset + 1);
            emit(&mut read.runs, &deleted, &mut fill, r, from, to)?;
            let Some(k) = group.first().map(|h| h.offset) else {
                continue;
            };
            let here = group.get(..group.iter().take_while(|h| h.offset == k).count())?;
            *next.get_mut(parent)? += u32::try_from(here.len()).ok()?;
            // The rest of the run goes after the runs with greater ids hanging here, and
            // before the others.
            let rest = (k + 1 < len).then(|| {
                let first = ids.get(r as usize)?;
                Some(OpId {
                    counter: first.counter.saturating_add(u64::from(k + 1)),
                    author: first.author,
                })
            });
            let greater = match rest.flatten() {
                Some(rest) => here
                    .iter()
                    .take_while(|h| ids.get(h.run as usize) > Some(&rest))
                    .count(),
                None => here.len(),
            };
            let (before, after) = here.split_at(greater);
            stack.extend(after.iter().rev().map(|h| (h.run, 0)));
            if rest.is_some() {
                stack.push((r, k + 1));
            }
            stack.extend(before.iter().rev().map(|h| (h.run, 0)));
        }
        fill.close();
        Text::of_chunks(read.writers, fill.chunks)
    }

    /// The text of `chunks` filled in order (keys their positions), its characters by
    /// `writers`: indexed and counted.
    fn of_chunks(writers: Writers, chunks: Vec<Chunk>) -> Option<Text> {
        let mut text = Text {
            writers,
            next_key: u32::try_from(chunks.len()).ok()?,
            visible: chunks.iter().map(|c| c.chars.len()).sum(),
            ..Text::default()
        };
        for chunk in &chunks {
            // The block a span ends in is often the one the next span starts in.
            let mut known: Option<(u32, u64)> = None;
            for span in &chunk.spans {
                let same = known.filter(|(author, _)| *author == span.author);
                text.register(
                    span.author,
                    span.counter,
                    span.len,
                    chunk.key,
                    same.map(|(_, b)| b),
                );
                known = Some((span.author, block(span.counter_at(span.len.max(1) - 1))));
            }
        }
        text.chunks = chunks;
        text.reindex_from(0);
        Some(text)
    }
}

/// The hooks ordered by parent, and where each parent's start (parent `p`'s are
/// `starts[p]..starts[p + 1]`); a parent's hooks by offset, then greatest id first (`ids`
/// by run). Placed by counting, since parents are numbered: only the few hooks of one
/// parent are sorted.
fn by_parent(hooks: Vec<Hook>, ids: &[OpId]) -> Option<(Vec<Hook>, Vec<u32>)> {
    let mut starts = vec![0u32; ids.len() + 2];
    for h in &hooks {
        *starts.get_mut(h.parent as usize + 1)? += 1;
    }
    for i in 1..starts.len() {
        let before = *starts.get(i - 1)?;
        *starts.get_mut(i)? += before;
    }
    let blank = Hook {
        parent: 0,
        offset: 0,
        run: 0,
    };
    let mut placed = vec![blank; hooks.len()];
    let mut next = starts.clone();
    for h in hooks {
        let at = next.get_mut(h.parent as usize)?;
        *placed.get_mut(*at as usize)? = h;
        *at += 1;
    }
    for bounds in starts.windows(2) {
        let group = placed.get_mut(*bounds.first()? as usize..*bounds.get(1)? as usize)?;
        if group.len() > 1 {
            group.sort_unstable_by(|a, b| {
                a.offset
                    .cmp(&b.offset)
                    .then_with(|| ids.get(b.run as usize).cmp(&ids.get(a.run as usize)))
            });
        }
    }
    Some((placed, starts))
}

/// Adds to `fill` the characters `from..to` of run `r`, visible or deleted as `deleted`
/// (by author number) says.
fn emit(
    runs: &mut [Run<'_>],
    deleted: &[Vec<(u64, u64)>],
    fill: &mut Filler,
    r: u32,
    from: u32,
    to: u32,
) -> Option<()> {
    let run = runs.get_mut(r as usize)?;
    let (start, end) = (run.counter_at(from), run.counter_at(to));
    let author = run.writer;
    let gone = deleted.get(author as usize).map_or(&[][..], Vec::as_slice);
    let mut c = start;
    let mut i = gone.partition_point(|&(_, e)| e <= start);
    while c < end {
        // The visible characters up to the next deleted range, then that range.
        let (gone_from, gone_to) = gone
            .get(i)
            .map_or((end, end), |&(s, e)| (s.clamp(c, end), e.min(end)));
        if gone_from > c {
            let len = (gone_from - c) as u32;
            let span = Span {
                counter: c,
                len,
                author,
                deleted: false,
            };
            fill.visible(span, run.take(len), run.ascii);
        }
        if gone_to > gone_from {
            let len = (gone_to - gone_from) as u32;
            run.take(len);
            fill.deleted(Span {
                counter: gone_from,
                len,
                author,
                deleted: true,
            });
        }
        c = gone_to.max(gone_from);
        i += 1;
    }
    Some(())
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::ids::MemberId;
    use proptest::prelude::*;

    /// One edit of a generated log.
    #[derive(Clone, Debug)]
    enum Step {
        /// `len` characters by author `who`, after the `after`-th character ever inserted
        /// (modulo; `None`: at the start), with the author's next id plus `gap`.
        Insert {
            after: Option<usize>,
            who: u8,
            len: usize,
            gap: u64,
        },
        /// The same, but with ids that do not behave: `back` below the author's newest (a
        /// forked author's duplicate), or not above the character it follows.
        Misbehave {
            after: Option<usize>,
            who: u8,
            len: usize,
            back: u64,
        },
        /// An insert after an id nobody inserted yet.
        Dangling { who: u8, len: usize },
        /// Delete `len` ids from the `at`-th character ever inserted (modulo), whether or
        /// not they are all characters, or are there yet.
        Delete { at: usize, len: u32, ahead: u64 },
    }

    fn step(misbehave: bool) -> impl Strategy<Value = Step> {
        let odd = if misbehave { 1 } else { 0 };
        prop_oneof![
            8 => (proptest::option::of(any::<usize>()), 0u8..3, 1usize..6, 0u64..4)
                .prop_map(|(after, who, len, gap)| Step::Insert { after, who, len, gap }),
            odd => (proptest::option::of(any::<usize>()), 0u8..3, 1usize..6, 0u64..4)
                .prop_map(|(after, who, len, back)| Step::Misbehave { after, who, len, back }),
            odd => (0u8..3, 1usize..4).prop_map(|(who, len)| Step::Dangling { who, len }),
            4 => (any::<usize>(), 1u32..6, 0u64..3)
                .prop_map(|(at, len, ahead)| Step::Delete { at, len, ahead }),
        ]
    }

    /// Letters, and now and then a character of several bytes.
    fn letters(len: usize, seed: usize) -> String {
        (0..len)
            .map(|k| match (k + seed) % 7 {
                0 => 'é',
                i => char::from(b'a' + i as u8),
            })
            .collect()
    }

    /// An edit of a generated log, its text owned.
    enum Planned {
        Insert {
            after: Option<OpId>,
            first: OpId,
            text: String,
        },
        Delete(OpId, u32),
    }

    /// Turns steps into edits, each author's ids going up on its own so that
    /// concurrent-looking inserts interleave.
    fn log_of(steps: &[Step]) -> Vec<Planned> {
        let mut next = [1u64; 3];
        let mut ids: Vec<OpId> = Vec::new();
        let mut plan = Vec::new();
        // The character `after` picks among those inserted so far, and the id `counter`
        // of author `who`.
        let pick = |after: Option<usize>, ids: &[OpId]| {
            after.and_then(|a| ids.get(a % ids.len().max(1)).copied())
        };
        let id = |counter, who: u8| OpId {
            counter,
            author: MemberId::from_bytes([who + 1; 32]),
        };
        for (i, s) in steps.iter().enumerate() {
            match *s {
                Step::Insert {
                    after,
                    who,
                    len,
                    gap,
                } => {
                    let after = pick(after, &ids);
                    let w = usize::from(who);
                    let counter = next[w].max(after.map_or(0, |a| a.counter + 1)) + gap;
                    let first = id(counter, who);
                    next[w] = counter + len as u64;
                    ids.extend((0..len as u64).map(|k| id(counter + k, who)));
                    let text = letters(len, i);
                    plan.push(Planned::Insert { after, first, text });
                }
                Step::Misbehave {
                    after,
                    who,
                    len,
                    back,
                } => {
                    let after = pick(after, &ids);
                    let w = usize::from(who);
                    let counter = match after {
                        Some(a) if back % 2 == 0 => a.counter.saturating_sub(back / 2),
                        _ => next[w].saturating_sub(back + 1).max(1),
                    };
                    let first = id(counter, who);
                    let text = letters(len, i);
                    plan.push(Planned::Insert { after, first, text });
                }
                Step::Dangling { who, len } => {
                    let w = usize::from(who);
                    let (after, first) = (id(next[w] + 100, who), id(next[w] + 200, who));
                    let (after, text) = (Some(after), letters(len, i));
                    plan.push(Planned::Insert { after, first, text });
                }
                Step::Delete { at, len, ahead } => {
                    if let Some(&at) = ids.get(at % ids.len().max(1)) {
                        let first = OpId {
                            counter: at.counter + ahead * 3,
                            ..at
                        };
                        plan.push(Planned::Delete(first, len));
                    }
                }
            }
        }
        plan
    }

    /// Builds the log of `steps` at once (or one by one where it must) and one edit at a
    /// time, checks they agree, then edits both the same way and checks again.
    fn check(steps: Vec<Step>, expect_bulk: bool) -> Result<(), TestCaseError> {
        let plan = log_of(&steps);
        let mut log = TextLog::default();
        let mut one_by_one = Text::default();
        for edit in &plan {
            match edit {
                Planned::Insert { after, first, text } => {
                    one_by_one.insert(*after, *first, text);
                    log.insert(*after, *first, text);
                }
                &Planned::Delete(first, len) => {
                    one_by_one.delete(&[(first, len)]);
                    log.delete(&[(first, len)]);
                }
            }
        }
        if expect_bulk {
            prop_assert!(Text::built(&log).is_some(), "the log behaves");
        }
        let mut built = Text::default();
        log.apply_to(&mut built);
        prop_assert!(built == one_by_one);
        prop_assert_eq!(built.value(), one_by_one.value());
        for who in 1..=3u8 {
            let author = MemberId::from_bytes([who; 32]);
            prop_assert_eq!(
                built.writers.newest(&author),
                one_by_one.writers.newest(&author)
            );
        }
        // The built text's index, chunks and counts work as the other's do.
        let n = one_by_one.len();
        for pos in (0..n).step_by((n / 20).max(1)) {
            prop_assert_eq!(built.id_at(pos), one_by_one.id_at(pos));
            prop_assert_eq!(built.runs(pos, 7), one_by_one.runs(pos, 7));
        }
        let author = MemberId::from_bytes([9; 32]);
        for (k, edit) in plan.iter().enumerate().step_by(3) {
            let first = OpId {
                counter: 10_000 + 10 * k as u64,
                author,
            };
            if let Planned::Insert { after, .. } = edit {
                built.insert(*after, first, "xyz");
                one_by_one.insert(*after, first, "xyz");
            }
            if let Some(id) = one_by_one.id_at(k % one_by_one.len().max(1)) {
                built.delete(&[(id, 2)]);
                one_by_one.delete(&[(id, 2)]);
            }
        }
        prop_assert!(built == one_by_one);
        prop_assert_eq!(built.value(), one_by_one.value());
        Ok(())
    }

    proptest! {
        /// Law: a text built at once from a log of well-behaved edits — several authors
        /// whose ids interleave, inserts after any character, deletes of characters there or
        /// not — is the text the edits applied one by one make: same characters, ids,
        /// deletions and newest ids, and it takes further edits the same way.
        #[test]
        fn a_text_built_at_once_is_the_text_built_edit_by_edit(
            steps in proptest::collection::vec(step(false), 1..300)
        ) {
            check(steps, true)?;
        }

        /// Law: the same for any log — duplicate ids, ids not above the character they
        /// follow, inserts after characters not there yet — which is applied one by one
        /// where it cannot be built at once.
        #[test]
        fn any_log_applies_as_its_edits_one_by_one(
            steps in proptest::collection::vec(step(true), 1..300)
        ) {
            check(steps, false)?;
        }
    }

    /// A run split by inserts into it, with greater and smaller ids, and deleted in part.
    #[test]
    fn runs_cut_by_inserts_come_out_in_order() {
        let a = MemberId::from_bytes([1; 32]);
        let b = MemberId::from_bytes([2; 32]);
        let c = MemberId::from_bytes([3; 32]);
        let id = |counter, author| OpId { counter, author };
        let mut log = TextLog::default();
        let mut plain = Text::default();
        let edits: [(Option<OpId>, OpId, &str); 4] = [
            (None, id(1, a), "abcdef"),
            // After "c": greater than "d" (4, a), so before it.
            (Some(id(3, a)), id(4, b), "XY"),
            // After "c" too, smaller than "d": after "def" and what hangs on them.
            (Some(id(3, a)), id(3, c), "Z"),
            (Some(id(5, a)), id(9, b), "W"),
        ];
        for (after, first, s) in edits {
            log.insert(after, first, s);
            plain.insert(after, first, s);
        }
        log.delete(&[(id(2, a), 1)]);
        plain.delete(&[(id(2, a), 1)]);
        let built = Text::built(&log).expect("the log behaves");
        assert_eq!(built.value(), "acXYdeWfZ");
        assert!(built == plain);
    }
}
