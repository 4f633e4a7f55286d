//! The configuration as written: serde structs with the built-in defaults
//! of SPEC section 5, before any value is checked. `validate` turns them
//! into [`super::Settings`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::alert::AlertOptions;
use crate::item::DecodeOptions;
use crate::values::Scalar;

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
    pub max_bytes: u64,
}

impl Default for RawInput {
    fn default() -> Self {
        let d = DecodeOptions::default();
        RawInput {
            format: "json".into(),
            fields: d.fields,
            max_bytes: d.max_bytes as u64,
        }
    }
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawWatchlist {
    pub path: PathBuf,
    pub reload: bool,
}

impl Default for RawWatchlist {
    fn default() -> Self {
        RawWatchlist {
            path: "config/watchlist.toml".into(),
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
}

impl Default for RawAlerts {
    fn default() -> Self {
        let d = AlertOptions::default();
        RawAlerts {
            source: d.source,
            dedup_window: "10m".into(),
            snippet_chars: d.snippet_chars as u64,
            max_matches: d.max_matches as u64,
        }
    }
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawPipeline {
    pub max_in_flight: u64,
    pub shutdown_timeout: String,
}

impl Default for RawPipeline {
    fn default() -> Self {
        RawPipeline {
            max_in_flight: 10_000,
            shutdown_timeout: "30s".into(),
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
}

impl Default for RawHttp {
    fn default() -> Self {
        RawHttp {
            listen: "127.0.0.1:9464".into(),
            liveness_timeout: "60s".into(),
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
