//! The daemon against a real Kafka broker (SPEC sections 1, 3 and 4):
//! exactly the expected alerts, headers, dead letters, commits, and nothing
//! lost across kill -9, a second instance, and SIGTERM; static membership.

use std::collections::HashSet;
use std::time::Duration;

use newswatch_test_support::broker::{Msg, committed, end_offsets, produce, unkeyed};
use newswatch_test_support::expected::expected_ids;
use newswatch_test_support::fixtures::{fixture_items, stream};
use newswatch_test_support::setup::Setup;
use newswatch_test_support::subscriber::{Subscriber, items_below};

use super::ALERT_TIMEOUT;

#[test]
fn end_to_end_alerts_dead_letters_and_commits() {
    let s = Setup::new("e2e", 3);
    let items = fixture_items();
    let expected = expected_ids(&items);
    assert!(
        expected.len() >= 10,
        "the fixtures alert: {}",
        expected.len()
    );

    // Spread over partitions by key, plus bad items of every kind.
    let mut messages: Vec<Msg> = items
        .iter()
        .enumerate()
        .map(|(i, v)| (None, Some(format!("k{i}").into_bytes()), v.clone()))
        .collect();
    let bad: Vec<(&[u8], &str)> = vec![
        (b"not json at all", "not_json"),
        (b"[1, 2, 3]", "not_object"),
        (b"{\"id\": \"x\", \"title\": \"H200 \xff\"}", "invalid_utf8"),
        (
            b"{\"id\": \"no-text\", \"url\": \"https://example.org\"}",
            "no_text",
        ),
    ];
    for (i, (v, _)) in bad.iter().enumerate() {
        messages.push((
            Some(i as i32 % 3),
            Some(format!("bad{i}").into_bytes()),
            v.to_vec(),
        ));
    }
    // An item without id: the message key is its id.
    let keyed = br#"{"title": "Nvidia H200 export licences approved for China, US Commerce Department says"}"#;
    messages.push((Some(0), Some(b"keyed-item".to_vec()), keyed.to_vec()));
    // Neither id nor key: the id is {topic}/{partition}/{offset}.
    let anonymous = br#"{"title": "US revokes Nvidia H20 export licences for China"}"#;
    messages.push((Some(1), None, anonymous.to_vec()));
    produce(&s.brokers, &s.news, &messages);
    let mut with_id: serde_json::Value = serde_json::from_slice(anonymous).expect("json");
    with_id["id"] = "placeholder".into();
    let anonymous_alerts = expected_ids(&[serde_json::to_vec(&with_id).expect("json")]).len();
    assert!(anonymous_alerts > 0, "the anonymous item alerts");
    let mut with_key: serde_json::Value = serde_json::from_slice(keyed).expect("json");
    with_key["id"] = "keyed-item".into();
    let mut expected_all = expected.clone();
    expected_all.extend(expected_ids(
        &[serde_json::to_vec(&with_key).expect("json")],
    ));
    assert!(expected_all.len() > expected.len(), "the keyed item alerts");

    let config = s.config("");
    let mut daemon = s.spawn(&config, "daemon");
    let mut alerts = Subscriber::new(&s.brokers, &s.alerts);
    let want = expected_all.len() + anonymous_alerts;
    let got_all = alerts.until(ALERT_TIMEOUT, |r| r.len() >= want);
    assert!(
        got_all,
        "{} of {want} alerts; log:\n{}",
        alerts.received.len(),
        daemon.log_text()
    );
    // No more than expected arrives a little later either.
    alerts.until(Duration::from_secs(3), |_| false);
    assert_eq!(alerts.received.len(), want, "each alert once");
    // The anonymous item's alerts carry its topic/partition/offset as id.
    let (anon, named): (Vec<_>, Vec<_>) = alerts.received.iter().partition(|r| {
        r.value["data"]["item"]["id"]
            .as_str()
            .is_some_and(|id| id.starts_with(&s.news))
    });
    assert_eq!(anon.len(), anonymous_alerts);
    for r in &anon {
        let o = &r.value["data"]["origin"];
        let id = format!("{}/{}/{}", s.news, o["partition"], o["offset"]);
        assert_eq!(r.value["data"]["item"]["id"].as_str(), Some(id.as_str()));
        let rule = r.value["data"]["rule"].as_str().unwrap_or_default();
        assert_eq!(r.key, newswatch::alert::alert_id(rule, &id));
    }
    let named_ids: HashSet<String> = named.iter().map(|r| r.key.clone()).collect();
    assert_eq!(named_ids, expected_all, "exactly the expected alert ids");
    for r in &alerts.received {
        assert_eq!(
            r.headers.get("content-type").map(String::as_str),
            Some("application/cloudevents+json")
        );
        assert_eq!(
            r.headers.get("newswatch-rule"),
            r.value["data"]["rule"].as_str().map(str::to_owned).as_ref()
        );
        assert_eq!(
            r.headers.get("newswatch-severity"),
            r.value["data"]["severity"]
                .as_str()
                .map(str::to_owned)
                .as_ref()
        );
        assert_eq!(r.value["id"].as_str(), Some(r.key.as_str()));
        let origin = &r.value["data"]["origin"];
        assert_eq!(origin["topic"].as_str(), Some(s.news.as_str()));
        assert!(origin["offset"].as_i64().is_some() && origin["partition"].as_i64().is_some());
    }

    let mut dead = Subscriber::new(&s.brokers, &s.dead_letter);
    assert!(
        dead.until(Duration::from_secs(60), |r| r.len() >= bad.len()),
        "dead letters: {:?}",
        dead.received
    );
    let reasons: HashSet<String> = dead
        .received
        .iter()
        .map(|r| {
            r.headers
                .get("newswatch-error")
                .cloned()
                .unwrap_or_default()
        })
        .map(|e| e.split(':').next().unwrap_or_default().to_owned())
        .collect();
    let want: HashSet<String> = bad.iter().map(|(_, r)| r.to_string()).collect();
    assert_eq!(reasons, want);
    let keys: HashSet<String> = dead.received.iter().map(|r| r.key.clone()).collect();
    assert_eq!(
        keys,
        (0..bad.len()).map(|i| format!("bad{i}")).collect(),
        "forwarded unchanged, keys too"
    );

    // SIGTERM: exit 0 with every offset committed.
    daemon.terminate();
    assert_eq!(
        committed(&s.brokers, &s.group, &s.news, s.partitions),
        end_offsets(&s.brokers, &s.news, s.partitions),
        "committed offsets reach the end of every partition"
    );
}

#[test]
fn kill_9_mid_stream_loses_nothing() {
    let s = Setup::new("crash", 3);
    let items = stream(6000, "crash");
    let expected = expected_ids(&items);
    let messages = unkeyed(&items);
    produce(&s.brokers, &s.news, &messages);

    let config = s.config("");
    let mut alerts = Subscriber::new(&s.brokers, &s.alerts);
    {
        let mut first = s.spawn(&config, "first");
        // Kill once some, not all, alerts are out.
        let some = alerts.until(ALERT_TIMEOUT, |r| r.len() >= expected.len() / 10);
        assert!(
            some,
            "no alerts before the kill; log:\n{}",
            first.log_text()
        );
        first.signal("KILL");
        assert_eq!(
            first.wait(Duration::from_secs(10)),
            None,
            "killed by a signal, no exit code"
        );
    }
    let second = s.spawn(&config, "second");
    let all = alerts.until_all(&expected, ALERT_TIMEOUT);
    assert!(
        all,
        "{}; log:\n{}",
        alerts.progress(&expected),
        second.log_text()
    );
    // Repeats are allowed, and carry the same id: nothing unexpected.
    assert!(alerts.ids().is_subset(&expected));
}

/// Static membership (librdkafka's `group.instance.id`, README
/// "Exactly-once alerts to Kafka"): an instance killed and started again
/// with the same id gets its partitions back at once. Without it the group
/// cannot give them to the new process before the dead member's session
/// times out (60 s here), so an assignment within 20 s, and every alert of
/// the items produced after the restart, show the static rejoin.
#[test]
fn static_membership_gets_the_partitions_back_at_once_after_kill_9() {
    let s = Setup::new("static", 3);
    let items = stream(2000, "static");
    let expected = expected_ids(&items);
    let messages = unkeyed(&items);
    let (before, after) = messages.split_at(messages.len() / 2);
    produce(&s.brokers, &s.news, before);
    let config = s.config_with_session(60_000, "\"group.instance.id\" = \"static-1\"", "");

    let mut alerts = Subscriber::new(&s.brokers, &s.alerts);
    {
        let first = s.spawn(&config, "first");
        assert!(
            alerts.until(ALERT_TIMEOUT, |r| !r.is_empty()),
            "alerts before the kill; log:\n{}",
            first.log_text()
        );
        first.signal("KILL");
    }
    let second = s.spawn(&config, "second");
    assert!(
        second.wait_for_log("partitions assigned", Duration::from_secs(20)),
        "the partitions came back within 20 s, well inside the 60 s session; log:\n{}",
        second.log_text()
    );
    produce(&s.brokers, &s.news, after);
    assert!(
        alerts.until_all(&expected, ALERT_TIMEOUT),
        "{}; log:\n{}",
        alerts.progress(&expected),
        second.log_text()
    );
}

#[test]
fn two_instances_share_partitions_and_one_can_leave() {
    let s = Setup::new("scale", 6);
    let items = stream(6000, "scale");
    let expected = expected_ids(&items);
    let config = s.config("");
    let a = s.spawn(&config, "a");
    let mut b = s.spawn(&config, "b");
    assert!(
        a.wait_for_log("partitions assigned", Duration::from_secs(60)),
        "a joined; log:\n{}",
        a.log_text()
    );
    assert!(
        b.wait_for_log("partitions assigned", Duration::from_secs(60)),
        "b joined; log:\n{}",
        b.log_text()
    );

    // Keyed, so that every partition, and so each instance, gets items.
    let messages: Vec<Msg> = items
        .iter()
        .enumerate()
        .map(|(i, v)| (None, Some(format!("k{i}").into_bytes()), v.clone()))
        .collect();
    let (first_half, second_half) = messages.split_at(messages.len() / 2);
    produce(&s.brokers, &s.news, first_half);
    let mut alerts = Subscriber::new(&s.brokers, &s.alerts);
    // Both instances work: each has produced alerts.
    for d in [&a, &b] {
        assert!(
            d.wait_for_log("\"message\":\"alert\"", ALERT_TIMEOUT),
            "an instance produced no alert; log:\n{}",
            d.log_text()
        );
    }
    // One instance leaves mid-stream; the other takes its partitions over.
    b.terminate();
    produce(&s.brokers, &s.news, second_half);
    let all = alerts.until_all(&expected, ALERT_TIMEOUT);
    assert!(
        all,
        "{}; log a:\n{}",
        alerts.progress(&expected),
        a.log_text()
    );
    assert!(alerts.ids().is_subset(&expected), "only expected alert ids");
}

#[test]
fn sigterm_while_busy_commits_what_was_delivered_and_exits_0() {
    let s = Setup::new("term", 3);
    let items = stream(20000, "term");
    let expected = expected_ids(&items);
    let messages = unkeyed(&items);
    produce(&s.brokers, &s.news, &messages);
    let config = s.config("");
    let mut daemon = s.spawn(&config, "daemon");
    let mut alerts = Subscriber::new(&s.brokers, &s.alerts);
    assert!(
        alerts.until(ALERT_TIMEOUT, |r| !r.is_empty()),
        "log:\n{}",
        daemon.log_text()
    );
    daemon.terminate();
    assert!(
        daemon.log_text().contains("committed final offsets"),
        "log:\n{}",
        daemon.log_text()
    );

    // Every item below a committed offset had its alerts delivered.
    let committed = committed(&s.brokers, &s.group, &s.news, s.partitions);
    assert!(
        committed.iter().any(|&o| o > 0),
        "something was committed: {committed:?}"
    );
    alerts.until(Duration::from_secs(5), |_| false);
    let delivered = alerts.ids();
    assert!(delivered.is_subset(&expected));
    // Read back the items below the commits: all their alerts are out.
    let below = items_below(&s.brokers, &s.news, &committed);
    let want: i64 = committed.iter().map(|&c| c.max(0)).sum();
    assert_eq!(below.len() as i64, want, "committed {committed:?}");
    let must = expected_ids(&below);
    assert!(!must.is_empty());
    let missing: Vec<_> = must.difference(&delivered).collect();
    assert!(
        missing.is_empty(),
        "alerts of committed items missing: {missing:?}"
    );
}
