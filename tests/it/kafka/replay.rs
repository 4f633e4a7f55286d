//! `newswatch replay` (SPEC section 6a) on the real broker: items produced
//! at known timestamps; `--from`/`--to` select exactly those in range (as
//! times, relative times and offsets); the group's committed offsets stay
//! as they were; `--compare` names exactly the rule that differs; `--sink`
//! delivers to the configured topic.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::process::Output;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use newswatch_test_support::broker::committed;
use newswatch_test_support::daemon::newswatch_bin;
use newswatch_test_support::expected::expected_alerts;
use newswatch_test_support::fixtures::fixture_items;
use newswatch_test_support::root;
use newswatch_test_support::setup::Setup;
use newswatch_test_support::subscriber::Subscriber;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};

use super::ALERT_TIMEOUT;

/// The fixture items with ids prefixed by `tag`.
fn tagged(tag: &str) -> Vec<Vec<u8>> {
    fixture_items()
        .iter()
        .map(|raw| {
            let mut v: serde_json::Value = serde_json::from_slice(raw).expect("fixture JSON");
            let id = v["id"].as_str().unwrap_or("x").to_owned();
            v["id"] = format!("{tag}-{id}").into();
            v.to_string().into_bytes()
        })
        .collect()
}

/// Produces `items` with the Kafka timestamp `at_ms`, round-robin over the
/// partitions.
fn produce_at(brokers: &str, topic: &str, partitions: i32, items: &[Vec<u8>], at_ms: i64) {
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("enable.idempotence", "true")
        .create()
        .expect("producer");
    for (i, v) in items.iter().enumerate() {
        let r: BaseRecord<'_, [u8], [u8]> = BaseRecord::to(topic)
            .payload(v.as_slice())
            .partition(i as i32 % partitions)
            .timestamp(at_ms);
        producer.send(r).map_err(|(e, _)| e).expect("send");
    }
    producer.flush(Duration::from_secs(30)).expect("flush");
}

fn rfc3339(ms: i64) -> String {
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ms as u64)).to_string()
}

fn replay(config: &Path, args: &[&str]) -> Output {
    std::process::Command::new(newswatch_bin())
        .current_dir(root())
        .args(["replay", "--config"])
        .arg(config)
        .args(args)
        .output()
        .expect("run newswatch replay")
}

/// Runs a replay that must succeed, its alerts written to `dir/name`;
/// returns their ids and the report on stdout.
fn replay_alerts(
    config: &Path,
    dir: &Path,
    name: &str,
    args: &[&str],
) -> (HashSet<String>, String) {
    let file = dir.join(name);
    let mut all = args.to_vec();
    all.extend(["--output", file.to_str().expect("path")]);
    let out = replay(config, &all);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        !stderr.contains('\r'),
        "no progress line when stderr is not a terminal: {stderr:?}"
    );
    (alert_ids(&file), stdout)
}

/// The alert ids in a JSON lines file.
fn alert_ids(path: &Path) -> HashSet<String> {
    std::fs::read_to_string(path)
        .expect("output file")
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("alert JSON");
            v["id"].as_str().expect("id").to_owned()
        })
        .collect()
}

/// Every replayed alert carries its story (SPEC 3a). The copies of an
/// item (`a-X`, `b-X`, `c-X`, produced an hour apart) are one story,
/// first seen at the Kafka timestamp of its first item (`produced_at` of
/// the item's prefix), not when the replay ran; and a story counts each
/// of its items once.
fn stories_span_the_history(path: &Path, produced_at: impl Fn(&str) -> i64) {
    let mut story_of: HashMap<String, String> = HashMap::new();
    let mut items_of: HashMap<String, HashSet<String>> = HashMap::new();
    let mut copies_of: HashMap<String, u64> = HashMap::new();
    for line in std::fs::read_to_string(path).expect("output").lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("alert JSON");
        let story = &v["data"]["story"];
        let item = v["data"]["item"]["id"].as_str().expect("item id");
        let id = story["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no story: {line}"));
        let first = story["first_item"].as_str().expect("first_item");
        assert_eq!(id, first, "{line}");
        let (prefix, _) = first.split_once('-').expect("tagged id");
        assert_eq!(
            story["first_seen"].as_str(),
            Some(rfc3339(produced_at(prefix)).as_str()),
            "first seen when its first item was produced: {line}"
        );
        let (_, x) = item.split_once('-').expect("tagged id");
        let earlier = story_of
            .entry(x.to_owned())
            .or_insert_with(|| id.to_owned());
        assert_eq!(earlier, id, "the copies of {x} are one story");
        items_of
            .entry(id.to_owned())
            .or_default()
            .insert(item.to_owned());
        let copies = story["copies"].as_u64().expect("copies");
        let most = copies_of.entry(id.to_owned()).or_default();
        *most = (*most).max(copies);
    }
    assert!(!items_of.is_empty());
    for (id, items) in &items_of {
        assert!(items.len() >= 3, "{id}: {items:?}");
        assert_eq!(copies_of[id], items.len() as u64, "{id}: {items:?}");
    }
}

#[test]
fn replay_reads_exactly_the_range_and_leaves_the_group_alone() {
    let s = Setup::new("replay", 2);
    let watchlist = root().join("config/watchlist.toml");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    let hour = 3_600_000;
    let (a, b, c) = (tagged("a"), tagged("b"), tagged("c"));
    produce_at(&s.brokers, &s.news, 2, &a, now - 3 * hour);
    produce_at(&s.brokers, &s.news, 2, &b, now - 2 * hour);
    produce_at(&s.brokers, &s.news, 2, &c, now - hour);
    let ids = |items: &[Vec<u8>]| -> HashSet<String> {
        expected_alerts(&watchlist, items)
            .into_iter()
            .map(|e| e.id)
            .collect()
    };
    let (want_a, want_b, want_c) = (ids(&a), ids(&b), ids(&c));
    assert!(!want_b.is_empty());

    // The group has committed offsets of its own; replay must not touch them.
    let group: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &s.brokers)
        .set("group.id", &s.group)
        .create()
        .expect("group consumer");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(&s.news, 0, Offset::Offset(3))
        .expect("tpl");
    tpl.add_partition_offset(&s.news, 1, Offset::Offset(1))
        .expect("tpl");
    group.commit(&tpl, CommitMode::Sync).expect("commit");
    drop(group);
    let before = committed(&s.brokers, &s.group, &s.news, 2);
    assert_eq!(before, [3, 1]);

    let config = s.config("");
    // Times: exactly the middle hour.
    let (got, stdout) = replay_alerts(
        &config,
        &s.dir,
        "b.jsonl",
        &[
            "--from",
            &rfc3339(now - 2 * hour - 60_000),
            "--to",
            &rfc3339(now - hour - 60_000),
        ],
    );
    assert_eq!(got, want_b, "{stdout}");
    assert!(
        stdout.contains(&format!("{} items\n", b.len())),
        "every item of the range, none other: {stdout}"
    );
    assert!(stdout.contains("chip-export-approval"), "{stdout}");

    // Relative: the last 2.5 hours are b and c; offsets: everything.
    let bc: HashSet<String> = want_b.union(&want_c).cloned().collect();
    let (got, _) = replay_alerts(&config, &s.dir, "bc.jsonl", &["--from", "-150m"]);
    assert_eq!(got, bc);
    let all: HashSet<String> = bc.union(&want_a).cloned().collect();
    let (got, _) = replay_alerts(&config, &s.dir, "all.jsonl", &["--from", "0:0,1:0"]);
    assert_eq!(got, all);
    stories_span_the_history(&s.dir.join("all.jsonl"), |prefix| match prefix {
        "a" => now - 3 * hour,
        "b" => now - 2 * hour,
        _ => now - hour,
    });
    // Offsets as the end: partition 0 up to (not including) offset 1.
    let out = replay(&config, &["--from", "0:0", "--to", "0:1"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("topic ") && stdout.contains(" 0:0..1\n"),
        "{stdout}"
    );
    assert!(stdout.ends_with("1 items\n"), "{stdout}");

    // --compare: an old watchlist whose chip-vendors-china also needed the
    // US government reports exactly that rule, with alerts added.
    let old = std::fs::read_to_string(&watchlist)
        .expect("watchlist")
        .replace(
            "AND FIRST/50 chip_vendors AND china\"\"\"",
            "AND FIRST/50 chip_vendors AND china AND us_government\"\"\"",
        );
    let old_path = s.dir.join("old-watchlist.toml");
    std::fs::write(&old_path, old).expect("old watchlist");
    let out = replay(
        &config,
        &[
            "--from",
            "0:0,1:0",
            "--compare",
            old_path.to_str().expect("path"),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let changed: BTreeSet<&str> = stdout
        .lines()
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            match cols.as_slice() {
                [rule, _, _, added, removed]
                    if *added != "added" && (*added != "0" || *removed != "0") =>
                {
                    Some(*rule)
                }
                _ => None,
            }
        })
        .collect();
    assert_eq!(changed, BTreeSet::from(["chip-vendors-china"]), "{stdout}");
    assert!(
        stdout.contains("  + a-"),
        "the first items added are listed: {stdout}"
    );

    // The group's offsets are as they were: replay joined no group.
    assert_eq!(committed(&s.brokers, &s.group, &s.news, 2), before);

    // Errors: a bad WHEN or a backwards range is a usage error; a missing
    // topic names it.
    let out = replay(&config, &["--from", "0:0,1:0", "--output", "/dev/full"]);
    assert_eq!(
        out.status.code(),
        Some(74),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = replay(&config, &["--from", "0:8", "--to", "0:3"]);
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is before --from"));
    let out = replay(&config, &["--from", "yesterday"]);
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("RFC 3339"));
    let out = replay(&config, &["--topic", "no-such-topic-xyz", "--from", "-1h"]);
    assert_eq!(out.status.code(), Some(69));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-topic-xyz"));
}

#[test]
fn replay_delivers_to_a_sink_only_when_named() {
    let s = Setup::new("replay-sink", 1);
    let items = tagged("s");
    produce_at(&s.brokers, &s.news, 1, &items, 1_700_000_000_000);
    let want: HashSet<String> = expected_alerts(&root().join("config/watchlist.toml"), &items)
        .into_iter()
        .map(|e| e.id)
        .collect();
    let config = s.config("");
    // Without --sink nothing reaches the alert topic.
    let out = replay(&config, &["--from", "0:0"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut alerts = Subscriber::new(&s.brokers, &s.alerts);
    alerts.until(Duration::from_secs(3), |_| false);
    assert!(alerts.received.is_empty(), "no sink unless named");
    let out = replay(&config, &["--from", "0:0", "--sink", "alerts-topic"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        alerts.until_all(&want, ALERT_TIMEOUT),
        "{}",
        alerts.progress(&want)
    );
    let out = replay(&config, &["--from", "0:0", "--sink", "nope"]);
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("alerts-topic"));
}
