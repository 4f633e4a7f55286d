//! Stories through `newswatch run` on the real broker (SPEC 3a, issue 18):
//! the seed article and two wire copies of it (`story_copies.jsonl`) are
//! one story on every alert; a `repeat = "first-per-story"` sink gets the
//! seed's alerts only and counts the copies' as suppressed, while their
//! items are still committed; a `group = "item"` sink gets one alert per
//! item listing its rules; and two instances sharing `alerts.stories_topic`
//! put copies that reach them 2 s apart into one story, as does an
//! instance started afterwards, which reads the window back (and one
//! without the topic does not).

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use newswatch::alert::alert_id;
use newswatch_test_support::broker::{create_topics, produce, unique};
use newswatch_test_support::daemon::{Daemon, newswatch_bin};
use newswatch_test_support::expected::{Expected, expected_alerts};
use newswatch_test_support::fixtures::lines;
use newswatch_test_support::metrics::scrape;
use newswatch_test_support::root;
use newswatch_test_support::setup::{Setup, assert_all_committed};
use newswatch_test_support::subscriber::{Received, Subscriber};

use super::ALERT_TIMEOUT;

const SEED: &str = "tass-2025-12-10-h200";
const COPIES: [&str; 2] = ["ria-2025-12-10-h200", "rbc-2025-12-10-h200"];
const OTHER: &str = "interfax-2025-12-11-h200";

/// The four items of `story_copies.jsonl` (seed, two copies, another
/// story) and the alerts the default watchlist raises on them, by item.
fn items() -> (Vec<Vec<u8>>, BTreeMap<String, Vec<Expected>>) {
    let items = lines(&root().join("tests/fixtures/story_copies.jsonl"));
    assert_eq!(items.len(), 4);
    let mut by_item: BTreeMap<String, Vec<Expected>> = BTreeMap::new();
    for e in expected_alerts(&root().join("config/watchlist.toml"), &items) {
        by_item.entry(e.item.clone()).or_default().push(e);
    }
    for id in [SEED, COPIES[0], COPIES[1], OTHER] {
        assert!(
            by_item.get(id).is_some_and(|a| a.len() >= 2),
            "{id} raises several alerts: {by_item:?}"
        );
    }
    (items, by_item)
}

/// Produces the seed, waits for its `n` alerts on `every`, then the rest:
/// the seed is the story's first item whatever worker takes the copies.
fn produce_seed_first(s: &Setup, items: &[Vec<u8>], every: &mut Subscriber, n: usize) {
    produce(&s.brokers, &s.news, &[(Some(0), None, items[0].clone())]);
    assert!(
        every.until(ALERT_TIMEOUT, |r| r.len() >= n),
        "the seed's {n} alerts: got {}",
        every.received.len()
    );
    let rest: Vec<_> = items[1..]
        .iter()
        .map(|v| (Some(0), None, v.clone()))
        .collect();
    produce(&s.brokers, &s.news, &rest);
}

fn item_of(r: &Received) -> &str {
    r.value["data"]["item"]["id"].as_str().unwrap_or_default()
}

/// The rule ids a `group = "item"` alert lists (`data.rules`).
fn rules_listed(r: &Received) -> Vec<&str> {
    r.value["data"]["rules"]
        .as_array()
        .expect("data.rules")
        .iter()
        .filter_map(|v| v.as_str())
        .collect()
}

fn story_of(r: &Received) -> (&str, i64) {
    let story = &r.value["data"]["story"];
    (
        story["id"].as_str().unwrap_or_default(),
        story["copies"].as_i64().unwrap_or_default(),
    )
}

/// Reads `topic` until every alert id of `want` came, then 3 s more, and
/// checks it got those alerts, each once, and nothing else; `log` is shown
/// when they do not come.
fn exactly_these(
    s: &Setup,
    topic: &str,
    want: &HashSet<String>,
    log: impl Fn() -> String,
) -> Subscriber {
    let mut sub = Subscriber::new(&s.brokers, topic);
    assert!(
        sub.until_all(want, ALERT_TIMEOUT),
        "{}; log:\n{}",
        sub.progress(want),
        log()
    );
    sub.until(Duration::from_secs(3), |_| false);
    assert_eq!(&sub.ids(), want, "nothing but the first alerts");
    assert_eq!(sub.received.len(), want.len(), "each once");
    sub
}

fn sink(name: &str, topic: &str, policy: &str) -> String {
    format!("[[sinks]]\nname = \"{name}\"\ntype = \"kafka\"\ntopic = \"{topic}\"\n{policy}\n")
}

#[test]
fn a_first_per_story_sink_gets_the_first_alert_of_each_story_and_rule() {
    let s = Setup::new("story-first", 1);
    let first_topic = unique("story-first-only");
    create_topics(&s.brokers, &[(&first_topic, 1)]);
    let (items, by_item) = items();
    let config = s.config(&sink("first", &first_topic, "repeat = \"first-per-story\""));
    let daemon = s.spawn(&config, "daemon");
    let mut every = Subscriber::new(&s.brokers, &s.alerts);
    produce_seed_first(&s, &items, &mut every, by_item[SEED].len());

    let total: usize = by_item.values().map(Vec::len).sum();
    assert!(
        every.until(ALERT_TIMEOUT, |r| r.len() >= total),
        "{} of {total} alerts on the every sink; log:\n{}",
        every.received.len(),
        daemon.log_text()
    );
    // Every alert carries its story: the copies the seed's, counted.
    for r in &every.received {
        let item = item_of(r);
        let (story, copies) = story_of(r);
        let want = match item {
            SEED => (SEED, 1),
            i if i == COPIES[0] => (SEED, 2),
            i if i == COPIES[1] => (SEED, 3),
            _ => (OTHER, 1),
        };
        assert_eq!(
            (story, copies),
            want,
            "{item}: {}",
            r.value["data"]["story"]
        );
        assert_eq!(r.value["data"]["story"]["first_item"], story);
        assert!(r.value["data"]["story"]["first_seen"].is_string());
    }

    // The first-per-story sink: the seed's and Interfax's alerts, no copy's.
    let want: HashSet<String> = by_item[SEED]
        .iter()
        .chain(&by_item[OTHER])
        .map(|e| e.id.clone())
        .collect();
    exactly_these(&s, &first_topic, &want, || daemon.log_text());

    // The copies' alerts counted as suppressed, and their items committed.
    let suppressed: usize = COPIES.iter().map(|c| by_item[*c].len()).sum();
    let metrics = scrape(&daemon.http_addr());
    assert_eq!(
        metrics.sum(
            "newswatch_alerts_suppressed_total",
            &[("sink", "first"), ("reason", "story")]
        ),
        suppressed as f64
    );
    assert_eq!(
        metrics.sum(
            "newswatch_alerts_suppressed_total",
            &[("sink", "alerts-topic")]
        ),
        0.0
    );
    assert_eq!(
        metrics.sum("newswatch_stories", &[]),
        2.0,
        "two stories kept"
    );
    assert!(metrics.sum("newswatch_story_index_bytes", &[]) > 0.0);
    assert_all_committed(&s);
}

#[test]
fn a_group_item_sink_gets_one_alert_per_item_with_every_rule() {
    let s = Setup::new("story-group", 1);
    let grouped_topic = unique("story-grouped");
    let first_grouped_topic = unique("story-first-grouped");
    create_topics(
        &s.brokers,
        &[(&grouped_topic, 1), (&first_grouped_topic, 1)],
    );
    let (items, by_item) = items();
    let config = s.config(&format!(
        "{}{}",
        sink("grouped", &grouped_topic, "group = \"item\""),
        sink(
            "first-grouped",
            &first_grouped_topic,
            "group = \"item\"\nrepeat = \"first-per-story\""
        )
    ));
    let daemon = s.spawn(&config, "daemon");
    let mut every = Subscriber::new(&s.brokers, &s.alerts);
    produce_seed_first(&s, &items, &mut every, by_item[SEED].len());

    let mut grouped = Subscriber::new(&s.brokers, &grouped_topic);
    assert!(
        grouped.until(ALERT_TIMEOUT, |r| r.len() >= 4),
        "{} of 4 item alerts; log:\n{}",
        grouped.received.len(),
        daemon.log_text()
    );
    grouped.until(Duration::from_secs(3), |_| false);
    assert_eq!(grouped.received.len(), 4, "one alert per item");
    // The per-rule sink still gets every alert.
    let total: usize = by_item.values().map(Vec::len).sum();
    assert!(every.until(ALERT_TIMEOUT, |r| r.len() >= total));
    let severity_of: BTreeMap<String, String> = every
        .received
        .iter()
        .map(|r| {
            (
                r.value["data"]["rule"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                r.value["data"]["severity"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    let rank = |s: &str| {
        ["info", "low", "medium", "high", "critical"]
            .iter()
            .position(|x| *x == s)
    };
    for r in &grouped.received {
        let item = item_of(r);
        let rules: Vec<&str> = by_item[item].iter().map(|e| e.rule.as_str()).collect();
        let listed = rules_listed(r);
        assert_eq!(
            listed, rules,
            "{item}: every rule that held, in watchlist order"
        );
        let highest = rules
            .iter()
            .max_by_key(|rule| rank(&severity_of[**rule]))
            .expect("rules");
        assert_eq!(
            r.value["data"]["severity"].as_str(),
            Some(severity_of[*highest].as_str()),
            "{item}: the highest severity"
        );
        assert_eq!(r.key, alert_id("", item), "a deterministic per-item id");
        assert_eq!(r.value["id"].as_str(), Some(r.key.as_str()));
        assert_eq!(
            r.headers.get("newswatch-rule").map(String::as_str),
            r.value["data"]["rule"].as_str()
        );
        let want_story = if item == OTHER { OTHER } else { SEED };
        assert_eq!(story_of(r).0, want_story, "{item}");
    }

    // Both policies: one alert for each story's first item only.
    let mut first_grouped = Subscriber::new(&s.brokers, &first_grouped_topic);
    let want: HashSet<String> = [alert_id("", SEED), alert_id("", OTHER)].into();
    assert!(
        first_grouped.until_all(&want, ALERT_TIMEOUT),
        "{}; log:\n{}",
        first_grouped.progress(&want),
        daemon.log_text()
    );
    first_grouped.until(Duration::from_secs(3), |_| false);
    assert_eq!(
        first_grouped.received.len(),
        2,
        "the copies' item alerts suppressed"
    );
    let metrics = scrape(&daemon.http_addr());
    assert_eq!(
        metrics.sum(
            "newswatch_alerts_suppressed_total",
            &[("sink", "first-grouped"), ("reason", "story")]
        ),
        2.0,
        "one suppressed item alert per copy"
    );
    assert_all_committed(&s);
}

/// One instance of a group sharing `stories` (a configuration of its own
/// topics plus the stories topic).
fn instance(name: &str, stories: &str) -> (Setup, Daemon, Subscriber) {
    let s = Setup::new(name, 1);
    let config = s.config(&format!("[alerts]\nstories_topic = \"{stories}\"\n"));
    let daemon = s.spawn(&config, name);
    assert!(
        daemon.wait_for_log("newswatch running", Duration::from_secs(60)),
        "{name} did not start; log:\n{}",
        daemon.log_text()
    );
    let alerts = Subscriber::new(&s.brokers, &s.alerts);
    (s, daemon, alerts)
}

#[test]
fn instances_sharing_the_stories_topic_put_copies_into_one_story() {
    let (items, by_item) = items();
    let brokers = newswatch_test_support::broker::brokers();
    let stories = unique("story-shared");
    create_topics(&brokers, &[(&stories, 2)]);
    let (a, daemon_a, mut alerts_a) = instance("story-a", &stories);
    let (b, daemon_b, mut alerts_b) = instance("story-b", &stories);

    produce(&a.brokers, &a.news, &[(None, None, items[0].clone())]);
    let n = by_item[SEED].len();
    assert!(
        alerts_a.until(ALERT_TIMEOUT, |r| r.len() >= n),
        "the seed's alerts on instance a; log:\n{}",
        daemon_a.log_text()
    );
    let first_seen = alerts_a.received[0].value["data"]["story"]["first_seen"].clone();
    assert!(alerts_a.received.iter().all(|r| story_of(r) == (SEED, 1)));

    // The copy reaches the other instance 2 s later.
    std::thread::sleep(Duration::from_secs(2));
    produce(&b.brokers, &b.news, &[(None, None, items[1].clone())]);
    let n = by_item[COPIES[0]].len();
    assert!(
        alerts_b.until(ALERT_TIMEOUT, |r| r.len() >= n),
        "the copy's alerts on instance b; log:\n{}",
        daemon_b.log_text()
    );
    for r in &alerts_b.received {
        assert_eq!(item_of(r), COPIES[0]);
        assert_eq!(
            story_of(r),
            (SEED, 2),
            "the copy joins the story started on instance a: {}",
            r.value["data"]["story"]
        );
        assert_eq!(r.value["data"]["story"]["first_seen"], first_seen);
    }

    // An instance started now reads the window back before it matches.
    let (c, daemon_c, mut alerts_c) = instance("story-c", &stories);
    produce(&c.brokers, &c.news, &[(None, None, items[2].clone())]);
    let n = by_item[COPIES[1]].len();
    assert!(
        alerts_c.until(ALERT_TIMEOUT, |r| r.len() >= n),
        "the second copy's alerts on instance c; log:\n{}",
        daemon_c.log_text()
    );
    for r in &alerts_c.received {
        assert_eq!(
            story_of(r),
            (SEED, 2),
            "a copy on a new instance joins the story: {}",
            r.value["data"]["story"]
        );
    }
    // Without the topic, an instance keeps its own stories: the same copy
    // starts one.
    let d = Setup::new("story-d", 1);
    let daemon_d = d.spawn(&d.config(""), "story-d");
    produce(&d.brokers, &d.news, &[(None, None, items[2].clone())]);
    let mut alerts_d = Subscriber::new(&d.brokers, &d.alerts);
    assert!(
        alerts_d.until(ALERT_TIMEOUT, |r| r.len() >= n),
        "the second copy's alerts on instance d; log:\n{}",
        daemon_d.log_text()
    );
    assert!(
        alerts_d
            .received
            .iter()
            .all(|r| story_of(r) == (COPIES[1], 1))
    );

    // The stories topic holds one record per story, keyed by its id.
    let mut shared = Subscriber::new(&brokers, &stories);
    shared.until(Duration::from_secs(5), |_| false);
    let keys: Vec<&str> = shared.received.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, [SEED], "only the new story was published");
    assert_eq!(shared.received[0].value["first_item"].as_str(), Some(SEED));
    assert_eq!(
        shared.received[0].value["values"].as_array().map(Vec::len),
        Some(128)
    );
}

/// `replay --sink` gives a sink what the daemon would have sent it: the
/// rules routed to it, by its `repeat` and `group`. The seed, its copies
/// and another story are replayed to a `repeat = "first-per-story"` sink
/// and to a `group = "item"` one with the same `repeat`, with
/// chip-vendors-china routed to `alerts-topic` only.
#[test]
fn replay_gives_a_sink_what_the_daemon_would_send_it() {
    let s = Setup::new("story-replay", 1);
    let first_topic = unique("story-replay-first");
    let desk_topic = unique("story-replay-desk");
    create_topics(&s.brokers, &[(&first_topic, 1), (&desk_topic, 1)]);
    let (items, by_item) = items();
    // One partition, in file order: the seed first.
    let all: Vec<_> = items.iter().map(|v| (Some(0), None, v.clone())).collect();
    produce(&s.brokers, &s.news, &all);
    let routed = "id = \"chip-vendors-china\"\nsinks = [\"alerts-topic\"]\n";
    let text = std::fs::read_to_string(root().join("config/watchlist.toml"))
        .expect("watchlist")
        .replace("id = \"chip-vendors-china\"\n", routed);
    assert!(text.contains(routed));
    let watchlist = s.dir.join("routed-watchlist.toml");
    std::fs::write(&watchlist, text).expect("write watchlist");
    let config = s.config_with(
        &watchlist,
        &format!(
            "{}{}",
            sink("first", &first_topic, "repeat = \"first-per-story\""),
            sink(
                "desk",
                &desk_topic,
                "group = \"item\"\nrepeat = \"first-per-story\""
            )
        ),
    );
    for name in ["first", "desk"] {
        let out = std::process::Command::new(newswatch_bin())
            .args(["replay", "--config"])
            .arg(&config)
            .args(["--from", "0:0", "--sink", name])
            .output()
            .expect("run newswatch replay");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let kept = |item: &str| -> Vec<&Expected> {
        by_item[item]
            .iter()
            .filter(|e| e.rule != "chip-vendors-china")
            .collect()
    };
    assert!(
        kept(SEED).len() < by_item[SEED].len(),
        "the route takes one of the seed's rules away: {by_item:?}"
    );

    // Per rule: the first alerts of each story, but the rule routed away.
    let want: HashSet<String> = kept(SEED)
        .into_iter()
        .chain(kept(OTHER))
        .map(|e| e.id.clone())
        .collect();
    let first = exactly_these(&s, &first_topic, &want, String::new);
    for r in &first.received {
        assert_eq!(
            story_of(r).0,
            if item_of(r) == OTHER { OTHER } else { SEED }
        );
    }

    // Per item: one alert for each story's first item, listing its rules
    // but the one routed away.
    let want: HashSet<String> = [alert_id("", SEED), alert_id("", OTHER)].into();
    let desk = exactly_these(&s, &desk_topic, &want, String::new);
    for r in &desk.received {
        let item = item_of(r);
        let listed = rules_listed(r);
        let rules: Vec<&str> = kept(item).iter().map(|e| e.rule.as_str()).collect();
        assert_eq!(listed, rules, "{item}");
    }
}
