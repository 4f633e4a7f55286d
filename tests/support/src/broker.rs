//! The Kafka broker under test and plain operations on it: names no other
//! run uses, topics, producing, and the offsets a group committed. Every
//! function panics, loudly, when the broker does not answer.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};

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
    let records: Vec<Record<'_>> = messages
        .iter()
        .map(|(p, k, v)| (*p, k.as_deref(), Some(v.as_slice())))
        .collect();
    produce_records(brokers, topic, &[], &records);
}

/// A record to produce: (partition, key, value); a `None` value is a null
/// (a compaction tombstone).
pub type Record<'a> = (Option<i32>, Option<&'a [u8]>, Option<&'a [u8]>);

/// Produces records with extra producer properties (e.g.
/// `compression.type`) and waits until all are acknowledged.
pub fn produce_records(
    brokers: &str,
    topic: &str,
    properties: &[(&str, &str)],
    records: &[Record<'_>],
) {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", brokers)
        .set("enable.idempotence", "true")
        .set("linger.ms", "5");
    for (k, v) in properties {
        config.set(*k, *v);
    }
    let producer: ThreadedProducer<DefaultProducerContext> =
        config.create().expect("create producer");
    for (partition, key, value) in records {
        let mut r: BaseRecord<'_, [u8], [u8]> = BaseRecord::to(topic);
        if let Some(v) = value {
            r = r.payload(*v);
        }
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

/// The offsets a group committed on a topic, per partition.
pub fn committed(brokers: &str, group: &str, topic: &str, partitions: i32) -> Vec<i64> {
    try_committed(brokers, group, topic, partitions).expect("read committed offsets")
}

/// [`committed`], with the error instead of a panic: for failure messages.
/// librdkafka asks for stable offsets only, so a timeout here can mean a
/// transactional offset commit of the group left pending.
pub fn try_committed(
    brokers: &str,
    group: &str,
    topic: &str,
    partitions: i32,
) -> rdkafka::error::KafkaResult<Vec<i64>> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()?;
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition(topic, p);
    }
    let c = consumer.committed_offsets(tpl, Duration::from_secs(15))?;
    Ok((0..partitions)
        .map(|p| match c.find_partition(topic, p).map(|e| e.offset()) {
            Some(Offset::Offset(o)) => o,
            _ => -1,
        })
        .collect())
}

/// The end offset (high watermark) of each partition.
pub fn end_offsets(brokers: &str, topic: &str, partitions: i32) -> Vec<i64> {
    try_end_offsets(brokers, topic, partitions).expect("fetch watermarks")
}

/// [`end_offsets`], with the error instead of a panic: for failure messages.
pub fn try_end_offsets(
    brokers: &str,
    topic: &str,
    partitions: i32,
) -> rdkafka::error::KafkaResult<Vec<i64>> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()?;
    (0..partitions)
        .map(|p| {
            consumer
                .fetch_watermarks(topic, p, Duration::from_secs(15))
                .map(|(_, high)| high)
        })
        .collect()
}
