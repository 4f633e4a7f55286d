//! What a Kafka message can hold (SPEC section 1): batches in every
//! compression codec Kafka has, consumed and produced; null values
//! (compaction tombstones) skipped and committed; empty values rejected.

use std::collections::HashSet;
use std::time::Duration;

use newswatch_test_support::broker::{Record, produce_records};
use newswatch_test_support::daemon::Daemon;
use newswatch_test_support::expected::expected_alerts;
use newswatch_test_support::fixtures::fixture_items;
use newswatch_test_support::metrics::scrape;
use newswatch_test_support::setup::{Setup, assert_all_committed};
use newswatch_test_support::subscriber::Subscriber;
use newswatch_test_support::{eventually, root};

use super::ALERT_TIMEOUT;

/// Every codec of Kafka's `compression.type` but `none`.
const CODECS: [&str; 4] = ["gzip", "snappy", "lz4", "zstd"];

/// The fixture items, each once on every partition, partition `i` written
/// by a producer compressing with `CODECS[i]`.
fn produce_in_every_codec(s: &Setup, items: &[Vec<u8>]) {
    for (partition, codec) in CODECS.iter().enumerate() {
        let records: Vec<Record<'_>> = items
            .iter()
            .map(|v| (Some(partition as i32), None, Some(v.as_slice())))
            .collect();
        produce_records(
            &s.brokers,
            &s.news,
            &[("compression.type", codec), ("linger.ms", "50")],
            &records,
        );
    }
}

#[test]
fn every_codec_is_consumed_and_alerts_are_produced_in_every_codec() {
    let items = fixture_items();
    let expected = expected_alerts(&root().join("config/watchlist.toml"), &items);
    assert!(!expected.is_empty());
    // One daemon per producer codec, each reading all four codecs.
    let mut runs: Vec<(&str, Setup, Daemon)> = CODECS
        .iter()
        .map(|codec| {
            let s = Setup::new(&format!("codec-{codec}"), CODECS.len() as i32);
            let config = s.config(&format!(
                "[kafka.producer]\n\"compression.type\" = \"{codec}\"\n"
            ));
            let daemon = s.spawn(&config, "daemon");
            (*codec, s, daemon)
        })
        .collect();
    for (_, s, _) in &runs {
        produce_in_every_codec(s, &items);
    }
    // Every item once per partition: each alert id once per partition is
    // deduplicated to once, so the count is per item and partition.
    let want: HashSet<String> = expected.iter().map(|a| a.id.clone()).collect();
    for (codec, s, daemon) in &mut runs {
        let mut alerts = Subscriber::new(&s.brokers, &s.alerts);
        assert!(
            alerts.until_all(&want, ALERT_TIMEOUT),
            "alerts produced with {codec}: {}; log:\n{}",
            alerts.progress(&want),
            daemon.log_text()
        );
        assert_all_committed(s);
        let log = daemon.log_text();
        assert!(
            !log.contains("consumer error") && !log.contains("\"level\":\"ERROR\""),
            "no consumer error with {codec}; log:\n{log}"
        );
        let m = scrape(&daemon.http_addr());
        assert_eq!(
            m.sum("newswatch_items_consumed_total", &[]),
            (items.len() * CODECS.len()) as f64,
            "every item of every codec consumed ({codec} daemon)"
        );
        assert_eq!(m.sum("newswatch_items_rejected_total", &[]), 0.0);
        daemon.terminate();
    }
}

#[test]
fn tombstones_are_skipped_and_committed_and_empty_values_rejected() {
    let s = Setup::new("tombstone", 1);
    let items = fixture_items();
    let expected = expected_alerts(&root().join("config/watchlist.toml"), &items);
    let want: HashSet<String> = expected.iter().map(|a| a.id.clone()).collect();
    let mut records: Vec<Record<'_>> = Vec::new();
    for (i, v) in items.iter().enumerate() {
        records.push((Some(0), Some(b"compacted".as_slice()), None));
        if i == 2 {
            records.push((Some(0), Some(b"empty".as_slice()), Some(b"".as_slice())));
        }
        records.push((Some(0), None, Some(v.as_slice())));
    }
    // A tombstone last: the committed offset must pass it too.
    records.push((Some(0), Some(b"compacted".as_slice()), None));
    let tombstones = items.len() + 1;

    let config = s.config("");
    let mut daemon = s.spawn(&config, "daemon");
    produce_records(&s.brokers, &s.news, &[], &records);
    let mut alerts = Subscriber::new(&s.brokers, &s.alerts);
    assert!(
        alerts.until_all(&want, ALERT_TIMEOUT),
        "{}; log:\n{}",
        alerts.progress(&want),
        daemon.log_text()
    );
    assert_all_committed(&s);

    // The empty value, and only it, is dead-lettered, as `empty`.
    let mut dead = Subscriber::new(&s.brokers, &s.dead_letter);
    dead.until(Duration::from_secs(10), |_| false);
    let reasons: Vec<(String, String)> = dead
        .received
        .iter()
        .map(|r| {
            (
                r.key.clone(),
                r.headers
                    .get("newswatch-error")
                    .cloned()
                    .unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert_eq!(reasons[0].0, "empty");
    assert!(reasons[0].1.starts_with("empty: "), "{reasons:?}");

    let addr = daemon.http_addr();
    assert!(
        eventually(Duration::from_secs(10), || {
            scrape(&addr).sum("newswatch_items_skipped_total", &[("reason", "tombstone")])
                == tombstones as f64
        }),
        "tombstones counted: {}",
        scrape(&addr).sum("newswatch_items_skipped_total", &[])
    );
    let m = scrape(&addr);
    assert_eq!(
        m.sum("newswatch_items_rejected_total", &[("reason", "empty")]),
        1.0
    );
    assert_eq!(m.sum("newswatch_items_rejected_total", &[]), 1.0);
    assert!(
        !daemon.log_text().contains("not_json"),
        "a tombstone is not decoded"
    );
    daemon.terminate();
}
