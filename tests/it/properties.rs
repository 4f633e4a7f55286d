//! Property tests of the engine against definitions written here, apart
//! from the engine: random text with planted terms, a naive matcher that
//! tries every substring, and the plain NFKC+lowercase reference.

use std::sync::Arc;

use newswatch::engine::{Engine, Field, Scratch};
use newswatch::text::normalize::{NormText, normalize_into, reference};
use newswatch::text::words::is_cjk;
use newswatch::watchlist::{Operand, Watchlist};
use proptest::prelude::*;

/// The planted terms, one set each (`t0`, `t1`, …).
const TERMS: &[&str] = &[
    "H200",
    "H20",
    "AI chip",
    "экспорт*",
    "出口",
    "Nvidia H200",
    "chip*",
    "许可证",
    "Zürich",
];

/// Terms also planted in case-sensitive sets (`c0`, `c1`, …): found only
/// as written, up to NFKC and white space.
const EXACT: &[&str] = &["H200", "AI chip", "экспорт*", "Nvidia H200", "Zürich"];

/// Term `k` of the naive matcher's numbering (TERMS, then EXACT) and
/// whether it is case-folded.
fn term_of(k: usize) -> (&'static str, bool) {
    match TERMS.get(k) {
        Some(t) => (t, true),
        None => (EXACT[k - TERMS.len()], false),
    }
}

fn engine() -> Engine {
    let mut src = String::new();
    for (i, t) in TERMS.iter().enumerate() {
        src.push_str(&format!("[sets.t{i}]\nterms = [{t:?}]\n"));
    }
    for (i, t) in EXACT.iter().enumerate() {
        src.push_str(&format!(
            "[sets.c{i}]\nterms = [{t:?}]\ncase_sensitive = true\n"
        ));
    }
    src.push_str("[[rules]]\nid = \"any\"\nwhen = \"t0\"\n");
    let w = Watchlist::parse(&src, None).expect("test watchlist loads");
    Engine::build(Arc::new(w)).expect("engine builds")
}

/// Ways a term may be written in news text.
fn variant(term: &str, how: u8) -> String {
    let term = term.trim_end_matches('*');
    match how % 6 {
        0 => term.to_owned(),
        1 => term.to_uppercase(),
        2 => term.to_lowercase(),
        // Full-width forms of ASCII letters and digits.
        3 => term
            .chars()
            .map(|c| match c {
                '!'..='~' => char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(c),
                c => c,
            })
            .collect(),
        4 => term.replace(' ', "\u{a0}\u{a0}"),
        // A prefix term with an ending; others unchanged.
        _ => format!("{term}ами"),
    }
}

/// Characters news text is made of, including traps: digits and letters
/// next to terms, CJK, full-width digits, white space of several kinds.
const POOL: &[char] = &[
    'a', 'b', 'x', 'H', '2', '0', ' ', ' ', ' ', '\n', '\t', '\u{a0}', '\u{3000}', ',', '.', '-',
    '«', '»', '“', 'é', 'Ü', 'ü', 'Ж', 'ж', 'и', '英', '伟', '达', '芯', '片', 'の', '한', '２',
    'Ｈ', '…', '—', '_',
];

fn text_strategy() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        (0..TERMS.len(), any::<u8>()).prop_map(|(t, how)| variant(TERMS[t], how)),
        prop::sample::select(POOL).prop_map(String::from),
        prop::sample::select(POOL).prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

fn is_boundary(c: char) -> bool {
    !c.is_alphanumeric() || is_cjk(c)
}

/// Every (start, end, set) that SPEC section 2 says matches, found by trying
/// every substring of the original text.
fn naive(text: &str) -> Vec<(usize, usize, usize)> {
    let idx: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    let last_char = |s: &str| reference(s, true).chars().next_back();
    let first_char = |s: &str| reference(s, true).chars().next();
    let mut out = Vec::new();
    for k in 0..TERMS.len() + EXACT.len() {
        let (term, fold) = term_of(k);
        let prefix = term.ends_with('*');
        let pattern = reference(term.trim_end_matches('*'), fold);
        let needs_start = !pattern.chars().next().is_some_and(is_cjk);
        let needs_end = !prefix && !pattern.chars().next_back().is_some_and(is_cjk);
        for (a, &i) in idx.iter().enumerate() {
            if needs_start && i > 0 && !last_char(&text[..i]).is_none_or(is_boundary) {
                continue;
            }
            for &j in &idx[a + 1..] {
                if reference(&text[i..j], fold) != pattern {
                    continue;
                }
                if needs_end && j < text.len() && !first_char(&text[j..]).is_none_or(is_boundary) {
                    continue;
                }
                let end = if prefix {
                    // A prefix match runs to the end of its word.
                    let rest = &text[j..];
                    j + rest
                        .char_indices()
                        .find(|&(_, c)| reference(&c.to_string(), true).chars().all(is_boundary))
                        .map_or(rest.len(), |(n, _)| n)
                } else {
                    j
                };
                out.push((i, end, k));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn engine_matches(e: &Engine, text: &str) -> Vec<(usize, usize, usize)> {
    let fields = [Field { name: "body", text }];
    let mut v: Vec<_> = e
        .find_matches(&fields, &mut Scratch::new())
        .into_iter()
        .map(|m| {
            let Operand::Set(s) = m.operand else {
                unreachable!("no inline terms in this watchlist")
            };
            // Sets are named t0.. and c0..: numbered as `term_of` does.
            let name = &e.watchlist().sets[s].name;
            let n: usize = name[1..].parse().unwrap_or(usize::MAX);
            let k = if name.starts_with('c') {
                TERMS.len() + n
            } else {
                n
            };
            (m.start, m.end, k)
        })
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn matches_lie_on_char_boundaries_and_normalize_to_their_term(text in text_strategy()) {
        let e = engine();
        for (start, end, k) in engine_matches(&e, &text) {
            prop_assert!(text.is_char_boundary(start) && text.is_char_boundary(end));
            let (term, fold) = term_of(k);
            let slice = reference(&text[start..end], fold);
            let pattern = reference(term.trim_end_matches('*'), fold);
            if term.ends_with('*') {
                prop_assert!(slice.starts_with(&pattern), "{slice:?} for {term:?}");
            } else {
                prop_assert_eq!(slice, pattern);
            }
        }
    }

    #[test]
    fn engine_agrees_with_the_naive_matcher(text in text_strategy()) {
        let e = engine();
        prop_assert_eq!(engine_matches(&e, &text), naive(&text), "text {:?}", text);
    }

    #[test]
    fn normalization_equals_the_reference_on_any_text(text in any::<String>(), fold in any::<bool>()) {
        let mut n = NormText::new();
        normalize_into(&text, fold, &mut n);
        prop_assert_eq!(n.as_str(), reference(&text, fold));
    }

    #[test]
    fn arbitrary_unicode_with_planted_terms_maps_to_char_boundaries(
        parts in prop::collection::vec((any::<String>(), 0..TERMS.len(), any::<u8>()), 0..6)
    ) {
        let text: String = parts
            .iter()
            .map(|(noise, t, how)| format!("{noise} {} ", variant(TERMS[*t], *how)))
            .collect();
        let e = engine();
        let fields = [Field { name: "body", text: &text }];
        for m in e.find_matches(&fields, &mut Scratch::new()) {
            prop_assert!(text.is_char_boundary(m.start) && text.is_char_boundary(m.end));
            prop_assert!(m.start < m.end);
            let Operand::Set(s) = m.operand else { unreachable!() };
            let set = &e.watchlist().sets[s];
            let pattern = &set.terms[0].pattern;
            let fold = !set.case_sensitive;
            // A match inside a character that normalizes to several (a
            // ligature, ㍿) maps to that whole character, so the slice
            // contains the term rather than equals it.
            prop_assert!(reference(&text[m.start..m.end], fold).contains(pattern.as_str()));
        }
    }
}

/// The naive matcher itself, on a known text: both must find these.
#[test]
fn naive_and_engine_find_the_known_matches() {
    let text = "英伟达Ｈ２００芯片出口: Nvidia\u{a0}H200, H2000, ЭКСПОРТАМИ chips";
    let e = engine();
    let found = naive(text);
    let spans: Vec<&str> = found.iter().map(|&(s, e, _)| &text[s..e]).collect();
    // Case-sensitive H200 and Nvidia H200 match too (NFKC makes Ｈ２００
    // H200); case-sensitive экспорт* does not match ЭКСПОРТАМИ.
    assert_eq!(
        spans,
        [
            "Ｈ２００",
            "Ｈ２００",
            "出口",
            "Nvidia\u{a0}H200",
            "Nvidia\u{a0}H200",
            "H200",
            "H200",
            "ЭКСПОРТАМИ",
            "chips"
        ]
    );
    assert_eq!(engine_matches(&e, text), found);
}
