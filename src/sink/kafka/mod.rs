//! The **kafka** sink and the dead-letter topic (SPEC section 3): alerts
//! produced to a topic keyed by alert id, in either content mode of the
//! CloudEvents Kafka protocol binding 1.0 (the event JSON as the value, or
//! the `data` as the value and the attributes as `ce_` headers), rejected
//! items and given-up alerts to `dead_letter.topic`, all through the one
//! shared [`KafkaProducer`].

mod config;
pub(crate) mod polled;
mod producer;

use std::borrow::Cow;
use std::sync::Arc;

pub use config::{ContentMode, DeadLetterConfig, KafkaSinkConfig};
use producer::Pending;
pub use producer::{KafkaProducer, TransactionError};

use super::{Ack, DeadLetter, DeadLetterRecord, Outgoing, Sink};

/// Alerts to a topic: key = alert id, the event in the sink's content mode.
pub struct KafkaSink {
    /// The sink's name, a metric label.
    name: Arc<str>,
    /// The topic alerts are produced to.
    topic: Arc<str>,
    /// Structured (the event JSON) or binary (`data` and `ce_` headers).
    mode: ContentMode,
    /// A clone of the process's one producer; the producer (and its retry
    /// thread) ends when the last clone is dropped.
    producer: Arc<KafkaProducer>,
}

impl KafkaSink {
    /// A sink named `name` producing to `topic` in `mode`.
    pub fn new(
        name: impl Into<String>,
        topic: &str,
        mode: ContentMode,
        producer: Arc<KafkaProducer>,
    ) -> Self {
        KafkaSink {
            name: Arc::from(name.into()),
            topic: topic.into(),
            mode,
            producer,
        }
    }
}

impl Sink for KafkaSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn send(&self, alert: &Outgoing, ack: Ack) {
        let Some((payload, mut headers)) = (match self.mode {
            ContentMode::Structured => Some(structured(alert)),
            ContentMode::Binary => binary(alert),
        }) else {
            // The ack is dropped: the item stays uncommitted.
            return;
        };
        // Both modes: filter without parsing the value.
        headers.push(("newswatch-rule".into(), alert.rule().to_owned()));
        headers.push(("newswatch-severity".into(), alert.severity().to_owned()));
        self.producer.produce(Box::new(Pending {
            sink: Arc::clone(&self.name),
            topic: Arc::clone(&self.topic),
            key: Some(Arc::from(alert.id().as_bytes())),
            payload: Some(payload),
            headers,
            ack,
            attempt: 0,
        }));
    }
}

/// A message's headers: name and value.
type Headers = Vec<(Cow<'static, str>, String)>;

/// Structured content mode (Kafka binding section 3.3): the event JSON as
/// the value, its media type as `content-type`.
fn structured(alert: &Outgoing) -> (Arc<[u8]>, Headers) {
    let headers = vec![(
        Cow::Borrowed("content-type"),
        "application/cloudevents+json".to_owned(),
    )];
    (Arc::clone(&alert.json), headers)
}

/// Binary content mode (Kafka binding section 3.2): the event's `data` as
/// the value; `datacontenttype` as the `content-type` header and every
/// other attribute as a `ce_` header (section 3.2.3), but none that is
/// empty (an optional attribute that is absent). `None`, logged, when the
/// data cannot be encoded, which these types never fail to do.
fn binary(alert: &Outgoing) -> Option<(Arc<[u8]>, Headers)> {
    let data = match crate::escape::to_json(&alert.alert.data) {
        Ok(data) => data,
        Err(e) => {
            tracing::error!(alert_id = %alert.id(), error = %e, "encoding an alert's data failed");
            return None;
        }
    };
    let headers = alert
        .alert
        .attributes()
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| match name {
            "datacontenttype" => (Cow::Borrowed("content-type"), value.to_owned()),
            name => (Cow::Owned(format!("ce_{name}")), value.to_owned()),
        })
        .collect();
    Some((Arc::from(data), headers))
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
                None => vec![("newswatch-error".into(), item.error)],
                Some(sink) => vec![
                    ("newswatch-error".into(), item.error),
                    ("newswatch-sink".into(), sink),
                    (
                        "content-type".into(),
                        "application/cloudevents+json".to_owned(),
                    ),
                ],
            },
            ack,
            attempt: 0,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{Alert, AlertData, ItemRef};
    use crate::watchlist::Severity;

    fn outgoing() -> Outgoing {
        let alert = Alert {
            specversion: "1.0",
            kind: "newswatch.alert",
            source: "/newswatch".into(),
            id: "a1".into(),
            time: "2026-11-28T10:00:00.000Z".into(),
            subject: "chip-export".into(),
            datacontenttype: "application/json",
            data: AlertData {
                rule: "chip-export".into(),
                severity: Severity::High,
                description: None,
                item: std::sync::Arc::new(ItemRef {
                    id: "item-1".into(),
                    title: Some("H200 \u{202e}".into()),
                    url: None,
                    source: None,
                    lang: None,
                    published_at: None,
                }),
                matches: vec![],
                snippet: String::new(),
                origin: None,
                story: None,
                rules: None,
            },
        };
        let json = crate::escape::to_json(&alert).unwrap();
        Outgoing {
            alert,
            json: json.into(),
        }
    }

    #[test]
    fn structured_mode_is_the_event_json() {
        let out = outgoing();
        let (value, headers) = structured(&out);
        assert_eq!(value, out.json);
        assert_eq!(
            headers,
            [(
                Cow::Borrowed("content-type"),
                "application/cloudevents+json".to_owned()
            )]
        );
    }

    #[test]
    fn binary_mode_is_the_data_and_an_attribute_per_header() {
        let out = outgoing();
        let (value, headers) = binary(&out).unwrap();
        let event: serde_json::Value = serde_json::from_slice(&out.json).unwrap();
        let data: serde_json::Value = serde_json::from_slice(&value).unwrap();
        assert_eq!(data, event["data"]);
        // Escaped as the event JSON is.
        assert!(std::str::from_utf8(&value).unwrap().contains(r"\u202e"));
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_str()))
            .collect();
        assert_eq!(
            headers,
            [
                ("ce_specversion", "1.0"),
                ("ce_type", "newswatch.alert"),
                ("ce_source", "/newswatch"),
                ("ce_id", "a1"),
                ("ce_time", "2026-11-28T10:00:00.000Z"),
                ("ce_subject", "chip-export"),
                ("content-type", "application/json"),
            ]
        );
    }
}
