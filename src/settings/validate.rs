//! Raw configuration into typed, valid values: every key checked, every
//! problem collected with its dotted key (SPEC section 5: an invalid
//! configuration names the key).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;

use super::raw::Raw;
use super::{
    AlertsConfig, Guarantee, HttpConfig, KafkaConfig, LogConfig, LogFormat, PipelineConfig,
    Settings, WatchlistConfig,
};
use crate::alert::AlertOptions;
use crate::item::{DecodeOptions, Format};
use crate::sink::SinkConfig;
use crate::sink::kafka::DeadLetterConfig;
use crate::story::{MAX_CAPACITY, StoryConfig};
use crate::text::normalize::MAX_TEXT_BYTES;
use crate::values::{Invalid, MAX_COUNT, Problems, Scalar, Secret, Table, http_url};

/// librdkafka properties newswatch sets itself, with the values it needs:
/// a user property may repeat such a value, never change it, since that
/// would silently weaken delivery (SPEC section 4) or bypass a key of ours.
/// (client, property, the values allowed, why)
const RESERVED: &[(&str, &str, &[&str], &str)] = &[
    (
        "consumer",
        "bootstrap.servers",
        &[],
        "set it with `kafka.brokers`",
    ),
    (
        "producer",
        "bootstrap.servers",
        &[],
        "set it with `kafka.brokers`",
    ),
    ("consumer", "group.id", &[], "set it with `kafka.group_id`"),
    (
        "consumer",
        "enable.auto.commit",
        &["false"],
        "newswatch commits an offset only after every alert of its item is acknowledged (at-least-once, SPEC section 4); auto-commit would commit items whose alerts were never delivered",
    ),
    (
        "consumer",
        "enable.auto.offset.store",
        &["false"],
        "newswatch stores an offset only after every alert of its item is acknowledged (at-least-once, SPEC section 4)",
    ),
    (
        "producer",
        "enable.idempotence",
        &["true"],
        "the alert producer is idempotent (SPEC section 3): without it a retried send may duplicate or reorder alerts",
    ),
    (
        "producer",
        "transactional.id",
        &[],
        "set it with `kafka.transactional_id_prefix` and `kafka.instance_id` (exactly-once, SPEC section 4)",
    ),
    (
        "consumer",
        "isolation.level",
        &["read_committed"],
        "newswatch reads only committed messages, so that an aborted transaction upstream is never alerted on",
    ),
    (
        "producer",
        "acks",
        &["all", "-1"],
        "an alert counts as delivered only when every in-sync replica has it (acks=all, SPEC section 3); fewer acks can lose delivered alerts",
    ),
];

impl Raw {
    /// Checks every key; `env` resolves `secret_env` names.
    pub(super) fn validate(self, env: &HashMap<String, String>) -> Result<Settings, Vec<Invalid>> {
        let mut p = Problems::default();

        p.non_empty("kafka.brokers", &self.kafka.brokers);
        p.non_empty("kafka.group_id", &self.kafka.group_id);
        if self.kafka.topics.is_empty() {
            p.add("kafka.topics", "must name at least one topic");
        }
        for (i, t) in self.kafka.topics.iter().enumerate() {
            p.non_empty(&format!("kafka.topics[{i}]"), t);
        }
        let stall_timeout = p.timeout("kafka.stall_timeout", &self.kafka.stall_timeout);
        let consumer = properties("consumer", self.kafka.consumer, &mut p);
        let producer = properties("producer", self.kafka.producer, &mut p);

        let format = match self.input.format.as_str() {
            "json" => Format::Json,
            "text" => Format::Text,
            other => {
                p.add(
                    "input.format",
                    format!("unknown format {other:?} (expected json or text)"),
                );
                Format::Json
            }
        };
        if self.input.fields.is_empty() {
            p.add("input.fields", "must name at least one field");
        }
        for (i, f) in self.input.fields.iter().enumerate() {
            p.non_empty(&format!("input.fields[{i}]"), f);
        }
        for (i, f) in self.input.metadata_fields.iter().enumerate() {
            let key = format!("input.metadata_fields[{i}]");
            p.non_empty(&key, f);
            if self.input.fields.contains(f) {
                p.add(
                    &key,
                    format!(
                        "{f:?} is also in input.fields: a field is scanned or metadata, not both"
                    ),
                );
            }
        }
        // A field is normalized whole, so an item may not be larger than
        // the normalizer takes (372 MiB); `usize::MAX` used to wrap
        // `max + 2` in `scan`.
        let max_bytes = p.count("input.max_bytes", self.input.max_bytes, MAX_TEXT_BYTES);

        let dedup_window = p.duration("alerts.dedup_window", &self.alerts.dedup_window);
        let snippet_chars = p.count("alerts.snippet_chars", self.alerts.snippet_chars, MAX_COUNT);
        let max_matches = p.count("alerts.max_matches", self.alerts.max_matches, MAX_COUNT);
        check_source(&self.alerts.source, &mut p);
        let stories = story_config(&self.alerts, &mut p);
        let stories_topic = match self.alerts.stories_topic.trim() {
            "" => None,
            topic => Some(topic.to_owned()),
        };
        if let Some(topic) = &stories_topic
            && self.kafka.topics.contains(topic)
        {
            p.add(
                "alerts.stories_topic",
                format!("{topic:?} is also in kafka.topics: stories are not news items"),
            );
        }

        let max_in_flight = p.count(
            "pipeline.max_in_flight",
            self.pipeline.max_in_flight,
            MAX_COUNT,
        );
        let shutdown_timeout =
            p.duration("pipeline.shutdown_timeout", &self.pipeline.shutdown_timeout);
        let guarantee = match self.pipeline.guarantee.as_str() {
            "at-least-once" => Guarantee::AtLeastOnce,
            "exactly-once" => Guarantee::ExactlyOnce,
            other => {
                p.add(
                    "pipeline.guarantee",
                    format!("unknown guarantee {other:?} (expected at-least-once or exactly-once)"),
                );
                Guarantee::AtLeastOnce
            }
        };
        let transaction_interval = p.timeout(
            "pipeline.transaction_interval",
            &self.pipeline.transaction_interval,
        );
        let transactional_id_prefix = match self.kafka.transactional_id_prefix.trim() {
            "" => self.kafka.group_id.clone(),
            prefix => prefix.to_owned(),
        };
        let instance_id = match self.kafka.instance_id.trim() {
            "" => default_instance_id(),
            id => id.to_owned(),
        };

        let mut names = HashSet::new();
        let mut sinks = Vec::new();
        for (i, entries) in self.sinks.into_iter().enumerate() {
            let table = Table::new(format!("sinks[{i}]"), entries);
            if let Some(sink) = SinkConfig::parse(table, env, &mut p) {
                if !names.insert(sink.name.clone()) {
                    p.add(
                        format!("sinks[{i}].name"),
                        format!("duplicate sink name {:?}", sink.name),
                    );
                }
                sinks.push(sink);
            }
        }

        let dead_letter = self.dead_letter.map(|d| {
            p.non_empty("dead_letter.topic", &d.topic);
            DeadLetterConfig { topic: d.topic }
        });

        let listen = self.http.listen.parse().unwrap_or_else(|e| {
            p.add(
                "http.listen",
                format!(
                    "invalid address {:?} ({e}); write host:port, e.g. 0.0.0.0:9464",
                    self.http.listen
                ),
            );
            SocketAddr::from(([127, 0, 0, 1], 9464))
        });

        let liveness_timeout = p.timeout("http.liveness_timeout", &self.http.liveness_timeout);
        let external_url = match self.http.external_url.trim() {
            "" => None,
            text => http_url(text)
                .map_err(|e| p.add("http.external_url", e))
                .ok(),
        };

        let log_format = match self.log.format.as_str() {
            "json" => LogFormat::Json,
            "pretty" => LogFormat::Pretty,
            other => {
                p.add(
                    "log.format",
                    format!("unknown format {other:?} (expected json or pretty)"),
                );
                LogFormat::Json
            }
        };
        if let Err(e) = tracing_subscriber::EnvFilter::builder().parse(&self.log.level) {
            p.add(
                "log.level",
                format!("invalid level {:?} ({e})", self.log.level),
            );
        }

        if !p.is_empty() {
            return Err(p.into_vec());
        }
        Ok(Settings {
            kafka: KafkaConfig {
                brokers: self.kafka.brokers,
                group_id: self.kafka.group_id,
                topics: self.kafka.topics,
                stall_timeout,
                transactional_id: format!("{transactional_id_prefix}-{instance_id}"),
                consumer,
                producer,
            },
            input: DecodeOptions {
                format,
                fields: self.input.fields,
                metadata_fields: self.input.metadata_fields,
                max_bytes,
            },
            watchlist: WatchlistConfig {
                given: self.watchlist.path.is_some(),
                path: self
                    .watchlist
                    .path
                    .unwrap_or_else(|| super::DEFAULT_WATCHLIST_PATH.into()),
                reload: self.watchlist.reload,
            },
            alerts: AlertsConfig {
                options: AlertOptions {
                    source: self.alerts.source,
                    snippet_chars,
                    max_matches,
                },
                dedup_window,
                stories,
                stories_topic,
            },
            pipeline: PipelineConfig {
                max_in_flight,
                shutdown_timeout,
                guarantee,
                transaction_interval,
            },
            sinks,
            dead_letter,
            http: HttpConfig {
                listen,
                liveness_timeout,
                external_url,
            },
            log: LogConfig {
                format: log_format,
                level: self.log.level,
            },
        })
    }
}

/// `kafka.instance_id` when not set: the host name (a Kubernetes pod's
/// name), else `newswatch`. Stable across restarts of a StatefulSet's pod,
/// so a restarted instance fences its predecessor's open transaction at
/// once instead of leaving it to time out.
fn default_instance_id() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.trim().is_empty())
        .or_else(|| {
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
                .filter(|h| !h.is_empty())
        })
        .unwrap_or_else(|| "newswatch".to_owned())
}

/// `alerts.story_similarity`, `alerts.story_window` and
/// `alerts.story_capacity` (SPEC 5) as a [`StoryConfig`]; each key out of
/// range is a problem naming it (the default configuration when any is).
fn story_config(alerts: &super::raw::RawAlerts, p: &mut Problems) -> StoryConfig {
    let similarity = alerts.story_similarity;
    let mut ok = true;
    if !(similarity > 0.0 && similarity <= 1.0) {
        p.add(
            "alerts.story_similarity",
            format!(
                "{similarity} is out of range: a Jaccard index more than 0 and at most 1, e.g. 0.6"
            ),
        );
        ok = false;
    }
    let window_ok = humantime::parse_duration(alerts.story_window.trim()).is_ok();
    let window = p.duration("alerts.story_window", &alerts.story_window);
    if window.is_zero() {
        if window_ok {
            p.add(
                "alerts.story_window",
                format!(
                    "{:?} is zero; a story window must be positive, e.g. \"24h\"",
                    alerts.story_window
                ),
            );
        }
        ok = false;
    }
    let capacity = match usize::try_from(alerts.story_capacity) {
        Ok(n) if (1..=MAX_CAPACITY).contains(&n) => n,
        _ => {
            p.add(
                "alerts.story_capacity",
                format!(
                    "{} is out of range: must be from 1 to {MAX_CAPACITY}",
                    alerts.story_capacity
                ),
            );
            ok = false;
            1
        }
    };
    if !ok {
        return StoryConfig::default();
    }
    StoryConfig::new(similarity, window, capacity).unwrap_or_else(|e| {
        // Unreachable: every value was checked above; still named.
        p.add("alerts", e.to_string());
        StoryConfig::default()
    })
}

/// `alerts.source` is the CloudEvents `source`: a non-empty URI-reference
/// (CloudEvents 1.0 section 3.1.1, RFC 3986 section 4.1).
fn check_source(source: &str, p: &mut Problems) {
    if source.trim().is_empty() {
        p.add("alerts.source", "must not be empty");
    } else if let Err(e) = fluent_uri::UriRef::parse(source) {
        p.add(
            "alerts.source",
            format!(
                "{source:?} is not a URI-reference ({e}), as CloudEvents requires of `source`; write e.g. \"/newswatch\" or \"https://example.org/newswatch\""
            ),
        );
    }
}

/// Flattens the `kafka.consumer` / `kafka.producer` table into librdkafka
/// properties and refuses those newswatch sets itself ([`RESERVED`]).
fn properties(
    client: &str,
    raw: BTreeMap<String, Scalar>,
    p: &mut Problems,
) -> BTreeMap<String, Secret> {
    let mut out = BTreeMap::new();
    let mut lists = Vec::new();
    for (k, v) in raw {
        flatten_into(v, k, &mut out, &mut lists);
    }
    for name in lists {
        p.add(
            format!("kafka.{client}.{name}"),
            "a librdkafka property is a string, number or boolean, not a list \
             (librdkafka writes lists as one comma-separated string)",
        );
    }
    for (c, name, allowed, why) in RESERVED {
        if *c != client {
            continue;
        }
        if let Some(v) = out.get(*name)
            && !allowed.contains(&v.expose().trim().to_ascii_lowercase().as_str())
        {
            let key = format!("kafka.{client}.{name}");
            if allowed.is_empty() {
                p.add(key, format!("newswatch sets this property: {why}"));
            } else {
                p.add(
                    key,
                    format!(
                        "newswatch needs {name}={}: {why}; remove the property",
                        allowed[0]
                    ),
                );
            }
        }
    }
    out
}

/// Flattens a property value into `out` under librdkafka names: nested keys
/// joined with dots, and `_` read as `.` (librdkafka names have no `_`), so
/// that `NEWSWATCH__KAFKA__CONSUMER__SASL_PASSWORD` sets `sasl.password`.
/// The names of lists, which no property takes, go to `lists`.
fn flatten_into(
    value: Scalar,
    name: String,
    out: &mut BTreeMap<String, Secret>,
    lists: &mut Vec<String>,
) {
    let name = name.replace('_', ".");
    match value {
        Scalar::Table(t) => {
            for (k, v) in t {
                flatten_into(v, format!("{name}.{k}"), out, lists);
            }
        }
        Scalar::List(_) => lists.push(name),
        scalar => {
            let text = scalar.to_text().unwrap_or_default();
            out.insert(name, Secret::new(text));
        }
    }
}
