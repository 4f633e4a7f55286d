//! The fast normalizer against the plain reference over the generated
//! benchmark corpus (`tests/support/src/corpus.rs`): same output for every
//! item in each form, and an offset map that lands on character
//! boundaries of the original and covers what the normalized range came
//! from.

use newswatch::text::normalize::{Form, NormText, normalize_into, reference};
use newswatch_test_support::corpus;

/// About 1 MB of mixed news plus 256 KB of ASCII English.
fn texts() -> Vec<String> {
    let mut texts = corpus::corpus(1 << 20);
    texts.push(corpus::ascii_english(256 << 10));
    texts
}

#[test]
fn normalize_into_equals_reference_on_the_corpus() {
    let mut out = NormText::new();
    let mut failures = Vec::new();
    for (i, text) in texts().iter().enumerate() {
        for form in [Form::Folded, Form::CaseKept, Form::Skeleton] {
            normalize_into(text, form, &mut out);
            let want = reference(text, form);
            if out.as_str() != want {
                let at = out
                    .as_str()
                    .bytes()
                    .zip(want.bytes())
                    .position(|(a, b)| a != b)
                    .unwrap_or(want.len().min(out.as_str().len()));
                let from = want.floor_char_boundary(at.saturating_sub(40));
                let to = want.ceil_char_boundary((at + 40).min(want.len()));
                failures.push(format!(
                    "item {i}, form {form:?}: first difference at byte {at}, reference has {:?}",
                    &want[from..to]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn offset_map_is_sane_on_the_corpus() {
    let mut rng = corpus::Rng::new(42);
    let mut out = NormText::new();
    let mut checked = 0;
    for (i, text) in texts().iter().enumerate() {
        for form in [Form::Folded, Form::CaseKept, Form::Skeleton] {
            normalize_into(text, form, &mut out);
            let norm = out.as_str();
            let bounds: Vec<usize> = norm
                .char_indices()
                .map(|(b, _)| b)
                .chain([norm.len()])
                .collect();
            let n_chars = bounds.len() - 1;
            if n_chars == 0 {
                continue;
            }
            for _ in 0..64 {
                let first = rng.below(n_chars);
                let len = rng.range(1, 12).min(n_chars - first);
                let (s, e) = (bounds[first], bounds[first + len]);
                let (a, b) = out.original_range(text, s, e);
                let what = format!(
                    "item {i}, form {form:?}, normalized {s}..{e} {:?}",
                    &norm[s..e]
                );
                assert!(a < b && b <= text.len(), "{what}: original range {a}..{b}");
                assert!(
                    text.is_char_boundary(a) && text.is_char_boundary(b),
                    "{what}: {a}..{b} is not on character boundaries"
                );
                // The original range must have produced the normalized text
                // (up to white space collapsed at its edges).
                let want = norm[s..e].trim_matches(' ');
                let got = reference(&text[a..b], form);
                assert!(
                    got.contains(want),
                    "{what}: maps to {:?}, which normalizes to {got:?}",
                    &text[a..b]
                );
                // Ranges that follow each other map in order.
                if first + len < n_chars {
                    let next = out.original_range(text, e, bounds[first + len + 1]);
                    assert!(
                        next.0 >= a && next.1 >= b,
                        "{what}: next char maps back to {next:?}"
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 10_000, "only {checked} ranges checked");
}

#[test]
fn corpus_has_the_promised_features() {
    let items = corpus::corpus(1 << 20);
    let all: String = items.concat();
    for needle in [
        "\u{301}",
        "\u{a0}",
        "“",
        "”",
        "’",
        "«",
        "»",
        "—",
        "–",
        "…",
        "，",
        "。",
        "２",
        "Ｈ",
        "  ",
        "\n",
        "Zürich",
        "芯片",
        "экспорт",
        "Nvidia",
        "H200",
    ] {
        assert!(all.contains(needle), "corpus lacks {needle:?}");
    }
    let sizes_ok = items[..items.len() - 1]
        .iter()
        .all(|t| (900..=3500).contains(&t.len()));
    assert!(sizes_ok, "items should be 1–3 KB");
    assert!(corpus::ascii_english(100_000).is_ascii());
    assert_eq!(corpus::terms(500), corpus::terms(500));
    assert_eq!(corpus::terms(500)[..100], corpus::terms(100)[..]);
}
