//! Hostile items among normal ones (issue 14): the worst item of each
//! complexity class of the engine, sent through `newswatch run` between
//! ordinary news; every alert of the ordinary news still arrives and
//! `/healthz` stays 200 while the daemon works through them.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use newswatch_test_support::broker::{produce, unkeyed};
use newswatch_test_support::expected::expected_alerts;
use newswatch_test_support::fixtures::fixture_items;
use newswatch_test_support::http::http_get;
use newswatch_test_support::root;
use newswatch_test_support::setup::{Setup, assert_all_committed};
use newswatch_test_support::subscriber::Subscriber;

use super::ALERT_TIMEOUT;

/// Bytes of each hostile item's body: large enough that the quadratic
/// engine took seconds per item (the NEAR item took 0.5 s at 32 KB, 47 s
/// at 262 KB in a release build), within the default `input.max_bytes`.
const HOSTILE_BYTES: usize = 256 << 10;

/// The default watchlist, plus a set of 32 overlapping terms (`x`, `x x`,
/// …) and 200 rules over it.
fn watchlist(s: &Setup) -> std::path::PathBuf {
    let mut text =
        std::fs::read_to_string(root().join("config/watchlist.toml")).expect("default watchlist");
    let terms: Vec<String> = (1..=32)
        .map(|k| format!("{:?}", vec!["xq"; k].join(" ")))
        .collect();
    text.push_str(&format!(
        "\n[sets.hostile]\nterms = [{}]\n",
        terms.join(", ")
    ));
    for r in 0..200 {
        text.push_str(&format!(
            "[[rules]]\nid = \"hostile-{r}\"\nwhen = \"hostile\"\nseverity = \"low\"\n"
        ));
    }
    let path = s.dir.join("watchlist.toml");
    std::fs::write(&path, text).expect("write watchlist");
    path
}

fn item(id: &str, body: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "id": id, "body": body })).expect("serializes")
}

#[test]
fn hostile_items_do_not_stop_the_ordinary_news() {
    let s = Setup::new("hostile", 2);
    let wl = watchlist(&s);
    let normal = fixture_items();
    let want: HashSet<String> = expected_alerts(&wl, &normal)
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert!(want.len() >= 10, "the fixtures alert");

    let n = HOSTILE_BYTES / 10;
    let hostile = [
        // NEAR over n x n matches: "bans" NEAR/8 chip names.
        item(
            "hostile-near",
            &format!(
                "{}the of and to in a is that for it as was with be by on not he this are {}",
                "H200 ".repeat(n),
                "bans ".repeat(n)
            ),
        ),
        // 32 overlapping terms at every word, 200 rules over them.
        item("hostile-overlap", &"xq ".repeat(HOSTILE_BYTES / 3)),
    ];
    let mut messages = Vec::new();
    let half = normal.len() / 2;
    messages.extend(unkeyed(&normal[..half]));
    messages.extend(unkeyed(&hostile));
    messages.extend(unkeyed(&normal[half..]));
    messages.extend(unkeyed(&hostile));

    let config = s.config_with(&wl, "");
    let mut daemon = s.spawn(&config, "daemon");
    let addr = daemon.http_addr();
    produce(&s.brokers, &s.news, &messages);
    let mut alerts = Subscriber::new(&s.brokers, &s.alerts);
    let deadline = Instant::now() + ALERT_TIMEOUT;
    let mut health_checks = 0;
    loop {
        let got: HashSet<String> = alerts.received.iter().map(|r| r.key.clone()).collect();
        if want.is_subset(&got) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {} ordinary alerts; log:\n{}",
            want.intersection(&got).count(),
            want.len(),
            daemon.log_text()
        );
        let (status, body) = http_get(&addr, "/healthz");
        assert_eq!(
            status, 200,
            "healthz while hostile items are processed: {body}"
        );
        health_checks += 1;
        alerts.until(Duration::from_millis(500), |_| false);
    }
    assert!(health_checks > 0);
    assert_eq!(http_get(&addr, "/healthz").0, 200);
    // The overlap item raises its 200 alerts too (its repeat has the same
    // alert ids), each with at most max_matches (50) matches.
    let hostile_rules = |r: &[newswatch_test_support::subscriber::Received]| {
        r.iter()
            .filter_map(|a| a.value["data"]["rule"].as_str())
            .filter(|r| r.starts_with("hostile-"))
            .collect::<HashSet<_>>()
            .len()
    };
    assert!(
        alerts.until(ALERT_TIMEOUT, |r| hostile_rules(r) >= 200),
        "the overlap item's 200 alerts; log:\n{}",
        daemon.log_text()
    );
    for r in &alerts.received {
        let matches = r.value["data"]["matches"].as_array().map_or(0, Vec::len);
        assert!(matches <= 50, "{matches} matches in one alert");
    }
    assert_all_committed(&s);
    daemon.terminate();
}
