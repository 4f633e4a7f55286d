//! The term and rule semantics of SPEC section 2, one case each.

use std::sync::Arc;

use super::*;
use crate::watchlist::Watchlist;

/// Builds an engine from watchlist TOML.
pub(super) fn engine(src: &str) -> Engine {
    let w = Watchlist::parse(src, None).unwrap_or_else(|p| panic!("bad test watchlist: {p:?}"));
    Engine::build(Arc::new(w)).expect("engine builds")
}

/// A watchlist with one set of `terms` and a rule on it.
fn one_set(terms: &[&str], case_sensitive: bool) -> Engine {
    let list = terms
        .iter()
        .map(|t| format!("{t:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    engine(&format!(
        "[sets.s]\nterms = [{list}]\ncase_sensitive = {case_sensitive}\n[[rules]]\nid = \"r\"\nwhen = \"s\"\n"
    ))
}

/// The original text of every match in a one-field item.
fn found(e: &Engine, text: &str) -> Vec<String> {
    let fields = [Field { name: "body", text }];
    e.find_matches(&fields, &mut Scratch::new())
        .iter()
        .map(|m| text[m.start..m.end].to_owned())
        .collect()
}

/// Which rules hold for an item given as (field, text) pairs.
fn rules_holding(e: &Engine, fields: &[(&str, &str)]) -> Vec<String> {
    let fields: Vec<Field<'_>> = fields
        .iter()
        .map(|&(name, text)| Field { name, text })
        .collect();
    e.scan(&fields, &mut Scratch::new(), usize::MAX)
        .iter()
        .map(|h| e.rule(h.rule).id.clone())
        .collect()
}

#[test]
fn whole_words_only() {
    let e = one_set(&["H20", "AMD"], false);
    assert_eq!(found(&e, "H200 and H20."), ["H20"]);
    assert!(found(&e, "AMDOCS reported").is_empty());
    assert_eq!(found(&e, "(AMD)"), ["AMD"]);
    assert_eq!(
        found(&e, "AMD"),
        ["AMD"],
        "start and end of field are boundaries"
    );
    assert!(found(&e, "H20x 2H20").is_empty());
}

#[test]
fn full_width_and_compatibility_forms() {
    let e = one_set(&["H200"], false);
    assert_eq!(found(&e, "英伟达Ｈ２００芯片"), ["Ｈ２００"]);
    assert_eq!(found(&e, "chips: 𝐇𝟐𝟎𝟎!"), ["𝐇𝟐𝟎𝟎"]);
}

#[test]
fn case_folding_in_latin_and_cyrillic() {
    let e = one_set(&["Nvidia", "экспорт"], false);
    assert_eq!(found(&e, "NVIDIA и ЭКСПОРТ"), ["NVIDIA", "ЭКСПОРТ"]);
    assert_eq!(found(&e, "nViDiA"), ["nViDiA"]);
}

#[test]
fn prefixes_take_russian_endings() {
    let e = one_set(&["экспорт*", "разрешени*"], false);
    assert_eq!(
        found(&e, "Экспорта, экспортом; разрешение и разрешения"),
        ["Экспорта", "экспортом", "разрешение", "разрешения"]
    );
    // A prefix still needs a boundary at its start.
    assert!(found(&e, "реэкспорт").is_empty());
}

#[test]
fn prefix_matches_extend_to_the_end_of_the_word() {
    let e = one_set(&["export*"], false);
    assert_eq!(found(&e, "exporting exports"), ["exporting", "exports"]);
}

#[test]
fn cjk_terms_match_anywhere_in_cjk_text() {
    let e = one_set(&["出口", "芯片"], false);
    assert_eq!(found(&e, "芯片出口许可"), ["芯片", "出口"]);
}

#[test]
fn latin_terms_next_to_cjk_characters() {
    let e = one_set(&["H200"], false);
    assert_eq!(found(&e, "英伟达H200芯片"), ["H200"]);
    assert!(found(&e, "英伟达H2000芯片").is_empty());
}

#[test]
fn white_space_runs_and_non_breaking_spaces() {
    let e = one_set(&["AI chip*", "export  control"], false);
    assert_eq!(
        found(&e, "AI\u{a0}chips, AI \n\t chip, export control"),
        ["AI\u{a0}chips", "AI \n\t chip", "export control"]
    );
}

#[test]
fn overlapping_terms_all_count() {
    let e = one_set(&["Nvidia H200", "H200", "Nvidia"], false);
    assert_eq!(found(&e, "Nvidia H200"), ["Nvidia", "Nvidia H200", "H200"]);
}

#[test]
fn the_same_term_in_several_sets() {
    let e = engine(
        "[sets.a]\nterms=[\"H200\"]\n[sets.b]\nterms=[\"h200\"]\n\
         [[rules]]\nid=\"both\"\nwhen=\"a AND b\"\n",
    );
    assert_eq!(rules_holding(&e, &[("body", "the H200")]), ["both"]);
}

#[test]
fn case_sensitive_sets() {
    let e = engine(
        "[sets.acr]\nterms=[\"US\"]\ncase_sensitive=true\n[sets.plain]\nterms=[\"us\"]\n\
         [[rules]]\nid=\"acr\"\nwhen=\"acr\"\n[[rules]]\nid=\"plain\"\nwhen=\"plain\"\n",
    );
    assert_eq!(
        rules_holding(&e, &[("body", "the US said")]),
        ["acr", "plain"]
    );
    assert_eq!(rules_holding(&e, &[("body", "tell us more")]), ["plain"]);
    assert_eq!(
        rules_holding(&e, &[("body", "ＵＳ export")]),
        ["acr", "plain"]
    );
}

const NEAR: &str = "[sets.a]\nterms=[\"Nvidia\"]\n[sets.b]\nterms=[\"H200\"]\n\
    [[rules]]\nid=\"n2\"\nwhen=\"a NEAR/2 b\"\n";

#[test]
fn near_exactly_at_n_words_and_at_n_plus_one() {
    let e = engine(NEAR);
    assert_eq!(
        rules_holding(&e, &[("body", "Nvidia one two H200")]),
        ["n2"]
    );
    assert!(rules_holding(&e, &[("body", "Nvidia one two three H200")]).is_empty());
    // Either order; adjacent and punctuation do not count as words.
    assert_eq!(rules_holding(&e, &[("body", "H200, — Nvidia")]), ["n2"]);
    // Each CJK character is a word: 英伟达 is three.
    assert!(rules_holding(&e, &[("body", "Nvidia 英伟达 H200")]).is_empty());
    assert_eq!(rules_holding(&e, &[("body", "Nvidia 英伟 H200")]), ["n2"]);
}

#[test]
fn near_does_not_cross_fields() {
    let e = engine(NEAR);
    assert!(rules_holding(&e, &[("title", "Nvidia"), ("body", "H200")]).is_empty());
    assert_eq!(
        rules_holding(&e, &[("title", "Nvidia"), ("body", "H200 Nvidia")]),
        ["n2"]
    );
}

#[test]
fn near_with_overlapping_matches_and_or_groups() {
    let e = engine(
        "[sets.a]\nterms=[\"Nvidia H200\"]\n[sets.b]\nterms=[\"H200\"]\n[sets.c]\nterms=[\"chip\"]\n\
         [[rules]]\nid=\"o\"\nwhen=\"a NEAR/0 b\"\n\
         [[rules]]\nid=\"g\"\nwhen=\"(c OR \\\"gpu\\\") NEAR/1 b\"\n",
    );
    assert_eq!(rules_holding(&e, &[("body", "Nvidia H200")]), ["o"]);
    assert_eq!(rules_holding(&e, &[("body", "GPU like H200")]), ["g"]);
}

#[test]
fn and_or_not_look_at_the_whole_item() {
    let e = engine(
        "[sets.chips]\nterms=[\"H200\"]\n[sets.export]\nterms=[\"export*\"]\n\
         [[rules]]\nid=\"r\"\nwhen=\"chips AND export AND NOT \\\"gaming\\\"\"\n",
    );
    assert_eq!(
        rules_holding(&e, &[("title", "H200"), ("body", "exports")]),
        ["r"]
    );
    assert!(rules_holding(&e, &[("title", "H200 gaming"), ("body", "exports")]).is_empty());
    assert!(rules_holding(&e, &[("title", "H200")]).is_empty());
}

#[test]
fn precedence_and_binds_tighter_than_or() {
    let e = engine(
        "[sets.a]\nterms=[\"aa\"]\n[sets.b]\nterms=[\"bb\"]\n[sets.c]\nterms=[\"cc\"]\n\
         [[rules]]\nid=\"r\"\nwhen=\"a OR b AND c\"\n\
         [[rules]]\nid=\"p\"\nwhen=\"(a OR b) AND c\"\n",
    );
    assert_eq!(rules_holding(&e, &[("body", "aa")]), ["r"]);
    assert!(rules_holding(&e, &[("body", "bb")]).is_empty());
    assert_eq!(rules_holding(&e, &[("body", "bb cc")]), ["r", "p"]);
}

#[test]
fn inline_terms_follow_term_syntax() {
    let e = engine(
        "[sets.a]\nterms=[\"Nvidia\"]\n\
         [[rules]]\nid=\"r\"\nwhen=\"a AND \\\"licen*\\\"\"\n",
    );
    assert_eq!(rules_holding(&e, &[("body", "Nvidia licences")]), ["r"]);
    assert!(rules_holding(&e, &[("body", "Nvidia unlicensed")]).is_empty());
}

#[test]
fn hits_carry_the_referenced_matches_in_order() {
    let e = engine(
        "[sets.chips]\nterms=[\"H200\", \"H20\"]\n[sets.other]\nterms=[\"Nvidia\"]\n\
         [[rules]]\nid=\"r\"\nwhen=\"chips\"\n",
    );
    let fields = [
        Field {
            name: "title",
            text: "H20 by Nvidia",
        },
        Field {
            name: "body",
            text: "Nvidia H200 and H20",
        },
    ];
    let hits = e.scan(&fields, &mut Scratch::new(), usize::MAX);
    assert_eq!(hits.len(), 1);
    let spans: Vec<(usize, usize, usize)> = hits[0]
        .matches
        .iter()
        .map(|m| (m.field, m.start, m.end))
        .collect();
    assert_eq!(spans, [(0, 0, 3), (1, 7, 11), (1, 16, 19)]);
}

#[test]
fn only_rules_of_matched_operands_are_evaluated() {
    // 10,000 rules on 10,000 sets; an item matching one set holds one rule.
    let mut src = String::new();
    for i in 0..10_000 {
        src.push_str(&format!(
            "[sets.s{i}]\nterms=[\"term{i}\"]\n[[rules]]\nid=\"r{i}\"\nwhen=\"s{i}\"\n"
        ));
    }
    let e = engine(&src);
    assert_eq!(
        rules_holding(&e, &[("body", "about term4321 only")]),
        ["r4321"]
    );
}

#[test]
fn a_term_shared_by_sets_is_found_for_each_and_once_per_set() {
    // One automaton pattern ("h200") stands for: the term of `a` written
    // twice (once full-width), a term of `b`, a case-sensitive term of `c`,
    // and the prefix term of `d`.
    let e = engine(
        r#"
[sets.a]
terms = ["H200", "Ｈ２００", "zzz"]
[sets.b]
terms = ["aaa", "h200"]
[sets.c]
terms = ["H200"]
case_sensitive = true
[sets.d]
terms = ["H200*"]
[[rules]]
id = "r"
when = "a OR b OR c OR d"
"#,
    );
    let fields = [Field {
        name: "body",
        text: "the h200 and H200s",
    }];
    let got: Vec<(String, u32, usize)> = e
        .find_matches(&fields, &mut Scratch::new())
        .iter()
        .map(|m| (e.watchlist().operand_name(m.operand), m.term, m.start))
        .collect();
    assert_eq!(
        got,
        [
            ("a".to_owned(), 0, 4),
            ("b".to_owned(), 1, 4),
            ("d".to_owned(), 0, 4),
            ("d".to_owned(), 0, 13),
        ],
        "the case-sensitive H200 does not match h200, and no whole-word term matches H200s"
    );
}
