//! The configuration as written: serde structs with the built-in defaults
//! of SPEC section 5, before any value is checked, and the check of the
//! TOML text that the configuration library cannot place. `validate` turns
//! the structs into [`super::Settings`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use toml::de::{DeTable, DeValue};

use super::Error;
use crate::alert::AlertOptions;
use crate::item::DecodeOptions;
use crate::story::StoryConfig;
use crate::toml_depth;
use crate::values::{Problems, Scalar};

/// Refuses, naming the line or the key, what the configuration library
/// (which parses the file itself) would refuse without saying where: a key
/// past the TOML nesting limit (`toml_depth`; the library's message was
/// "recursion limit"), an integer beyond 64 bits ("number too large to fit
/// in target type") or a float beyond `f64` ("floating-point number
/// overflowed"). Every such number is listed. Any other TOML error is left
/// to the library, whose message has the line and column.
///
/// # Errors
///
/// [`Error::Load`] with the line of a key too deep; [`Error::Invalid`]
/// naming each key whose number does not fit.
pub(super) fn check_document(text: &str) -> Result<(), Error> {
    let doc = match DeTable::parse(text) {
        Ok(doc) => doc,
        Err(e) if e.span().is_none() => {
            let message = toml_depth::message(&e);
            return Err(Error::Load(match toml_depth::error_at(text, &e) {
                Some(at) => {
                    let line = text[..at].matches('\n').count() + 1;
                    format!("TOML parse error at line {line}: {message}")
                }
                None => format!("TOML parse error: {message}"),
            }));
        }
        Err(_) => return Ok(()),
    };
    let mut p = Problems::default();
    for (key, value) in in_file_order(doc.get_ref()) {
        check_numbers(value, key, &mut p);
    }
    if p.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(p.into_vec()))
    }
}

/// The entries of a table in the order they are written (the map orders
/// them by key), so that problems are listed in file order.
fn in_file_order<'t, 'i>(table: &'t DeTable<'i>) -> Vec<(&'t str, &'t DeValue<'i>)> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    entries
        .into_iter()
        .map(|(k, v)| (k.get_ref().as_ref(), v.get_ref()))
        .collect()
}

/// Adds a problem for each number in `value` (at dotted key `key`) that
/// does not fit the configuration library's `i64` or `f64`, in file order.
fn check_numbers(value: &DeValue<'_>, key: &str, p: &mut Problems) {
    match value {
        DeValue::Integer(i) if i64::from_str_radix(i.as_str(), i.radix()).is_err() => p.add(
            key,
            format!(
                "{i} does not fit in a 64-bit integer (from {} to {})",
                i64::MIN,
                i64::MAX
            ),
        ),
        DeValue::Float(f) => {
            let written = f.as_str();
            let overflows = written
                .parse::<f64>()
                .map_or(true, |x| x.is_infinite() && !written.contains("inf"));
            if overflows {
                p.add(
                    key,
                    format!("{written} is beyond the largest floating-point number"),
                );
            }
        }
        DeValue::Table(t) => {
            for (k, v) in in_file_order(t) {
                check_numbers(v, &format!("{key}.{k}"), p);
            }
        }
        DeValue::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                check_numbers(v.get_ref(), &format!("{key}[{i}]"), p);
            }
        }
        _ => {}
    }
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub(super) struct Raw {
    pub kafka: RawKafka,
    pub input: RawInput,
    pub watchlist: RawWatchlist,
    pub alerts: RawAlerts,
    pub pipeline: RawPipeline,
    /// Each entry's keys are checked by its sink kind (`sink::SinkKind`).
    pub sinks: Vec<BTreeMap<String, Scalar>>,
    pub dead_letter: Option<RawDeadLetter>,
    pub http: RawHttp,
    pub log: RawLog,
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawKafka {
    pub brokers: String,
    pub group_id: String,
    pub topics: Vec<String>,
    pub stall_timeout: String,
    pub transactional_id_prefix: String,
    pub instance_id: String,
    pub consumer: BTreeMap<String, Scalar>,
    pub producer: BTreeMap<String, Scalar>,
}

impl Default for RawKafka {
    fn default() -> Self {
        RawKafka {
            brokers: "localhost:9092".into(),
            group_id: "newswatch".into(),
            topics: vec!["news".into()],
            stall_timeout: "2m".into(),
            transactional_id_prefix: String::new(),
            instance_id: String::new(),
            consumer: BTreeMap::new(),
            producer: BTreeMap::new(),
        }
    }
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawInput {
    pub format: String,
    pub fields: Vec<String>,
    pub metadata_fields: Vec<String>,
    pub max_bytes: u64,
}

impl Default for RawInput {
    fn default() -> Self {
        let d = DecodeOptions::default();
        RawInput {
            format: "json".into(),
            fields: d.fields,
            metadata_fields: d.metadata_fields,
            max_bytes: d.max_bytes as u64,
        }
    }
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawWatchlist {
    /// `None`: not set, the default (and the offline commands' lookup).
    pub path: Option<PathBuf>,
    pub reload: bool,
}

impl Default for RawWatchlist {
    fn default() -> Self {
        RawWatchlist {
            path: None,
            reload: true,
        }
    }
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawAlerts {
    pub source: String,
    pub dedup_window: String,
    pub snippet_chars: u64,
    pub max_matches: u64,
    pub story_similarity: f64,
    pub story_window: String,
    pub story_capacity: u64,
    pub stories_topic: String,
}

impl Default for RawAlerts {
    fn default() -> Self {
        let d = AlertOptions::default();
        RawAlerts {
            source: d.source,
            dedup_window: "10m".into(),
            snippet_chars: d.snippet_chars as u64,
            max_matches: d.max_matches as u64,
            story_similarity: StoryConfig::DEFAULT_SIMILARITY,
            story_window: "24h".into(),
            story_capacity: StoryConfig::DEFAULT_CAPACITY as u64,
            stories_topic: String::new(),
        }
    }
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawPipeline {
    pub max_in_flight: u64,
    pub shutdown_timeout: String,
    pub guarantee: String,
    pub transaction_interval: String,
}

impl Default for RawPipeline {
    fn default() -> Self {
        RawPipeline {
            max_in_flight: 10_000,
            shutdown_timeout: "30s".into(),
            guarantee: "at-least-once".into(),
            transaction_interval: "100ms".into(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawDeadLetter {
    pub topic: String,
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawHttp {
    pub listen: String,
    pub liveness_timeout: String,
    pub external_url: String,
}

impl Default for RawHttp {
    fn default() -> Self {
        RawHttp {
            listen: "127.0.0.1:9464".into(),
            liveness_timeout: "60s".into(),
            external_url: String::new(),
        }
    }
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawLog {
    pub format: String,
    pub level: String,
}

impl Default for RawLog {
    fn default() -> Self {
        RawLog {
            format: "json".into(),
            level: "info".into(),
        }
    }
}
