//! Shared pieces of the Kafka tests: the broker, unique topics and groups,
//! the daemon as a child process, an independent consumer of the alerts
//! topic, and the alerts the library says a stream must produce.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use newswatch::engine::{Engine, Field, Scratch};
use newswatch::item::{DecodeOptions, decode};
use newswatch::watchlist::Watchlist;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The broker under test: `NEWSWATCH_TEST_BROKERS`, else the one
/// `scripts/kafka.sh` starts. Panics, loudly, when none answers.
pub fn brokers() -> String {
    let b = std::env::var("NEWSWATCH_TEST_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".into());
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &b)
        .create()
        .expect("create a metadata client");
    if let Err(e) = consumer.fetch_metadata(None, Duration::from_secs(15)) {
        panic!(
            "no Kafka broker answers at {b} ({e}): run the tests through scripts/test.sh, \
             which starts one (scripts/kafka.sh start), or set NEWSWATCH_TEST_BROKERS"
        );
    }
    b
}

/// A name no other test run uses.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{prefix}-{}-{nanos}", std::process::id())
}

pub fn create_topics(brokers: &str, topics: &[(&str, i32)]) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .expect("create admin client");
    let new: Vec<NewTopic<'_>> = topics
        .iter()
        .map(|(name, parts)| NewTopic::new(name, *parts, TopicReplication::Fixed(1)))
        .collect();
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results =
        futures_executor::block_on(admin.create_topics(&new, &opts)).expect("create topics");
    for r in results {
        r.unwrap_or_else(|(t, e)| panic!("creating topic {t}: {e}"));
    }
}

/// A message to produce: (partition, key, value); no partition lets the
/// producer choose.
pub type Msg = (Option<i32>, Option<Vec<u8>>, Vec<u8>);

/// Items as messages without key, partitioned by the producer.
pub fn unkeyed(items: &[Vec<u8>]) -> Vec<Msg> {
    items.iter().map(|v| (None, None, v.clone())).collect()
}

/// Produces messages and waits until all are acknowledged.
pub fn produce(brokers: &str, topic: &str, messages: &[Msg]) {
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("enable.idempotence", "true")
        .set("linger.ms", "5")
        .create()
        .expect("create producer");
    for (partition, key, value) in messages {
        let mut r: BaseRecord<'_, [u8], [u8]> = BaseRecord::to(topic).payload(value);
        if let Some(k) = key {
            r = r.key(k);
        }
        if let Some(p) = partition {
            r = r.partition(*p);
        }
        let mut r = r;
        loop {
            match producer.send(r) {
                Ok(()) => break,
                Err((_, back)) => {
                    r = back;
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        }
    }
    producer
        .flush(Duration::from_secs(60))
        .expect("flush test producer");
}

/// One consumed alert.
#[derive(Debug, Clone)]
pub struct Received {
    pub key: String,
    pub value: serde_json::Value,
    pub headers: BTreeMap<String, String>,
}

/// Reads a topic from the start with its own group, like a subscriber.
pub struct Subscriber {
    consumer: BaseConsumer,
    pub received: Vec<Received>,
}

impl Subscriber {
    pub fn new(brokers: &str, topic: &str) -> Self {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .set("group.id", unique("subscriber"))
            .set("auto.offset.reset", "earliest")
            .set("enable.auto.commit", "false")
            .create()
            .expect("create subscriber");
        consumer.subscribe(&[topic]).expect("subscribe");
        Subscriber {
            consumer,
            received: Vec::new(),
        }
    }

    /// Polls until `done(&received)` or `timeout`; returns whether done.
    pub fn until(&mut self, timeout: Duration, mut done: impl FnMut(&[Received]) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if done(&self.received) {
                return true;
            }
            if let Some(Ok(m)) = self.consumer.poll(Duration::from_millis(200)) {
                let mut headers = BTreeMap::new();
                if let Some(h) = m.headers() {
                    for i in 0..h.count() {
                        let h = h.get(i);
                        headers.insert(
                            h.key.to_owned(),
                            String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned(),
                        );
                    }
                }
                let value = m
                    .payload()
                    .map(|p| {
                        serde_json::from_slice(p).unwrap_or(serde_json::Value::String(
                            String::from_utf8_lossy(p).into_owned(),
                        ))
                    })
                    .unwrap_or(serde_json::Value::Null);
                self.received.push(Received {
                    key: String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned(),
                    value,
                    headers,
                });
            }
        }
        done(&self.received)
    }

    /// Polls until every id of `expected` was received (repeats allowed).
    pub fn until_all(&mut self, expected: &HashSet<String>, timeout: Duration) -> bool {
        self.until(timeout, |r| {
            let got: HashSet<&str> = r.iter().map(|a| a.key.as_str()).collect();
            expected.iter().all(|id| got.contains(id.as_str()))
        })
    }

    /// How many of `expected` were received, for failure messages.
    pub fn progress(&self, expected: &HashSet<String>) -> String {
        let n = self.ids().intersection(expected).count();
        format!("{n} of {} expected alert ids", expected.len())
    }

    pub fn ids(&self) -> HashSet<String> {
        self.received.iter().map(|r| r.key.clone()).collect()
    }
}

/// The offsets a group committed on a topic, per partition.
pub fn committed(brokers: &str, group: &str, topic: &str, partitions: i32) -> Vec<i64> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .expect("create offsets reader");
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition(topic, p);
    }
    let c = consumer
        .committed_offsets(tpl, Duration::from_secs(15))
        .expect("read committed offsets");
    (0..partitions)
        .map(|p| match c.find_partition(topic, p).map(|e| e.offset()) {
            Some(Offset::Offset(o)) => o,
            _ => -1,
        })
        .collect()
}

/// Asserts the group committed the end of every partition that holds
/// messages (an empty partition has nothing to commit), waiting up to 30 s
/// for a running daemon's next commits.
pub fn assert_all_committed(s: &Setup) {
    let ends = end_offsets(&s.brokers, &s.news, s.partitions);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got: Vec<i64> = committed(&s.brokers, &s.group, &s.news, s.partitions)
            .into_iter()
            .zip(&ends)
            .map(|(c, &end)| if end == 0 && c < 0 { 0 } else { c })
            .collect();
        if got == ends || Instant::now() >= deadline {
            assert_eq!(
                got, ends,
                "committed offsets reach the end of every partition"
            );
            return;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The end offset (high watermark) of each partition.
pub fn end_offsets(brokers: &str, topic: &str, partitions: i32) -> Vec<i64> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .expect("create watermark reader");
    (0..partitions)
        .map(|p| {
            consumer
                .fetch_watermarks(topic, p, Duration::from_secs(15))
                .expect("fetch watermarks")
                .1
        })
        .collect()
}

/// The alert ids the default watchlist must produce for `items` (JSON
/// values with ids), computed with the library, not the daemon.
pub fn expected_ids(items: &[Vec<u8>]) -> HashSet<String> {
    expected_alerts(&root().join("config/watchlist.toml"), items)
        .into_iter()
        .map(|a| a.id)
        .collect()
}

/// An alert the library says `items` must raise.
#[derive(Debug, Clone)]
pub struct Expected {
    pub id: String,
    pub rule: String,
    pub item: String,
}

/// The alerts `watchlist` must raise for `items` (JSON values with ids).
pub fn expected_alerts(watchlist: &Path, items: &[Vec<u8>]) -> Vec<Expected> {
    let items: Vec<(Option<&str>, &[u8])> = items.iter().map(|v| (None, v.as_slice())).collect();
    expected_alerts_with(watchlist, &DecodeOptions::default(), &items)
}

/// The alerts `watchlist` must raise for `items` decoded with `opts`, each
/// given as (key, value): the key is the id of an item that has none.
pub fn expected_alerts_with(
    watchlist: &Path,
    opts: &DecodeOptions,
    items: &[(Option<&str>, &[u8])],
) -> Vec<Expected> {
    let w = Watchlist::load(watchlist, None).expect("watchlist loads");
    let engine = Engine::build(Arc::new(w)).expect("engine builds");
    let mut scratch = Scratch::new();
    let mut out = Vec::new();
    for &(key, raw) in items {
        let Ok(item) = decode(raw, opts) else {
            continue;
        };
        let id = item
            .id
            .as_deref()
            .or(key)
            .expect("test items carry ids or keys")
            .to_owned();
        let fields: Vec<Field<'_>> = item
            .fields
            .iter()
            .map(|(name, text)| Field { name, text })
            .collect();
        for hit in engine.scan(&fields, &mut scratch) {
            let rule = engine.rule(hit.rule).id.clone();
            out.push(Expected {
                id: newswatch::alert::alert_id(&rule, &id),
                rule,
                item: id.clone(),
            });
        }
    }
    out
}

/// The fixture items: the TASS article, chip news that alerts and ordinary
/// news that does not.
pub fn fixture_items() -> Vec<Vec<u8>> {
    let mut items = lines(&root().join("tests/fixtures/tass-h200-ru.jsonl"));
    items.extend(lines(&root().join("tests/fixtures/chip_news.jsonl")));
    items.extend(lines(&root().join("tests/fixtures/non_chip_news.jsonl")));
    items
}

/// The JSON lines of a fixture or corpus file.
pub fn lines(path: &Path) -> Vec<Vec<u8>> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.as_bytes().to_vec())
        .collect()
}

/// `n` items with unique ids built from the fixtures: a few percent chip
/// news, the rest ordinary news.
pub fn stream(n: usize, tag: &str) -> Vec<Vec<u8>> {
    let chips = lines(&root().join("tests/fixtures/chip_news.jsonl"));
    let plain = lines(&root().join("tests/fixtures/non_chip_news.jsonl"));
    (0..n)
        .map(|i| {
            let src = if i % 25 == 0 {
                &chips[i / 25 % chips.len()]
            } else {
                &plain[i % plain.len()]
            };
            let mut v: serde_json::Value = serde_json::from_slice(src).expect("fixture JSON");
            v["id"] = serde_json::Value::String(format!("{tag}-{i}"));
            serde_json::to_vec(&v).expect("encode item")
        })
        .collect()
}

/// Names of one test's topics and group.
pub struct Setup {
    pub brokers: String,
    pub news: String,
    pub alerts: String,
    pub dead_letter: String,
    pub group: String,
    pub partitions: i32,
    pub dir: PathBuf,
}

impl Setup {
    pub fn new(name: &str, partitions: i32) -> Self {
        let brokers = brokers();
        let s = Setup {
            news: unique(&format!("{name}-news")),
            alerts: unique(&format!("{name}-alerts")),
            dead_letter: unique(&format!("{name}-dlq")),
            group: unique(&format!("{name}-group")),
            partitions,
            dir: std::env::temp_dir().join(unique(name)),
            brokers,
        };
        create_topics(
            &s.brokers,
            &[(&s.news, partitions), (&s.alerts, 3), (&s.dead_letter, 1)],
        );
        std::fs::create_dir_all(&s.dir).expect("test dir");
        s
    }

    /// A configuration file for the daemon, with the default watchlist.
    pub fn config(&self, extra: &str) -> PathBuf {
        self.config_with(&root().join("config/watchlist.toml"), extra)
    }

    /// A configuration file for the daemon: the topics of this setup, a
    /// kafka sink `alerts-topic`, the dead-letter topic, then `extra`.
    pub fn config_with(&self, watchlist: &Path, extra: &str) -> PathBuf {
        let path = self.dir.join("config.toml");
        let text = format!(
            r#"
[kafka]
brokers = "{brokers}"
group_id = "{group}"
topics = ["{news}"]
[kafka.consumer]
"session.timeout.ms" = 6000
"heartbeat.interval.ms" = 500
[watchlist]
path = "{watchlist}"
[pipeline]
shutdown_timeout = "20s"
[[sinks]]
name = "alerts-topic"
type = "kafka"
topic = "{alerts}"
[dead_letter]
topic = "{dlq}"
[log]
format = "json"
level = "info"
{extra}
"#,
            brokers = self.brokers,
            group = self.group,
            news = self.news,
            watchlist = watchlist.display(),
            alerts = self.alerts,
            dlq = self.dead_letter,
        );
        std::fs::write(&path, text).expect("write config");
        path
    }

    pub fn spawn(&self, config: &Path, name: &str) -> Daemon {
        Daemon::spawn(config, &self.dir.join(format!("{name}.log")))
    }

    /// `spawn` with extra environment (`NEWSWATCH__…` overrides).
    pub fn spawn_env(&self, config: &Path, name: &str, env: &[(&str, &str)]) -> Daemon {
        Daemon::spawn_env(config, &self.dir.join(format!("{name}.log")), env)
    }
}

/// The real daemon binary; killed when dropped.
pub struct Daemon {
    pub child: Child,
    pub log: PathBuf,
}

impl Daemon {
    pub fn spawn(config: &Path, log: &Path) -> Self {
        Self::spawn_env(config, log, &[])
    }

    pub fn spawn_env(config: &Path, log: &Path, env: &[(&str, &str)]) -> Self {
        let file = std::fs::File::create(log).expect("daemon log");
        let child = Command::new(env!("CARGO_BIN_EXE_newswatch"))
            .args(["run", "--config"])
            .arg(config)
            .env_remove("RUST_LOG")
            // Tests run daemons side by side: any free port for the
            // endpoints (`http_addr` finds it).
            .env("NEWSWATCH__HTTP__LISTEN", "127.0.0.1:0")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("spawn newswatch run");
        Daemon {
            child,
            log: log.to_owned(),
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log shows `needle`.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.log_text().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// The address of the daemon's HTTP endpoints, from its log.
    pub fn http_addr(&self) -> String {
        let needle = "serving /metrics";
        assert!(
            self.wait_for_log(needle, Duration::from_secs(60)),
            "no HTTP endpoints; log:\n{}",
            self.log_text()
        );
        let text = self.log_text();
        let line = text
            .lines()
            .find(|l| l.contains(needle))
            .expect("the line just seen");
        let v: serde_json::Value = serde_json::from_str(line).expect("JSON log line");
        v["addr"].as_str().expect("addr field").to_owned()
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status()
            .expect("run kill")
            .success();
        assert!(ok, "kill -{sig} failed");
    }

    /// SIGTERM, then the graceful exit: status 0 within a minute.
    pub fn terminate(&mut self) {
        self.signal("TERM");
        assert_eq!(
            self.wait(Duration::from_secs(60)),
            Some(0),
            "log:\n{}",
            self.log_text()
        );
    }

    /// Waits for the process to exit and returns its exit code.
    pub fn wait(&mut self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.1 GET: status and body.
pub fn http_get(addr: &str, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(addr).expect("connect to the daemon's endpoints");
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("send request");
    let mut response = String::new();
    conn.read_to_string(&mut response).expect("read response");
    let (head, body) = response.split_once("\r\n\r\n").expect("HTTP response");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    (status, body.to_owned())
}

/// `/metrics` of the daemon at `addr`, parsed by the Prometheus project's
/// own Python parser (`prometheus_client`, in the venv `scripts/test.sh`
/// names in `NEWSWATCH_TEST_PYTHON`): sample name and labels to value.
pub fn scrape(addr: &str) -> Metrics {
    let (status, text) = http_get(addr, "/metrics");
    assert_eq!(status, 200, "{text}");
    let python = std::env::var("NEWSWATCH_TEST_PYTHON").expect(
        "NEWSWATCH_TEST_PYTHON must name a python with prometheus_client; scripts/test.sh sets it",
    );
    let script = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {"types": {}, "samples": []}
for f in text_string_to_metric_families(sys.stdin.read()):
    out["types"][f.name] = f.type
    for s in f.samples:
        out["samples"].append([s.name, s.labels, s.value])
print(json.dumps(out))
"#;
    let mut child = Command::new(&python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running {python}: {e}"));
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(text.as_bytes()).expect("feed the parser");
    }
    let out = child.wait_with_output().expect("parser output");
    assert!(
        out.status.success(),
        "the Prometheus parser rejected /metrics: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("parser JSON");
    let types = v["types"]
        .as_object()
        .expect("types")
        .iter()
        .map(|(k, t)| (k.clone(), t.as_str().unwrap_or("").to_owned()))
        .collect();
    let samples = v["samples"]
        .as_array()
        .expect("samples")
        .iter()
        .map(|s| {
            let labels = s[1]
                .as_object()
                .expect("labels")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned()))
                .collect();
            (
                s[0].as_str().expect("name").to_owned(),
                labels,
                s[2].as_f64().expect("value"),
            )
        })
        .collect();
    Metrics { types, samples }
}

/// Parsed `/metrics`.
#[derive(Debug)]
pub struct Metrics {
    pub types: BTreeMap<String, String>,
    pub samples: Vec<(String, BTreeMap<String, String>, f64)>,
}

impl Metrics {
    /// The sum of the samples named `name` whose labels include `labels`.
    pub fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .filter(|(n, l, _)| {
                n == name
                    && labels
                        .iter()
                        .all(|(k, v)| l.get(*k).is_some_and(|x| x == v))
            })
            .map(|(_, _, v)| v)
            .sum()
    }

    pub fn has(&self, name: &str) -> bool {
        self.samples.iter().any(|(n, _, _)| n == name)
    }
}

/// The values of every message of `topic` below `ends[partition]`.
pub fn items_below(brokers: &str, topic: &str, ends: &[i64]) -> Vec<Vec<u8>> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", unique("reader"))
        .set("enable.auto.commit", "false")
        .create()
        .expect("create reader");
    let mut tpl = TopicPartitionList::new();
    for (p, _) in ends.iter().enumerate() {
        tpl.add_partition_offset(topic, p as i32, Offset::Beginning)
            .expect("add partition");
    }
    consumer.assign(&tpl).expect("assign");
    let want: i64 = ends.iter().map(|&e| e.max(0)).sum();
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while (out.len() as i64) < want && Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200))
            && m.offset() < ends[m.partition() as usize]
        {
            out.push(m.payload().unwrap_or_default().to_vec());
        }
    }
    out
}
