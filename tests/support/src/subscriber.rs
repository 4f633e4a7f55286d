//! Reading topics back: [`Subscriber`] reads one from the start with a group
//! of its own, as a subscriber of the alerts would; [`items_below`] reads
//! what a topic held below given offsets.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{Offset, TopicPartitionList};

use crate::broker::unique;

/// One consumed alert.
#[derive(Debug, Clone)]
pub struct Received {
    pub key: String,
    /// The value as JSON (a string when it is not JSON, null when absent).
    pub value: serde_json::Value,
    /// The value's bytes as they arrived.
    pub payload: Vec<u8>,
    pub headers: BTreeMap<String, String>,
}

/// Reads a topic from the start with its own group, like a subscriber.
pub struct Subscriber {
    consumer: BaseConsumer,
    pub received: Vec<Received>,
}

impl Subscriber {
    pub fn new(brokers: &str, topic: &str) -> Self {
        // librdkafka's default, said here: an exactly-once daemon's
        // aborted transactions are never seen.
        Self::with_isolation(brokers, topic, "read_committed")
    }

    /// A subscriber with the given `isolation.level` (`read_committed` or
    /// `read_uncommitted`).
    pub fn with_isolation(brokers: &str, topic: &str, isolation: &str) -> Self {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .set("group.id", unique("subscriber"))
            .set("auto.offset.reset", "earliest")
            .set("isolation.level", isolation)
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
                    payload: m.payload().unwrap_or_default().to_vec(),
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
