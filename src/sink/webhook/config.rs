//! The keys of a **webhook** sink (SPEC section 5): `url`, `secret`,
//! `secrets` or `secret_env`, `timeout`, `max_elapsed`, `format`,
//! `max_in_flight`, their defaults, and how the sink is built from them.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;

use super::{SigningKey, WebhookSink};
use crate::sink::{BuildError, Sink, SinkContext, SinkKindConfig};
use crate::values::{Problems, Table, http_url};

/// Per request, connecting included, unless `timeout` says otherwise: 15
/// seconds, the timeout the Standard Webhooks specification recommends
/// senders to give receivers.
const fn default_timeout() -> Duration {
    Duration::from_secs(15)
}

/// How long one alert is retried before it is parked, unless `max_elapsed`
/// says otherwise.
const fn default_max_elapsed() -> Duration {
    Duration::from_secs(3600)
}

/// Requests one sink has under way at once, unless `max_in_flight` says
/// otherwise.
const fn default_max_in_flight() -> usize {
    16
}

/// The most requests one sink may have under way: far beyond what an HTTP
/// endpoint serves, and within what a tokio semaphore can count.
const MAX_IN_FLIGHT: usize = 100_000;

/// `type = "webhook"`: alerts `POST`ed to an HTTP endpoint.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// The endpoint: an `http` or `https` URL with a host. Parsed once
    /// here, so `check` refuses what `run` would.
    pub url: Url,
    /// The Standard Webhooks signing keys, in the order configured: each
    /// request carries one signature per key, so a receiver verifies with
    /// the old key or the new one while keys are rotated. Requests are
    /// unsigned when there is none.
    pub secrets: Vec<SigningKey>,
    /// Per request, connecting included (default 15 seconds).
    pub timeout: Duration,
    /// How long one alert is retried, from its first attempt, before it is
    /// parked (default 1 hour).
    pub max_elapsed: Duration,
    /// The request body.
    pub format: WebhookFormat,
    /// Requests (retries included) this sink has under way at once
    /// (default 16).
    pub max_in_flight: usize,
    /// `accept_duplicates` (default false): rules may route to this sink
    /// under `pipeline.guarantee = "exactly-once"`, its deliveries staying
    /// at-least-once (a crash or an aborted transaction repeats them, with
    /// the same `webhook-id`).
    pub accept_duplicates: bool,
}

/// `format`: what the request body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookFormat {
    /// The CloudEvents JSON (default).
    CloudEvents,
    /// Slack's `{"text": …}`.
    Slack,
    /// Prometheus Alertmanager's webhook body, `version: "4"`.
    Alertmanager,
}

impl SinkKindConfig for WebhookConfig {
    fn parse(t: &mut Table, env: &HashMap<String, String>, p: &mut Problems) -> Option<Self> {
        let url = parse_url(t, p);
        let secrets = parse_secrets(t, env, p);
        let format = match t.string("format", p).as_deref() {
            None | Some("cloudevents") => Some(WebhookFormat::CloudEvents),
            Some("slack") => Some(WebhookFormat::Slack),
            Some("alertmanager") => Some(WebhookFormat::Alertmanager),
            Some(other) => {
                p.add(
                    t.key("format"),
                    format!(
                        "unknown format {other:?} (expected cloudevents, slack or alertmanager)"
                    ),
                );
                None
            }
        };
        let accept_duplicates = t.boolean("accept_duplicates", false, p);
        let timeout = t.duration("timeout", default_timeout(), p);
        let max_elapsed = t.duration("max_elapsed", default_max_elapsed(), p);
        let mut max_in_flight = t.positive("max_in_flight", default_max_in_flight(), p);
        if max_in_flight > MAX_IN_FLIGHT {
            p.add(
                t.key("max_in_flight"),
                format!("must be at most {MAX_IN_FLIGHT}"),
            );
            max_in_flight = MAX_IN_FLIGHT;
        }
        Some(WebhookConfig {
            url: url?,
            secrets: secrets?,
            timeout,
            max_elapsed,
            format: format?,
            max_in_flight,
            accept_duplicates,
        })
    }

    fn exactly_once_routable(&self) -> bool {
        self.accept_duplicates
    }

    fn build(&self, name: &str, cx: &mut SinkContext) -> Result<Arc<dyn Sink>, BuildError> {
        let sink = WebhookSink::new(
            name,
            self,
            cx.external_url.as_ref(),
            cx.dead_letter.clone(),
            cx.runtime.clone(),
        )?;
        Ok(Arc::new(sink))
    }

    fn describe(&self) -> String {
        let signed = match self.secrets.len() {
            0 => "not signed".to_owned(),
            1 => "signed".to_owned(),
            n => format!("signed with {n} secrets"),
        };
        format!(
            "{} ({:?}, {signed}, timeout {:?}, retries for {:?})",
            url_host(&self.url),
            self.format,
            self.timeout,
            self.max_elapsed
        )
    }
}

/// `url`: an `http://` or `https://` URL with a host ([`http_url`]).
fn parse_url(t: &mut Table, p: &mut Problems) -> Option<Url> {
    let text = t.string("url", p).unwrap_or_default();
    http_url(&text).map_err(|e| p.add(t.key("url"), e)).ok()
}

/// The signing keys: `secret` (one), `secrets` (a list, for rotation) or
/// `secret_env` (the name of an environment variable holding one or more,
/// separated by white space), at most one of the three; each `whsec_` and
/// base64 of at least 24 bytes, per Standard Webhooks. Empty when none is
/// given. Problems name the key (`secrets[1]`; the position within the
/// variable), never the value.
fn parse_secrets(
    t: &mut Table,
    env: &HashMap<String, String>,
    p: &mut Problems,
) -> Option<Vec<SigningKey>> {
    let given: Vec<&str> = ["secret", "secrets", "secret_env"]
        .into_iter()
        .filter(|k| t.has(k))
        .collect();
    if given.len() > 1 {
        p.add(
            t.key(given[1]),
            format!(
                "give one of secret, secrets or secret_env, not {}",
                given.join(" and ")
            ),
        );
        for k in given {
            t.discard(k);
        }
        return None;
    }
    // (the key a problem names, what to call the value in it, the value)
    let texts: Vec<(String, String, String)> = match given.first().copied() {
        None => return Some(Vec::new()),
        Some("secret") => {
            let value = t.string("secret", p)?;
            vec![(t.key("secret"), String::new(), value)]
        }
        Some("secrets") => {
            let values = t.strings("secrets", p)?;
            if values.is_empty() {
                p.add(
                    t.key("secrets"),
                    "lists no secret; leave the key out to send unsigned requests",
                );
                return None;
            }
            values
                .into_iter()
                .enumerate()
                .map(|(i, v)| (format!("{}[{i}]", t.key("secrets")), String::new(), v))
                .collect()
        }
        Some(_) => {
            let var = t.string("secret_env", p)?;
            let Some(value) = env.get(&var) else {
                p.add(
                    t.key("secret_env"),
                    format!("environment variable {var} is not set"),
                );
                return None;
            };
            let values: Vec<&str> = value.split_whitespace().collect();
            if values.is_empty() {
                p.add(
                    t.key("secret_env"),
                    format!("environment variable {var} holds no secret"),
                );
                return None;
            }
            let n = values.len();
            values
                .into_iter()
                .enumerate()
                .map(|(i, v)| {
                    let which = if n == 1 {
                        format!("environment variable {var}: ")
                    } else {
                        format!("environment variable {var}, secret {} of {n}: ", i + 1)
                    };
                    (t.key("secret_env"), which, v.to_owned())
                })
                .collect()
        }
    };
    let n = texts.len();
    let mut keys = Vec::with_capacity(n);
    for (key, which, text) in texts {
        match SigningKey::parse(&text) {
            Ok(k) => keys.push(k),
            Err(e) => p.add(key, format!("{which}{e}")),
        }
    }
    (keys.len() == n).then_some(keys)
}

/// `https://user:pw@host:8443/path?q` -> `https://host:8443/…`: chat
/// webhook URLs carry their token in the path, so `check` shows no more.
fn url_host(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port() {
        Some(port) => format!("{}://{host}:{port}/…", url.scheme()),
        None => format!("{}://{host}/…", url.scheme()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn url_host_hides_credentials_and_paths() {
        let host = |s: &str| super::url_host(&super::Url::parse(s).unwrap());
        assert_eq!(
            host("https://u:pw@hooks.slack.com/services/T0/B0/secret?x=1"),
            "https://hooks.slack.com/…"
        );
        assert_eq!(host("http://127.0.0.1:8080"), "http://127.0.0.1:8080/…");
    }
}
