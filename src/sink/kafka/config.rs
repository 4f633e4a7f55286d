//! The keys of a **kafka** sink (`topic`, `mode`) and of `[dead_letter]`,
//! and how both are built on the shared producer.

use std::collections::HashMap;
use std::sync::Arc;

use super::{KafkaDeadLetter, KafkaProducer, KafkaSink};
use crate::sink::{BuildError, DeadLetter, Sink, SinkContext, SinkKindConfig};
use crate::values::{Problems, Table};

/// `type = "kafka"`: alerts to a topic.
#[derive(Debug, Clone)]
pub struct KafkaSinkConfig {
    /// The alerts topic (ideally compacted: keys are alert ids).
    pub topic: String,
    /// How the event is laid out in the message (default structured).
    pub mode: ContentMode,
}

/// `mode`: the content mode of the CloudEvents Kafka protocol binding 1.0
/// (section 3) the alerts are produced in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentMode {
    /// The whole event JSON is the value, `content-type:
    /// application/cloudevents+json` (section 3.3; the default).
    Structured,
    /// The value is the event's `data` alone; its other attributes are
    /// `ce_` headers, `datacontenttype` the `content-type` header
    /// (section 3.2): what Knative's Kafka sources and brokers produce.
    Binary,
}

impl ContentMode {
    /// The `mode` value.
    pub fn as_str(self) -> &'static str {
        match self {
            ContentMode::Structured => "structured",
            ContentMode::Binary => "binary",
        }
    }
}

impl SinkKindConfig for KafkaSinkConfig {
    fn parse(t: &mut Table, _env: &HashMap<String, String>, p: &mut Problems) -> Option<Self> {
        let mode = match t.string("mode", p).as_deref() {
            None | Some("structured") => Some(ContentMode::Structured),
            Some("binary") => Some(ContentMode::Binary),
            Some(other) => {
                p.add(
                    t.key("mode"),
                    format!(
                        "unknown mode {other:?} (expected structured or binary, the content modes of the CloudEvents Kafka binding)"
                    ),
                );
                None
            }
        };
        let topic = t.string("topic", p).unwrap_or_default();
        if topic.trim().is_empty() {
            p.add(t.key("topic"), "must not be empty");
            return None;
        }
        Some(KafkaSinkConfig { topic, mode: mode? })
    }

    fn build(&self, name: &str, cx: &mut SinkContext) -> Result<Arc<dyn Sink>, BuildError> {
        let producer = cx.kafka_producer(name)?;
        Ok(Arc::new(KafkaSink::new(
            name,
            &self.topic,
            self.mode,
            producer,
        )))
    }

    fn describe(&self) -> String {
        format!("topic {} ({} mode)", self.topic, self.mode.as_str())
    }
}

/// `[dead_letter]`: rejected items, and alerts a webhook gave up on.
#[derive(Debug, Clone)]
pub struct DeadLetterConfig {
    /// The dead-letter topic.
    pub topic: String,
}

impl DeadLetterConfig {
    /// Builds the dead-letter topic on the shared producer.
    ///
    /// # Errors
    ///
    /// When librdkafka refuses to make the producer.
    pub fn build(&self, cx: &mut SinkContext) -> Result<Arc<dyn DeadLetter>, BuildError> {
        let producer = cx.kafka_producer("dead-letter")?;
        Ok(Arc::new(KafkaDeadLetter::new(&self.topic, producer)))
    }
}

impl SinkContext {
    /// The producer every Kafka sink and the dead-letter topic share, made
    /// on first use.
    ///
    /// # Errors
    ///
    /// When librdkafka refuses the `kafka.producer` properties; `sink`
    /// names the sink that asked.
    pub fn kafka_producer(&mut self, sink: &str) -> Result<Arc<KafkaProducer>, BuildError> {
        if let Some(p) = &self.producer {
            return Ok(Arc::clone(p));
        }
        let p = KafkaProducer::new(
            &self.brokers,
            &self.producer_properties,
            self.transactional_id.as_deref(),
        )
        .map(Arc::new)
        .map_err(|source| BuildError::Kafka {
            sink: sink.to_owned(),
            source,
        })?;
        self.producer = Some(Arc::clone(&p));
        Ok(p)
    }
}
