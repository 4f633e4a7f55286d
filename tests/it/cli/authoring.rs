//! `newswatch explain` (SPEC section 6a) as the real binary: its `--json`
//! trees agree with what `scan` raises over the corpus, `--rule` selects
//! rules and an unknown one exits 64.

use std::collections::BTreeSet;

use newswatch_test_support::corpus::{
    Operators, corpus, dirty, watchlist_toml, watchlist_toml_with,
};
use serde_json::{Value, json};

use super::{fixture, path_str, run, stderr, temp_file};

/// The corpus as JSON Lines: the generated items (clean and with
/// publishers' debris) as title and body, with metadata that metadata
/// filters look at (SPEC 2b) on all but every fourth, then the fixtures.
fn corpus_lines() -> Vec<u8> {
    let mut out = Vec::new();
    let texts = corpus(600_000).into_iter().chain(dirty(300_000));
    let urls = [
        "https://www.example.com/a",
        "http://news.example.org:8080/b",
        "example.com/c",
    ];
    for (i, text) in texts.enumerate() {
        let (title, body) = text.split_once('\n').unwrap_or((&text, ""));
        let mut item = json!({ "id": format!("c{i}"), "title": title, "body": body });
        if i % 4 != 3 {
            item["lang"] = json!(["ru", "EN", "zh"][i % 3]);
            item["url"] = json!(urls[i % urls.len()]);
        }
        out.extend_from_slice(item.to_string().as_bytes());
        out.push(b'\n');
    }
    for name in [
        "chip_news.jsonl",
        "tass-h200-ru.jsonl",
        "non_chip_news.jsonl",
        "incidental_mentions.jsonl",
    ] {
        out.extend(std::fs::read(fixture(name)).expect("fixture"));
    }
    out
}

/// (item, rule) of every alert `scan` prints.
fn scanned(watchlist: &str, input: &str) -> BTreeSet<(String, String)> {
    let out = run(&["scan", "--watchlist", watchlist, input]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(|l| {
            let a: Value = serde_json::from_str(l).expect("alert JSON");
            let d = &a["data"];
            (
                d["item"]["id"].as_str().expect("id").to_owned(),
                d["rule"].as_str().expect("rule").to_owned(),
            )
        })
        .collect()
}

/// (item, rule) of every root that holds in `explain --json`, and the
/// number of (item, rule) explained.
fn explained(watchlist: &str, input: &str, extra: &[&str]) -> (BTreeSet<(String, String)>, usize) {
    let mut args = vec!["explain", "--json", "--watchlist", watchlist];
    args.extend_from_slice(extra);
    args.push(input);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut holds = BTreeSet::new();
    let mut n = 0;
    for l in String::from_utf8(out.stdout).expect("UTF-8").lines() {
        let item: Value = serde_json::from_str(l).expect("one JSON object per item");
        let id = item["item"].as_str().expect("item id");
        for r in item["rules"].as_array().expect("rules") {
            n += 1;
            let root = r["tree"]["value"].as_bool().expect("root value");
            assert_eq!(r["holds"].as_bool(), Some(root), "{r}");
            if root {
                holds.insert((id.to_owned(), r["rule"].as_str().expect("rule").to_owned()));
            }
        }
    }
    (holds, n)
}

#[test]
fn explain_roots_agree_with_scan_over_the_corpus() {
    let input = temp_file("explain-corpus.jsonl", &corpus_lines());
    let input = path_str(&input);
    let generated = temp_file(
        "explain-generated.toml",
        watchlist_toml(1_000, 40).as_bytes(),
    );
    // Every operator of SPEC 2b, metadata filters included.
    let spec_2b = temp_file(
        "explain-generated-2b.toml",
        watchlist_toml_with(1_000, 90, Operators::Spec2b).as_bytes(),
    );
    for watchlist in [
        "config/watchlist.toml",
        path_str(&generated),
        path_str(&spec_2b),
    ] {
        let want = scanned(watchlist, input);
        assert!(
            want.len() > 10,
            "{watchlist}: the corpus alerts ({})",
            want.len()
        );
        let (got, n) = explained(watchlist, input, &[]);
        assert!(n > want.len());
        assert_eq!(
            got.symmetric_difference(&want).take(10).collect::<Vec<_>>(),
            Vec::<&(String, String)>::new(),
            "{watchlist}: explain and scan disagree"
        );
    }
}

/// SPEC 2b through the binary: `check` refuses a scope that names no
/// field and a filter alone, with file, line, rule and column (exit 78);
/// the config's `input.metadata_fields` and `input.fields` decide what a
/// scope may name; `explain --json` shows a filter with the item's value
/// and `FIRST` with the earliest match's word.
#[test]
fn scopes_and_filters_are_checked_against_the_configured_fields_and_explained() {
    let watchlist = temp_file(
        "spec2b.toml",
        b"[sets.chips]\nterms = [\"H200\"]\n\
          [[rules]]\nid = \"a\"\nwhen = 'region:apac AND FIRST/3 chips'\n\
          [[rules]]\nid = \"b\"\nwhen = 'lang:ru'\n",
    );
    let out = run(&["check", "--watchlist", path_str(&watchlist)]);
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(
            "spec2b.toml:5: rule `a`: `when`, column 1: `region:` names no scanned field \
             (input.fields: title, summary, body) and no metadata field \
             (input.metadata_fields: lang, source, url, and site)"
        ),
        "{err}"
    );
    assert!(
        err.contains("spec2b.toml:6: rule `b`: the rule may hold for an item that matches nothing"),
        "{err}"
    );

    // With `region` configured as metadata, rule `a` loads.
    let watchlist = temp_file(
        "spec2b-ok.toml",
        b"[sets.chips]\nterms = [\"H200\"]\n\
          [[rules]]\nid = \"a\"\nwhen = 'region:apac AND FIRST/3 chips'\n",
    );
    let config = temp_file(
        "spec2b-config.toml",
        b"[input]\nmetadata_fields = [\"region\", \"lang\"]\n",
    );
    let item = temp_file(
        "spec2b-items.jsonl",
        b"{\"id\": \"1\", \"region\": \"APAC\", \"title\": \"one two H200\"}\n\
          {\"id\": \"2\", \"region\": \"emea\", \"title\": \"one two three H200\"}\n",
    );
    let args = |cmd: &'static str| {
        vec![
            cmd,
            "--config",
            path_str(&config),
            "--watchlist",
            path_str(&watchlist),
        ]
    };
    let out = run(&args("check"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut explain = args("explain");
    explain.extend(["--json", path_str(&item)]);
    let out = run(&explain);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let items: Vec<Value> = String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    let tree = |i: usize| items[i]["rules"][0]["tree"].clone();
    assert_eq!(items[0]["rules"][0]["holds"], json!(true));
    assert_eq!(tree(0)["children"][0]["label"], json!("region:apac"));
    assert_eq!(tree(0)["children"][0]["meta"]["item"], json!("APAC"));
    assert_eq!(tree(0)["children"][1]["first"]["word"], json!(3));
    // Item 2: another region, and H200 is word 4.
    assert_eq!(items[1]["rules"][0]["holds"], json!(false));
    assert_eq!(tree(1)["children"][0]["value"], json!(false));
    assert_eq!(tree(1)["children"][1]["first"]["word"], json!(4));
}

/// `newswatch test` evaluates the operators of SPEC 2b on a case's item,
/// its metadata included, and explains a failing one.
#[test]
fn rule_tests_see_metadata_and_explain_the_operators_of_spec_2b() {
    temp_file(
        "t2b-watchlist.toml",
        "[sets.chips]\nterms = [\"H200\", \"чип*\"]\n[sets.ban]\nterms = [\"запрет*\"]\n\
         [[rules]]\nid = \"lead\"\n\
         when = 'lang:ru AND title:chips AND body:(FIRST/40 ban) AND ban NEAR/S chips'\n"
            .as_bytes(),
    );
    let cases = temp_file(
        "t2b.toml",
        "watchlist = \"t2b-watchlist.toml\"\n\
         [[cases]]\nname = \"ru\"\nitem = { lang = \"RU\", title = \"Запрет на чипы H200\", \
         body = \"Власти обсуждают запрет на H200.\" }\nalerts = [\"lead\"]\n\
         [[cases]]\nname = \"en\"\nitem = { lang = \"en\", title = \"Запрет на чипы H200\", \
         body = \"Власти обсуждают запрет на H200.\" }\nalerts = [\"lead\"]\n"
            .as_bytes(),
    );
    let out = run(&["test", path_str(&cases)]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", stderr(&out));
    assert!(stdout.contains("  ok   ru\n"), "{stdout}");
    assert!(stdout.contains("  FAIL en\n"), "{stdout}");
    assert!(
        stdout.contains("✗ lang:ru: the item's lang is \"en\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("✓ FIRST/40: earliest \"запрет\" in body at word 3, needs ≤ 40"),
        "{stdout}"
    );
    assert!(stdout.contains("2 cases: 1 passed, 1 failed"), "{stdout}");
}

#[test]
fn explain_selects_rules_and_refuses_unknown_ones() {
    let tass = fixture("tass-h200-ru.jsonl");
    let input = path_str(&tass);
    let (holds, n) = explained(
        "config/watchlist.toml",
        input,
        &["--rule", "chip-export-approval"],
    );
    assert_eq!(n, 1, "one item, one rule");
    assert_eq!(holds.len(), 1);

    let out = run(&["explain", "--rule", "chip-export-approval", input]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        text.contains("rule chip-export-approval: ALERTS (high)") && text.contains("✓ AND"),
        "{text}"
    );

    let out = run(&["explain", "--rule", "no-such-rule", input]);
    assert_eq!(out.status.code(), Some(64));
    let err = stderr(&out);
    assert!(
        err.contains("no-such-rule") && err.contains("chip-export-approval"),
        "names the unknown id and the known ones: {err}"
    );
}

#[test]
fn the_shipped_rule_tests_of_the_default_watchlist_pass() {
    let out = run(&["test", "config/watchlist.test.toml"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    let cases = text.lines().filter(|l| l.starts_with("  ok ")).count();
    assert!(cases >= 30, "at least 30 cases: {text}");
    for lang in ["EN: ", "RU: ", "ZH: ", "near miss"] {
        assert!(text.contains(lang), "cases of {lang}: {text}");
    }
    assert!(text.ends_with(&format!("{cases} cases: {cases} passed, 0 failed\n")));
}

/// A test file beside a copy of the default watchlist, with `cases`.
fn test_file(name: &str, cases: &str) -> std::path::PathBuf {
    let watchlist = std::fs::read(super::root().join("config/watchlist.toml")).expect("watchlist");
    temp_file(&format!("{name}-watchlist.toml"), &watchlist);
    temp_file(
        &format!("{name}.toml"),
        format!("watchlist = \"{name}-watchlist.toml\"\n{cases}").as_bytes(),
    )
}

const PASSING: &str = r#"
[[cases]]
name = "H200 exports"
item = { id = "a", title = "US weighs allowing Nvidia H200 exports to China" }
alerts = ["chip-export-approval"]
"#;

#[test]
fn a_failing_case_exits_1_with_expected_actual_and_the_explanation_and_junit_xml() {
    let items = temp_file(
        "rule-items.jsonl",
        b"{\"id\": \"x\", \"title\": \"ordinary\"}\n{\"id\": \"b\", \"title\": \"Potato chips <exports> & \\\"snacks\\\" to China\"}\n",
    );
    let file = test_file(
        "failing",
        &format!(
            "{PASSING}\n[[cases]]\nname = \"potato <chips> & snacks\"\nfile = \"{}\"\nline = 2\n\
             alerts = [\"chip-export-approval\"]\nnot_alerts = [\"chip-vendors-china\"]\n",
            path_str(&items)
        ),
    );
    let junit = file.with_extension("xml");
    let out = run(&["test", "--junit", path_str(&junit), path_str(&file)]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(text.contains("  ok   H200 exports\n"), "{text}");
    assert!(text.contains("  FAIL potato <chips> & snacks\n"), "{text}");
    assert!(
        text.contains("expected to fire: chip-export-approval; fired: (none)"),
        "{text}"
    );
    assert!(
        text.contains("rule chip-export-approval: does not alert") && text.contains("✗ AND"),
        "the explanation of the rule that did not fire: {text}"
    );
    assert!(text.ends_with("2 cases: 1 passed, 1 failed\n"), "{text}");

    // The JUnit XML, read by Python's own XML parser.
    let script = r#"
import json, sys
import xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.read())
assert root.tag == "testsuites", root.tag
out = {"tests": root.get("tests"), "failures": root.get("failures"), "suites": []}
for s in root.findall("testsuite"):
    cases = []
    for c in s.findall("testcase"):
        f = c.find("failure")
        cases.append({"name": c.get("name"), "classname": c.get("classname"),
                      "failure": None if f is None else {"message": f.get("message"), "text": f.text}})
    out["suites"].append({"name": s.get("name"), "tests": s.get("tests"),
                          "failures": s.get("failures"), "cases": cases})
print(json.dumps(out))
"#;
    let xml = std::fs::read(&junit).expect("the JUnit file");
    let x = newswatch_test_support::python::run("reading the JUnit XML", script, &xml);
    assert_eq!(
        (x["tests"].as_str(), x["failures"].as_str()),
        (Some("2"), Some("1"))
    );
    let suite = &x["suites"][0];
    assert_eq!(suite["name"], path_str(&file));
    assert_eq!(suite["cases"][0]["failure"], Value::Null);
    assert_eq!(suite["cases"][1]["name"], "potato <chips> & snacks");
    let failure = &suite["cases"][1]["failure"];
    assert!(
        failure["message"]
            .as_str()
            .is_some_and(|m| m.contains("expected to fire: chip-export-approval")),
        "{failure}"
    );
    assert!(
        failure["text"]
            .as_str()
            .is_some_and(|t| t.contains("rule chip-export-approval: does not alert")),
        "{failure}"
    );
}

#[test]
fn invalid_test_files_exit_78_naming_the_line() {
    let cases = [
        (
            "unknown-rule",
            format!(
                "{PASSING}\n[[cases]]\nname = \"n\"\nitem = {{ title = \"x\" }}\nalerts = [\"no-such-rule\"]\n"
            ),
            ":8: case \"n\": no rule \"no-such-rule\"",
        ),
        (
            "syntax",
            format!("{PASSING}\n[[cases]]\nname = \"n\"\nitem = {{ title = \n"),
            ":10:",
        ),
        (
            "no-item",
            format!("{PASSING}\n[[cases]]\nname = \"n\"\nalerts = [\"chip-export-approval\"]\n"),
            ":8: case \"n\": give the item inline",
        ),
        (
            "expects-nothing",
            format!("{PASSING}\n[[cases]]\nname = \"n\"\nitem = {{ title = \"x\" }}\n"),
            ":8: case \"n\": expects nothing",
        ),
        (
            "past-the-end",
            format!(
                "{PASSING}\n[[cases]]\nname = \"n\"\nfile = \"failing-watchlist.toml\"\nline = 100000\nnot_alerts = [\"chip-export-approval\"]\n"
            ),
            "there is no line 100000",
        ),
        (
            "unknown-key",
            format!(
                "{PASSING}\n[[cases]]\nname = \"n\"\nitem = {{ title = \"x\" }}\nalert = [\"chip-export-approval\"]\n"
            ),
            "unknown field `alert`",
        ),
    ];
    let _ = test_file("failing", "");
    for (name, body, want) in cases {
        let file = test_file(name, &body);
        let out = run(&["test", path_str(&file)]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(78), "{name}: {err}");
        assert!(
            err.contains(path_str(&file)) && err.contains(want),
            "{name}: want {want:?} in {err}"
        );
    }
    // A watchlist that does not load: its own errors, named.
    let bad = temp_file("bad-watchlist.toml", b"[sets.a]\nterms = []\n");
    let file = temp_file(
        "bad-watchlist-test.toml",
        format!("watchlist = \"{}\"\n{PASSING}", path_str(&bad)).as_bytes(),
    );
    let out = run(&["test", path_str(&file)]);
    assert_eq!(out.status.code(), Some(78));
    assert!(
        stderr(&out).contains("bad-watchlist.toml:1: set `a`"),
        "{}",
        stderr(&out)
    );
}
