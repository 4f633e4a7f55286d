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
use std::ffi::OsString;
use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::alert::AlertOptions;
use crate::item::DecodeOptions;
use crate::sink::SinkConfig;
use crate::sink::kafka::DeadLetterConfig;
use crate::story::StoryConfig;
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
    /// How long a partition may hold unread messages without the consumer
    /// moving past them, or a consumer error repeat, before `/readyz`
    /// answers 503 naming it (default 2 minutes; SPEC section 7).
    pub stall_timeout: Duration,
    /// The producer's `transactional.id` under exactly-once:
    /// `{kafka.transactional_id_prefix}-{kafka.instance_id}` (the prefix
    /// defaults to the group id, the instance to the host name). Unique per
    /// instance and stable across its restarts (SPEC section 4, KIP-447).
    pub transactional_id: String,
    /// Extra librdkafka properties of the consumer; values may be
    /// credentials, so they are secrets. Never one that newswatch sets
    /// itself for at-least-once delivery.
    pub consumer: BTreeMap<String, Secret>,
    /// Extra librdkafka properties of the producer (alerts, dead letters).
    pub producer: BTreeMap<String, Secret>,
}

/// `watchlist.path` when not set: relative to the working directory.
pub const DEFAULT_WATCHLIST_PATH: &str = "config/watchlist.toml";

/// `[watchlist]`.
#[derive(Debug, Clone)]
pub struct WatchlistConfig {
    /// The watchlist file ([`DEFAULT_WATCHLIST_PATH`] when not set).
    pub path: PathBuf,
    /// `path` was set by the configuration or the environment, not the
    /// default: the offline commands use it rather than looking further.
    pub given: bool,
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
    /// How items are grouped into stories (SPEC 3a: `alerts.story_similarity`,
    /// default 0.6; `alerts.story_window`, default 24 hours;
    /// `alerts.story_capacity`, default 1,000,000 stories).
    pub stories: StoryConfig,
    /// `alerts.stories_topic`: the compacted topic through which the
    /// instances of a group share their stories (SPEC 3a); `None` (the
    /// default, an empty string) keeps stories per instance.
    pub stories_topic: Option<String>,
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
    /// `pipeline.guarantee` (SPEC section 4).
    pub guarantee: Guarantee,
    /// Under exactly-once, a transaction is committed this often (default
    /// 100 milliseconds), or sooner when `max_in_flight` items wait.
    pub transaction_interval: Duration,
}

/// `pipeline.guarantee`: what a subscriber of the alert topics gets across
/// crashes (SPEC section 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guarantee {
    /// Every alert at least once; a crash may repeat some, with the same
    /// ids (the default).
    AtLeastOnce,
    /// Alerts to Kafka sinks and dead letters produced in Kafka
    /// transactions with the consumed offsets: a `read_committed` reader
    /// sees each (item, rule) alert once.
    ExactlyOnce,
}

/// `[http]`.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Where `/metrics`, `/healthz` and `/readyz` are served (default
    /// `127.0.0.1:9464`; port 0 picks a free port).
    pub listen: SocketAddr,
    /// How long the poll loop or a worker may go without progress while
    /// work is pending before `/healthz` answers 503 (default 60 seconds;
    /// SPEC section 7). Idle is alive.
    pub liveness_timeout: Duration,
    /// Where users reach this newswatch (`http.external_url`, an `http` or
    /// `https` URL; none by default): the `externalURL` of Alertmanager
    /// webhook bodies, as Alertmanager's `--web.external-url` is of its own.
    pub external_url: Option<reqwest::Url>,
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

/// The most bytes a configuration file may have: 1 MiB. Only that much
/// (and one byte more) is read. A configuration is a few hundred bytes to
/// a few kilobytes (`config/newswatch.toml` is under 2 KB); a thousand
/// times that still fits.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// How many `__`-separated keys a `NEWSWATCH__…` variable may nest after
/// the prefix: 16. The deepest a real one goes is about 8
/// (`NEWSWATCH__KAFKA__CONSUMER__SASL__OAUTHBEARER__…`, a librdkafka
/// property written with `__` for its dots); the configuration library's
/// memory grows with the square of the depth (a variable of 1,000 keys took
/// 300 MB, one of 10,000 some 24 GB) and 3,000 keys under
/// `kafka.consumer` overflowed the stack.
pub const MAX_ENV_DEPTH: usize = 16;

/// Invalid configuration: every bad key with what is wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The sources could not be read or do not fit the expected types
    /// (TOML syntax, an unknown key, a string where a number belongs).
    #[error("configuration: {0}")]
    Load(String),
    /// The configuration file has more than [`MAX_FILE_BYTES`].
    #[error(
        "configuration: {}: the file is larger than the 1 MiB ({MAX_FILE_BYTES} bytes) a configuration file may have",
        .0.display()
    )]
    FileTooLarge(PathBuf),
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
    /// does not fit; [`Error::FileTooLarge`] when the file has more than
    /// [`MAX_FILE_BYTES`] (only that much of it is read);
    /// [`Error::Invalid`] listing every invalid key.
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
            Some(path) => read_file(path)?,
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
    /// As [`Settings::load`]; [`Error::Invalid`] also names each
    /// `NEWSWATCH__…` variable nested deeper than [`MAX_ENV_DEPTH`] keys or
    /// naming an empty key (and then checks nothing else), and each key of
    /// the text whose number does not fit a 64-bit integer or float.
    pub fn parse(
        text: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, Error> {
        let env: HashMap<String, String> = env.into_iter().collect();
        let vars: HashMap<String, String> = env
            .iter()
            .filter(|(k, _)| k.starts_with(ENV_PREFIX))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut bad: Vec<Invalid> = vars.keys().filter_map(|k| bad_variable(k)).collect();
        if !bad.is_empty() {
            bad.sort_by(|a, b| a.key.cmp(&b.key));
            return Err(Error::Invalid(bad));
        }
        raw::check_document(text)?;
        let env_source = config::Environment::with_prefix("NEWSWATCH")
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .list_separator(",")
            .with_list_parse_key("kafka.topics")
            .with_list_parse_key("input.fields")
            .with_list_parse_key("input.metadata_fields")
            .source(Some(vars.into_iter().collect()));
        let raw: raw::Raw = config::Config::builder()
            .add_source(config::File::from_str(text, config::FileFormat::Toml))
            .add_source(env_source)
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| Error::Load(e.to_string()))?;
        raw.validate(&env).map_err(Error::Invalid)
    }

    /// The process environment for [`Settings::load`], from
    /// [`std::env::vars_os`]: a variable that is not UTF-8 is left out
    /// (`std::env::vars` panics on one), unless it is one of newswatch's
    /// own (`NEWSWATCH…`), which is an error naming it.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming every `NEWSWATCH…` variable whose name or
    /// value is not UTF-8.
    pub fn environment(
        vars: impl IntoIterator<Item = (OsString, OsString)>,
    ) -> Result<Vec<(String, String)>, Error> {
        let mut env = Vec::new();
        let mut bad = Vec::new();
        for (k, v) in vars {
            match (k.into_string(), v.into_string()) {
                (Ok(k), Ok(v)) => env.push((k, v)),
                (k, _) => {
                    let name = match k {
                        Ok(k) => k,
                        Err(k) => k.to_string_lossy().into_owned(),
                    };
                    if name.starts_with("NEWSWATCH") {
                        bad.push(Invalid {
                            key: name.escape_debug().to_string(),
                            message: "the environment variable is not UTF-8".into(),
                        });
                    }
                }
            }
        }
        if bad.is_empty() {
            Ok(env)
        } else {
            Err(Error::Invalid(bad))
        }
    }

    /// The sink names rules may route to.
    pub fn sink_names(&self) -> Vec<String> {
        self.sinks.iter().map(|s| s.name.clone()).collect()
    }

    /// What the watchlist is checked against: the configured sinks (when
    /// `check_sinks`), under exactly-once those rules may not route to, and
    /// the fields of `[input]`.
    pub fn watchlist_checks(&self, check_sinks: bool) -> crate::load::Checks {
        let exactly_once = self.pipeline.guarantee == Guarantee::ExactlyOnce;
        crate::load::Checks {
            sinks: check_sinks.then(|| self.sink_names()),
            not_transactional: self
                .sinks
                .iter()
                .filter(|s| exactly_once && !s.exactly_once_routable())
                .map(|s| s.name.clone())
                .collect(),
            schema: self.input.schema(),
        }
    }
}

/// What names newswatch's configuration variables.
const ENV_PREFIX: &str = "NEWSWATCH__";

/// The problem with `var` (a `NEWSWATCH__…` name) when it nests more than
/// [`MAX_ENV_DEPTH`] keys (the name is then shown up to the limit only, as
/// it may be a hundred kilobytes long), or names an empty key: nothing
/// after the prefix, between two `__` or after the last. The
/// configuration library reports the latter as an unknown field, which
/// for `NEWSWATCH__` alone is the field `` (no name at all).
fn bad_variable(var: &str) -> Option<Invalid> {
    let keys = var.strip_prefix(ENV_PREFIX)?;
    let depth = keys.split("__").count();
    if depth <= MAX_ENV_DEPTH {
        return keys.split("__").any(str::is_empty).then(|| Invalid {
            key: var.to_owned(),
            message: "the environment variable names an empty key (nothing after \
                      NEWSWATCH__, between two `__` or after the last)"
                .into(),
        });
    }
    let shown: Vec<&str> = keys.split("__").take(MAX_ENV_DEPTH).collect();
    Some(Invalid {
        key: format!("{ENV_PREFIX}{}__…", shown.join("__")),
        message: format!(
            "the environment variable nests {depth} keys (one per `__` after {ENV_PREFIX}), \
             more than the {MAX_ENV_DEPTH} it may"
        ),
    })
}

/// The configuration file at `path`, reading at most [`MAX_FILE_BYTES`]
/// and one byte more.
fn read_file(path: &Path) -> Result<String, Error> {
    let unreadable =
        |e: &dyn std::fmt::Display| Error::Load(format!("reading {}: {e}", path.display()));
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| unreadable(&e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Error::FileTooLarge(path.to_owned()));
    }
    String::from_utf8(bytes).map_err(|e| unreadable(&format!("the file is not UTF-8 ({e})")))
}

#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod tests;
