//! Configuration values shared by [`crate::settings`] and the components
//! that own their configuration (each sink kind under [`crate::sink`]):
//! secrets that never print, the raw scalars TOML and the environment give,
//! a sink's key table, and the list that collects every invalid key.
//!
//! Lower than both: `settings` imports the sink configurations, and they
//! import this, so neither imports the other. No I/O.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use reqwest::Url;
use serde::Deserialize;

/// A value that must never be printed: `Debug` and `Display` show
/// `[redacted]`. SPEC section 5: secrets never appear in logs or in `check`
/// output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
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

/// The longest duration any key takes: 365 days. Deadlines are instants
/// plus a duration, and `std` panics when that overflows (a
/// `dedup_window` of `"500000000000y"` did, at the start of `run`); a year
/// is far beyond any window, timeout or retry budget worth configuring.
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// The largest count any key takes: 2,147,483,647 (`i32::MAX`), so that
/// no sum or product of counts in the code can overflow on any platform;
/// keys that need less say so ([`Problems::count`]).
pub const MAX_COUNT: usize = i32::MAX as usize;

/// One invalid configuration key, named by its dotted path
/// (`alerts.max_matches`, `sinks[0].url`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{key}`: {message}")]
pub struct Invalid {
    /// The dotted key, as a user writes it in the file.
    pub key: String,
    /// What is wrong with its value, naming the value unless it is secret.
    pub message: String,
}

/// Collects problems while parsing, so that all are reported at once
/// (STYLE: report every problem at once).
#[derive(Debug, Default)]
pub struct Problems(Vec<Invalid>);

impl Problems {
    /// Records that `key` is invalid.
    pub fn add(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.0.push(Invalid {
            key: key.into(),
            message: message.into(),
        });
    }

    /// Parses a duration like `"500ms"`, `"5s"`, `"10m"` (humantime) of at
    /// most [`MAX_DURATION`]; records a problem and returns zero when it is
    /// not one.
    pub fn duration(&mut self, key: &str, value: &str) -> Duration {
        match humantime::parse_duration(value.trim()) {
            Ok(d) if d <= MAX_DURATION => d,
            Ok(_) => {
                self.add(
                    key,
                    format!("{value:?} is longer than 365 days, the most a duration may be"),
                );
                Duration::ZERO
            }
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

    /// A [`Problems::duration`] that must not be zero: a timeout that
    /// would fire at once.
    pub fn timeout(&mut self, key: &str, value: &str) -> Duration {
        let d = self.duration(key, value);
        if d.is_zero() && humantime::parse_duration(value.trim()).is_ok() {
            self.add(
                key,
                format!("{value:?} is zero; a timeout must be positive, e.g. \"60s\""),
            );
        }
        d
    }

    /// A count from 1 to `max` (at most [`MAX_COUNT`]); out of that range
    /// records a problem naming both ends and returns 1.
    pub fn count(&mut self, key: &str, value: u64, max: usize) -> usize {
        let max = max.min(MAX_COUNT);
        match usize::try_from(value) {
            Ok(n) if (1..=max).contains(&n) => n,
            _ => {
                self.add(
                    key,
                    format!("{value} is out of range: must be from 1 to {max}"),
                );
                1
            }
        }
    }

    /// A string that must not be blank.
    pub fn non_empty(&mut self, key: &str, value: &str) {
        if value.trim().is_empty() {
            self.add(key, "must not be empty");
        }
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The problems, in the order they were found.
    pub fn into_vec(self) -> Vec<Invalid> {
        self.0
    }
}

/// `text` as an `http://` or `https://` URL with a host, as the HTTP client
/// parses it (WHATWG URL); the error names the value and what is wrong.
///
/// # Errors
///
/// The message for the key when `text` is not such a URL.
pub fn http_url(text: &str) -> Result<Url, String> {
    let has_host = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
    if !has_host {
        return Err(format!("{text:?} is not an http:// or https:// URL"));
    }
    Url::parse(text).map_err(|e| format!("{text:?} is not a valid URL ({e})"))
}

/// A configuration value as TOML or the environment may write it. Unquoted
/// dotted keys (`sasl.password = "…"`) and `NEWSWATCH__KAFKA__CONSUMER__SASL__PASSWORD`
/// arrive as nested tables.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string (the environment gives strings unless they parse as
    /// another type).
    Str(String),
    /// A list (a TOML array), e.g. a webhook sink's `secrets`.
    List(Vec<Scalar>),
    /// A nested table.
    Table(BTreeMap<String, Scalar>),
}

impl Scalar {
    /// The value as text, as librdkafka takes property values; `None` for a
    /// list or a table.
    pub fn to_text(&self) -> Option<String> {
        Some(match self {
            Scalar::Bool(b) => b.to_string(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Str(s) => s.clone(),
            Scalar::List(_) | Scalar::Table(_) => return None,
        })
    }

    /// The kind of value, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Scalar::Bool(_) => "a boolean",
            Scalar::Int(_) => "an integer",
            Scalar::Float(_) => "a float",
            Scalar::Str(_) => "a string",
            Scalar::List(_) => "a list",
            Scalar::Table(_) => "a table",
        }
    }
}

/// The keys of one `[[sinks]]` entry, taken one by one by the sink kind's
/// configuration; whatever is left is not a key of that kind.
#[derive(Debug)]
pub struct Table {
    /// The entry's key prefix, `sinks[3]`.
    at: String,
    entries: BTreeMap<String, Scalar>,
}

impl Table {
    /// A table whose keys are reported under `at` (`sinks[3]`).
    pub fn new(at: impl Into<String>, entries: BTreeMap<String, Scalar>) -> Self {
        Table {
            at: at.into(),
            entries,
        }
    }

    /// The dotted name of `key` in this table: `sinks[3].url`.
    pub fn key(&self, key: &str) -> String {
        format!("{}.{key}", self.at)
    }

    /// True when `key` is present (not yet taken).
    pub fn has(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    /// Takes a string value; a value of another type is a problem.
    pub fn string(&mut self, key: &str, p: &mut Problems) -> Option<String> {
        match self.entries.remove(key)? {
            Scalar::Str(s) => Some(s),
            other => {
                p.add(
                    self.key(key),
                    format!("expected a string, found {}", other.kind()),
                );
                None
            }
        }
    }

    /// Takes `key` without reading it, when a problem already recorded
    /// covers it (so that it is not reported as unknown too).
    pub fn discard(&mut self, key: &str) {
        self.entries.remove(key);
    }

    /// Takes a list of strings; a value of another type, or an element
    /// that is not a string (named `key[i]`), is a problem.
    pub fn strings(&mut self, key: &str, p: &mut Problems) -> Option<Vec<String>> {
        let items = match self.entries.remove(key)? {
            Scalar::List(items) => items,
            other => {
                p.add(
                    self.key(key),
                    format!("expected a list of strings, found {}", other.kind()),
                );
                return None;
            }
        };
        let mut strings = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.into_iter().enumerate() {
            match item {
                Scalar::Str(s) => strings.push(s),
                other => {
                    p.add(
                        format!("{}[{i}]", self.key(key)),
                        format!("expected a string, found {}", other.kind()),
                    );
                    ok = false;
                }
            }
        }
        ok.then_some(strings)
    }

    /// Takes a duration (`"5s"`), `default` when absent.
    pub fn duration(&mut self, key: &str, default: Duration, p: &mut Problems) -> Duration {
        match self.string(key, p) {
            Some(s) => p.duration(&self.key(key), &s),
            None => default,
        }
    }

    /// Takes a count of at least 1, `default` when absent.
    pub fn positive(&mut self, key: &str, default: usize, p: &mut Problems) -> usize {
        let parsed = match self.entries.remove(key) {
            None => return default,
            Some(Scalar::Int(i)) => Ok(i),
            Some(Scalar::Str(s)) => s.trim().parse::<i64>().map_err(|_| Scalar::Str(s)),
            Some(other) => Err(other),
        };
        let value = match parsed {
            Ok(i) => i,
            Err(other) => {
                p.add(
                    self.key(key),
                    format!("expected an integer, found {}", other.kind()),
                );
                return default;
            }
        };
        match usize::try_from(value) {
            Ok(n) if n >= 1 => n,
            _ => {
                p.add(self.key(key), "must be at least 1");
                default
            }
        }
    }

    /// Takes a boolean, `default` when absent.
    pub fn boolean(&mut self, key: &str, default: bool, p: &mut Problems) -> bool {
        match self.entries.remove(key) {
            None => default,
            Some(Scalar::Bool(b)) => b,
            Some(Scalar::Str(s)) if s == "true" || s == "false" => s == "true",
            Some(other) => {
                p.add(
                    self.key(key),
                    format!("expected true or false, found {}", other.kind()),
                );
                default
            }
        }
    }

    /// Reports every key not taken as not a key of `kind` sinks.
    pub fn finish(self, kind: &str, p: &mut Problems) {
        for key in self.entries.keys() {
            p.add(self.key(key), format!("not a key of {kind} sinks"));
        }
    }
}
