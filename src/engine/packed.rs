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
//! Above [`super::automaton::PACKED_MAX_BYTES`] of rows (100,000 terms
//! would need some 280 MiB), only the first states breadth first get a
//! row; the others are *deep* states, numbered from [`DEEP`] up, each with
//! its own trie edges and its failure state, stepped as an NFA steps. Text
//! seldom goes that deep, so nearly every step is still one load: at
//! 100,000 terms a scan took 0.70 of the instructions it took with
//! aho-corasick's contiguous NFA (one lane), and about 0.65 of the CPU
//! time. The walk's loop is compiled twice ([`PackedDfa::step`]), so a DFA
//! with a row for every state pays nothing for the deep ones.
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
    /// The states beyond the rows' budget, [`DEEP`] and up.
    deep: Deep,
}

/// State numbers from this one up are deep states (`DEEP + i` is
/// `Deep`'s state `i`); below it, row offsets.
const DEEP: u32 = 1 << 31;

/// The states that did not get a row: each keeps its own trie edges and its
/// failure state, as an NFA state does. Text seldom goes this deep (over
/// generated news at 100,000 terms, 5.8% of the steps went past the first
/// 128,000 states breadth first, 1.5% past 256,000), and every failure
/// chain ends in a state with a row.
#[derive(Default)]
struct Deep {
    /// The failure state of each deep state (a state number).
    fail: Vec<u32>,
    /// The edges of deep state `i`: `edges[edge_starts[i]..edge_starts[i + 1]]`,
    /// each `(class, state number)`.
    edge_starts: Vec<u32>,
    edges: Vec<(u8, u32)>,
    /// The patterns of deep state `i`:
    /// `matches[match_starts[i]..match_starts[i + 1]]`.
    match_starts: Vec<u32>,
    matches: Vec<PatternID>,
}

impl Deep {
    /// The state after state `s` reads a byte of class `class`, `trans`
    /// being the rows.
    #[inline]
    fn next(&self, trans: &[u32], mut s: u32, class: usize) -> u32 {
        loop {
            if s < DEEP {
                return trans[s as usize + class];
            }
            let i = (s - DEEP) as usize;
            let edges = &self.edges[self.edge_starts[i] as usize..self.edge_starts[i + 1] as usize];
            if let Some(&(_, to)) = edges.iter().find(|&&(c, _)| usize::from(c) == class) {
                return to;
            }
            s = self.fail[i];
        }
    }
}

/// Appends the patterns of NFA state `s` to `matches`, in aho-corasick's
/// order, and where they end to `starts`; `None` past `u32` entries.
fn push_matches(
    nfa: &NFA,
    s: StateID,
    matches: &mut Vec<PatternID>,
    starts: &mut Vec<u32>,
) -> Option<()> {
    matches.extend((0..nfa.match_len(s)).map(|i| nfa.match_pattern(s, i)));
    starts.push(u32::try_from(matches.len()).ok()?);
    Some(())
}

impl PackedDfa {
    /// The DFA of `nfa`, built with standard match semantics from
    /// `patterns` (in the same order), with rows for as many states as fit
    /// `max_bytes` (the first breadth first, the start state always); the others
    /// are deep states, stepped as an NFA steps. `None` when the rows would
    /// not fit `u32` offsets below [`DEEP`].
    ///
    /// The trie's edges are the NFA's own (anchored) transitions; the rest
    /// of each row is its failure state's row (the failure state of a
    /// child of `s` by byte `b` being where the failure state of `s` goes
    /// by `b`), which is how aho-corasick fills its own DFA.
    pub fn new<P: AsRef<[u8]>>(nfa: &NFA, patterns: &[P], max_bytes: usize) -> Option<Self> {
        let start = nfa.start_state(Anchored::No).ok()?;
        // Classes: 0 for the bytes in no pattern, if any (they lead every
        // state back to the start state), then one for each byte in some
        // pattern, in byte order.
        let mut on_edge = [false; 256];
        for p in patterns {
            for &b in p.as_ref() {
                on_edge[usize::from(b)] = true;
            }
        }
        let mut classes = [0u8; 256];
        let mut stride = usize::from(on_edge.contains(&false));
        for (class, &on) in classes.iter_mut().zip(&on_edge) {
            if on {
                *class = stride as u8;
                stride += 1;
            }
        }

        // The trie's edges, `(parent, class, child)` by NFA id, each found
        // once by walking the patterns from the start state (one lookup
        // per pattern byte, where trying every byte class of every state
        // took 0.2-0.35 s more at 100,000 terms).
        let mut seen: Vec<bool> = Vec::new();
        let mut edges: Vec<(StateID, u8, StateID)> = Vec::new();
        for p in patterns {
            let mut s = start;
            for &b in p.as_ref() {
                let n = nfa.next_state(Anchored::Yes, s, b);
                if nfa.is_dead(n) || n == start {
                    return None; // not the NFA of these patterns
                }
                let id = n.as_usize();
                if seen.len() <= id {
                    seen.resize(id + 1, false);
                }
                if !seen[id] {
                    seen[id] = true;
                    edges.push((s, classes[usize::from(b)], n));
                }
                s = n;
            }
        }
        edges.sort_unstable_by_key(|&(parent, class, _)| (parent, class));
        // Breadth first from the start state, children in class order:
        // each state's NFA id, and its children `(class, state)`.
        let mut order: Vec<StateID> = vec![start];
        let mut child_starts: Vec<u32> = vec![0];
        let mut children: Vec<(u8, u32)> = Vec::new();
        let mut at = 0;
        while at < order.len() {
            let s = order[at];
            at += 1;
            let from = edges.partition_point(|&(parent, _, _)| parent < s);
            for &(_, c, n) in edges[from..]
                .iter()
                .take_while(|&&(parent, _, _)| parent == s)
            {
                children.push((c, u32::try_from(order.len()).ok()?));
                order.push(n);
            }
            child_starts.push(u32::try_from(children.len()).ok()?);
        }
        drop((seen, edges)); // before the rows are allocated: peak memory

        // Rows for the first `packed` states breadth first, match states
        // first, each group breadth first; state numbers for the rest.
        let packed = order.len().min((max_bytes / (4 * stride)).max(1));
        let (mut rows, rest): (Vec<usize>, Vec<usize>) =
            (0..packed).partition(|&k| nfa.is_match(order[k]));
        let match_states = rows.len();
        rows.extend(rest);
        let mut number = vec![0u32; order.len()];
        for (r, &k) in rows.iter().enumerate() {
            number[k] = u32::try_from(r.checked_mul(stride)?).ok()?;
        }
        if packed.checked_mul(stride)? >= DEEP as usize || order.len() - packed >= DEEP as usize {
            return None;
        }
        for (k, n) in number.iter_mut().enumerate().skip(packed) {
            *n = DEEP + (k - packed) as u32;
        }

        let mut trans = vec![0u32; packed * stride];
        let mut deep = Deep {
            edge_starts: vec![0],
            match_starts: vec![0],
            ..Deep::default()
        };
        // The failure state of each state, breadth first: where the
        // failure state of its parent goes by its byte (breadth first, that
        // state and everything it fails to are done).
        let mut fail = vec![0u32; order.len()];
        for k in 0..order.len() {
            let own = &children[child_starts[k] as usize..child_starts[k + 1] as usize];
            for &(c, child) in own {
                fail[child as usize] = if k == 0 {
                    number[0]
                } else {
                    deep.next(&trans, fail[k], usize::from(c))
                };
            }
            if k < packed {
                let row = number[k] as usize;
                if k == 0 {
                    trans[row..row + stride].fill(number[0]);
                } else {
                    // A state with a row fails to one with a row: it is
                    // earlier breadth first.
                    let from = fail[k] as usize;
                    trans.copy_within(from..from + stride, row);
                }
                for &(c, child) in own {
                    trans[row + usize::from(c)] = number[child as usize];
                }
            } else {
                let s = order[k];
                deep.fail.push(fail[k]);
                deep.edges
                    .extend(own.iter().map(|&(c, child)| (c, number[child as usize])));
                deep.edge_starts.push(u32::try_from(deep.edges.len()).ok()?);
                push_matches(nfa, s, &mut deep.matches, &mut deep.match_starts)?;
            }
        }

        let mut match_starts = vec![0u32];
        let mut matches = Vec::new();
        for &k in &rows[..match_states] {
            push_matches(nfa, order[k], &mut matches, &mut match_starts)?;
        }
        let pattern_lens = (0..nfa.patterns_len())
            .map(|p| u32::try_from(nfa.pattern_len(PatternID::new_unchecked(p))).ok())
            .collect::<Option<Vec<u32>>>()?;
        Some(PackedDfa {
            classes,
            stride,
            trans,
            start: number[0],
            match_limit: u32::try_from(match_states * stride).ok()?,
            match_starts,
            matches,
            pattern_lens,
            max_pattern_len: nfa.max_pattern_len(),
            deep,
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
        self.step::<true>(state, byte)
    }

    /// [`PackedDfa::next`], for a DFA that has deep states only if `DEEP_STATES`
    /// (else `state` must have a row): the walk's loop is compiled once
    /// each way, so that a DFA whose every state has a row
    /// ([`PackedDfa::is_full`]) pays no branch per step.
    #[inline(always)]
    pub fn step<const DEEP_STATES: bool>(&self, state: u32, byte: u8) -> u32 {
        let class = usize::from(self.classes[usize::from(byte)]);
        if !DEEP_STATES || state < DEEP {
            self.trans[state as usize + class]
        } else {
            self.deep_next(state, class)
        }
    }

    #[inline(never)]
    fn deep_next(&self, state: u32, class: usize) -> u32 {
        self.deep.next(&self.trans, state, class)
    }

    /// Whether `state` may have matches: a match state with a row, or a
    /// deep state (one compare).
    #[inline(always)]
    pub fn is_special(&self, state: u32) -> bool {
        self.special::<true>(state)
    }

    /// [`PackedDfa::is_special`], for a DFA that has deep states only if
    /// `DEEP_STATES` ([`PackedDfa::step`]).
    #[inline(always)]
    pub fn special<const DEEP_STATES: bool>(&self, state: u32) -> bool {
        if DEEP_STATES {
            state.wrapping_sub(self.match_limit) >= DEEP - self.match_limit
        } else {
            state < self.match_limit
        }
    }

    /// The patterns that end where `state` was reached, in aho-corasick's
    /// order.
    #[inline]
    pub fn matches(&self, state: u32) -> &[PatternID] {
        let (starts, matches, k) = if state >= DEEP {
            (
                &self.deep.match_starts,
                &self.deep.matches,
                (state - DEEP) as usize,
            )
        } else if state < self.match_limit {
            (
                &self.match_starts,
                &self.matches,
                state as usize / self.stride,
            )
        } else {
            return &[];
        };
        &matches[starts[k] as usize..starts[k + 1] as usize]
    }

    /// Bytes of one row: 4 per byte class.
    pub fn row_bytes(&self) -> usize {
        4 * self.stride
    }

    /// Whether every state has a row.
    pub fn is_full(&self) -> bool {
        self.deep.fail.is_empty()
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
        let d = &self.deep;
        (self.trans.capacity()
            + self.match_starts.capacity()
            + self.pattern_lens.capacity()
            + d.fail.capacity()
            + d.edge_starts.capacity()
            + d.match_starts.capacity())
            * 4
            + (self.matches.capacity() + d.matches.capacity()) * std::mem::size_of::<PatternID>()
            + d.edges.capacity() * std::mem::size_of::<(u8, u32)>()
    }
}
