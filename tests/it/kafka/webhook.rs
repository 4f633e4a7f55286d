//! The webhook sink against a real HTTP endpoint and the real broker (SPEC
//! sections 3 and 4): retries through failures, signatures, dead-lettering,
//! body formats, routing, and nothing lost across kill -9.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use newswatch_test_support::broker::{committed, produce, unkeyed};
use newswatch_test_support::expected::{expected_alerts, expected_ids};
use newswatch_test_support::fixtures::{fixture_items, stream};
use newswatch_test_support::metrics::{Metrics, scrape};
use newswatch_test_support::root;
use newswatch_test_support::setup::{Setup, assert_all_committed};
use newswatch_test_support::subscriber::{Received, Subscriber};

use super::ALERT_TIMEOUT;
use super::receiver::{Answer, Receiver, Request, signed_with, verified_by_the_library, verify};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// The secret a rotation moves to from [`SECRET`]: 32 bytes.
const NEW_SECRET: &str = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// A secret no sink has: 24 bytes.
const OTHER_SECRET: &str = "whsec_b3RoZXIgc2VjcmV0LCBvdGhlciBrZXkh";

/// The `webhook-id`s the endpoint answered 2xx to on `path`.
fn delivered(requests: &[Request], path: &str) -> HashSet<String> {
    requests
        .iter()
        .filter(|r| r.path == path && r.answer == Answer::Status(200))
        .map(|r| r.header("webhook-id").to_owned())
        .collect()
}

fn hook_sink(name: &str, url: &str, extra: &str) -> String {
    format!(
        "[[sinks]]\nname = \"{name}\"\ntype = \"webhook\"\nurl = \"{url}\"\ntimeout = \"1s\"\n{extra}\n"
    )
}

#[test]
fn the_standard_webhooks_test_vector_verifies_here_too() {
    // The verifier the tests use is checked against the specification's
    // published vector before it is trusted with the daemon's output.
    let (id, ts, body) = (
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "1614265330",
        br#"{"test": 2432232314}"#,
    );
    let sig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    assert!(verify(SECRET, id, ts, body, sig));
    assert!(verify(SECRET, id, ts, body, &format!("v1,bm9wZQ== {sig}")));
    assert!(!verify("whsec_bm9wZQ==", id, ts, body, sig), "wrong secret");
    assert!(
        !verify(SECRET, id, "1614265331", body, sig),
        "other timestamp"
    );
}

#[test]
fn webhook_delivers_every_alert_through_refusals_503s_429s_and_timeouts() {
    let s = Setup::new("hook-retry", 3);
    let items = fixture_items();
    let expected = expected_ids(&items);
    assert!(expected.len() >= 10, "{} alerts expected", expected.len());
    let mut hook = Receiver::new(); // not listening yet: connections refused
    let config = s.config(&hook_sink(
        "hook",
        &hook.url("/hook"),
        &format!("secret = \"{SECRET}\"\nmax_elapsed = \"10m\"\nmax_in_flight = 4"),
    ));
    produce(&s.brokers, &s.news, &unkeyed(&items));
    let mut daemon = s.spawn(&config, "daemon");
    assert!(
        daemon.wait_for_log("connection failed", ALERT_TIMEOUT),
        "no refused connection seen; log:\n{}",
        daemon.log_text()
    );
    hook.then(
        [Answer::Status(503); 4]
            .into_iter()
            .chain([Answer::TooMany(2), Answer::Status(502), Answer::TooMany(2)])
            .chain([Answer::Slow(Duration::from_secs(3)); 2]),
    );
    hook.start();
    let all = hook.until(ALERT_TIMEOUT, |r| {
        delivered(r, "/hook").is_superset(&expected)
    });
    let requests = hook.requests();
    assert!(
        all,
        "{} of {} delivered; log:\n{}",
        delivered(&requests, "/hook")
            .intersection(&expected)
            .count(),
        expected.len(),
        daemon.log_text()
    );
    assert!(delivered(&requests, "/hook").is_subset(&expected));

    // Every attempt is a signed CloudEvent of its webhook-id; a wrong secret
    // does not verify.
    for r in &requests {
        assert_eq!(r.header("content-type"), "application/cloudevents+json");
        assert_eq!(r.json()["id"], r.header("webhook-id"));
        assert!(signed_with(r, SECRET), "bad signature on {r:?}");
        assert!(!signed_with(r, "whsec_bm9wZQ=="));
    }
    // Retry-After: 2 is honoured before the same alert is tried again.
    for (i, r) in requests.iter().enumerate() {
        if r.answer != Answer::TooMany(2) {
            continue;
        }
        let next = requests[i + 1..]
            .iter()
            .find(|n| n.header("webhook-id") == r.header("webhook-id"))
            .expect("a 429'd alert is tried again");
        let gap = next.at - r.at;
        assert!(gap >= Duration::from_millis(1900), "retried after {gap:?}");
    }
    // Each failure mode was met and retried, never given up on.
    let log = daemon.log_text();
    for seen in ["http 503", "http 502", "http 429", "timed out"] {
        assert!(log.contains(seen), "{seen} not in the log:\n{log}");
    }
    assert!(!log.contains("gave up"), "{log}");
    // Neither the secret nor the URL (chat URLs carry tokens) is logged.
    assert!(!log.contains("MfKQ9r8") && !log.contains("/hook"), "{log}");

    daemon.terminate();
    assert_all_committed(&s);
}

#[test]
fn a_400_or_retries_exhausted_park_the_alert_in_the_dead_letter_topic() {
    let s = Setup::new("hook-400", 3);
    let items = fixture_items();
    let expected = expected_alerts(&root().join("config/watchlist.toml"), &items);
    let refused_item = expected[0].item.clone();
    let refused: HashSet<String> = expected
        .iter()
        .filter(|a| a.item == refused_item)
        .map(|a| a.id.clone())
        .collect();
    let accepted: HashSet<String> = expected
        .iter()
        .map(|a| a.id.clone())
        .filter(|id| !refused.contains(id))
        .collect();
    assert!(!accepted.is_empty());
    let all: HashSet<String> = expected.iter().map(|a| a.id.clone()).collect();
    let mut hook = Receiver::new();
    hook.when_body_has(&format!("\"id\":\"{refused_item}\""), 400);
    // A second endpoint that is never up: its alerts are parked once
    // max_elapsed has passed.
    hook.on_path("/down", 503);
    hook.start();
    let sinks = [
        hook_sink("hook", &hook.url("/hook"), ""),
        hook_sink("down", &hook.url("/down"), "max_elapsed = \"3s\""),
    ];
    let config = s.config(&sinks.concat());
    produce(&s.brokers, &s.news, &unkeyed(&items));
    let mut daemon = s.spawn(&config, "daemon");

    let mut dlq = Subscriber::new(&s.brokers, &s.dead_letter);
    let parked = |r: &[Received], sink: &str| -> HashSet<String> {
        r.iter()
            .filter(|m| m.headers.get("newswatch-sink").is_some_and(|s| s == sink))
            .map(|m| m.key.clone())
            .collect()
    };
    let done = dlq.until(ALERT_TIMEOUT, |r| {
        parked(r, "hook") == refused && parked(r, "down") == all
    });
    assert!(
        done,
        "parked {} of {} refused, {} of {} undeliverable; log:\n{}",
        parked(&dlq.received, "hook").len(),
        refused.len(),
        parked(&dlq.received, "down").len(),
        all.len(),
        daemon.log_text()
    );
    for m in &dlq.received {
        let error = &m.headers["newswatch-error"];
        match m.headers["newswatch-sink"].as_str() {
            "hook" => assert!(
                error.starts_with("webhook_rejected: http 400 Bad Request"),
                "{m:?}"
            ),
            "down" => assert!(
                error.starts_with("webhook_exhausted: http 503 Service Unavailable; gave up after"),
                "{m:?}"
            ),
            other => panic!("dead letter from sink {other}: {m:?}"),
        }
        assert_eq!(m.value["id"], m.key.as_str(), "the CloudEvent is parked");
        assert_eq!(m.headers["content-type"], "application/cloudevents+json");
    }
    let all = hook.until(ALERT_TIMEOUT, |r| {
        delivered(r, "/hook").is_superset(&accepted)
    });
    assert!(all, "log:\n{}", daemon.log_text());
    // A 400 is final: each refused alert was tried once.
    let tries = hook
        .requests()
        .iter()
        .filter(|r| r.path == "/hook" && refused.contains(r.header("webhook-id")))
        .count();
    assert_eq!(tries, refused.len());

    daemon.terminate();
    assert_all_committed(&s);
}

#[test]
fn during_a_rotation_receivers_with_the_old_or_the_new_secret_both_verify() {
    let s = Setup::new("hook-rotate", 1);
    let items = fixture_items();
    let expected = expected_ids(&items);
    let mut hook = Receiver::new();
    hook.start();
    // Rotating: the old secret first, the new one after; as a list, and
    // as one variable of two.
    let sinks = [
        hook_sink(
            "list",
            &hook.url("/list"),
            &format!("secrets = [\"{SECRET}\", \"{NEW_SECRET}\"]"),
        ),
        hook_sink(
            "env",
            &hook.url("/env"),
            "secret_env = \"NEWSWATCH_TEST_HOOK_SECRETS\"",
        ),
    ];
    let config = s.config(&sinks.concat());
    produce(&s.brokers, &s.news, &unkeyed(&items));
    let both = format!("{SECRET} {NEW_SECRET}");
    let mut daemon = s.spawn_env(
        &config,
        "daemon",
        &[("NEWSWATCH_TEST_HOOK_SECRETS", both.as_str())],
    );
    let all = hook.until(ALERT_TIMEOUT, |r| {
        delivered(r, "/list").is_superset(&expected) && delivered(r, "/env").is_superset(&expected)
    });
    assert!(all, "log:\n{}", daemon.log_text());
    daemon.terminate();
    assert_all_committed(&s);

    let requests = hook.requests();
    for r in &requests {
        // One signature per secret, in their order.
        let signatures: Vec<&str> = r.header("webhook-signature").split(' ').collect();
        assert_eq!(signatures.len(), 2, "{r:?}");
        let id = r.header("webhook-id");
        let ts = r.header("webhook-timestamp");
        assert!(verify(SECRET, id, ts, &r.body, signatures[0]), "{r:?}");
        assert!(verify(NEW_SECRET, id, ts, &r.body, signatures[1]), "{r:?}");
        assert!(!verify(SECRET, id, ts, &r.body, signatures[1]), "{r:?}");
    }
    // The official library: a receiver holding only the old secret, only
    // the new one, or neither.
    let verdicts = verified_by_the_library(&requests, &[SECRET, NEW_SECRET, OTHER_SECRET]);
    assert_eq!(verdicts.len(), requests.len());
    for (r, v) in requests.iter().zip(&verdicts) {
        assert_eq!(v, &[true, true, false], "old, new, other secret: {r:?}");
    }
    // Neither secret is logged.
    let log = daemon.log_text();
    assert!(!log.contains("AAECAw") && !log.contains("MfKQ9r8"), "{log}");
}

#[test]
fn without_a_dead_letter_topic_a_refused_alert_is_logged_at_error_and_counted() {
    let s = Setup::new("hook-nodlq", 1);
    let items = fixture_items();
    let expected = expected_ids(&items);
    let mut hook = Receiver::new();
    hook.on_path("/hook", 404);
    hook.start();
    let config = s.config(&hook_sink("hook", &hook.url("/hook"), ""));
    let text = std::fs::read_to_string(&config).expect("read config");
    let without = text.replace(
        &format!("[dead_letter]\ntopic = \"{}\"\n", s.dead_letter),
        "",
    );
    assert_ne!(
        text, without,
        "the dead-letter topic is configured by default"
    );
    std::fs::write(&config, without).expect("write config");
    produce(&s.brokers, &s.news, &unkeyed(&items));
    let mut daemon = s.spawn(&config, "daemon");
    let addr = daemon.http_addr();
    let dropped = |m: &Metrics| {
        m.sum(
            "newswatch_sink_deliveries_total",
            &[("sink", "hook"), ("outcome", "dropped")],
        )
    };
    let all = hook.until(ALERT_TIMEOUT, |r| {
        r.iter()
            .map(|r| r.header("webhook-id").to_owned())
            .collect::<HashSet<_>>()
            .is_superset(&expected)
    });
    assert!(all, "log:\n{}", daemon.log_text());
    let counted = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(200));
        dropped(&scrape(&addr)) == expected.len() as f64
    });
    assert!(counted, "{:?}", scrape(&addr));
    let errors = daemon
        .log_text()
        .lines()
        .filter(|l| l.contains("\"level\":\"ERROR\"") && l.contains("the alert is dropped"))
        .count();
    assert_eq!(errors, expected.len());
    daemon.terminate();
    assert_all_committed(&s);
}

#[test]
fn kill_9_while_the_endpoint_is_down_loses_nothing() {
    let s = Setup::new("hook-crash", 3);
    let items = fixture_items();
    let expected = expected_ids(&items);
    let mut hook = Receiver::new();
    let config = s.config(&hook_sink("hook", &hook.url("/hook"), ""));
    produce(&s.brokers, &s.news, &unkeyed(&items));
    {
        let mut first = s.spawn(&config, "first");
        assert!(
            first.wait_for_log("webhook delivery failed", ALERT_TIMEOUT),
            "log:\n{}",
            first.log_text()
        );
        first.signal("KILL");
        assert_eq!(first.wait(Duration::from_secs(10)), None);
    }
    hook.start();
    let mut second = s.spawn(&config, "second");
    let all = hook.until(ALERT_TIMEOUT, |r| {
        delivered(r, "/hook").is_superset(&expected)
    });
    assert!(all, "log:\n{}", second.log_text());
    second.terminate();
    assert_all_committed(&s);
}

#[test]
fn an_endpoint_that_is_down_pauses_the_consumer_and_holds_commits() {
    let s = Setup::new("hook-pause", 1);
    // One chip story in 25; the first item is one.
    let items = stream(2000, "pause");
    let expected = expected_ids(&items);
    let mut hook = Receiver::new(); // refuses connections
    let config = s.config(&hook_sink("hook", &hook.url("/hook"), ""));
    produce(&s.brokers, &s.news, &unkeyed(&items));
    let mut daemon = s.spawn_env(
        &config,
        "daemon",
        &[("NEWSWATCH__PIPELINE__MAX_IN_FLIGHT", "100")],
    );
    // The alerts of item 0 cannot be delivered: 100 items later the
    // consumer stops fetching, and nothing is committed.
    assert!(
        daemon.wait_for_log("consumer paused", ALERT_TIMEOUT),
        "log:\n{}",
        daemon.log_text()
    );
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        !daemon.log_text().contains("consumer resumed"),
        "resumed while the endpoint is down"
    );
    assert!(committed(&s.brokers, &s.group, &s.news, 1)[0] <= 0);

    hook.start();
    let all = hook.until(ALERT_TIMEOUT, |r| {
        delivered(r, "/hook").is_superset(&expected)
    });
    assert!(all, "log:\n{}", daemon.log_text());
    assert!(daemon.log_text().contains("consumer resumed"));
    daemon.terminate();
    assert_all_committed(&s);
}

/// Three rules: one routed to the webhook only, one to the topic only, one
/// to every sink (no `sinks` key).
const ROUTED_WATCHLIST: &str = r#"
[sets.chips]
terms = ["H200", "H20"]
[sets.nvidia]
terms = ["Nvidia"]

[[rules]]
id = "hook-only"
when = "chips AND NOT nvidia"
severity = "high"
sinks = ["hook"]

[[rules]]
id = "topic-only"
when = "nvidia AND NOT chips"
severity = "low"
sinks = ["alerts-topic"]

[[rules]]
id = "everywhere"
when = "chips AND nvidia"
severity = "medium"
description = "Nvidia's H20 and H200"
"#;

#[test]
fn routing_formats_and_commits_wait_for_every_sink() {
    let s = Setup::new("hook-route", 1);
    let watchlist = s.dir.join("watchlist.toml");
    std::fs::write(&watchlist, ROUTED_WATCHLIST).expect("write watchlist");
    let items = fixture_items();
    let expected = expected_alerts(&watchlist, &items);
    let ids_of = |rules: &[&str]| -> HashSet<String> {
        expected
            .iter()
            .filter(|a| rules.contains(&a.rule.as_str()))
            .map(|a| a.id.clone())
            .collect()
    };
    for rule in ["hook-only", "topic-only", "everywhere"] {
        assert!(!ids_of(&[rule]).is_empty(), "the fixtures raise {rule}");
    }
    let mut hook = Receiver::new();
    hook.otherwise(Answer::Status(503)); // down until the test says so
    hook.start();
    let sinks = [
        hook_sink(
            "hook",
            &hook.url("/hook"),
            &format!("secret = \"{SECRET}\""),
        ),
        hook_sink("chat", &hook.url("/slack"), "format = \"slack\""),
        hook_sink("am", &hook.url("/am"), "format = \"alertmanager\""),
    ];
    let config = s.config_with(&watchlist, &sinks.concat());
    produce(&s.brokers, &s.news, &unkeyed(&items));
    let mut daemon = s.spawn_env(
        &config,
        "daemon",
        &[(
            "NEWSWATCH__HTTP__EXTERNAL_URL",
            "https://newswatch.example.org/",
        )],
    );

    // The topic gets its alerts while the webhooks fail...
    let to_topic = ids_of(&["topic-only", "everywhere"]);
    let mut topic = Subscriber::new(&s.brokers, &s.alerts);
    assert!(
        topic.until_all(&to_topic, ALERT_TIMEOUT),
        "{}; log:\n{}",
        topic.progress(&to_topic),
        daemon.log_text()
    );
    // ...but the first item with an alert still pending on a webhook holds
    // the commit back: it is delivered to one sink, not to all.
    let first_pending = items
        .iter()
        .position(|raw| {
            let v: serde_json::Value = serde_json::from_slice(raw).expect("json");
            expected
                .iter()
                .any(|a| a.item == v["id"] && a.rule != "topic-only")
        })
        .expect("an item bound for the webhooks") as i64;
    std::thread::sleep(Duration::from_secs(3)); // several commit intervals
    let held = committed(&s.brokers, &s.group, &s.news, 1)[0];
    assert!(
        held <= first_pending,
        "committed {held} past item {first_pending} whose webhook alerts are pending"
    );

    hook.otherwise(Answer::Status(200));
    let to_hook = ids_of(&["hook-only", "everywhere"]);
    let everywhere = ids_of(&["everywhere"]);
    let fingerprints = |r: &[Request]| -> HashSet<String> {
        r.iter()
            .filter(|r| r.path == "/am" && r.answer == Answer::Status(200))
            .map(|r| {
                r.json()["alerts"][0]["fingerprint"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned()
            })
            .collect()
    };
    let slack_count = |r: &[Request]| {
        r.iter()
            .filter(|r| r.path == "/slack" && r.answer == Answer::Status(200))
            .count()
    };
    let all = hook.until(ALERT_TIMEOUT, |r| {
        delivered(r, "/hook") == to_hook
            && fingerprints(r) == everywhere
            && slack_count(r) >= everywhere.len()
    });
    assert!(all, "log:\n{}", daemon.log_text());
    daemon.terminate();
    assert_all_committed(&s);

    // Routing: nothing crossed over.
    assert_eq!(
        topic.ids(),
        to_topic,
        "the topic got only its rules' alerts"
    );
    let requests = hook.requests();
    assert_eq!(delivered(&requests, "/hook"), to_hook);
    // The one-secret sink's requests verify with the official Standard
    // Webhooks library too, and not with another secret.
    let signed: Vec<Request> = requests
        .iter()
        .filter(|r| r.path == "/hook")
        .cloned()
        .collect();
    for (r, v) in signed
        .iter()
        .zip(verified_by_the_library(&signed, &[SECRET, OTHER_SECRET]))
    {
        assert_eq!(v, [true, false], "{r:?}");
    }
    let rule_of: HashMap<&str, &str> = expected
        .iter()
        .map(|a| (a.id.as_str(), a.rule.as_str()))
        .collect();

    // Alertmanager: the webhook body receivers built for it expect.
    for r in requests.iter().filter(|r| r.path == "/am") {
        assert_eq!(r.header("content-type"), "application/json");
        assert!(
            r.header("webhook-signature").is_empty(),
            "no secret, no signature"
        );
        let v = r.json();
        assert_eq!(v["version"], "4");
        assert_eq!(v["status"], "firing");
        assert_eq!(v["receiver"], "am");
        // Alertmanager's external URL has no trailing slash (app/url.go).
        assert_eq!(v["externalURL"], "https://newswatch.example.org");
        let a = &v["alerts"][0];
        let id = a["fingerprint"].as_str().expect("fingerprint");
        assert_eq!(a["status"], "firing");
        assert_eq!(a["labels"]["rule"], rule_of[id]);
        // One group per rule: the key is the group labels alone, as
        // Alertmanager writes it (the item is a label, not a group label).
        assert_eq!(v["groupLabels"], serde_json::json!({"rule": rule_of[id]}));
        assert_eq!(v["groupKey"], format!("{{}}:{{rule=\"{}\"}}", rule_of[id]));
        assert_eq!(a["labels"]["severity"], "medium");
        let item = a["labels"]["item"].as_str().expect("item label");
        assert!(expected.iter().any(|e| e.id == id && e.item == item));
        for k in ["title", "url", "snippet"] {
            assert!(a["annotations"][k].is_string(), "annotation {k}: {v}");
        }
        assert!(a["startsAt"].is_string());
    }
    // Slack: one readable line of text per alert, with rule and severity.
    for r in requests.iter().filter(|r| r.path == "/slack") {
        let v = r.json();
        let obj = v.as_object().expect("object");
        assert_eq!(obj.keys().collect::<Vec<_>>(), ["text"]);
        let text = v["text"].as_str().expect("text");
        assert!(
            text.starts_with("*[MEDIUM]* newswatch rule `everywhere`: Nvidia's H20 and H200\n"),
            "{text}"
        );
        assert!(text.lines().count() >= 2, "title line: {text}");
    }
}
