//! Operating the daemon (SPEC sections 5 and 7): `/metrics` read by an
//! independent Prometheus parser while items flow, `/healthz` and
//! `/readyz`, and live watchlist reload on file change and on SIGHUP.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use newswatch_test_support::broker::{produce, unkeyed};
use newswatch_test_support::expected::expected_alerts;
use newswatch_test_support::fixtures::fixture_items;
use newswatch_test_support::http::http_get;
use newswatch_test_support::metrics::scrape;
use newswatch_test_support::setup::{Setup, assert_all_committed};
use newswatch_test_support::subscriber::{Received, Subscriber};
use newswatch_test_support::{eventually, root};

use super::ALERT_TIMEOUT;

#[test]
fn readyz_is_503_with_a_reason_until_the_consumer_joins_its_group() {
    let s = Setup::new("ready-no-broker", 1);
    // Nothing listens on port 1: the consumer can never join.
    let config = s.config("");
    let daemon = s.spawn_env(
        &config,
        "daemon",
        &[("NEWSWATCH__KAFKA__BROKERS", "127.0.0.1:1")],
    );
    let addr = daemon.http_addr();
    assert_eq!(http_get(&addr, "/healthz").0, 200);
    for _ in 0..10 {
        let (status, body) = http_get(&addr, "/readyz");
        assert_eq!(status, 503, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).expect("JSON reason");
        assert_eq!(v["ready"], false);
        assert!(
            v["reason"]
                .as_str()
                .unwrap_or("")
                .contains("joined its group"),
            "{v}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // /metrics answers meanwhile.
    let m = scrape(&addr);
    assert_eq!(m.sum("newswatch_watchlist_rules", &[]), 4.0);
}

#[test]
fn metrics_count_what_flows_and_readyz_turns_200_after_the_join() {
    let s = Setup::new("metrics", 3);
    let config = s.config("");
    let mut daemon = s.spawn(&config, "daemon");
    let addr = daemon.http_addr();
    // Not ready before the join (the test above shows the 503 and its
    // reason for a consumer that cannot join); 200 after.
    let ready = eventually(ALERT_TIMEOUT, || {
        let (status, body) = http_get(&addr, "/readyz");
        if status == 200 {
            assert!(
                daemon.log_text().contains("partitions assigned"),
                "ready before joining: {body}"
            );
            return true;
        }
        assert_eq!(status, 503, "{body}");
        false
    });
    assert!(ready, "never ready; log:\n{}", daemon.log_text());
    assert_eq!(http_get(&addr, "/healthz").0, 200);

    let before = scrape(&addr);
    for (name, kind) in [
        ("newswatch_items_consumed", "counter"),
        ("newswatch_match_duration_seconds", "histogram"),
        ("newswatch_end_to_end_latency_seconds", "histogram"),
        ("newswatch_watchlist_terms", "gauge"),
        ("newswatch_items_in_flight", "gauge"),
    ] {
        assert_eq!(
            before.types.get(name).map(String::as_str),
            Some(kind),
            "{name}"
        );
    }
    assert_eq!(before.sum("newswatch_items_consumed_total", &[]), 0.0);
    assert_eq!(before.sum("newswatch_watchlist_rules", &[]), 4.0);
    // What the binary is, and the standard process metrics.
    let build: Vec<_> = before
        .samples
        .iter()
        .filter(|(n, _, _)| n == "newswatch_build_info")
        .collect();
    assert_eq!(build.len(), 1, "{build:?}");
    let (_, labels, value) = build[0];
    assert_eq!(*value, 1.0);
    assert_eq!(labels["version"], env!("CARGO_PKG_VERSION"));
    assert!(labels["librdkafka"].starts_with("2."), "{labels:?}");
    assert!(!labels["commit"].is_empty(), "{labels:?}");
    for (name, kind) in [
        ("process_cpu_seconds", "counter"),
        ("process_resident_memory_bytes", "gauge"),
        ("process_open_fds", "gauge"),
        ("process_start_time_seconds", "gauge"),
    ] {
        assert_eq!(
            before.types.get(name).map(String::as_str),
            Some(kind),
            "{name}"
        );
    }
    assert!(before.sum("process_resident_memory_bytes", &[]) > 1e6);
    assert!(before.sum("process_open_fds", &[]) >= 3.0);
    assert!(before.sum("newswatch_watchlist_terms", &[]) > 700.0);

    // Items that alert, items that do not, and items that are rejected.
    let mut items = fixture_items();
    let expected = expected_alerts(&root().join("config/watchlist.toml"), &items);
    let good = items.len();
    items.push(b"not json".to_vec());
    items.push(b"[1]".to_vec());
    produce(&s.brokers, &s.news, &unkeyed(&items));
    let ids: HashSet<String> = expected.iter().map(|a| a.id.clone()).collect();
    let mut alerts = Subscriber::new(&s.brokers, &s.alerts);
    assert!(
        alerts.until_all(&ids, ALERT_TIMEOUT),
        "{}",
        alerts.progress(&ids)
    );

    let n = expected.len() as f64;
    let settled = eventually(Duration::from_secs(30), || {
        let m = scrape(&addr);
        m.sum("newswatch_sink_deliveries_total", &[("sink", "alerts-topic"), ("outcome", "delivered")]) == n
            && m.sum("newswatch_sink_deliveries_total", &[("sink", "dead-letter")]) == 2.0
            && m.sum("newswatch_items_in_flight", &[]) == 0.0
            // Lag comes from librdkafka's statistics, every 5 s.
            && m.has("newswatch_consumer_lag")
            && m.sum("newswatch_consumer_lag", &[]) == 0.0
    });
    let m = scrape(&addr);
    assert!(settled, "{m:#?}");
    assert_eq!(
        m.sum("newswatch_items_consumed_total", &[]),
        items.len() as f64
    );
    assert_eq!(
        m.sum("newswatch_items_rejected_total", &[("reason", "not_json")]),
        1.0
    );
    assert_eq!(
        m.sum(
            "newswatch_items_rejected_total",
            &[("reason", "not_object")]
        ),
        1.0
    );
    assert_eq!(m.sum("newswatch_alerts_total", &[]), n);
    let mut by_rule: HashMap<&str, f64> = HashMap::new();
    for a in &expected {
        *by_rule.entry(a.rule.as_str()).or_default() += 1.0;
    }
    for (rule, count) in by_rule {
        assert_eq!(
            m.sum("newswatch_alerts_total", &[("rule", rule)]),
            count,
            "{rule}"
        );
    }
    assert_eq!(
        m.sum(
            "newswatch_alerts_total",
            &[("rule", "chip-export-approval"), ("severity", "high")]
        ),
        m.sum(
            "newswatch_alerts_total",
            &[("rule", "chip-export-approval")]
        )
    );
    assert_eq!(
        m.sum("newswatch_match_duration_seconds_count", &[]),
        good as f64
    );
    assert_eq!(
        m.sum("newswatch_match_duration_seconds_bucket", &[("le", "+Inf")]),
        good as f64
    );
    assert_eq!(m.sum("newswatch_end_to_end_latency_seconds_count", &[]), n);
    let partitions: HashSet<&str> = m
        .samples
        .iter()
        .filter(|(name, _, _)| name == "newswatch_consumer_lag")
        .map(|(_, l, _)| l["partition"].as_str())
        .collect();
    assert_eq!(partitions, HashSet::from(["0", "1", "2"]));

    // The counts move as more items flow.
    produce(&s.brokers, &s.news, &unkeyed(&items[..5]));
    let moved = eventually(Duration::from_secs(30), || {
        scrape(&addr).sum("newswatch_items_consumed_total", &[]) == (items.len() + 5) as f64
    });
    assert!(moved);
    daemon.terminate();
}

/// A watchlist with one rule on one inline term.
fn watchlist(rule: &str, term: &str) -> String {
    format!("[[rules]]\nid = \"{rule}\"\nwhen = '\"{term}\"'\nseverity = \"high\"\n")
}

/// Produces `{prefix}-{i}` items naming both terms, about 50 a second,
/// until `stop`; returns how many.
fn steady_stream(
    brokers: String,
    topic: String,
    prefix: &'static str,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<usize> {
    use rdkafka::config::ClientConfig;
    use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
    std::thread::spawn(move || {
        let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
            .set("bootstrap.servers", &brokers)
            .set("enable.idempotence", "true")
            .create()
            .expect("create producer");
        let mut i = 0;
        while !stop.load(Ordering::Acquire) {
            let item = format!(
                r#"{{"id": "{prefix}-{i}", "title": "Item {i}: H200 shipments and Blackwell plans"}}"#
            );
            producer
                .send(BaseRecord::<(), str>::to(&topic).payload(&item))
                .map_err(|(e, _)| e)
                .expect("queue an item");
            i += 1;
            std::thread::sleep(Duration::from_millis(20));
        }
        producer
            .flush(Duration::from_secs(30))
            .expect("flush the stream");
        i
    })
}

/// Per item id, the rules whose alerts the topic holds for it.
fn rules_by_item(received: &[Received]) -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    let mut seen = HashSet::new();
    for a in received {
        if !seen.insert(a.key.clone()) {
            continue; // a repeat, same id
        }
        let item = a.value["data"]["item"]["id"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        let rule = a.value["data"]["rule"].as_str().unwrap_or("").to_owned();
        out.entry(item).or_default().push(rule);
    }
    out
}

fn count_rule(alerts: &Subscriber, rule: &str) -> usize {
    alerts
        .received
        .iter()
        .filter(|a| a.value["data"]["rule"] == rule)
        .count()
}

fn replace(path: &Path, text: &str) {
    // As editors and `kubectl` do: write aside, then rename over.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).expect("write watchlist");
    std::fs::rename(&tmp, path).expect("replace watchlist");
}

#[test]
fn watchlist_reload_under_a_steady_stream_loses_and_repeats_nothing() {
    let s = Setup::new("reload", 1);
    let path = s.dir.join("watchlist.toml");
    std::fs::write(&path, watchlist("old-rule", "H200")).expect("write watchlist");
    let config = s.config_with(&path, "");
    let mut daemon = s.spawn(&config, "daemon");
    let addr = daemon.http_addr();
    let stop = Arc::new(AtomicBool::new(false));
    let producer = steady_stream(s.brokers.clone(), s.news.clone(), "r", Arc::clone(&stop));
    let mut alerts = Subscriber::new(&s.brokers, &s.alerts);
    assert!(
        alerts.until(ALERT_TIMEOUT, |r| r.len() >= 20),
        "log:\n{}",
        daemon.log_text()
    );

    // New terms start, removed ones stop.
    replace(&path, &watchlist("new-rule", "Blackwell"));
    assert!(
        daemon.wait_for_log("watchlist reloaded", Duration::from_secs(30)),
        "log:\n{}",
        daemon.log_text()
    );
    let new_before = count_rule(&alerts, "new-rule");
    assert!(alerts.until(ALERT_TIMEOUT, |r| {
        r.iter()
            .filter(|a| a.value["data"]["rule"] == "new-rule")
            .count()
            >= new_before + 20
    }));

    // A broken file changes nothing but the error count; still ready.
    std::fs::write(&path, "[[rules]]\nid = \"broken\"\nwhen = \"(\"\n").expect("write");
    assert!(daemon.wait_for_log("watchlist reload failed", Duration::from_secs(30)));
    let log = daemon.log_text();
    let failure = log
        .lines()
        .find(|l| l.contains("watchlist reload failed"))
        .expect("the line just seen");
    assert!(
        failure.contains("watchlist.toml:3"),
        "position named: {failure}"
    );
    let m = scrape(&addr);
    assert_eq!(
        m.sum("newswatch_watchlist_reloads_total", &[("outcome", "error")]),
        1.0
    );
    assert_eq!(
        m.sum("newswatch_watchlist_reloads_total", &[("outcome", "ok")]),
        1.0
    );
    assert_eq!(http_get(&addr, "/readyz").0, 200);
    let new_before = count_rule(&alerts, "new-rule");
    assert!(alerts.until(ALERT_TIMEOUT, |r| {
        r.iter()
            .filter(|a| a.value["data"]["rule"] == "new-rule")
            .count()
            >= new_before + 20
    }));

    stop.store(true, Ordering::Release);
    let produced = producer.join().expect("producer thread");
    let all = alerts.until(ALERT_TIMEOUT, |r| rules_by_item(r).len() >= produced);
    assert!(all, "log:\n{}", daemon.log_text());
    daemon.terminate();
    assert_all_committed(&s);

    // Every item was matched exactly once, by the old watchlist or the new
    // one, never both, never neither; the old ones come first, give or take
    // the batches the two workers had in hand at the swap.
    let by_item = rules_by_item(&alerts.received);
    let rule_of = |i: usize| -> &str {
        let rules = by_item
            .get(&format!("r-{i}"))
            .unwrap_or_else(|| panic!("item r-{i} of {produced} raised no alert"));
        assert_eq!(rules.len(), 1, "item r-{i}: {rules:?}");
        rules[0].as_str()
    };
    let first_new = (0..produced)
        .find(|&i| rule_of(i) == "new-rule")
        .expect("new alerts");
    let last_old = (0..produced)
        .rev()
        .find(|&i| rule_of(i) == "old-rule")
        .expect("old alerts");
    assert!(
        last_old < first_new + 128,
        "old rule at r-{last_old}, long after the new one at r-{first_new}"
    );
    assert_eq!(by_item.len(), produced, "only the stream's items");
}

#[test]
fn sighup_reloads_and_reload_false_ignores_file_changes() {
    let s = Setup::new("sighup", 1);
    let path = s.dir.join("watchlist.toml");
    std::fs::write(&path, watchlist("old-rule", "H200")).expect("write watchlist");
    let config = s.config_with(&path, "");
    let mut daemon = s.spawn_env(
        &config,
        "daemon",
        &[("NEWSWATCH__WATCHLIST__RELOAD", "false")],
    );
    let addr = daemon.http_addr();
    let item = |i: usize| {
        format!(r#"{{"id": "h-{i}", "title": "H200 shipments and Blackwell plans"}}"#).into_bytes()
    };
    let mut alerts = Subscriber::new(&s.brokers, &s.alerts);
    produce(&s.brokers, &s.news, &unkeyed(&[item(0)]));
    assert!(alerts.until(ALERT_TIMEOUT, |r| r.len() == 1));

    // reload = false: a changed file is not picked up...
    replace(&path, &watchlist("new-rule", "Blackwell"));
    std::thread::sleep(Duration::from_secs(3));
    produce(&s.brokers, &s.news, &unkeyed(&[item(1)]));
    assert!(alerts.until(ALERT_TIMEOUT, |r| r.len() == 2));
    assert_eq!(count_rule(&alerts, "old-rule"), 2);

    // ...until SIGHUP.
    daemon.signal("HUP");
    assert!(
        daemon.wait_for_log("watchlist reloaded", Duration::from_secs(30)),
        "log:\n{}",
        daemon.log_text()
    );
    produce(&s.brokers, &s.news, &unkeyed(&[item(2)]));
    assert!(alerts.until(ALERT_TIMEOUT, |r| r.len() == 3));
    assert_eq!(count_rule(&alerts, "new-rule"), 1);
    let m = scrape(&addr);
    assert_eq!(
        m.sum("newswatch_watchlist_reloads_total", &[("outcome", "ok")]),
        1.0
    );
    daemon.terminate();
}

/// `/healthz` (SPEC section 7): alive while idle for longer than
/// `http.liveness_timeout`, alive while items flow, 503 naming the worker
/// once one has been on an item for longer (a worker wedged on purpose by
/// the debug build's `NEWSWATCH_DEBUG_WEDGE`).
#[test]
fn healthz_is_503_when_a_worker_is_wedged_and_200_while_idle() {
    let s = Setup::new("liveness", 1);
    let config = s.config("[http]\nliveness_timeout = \"2s\"\n");
    let daemon = s.spawn_env(
        &config,
        "daemon",
        &[("NEWSWATCH_DEBUG_WEDGE", "WEDGE-THIS-WORKER")],
    );
    let addr = daemon.http_addr();
    assert!(
        eventually(ALERT_TIMEOUT, || http_get(&addr, "/readyz").0 == 200),
        "never ready; log:\n{}",
        daemon.log_text()
    );
    // Idle for twice the timeout: alive.
    for _ in 0..20 {
        let (status, body) = http_get(&addr, "/healthz");
        assert_eq!(status, 200, "idle is alive: {body}");
        std::thread::sleep(Duration::from_millis(200));
    }
    // Items flow: alive.
    let items = fixture_items();
    let expected = expected_alerts(&root().join("config/watchlist.toml"), &items);
    let ids: HashSet<String> = expected.iter().map(|a| a.id.clone()).collect();
    produce(&s.brokers, &s.news, &unkeyed(&items));
    let mut alerts = Subscriber::new(&s.brokers, &s.alerts);
    assert!(
        alerts.until_all(&ids, ALERT_TIMEOUT),
        "{}",
        alerts.progress(&ids)
    );
    assert_eq!(http_get(&addr, "/healthz").0, 200);

    // One item wedges its worker.
    produce(
        &s.brokers,
        &s.news,
        &unkeyed(&[br#"{"id": "wedge", "title": "WEDGE-THIS-WORKER"}"#.to_vec()]),
    );
    let mut body = String::new();
    let wedged = eventually(Duration::from_secs(30), || {
        let (status, b) = http_get(&addr, "/healthz");
        body = b;
        status == 503
    });
    assert!(wedged, "healthz: {body}; log:\n{}", daemon.log_text());
    assert!(
        body.contains("has been on one item for"),
        "names the wedged worker: {body}"
    );
    // The process is stuck for good: it is killed (on drop), as Kubernetes
    // would after the failed probes.
}
