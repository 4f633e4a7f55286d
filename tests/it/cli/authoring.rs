//! `newswatch explain` (SPEC section 6a) as the real binary: its `--json`
//! trees agree with what `scan` raises over the corpus, `--rule` selects
//! rules and an unknown one exits 64.

use std::collections::BTreeSet;

use newswatch_test_support::corpus::{corpus, dirty, watchlist_toml};
use serde_json::{Value, json};

use super::{fixture, path_str, run, stderr, temp_file};

/// The corpus as JSON Lines: the generated items (clean and with
/// publishers' debris) as title and body, then the fixtures.
fn corpus_lines() -> Vec<u8> {
    let mut out = Vec::new();
    let texts = corpus(600_000).into_iter().chain(dirty(300_000));
    for (i, text) in texts.enumerate() {
        let (title, body) = text.split_once('\n').unwrap_or((&text, ""));
        let item = json!({ "id": format!("c{i}"), "title": title, "body": body });
        out.extend_from_slice(item.to_string().as_bytes());
        out.push(b'\n');
    }
    for name in [
        "chip_news.jsonl",
        "tass-h200-ru.jsonl",
        "non_chip_news.jsonl",
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
    for watchlist in ["config/watchlist.toml", path_str(&generated)] {
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
