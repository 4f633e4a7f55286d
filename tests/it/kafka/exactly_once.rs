//! `pipeline.guarantee = "exactly-once"` (SPEC section 4, issue 15) on the
//! real broker: under a steady stream, a `read_committed` reader of the
//! alert topic sees every expected (item, rule) alert exactly once, and the
//! dead-letter topic every rejected item exactly once, whatever kills the
//! daemon: kill -9 at random points, a second instance killed mid-stream,
//! a zombie paused past its session timeout whose late transaction is
//! fenced, or its producer fenced by another with its `transactional.id`.

use std::collections::{HashMap, HashSet};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use newswatch_test_support::broker::{Msg, produce};
use newswatch_test_support::daemon::Daemon;
use newswatch_test_support::eventually;
use newswatch_test_support::expected::expected_ids;
use newswatch_test_support::fixtures::stream;
use newswatch_test_support::metrics::scrape;
use newswatch_test_support::setup::Setup;
use newswatch_test_support::subscriber::Subscriber;

use super::ALERT_TIMEOUT;

/// `n` items with unique ids, every 100th one not JSON (a dead letter),
/// keyed so that every partition gets some.
fn items(n: usize, tag: &str) -> (Vec<Msg>, HashSet<String>, HashSet<Vec<u8>>) {
    let mut values = stream(n, tag);
    let mut rejected = HashSet::new();
    for (i, v) in values.iter_mut().enumerate() {
        if i % 100 == 50 {
            *v = format!("not json {tag}-{i}").into_bytes();
            rejected.insert(v.clone());
        }
    }
    let good: Vec<Vec<u8>> = values
        .iter()
        .filter(|v| !rejected.contains(*v))
        .cloned()
        .collect();
    let expected = expected_ids(&good);
    let messages = values
        .into_iter()
        .enumerate()
        .map(|(i, v)| (None, Some(format!("k{i}").into_bytes()), v))
        .collect();
    (messages, expected, rejected)
}

/// Produces `messages` in chunks of `chunk` every `every`, on a thread: a
/// steady stream while daemons come and go.
fn steady(
    brokers: &str,
    topic: &str,
    messages: Vec<Msg>,
    chunk: usize,
    every: Duration,
) -> JoinHandle<()> {
    let (brokers, topic) = (brokers.to_owned(), topic.to_owned());
    std::thread::spawn(move || {
        for c in messages.chunks(chunk) {
            produce(&brokers, &topic, c);
            std::thread::sleep(every);
        }
    })
}

/// A daemon under exactly-once with instance id `instance`.
fn spawn(s: &Setup, config: &std::path::Path, instance: &str, name: &str) -> Daemon {
    s.spawn_env(
        config,
        name,
        &[
            ("NEWSWATCH__PIPELINE__GUARANTEE", "exactly-once"),
            ("NEWSWATCH__KAFKA__INSTANCE_ID", instance),
        ],
    )
}

/// Waits until `d` was assigned partitions.
fn joined(d: &Daemon) {
    assert!(
        d.wait_for_log("partitions assigned", Duration::from_secs(60)),
        "joined; log:\n{}",
        d.log_text()
    );
}

/// `read_committed` readers of the alert and dead-letter topics, then a
/// steady stream of `messages`, 100 every `every`.
fn readers_and_stream(
    s: &Setup,
    messages: Vec<Msg>,
    every: Duration,
) -> (Subscriber, Subscriber, JoinHandle<()>) {
    let alerts = Subscriber::new(&s.brokers, &s.alerts);
    let dead = Subscriber::new(&s.brokers, &s.dead_letter);
    (
        alerts,
        dead,
        steady(&s.brokers, &s.news, messages, 100, every),
    )
}

/// Reads on for `quiet` after every expected id arrived, then asserts
/// that each arrived once and nothing else did; the same for the dead
/// letters.
fn assert_exactly_once(
    alerts: &mut Subscriber,
    dead: &mut Subscriber,
    expected: &HashSet<String>,
    rejected: &HashSet<Vec<u8>>,
    log: &dyn Fn() -> String,
) {
    assert!(
        alerts.until_all(expected, ALERT_TIMEOUT),
        "{}; log:\n{}",
        alerts.progress(expected),
        log()
    );
    assert!(
        dead.until(ALERT_TIMEOUT, |r| r.len() >= rejected.len()),
        "{} of {} dead letters; log:\n{}",
        dead.received.len(),
        rejected.len(),
        log()
    );
    // Late copies would come within a transaction interval or two.
    let quiet = Duration::from_secs(5);
    alerts.until(quiet, |_| false);
    dead.until(quiet, |_| false);
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for r in &alerts.received {
        *counts.entry(r.key.as_str()).or_default() += 1;
    }
    let doubled: Vec<(&&str, &usize)> = counts.iter().filter(|(_, n)| **n > 1).take(10).collect();
    assert!(
        doubled.is_empty(),
        "alerts seen more than once: {doubled:?}"
    );
    assert_eq!(alerts.ids(), *expected, "exactly the expected alert ids");
    let dead_values: Vec<&Vec<u8>> = dead.received.iter().map(|r| &r.payload).collect();
    let distinct: HashSet<&Vec<u8>> = dead_values.iter().copied().collect();
    assert_eq!(
        dead_values.len(),
        distinct.len(),
        "a dead letter seen twice"
    );
    assert_eq!(
        distinct,
        rejected.iter().collect::<HashSet<_>>(),
        "exactly the rejected items"
    );
}

#[test]
fn kill_9_five_times_under_a_steady_stream_repeats_no_alert() {
    let s = Setup::new("eos-kill", 3);
    let (messages, expected, rejected) = items(4000, "eos-kill");
    let config = s.config("");
    let (mut alerts, mut dead, producer) =
        readers_and_stream(&s, messages, Duration::from_millis(150));
    // Kill points from a fixed pseudo-random sequence, between 1 and 4 s
    // after each start (the group join takes about 1 s).
    let mut seed = 0x9E37_79B9u32;
    for round in 0..5 {
        let d = spawn(&s, &config, "a", &format!("kill-{round}"));
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let wait = Duration::from_millis(1000 + u64::from(seed % 3000));
        std::thread::sleep(wait);
        d.signal("KILL");
        let mut d = d;
        assert_eq!(d.wait(Duration::from_secs(10)), None, "killed by a signal");
    }
    producer.join().expect("producer thread");
    let last = spawn(&s, &config, "a", "last");
    assert_exactly_once(&mut alerts, &mut dead, &expected, &rejected, &|| {
        last.log_text()
    });
    assert!(
        last.log_text()
            .contains("exactly-once: alerts, dead letters and offsets in Kafka transactions"),
        "{}",
        last.log_text()
    );
}

#[test]
fn two_instances_one_killed_mid_stream_repeat_no_alert() {
    let s = Setup::new("eos-two", 6);
    let (messages, expected, rejected) = items(4000, "eos-two");
    let config = s.config("");
    let a = spawn(&s, &config, "a", "a");
    let b = spawn(&s, &config, "b", "b");
    joined(&a);
    joined(&b);
    let (mut alerts, mut dead, producer) =
        readers_and_stream(&s, messages, Duration::from_millis(100));
    assert!(
        alerts.until(ALERT_TIMEOUT, |r| r.len() >= expected.len() / 4),
        "alerts before the kill; log b:\n{}",
        b.log_text()
    );
    b.signal("KILL");
    producer.join().expect("producer thread");
    assert_exactly_once(&mut alerts, &mut dead, &expected, &rejected, &|| {
        a.log_text()
    });
}

#[test]
fn a_zombie_paused_past_its_session_timeout_is_fenced_and_repeats_no_alert() {
    let s = Setup::new("eos-zombie", 3);
    let (messages, expected, rejected) = items(3000, "eos-zombie");
    let config = s.config("");
    let zombie = spawn(&s, &config, "z", "zombie");
    joined(&zombie);
    let (mut alerts, mut dead, producer) =
        readers_and_stream(&s, messages, Duration::from_millis(100));
    assert!(
        alerts.until(ALERT_TIMEOUT, |r| !r.is_empty()),
        "alerts before the pause; log:\n{}",
        zombie.log_text()
    );
    // Paused mid-stream, past the 6 s session timeout: the other instance
    // takes every partition over.
    zombie.signal("STOP");
    let other = spawn(&s, &config, "o", "other");
    let started = Instant::now();
    joined(&other);
    std::thread::sleep(Duration::from_secs(10).saturating_sub(started.elapsed()));
    zombie.signal("CONT");
    producer.join().expect("producer thread");
    assert_exactly_once(&mut alerts, &mut dead, &expected, &rejected, &|| {
        format!(
            "zombie:\n{}\nother:\n{}",
            zombie.log_text(),
            other.log_text()
        )
    });
}

/// Fences the daemon's producer as a second process with its
/// `transactional.id` would: a producer that initializes transactions with
/// that id bumps its epoch, and the daemon's next commit fails fatally.
fn fence(brokers: &str, transactional_id: &str) {
    use rdkafka::config::ClientConfig;
    use rdkafka::producer::{BaseProducer, Producer};
    let p: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("transactional.id", transactional_id)
        .create()
        .expect("a transactional producer");
    p.init_transactions(Duration::from_secs(30))
        .expect("init_transactions fences the daemon's producer");
}

#[test]
fn a_fenced_producer_is_replaced_with_the_consumer_and_repeats_no_alert() {
    let s = Setup::new("eos-fenced", 3);
    let (messages, expected, rejected) = items(3000, "eos-fenced");
    let config = s.config("");
    let mut daemon = spawn(&s, &config, "f", "fenced");
    joined(&daemon);
    let (mut alerts, mut dead, producer) =
        readers_and_stream(&s, messages, Duration::from_millis(100));
    // kafka.transactional_id_prefix defaults to the group id.
    let transactional_id = format!("{}-f", s.group);
    for round in 0..3 {
        assert!(
            alerts.until(ALERT_TIMEOUT, |r| r.len()
                >= (round + 1) * expected.len() / 5),
            "alerts before fencing {round}; log:\n{}",
            daemon.log_text()
        );
        fence(&s.brokers, &transactional_id);
    }
    producer.join().expect("producer thread");
    assert_exactly_once(&mut alerts, &mut dead, &expected, &rejected, &|| {
        daemon.log_text()
    });
    // The lag counts from the offsets the transactions committed, which
    // the consumer's own statistics (every 5 s) never see.
    let addr = daemon.http_addr();
    let settled = eventually(Duration::from_secs(30), || {
        let m = scrape(&addr);
        m.has("newswatch_consumer_lag") && m.sum("newswatch_consumer_lag", &[]) == 0.0
    });
    assert!(
        settled,
        "newswatch_consumer_lag once every item is committed: {}",
        scrape(&addr).sum("newswatch_consumer_lag", &[])
    );
    let log = daemon.log_text();
    assert!(
        log.contains("replacing the consumer too"),
        "the fenced producer was replaced, and the consumer with it; log:\n{log}"
    );
    assert_eq!(
        daemon.child.try_wait().ok().flatten(),
        None,
        "still the same process"
    );
    daemon.terminate();
}
