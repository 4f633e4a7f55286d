//! The overlapping search over one normalized field, four walks at a time.
//!
//! An Aho-Corasick DFA walk is one chain of dependent loads: each state is
//! read from a table of megabytes (2.8 MiB for the default watchlist, 42 MiB
//! at 10,000 terms) before the next byte can be looked at, so it runs at the
//! memory's latency, 4 ns a byte here, not at the processor's speed. A long
//! field is therefore cut into four lanes walked side by side, each step
//! taking one byte of each, so the four loads are in flight together
//! (memory-level parallelism). `examples/bare_automaton.rs` measures this
//! walk against aho-corasick's own overlapping iterator over the same text
//! (BENCHMARKS.md, "Four walks at a time").
//!
//! Each lane but the first starts [`Automaton::max_pattern_len`] bytes
//! before its part, unreported: a match ending in the part is at most that
//! long, so it is a suffix of what the lane has read, and an unanchored
//! automaton's state holds every pattern that is a suffix of its input.
//! Matches come out exactly as aho-corasick's overlapping iterator gives
//! them: by end, and at one end in the state's pattern order; the later
//! lanes' matches wait in [`Lanes`] until the lanes before them are done.
//!
//! Automata with a prefilter (a handful of patterns: aho-corasick then skips
//! text with a vectorized search for their first bytes) and short fields go
//! through aho-corasick's own iterator.
//!
//! Knows nothing of terms, boundaries or rules: it gives pattern ids and end
//! offsets, and the engine judges them (`engine/mod.rs`).

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::{Anchored, Input, PatternID};

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
/// `automaton` in `haystack`, overlapping ones included, `end` in bytes of
/// `haystack`; in the order of aho-corasick's overlapping iterator.
/// `automaton` must support unanchored searches with standard match
/// semantics (the engine builds it so); an automaton that does not gives no
/// matches.
pub fn overlapping<A: Automaton>(
    automaton: &A,
    haystack: &[u8],
    lanes: &mut Lanes,
    out: &mut impl FnMut(PatternID, usize),
) {
    let long = haystack.len() >= MIN_INTERLEAVED_BYTES
        && haystack.len() >= LANE_SPANS * automaton.max_pattern_len();
    if automaton.prefilter().is_some() || !long {
        one_lane(automaton, haystack, out);
    } else {
        interleaved(automaton, haystack, lanes, out);
    }
}

/// aho-corasick's own overlapping iterator: for automata whose steps do
/// not gain from interleaving, and where [`overlapping`] does not
/// interleave; `out` as for [`overlapping`].
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
/// longest pattern.
fn interleaved<A: Automaton>(
    automaton: &A,
    haystack: &[u8],
    lanes: &mut Lanes,
    out: &mut impl FnMut(PatternID, usize),
) {
    let Ok(start) = automaton.start_state(Anchored::No) else {
        return;
    };
    let quarter = haystack.len() / 4;
    let max_len = automaton.max_pattern_len();
    // Lane k (1..=3) first reads the `max_len` bytes before its part.
    let mut states = [start; 4];
    for (k, state) in states.iter_mut().enumerate().skip(1) {
        let from = (k * quarter).saturating_sub(max_len);
        *state = walk(automaton, start, &haystack[from..k * quarter]);
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
        s0 = automaton.next_state(Anchored::No, s0, b0);
        s1 = automaton.next_state(Anchored::No, s1, b1);
        s2 = automaton.next_state(Anchored::No, s2, b2);
        s3 = automaton.next_state(Anchored::No, s3, b3);
        // One branch per step in the common case: no lane is in a match
        // (or dead) state.
        if automaton.is_special(s0)
            | automaton.is_special(s1)
            | automaton.is_special(s2)
            | automaton.is_special(s3)
        {
            report(automaton, s0, j + 1, out);
            for (k, s) in [s1, s2, s3].into_iter().enumerate() {
                let held = &mut lanes.held[k];
                report(automaton, s, (k + 1) * quarter + j + 1, &mut |p, e| {
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
        s = automaton.next_state(Anchored::No, s, b);
        if automaton.is_special(s) {
            report(automaton, s, j + 1, out);
        }
    }
}

/// The state after reading `bytes` from `state`, nothing reported.
fn walk<A: Automaton>(automaton: &A, mut state: StateID, bytes: &[u8]) -> StateID {
    for &b in bytes {
        state = automaton.next_state(Anchored::No, state, b);
    }
    state
}

/// The matches of `state`, reached with the byte before `end`.
#[inline]
fn report<A: Automaton>(
    automaton: &A,
    state: StateID,
    end: usize,
    out: &mut impl FnMut(PatternID, usize),
) {
    if automaton.is_match(state) {
        for i in 0..automaton.match_len(state) {
            out(automaton.match_pattern(state, i), end);
        }
    }
}

#[cfg(test)]
mod tests {
    use aho_corasick::dfa::DFA;
    use aho_corasick::nfa::contiguous::NFA;
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

    /// The `(pattern, end)` matches a walk gives to its `out`.
    fn collected(walk: impl FnOnce(&mut dyn FnMut(PatternID, usize))) -> Vec<(usize, usize)> {
        let mut got = Vec::new();
        walk(&mut |p, e| got.push((p.as_usize(), e)));
        got
    }

    fn interleaved_of<A: Automaton>(a: &A, haystack: &str) -> Vec<(usize, usize)> {
        collected(|mut out| interleaved(a, haystack.as_bytes(), &mut Lanes::default(), &mut out))
    }

    fn overlapping_of<A: Automaton>(a: &A, haystack: &str) -> Vec<(usize, usize)> {
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

        /// The four lanes give exactly the library's matches, in its order,
        /// for a DFA and a contiguous NFA, wherever the lanes' borders fall.
        #[test]
        fn lanes_give_the_librarys_matches(
            patterns in proptest::collection::vec(text(6).prop_filter("not empty", |p| !p.is_empty()), 1..40),
            haystack in text(400),
        ) {
            let want = expected(&patterns, &haystack);
            let dfa = DFA::builder().match_kind(MatchKind::Standard).prefilter(false).build(&patterns).expect("builds");
            let nfa = NFA::builder().match_kind(MatchKind::Standard).prefilter(false).build(&patterns).expect("builds");
            if haystack.len() >= 4 {
                prop_assert_eq!(&interleaved_of(&dfa, &haystack), &want);
                prop_assert_eq!(&interleaved_of(&nfa, &haystack), &want);
            }
            prop_assert_eq!(&overlapping_of(&dfa, &haystack), &want);
        }
    }

    #[test]
    fn a_match_across_each_border_is_found_once() {
        // 1,024 bytes: the borders are at 256, 512 and 768.
        let mut haystack = "x".repeat(1024);
        for border in [256, 512, 768] {
            haystack.replace_range(border - 2..border + 2, "abcd");
        }
        let patterns = ["abcd".to_owned(), "bc".to_owned(), "d".to_owned()];
        let dfa = DFA::builder()
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .build(&patterns)
            .expect("builds");
        let got = overlapping_of(&dfa, &haystack);
        assert_eq!(got, expected(&patterns, &haystack));
        assert_eq!(got.len(), 9, "three patterns at three borders: {got:?}");
    }
}
