//! The operators of SPEC 2b at their edges: field scope, `FIRST/n`,
//! metadata filters, `PRE/n`, `NOT NEAR/n`, `NEAR/S`, `NEAR/P` and
//! `ATLEAST/n`, each where it just holds and just does not. The explain
//! tree agrees on every case (`explain` evaluates apart from the engine).

use super::tests::engine;
use super::*;
use crate::explain;

const SETS: &str = r#"
[sets.chips]
terms = ["H200", "Nvidia H200", "AI chip*"]
[sets.ban]
terms = ["ban*", "запрет*", "禁止"]
[sets.gaming]
terms = ["gaming"]
"#;

/// Whether the rule `when` holds on an item of `fields` (name, text) and
/// `metadata`; panics when the engine and `explain` disagree.
fn holds(when: &str, fields: &[(&str, &str)], metadata: &[(&str, &str)]) -> bool {
    let e = engine(&format!("{SETS}[[rules]]\nid = \"r\"\nwhen = '{when}'\n"));
    let fields: Vec<Field<'_>> = fields
        .iter()
        .map(|&(name, text)| Field { name, text })
        .collect();
    let mut scratch = Scratch::new();
    let engine_says = !e.scan_with(&fields, metadata, &mut scratch, 50).is_empty();
    let explained = explain::explain(&e, &fields, metadata, &[], &mut scratch);
    assert_eq!(
        explained[0].holds,
        engine_says,
        "{when} on {fields:?} {metadata:?}: explain and the engine disagree\n{}",
        explain::render(&explained[0])
    );
    engine_says
}

fn body(when: &str, text: &str) -> bool {
    holds(when, &[("body", text)], &[])
}

#[test]
fn a_field_scope_looks_at_its_field_alone() {
    let both = [("title", "H200 exports"), ("body", "a ban on gaming")];
    assert!(holds("title:chips", &both, &[]));
    assert!(!holds("body:chips", &both, &[]));
    assert!(holds("title:chips AND body:ban", &both, &[]));
    // The same term in two fields: each scope sees its own.
    let twice = [("title", "H200"), ("body", "the H200 ban")];
    assert!(holds("title:chips AND body:chips", &twice, &[]));
    // NEAR in a scope: both sides in that field.
    assert!(holds("body:(chips NEAR/0 ban)", &twice, &[]));
    assert!(!holds("title:(chips NEAR/5 ban)", &twice, &[]));
    let apart = [("title", "H200"), ("body", "a ban")];
    assert!(!holds("body:(chips NEAR/5 ban)", &apart, &[]));
    assert!(holds("chips AND body:ban", &apart, &[]));
    // NOT in a scope: absent from that field, wherever else it is.
    let gaming_in_body = [("title", "H200 ban"), ("body", "gaming")];
    assert!(holds("title:(chips AND NOT gaming)", &gaming_in_body, &[]));
    assert!(!holds("chips AND NOT gaming", &gaming_in_body, &[]));
    // A field the item does not have: nothing in it.
    assert!(!holds("summary:chips", &both, &[]));
    assert!(holds("chips AND NOT summary:chips", &both, &[]));
}

#[test]
fn first_n_holds_for_a_match_starting_at_word_n_and_not_n_plus_1() {
    for n in 1..6usize {
        let filler = vec!["word"; n - 1].join(" ");
        // H200 is word n.
        let text = format!("{filler} H200 and more").trim_start().to_owned();
        assert!(body(&format!("FIRST/{n} chips"), &text), "{text}");
        let later = format!("x {text}");
        assert!(!body(&format!("FIRST/{n} chips"), &later), "{later}");
        assert!(body(&format!("FIRST/{} chips", n + 1), &later), "{later}");
    }
    // Each field counts from its own start; a scope picks one.
    let fields = [("title", "Nvidia H200 ban"), ("body", "one two three H200")];
    assert!(holds("FIRST/1 chips", &fields, &[]));
    assert!(!holds("body:FIRST/3 chips", &fields, &[]));
    assert!(holds("body:FIRST/4 chips", &fields, &[]));
    // CJK: each character is a word.
    assert!(body("FIRST/4 ban", "英伟达禁止"));
    assert!(!body("FIRST/3 ban", "英伟达禁止"));
}

#[test]
fn metadata_filters_compare_case_insensitively_and_fail_when_absent() {
    let f = [("body", "H200")];
    assert!(holds("chips AND lang:ru", &f, &[("lang", "RU")]));
    assert!(holds("chips AND lang:ru", &f, &[("lang", " ru ")]));
    assert!(!holds("chips AND lang:ru", &f, &[("lang", "ru-RU")]));
    assert!(!holds("chips AND lang:ru", &f, &[]));
    assert!(holds("chips AND NOT lang:ru", &f, &[]));
    assert!(holds("chips AND lang:(ru OR zh)", &f, &[("lang", "zh")]));
    assert!(!holds("chips AND lang:(ru OR zh)", &f, &[("lang", "en")]));
    assert!(holds(
        r#"chips AND source:"ТАСС""#,
        &f,
        &[("source", "тасс")]
    ));
    assert!(holds(
        r#"chips AND source:"Reuters Breakingviews""#,
        &f,
        &[("source", "reuters breakingviews")]
    ));
    // site: the URL's host or a parent domain, whatever the port.
    let site = |url: &str| holds("chips AND site:reuters.com", &f, &[("url", url)]);
    assert!(site("https://www.reuters.com/technology/x"));
    assert!(site("http://REUTERS.COM:8080/x?y=1"));
    assert!(site("https://reuters.com./x"));
    assert!(site("reuters.com/no-scheme"));
    assert!(site("https://a.b.reuters.com"));
    assert!(!site("https://notreuters.com/x"));
    assert!(!site("https://reuters.com.evil.example/x"));
    assert!(!site("not a url at all"));
    assert!(!holds("chips AND site:reuters.com", &f, &[]));
}

#[test]
fn pre_n_needs_order_and_at_most_n_words_between() {
    for k in 0..5usize {
        let filler = vec!["w"; k].join(" ");
        let forward = format!("H200 {filler} ban");
        let backward = format!("ban {filler} H200");
        assert!(body(&format!("chips PRE/{k} ban"), &forward), "{forward}");
        assert!(
            !body(&format!("chips PRE/{k} ban"), &backward),
            "{backward}"
        );
        if k > 0 {
            assert!(!body(&format!("chips PRE/{} ban", k - 1), &forward));
        }
        // ONEAR is PRE.
        assert!(body(&format!("chips ONEAR/{k} ban"), &forward));
    }
    // Overlapping matches are not one before the other.
    let e = "[sets.a]\nterms=[\"nvidia h200\"]\n[sets.b]\nterms=[\"h200\"]\n";
    let engine = engine(&format!("{e}[[rules]]\nid=\"r\"\nwhen=\"a PRE/0 b\"\n"));
    let fields = [Field {
        name: "body",
        text: "Nvidia H200",
    }];
    assert!(engine.scan(&fields, &mut Scratch::new(), 5).is_empty());
    // Across fields: no.
    assert!(!holds(
        "chips PRE/9 ban",
        &[("title", "H200"), ("body", "ban")],
        &[]
    ));
}

#[test]
fn not_near_holds_for_a_match_with_none_of_the_other_side_within_n_words() {
    assert!(!body("chips NOT NEAR/2 gaming", "H200 for gaming"));
    assert!(!body("chips NOT NEAR/2 gaming", "gaming w w H200"));
    assert!(body("chips NOT NEAR/2 gaming", "gaming w w w H200"));
    // One lone match is enough, even if another is near.
    assert!(body(
        "chips NOT NEAR/1 gaming",
        "H200 gaming; far away w w w w another H200"
    ));
    // No match of the other side in the field at all.
    assert!(body("chips NOT NEAR/1 gaming", "H200 sales"));
    assert!(holds(
        "chips NOT NEAR/1 gaming",
        &[("title", "H200"), ("body", "gaming")],
        &[]
    ));
    // Overlap is distance 0.
    let e = "[sets.a]\nterms=[\"nvidia h200\"]\n[sets.b]\nterms=[\"h200\"]\n";
    let engine = engine(&format!(
        "{e}[[rules]]\nid=\"r\"\nwhen=\"a NOT NEAR/0 b\"\n"
    ));
    let fields = [Field {
        name: "body",
        text: "Nvidia H200",
    }];
    assert!(engine.scan(&fields, &mut Scratch::new(), 5).is_empty());
}

#[test]
fn near_s_and_near_p_look_for_one_sentence_and_one_paragraph() {
    for stop in [". ", "? ", "! ", "。", "！", "\n"] {
        let two = format!("The H200 sold well{stop}Then came a ban");
        assert!(!body("chips NEAR/S ban", &two), "{two:?}");
        assert!(
            body("chips NEAR/P ban", &two) != stop.contains('\n'),
            "{two:?}"
        );
    }
    assert!(body("chips NEAR/S ban", "The U.S. H200 ban is new."));
    assert!(body(
        "chips NEAR/S ban",
        "H200 sales to China face a U.S. Commerce Department ban."
    ));
    assert!(body("chips NEAR/S ban", "英伟达H200芯片禁止出口。"));
    assert!(!body("chips NEAR/S ban", "英伟达H200芯片。禁止出口。"));
    // Either order.
    assert!(body("chips NEAR/S ban", "A ban on H200."));
    // Paragraphs: a blank line or a line break parts them.
    assert!(body(
        "chips NEAR/P ban",
        "H200 sold. Then a ban.\nNext paragraph."
    ));
    assert!(!body("chips NEAR/P ban", "H200 sold.\n\nThen a ban."));
    assert!(!body("chips NEAR/P ban", "H200 sold.\r\nThen a ban."));
    // One field: not across title and body.
    assert!(!holds(
        "chips NEAR/S ban",
        &[("title", "H200"), ("body", "ban")],
        &[]
    ));
}

#[test]
fn atleast_counts_places_overlapping_matches_once() {
    assert!(!body("ATLEAST/3 chips", "H200, H200"));
    assert!(body("ATLEAST/3 chips", "H200, H200 and AI chips"));
    // `Nvidia H200` and `H200` overlap: one place.
    assert!(!body("ATLEAST/2 chips", "Nvidia H200"));
    assert!(body("ATLEAST/2 chips", "Nvidia H200 and H200"));
    // An OR side counts both.
    assert!(body("ATLEAST/2 (chips OR ban)", "H200 ban"));
    // Over the item, or in a scoped field.
    let fields = [("title", "H200"), ("body", "H200 again")];
    assert!(holds("ATLEAST/2 chips", &fields, &[]));
    assert!(!holds("body:ATLEAST/2 chips", &fields, &[]));
    assert!(holds("ATLEAST/1 chips", &fields, &[]));
}
