//! The Kafka sink's two content modes of the CloudEvents Kafka protocol
//! binding 1.0 (`mode = "structured"`, the default, and `"binary"`) on the
//! real broker, read back by the CloudEvents Python SDK as its consumers
//! read them.

use std::collections::{BTreeMap, HashMap, HashSet};

use newswatch_test_support::broker::{create_topics, produce, unique, unkeyed};
use newswatch_test_support::cloudevents::{Event, Mode, parse};
use newswatch_test_support::expected::expected_alerts;
use newswatch_test_support::fixtures::fixture_items;
use newswatch_test_support::root;
use newswatch_test_support::setup::{Setup, assert_all_committed};
use newswatch_test_support::subscriber::Subscriber;

use super::ALERT_TIMEOUT;

/// The event the SDK must make of a message keyed `key` holding the event
/// JSON `event`: every member but `data` an attribute, the key the
/// `partitionkey` extension (the SDK's mapping of the message key).
fn event_of(key: &str, event: &serde_json::Value) -> Event {
    let mut attributes: BTreeMap<String, String> = event
        .as_object()
        .expect("the event is a JSON object")
        .iter()
        .filter(|(k, _)| *k != "data")
        .map(|(k, v)| (k.clone(), v.as_str().expect("string attributes").to_owned()))
        .collect();
    attributes.insert("partitionkey".into(), key.to_owned());
    Event {
        attributes,
        data: event["data"].clone(),
    }
}

#[test]
fn structured_and_binary_mode_alerts_read_back_as_the_same_events_with_the_cloudevents_sdk() {
    let s = Setup::new("ce-modes", 1);
    let binary_topic = unique("ce-modes-binary");
    create_topics(&s.brokers, &[(&binary_topic, 2)]);
    let items = fixture_items();
    let expected = expected_alerts(&root().join("config/watchlist.toml"), &items);
    let rule_of: HashMap<String, String> = expected
        .iter()
        .map(|a| (a.id.clone(), a.rule.clone()))
        .collect();
    let ids: HashSet<String> = rule_of.keys().cloned().collect();
    assert!(ids.len() >= 10, "{} alerts expected", ids.len());
    // `alerts-topic` (the setup's) keeps the default mode.
    let config = s.config(&format!(
        "[[sinks]]\nname = \"binary\"\ntype = \"kafka\"\ntopic = \"{binary_topic}\"\nmode = \"binary\"\n"
    ));
    produce(&s.brokers, &s.news, &unkeyed(&items));
    let mut daemon = s.spawn(&config, "daemon");
    let mut structured = Subscriber::new(&s.brokers, &s.alerts);
    let mut binary = Subscriber::new(&s.brokers, &binary_topic);
    for (topic, sub) in [("structured", &mut structured), ("binary", &mut binary)] {
        assert!(
            sub.until_all(&ids, ALERT_TIMEOUT),
            "{topic}: {}; log:\n{}",
            sub.progress(&ids),
            daemon.log_text()
        );
    }
    daemon.terminate();
    assert_all_committed(&s);
    assert_eq!(structured.ids(), ids);
    assert_eq!(binary.ids(), ids);

    // The messages as the binding lays them out.
    let mut events: HashMap<&str, &serde_json::Value> = HashMap::new();
    for m in &structured.received {
        assert_eq!(
            m.headers["content-type"], "application/cloudevents+json",
            "{m:?}"
        );
        assert!(!m.headers.keys().any(|h| h.starts_with("ce_")), "{m:?}");
        assert_eq!(m.value["id"], m.key.as_str(), "{m:?}");
        assert_eq!(m.headers["newswatch-rule"], rule_of[&m.key]);
        events.insert(&m.key, &m.value);
    }
    for m in &binary.received {
        let event = events[m.key.as_str()];
        let header = |name: &str| m.headers.get(name).map(String::as_str);
        for attribute in ["specversion", "type", "source", "id", "time", "subject"] {
            assert_eq!(
                header(&format!("ce_{attribute}")),
                event[attribute].as_str(),
                "ce_{attribute} of {m:?}"
            );
        }
        assert_eq!(header("ce_id"), Some(m.key.as_str()));
        assert_eq!(header("ce_subject"), Some(rule_of[&m.key].as_str()));
        assert_eq!(header("content-type"), Some("application/json"));
        assert_eq!(header("newswatch-rule"), Some(rule_of[&m.key].as_str()));
        assert_eq!(
            header("newswatch-severity"),
            event["data"]["severity"].as_str()
        );
        let ce: Vec<&String> = m.headers.keys().filter(|h| h.starts_with("ce_")).collect();
        assert_eq!(ce.len(), 6, "no other ce_ header: {ce:?}");
        assert_eq!(m.value, event["data"], "the value is the data alone");
    }

    // The SDK's reading: both APIs, and its own detection of the mode.
    for (m, parsed) in structured
        .received
        .iter()
        .zip(parse(&structured.received, Mode::Structured))
    {
        let want = event_of(&m.key, &m.value);
        assert_eq!(parsed.core, want, "{m:?}");
        assert_eq!(parsed.detected, want, "{m:?}");
        // The 1.x API takes every header of a structured message for an
        // attribute too, `content-type` for `datacontenttype`: its reading,
        // not the message's.
        let mut v1 = want.clone();
        for (k, v) in &m.headers {
            let name = if k == "content-type" {
                "datacontenttype"
            } else {
                k
            };
            v1.attributes.insert(name.to_owned(), v.clone());
        }
        assert_eq!(parsed.v1, v1, "{m:?}");
    }
    for (m, parsed) in binary
        .received
        .iter()
        .zip(parse(&binary.received, Mode::Binary))
    {
        // The same event as in structured mode, the one alert sent to both
        // sinks.
        let want = event_of(&m.key, events[m.key.as_str()]);
        assert_eq!(parsed.core, want, "{m:?}");
        assert_eq!(parsed.detected, want, "{m:?}");
        assert_eq!(parsed.v1, want, "{m:?}");
    }
}
