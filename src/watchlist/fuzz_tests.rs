//! Fuzzing the watchlist loader and the `when` parser (issue 13): arbitrary
//! text, TOML and expression token soup, generated watchlists of every
//! kind of term and operator, and structured mutations of valid ones (the
//! default `config/watchlist.toml` among them). Loading never panics;
//! every problem has its line (but "no rules", which is about the whole
//! file) and, in an expression, its column; an accepted watchlist builds
//! an engine that takes an item to alerts. Then the adversarial classes:
//! 10,000-deep parentheses, a 1 MB term, huge NEAR distances, terms of
//! combining marks or invisible characters only, deep TOML.

use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::expr::{self, MAX_DEPTH};
use super::{Place, Problem, ProblemKind, Watchlist};
use crate::fuzz_support::{COMPACT_WATCHLIST, Edit, apply, build_and_scan, edits, line_of, soup};

/// Pieces of watchlist TOML.
const TOML_TOKENS: &[&str] = &[
    "[sets.a]",
    "[sets.b]",
    "[[rules]]",
    "[",
    "]",
    "{",
    "}",
    "=",
    ",",
    ".",
    "\n",
    " ",
    "#",
    "\"",
    "'",
    "\"\"\"",
    "'''",
    "\\",
    "terms",
    "id",
    "when",
    "severity",
    "sinks",
    "description",
    "case_sensitive",
    "confusables",
    "true",
    "1",
    "\"H200\"",
    "\"export*\"",
    "\"high\"",
    "\"a AND NOT b\"",
    "'a NEAR/4294967296 b'",
    "\"\u{301}\u{301}\"",
    "\"\u{200b}\u{ad}\"",
];

/// Pieces of `when` expressions, over the sets `a`, `b` and `c`.
const EXPR_TOKENS: &[&str] = &[
    "a",
    "b",
    "c",
    "d",
    " ",
    " AND ",
    " OR ",
    "NOT ",
    " and ",
    "(",
    ")",
    " NEAR/0 ",
    " NEAR/3 ",
    " near/4294967295 ",
    " NEAR/4294967296 ",
    " NEAR/-1 ",
    "NEAR",
    "/",
    "\"",
    "\"H200\"",
    "\"export*\"",
    "\"AI *\"",
    "\"\u{200b}\"",
    "\"\u{301}x\"",
    "\\",
    "\\\"",
    "*",
    "\t",
];

/// Terms as written in a set that the loader takes: of every script and
/// class of character it has a rule for.
const TERMS: &[&str] = &[
    "H200",
    "export*",
    "AI chip*",
    "ИИ-чип*",
    "芯片",
    "Nvidia's",
    "NVIDIA™",
    "Н200",
    "e\u{301}",
    "Zu\u{301}r*",
    "exp\u{ad}ort",
    "a  b",
    "x-y",
    "½",
    "ﷺ",
    "İ",
    "STRASSE",
    "ё",
    "US",
    "\u{ff28}\u{ff12}\u{ff10}\u{ff10}",
];

/// Terms as written that the loader refuses, each for its own reason.
const BAD_TERMS: &[&str] = &[
    "\u{301}\u{301}",
    "\u{200b}\u{ad}",
    "´",
    "--",
    "*",
    "a*b",
    "AI *",
    "\t",
    "",
];

/// Text after the terms of the item an accepted watchlist is scanned with.
const ITEM_TEXT: &str = "Nvidia H200 export licence approved by BIS: 芯片出口许可, \
                         ИИ-чипы, e\u{301} \u{301}\u{301} exp\u{ad}ort NVIDIA™ Н200";

/// The default watchlist the daemon ships.
const DEFAULT: &str = super::BUILT_IN;

/// `s` as a TOML basic string: quotes and backslashes escaped, and the
/// control characters TOML does not allow raw.
fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() && (c as u32) < 0x80 => {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Checks that each problem says where it is: a line within `src` (none
/// only for "no rules", which is about the whole file) and, in an
/// expression, a column.
fn check_problems(src: &str, problems: &[Problem]) -> Result<(), TestCaseError> {
    prop_assert!(!problems.is_empty());
    let lines = line_of(src, src.len());
    for p in problems {
        match p.line {
            Some(line) => prop_assert!((1..=lines).contains(&line), "{:?}", p),
            None => prop_assert_eq!(&p.kind, &ProblemKind::NoRules),
        }
        if let ProblemKind::Expression { column, .. } | ProblemKind::UnknownSet { column, .. } =
            p.kind
        {
            prop_assert!(column >= 1, "{:?}", p);
        }
    }
    Ok(())
}

/// Loads `src`: an accepted watchlist is built and scanned, the problems
/// of a refused one checked.
fn check(src: &str) -> Result<(), TestCaseError> {
    match Watchlist::parse(src, Some(&["alerts-topic".to_owned()])) {
        Ok(w) => {
            build_and_scan(w, ITEM_TEXT);
            Ok(())
        }
        Err(problems) => check_problems(src, &problems),
    }
}

/// A `when` expression over the sets `a`, `b`, `c` and quoted terms:
/// well-formed (operators nested up to four deep), or token soup.
fn when() -> impl Strategy<Value = String> {
    let operand = prop_oneof![
        3 => prop::sample::select(&["a", "b", "c"][..]).prop_map(str::to_owned),
        1 => prop::sample::select(TERMS)
            .prop_map(|t| format!("\"{}\"", t.replace('\\', "\\\\").replace('"', "\\\""))),
    ];
    let distance = prop::sample::select(&["0", "1", "3", "10", "4294967295"][..]);
    let near = (operand.clone(), distance, operand.clone())
        .prop_map(|(a, n, b)| format!("{a} NEAR/{n} {b}"));
    let leaf = prop_oneof![2 => operand, 1 => near];
    let expr = leaf.prop_recursive(4, 16, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| format!("NOT {e}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} AND {b})")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("{a} OR {b}")),
        ]
    });
    prop_oneof![6 => expr, 1 => soup(EXPR_TOKENS, 10)]
}

/// A watchlist of sets `a`, `b`, `c` with terms mostly from [`TERMS`],
/// sometimes from [`BAD_TERMS`] or arbitrary, either flag or (rarely)
/// both, and rules from [`when`].
fn generated() -> impl Strategy<Value = String> {
    let term = prop_oneof![
        12 => prop::sample::select(TERMS).prop_map(str::to_owned),
        1 => prop::sample::select(BAD_TERMS).prop_map(str::to_owned),
        1 => ".{1,6}",
    ];
    let flags = prop_oneof![
        12 => Just((false, false)),
        3 => Just((true, false)),
        3 => Just((false, true)),
        1 => Just((true, true)),
    ];
    let sets = prop::collection::vec((prop::collection::vec(term, 1..4), flags), 3);
    let whens = prop::collection::vec(when(), 1..4);
    (sets, whens).prop_map(|(sets, whens)| {
        let mut src = String::new();
        for (name, (terms, (case_sensitive, confusables))) in ["a", "b", "c"].iter().zip(sets) {
            let terms: Vec<String> = terms.iter().map(|t| toml_str(t)).collect();
            src.push_str(&format!("[sets.{name}]\nterms = [{}]\n", terms.join(", ")));
            if case_sensitive {
                src.push_str("case_sensitive = true\n");
            }
            if confusables {
                src.push_str("confusables = true\n");
            }
        }
        for (i, when) in whens.iter().enumerate() {
            src.push_str(&format!(
                "[[rules]]\nid = \"r{i}\"\nwhen = {}\n",
                toml_str(when)
            ));
        }
        src
    })
}

/// A loaded watchlist as plain strings, to mutate its values and write it
/// again as TOML: each set (name, terms as written, `case_sensitive`,
/// `confusables`) and each rule (id, `when`, severity).
#[derive(Debug, Clone)]
struct Doc {
    sets: Vec<(String, Vec<String>, bool, bool)>,
    rules: Vec<(String, String, String)>,
}

impl Doc {
    fn of(src: &str) -> Doc {
        let w = Watchlist::parse(src, None).expect("a valid watchlist");
        Doc {
            sets: w
                .sets
                .iter()
                .map(|s| {
                    let terms = s.terms.iter().map(|t| t.text.to_string()).collect();
                    (s.name.to_string(), terms, s.case_sensitive, s.confusables)
                })
                .collect(),
            rules: w
                .rules
                .iter()
                .map(|r| (r.id.clone(), r.when.clone(), r.severity.to_string()))
                .collect(),
        }
    }

    /// Every string value, to pick one to edit.
    fn strings(&mut self) -> Vec<&mut String> {
        let mut out = Vec::new();
        for (name, terms, _, _) in &mut self.sets {
            out.push(name);
            out.extend(terms.iter_mut());
        }
        for (id, when, severity) in &mut self.rules {
            out.extend([id, when, severity]);
        }
        out
    }

    fn to_toml(&self) -> String {
        let mut src = String::new();
        for (name, terms, case_sensitive, confusables) in &self.sets {
            let terms: Vec<String> = terms.iter().map(|t| toml_str(t)).collect();
            src.push_str(&format!(
                "[sets.{}]\nterms = [{}]\ncase_sensitive = {case_sensitive}\nconfusables = {confusables}\n",
                toml_str(name),
                terms.join(", ")
            ));
        }
        for (id, when, severity) in &self.rules {
            src.push_str(&format!(
                "[[rules]]\nid = {}\nwhen = {}\nseverity = {}\n",
                toml_str(id),
                toml_str(when),
                toml_str(severity)
            ));
        }
        src
    }
}

/// Values of the default watchlist and of [`COMPACT_WATCHLIST`], parsed once.
static DOCS: std::sync::LazyLock<[Doc; 2]> =
    std::sync::LazyLock::new(|| [Doc::of(COMPACT_WATCHLIST), Doc::of(DEFAULT)]);

/// Pieces inserted into values: of terms and of expressions.
const VALUE_TOKENS: &[&str] = &[
    "a",
    " AND ",
    " OR ",
    "NOT ",
    "(",
    ")",
    " NEAR/0 ",
    " NEAR/4294967296 ",
    "\"",
    "\\",
    "*",
    " ",
    "-",
    "\u{301}",
    "\u{200b}",
    "\u{ad}",
    "™",
    "ﷺ",
    "İ",
    "ё",
    "芯",
    "\t",
    "\n",
];

/// `doc` with up to four of its string values edited, as TOML.
fn mutate_values(doc: &Doc, edits: &[(prop::sample::Index, Vec<Edit>)]) -> String {
    let mut doc = doc.clone();
    let mut strings = doc.strings();
    for (which, e) in edits {
        let s = which.get_mut(&mut strings);
        let bytes = apply(s.as_bytes(), e);
        **s = String::from_utf8_lossy(&bytes).into_owned();
    }
    doc.to_toml()
}

fn value_edits() -> impl Strategy<Value = Vec<(prop::sample::Index, Vec<Edit>)>> {
    prop::collection::vec((any::<prop::sample::Index>(), edits(VALUE_TOKENS)), 1..4)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_loads_or_each_problem_names_its_line(
        chars in prop::collection::vec(any::<char>(), 0..200),
    ) {
        check(&chars.into_iter().collect::<String>())?;
    }

    #[test]
    fn toml_token_soup_loads_or_each_problem_names_its_line(text in soup(TOML_TOKENS, 64)) {
        check(&text)?;
    }

    #[test]
    fn generated_watchlists_load_and_scan_or_each_problem_names_its_line(src in generated()) {
        check(&src)?;
    }

    #[test]
    fn arbitrary_when_expressions_parse_or_fail_at_a_column(
        src in prop_oneof![
            3 => soup(EXPR_TOKENS, 24),
            1 => prop::collection::vec(any::<char>(), 0..40)
                .prop_map(|c| c.into_iter().collect::<String>()),
        ],
    ) {
        if let Err(e) = expr::parse(&src) {
            let columns = src.chars().count() + 1;
            prop_assert!((1..=columns).contains(&e.column), "{:?} in {:?}", e, src);
            prop_assert!(!e.message.is_empty());
        }
    }

    #[test]
    fn a_mutated_compact_watchlist_loads_and_scans_or_each_problem_names_its_line(
        edits in edits(TOML_TOKENS),
    ) {
        let bytes = apply(COMPACT_WATCHLIST.as_bytes(), &edits);
        check(&String::from_utf8_lossy(&bytes))?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_compact_watchlist_with_mutated_values_loads_and_scans_or_each_problem_names_its_line(
        edits in value_edits(),
    ) {
        check(&mutate_values(&DOCS[0], &edits))?;
    }
}

proptest! {
    // The default watchlist is 23 KB, 300 terms: a load and a build take
    // some 0.2 s each in a debug build.
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn a_mutated_default_watchlist_loads_and_scans_or_each_problem_names_its_line(
        edits in edits(TOML_TOKENS),
    ) {
        let bytes = apply(DEFAULT.as_bytes(), &edits);
        check(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn the_default_watchlist_with_mutated_values_loads_and_scans_or_each_problem_names_its_line(
        edits in value_edits(),
    ) {
        check(&mutate_values(&DOCS[1], &edits))?;
    }
}

/// Each problem of `src` as (line, place, message).
fn problems(src: &str) -> Vec<(Option<usize>, Place, String)> {
    Watchlist::parse(src, None)
        .expect_err("refused")
        .into_iter()
        .map(|p| (p.line, p.place, p.kind.to_string()))
        .collect()
}

/// A watchlist of the set `s` with `terms` (TOML) and one rule `r`.
fn with_terms(terms: &str) -> String {
    format!("[sets.s]\nterms = [{terms}]\n[[rules]]\nid = \"r\"\nwhen = \"s\"\n")
}

/// A watchlist of the sets `a` and `b` and the rule `r` with `when`
/// (written as a TOML literal string) on line 5.
fn with_when(when: &str) -> String {
    format!(
        "[sets.a]\nterms = [\"x\"]\n[sets.b]\nterms = [\"y\"]\n[[rules]]\nid = \"r\"\nwhen = '{when}'\n"
    )
}

fn set(name: &str) -> Place {
    Place::Set(name.into())
}

fn rule(id: &str) -> Place {
    Place::Rule(id.into())
}

#[test]
fn ten_thousand_nested_parentheses_are_refused_at_the_65th() {
    let parens = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
    let e = expr::parse(&parens).unwrap_err();
    let message = format!(
        "nesting deeper than {MAX_DEPTH} levels (each `(`, NOT, FIRST, ATLEAST and field: is one)"
    );
    assert_eq!(
        (e.column, e.message.as_str()),
        (MAX_DEPTH + 1, message.as_str())
    );
    assert_eq!(
        problems(&with_when(&parens)),
        [(Some(7), rule("r"), format!("`when`, column 65: {message}"))]
    );
    // Unbalanced either way, far deeper than any stack.
    let e = expr::parse(&")".repeat(10_000)).unwrap_err();
    assert_eq!(e.column, 1);
    let e = expr::parse(&format!("a{}", ")".repeat(10_000))).unwrap_err();
    assert_eq!(
        (e.column, e.message.as_str()),
        (
            2,
            "expected AND, OR or the end of the expression, found `)`"
        )
    );
}

#[test]
fn a_1_mb_term_is_refused_naming_set_term_and_limit_in_well_under_a_second() {
    let term = "a".repeat(1 << 20);
    let src = with_terms(&format!("\"x\", \"{term}\""));
    let started = Instant::now();
    let got = problems(&src);
    let took = started.elapsed();
    assert_eq!(
        got,
        [(
            Some(2),
            set("s"),
            "term 2 has 1048576 characters, more than the 256 a term may have".into()
        )]
    );
    // 60 ms in a debug build: the length is counted before anything else.
    assert!(took < Duration::from_secs(1), "{took:?}");
    // Quoted in `when`, it is refused at its column.
    let src = with_when(&format!("a AND \"{term}\""));
    assert_eq!(
        problems(&src),
        [(
            Some(7),
            rule("r"),
            "`when`, column 7: the quoted term has 1048576 characters, more than the 256 a term \
             may have"
                .into()
        )]
    );
}

#[test]
fn near_distances_past_u32_are_refused_and_the_largest_holds_across_a_field() {
    for (n, column) in [("4294967296", 8), ("18446744073709551616", 8)] {
        assert_eq!(
            problems(&with_when(&format!("a NEAR/{n} b"))),
            [(
                Some(7),
                rule("r"),
                format!(
                    "`when`, column {column}: NEAR/{n}: the distance may be at most 4294967295 \
                     words"
                )
            )]
        );
    }
    assert_eq!(
        problems(&with_when("a NEAR/-1 b")),
        [(
            Some(7),
            rule("r"),
            "`when`, column 8: NEAR/ must be followed by a number of words, S (one sentence) or P (one paragraph)".into()
        )]
    );
    // The largest distance holds for any two matches in one field; NEAR/0
    // for adjacent ones only.
    for (n, far, near) in [("4294967295", true, true), ("0", false, true)] {
        let w = Watchlist::parse(&with_when(&format!("a NEAR/{n} b")), None).expect("loads");
        let engine = crate::engine::Engine::build(std::sync::Arc::new(w)).expect("builds");
        let holds = |text: &str| {
            let fields = [crate::engine::Field { name: "body", text }];
            !engine
                .scan(&fields, &mut crate::engine::Scratch::new(), 50)
                .is_empty()
        };
        let filler = "w ".repeat(10_000);
        assert_eq!(holds(&format!("x {filler} y")), far, "NEAR/{n}");
        assert_eq!(holds("x y"), near, "NEAR/{n}");
    }
}

#[test]
fn a_term_of_only_invisible_characters_is_refused_as_empty_naming_set_and_term() {
    let src = with_terms("\"H200\", \"\u{200b}\u{ad}\", \"\u{feff}\u{2060} \u{200d}\"");
    assert_eq!(
        problems(&src),
        [
            (
                Some(2),
                set("s"),
                "term 2 is empty after normalization (\"\\u{200b}\\u{ad}\")".into()
            ),
            (
                Some(2),
                set("s"),
                "term 3 is empty after normalization (\"\\u{feff}\\u{2060} \\u{200d}\")".into()
            ),
        ]
    );
    assert_eq!(
        problems(&with_when("a AND \"\u{200b}\u{ad}\"")),
        [(
            Some(7),
            rule("r"),
            "`when`, column 7: the quoted term is empty".into()
        )]
    );
}

#[test]
fn a_term_that_starts_with_a_combining_mark_is_refused_naming_set_and_term() {
    // "\u{301}\u{301}" used to load, and then matched only at
    // the very start of a field, never after a space as a whole word would
    // (the offset map does not split a character from its marks).
    let src = with_terms("\"H200\", \"\u{301}\u{301}\", \"´\", \"\u{200b}\u{308}x\", \"e\u{301}\"");
    let tail = |mark: &str| {
        format!(
            "it starts with the combining mark U+{mark} once normalized, and a mark belongs to the \
             character before it: no word starts with one"
        )
    };
    assert_eq!(
        problems(&src),
        [
            (
                Some(2),
                set("s"),
                format!(r#"term 2 "\u{{301}}\u{{301}}": {}"#, tail("0301"))
            ),
            // NFKC spells the acute accent as a space and U+0301.
            (Some(2), set("s"), format!("term 3 \"´\": {}", tail("0301"))),
            (
                Some(2),
                set("s"),
                format!(r#"term 4 "\u{{200b}}\u{{308}}x": {}"#, tail("0308"))
            ),
        ]
    );
    assert_eq!(
        problems(&with_when("a AND \"\u{301}\u{301}\"")),
        [(
            Some(7),
            rule("r"),
            format!(
                r#"`when`, column 7: quoted term "\u{{301}}\u{{301}}": {}"#,
                tail("0301")
            )
        )]
    );
    // A mark after a letter is part of its word, as ever.
    let w = Watchlist::parse(&with_terms("\"e\u{301}\", \"Zu\u{301}r*\""), None).expect("loads");
    assert_eq!(w.sets[0].terms.len(), 2);
}

#[test]
fn a_watchlist_100k_deep_in_toml_is_refused_on_its_line() {
    let deep = 100_000;
    let too_deep = "invalid TOML: cannot recurse further; max recursion depth met";
    for src in [
        format!("x = 1\na = {}{}\n", "[".repeat(deep), "]".repeat(deep)),
        format!("x = 1\na = {}1{}\n", "{a=".repeat(deep), "}".repeat(deep)),
    ] {
        assert_eq!(problems(&src), [(Some(2), Place::File, too_deep.into())]);
    }
    let key = vec!["a"; deep].join(".");
    assert_eq!(
        problems(&format!("x = 1\n[{key}]\n")),
        [(
            Some(2),
            Place::File,
            "invalid TOML: a key or table header has more than the 80 dotted parts TOML takes"
                .into()
        )]
    );
}
