//! The rules of SPEC section 2a (text as publishers send it), each with
//! exact offsets and texts, and each kind over every character of its
//! class where the class is finite (invisible characters, symbols that NFKC
//! spells as letters).

use icu_properties::props::{DefaultIgnorableCodePoint, GeneralCategory, GeneralCategoryGroup};
use icu_properties::{CodePointMapData, CodePointSetData};
use unicode_normalization::UnicodeNormalization;

use super::tests::engine;
use super::*;

/// One set `s` of `terms` (with `extra` keys) and a rule on it.
fn set(terms: &[&str], extra: &str) -> Engine {
    let list = terms
        .iter()
        .map(|t| format!("{t:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    engine(&format!(
        "[sets.s]\nterms = [{list}]\n{extra}\n[[rules]]\nid = \"r\"\nwhen = \"s\"\n"
    ))
}

/// Every match of a one-field item as (start, end, text, term index).
fn spans(e: &Engine, text: &str) -> Vec<(usize, usize, String, u32)> {
    let fields = [Field { name: "body", text }];
    e.find_matches(&fields, &mut Scratch::new())
        .iter()
        .map(|m| (m.start, m.end, text[m.start..m.end].to_owned(), m.term))
        .collect()
}

fn texts(e: &Engine, text: &str) -> Vec<String> {
    spans(e, text).into_iter().map(|s| s.2).collect()
}

/// Whether rule `r` of a two-set watchlist (`a`, `b`) holds on `text`.
fn near(a: &[&str], b: &[&str], when: &str, text: &str) -> bool {
    let q = |t: &[&str]| {
        t.iter()
            .map(|t| format!("{t:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let e = engine(&format!(
        "[sets.a]\nterms = [{}]\n[sets.b]\nterms = [{}]\n[[rules]]\nid = \"r\"\nwhen = \"{when}\"\n",
        q(a),
        q(b)
    ));
    !e.scan(
        &[Field { name: "body", text }],
        &mut Scratch::new(),
        usize::MAX,
    )
    .is_empty()
}

#[test]
fn invisible_characters_neither_break_nor_start_a_word() {
    let e = set(&["экспорт*", "порт", "Nvidia", "H200", "英伟达", "AI"], "");
    let text = "экс\u{ad}порт галлия";
    assert_eq!(spans(&e, text), [(0, 16, "экс\u{ad}порт".into(), 0)]);
    assert_eq!(texts(&e, "Nvi\u{200b}dia"), ["Nvi\u{200b}dia"]);
    assert_eq!(texts(&e, "H\u{200d}200"), ["H\u{200d}200"]);
    assert_eq!(texts(&e, "英伟\u{200b}达"), ["英伟\u{200b}达"]);
    assert!(texts(&e, "R\u{200b}AI\u{200b}D").is_empty());
    // Invisible characters next to a match are not part of it.
    assert_eq!(
        spans(&e, "\u{feff}AI\u{200b} and \u{200e}H200\u{200f}."),
        [(3, 5, "AI".into(), 5), (16, 20, "H200".into(), 3)]
    );
}

#[test]
fn every_default_ignorable_code_point_is_invisible_to_matching() {
    let e = set(&["экспорт*", "порт", "Nvidia", "AI"], "");
    let ignorable = CodePointSetData::new::<DefaultIgnorableCodePoint>();
    let mut checked = 0;
    for range in ignorable.iter_ranges() {
        for cp in range {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            let text = format!("экс{c}портный и Nvi{c}dia, R{c}AI{c}D");
            let w = c.len_utf8();
            assert_eq!(
                spans(&e, &text),
                [
                    (0, 20 + w, format!("экс{c}портный"), 0),
                    (24 + w, 30 + 2 * w, format!("Nvi{c}dia"), 2),
                ],
                "U+{cp:04X}"
            );
            checked += 1;
        }
    }
    assert!(checked > 4000, "only {checked} code points");
}

#[test]
fn boundaries_are_judged_on_the_original_symbols() {
    let e = set(&["Nvidia", "Blackwell"], "");
    let text = "NVIDIA™ Blackwell™ cleared for export";
    assert_eq!(
        spans(&e, text),
        [(0, 6, "NVIDIA".into(), 0), (10, 19, "Blackwell".into(), 1)]
    );
    for text in [
        "NVIDIA℠",
        "NVIDIAⓇ",
        "№Nvidia",
        "㏇Nvidia",
        "NVIDIA™Blackwell",
    ] {
        assert!(
            texts(&e, text).contains(&"NVIDIA".to_owned())
                || texts(&e, text).contains(&"Nvidia".to_owned()),
            "{text}"
        );
    }
    // A match never starts or ends inside what one character became.
    let kg = set(&["g", "k"], "");
    assert!(texts(&kg, "5 ㎏ of").is_empty(), "㎏ is kg, but not g or k");
    let fi = set(&["finance", "nance"], "");
    assert_eq!(texts(&fi, "ﬁnance"), ["ﬁnance"]);
}

#[test]
fn every_symbol_spelled_as_letters_by_nfkc_is_a_boundary() {
    let e = set(&["Nvidia"], "");
    let gc = CodePointMapData::<GeneralCategory>::new();
    let mut checked = 0;
    for cp in 0..0x30000u32 {
        let Some(s) = char::from_u32(cp) else {
            continue;
        };
        let symbol = GeneralCategoryGroup::Symbol.contains(gc.get(s));
        let spelled = std::iter::once(s).nfkc().any(char::is_alphanumeric);
        if !symbol || !spelled {
            continue;
        }
        let text = format!("Nvidia{s} {s}Nvidia");
        let after = 6 + s.len_utf8() + 1 + s.len_utf8();
        assert_eq!(
            spans(&e, &text),
            [
                (0, 6, "Nvidia".into(), 0),
                (after, after + 6, "Nvidia".into(), 0)
            ],
            "U+{cp:04X} {s}"
        );
        checked += 1;
    }
    assert!(checked > 500, "only {checked} symbols");
}

#[test]
fn near_counts_words_on_the_normalized_text() {
    let nfd: String = "экспорт объёмы чипов".nfd().collect();
    assert!(near(&["экспорт*"], &["чип*"], "a NEAR/1 b", &nfd));
    assert!(!near(&["экспорт*"], &["чип*"], "a NEAR/0 b", &nfd));
    // Half-width katakana: ﾁｯﾌﾟ is チップ, three words (one per CJK
    // character), not four.
    let kana = "H200 ﾁｯﾌﾟ chips";
    assert!(near(&["H200"], &["chips"], "a NEAR/3 b", kana));
    assert!(!near(&["H200"], &["chips"], "a NEAR/2 b", kana));
    // Hangul written as jamo: 한국 is two syllables, two words.
    let jamo = "H200 \u{1112}\u{1161}\u{11ab}\u{1100}\u{116e}\u{11a8} chips";
    assert!(near(&["H200"], &["chips"], "a NEAR/2 b", jamo));
    assert!(!near(&["H200"], &["chips"], "a NEAR/1 b", jamo));
}

#[test]
fn an_apostrophe_between_letters_joins_a_word() {
    for text in ["Nvidia's H200", "Nvidia’s H200", "NVIDIA'S H200"] {
        assert!(near(&["Nvidia"], &["H200"], "a NEAR/0 b", text), "{text}");
    }
    assert!(!near(
        &["Nvidia"],
        &["H200"],
        "a NEAR/0 b",
        "Nvidia ' s H200"
    ));
}

#[test]
fn full_case_folding() {
    let e = set(&["Straße", "ΣΟΦΟΣ"], "");
    assert_eq!(
        texts(&e, "STRASSE, Straße, STRAẞE, strasse; σοφος σοφοσ"),
        ["STRASSE", "Straße", "STRAẞE", "strasse", "σοφος", "σοφοσ"]
    );
}

#[test]
fn hyphens_and_spaces_between_words_are_interchangeable() {
    let e = set(&["export control*", "ИИ-чип*"], "");
    assert_eq!(
        texts(
            &e,
            "export-control, export\u{2011}controls, export\u{2010}control, export control"
        ),
        [
            "export-control",
            "export\u{2011}controls",
            "export\u{2010}control",
            "export control"
        ]
    );
    assert_eq!(
        spans(&e, "ИИ чипы и ИИ-чипов"),
        [(0, 13, "ИИ чипы".into(), 1), (17, 32, "ИИ-чипов".into(), 1)]
    );
    // A dash is not a hyphen.
    assert!(texts(&e, "export — control").is_empty());
}

#[test]
fn yo_is_ye_in_every_set() {
    let e = set(&["ёлка", "объем"], "");
    assert_eq!(
        texts(&e, "елка ЁЛКА Ёлка объём ОБЪЁМ"),
        ["елка", "ЁЛКА", "Ёлка", "объём", "ОБЪЁМ"]
    );
    let cased = set(&["Ёж"], "case_sensitive = true");
    assert_eq!(texts(&cased, "Еж Ёж еж"), ["Еж", "Ёж"]);
}

#[test]
fn confusable_sets_match_look_alikes_of_other_scripts() {
    let e = set(&["H200", "экспорт*", "Nvidia"], "confusables = true");
    // Cyrillic Н (2 bytes) for Latin H.
    assert_eq!(spans(&e, "Н200 chips"), [(0, 5, "Н200".into(), 0)]);
    // A Latin o inside a Cyrillic word.
    assert_eq!(texts(&e, "экспoрт чипов"), ["экспoрт"]);
    // Upper case text still matches, and look-alikes in any case.
    assert_eq!(
        texts(&e, "NVIDIA, NVІDІA, nvіdіa"),
        ["NVIDIA", "NVІDІA", "nvіdіa"]
    );
    // Without the key, look-alikes do not match.
    let plain = set(&["H200"], "");
    assert!(texts(&plain, "Н200 chips").is_empty());
}

#[test]
fn ascii_text_is_one_script_and_skips_the_skeleton_pass() {
    // ASCII look-alikes of an ASCII term are of its own script: not matched.
    let latin = set(&["H200"], "confusables = true");
    assert!(texts(&latin, "H2OO and NVlDlA").is_empty());
    assert_eq!(texts(&latin, "Н2OO"), ["Н2OO"], "not ASCII: a Cyrillic Н");
    // Non-ASCII punctuation does not make a field of Latin letters mixed:
    // still one script; nor does a letter that cannot be part of a
    // look-alike of the term (`ü`). One that can, anywhere in the field,
    // does.
    assert!(texts(&latin, "“H2OO” — NVlDlA’s").is_empty());
    assert!(texts(&latin, "“H2OO” in Zürich").is_empty());
    assert_eq!(texts(&latin, "“H2OO” by Н200"), ["H2OO", "Н200"]);
    assert_eq!(texts(&latin, "— Н2OO —"), ["Н2OO"]);
    // A Cyrillic term whose every letter has a Latin twin: ASCII text can
    // be its look-alike, so ASCII fields are compared by skeletons too.
    let cyrillic = set(&["НАТО"], "confusables = true");
    assert_eq!(texts(&cyrillic, "HATO summit"), ["HATO"]);
}

/// Confusable terms in Latin, Cyrillic and Chinese, built once for the
/// property test below (each case would rebuild them).
static LOOK_ALIKE_TERMS: std::sync::LazyLock<Engine> = std::sync::LazyLock::new(|| {
    set(
        &["H200", "Нвидиа", "海力士", "экспорт*", "Nvidia", "华为"],
        "confusables = true",
    )
});

#[test]
fn the_skeleton_pass_reads_fields_with_a_possible_look_alike() {
    let e = set(&["H200", "Нвидиа", "海力士"], "confusables = true");
    let Some(look) = &e.look_alikes else {
        panic!("a confusable set has look-alikes");
    };
    // Chinese without a look-alike of `海力士`: its `士` is the term's own,
    // which the folded pass finds.
    assert!(!look.reads("分析人士指出，海力士的需求保持稳定"));
    assert_eq!(texts(&e, "分析人士指出，海力士的需求"), ["海力士"]);
    // `力` is a look-alike of Katakana `カ`.
    assert!(look.reads("海カ士"));
    assert_eq!(texts(&e, "据海カ士称"), ["海カ士"]);
    // `Нвидиа` with a Latin `H` and `a`: its Cyrillic letters are read.
    assert!(look.reads("Hвидиa"));
    assert_eq!(texts(&e, "акции Hвидиa"), ["Hвидиa"]);
    // A Cyrillic `Н`, whose skeleton `H` is in `H200`.
    assert!(look.reads("Н"));
    // Letters that look like none of the terms': not read. (Greek `α`
    // would be: it looks like `Нвидиа`'s Cyrillic `а`.)
    assert!(!look.reads("Zürich, Köln"));
    assert!(look.reads("Ελλάδα"));
}

proptest::proptest! {
    // Most texts of these pieces are read: `prop_assume` keeps 1,000 that
    // are not.
    #![proptest_config(proptest::test_runner::Config {
        cases: 1000,
        max_global_rejects: 100_000,
        ..proptest::test_runner::Config::default()
    })]

    /// A field the skeleton pass does not read (`look_alikes.rs`) holds no
    /// occurrence that reading it would add: every occurrence the skeleton
    /// automaton finds in it, the folded pass finds too. Over look-alikes
    /// of the terms' letters from Cyrillic, Greek, Katakana, full-width
    /// forms, CJK look-alikes and CJK text, marks, a character above the
    /// BMP, and ASCII that has no look-alike among the terms' ASCII (`0`
    /// and `O` are one script's: not compared, by design).
    #[test]
    fn a_field_the_skeleton_pass_skips_holds_no_look_alike(
        pieces in proptest::collection::vec(
            proptest::sample::select(vec![
                "H", "2", "0", "Nvidia", "NVIDIA", "x", " ", "-", "Н", "Η", "н", "о",
                "а", "і", "в", "и", "д", "ид", "ВИДИА", "Нвидиа", "力", "カ", "士",
                "土", "海", "人", "华为", "華為", "中国", "ｖ", "Ｈ", "й", "ы",
                "\u{301}", "😀", "экс", "порт", "p", "е", "ё", "“", "—",
            ]),
            0..10,
        ),
    ) {
        let e = &*LOOK_ALIKE_TERMS;
        let text = pieces.concat();
        let (Some(skeleton), Some(folded), Some(look)) = (&e.skeleton, &e.folded, &e.look_alikes) else {
            panic!("a confusable set builds both automata");
        };
        proptest::prop_assume!(!look.reads(&text));
        let fields = [Field { name: "body", text: &text }];
        let (mut norms, mut joined, mut lanes) = (Vec::new(), Joined::default(), walk::Lanes::default());
        let mut by_skeleton = Vec::new();
        pass(skeleton, Form::Skeleton, |_| true, &fields, &mut norms, &mut joined, &mut lanes, &mut |m| by_skeleton.push(m));
        let mut by_folding = Vec::new();
        pass(folded, Form::Folded, |_| true, &fields, &mut norms, &mut joined, &mut lanes, &mut |m| by_folding.push(m));
        for m in &by_skeleton {
            proptest::prop_assert!(by_folding.contains(m), "{:?} in {:?} only by skeleton", m, text);
        }
    }
}

proptest::proptest! {
    /// The skeleton pass finds the same occurrences as one pass of the
    /// skeleton automaton over every field normalized with its map
    /// ([`pass`]), whichever way it holds each field: skeletons without a
    /// map where it finds nothing, fields it walks again, fields the
    /// map-free loop leaves (marks, invisible characters, characters above
    /// the BMP), in items of three fields.
    #[test]
    fn the_skeleton_pass_finds_what_a_mapped_pass_finds(
        texts in proptest::collection::vec(
            proptest::collection::vec(
                proptest::sample::select(vec![
                    "Н200", "H200", "Nvіdia", "NVIDIA", "нвидиа", "экспoрт", "экспорт",
                    "НАТО", "HATO", "чипов", "й", "ы", " ", "  ", "-", "\n", "\u{a0}",
                    "\u{301}", "\u{200b}", "😀", "中国", "“", "—", "x", "0", "l",
                ]),
                0..12,
            ),
            3,
        ),
    ) {
        let e = set(&["H200", "экспорт*", "Nvidia", "НАТО"], "confusables = true");
        let texts: Vec<String> = texts.iter().map(|p| p.concat()).collect();
        let fields: Vec<Field<'_>> = texts
            .iter()
            .map(|t| Field { name: "body", text: t })
            .collect();
        let Some(skeleton) = &e.skeleton else {
            panic!("a confusable set builds the skeleton automaton");
        };
        let mut want = Vec::new();
        let (mut norms, mut joined, mut lanes) = (Vec::new(), Joined::default(), walk::Lanes::default());
        pass(skeleton, Form::Skeleton, |_| true, &fields, &mut norms, &mut joined, &mut lanes, &mut |m| want.push(m));
        let mut got = Vec::new();
        let mut scratch = Scratch::new();
        let texts = SkeletonTexts {
            mapped: &mut scratch.skeletons,
            plain: &mut scratch.plain_skeletons,
            states: &mut scratch.skeleton_states,
        };
        skeleton_pass(skeleton, |_| true, &fields, texts, &mut joined, &mut lanes, &mut |m| got.push(m));
        want.sort_unstable();
        got.sort_unstable();
        proptest::prop_assert_eq!(got, want);
    }
}
