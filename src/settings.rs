//! Configuration (SPEC section 5): built-in defaults < the TOML file given by
//! `--config` or `NEWSWATCH_CONFIG` < `NEWSWATCH__SECTION__KEY` environment
//! variables, parsed once into typed values (durations, addresses, secrets).
//!
//! Every invalid key is reported, each by its dotted name, so that the
//! binary can exit 78 with all of them. Secrets are wrapped so that they
//! never print.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::alert::AlertOptions;
use crate::item::{DecodeOptions, Format};

/// The whole, valid configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub kafka: Kafka,
    pub input: DecodeOptions,
    pub watchlist: WatchlistSettings,
    pub alerts: Alerts,
    pub pipeline: Pipeline,
    pub sinks: Vec<Sink>,
    pub dead_letter: Option<DeadLetter>,
    pub http: Http,
    pub log: Log,
}

#[derive(Debug, Clone)]
pub struct Kafka {
    pub brokers: String,
    pub group_id: String,
    pub topics: Vec<String>,
    /// Extra librdkafka properties; values may be credentials, so they are
    /// secrets.
    pub consumer: BTreeMap<String, Secret>,
    pub producer: BTreeMap<String, Secret>,
}

#[derive(Debug, Clone)]
pub struct WatchlistSettings {
    pub path: PathBuf,
    pub reload: bool,
}

#[derive(Debug, Clone)]
pub struct Alerts {
    pub options: AlertOptions,
    pub dedup_window: Duration,
}

#[derive(Debug, Clone)]
pub struct Pipeline {
    pub max_in_flight: usize,
    pub shutdown_timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct Sink {
    pub name: String,
    pub kind: SinkKind,
}

#[derive(Debug, Clone)]
pub enum SinkKind {
    Kafka { topic: String },
    Webhook(Webhook),
    Stdout,
}

impl SinkKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            SinkKind::Kafka { .. } => "kafka",
            SinkKind::Webhook(_) => "webhook",
            SinkKind::Stdout => "stdout",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Webhook {
    pub url: String,
    /// The Standard Webhooks signing key; requests are unsigned without one.
    pub secret: Option<SigningKey>,
    /// Per request, connecting included.
    pub timeout: Duration,
    /// How long one alert is retried before it is parked.
    pub max_elapsed: Duration,
    pub format: WebhookFormat,
    /// Requests (retries included) this sink has under way at once.
    pub max_in_flight: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookFormat {
    CloudEvents,
    Slack,
    Alertmanager,
}

#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub topic: String,
}

#[derive(Debug, Clone)]
pub struct Http {
    pub listen: SocketAddr,
}

#[derive(Debug, Clone)]
pub struct Log {
    pub format: LogFormat,
    pub level: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// A value that must never be printed: `Debug` and `Display` show
/// `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The secret itself, for the one place that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A Standard Webhooks signing key: the bytes that `whsec_<base64>` encodes.
/// Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey(Vec<u8>);

impl SigningKey {
    /// Decodes `whsec_<base64>`; `None` when `s` is not of that form.
    pub fn parse(s: &str) -> Option<Self> {
        use base64::Engine as _;
        let b64 = s.strip_prefix("whsec_")?;
        let key = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
        (!key.is_empty()).then_some(SigningKey(key))
    }

    /// The key itself, for the one place that signs with it.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Invalid configuration: every bad key with what is wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("configuration: {0}")]
    Load(String),
    #[error("{}", .0.iter().map(|i| format!("configuration: {i}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Invalid>),
}

/// One invalid key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{key}`: {message}")]
pub struct Invalid {
    pub key: String,
    pub message: String,
}

impl Settings {
    /// Loads the layers: defaults, then `file` (if any), then the
    /// `NEWSWATCH__…` variables among `env`.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, Error> {
        let env: HashMap<String, String> = env.into_iter().collect();
        let vars: HashMap<String, String> = env
            .iter()
            .filter(|(k, _)| k.starts_with("NEWSWATCH__"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut builder = config::Config::builder();
        if let Some(path) = file {
            if !path.is_file() {
                return Err(Error::Load(format!(
                    "config file {} does not exist or is not a file",
                    path.display()
                )));
            }
            builder = builder.add_source(
                config::File::from(path)
                    .format(config::FileFormat::Toml)
                    .required(true),
            );
        }
        let env_source = config::Environment::with_prefix("NEWSWATCH")
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .list_separator(",")
            .with_list_parse_key("kafka.topics")
            .with_list_parse_key("input.fields")
            .source(Some(vars.into_iter().collect()));
        let raw: Raw = builder
            .add_source(env_source)
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| Error::Load(e.to_string()))?;
        raw.parse(&env).map_err(Error::Invalid)
    }

    /// The sink names rules may route to.
    pub fn sink_names(&self) -> Vec<String> {
        self.sinks.iter().map(|s| s.name.clone()).collect()
    }
}

// ---- raw, as written ------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct Raw {
    kafka: RawKafka,
    input: RawInput,
    watchlist: RawWatchlist,
    alerts: RawAlerts,
    pipeline: RawPipeline,
    sinks: Vec<RawSink>,
    dead_letter: Option<RawDeadLetter>,
    http: RawHttp,
    log: RawLog,
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawKafka {
    brokers: String,
    group_id: String,
    topics: Vec<String>,
    consumer: BTreeMap<String, Scalar>,
    producer: BTreeMap<String, Scalar>,
}

impl Default for RawKafka {
    fn default() -> Self {
        RawKafka {
            brokers: "localhost:9092".into(),
            group_id: "newswatch".into(),
            topics: vec!["news".into()],
            consumer: BTreeMap::new(),
            producer: BTreeMap::new(),
        }
    }
}

/// A librdkafka property value as TOML may write it. Unquoted dotted keys
/// (`sasl.password = "…"`) and `NEWSWATCH__KAFKA__CONSUMER__SASL__PASSWORD`
/// arrive as nested tables.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Table(BTreeMap<String, Scalar>),
}

impl Scalar {
    /// Flattens into `out` as librdkafka property names: nested keys joined
    /// with dots, and `_` read as `.` (librdkafka names have no `_`), so
    /// that `NEWSWATCH__KAFKA__CONSUMER__SASL_PASSWORD` sets `sasl.password`.
    fn flatten_into(self, name: String, out: &mut BTreeMap<String, Secret>) {
        let name = name.replace('_', ".");
        let value = match self {
            Scalar::Bool(b) => b.to_string(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Str(s) => s,
            Scalar::Table(t) => {
                for (k, v) in t {
                    v.flatten_into(format!("{name}.{k}"), out);
                }
                return;
            }
        };
        out.insert(name, Secret(value));
    }
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawInput {
    format: String,
    fields: Vec<String>,
    max_bytes: u64,
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
struct RawWatchlist {
    path: PathBuf,
    reload: bool,
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
struct RawAlerts {
    source: String,
    dedup_window: String,
    snippet_chars: u64,
    max_matches: u64,
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
struct RawPipeline {
    max_in_flight: u64,
    shutdown_timeout: String,
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
#[serde(deny_unknown_fields)]
struct RawSink {
    #[serde(default)]
    name: String,
    #[serde(default, rename = "type")]
    kind: String,
    topic: Option<String>,
    url: Option<String>,
    secret: Option<String>,
    secret_env: Option<String>,
    timeout: Option<String>,
    max_elapsed: Option<String>,
    format: Option<String>,
    max_in_flight: Option<usize>,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RawDeadLetter {
    topic: String,
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawHttp {
    listen: String,
}

impl Default for RawHttp {
    fn default() -> Self {
        RawHttp {
            listen: "127.0.0.1:9464".into(),
        }
    }
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawLog {
    format: String,
    level: String,
}

impl Default for RawLog {
    fn default() -> Self {
        RawLog {
            format: "json".into(),
            level: "info".into(),
        }
    }
}

// ---- parsing into typed values ---------------------------------------------

/// Collects problems while parsing, so that all are reported at once.
#[derive(Default)]
struct Problems(Vec<Invalid>);

impl Problems {
    fn add(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.0.push(Invalid {
            key: key.into(),
            message: message.into(),
        });
    }

    fn duration(&mut self, key: &str, value: &str) -> Duration {
        match humantime::parse_duration(value.trim()) {
            Ok(d) => d,
            Err(e) => {
                self.add(
                    key,
                    format!(
                        "invalid duration {value:?} ({e}); write e.g. \"500ms\", \"5s\", \"10m\""
                    ),
                );
                Duration::ZERO
            }
        }
    }

    fn positive(&mut self, key: &str, value: u64) -> usize {
        if value == 0 {
            self.add(key, "must be at least 1");
        }
        usize::try_from(value).unwrap_or(usize::MAX)
    }

    fn non_empty(&mut self, key: &str, value: &str) {
        if value.trim().is_empty() {
            self.add(key, "must not be empty");
        }
    }
}

impl Raw {
    fn parse(self, env: &HashMap<String, String>) -> Result<Settings, Vec<Invalid>> {
        let mut p = Problems::default();

        p.non_empty("kafka.brokers", &self.kafka.brokers);
        p.non_empty("kafka.group_id", &self.kafka.group_id);
        if self.kafka.topics.is_empty() {
            p.add("kafka.topics", "must name at least one topic");
        }
        for (i, t) in self.kafka.topics.iter().enumerate() {
            p.non_empty(&format!("kafka.topics[{i}]"), t);
        }
        let props = |m: BTreeMap<String, Scalar>| {
            let mut out = BTreeMap::new();
            for (k, v) in m {
                v.flatten_into(k, &mut out);
            }
            out
        };

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
        let max_bytes = p.positive("input.max_bytes", self.input.max_bytes);

        let dedup_window = p.duration("alerts.dedup_window", &self.alerts.dedup_window);
        let snippet_chars = p.positive("alerts.snippet_chars", self.alerts.snippet_chars);
        let max_matches = p.positive("alerts.max_matches", self.alerts.max_matches);
        p.non_empty("alerts.source", &self.alerts.source);

        let max_in_flight = p.positive("pipeline.max_in_flight", self.pipeline.max_in_flight);
        let shutdown_timeout =
            p.duration("pipeline.shutdown_timeout", &self.pipeline.shutdown_timeout);

        let sinks = parse_sinks(self.sinks, env, &mut p);

        let dead_letter = self.dead_letter.map(|d| {
            p.non_empty("dead_letter.topic", &d.topic);
            DeadLetter { topic: d.topic }
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

        if !p.0.is_empty() {
            return Err(p.0);
        }
        Ok(Settings {
            kafka: Kafka {
                brokers: self.kafka.brokers,
                group_id: self.kafka.group_id,
                topics: self.kafka.topics,
                consumer: props(self.kafka.consumer),
                producer: props(self.kafka.producer),
            },
            input: DecodeOptions {
                format,
                fields: self.input.fields,
                max_bytes,
            },
            watchlist: WatchlistSettings {
                path: self.watchlist.path,
                reload: self.watchlist.reload,
            },
            alerts: Alerts {
                options: AlertOptions {
                    source: self.alerts.source,
                    snippet_chars,
                    max_matches,
                },
                dedup_window,
            },
            pipeline: Pipeline {
                max_in_flight,
                shutdown_timeout,
            },
            sinks,
            dead_letter,
            http: Http { listen },
            log: Log {
                format: log_format,
                level: self.log.level,
            },
        })
    }
}

fn parse_sinks(raw: Vec<RawSink>, env: &HashMap<String, String>, p: &mut Problems) -> Vec<Sink> {
    let mut names = HashSet::new();
    let mut sinks = Vec::new();
    for (i, s) in raw.into_iter().enumerate() {
        let key = |k: &str| format!("sinks[{i}].{k}");
        if s.name.trim().is_empty() {
            p.add(key("name"), "every sink needs a name");
        } else if !names.insert(s.name.clone()) {
            p.add(key("name"), format!("duplicate sink name {:?}", s.name));
        }
        // Keys that belong to other sink types are mistakes worth naming.
        let mut only = |allowed: &[&str]| {
            let present = [
                ("topic", s.topic.is_some()),
                ("url", s.url.is_some()),
                ("secret", s.secret.is_some()),
                ("secret_env", s.secret_env.is_some()),
                ("timeout", s.timeout.is_some()),
                ("max_elapsed", s.max_elapsed.is_some()),
                ("format", s.format.is_some()),
                ("max_in_flight", s.max_in_flight.is_some()),
            ];
            for (k, set) in present {
                if set && !allowed.contains(&k) {
                    p.add(key(k), format!("not a key of {} sinks", s.kind));
                }
            }
        };
        let kind = match s.kind.as_str() {
            "kafka" => {
                only(&["topic"]);
                let topic = s.topic.clone().unwrap_or_default();
                p.non_empty(&key("topic"), &topic);
                SinkKind::Kafka { topic }
            }
            "stdout" => {
                only(&[]);
                SinkKind::Stdout
            }
            "webhook" => {
                only(&[
                    "url",
                    "secret",
                    "secret_env",
                    "timeout",
                    "max_elapsed",
                    "format",
                    "max_in_flight",
                ]);
                SinkKind::Webhook(parse_webhook(&s, &key, env, p))
            }
            other => {
                p.add(
                    key("type"),
                    format!("unknown sink type {other:?} (expected kafka, webhook or stdout)"),
                );
                continue;
            }
        };
        sinks.push(Sink { name: s.name, kind });
    }
    sinks
}

fn parse_webhook(
    s: &RawSink,
    key: &dyn Fn(&str) -> String,
    env: &HashMap<String, String>,
    p: &mut Problems,
) -> Webhook {
    let url = s.url.clone().unwrap_or_default();
    let valid_url = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
    if !valid_url {
        p.add(
            key("url"),
            format!("{url:?} is not an http:// or https:// URL"),
        );
    }
    let secret_key = if s.secret.is_some() {
        "secret"
    } else {
        "secret_env"
    };
    let secret = match (&s.secret, &s.secret_env) {
        (Some(_), Some(_)) => {
            p.add(key("secret"), "give secret or secret_env, not both");
            None
        }
        (Some(v), None) => Some(v.as_str()),
        (None, Some(var)) => match env.get(var) {
            Some(v) => Some(v.as_str()),
            None => {
                p.add(
                    key("secret_env"),
                    format!("environment variable {var} is not set"),
                );
                None
            }
        },
        (None, None) => None,
    }
    .and_then(|v| {
        let parsed = SigningKey::parse(v);
        if parsed.is_none() {
            p.add(
                key(secret_key),
                "a webhook secret must be whsec_ followed by base64 (Standard Webhooks)",
            );
        }
        parsed
    });
    let format = match s.format.as_deref() {
        None | Some("cloudevents") => WebhookFormat::CloudEvents,
        Some("slack") => WebhookFormat::Slack,
        Some("alertmanager") => WebhookFormat::Alertmanager,
        Some(other) => {
            p.add(
                key("format"),
                format!("unknown format {other:?} (expected cloudevents, slack or alertmanager)"),
            );
            WebhookFormat::CloudEvents
        }
    };
    Webhook {
        url,
        secret,
        timeout: p.duration(&key("timeout"), s.timeout.as_deref().unwrap_or("5s")),
        max_elapsed: p.duration(
            &key("max_elapsed"),
            s.max_elapsed.as_deref().unwrap_or("1h"),
        ),
        format,
        max_in_flight: match s.max_in_flight {
            Some(0) => {
                p.add(key("max_in_flight"), "must be at least 1");
                1
            }
            Some(n) => n,
            None => 16,
        },
    }
}

#[cfg(test)]
mod tests;
