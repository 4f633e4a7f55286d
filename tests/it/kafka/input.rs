//! `input.format = "text"` and `alerts.dedup_window` through `newswatch run`
//! (SPEC sections 1 and 4): plain-text items identified by their key or
//! their position, an alert id emitted once within the window and again
//! after it, bad text dead-lettered.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use newswatch::item::{DecodeOptions, Format};
use newswatch_test_support::broker::{Msg, produce};
use newswatch_test_support::expected::expected_alerts_with;
use newswatch_test_support::fixtures::lines;
use newswatch_test_support::root;
use newswatch_test_support::setup::{Setup, assert_all_committed};
use newswatch_test_support::subscriber::Subscriber;

/// The dedup window of the daemon under test: long enough that a repeat
/// produced with the original is surely inside it, short enough to wait out.
const WINDOW: Duration = Duration::from_secs(10);

/// Chip news from the fixtures as plain text: title, summary and body.
fn chip_texts() -> Vec<String> {
    lines(&root().join("tests/fixtures/chip_news.jsonl"))
        .iter()
        .map(|raw| {
            let v: serde_json::Value = serde_json::from_slice(raw).expect("fixture json");
            ["title", "summary", "body"]
                .iter()
                .filter_map(|f| v[f].as_str())
                .collect::<Vec<_>>()
                .join("\n\n")
        })
        .collect()
}

#[test]
fn text_items_and_the_dedup_window() {
    let s = Setup::new("text", 2);
    let texts = chip_texts();
    let keyed: Vec<(String, &String)> = texts
        .iter()
        .take(3)
        .enumerate()
        .map(|(i, t)| (format!("txt-{i}"), t))
        .collect();
    let anonymous_text = &texts[3];
    // The anonymous item's id is its position, known once produced.
    let mut given: Vec<(Option<&str>, &[u8])> = keyed
        .iter()
        .map(|(id, t)| (Some(id.as_str()), t.as_bytes()))
        .collect();
    given.push((Some("anonymous"), anonymous_text.as_bytes()));
    let text = DecodeOptions {
        format: Format::Text,
        ..DecodeOptions::default()
    };
    let all = expected_alerts_with(&root().join("config/watchlist.toml"), &text, &given);
    let ids_of = |item: &str| -> HashSet<String> {
        all.iter()
            .filter(|a| a.item == item)
            .map(|a| a.id.clone())
            .collect()
    };
    let mut expected = HashSet::new();
    for (id, _) in &keyed {
        let ids = ids_of(id);
        assert!(!ids.is_empty(), "fixture {id} alerts as text");
        expected.extend(ids);
    }
    let repeat = ids_of(&keyed[0].0);
    let anonymous = ids_of("anonymous").len();
    assert!(anonymous > 0, "the anonymous text alerts");

    let mut messages: Vec<Msg> = keyed
        .iter()
        .enumerate()
        .map(|(i, (id, t))| {
            (
                Some(i as i32 % 2),
                Some(id.clone().into_bytes()),
                t.as_bytes().to_vec(),
            )
        })
        .collect();
    // The same item again, on the other partition: same alert ids, inside
    // the window.
    messages.push((
        Some(1),
        Some(keyed[0].0.clone().into_bytes()),
        keyed[0].1.as_bytes().to_vec(),
    ));
    // No key: the id is {topic}/{partition}/{offset}.
    messages.push((Some(0), None, anonymous_text.as_bytes().to_vec()));
    // Bad text: dead-lettered with its reason.
    messages.push((
        Some(1),
        Some(b"bad-utf8".to_vec()),
        b"Nvidia H200 \xff\xfe export".to_vec(),
    ));
    messages.push((Some(0), Some(b"blank".to_vec()), b" \n\t ".to_vec()));

    let config = s.config(&format!(
        "[input]\nformat = \"text\"\n[alerts]\ndedup_window = \"{}s\"\n",
        WINDOW.as_secs()
    ));
    let mut daemon = s.spawn(&config, "daemon");
    produce(&s.brokers, &s.news, &messages);
    let mut alerts = Subscriber::new(&s.brokers, &s.alerts);
    let want = expected.len() + anonymous;
    assert!(
        alerts.until(Duration::from_secs(120), |r| r.len() >= want),
        "{} of {want} alerts; log:\n{}",
        alerts.received.len(),
        daemon.log_text()
    );
    let first_emitted = Instant::now();
    // Every offset done, the repeat included, and nothing more arrives.
    assert_all_committed(&s);
    alerts.until(Duration::from_secs(2), |_| false);
    assert_eq!(
        alerts.received.len(),
        want,
        "the repeat inside the window raised nothing: {:?}",
        alerts.received.iter().map(|r| &r.key).collect::<Vec<_>>()
    );
    let (anon, named): (Vec<_>, Vec<_>) = alerts.received.iter().partition(|r| {
        r.value["data"]["item"]["id"]
            .as_str()
            .is_some_and(|id| id.starts_with(&s.news))
    });
    assert_eq!(anon.len(), anonymous);
    assert_eq!(
        named.iter().map(|r| r.key.clone()).collect::<HashSet<_>>(),
        expected,
        "alerts keyed by the message keys"
    );
    for r in &alerts.received {
        let matches = r.value["data"]["matches"].as_array().expect("matches");
        assert!(
            matches.iter().all(|m| m["field"] == "text"),
            "a text item has the one field `text`: {matches:?}"
        );
    }

    let mut dead = Subscriber::new(&s.brokers, &s.dead_letter);
    assert!(dead.until(Duration::from_secs(60), |r| r.len() >= 2));
    let reasons: HashSet<(String, String)> = dead
        .received
        .iter()
        .map(|r| {
            let e = r
                .headers
                .get("newswatch-error")
                .cloned()
                .unwrap_or_default();
            (
                r.key.clone(),
                e.split(':').next().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        HashSet::from([
            ("bad-utf8".to_owned(), "invalid_utf8".to_owned()),
            ("blank".to_owned(), "no_text".to_owned()),
        ])
    );

    // After the window the same item alerts again, with the same ids.
    if let Some(left) = (WINDOW + Duration::from_secs(1)).checked_sub(first_emitted.elapsed()) {
        std::thread::sleep(left);
    }
    produce(
        &s.brokers,
        &s.news,
        &[(
            Some(0),
            Some(keyed[0].0.clone().into_bytes()),
            keyed[0].1.as_bytes().to_vec(),
        )],
    );
    let again = want + repeat.len();
    assert!(
        alerts.until(Duration::from_secs(60), |r| r.len() >= again),
        "{} of {again} alerts after the window; log:\n{}",
        alerts.received.len(),
        daemon.log_text()
    );
    let late: HashSet<String> = alerts.received[want..]
        .iter()
        .map(|r| r.key.clone())
        .collect();
    assert_eq!(late, repeat, "the item's alerts once more");
    daemon.terminate();
    assert_all_committed(&s);
}
