//! aho-corasick's automaton laid out again for the walk: a DFA whose table
//! the four-lane walk (`walk.rs`) reads with one load per byte.
//!
//! The walk runs at the latency of the memory that holds the states it
//! visits, so what counts is how many cache lines and pages the states of
//! ordinary text take. aho-corasick's DFA numbers its states in the order
//! its trie was built, pattern after pattern, so the shallow states that
//! nearly every byte of text visits lie scattered over the whole table
//! (4.9 MB at 1,000 terms, 42 MB at 10,000), and rows are padded to a power
//! of two. Here the states are numbered breadth first from the start state
//! (match states first, so that one compare tells a match), rows are as
//! wide as there are byte classes, and each entry is the next state's row
//! offset. Over 60,000 generated news items (`scripts/bench-ab.sh`, 7
//! rounds), `newswatch scan` took 0.91 of the CPU time at 1,000 terms, 0.79
//! at 10,000 and 0.93 with the default watchlist, with the same alerts,
//! and the automata took 0.78 of the memory (`newswatch check`;
//! BENCHMARKS.md, "Fifth session").
//!
//! Built from aho-corasick's noncontiguous NFA with standard match
//! semantics, the one its own DFA is built from: its trie edges and its
//! match lists are taken as they are, and the rest of each row is filled
//! as aho-corasick fills its DFA's, so the states, their transitions and
//! their matches are the same. Building takes less time than aho-corasick's
//! DFA did (0.03 against 0.09 CPU s at 10,000 terms). The tests check the
//! matches against aho-corasick's overlapping iterator.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::nfa::noncontiguous::NFA;
use aho_corasick::{Anchored, PatternID};

/// A DFA over byte classes, states numbered breadth first, match states
/// first; see the module documentation.
pub struct PackedDfa {
    /// The class of each byte: bytes that occur in no pattern share one,
    /// every other byte has its own.
    classes: [u8; 256],
    /// Row of transitions of each state, `stride` entries: the offset of
    /// the next state's row.
    trans: Vec<u32>,
    /// Entries per row: the number of classes.
    stride: usize,
    /// Offset of the start state's row.
    start: u32,
    /// Rows below this offset are match states.
    match_limit: u32,
    /// The patterns of match state `k` (row `k`) are
    /// `matches[match_starts[k]..match_starts[k + 1]]`, in aho-corasick's
    /// order.
    match_starts: Vec<u32>,
    matches: Vec<PatternID>,
    /// Length in bytes of each pattern.
    pattern_lens: Vec<u32>,
    max_pattern_len: usize,
}

impl PackedDfa {
    /// The DFA of `nfa`, built with standard match semantics from
    /// `patterns` (in the same order). `None` when its table would not fit
    /// `u32` offsets (4 G entries; a DFA is built only up to
    /// [`super::automaton::DFA_MAX_PATTERNS`] patterns, far below that).
    ///
    /// The trie's edges are the NFA's own (anchored) transitions; the rest
    /// of each row is its failure state's row (the failure state of a
    /// child of `s` by byte `b` being where the failure state of `s` goes
    /// by `b`), which is how aho-corasick fills its own DFA.
    pub fn new<P: AsRef<[u8]>>(nfa: &NFA, patterns: &[P]) -> Option<Self> {
        let start = nfa.start_state(Anchored::No).ok()?;
        // Classes: 0 for the bytes in no pattern, if any (they lead every
        // state back to the start state), then one for each byte in some
        // pattern, in byte order; a representative byte each.
        let mut on_edge = [false; 256];
        for p in patterns {
            for &b in p.as_ref() {
                on_edge[usize::from(b)] = true;
            }
        }
        let mut classes = [0u8; 256];
        let mut representative: Vec<u8> = (0..=255u8)
            .find(|&b| !on_edge[usize::from(b)])
            .into_iter()
            .collect();
        for b in 0..=255u8 {
            if on_edge[usize::from(b)] {
                classes[usize::from(b)] = representative.len() as u8;
                representative.push(b);
            }
        }
        let stride = representative.len();

        // The trie, breadth first: each state's NFA id and its children
        // `(class, state)`.
        let mut order: Vec<StateID> = vec![start];
        let mut child_starts: Vec<u32> = vec![0];
        let mut children: Vec<(u8, u32)> = Vec::new();
        let mut at = 0;
        while at < order.len() {
            let s = order[at];
            at += 1;
            for (c, &b) in representative.iter().enumerate() {
                let n = nfa.next_state(Anchored::Yes, s, b);
                // The unanchored start state loops to itself on a byte
                // that starts no pattern; others have no such edge.
                if !nfa.is_dead(n) && n != start {
                    children.push((c as u8, u32::try_from(order.len()).ok()?));
                    order.push(n);
                }
            }
            child_starts.push(u32::try_from(children.len()).ok()?);
        }

        // Rows: match states first, each group breadth first.
        let (mut rows, rest): (Vec<usize>, Vec<usize>) =
            (0..order.len()).partition(|&k| nfa.is_match(order[k]));
        let match_states = rows.len();
        rows.extend(rest);
        let mut offset_of = vec![0u32; order.len()];
        for (r, &k) in rows.iter().enumerate() {
            offset_of[k] = u32::try_from(r.checked_mul(stride)?).ok()?;
        }
        u32::try_from(order.len().checked_mul(stride)?).ok()?;

        let mut trans = vec![0u32; order.len() * stride];
        // The failure state's row offset of each state, breadth first.
        let mut fail = vec![0u32; order.len()];
        for k in 0..order.len() {
            let row = offset_of[k] as usize;
            if k == 0 {
                trans[row..row + stride].fill(offset_of[0]);
            } else {
                let from = fail[k] as usize;
                trans.copy_within(from..from + stride, row);
            }
            for &(c, child) in &children[child_starts[k] as usize..child_starts[k + 1] as usize] {
                fail[child as usize] = if k == 0 {
                    offset_of[0]
                } else {
                    trans[fail[k] as usize + usize::from(c)]
                };
                trans[row + usize::from(c)] = offset_of[child as usize];
            }
        }

        let mut match_starts = vec![0u32];
        let mut matches = Vec::new();
        for &k in &rows[..match_states] {
            let s = order[k];
            matches.extend((0..nfa.match_len(s)).map(|i| nfa.match_pattern(s, i)));
            match_starts.push(u32::try_from(matches.len()).ok()?);
        }
        let pattern_lens = (0..nfa.patterns_len())
            .map(|p| u32::try_from(nfa.pattern_len(PatternID::new_unchecked(p))).ok())
            .collect::<Option<Vec<u32>>>()?;
        Some(PackedDfa {
            classes,
            stride,
            trans,
            start: offset_of[0],
            match_limit: u32::try_from(match_states * stride).ok()?,
            match_starts,
            matches,
            pattern_lens,
            max_pattern_len: nfa.max_pattern_len(),
        })
    }

    /// The start state (a row offset).
    #[inline(always)]
    pub fn start(&self) -> u32 {
        self.start
    }

    /// The state after `state` reads `byte`.
    #[inline(always)]
    pub fn next(&self, state: u32, byte: u8) -> u32 {
        self.trans[state as usize + usize::from(self.classes[usize::from(byte)])]
    }

    /// Whether `state` has matches.
    #[inline(always)]
    pub fn is_match(&self, state: u32) -> bool {
        state < self.match_limit
    }

    /// The patterns that end where `state` was reached, in aho-corasick's
    /// order; empty unless [`PackedDfa::is_match`].
    #[inline]
    pub fn matches(&self, state: u32) -> &[PatternID] {
        if !self.is_match(state) {
            return &[];
        }
        let k = state as usize / self.stride;
        &self.matches[self.match_starts[k] as usize..self.match_starts[k + 1] as usize]
    }

    /// Length in bytes of pattern `p`.
    #[inline]
    pub fn pattern_len(&self, p: PatternID) -> usize {
        self.pattern_lens[p.as_usize()] as usize
    }

    /// Length in bytes of the longest pattern.
    pub fn max_pattern_len(&self) -> usize {
        self.max_pattern_len
    }

    /// How many patterns it holds.
    pub fn patterns_len(&self) -> usize {
        self.pattern_lens.len()
    }

    /// Heap bytes.
    pub fn memory_usage(&self) -> usize {
        self.trans.capacity() * 4
            + self.match_starts.capacity() * 4
            + self.matches.capacity() * std::mem::size_of::<PatternID>()
            + self.pattern_lens.capacity() * 4
    }
}
