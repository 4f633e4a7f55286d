//! Property tests of the engine against definitions written here, apart
//! from the engine: random text with planted terms written the ways
//! publishers write them (SPEC 2a), a naive matcher that tries every
//! substring, and the plain reference normalization.

use std::sync::Arc;

use icu_properties::props::{DefaultIgnorableCodePoint, GeneralCategory, GeneralCategoryGroup};
use icu_properties::{CodePointMapData, CodePointSetData};
use newswatch::engine::{Engine, Field, Scratch};
use newswatch::text::normalize::{Form, NormText, normalize_into, reference};
use newswatch::text::words::{is_cjk, word_spans, words_between};
use newswatch::watchlist::{Operand, Watchlist};
use proptest::prelude::*;
use unicode_normalization::UnicodeNormalization;

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
    "Straße",
    "export control*",
    "ИИ-чип*",
    "ёлка",
];

/// Terms also planted in case-sensitive sets (`c0`, `c1`, …): found only
/// as written, up to NFKC and white space.
const EXACT: &[&str] = &["H200", "AI chip", "экспорт*", "Nvidia H200", "Zürich"];

/// Terms also planted in sets with `confusables = true` (`k0`, `k1`, …):
/// found as in a folded set, and by their skeletons.
const CONFUSABLE: &[&str] = &["H200", "Nvidia", "чип*"];

/// How the naive matcher compares a term of each kind of set.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Folded,
    Exact,
    Confusable,
}

/// Term `k` of the naive matcher's numbering (TERMS, EXACT, then
/// CONFUSABLE) and how it is compared.
fn term_of(k: usize) -> (&'static str, Kind) {
    if let Some(t) = TERMS.get(k) {
        return (t, Kind::Folded);
    }
    match EXACT.get(k - TERMS.len()) {
        Some(t) => (t, Kind::Exact),
        None => (CONFUSABLE[k - TERMS.len() - EXACT.len()], Kind::Confusable),
    }
}

const N_TERMS: usize = TERMS.len() + EXACT.len() + CONFUSABLE.len();

fn engine() -> Engine {
    engine_with_filler(&[])
}

/// The test engine, with `filler` terms more, in a set of their own, that
/// no generated text holds (made of `ʬ`). They decide how the engine walks
/// a long field (`engine/walk.rs`): short ones, enough to leave
/// aho-corasick no prefilter, let it walk four lanes at a time; one as long
/// as a quarter of the field makes it walk in one.
fn engine_with_filler(filler: &[String]) -> Engine {
    let mut src = String::new();
    if !filler.is_empty() {
        let terms: Vec<String> = filler.iter().map(|t| format!("{t:?}")).collect();
        src.push_str(&format!("[sets.filler]\nterms = [{}]\n", terms.join(", ")));
    }
    for (i, t) in TERMS.iter().enumerate() {
        src.push_str(&format!("[sets.t{i}]\nterms = [{t:?}]\n"));
    }
    for (i, t) in EXACT.iter().enumerate() {
        src.push_str(&format!(
            "[sets.c{i}]\nterms = [{t:?}]\ncase_sensitive = true\n"
        ));
    }
    for (i, t) in CONFUSABLE.iter().enumerate() {
        src.push_str(&format!(
            "[sets.k{i}]\nterms = [{t:?}]\nconfusables = true\n"
        ));
    }
    src.push_str("[[rules]]\nid = \"any\"\nwhen = \"t0\"\n");
    let w = Watchlist::parse(&src, None).expect("test watchlist loads");
    Engine::build(Arc::new(w)).expect("engine builds")
}

/// Ways a term may be written in news text, the ways of SPEC 2a included.
fn variant(term: &str, how: u8) -> String {
    let term = term.trim_end_matches('*');
    match how % 15 {
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
        5 => format!("{term}ами"),
        // Invisible characters inside the word.
        6 => insert_after_first(term, '\u{ad}'),
        7 => insert_after_first(term, '\u{200b}'),
        8 => term.nfd().collect(),
        9 => format!("{term}™"),
        10 => term.replace(' ', "-").replace('-', "\u{2010}"),
        11 => term.replace('ß', "ss").replace('ё', "е"),
        // Look-alikes from Cyrillic and Greek.
        12 => term
            .chars()
            .map(|c| match c {
                'H' => 'Н',
                'a' => 'а',
                'i' => 'і',
                'N' => 'Ν',
                'ч' => 'ч',
                c => c,
            })
            .collect(),
        // Look-alikes within Latin (`H2OO`, `NVlDlA`), between typographic
        // quotes: one script, matched only where the field has a letter
        // of another script elsewhere (README, confusables).
        14 => format!(
            "“{}”",
            term.to_uppercase().replace('0', "O").replace('I', "l")
        ),
        _ => term.to_uppercase().replace('ß', "ẞ"),
    }
}

fn insert_after_first(term: &str, c: char) -> String {
    let mut out = String::new();
    let mut chars = term.chars();
    out.extend(chars.next());
    out.push(c);
    out.extend(chars);
    out
}

/// Characters news text is made of, including traps: digits and letters
/// next to terms, CJK, full-width digits, white space of several kinds,
/// invisible characters, combining marks, symbols that NFKC spells as
/// letters, hyphens and apostrophes.
const POOL: &[char] = &[
    'a', 'b', 'x', 'H', '2', '0', ' ', ' ', ' ', '\n', '\t', '\u{a0}', '\u{3000}', ',', '.', '-',
    '«', '»', '“', 'é', 'Ü', 'ü', 'Ж', 'ж', 'и', '英', '伟', '达', '芯', '片', 'の', '한', '２',
    'Ｈ', '…', '—', '_', '\u{ad}', '\u{200b}', '\u{200d}', '\u{feff}', '\u{fe0f}', '\u{301}',
    '\u{308}', '™', '®', '№', 'Ⓡ', 'ß', 'ẞ', 'ё', 'Ё', 'е', 'Н', 'о', '\u{2010}', '\'', '’',
];

fn text_strategy() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        (0..N_TERMS, any::<u8>()).prop_map(|(t, how)| variant(term_of(t).0, how)),
        prop::sample::select(POOL).prop_map(String::from),
        prop::sample::select(POOL).prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

/// Text whose letters are all ASCII but whose punctuation is not, with
/// terms as written, in upper case and as look-alikes within Latin
/// (variant 14): the fields the skeleton pass skips.
fn latin_text_strategy() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        (0..N_TERMS, prop::sample::select(vec![0u8, 1, 14]))
            .prop_map(|(t, how)| variant(term_of(t).0, how)),
        prop::sample::select(vec![" ", "—", "…", "’", "«", "»", "a", "O", "l", "0", "2"])
            .prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..24)
        .prop_map(|v| v.concat())
        .prop_filter("letters all ASCII", |t| letters_all_ascii(t))
}

/// News-like text of about 1 to 4 KB, as long as bodies are: planted
/// terms and pool characters between spaces, so that most terms stand as
/// words and many straddle the lanes' borders.
fn long_text_strategy() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        (0..N_TERMS, any::<u8>()).prop_map(|(t, how)| variant(term_of(t).0, how)),
        prop::sample::select(POOL).prop_map(String::from),
    ];
    prop::collection::vec(piece, 150..600).prop_map(|v| v.join(" "))
}

fn is_ignorable(c: char) -> bool {
    CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c)
}

/// SPEC 2a: a letter, digit or mark continues a word, judged on the
/// original character by its General Category; a CJK character does not.
fn is_boundary(c: char) -> bool {
    let gc = CodePointMapData::<GeneralCategory>::new().get(c);
    let word = GeneralCategoryGroup::Letter.contains(gc)
        || GeneralCategoryGroup::Number.contains(gc)
        || GeneralCategoryGroup::Mark.contains(gc);
    !word || is_cjk(c)
}

fn is_mark(c: char) -> bool {
    GeneralCategoryGroup::Mark.contains(CodePointMapData::<GeneralCategory>::new().get(c))
}

/// Whether an ASCII text is compared by skeletons at all: only when some
/// confusable term that is not ASCII has an ASCII skeleton (SPEC 2a: a
/// look-alike from another script; ASCII text is one script).
fn skeletons_on_ascii() -> bool {
    CONFUSABLE.iter().any(|t| {
        let body = t.trim_end_matches('*');
        !body.is_ascii()
            && [body.to_owned(), body.to_lowercase(), body.to_uppercase()]
                .iter()
                .any(|v| reference(v, Form::Skeleton).trim().is_ascii())
    })
}

/// No letter, digit or mark of `text` is outside ASCII: all its letters
/// are of one script, whatever its punctuation (README, confusables).
fn letters_all_ascii(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii() || (is_boundary(c) && !is_cjk(c)))
}

/// An occurrence of a confusable term that only its skeletons give and
/// that is all ASCII: a look-alike within Latin (`H2OO`), not one of
/// another script. Whether a field with non-ASCII letters is compared by
/// skeletons is the engine's call (`engine/look_alikes.rs`: only where one
/// of them may be part of a look-alike from another script, which the
/// engine's own property test checks), so such occurrences are left out
/// of the comparison; fields of ASCII letters are compared exactly
/// (`fields_of_latin_letters_skip_the_skeleton_pass`).
fn ascii_look_alike(text: &str, &(start, end, k): &(usize, usize, usize)) -> bool {
    let (term, kind) = term_of(k);
    let slice = &text[start..end];
    if kind != Kind::Confusable || !slice.is_ascii() {
        return false;
    }
    let folded = &patterns(k)[0].0;
    let f = reference(slice, Form::Folded);
    let by_folding = if term.ends_with('*') {
        f.starts_with(folded.as_str())
    } else {
        f == *folded
    };
    !by_folding
}

/// The patterns of term `k` for `text`: each with the form its text is
/// compared in.
fn patterns_for(k: usize, text: &str) -> Vec<(String, Form)> {
    let mut p = patterns(k);
    if letters_all_ascii(text) && !skeletons_on_ascii() {
        p.retain(|(_, f)| *f != Form::Skeleton);
    }
    p
}

/// The patterns of term `k`: each with the form its text is compared in.
fn patterns(k: usize) -> Vec<(String, Form)> {
    let (term, kind) = term_of(k);
    let body = term.trim_end_matches('*');
    let key = |t: &str, f: Form| (reference(t, f).trim().to_owned(), f);
    match kind {
        Kind::Folded => vec![key(body, Form::Folded)],
        Kind::Exact => vec![key(body, Form::CaseKept)],
        Kind::Confusable => vec![
            key(body, Form::Folded),
            key(body, Form::Skeleton),
            key(&body.to_lowercase(), Form::Skeleton),
            key(&body.to_uppercase(), Form::Skeleton),
        ],
    }
}

/// Every (start, end, set) that SPEC sections 2 and 2a say matches, found
/// by trying every substring of the original text: its normalization equals
/// the term's; it neither starts nor ends with an invisible character nor
/// ends before a combining mark; the nearest visible characters outside are
/// not letters, digits or marks (unless the term's end is CJK); a prefix
/// runs to the last letter, digit or mark of its word.
fn naive(text: &str) -> Vec<(usize, usize, usize)> {
    let idx: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    let visible_before = |i: usize| text[..i].chars().rev().find(|&c| !is_ignorable(c));
    let visible_after = |j: usize| text[j..].chars().find(|&c| !is_ignorable(c));
    let mut out = Vec::new();
    for k in 0..N_TERMS {
        let (term, _) = term_of(k);
        let prefix = term.ends_with('*');
        let pats = patterns_for(k, text);
        let folded = &pats[0].0;
        let needs_start = !folded.chars().next().is_some_and(is_cjk);
        let needs_end = !prefix && !folded.chars().next_back().is_some_and(is_cjk);
        for (a, &i) in idx.iter().enumerate() {
            if text[i..].chars().next().is_some_and(is_ignorable) {
                continue;
            }
            if needs_start && !visible_before(i).is_none_or(is_boundary) {
                continue;
            }
            for &j in &idx[a + 1..] {
                if text[..j].chars().next_back().is_some_and(is_ignorable)
                    || visible_after(j).is_some_and(is_mark)
                {
                    continue;
                }
                if !pats.iter().any(|(p, f)| reference(&text[i..j], *f) == *p) {
                    continue;
                }
                if needs_end && !visible_after(j).is_none_or(is_boundary) {
                    continue;
                }
                let end = if prefix {
                    // A prefix match runs to the end of its word.
                    let mut end = j;
                    for (n, c) in text[j..].char_indices() {
                        if is_ignorable(c) {
                            continue;
                        }
                        if is_boundary(c) {
                            break;
                        }
                        end = j + n + c.len_utf8();
                    }
                    end
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
            let k = match name.as_bytes()[0] {
                b'c' => TERMS.len() + n,
                b'k' => TERMS.len() + EXACT.len() + n,
                _ => n,
            };
            (m.start, m.end, k)
        })
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Sets and NEAR rules for the proximity property: rule `nK` is
/// `a NEAR/K b`.
const NEAR_RULES: &[u32] = &[0, 1, 3];

fn near_engine() -> Engine {
    let mut src = String::from(
        "[sets.a]\nterms = [\"H200\", \"chip*\", \"AI chip\"]\n\
         [sets.b]\nterms = [\"экспорт*\", \"Nvidia\", \"Nvidia H200\", \"出口\"]\n",
    );
    for k in NEAR_RULES {
        src.push_str(&format!(
            "[[rules]]\nid = \"n{k}\"\nwhen = \"a NEAR/{k} b\"\n"
        ));
    }
    Engine::build(Arc::new(Watchlist::parse(&src, None).expect("loads"))).expect("builds")
}

/// The NEAR rules that hold, by brute force: every pair of (all, unbounded)
/// matches of `a` and `b`, words counted between them as the engine counts
/// them (on the normalized text, mapped back to the original).
fn near_brute_force(e: &Engine, text: &str) -> Vec<String> {
    let fields = [Field { name: "body", text }];
    let ms = e.find_matches(&fields, &mut Scratch::new());
    let mut norm = NormText::new();
    normalize_into(text, Form::Folded, &mut norm);
    let words: Vec<(u32, u32)> = word_spans(norm.as_str())
        .into_iter()
        .map(|(s, e)| {
            let (a, b) = norm.original_range(text, s as usize, e as usize);
            (a as u32, b as u32)
        })
        .collect();
    let of = |set: usize| ms.iter().filter(move |m| m.operand == Operand::Set(set));
    let gap = |a: &newswatch::engine::Match, b: &newswatch::engine::Match| {
        if a.end <= b.start {
            words_between(&words, a.end, b.start)
        } else if b.end <= a.start {
            words_between(&words, b.end, a.start)
        } else {
            0
        }
    };
    NEAR_RULES
        .iter()
        .filter(|&&k| of(0).any(|a| of(1).any(|b| gap(a, b) <= k as usize)))
        .map(|k| format!("n{k}"))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn matches_lie_on_char_boundaries_and_normalize_to_their_term(text in text_strategy()) {
        let e = engine();
        for (start, end, k) in engine_matches(&e, &text) {
            prop_assert!(text.is_char_boundary(start) && text.is_char_boundary(end));
            let (term, _) = term_of(k);
            let found = patterns(k).into_iter().any(|(pattern, form)| {
                let slice = reference(&text[start..end], form);
                if term.ends_with('*') {
                    slice.starts_with(&pattern)
                } else {
                    slice == pattern
                }
            });
            prop_assert!(found, "{:?} for {:?}", &text[start..end], term);
        }
    }

    #[test]
    fn near_by_binary_search_agrees_with_every_pair(text in text_strategy()) {
        let e = near_engine();
        let fields = [Field { name: "body", text: &text }];
        let got: Vec<String> = e
            .scan(&fields, &mut Scratch::new(), 50)
            .iter()
            .map(|h| e.rule(h.rule).id.clone())
            .collect();
        prop_assert_eq!(got, near_brute_force(&e, &text), "text {:?}", text);
    }

    #[test]
    fn engine_agrees_with_the_naive_matcher(text in text_strategy()) {
        let e = engine();
        let keep = |m: &(usize, usize, usize)| !ascii_look_alike(&text, m);
        let mut got = engine_matches(&e, &text);
        let mut want = naive(&text);
        got.retain(keep);
        want.retain(keep);
        prop_assert_eq!(got, want, "text {:?}", text);
    }

    /// Long fields walked in four lanes give the matches of one walk over
    /// the whole field. (The naive matcher is quadratic, too slow for
    /// kilobytes; `engine/walk.rs` checks the lanes against aho-corasick's
    /// own search, this the engine around them.)
    #[test]
    fn long_fields_walked_in_lanes_give_the_same_matches(text in long_text_strategy()) {
        static ENGINES: std::sync::LazyLock<(Engine, Engine)> = std::sync::LazyLock::new(|| {
            let short: Vec<String> = (0..150).map(|i| format!("ʬʬ{i:03}")).collect();
            // 256 characters of 4 bytes, the longest term there may be:
            // fields under 16 KiB are walked in one lane.
            (engine_with_filler(&short), engine_with_filler(&["\u{20000}".repeat(256)]))
        });
        let (lanes, one) = &*ENGINES;
        prop_assert!(text.len() < 16 * 1024, "longer than the one-lane engine's limit");
        prop_assert_eq!(engine_matches(lanes, &text), engine_matches(one, &text), "text {:?}", text);
    }

    /// An item's fields are walked as one text joined by a separator byte:
    /// each field's matches are the ones it has alone, offsets included,
    /// whatever the fields around it (empty ones too).
    #[test]
    fn fields_walked_together_match_as_each_alone(
        texts in proptest::collection::vec(
            prop_oneof![text_strategy(), long_text_strategy(), Just(String::new())],
            1..5,
        ),
    ) {
        let e = engine();
        let fields: Vec<Field<'_>> = texts.iter().map(|t| Field { name: "body", text: t }).collect();
        let together = e.find_matches(&fields, &mut Scratch::new());
        for (f, text) in texts.iter().enumerate() {
            let alone = e.find_matches(&[Field { name: "body", text }], &mut Scratch::new());
            let mut got: Vec<_> = together
                .iter()
                .filter(|m| m.field == f)
                .map(|m| (m.start, m.end, m.operand, m.term))
                .collect();
            let mut want: Vec<_> = alone.iter().map(|m| (m.start, m.end, m.operand, m.term)).collect();
            got.sort_unstable();
            want.sort_unstable();
            prop_assert_eq!(got, want, "field {} of {:?}", f, texts);
        }
    }

    #[test]
    fn fields_of_latin_letters_skip_the_skeleton_pass(text in latin_text_strategy()) {
        let e = engine();
        prop_assert_eq!(engine_matches(&e, &text), naive(&text), "text {:?}", text);
    }

    #[test]
    fn normalization_equals_the_reference_on_any_text(text in any::<String>(), form in 0..3u8) {
        let form = [Form::Folded, Form::CaseKept, Form::Skeleton][form as usize];
        let mut n = NormText::new();
        normalize_into(&text, form, &mut n);
        prop_assert_eq!(n.as_str(), reference(&text, form));
    }

    #[test]
    fn normalization_equals_the_reference_on_news_like_text(text in text_strategy(), form in 0..3u8) {
        let form = [Form::Folded, Form::CaseKept, Form::Skeleton][form as usize];
        let mut n = NormText::new();
        normalize_into(&text, form, &mut n);
        prop_assert_eq!(n.as_str(), reference(&text, form));
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
            let form = if set.case_sensitive { Form::CaseKept } else { Form::Folded };
            if !set.confusables {
                prop_assert!(reference(&text[m.start..m.end], form).starts_with(pattern.as_str()));
            }
        }
    }
}

/// The naive matcher itself, on a known text: both must find these.
#[test]
fn naive_and_engine_find_the_known_matches() {
    let text = "英伟达Ｈ２００芯片出口: Nvidia\u{a0}H200, H2000, ЭКСПОРТАМИ chips; \
                NVIDIA™ Н200 экс\u{ad}портных R\u{200b}H200\u{200b}D STRASSE export-controls";
    let e = engine();
    let found = naive(text);
    let spans: Vec<(&str, &str)> = found
        .iter()
        .map(|&(s, e, k)| (&text[s..e], term_of(k).0))
        .collect();
    // Case-sensitive H200 and Nvidia H200 match too (NFKC makes Ｈ２００
    // H200); case-sensitive экспорт* does not match ЭКСПОРТАМИ. The
    // confusable H200 also matches Cyrillic Н200; the soft hyphen does not
    // split экспортных; H200 inside R-H200-D (zero-width spaces) is not a word.
    assert_eq!(
        spans,
        [
            ("Ｈ２００", "H200"),
            ("Ｈ２００", "H200"),
            ("Ｈ２００", "H200"),
            ("出口", "出口"),
            ("Nvidia", "Nvidia"),
            ("Nvidia\u{a0}H200", "Nvidia H200"),
            ("Nvidia\u{a0}H200", "Nvidia H200"),
            ("H200", "H200"),
            ("H200", "H200"),
            ("H200", "H200"),
            ("ЭКСПОРТАМИ", "экспорт*"),
            ("chips", "chip*"),
            ("NVIDIA", "Nvidia"),
            ("Н200", "H200"),
            ("экс\u{ad}портных", "экспорт*"),
            ("экс\u{ad}портных", "экспорт*"),
            ("STRASSE", "Straße"),
            ("export-controls", "export control*"),
        ]
    );
    assert_eq!(engine_matches(&e, text), found);
}
