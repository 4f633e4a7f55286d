//! Configuration (SPEC section 5): built-in defaults < the TOML file given by
//! `--config` or `NEWSWATCH_CONFIG` < `NEWSWATCH__SECTION__KEY` environment
//! variables, parsed once into typed values (durations, addresses, URLs,
//! secrets).
//!
//! - `raw`: the serde structs as written, with the defaults;
//! - `validate`: raw into typed values, every invalid key collected;
//! - secrets are [`Secret`]s ([`crate::values`]) and never print.
//!
//! Each sink kind owns its keys ([`crate::sink::SinkKind`]); this module
//! only layers sources and checks the sections that are not a component's.

mod raw;
mod validate;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::alert::AlertOptions;
use crate::item::DecodeOptions;
use crate::sink::SinkConfig;
use crate::sink::kafka::DeadLetterConfig;
pub use crate::values::{Invalid, Secret};

/// The whole, valid configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `[kafka]`: brokers, group, topics and extra librdkafka properties.
    pub kafka: KafkaConfig,
    /// `[input]`: how message values are decoded.
    pub input: DecodeOptions,
    /// `[watchlist]`.
    pub watchlist: WatchlistConfig,
    /// `[alerts]`.
    pub alerts: AlertsConfig,
    /// `[pipeline]`.
    pub pipeline: PipelineConfig,
    /// `[[sinks]]`, in file order; names are unique.
    pub sinks: Vec<SinkConfig>,
    /// `[dead_letter]`; `None` logs and skips rejected items.
    pub dead_letter: Option<DeadLetterConfig>,
    /// `[http]`.
    pub http: HttpConfig,
    /// `[log]`.
    pub log: LogConfig,
}

/// `[kafka]`: the cluster and the consumer group.
#[derive(Debug, Clone)]
pub struct KafkaConfig {
    /// `bootstrap.servers`: comma-separated `host:port`.
    pub brokers: String,
    /// The consumer group.
    pub group_id: String,
    /// Topics to consume news items from.
    pub topics: Vec<String>,
    /// Extra librdkafka properties of the consumer; values may be
    /// credentials, so they are secrets. Never one that newswatch sets
    /// itself for at-least-once delivery.
    pub consumer: BTreeMap<String, Secret>,
    /// Extra librdkafka properties of the producer (alerts, dead letters).
    pub producer: BTreeMap<String, Secret>,
}

/// `[watchlist]`.
#[derive(Debug, Clone)]
pub struct WatchlistConfig {
    /// The watchlist file.
    pub path: PathBuf,
    /// Reload on file change (and on SIGHUP, always).
    pub reload: bool,
}

/// `[alerts]`.
#[derive(Debug, Clone)]
pub struct AlertsConfig {
    /// What each alert is built with (source, snippet chars, max matches).
    pub options: AlertOptions,
    /// How long an alert id is not emitted again by this process (default
    /// 10 minutes; SPEC section 4, Dedup).
    pub dedup_window: Duration,
}

/// `[pipeline]`.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Items consumed and not yet committable at most (the uncommitted
    /// window), in items (default 10 000): past it the consumer pauses.
    pub max_in_flight: usize,
    /// How long a stop may take to finish the uncommitted items and flush
    /// the producer, measured from the stop signal (default 30 seconds;
    /// the flush gets at least 1 second more).
    pub shutdown_timeout: Duration,
}

/// `[http]`.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Where `/metrics`, `/healthz` and `/readyz` are served (default
    /// `127.0.0.1:9464`; port 0 picks a free port).
    pub listen: SocketAddr,
}

/// `[log]`.
#[derive(Debug, Clone)]
pub struct LogConfig {
    /// JSON lines or pretty text, on stderr.
    pub format: LogFormat,
    /// A tracing `EnvFilter` directive; `RUST_LOG` overrides it.
    pub level: String,
}

/// `log.format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// Human-readable text.
    Pretty,
}

/// Invalid configuration: every bad key with what is wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The sources could not be read or do not fit the expected types
    /// (TOML syntax, an unknown key, a string where a number belongs).
    #[error("configuration: {0}")]
    Load(String),
    /// Every key whose value is invalid.
    #[error("{}", .0.iter().map(|i| format!("configuration: {i}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Invalid>),
}

impl Settings {
    /// Loads the layers: defaults, then the TOML file at `file` (if any),
    /// then the `NEWSWATCH__…` variables among `env`.
    ///
    /// # Errors
    ///
    /// [`Error::Load`] when the file is missing or unreadable or a source
    /// does not fit; [`Error::Invalid`] listing every invalid key.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, Error> {
        let text = match file {
            None => String::new(),
            Some(path) if !path.is_file() => {
                return Err(Error::Load(format!(
                    "config file {} does not exist or is not a file",
                    path.display()
                )));
            }
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| Error::Load(format!("reading {}: {e}", path.display())))?,
        };
        Self::parse(&text, env).map_err(|e| match (e, file) {
            (Error::Load(m), Some(path)) => Error::Load(format!("{}: {m}", path.display())),
            (e, _) => e,
        })
    }

    /// Parses configuration TOML `text` over the defaults, then applies the
    /// `NEWSWATCH__…` variables among `env` (other variables are used only
    /// to resolve a sink's `secret_env`).
    ///
    /// # Errors
    ///
    /// As [`Settings::load`].
    pub fn parse(
        text: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, Error> {
        let env: HashMap<String, String> = env.into_iter().collect();
        let vars: HashMap<String, String> = env
            .iter()
            .filter(|(k, _)| k.starts_with("NEWSWATCH__"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let env_source = config::Environment::with_prefix("NEWSWATCH")
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .list_separator(",")
            .with_list_parse_key("kafka.topics")
            .with_list_parse_key("input.fields")
            .source(Some(vars.into_iter().collect()));
        let raw: raw::Raw = config::Config::builder()
            .add_source(config::File::from_str(text, config::FileFormat::Toml))
            .add_source(env_source)
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| Error::Load(e.to_string()))?;
        raw.validate(&env).map_err(Error::Invalid)
    }

    /// The sink names rules may route to.
    pub fn sink_names(&self) -> Vec<String> {
        self.sinks.iter().map(|s| s.name.clone()).collect()
    }
}

#[cfg(test)]
mod tests;
