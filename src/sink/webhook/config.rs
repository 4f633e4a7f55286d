//! The keys of a **webhook** sink (SPEC section 5): `url`, `secret` or
//! `secret_env`, `timeout`, `max_elapsed`, `format`, `max_in_flight`, their
//! defaults, and how the sink is built from them.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;

use super::{SigningKey, WebhookSink};
use crate::sink::{BuildError, Sink, SinkContext, SinkKindConfig};
use crate::values::{Problems, Table, http_url};

/// Per request, connecting included, unless `timeout` says otherwise.
const fn default_timeout() -> Duration {
    Duration::from_secs(5)
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
    /// The Standard Webhooks signing key; requests are unsigned without one.
    pub secret: Option<SigningKey>,
    /// Per request, connecting included (default 5 seconds).
    pub timeout: Duration,
    /// How long one alert is retried, from its first attempt, before it is
    /// parked (default 1 hour).
    pub max_elapsed: Duration,
    /// The request body.
    pub format: WebhookFormat,
    /// Requests (retries included) this sink has under way at once
    /// (default 16).
    pub max_in_flight: usize,
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
        let secret = parse_secret(t, env, p);
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
            secret: secret?,
            timeout,
            max_elapsed,
            format: format?,
            max_in_flight,
        })
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
        format!(
            "{} ({:?}, {}signed, timeout {:?}, retries for {:?})",
            url_host(&self.url),
            self.format,
            if self.secret.is_some() { "" } else { "not " },
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

/// `secret` or `secret_env` (the name of an environment variable holding
/// it): `whsec_` and base64, per Standard Webhooks. `Some(None)` when
/// neither is given.
fn parse_secret(
    t: &mut Table,
    env: &HashMap<String, String>,
    p: &mut Problems,
) -> Option<Option<SigningKey>> {
    let inline = t.string("secret", p);
    let var = t.string("secret_env", p);
    let (key, value) = match (inline, var) {
        (Some(_), Some(_)) => {
            p.add(t.key("secret"), "give secret or secret_env, not both");
            return None;
        }
        (Some(v), None) => ("secret", v),
        (None, Some(var)) => match env.get(&var) {
            Some(v) => ("secret_env", v.clone()),
            None => {
                p.add(
                    t.key("secret_env"),
                    format!("environment variable {var} is not set"),
                );
                return None;
            }
        },
        (None, None) => return Some(None),
    };
    match SigningKey::parse(&value) {
        Some(k) => Some(Some(k)),
        None => {
            p.add(
                t.key(key),
                "a webhook secret must be whsec_ followed by base64 (Standard Webhooks)",
            );
            None
        }
    }
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
