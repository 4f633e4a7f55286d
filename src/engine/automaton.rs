//! The Aho-Corasick automaton over every term of a watchlist, built once
//! and run once per field over its case-folded normalization.
//!
//! Terms of case-sensitive sets are in it too, in their folded form, with
//! the exact form kept aside: a match of one is checked against the
//! original text (`exact`), which spares a second normalization and a
//! second automaton pass over every field.
//!
//! Identical normalized patterns are stored once; each pattern keeps the
//! list of terms (owner operand, prefix or not) that it stands for, so a term
//! shared by several sets costs one automaton pattern.
//!
//! Owns the automaton and what its patterns stand for; it checks no
//! boundaries and evaluates no rules (`engine/mod.rs`, `engine/rules.rs`).

use aho_corasick::automaton::Automaton as _;
use aho_corasick::dfa::DFA;
use aho_corasick::nfa::contiguous::NFA;
use aho_corasick::nfa::noncontiguous;
use aho_corasick::{AhoCorasickKind, MatchKind, PatternID};

use super::packed::PackedDfa;
use super::walk::{self, Lanes};

use crate::text::normalize::{Form, normalize};
use crate::text::words::is_cjk;
use crate::watchlist::{Operand, Term};

/// Up to this many patterns aho-corasick's own automaton is a DFA, above it
/// a contiguous NFA: the kind of the bare automaton the benchmarks compare
/// the engine with (`examples/bare_automaton.rs`, `benches/engine.rs`), and
/// the engine's own kind before the [`PackedDfa`]. Measured here (`cargo
/// bench --bench engine`, DFA-vs-NFA report), the DFA scans 2 to 3 times
/// faster at every size up to 20,000 patterns, but costs about 4 KiB per
/// pattern (41 MiB at 10,000). The engine itself walks a [`PackedDfa`] up
/// to [`PACKED_MAX_PATTERNS`].
pub const DFA_MAX_PATTERNS: usize = 10_000;

/// A DFA also needs the sum of its patterns' squared lengths (bytes²) at
/// most this: aho-corasick fills each missing DFA transition by walking
/// failure links, and a self-repeating pattern of L bytes (`aaaa…`) has a
/// chain L long at each of its L states, so its build costs L² per byte
/// class (issue 14: 1,000 such terms of 256 characters took 21 s and 131 MB
/// as a DFA, 0.04 s and 3 MB as a contiguous NFA). 10,000 news terms of
/// 12 bytes sum to 1.4 M, the default watchlist to some 0.2 M; the longest
/// terms (256 characters, 1 KiB of UTF-8) fit four of the worst kind.
pub const DFA_MAX_SQUARED_BYTES: usize = 1 << 22;

/// Up to this many patterns the automaton is a [`PackedDfa`], above it a
/// contiguous NFA: the packed one costs more to build (at 100,000
/// generated terms a scan's start-up took 2.1 G instructions against the
/// contiguous NFA's 1.5 G, and its automata 85 against 13 MiB), and the
/// 1M-term build must stay under 10 s (BENCHMARKS.md).
pub const PACKED_MAX_PATTERNS: usize = 200_000;

/// Bytes of rows a [`PackedDfa`] may take; states beyond them are deep
/// states, stepped as an NFA steps. 10,000 generated terms take 32 MiB of
/// rows, all their states; at 100,000 terms (some 280 MiB for every state)
/// this holds the first 140,000 states breadth first, and about 5% of the
/// walk's steps go deeper. Against the contiguous NFA at 100,000 terms:
/// 0.70 of the instructions of a scan and about 0.65 of its CPU per item,
/// for 85 instead of 13 MiB of automata (32 MiB of rows: 0.74 and 0.83,
/// BENCHMARKS.md, "Fifth session").
pub const PACKED_MAX_BYTES: usize = 64 << 20;

/// One term behind a pattern, with the boundary checks it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermRef {
    /// The set or inline term the term belongs to.
    pub operand: Operand,
    /// Index of the term within its set (0 for inline terms).
    pub term: u32,
    /// A word boundary is needed before the match (the term does not start
    /// with a CJK character).
    pub check_start: bool,
    /// A word boundary is needed after it (not a prefix term and the term
    /// does not end with a CJK character).
    pub check_end: bool,
    /// A prefix term: the match extends to the end of the word it starts.
    pub prefix: bool,
    /// For a term of a case-sensitive set, its exact pattern, as an index
    /// into [`Automaton::exact`]; `NO_EXACT` otherwise.
    pub exact: u32,
}

/// The byte between the normalized fields of an item walked as one text
/// (`engine::each_match`): never in UTF-8, so in no pattern, and no match
/// spans two fields.
pub const FIELD_SEPARATOR: u8 = 0xFF;

/// `TermRef::exact` of a case-folded term.
pub const NO_EXACT: u32 = u32::MAX;

/// An automaton and what each of its patterns stands for.
pub struct Automaton {
    /// The automaton over the normalized, case-folded patterns, each once,
    /// in sorted order; run with overlapping search (every occurrence
    /// counts, SPEC section 2) by [`Automaton::for_each_match`].
    search: Search,
    /// The terms of pattern `p` are `refs[starts[p]..starts[p + 1]]`: one
    /// flat list, as most patterns stand for one term.
    refs: Vec<TermRef>,
    starts: Vec<u32>,
    /// Exact (not case-folded) patterns of case-sensitive terms.
    exact: Vec<String>,
}

/// A confusable term's body as written, in lower case and in upper case:
/// the variants whose skeletons are added ([`AutomatonBuilder::add_skeletons`]).
pub fn case_variants(body: &str) -> [String; 3] {
    [body.to_owned(), body.to_lowercase(), body.to_uppercase()]
}

/// The automaton proper, of the kind [`PACKED_MAX_PATTERNS`] chooses; held
/// as its own type, not behind `AhoCorasick`, so that `walk` can step it.
/// aho-corasick's DFA where it has a prefilter for the patterns (a handful
/// of them: its search then skips text between their first bytes).
enum Search {
    Packed(PackedDfa),
    Dfa(DFA),
    Nfa(NFA),
}

impl Automaton {
    /// Calls `out(pattern, start, end)` for every occurrence of every
    /// pattern in `bytes` (byte offsets), overlapping ones included, by
    /// end (`walk`: the order of aho-corasick's overlapping iterator).
    /// `bytes` is normalized text, or several joined by
    /// [`FIELD_SEPARATOR`], which no pattern holds.
    #[inline]
    pub fn for_each_match(
        &self,
        bytes: &[u8],
        lanes: &mut Lanes,
        out: &mut impl FnMut(PatternID, usize, usize),
    ) {
        match &self.search {
            Search::Packed(a) => walk::overlapping(a, bytes, lanes, &mut |p, end| {
                out(p, end - a.pattern_len(p), end);
            }),
            Search::Dfa(a) => walk::one_lane(a, bytes, &mut |p, end| {
                out(p, end - a.pattern_len(p), end);
            }),
            // A contiguous NFA's step follows failure links, a loop of
            // branches: four lanes of it were 1.3x slower over generated
            // news at 100,000 terms (BENCHMARKS.md, "Four walks at a time").
            Search::Nfa(a) => walk::one_lane(a, bytes, &mut |p, end| {
                out(p, end - a.pattern_len(p), end);
            }),
        }
    }

    /// How many patterns the automaton holds (each distinct normalized
    /// term once).
    pub fn patterns_len(&self) -> usize {
        match &self.search {
            Search::Packed(a) => a.patterns_len(),
            Search::Dfa(a) => a.patterns_len(),
            Search::Nfa(a) => a.patterns_len(),
        }
    }

    /// `DFA` or `ContiguousNFA`.
    pub fn kind(&self) -> AhoCorasickKind {
        match &self.search {
            Search::Packed(_) | Search::Dfa(_) => AhoCorasickKind::DFA,
            Search::Nfa(_) => AhoCorasickKind::ContiguousNFA,
        }
    }

    /// The exact pattern a case-sensitive term must equal.
    #[inline]
    pub fn exact(&self, i: u32) -> &str {
        &self.exact[i as usize]
    }

    /// The terms behind a pattern.
    #[inline]
    pub fn terms(&self, pattern: usize) -> &[TermRef] {
        &self.refs[self.starts[pattern] as usize..self.starts[pattern + 1] as usize]
    }

    /// Heap bytes: the automaton and the term lists.
    pub fn memory_usage(&self) -> usize {
        let search = match &self.search {
            Search::Packed(a) => a.memory_usage(),
            Search::Dfa(a) => a.memory_usage(),
            Search::Nfa(a) => a.memory_usage(),
        };
        search
            + self.exact.iter().map(String::capacity).sum::<usize>()
            + self.refs.capacity() * std::mem::size_of::<TermRef>()
            + self.starts.capacity() * std::mem::size_of::<u32>()
    }
}

impl std::fmt::Debug for Automaton {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Automaton")
            .field("kind", &self.kind())
            .field("patterns", &self.patterns_len())
            .field("memory", &self.memory_usage())
            .finish()
    }
}

/// What a pattern of `term` stands for, with the boundary checks it needs.
fn term_ref(term: &Term, operand: Operand, index: u32, exact: u32) -> TermRef {
    let first = term.pattern.chars().next().is_some_and(|c| !is_cjk(c));
    let last = term.pattern.chars().next_back().is_some_and(|c| !is_cjk(c));
    TermRef {
        operand,
        term: index,
        check_start: first,
        check_end: last && !term.prefix,
        prefix: term.prefix,
        exact,
    }
}

/// Collects terms, then builds.
#[derive(Default)]
pub struct AutomatonBuilder {
    /// Every term's pattern (its normalized form) with what it stands for,
    /// in the order added; grouped by pattern when built.
    entries: Vec<(String, TermRef)>,
    exact: Vec<String>,
}

impl AutomatonBuilder {
    /// Adds a term (already normalized by the watchlist) of `operand`,
    /// `index` being its place in its set (0 for an inline term). A
    /// case-sensitive term is added in its folded form, its exact form kept
    /// for the check on a match.
    pub fn add(&mut self, term: &Term, operand: Operand, index: u32) {
        // A case-sensitive term is found by its folded form, then checked.
        let (pattern, exact) = if term.case_sensitive {
            self.exact.push(term.pattern.clone());
            (
                normalize(&term.pattern, Form::Folded),
                (self.exact.len() - 1) as u32,
            )
        } else {
            (term.pattern.clone(), NO_EXACT)
        };
        let r = term_ref(term, operand, index, exact);
        self.entries.push((pattern, r));
    }

    /// Adds the skeleton patterns ([`Form::Skeleton`]) of a term of a set
    /// with `confusables = true`, for the automaton run over the skeleton
    /// of each field. UTS #39 skeletons keep case (`I` and `l` share one,
    /// `i` has its own), so the term is added as written, in lower case and
    /// in upper case: a look-alike of any of the three matches, whatever the
    /// case of the text. A case-sensitive term is not added (the loader
    /// refuses the combination).
    ///
    /// Returns the skeletons added.
    pub fn add_skeletons(
        &mut self,
        term: &Term,
        operand: Operand,
        index: u32,
    ) -> impl Iterator<Item = &str> {
        let from = self.entries.len();
        if !term.case_sensitive {
            self.push_skeletons(term, operand, index);
        }
        self.entries[from..].iter().map(|(k, _)| k.as_str())
    }

    fn push_skeletons(&mut self, term: &Term, operand: Operand, index: u32) {
        let body = term.body();
        let r = term_ref(term, operand, index, NO_EXACT);
        let mut keys: Vec<String> = case_variants(body)
            .iter()
            .map(|v| normalize(v, Form::Skeleton).trim().to_owned())
            .filter(|k| !k.is_empty())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        self.entries.extend(keys.into_iter().map(|k| (k, r)));
    }

    /// No term added yet; an automaton over no patterns is not built.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Builds the automaton: a [`PackedDfa`] up to [`PACKED_MAX_PATTERNS`]
    /// distinct patterns (aho-corasick's DFA where it has a prefilter and
    /// the patterns are at most [`DFA_MAX_SQUARED_BYTES`] squared bytes in
    /// all), a contiguous NFA above.
    ///
    /// # Errors
    ///
    /// The `aho-corasick` build error when the patterns need more states
    /// than its state identifiers can count.
    pub fn build(mut self) -> Result<Automaton, aho_corasick::BuildError> {
        // Sorted by pattern (stable: a pattern's terms stay in the order
        // added), equal patterns are neighbours and become one automaton
        // pattern. The builder also gets its patterns sorted: consecutive
        // ones share their prefixes, so building the trie and its failure
        // links walks memory it has just touched (`newswatch check` of 1M
        // generated terms: 12.9-13.1 -> 6.9-8.6 s, BENCHMARKS.md).
        self.entries.sort_by(|a, b| a.0.cmp(&b.0));
        let exact = self.exact;
        let exact_of =
            |x: &TermRef| (x.exact != NO_EXACT).then(|| exact[x.exact as usize].as_str());
        let mut patterns: Vec<&str> = Vec::new();
        let mut refs: Vec<TermRef> = Vec::with_capacity(self.entries.len());
        let mut starts: Vec<u32> = Vec::new();
        let mut group = 0; // where the current pattern's terms start in `refs`
        for (pattern, r) in &self.entries {
            if patterns.last() != Some(&pattern.as_str()) {
                patterns.push(pattern);
                group = refs.len();
                starts.push(group as u32);
            }
            // The same term twice in one set ("H200" and "Ｈ２００") is one term.
            if !refs[group..].iter().any(|x| {
                x.operand == r.operand && x.prefix == r.prefix && exact_of(x) == exact_of(r)
            }) {
                refs.push(*r);
            }
        }
        starts.push(refs.len() as u32);
        let contiguous = || {
            NFA::builder()
                .match_kind(MatchKind::Standard)
                .build(&patterns)
        };
        let search = if patterns.len() <= PACKED_MAX_PATTERNS {
            let nfa = noncontiguous::NFA::builder()
                .match_kind(MatchKind::Standard)
                .build(&patterns)?;
            let squared = || patterns.iter().map(|p| p.len() * p.len()).sum::<usize>();
            if nfa.prefilter().is_some() && squared() <= DFA_MAX_SQUARED_BYTES {
                Search::Dfa(
                    DFA::builder()
                        .match_kind(MatchKind::Standard)
                        .build(&patterns)?,
                )
            } else if let Some(packed) = PackedDfa::new(&nfa, &patterns, PACKED_MAX_BYTES) {
                Search::Packed(packed)
            } else {
                Search::Nfa(contiguous()?)
            }
        } else {
            Search::Nfa(contiguous()?)
        };
        Ok(Automaton {
            search,
            refs,
            starts,
            exact,
        })
    }
}
