//! The **kafka** sink and the dead-letter topic (SPEC section 3): alerts
//! produced to a topic keyed by alert id with CloudEvents headers, rejected
//! items and given-up alerts to `dead_letter.topic`, all through the one
//! shared [`KafkaProducer`].

mod config;
mod producer;

use std::sync::Arc;

pub use config::{DeadLetterConfig, KafkaSinkConfig};
pub use producer::KafkaProducer;
use producer::Pending;

use super::{Ack, DeadLetter, DeadLetterRecord, Outgoing, Sink};

/// Alerts to a topic: key = alert id, CloudEvents headers.
pub struct KafkaSink {
    /// The sink's name, a metric label.
    name: Arc<str>,
    /// The topic alerts are produced to.
    topic: Arc<str>,
    /// A clone of the process's one producer; the producer (and its retry
    /// thread) ends when the last clone is dropped.
    producer: Arc<KafkaProducer>,
}

impl KafkaSink {
    /// A sink named `name` producing to `topic`.
    pub fn new(name: impl Into<String>, topic: &str, producer: Arc<KafkaProducer>) -> Self {
        KafkaSink {
            name: Arc::from(name.into()),
            topic: topic.into(),
            producer,
        }
    }
}

impl Sink for KafkaSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn send(&self, alert: &Outgoing, ack: Ack) {
        self.producer.produce(Box::new(Pending {
            sink: Arc::clone(&self.name),
            topic: Arc::clone(&self.topic),
            key: Some(Arc::from(alert.id().as_bytes())),
            payload: Some(Arc::clone(&alert.json)),
            headers: vec![
                ("content-type", "application/cloudevents+json".to_owned()),
                ("newswatch-rule", alert.rule().to_owned()),
                ("newswatch-severity", alert.severity().to_owned()),
            ],
            ack,
            attempt: 0,
        }));
    }
}

/// Rejected items to `dead_letter.topic`, unchanged, with `newswatch-error`;
/// alerts a webhook gave up on, as their CloudEvents JSON keyed by alert id,
/// with `newswatch-error` and `newswatch-sink`.
pub struct KafkaDeadLetter {
    /// `dead_letter.topic`.
    topic: Arc<str>,
    /// A clone of the process's one producer, as in [`KafkaSink`].
    producer: Arc<KafkaProducer>,
}

impl KafkaDeadLetter {
    /// The dead-letter topic `topic`.
    pub fn new(topic: &str, producer: Arc<KafkaProducer>) -> Self {
        KafkaDeadLetter {
            topic: topic.into(),
            producer,
        }
    }
}

impl DeadLetter for KafkaDeadLetter {
    fn send(&self, record: DeadLetterRecord, ack: Ack) {
        let item = record;
        self.producer.produce(Box::new(Pending {
            sink: Arc::from("dead-letter"),
            topic: Arc::clone(&self.topic),
            key: item.key.map(Arc::from),
            payload: item.payload.map(Arc::from),
            headers: match item.sink {
                None => vec![("newswatch-error", item.error)],
                Some(sink) => vec![
                    ("newswatch-error", item.error),
                    ("newswatch-sink", sink),
                    ("content-type", "application/cloudevents+json".to_owned()),
                ],
            },
            ack,
            attempt: 0,
        }));
    }
}
