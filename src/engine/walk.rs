//! The overlapping search over one normalized field, four walks at a time.
//!
//! An Aho-Corasick DFA walk is one chain of dependent loads: each state is
//! read from a table of megabytes (3.2 MiB of automata for the default
//! watchlist, 32 MiB at 10,000 terms: `newswatch check`) before the next
//! byte can be looked at, so it runs at the latency of the cache that holds
//! it, not at the processor's speed. A long
//! field is therefore cut into four lanes walked side by side, each step
//! taking one byte of each, so the four loads are in flight together
//! (memory-level parallelism). `examples/bare_automaton.rs` measures this
//! walk against aho-corasick's own overlapping iterator over the same text
//! (BENCHMARKS.md, "Four walks at a time").
//!
//! Each lane but the first starts [`PackedDfa::max_pattern_len`] bytes
//! before its part, unreported: a match ending in the part is at most that
//! long, so it is a suffix of what the lane has read, and an unanchored
//! automaton's state holds every pattern that is a suffix of its input.
//! Matches come out exactly as aho-corasick's overlapping iterator gives
//! them: by end, and at one end in the state's pattern order; the later
//! lanes' matches wait in [`Lanes`] until the lanes before them are done.
//!
//! The walk reads a [`PackedDfa`], aho-corasick's automaton laid out again
//! (`packed.rs`); short fields are walked by it as one lane. Automata with a
//! prefilter (a handful of patterns: aho-corasick then skips text with a
//! vectorized search for their first bytes) and contiguous NFAs go through
//! aho-corasick's own iterator ([`one_lane`]).
//!
//! Knows nothing of terms, boundaries or rules: it gives pattern ids and end
//! offsets, and the engine judges them (`engine/mod.rs`).

use aho_corasick::automaton::Automaton;
use aho_corasick::{Input, PatternID};

use super::packed::PackedDfa;

/// Fields shorter than this many bytes, or than [`LANE_SPANS`] times the
/// longest pattern, are walked as one lane: the three warm-ups (the longest
/// pattern each) would cost more than the interleaving saves.
const MIN_INTERLEAVED_BYTES: usize = 256;

/// A field is interleaved only when it is at least this many times the
/// longest pattern: then the warm-ups add at most 3/16 of a walk.
const LANE_SPANS: usize = 16;

/// Buffers for the matches of lanes 1 to 3, held until the lanes before
/// them have given theirs; each match is `(pattern, end)`. Reused from
/// field to field.
#[derive(Debug, Default)]
pub struct Lanes {
    held: [Vec<(PatternID, u32)>; 3],
}

/// Calls `out(pattern, end)` for every occurrence of every pattern of
/// `dfa` in `haystack`, overlapping ones included, `end` in bytes of
/// `haystack`; in the order of aho-corasick's overlapping iterator.
pub fn overlapping(
    dfa: &PackedDfa,
    haystack: &[u8],
    lanes: &mut Lanes,
    out: &mut impl FnMut(PatternID, usize),
) {
    let long = haystack.len() >= MIN_INTERLEAVED_BYTES
        && haystack.len() >= LANE_SPANS * dfa.max_pattern_len();
    match (long, dfa.is_full()) {
        (true, true) => interleaved::<false>(dfa, haystack, lanes, out),
        (true, false) => interleaved::<true>(dfa, haystack, lanes, out),
        (false, _) => {
            let mut s = dfa.start();
            for (j, &b) in haystack.iter().enumerate() {
                s = dfa.next(s, b);
                report(dfa, s, j + 1, out);
            }
        }
    }
}

/// aho-corasick's own overlapping iterator: for automata whose steps do
/// not gain from interleaving; `out` as for [`overlapping`]. `automaton`
/// must support unanchored searches with standard match semantics (the
/// engine builds it so); an automaton that does not gives no matches.
pub fn one_lane<A: Automaton>(
    automaton: &A,
    haystack: &[u8],
    out: &mut impl FnMut(PatternID, usize),
) {
    let Ok(matches) = automaton.try_find_overlapping_iter(Input::new(haystack)) else {
        return;
    };
    for m in matches {
        out(m.pattern(), m.end());
    }
}

/// Four lanes side by side; `haystack` is at least [`LANE_SPANS`] times the
/// longest pattern. `DEEP_STATES`: `dfa` may have deep states
/// ([`PackedDfa::step`]).
fn interleaved<const DEEP_STATES: bool>(
    dfa: &PackedDfa,
    haystack: &[u8],
    lanes: &mut Lanes,
    out: &mut impl FnMut(PatternID, usize),
) {
    let start = dfa.start();
    let quarter = haystack.len() / 4;
    let max_len = dfa.max_pattern_len();
    // Lane k (1..=3) first reads the `max_len` bytes before its part.
    let mut states = [start; 4];
    for (k, state) in states.iter_mut().enumerate().skip(1) {
        let from = (k * quarter).saturating_sub(max_len);
        *state = haystack[from..k * quarter]
            .iter()
            .fold(start, |s, &b| dfa.step::<DEEP_STATES>(s, b));
    }
    for held in &mut lanes.held {
        held.clear();
    }
    let [mut s0, mut s1, mut s2, mut s3] = states;
    let parts = (
        &haystack[..quarter],
        &haystack[quarter..2 * quarter],
        &haystack[2 * quarter..3 * quarter],
        &haystack[3 * quarter..4 * quarter],
    );
    let steps = parts.0.iter().zip(parts.1).zip(parts.2).zip(parts.3);
    for (j, (((&b0, &b1), &b2), &b3)) in steps.enumerate() {
        s0 = dfa.step::<DEEP_STATES>(s0, b0);
        s1 = dfa.step::<DEEP_STATES>(s1, b1);
        s2 = dfa.step::<DEEP_STATES>(s2, b2);
        s3 = dfa.step::<DEEP_STATES>(s3, b3);
        // One branch per step in the common case: no lane is in a match
        // state or a deep one.
        if dfa.special::<DEEP_STATES>(s0)
            | dfa.special::<DEEP_STATES>(s1)
            | dfa.special::<DEEP_STATES>(s2)
            | dfa.special::<DEEP_STATES>(s3)
        {
            report(dfa, s0, j + 1, out);
            for (k, s) in [s1, s2, s3].into_iter().enumerate() {
                let held = &mut lanes.held[k];
                report(dfa, s, (k + 1) * quarter + j + 1, &mut |p, e| {
                    held.push((p, e as u32));
                });
            }
        }
    }
    for held in &lanes.held {
        for &(p, e) in held {
            out(p, e as usize);
        }
    }
    // The rest after the fourth part, in lane 3.
    let mut s = s3;
    for (j, &b) in haystack.iter().enumerate().skip(4 * quarter) {
        s = dfa.step::<DEEP_STATES>(s, b);
        report(dfa, s, j + 1, out);
    }
}

/// The matches of `state`, reached with the byte before `end`.
#[inline(always)]
fn report(dfa: &PackedDfa, state: u32, end: usize, out: &mut impl FnMut(PatternID, usize)) {
    if dfa.is_special(state) {
        for &p in dfa.matches(state) {
            out(p, end);
        }
    }
}

#[cfg(test)]
mod tests {
    use aho_corasick::nfa::noncontiguous::NFA;
    use aho_corasick::{AhoCorasick, MatchKind};
    use proptest::prelude::*;

    use super::*;

    /// The library's overlapping matches, as `(pattern, end)`.
    fn expected(patterns: &[String], haystack: &str) -> Vec<(usize, usize)> {
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(patterns)
            .expect("automaton builds");
        ac.find_overlapping_iter(haystack)
            .map(|m| (m.pattern().as_usize(), m.end()))
            .collect()
    }

    /// The packed DFA of `patterns`, with rows within `max_bytes`.
    fn packed<P: AsRef<[u8]>>(patterns: &[P], max_bytes: usize) -> PackedDfa {
        let nfa = NFA::builder()
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .build(patterns)
            .expect("builds");
        PackedDfa::new(&nfa, patterns, max_bytes).expect("fits")
    }

    /// The `(pattern, end)` matches a walk gives to its `out`.
    fn collected(walk: impl FnOnce(&mut dyn FnMut(PatternID, usize))) -> Vec<(usize, usize)> {
        let mut got = Vec::new();
        walk(&mut |p, e| got.push((p.as_usize(), e)));
        got
    }

    fn interleaved_of(a: &PackedDfa, haystack: &str) -> Vec<(usize, usize)> {
        collected(|mut out| {
            if a.is_full() {
                interleaved::<false>(a, haystack.as_bytes(), &mut Lanes::default(), &mut out)
            } else {
                interleaved::<true>(a, haystack.as_bytes(), &mut Lanes::default(), &mut out)
            }
        })
    }

    fn overlapping_of(a: &PackedDfa, haystack: &str) -> Vec<(usize, usize)> {
        collected(|mut out| overlapping(a, haystack.as_bytes(), &mut Lanes::default(), &mut out))
    }

    /// Words from a small alphabet, so that patterns overlap, repeat and
    /// straddle the lanes' borders often; multi-byte letters included.
    fn text(max: usize) -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop::sample::select(vec!["a", "b", "ab", " ", "é", "中"]),
            0..max,
        )
        .prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// The packed DFA gives exactly the library's matches, in its
        /// order, walked as one lane or as four, wherever the lanes'
        /// borders fall.
        #[test]
        fn lanes_give_the_librarys_matches(
            patterns in proptest::collection::vec(text(6).prop_filter("not empty", |p| !p.is_empty()), 1..40),
            haystack in text(400),
        ) {
            let want = expected(&patterns, &haystack);
            let dfa = packed(&patterns, usize::MAX);
            if haystack.len() >= 4 {
                prop_assert_eq!(&interleaved_of(&dfa, &haystack), &want);
            }
            prop_assert_eq!(&overlapping_of(&dfa, &haystack), &want);
        }

        /// With rows for only the first few states, the rest deep, the
        /// matches are the same, in one lane or four.
        #[test]
        fn deep_states_give_the_librarys_matches(
            patterns in proptest::collection::vec(text(8).prop_filter("not empty", |p| !p.is_empty()), 1..40),
            haystack in text(400),
            rows in 1usize..12,
        ) {
            let want = expected(&patterns, &haystack);
            let row_bytes = packed(&patterns, usize::MAX).row_bytes();
            let dfa = packed(&patterns, rows * row_bytes);
            if haystack.len() >= 4 {
                prop_assert_eq!(&interleaved_of(&dfa, &haystack), &want);
            }
            prop_assert_eq!(&overlapping_of(&dfa, &haystack), &want);
        }

        /// Any bytes, patterns over all of them: the classes (a byte on no
        /// pattern's edge shares one with the others) change no match.
        #[test]
        fn byte_classes_change_no_match(
            patterns in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..5), 1..60),
            haystack in proptest::collection::vec(any::<u8>(), 0..600),
        ) {
            let ac = AhoCorasick::builder().match_kind(MatchKind::Standard).build(&patterns).expect("builds");
            let want: Vec<(usize, usize)> = ac
                .find_overlapping_iter(&haystack[..])
                .map(|m| (m.pattern().as_usize(), m.end()))
                .collect();
            let dfa = packed(&patterns, usize::MAX);
            let got = collected(|mut out| overlapping(&dfa, &haystack, &mut Lanes::default(), &mut out));
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn every_byte_in_a_pattern_keeps_its_own_class() {
        // All 256 bytes on some edge: no class is shared.
        let patterns: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b, b]).collect();
        let dfa = packed(&patterns, usize::MAX);
        let haystack: Vec<u8> = (0..=255u8).flat_map(|b| [b, b, b]).collect();
        let got =
            collected(|mut out| overlapping(&dfa, &haystack, &mut Lanes::default(), &mut out));
        // Each byte thrice: its pattern twice.
        assert_eq!(got.len(), 512, "{got:?}");
        assert!(got.iter().all(|&(p, end)| haystack[end - 1] == p as u8));
    }

    #[test]
    fn a_match_across_each_border_is_found_once() {
        // 1,024 bytes: the borders are at 256, 512 and 768.
        let mut haystack = "x".repeat(1024);
        for border in [256, 512, 768] {
            haystack.replace_range(border - 2..border + 2, "abcd");
        }
        let patterns = ["abcd".to_owned(), "bc".to_owned(), "d".to_owned()];
        let got = overlapping_of(&packed(&patterns, usize::MAX), &haystack);
        assert_eq!(got, expected(&patterns, &haystack));
        assert_eq!(got.len(), 9, "three patterns at three borders: {got:?}");
    }
}
