//! The **webhook** sink (SPEC section 3): `POST` of each alert, signed as
//! Standard Webhooks when a key is set, retried until `max_elapsed`, and
//! parked in the dead-letter topic when the endpoint refuses it for good.
//!
//! Deliveries run as tasks on the daemon's tokio runtime; `send` only spawns.
//! At most `max_in_flight` requests of one sink are under way at once (a
//! task waiting for its retry keeps its place), so a slow or dead endpoint
//! holds acks, the items behind them stay uncommitted, and through
//! `pipeline.max_in_flight` the consumer pauses: memory stays bounded and
//! nothing is lost. URLs are never logged: chat webhook URLs carry their
//! token in the path.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use serde_json::json;
use sha2::Sha256;
use tokio::runtime::Handle;
use tokio::sync::Semaphore;

use super::{Ack, DeadLetter, Outgoing, Rejected, Sink};
use crate::alert::Alert;
use crate::metrics::{self, Outcome};
use crate::settings::{SigningKey, Webhook, WebhookFormat};

/// First retry waits up to this long; each further one doubles the bound.
const BACKOFF_BASE: Duration = Duration::from_millis(250);
/// The bound stops doubling here.
const BACKOFF_CAP: Duration = Duration::from_secs(60);

/// Why one attempt failed.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The endpoint answered with a status other than 2xx.
    #[error("http {status}{}", if status.is_redirection() { " (redirects are not followed)" } else { "" })]
    Status {
        status: StatusCode,
        retry_after: Option<Duration>,
    },
    /// No answer: refused connection, timeout, reset. The text never holds
    /// the URL.
    #[error("{0}")]
    Transport(String),
}

impl DeliveryError {
    /// Connection errors, timeouts, 408, 429 and 5xx are worth another try.
    pub fn retryable(&self) -> bool {
        match self {
            DeliveryError::Status { status, .. } => {
                *status == StatusCode::REQUEST_TIMEOUT
                    || *status == StatusCode::TOO_MANY_REQUESTS
                    || status.is_server_error()
            }
            DeliveryError::Transport(_) => true,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            DeliveryError::Status { retry_after, .. } => *retry_after,
            DeliveryError::Transport(_) => None,
        }
    }

    fn transport(e: reqwest::Error) -> Self {
        let kind = if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            "connection failed"
        } else {
            "request failed"
        };
        // reqwest's own text names the URL; the causes below it do not.
        let e = e.without_url();
        let mut text = kind.to_owned();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        DeliveryError::Transport(text)
    }
}

/// The `webhook-signature` value: `v1,` and the base64 HMAC-SHA256 of
/// `{id}.{timestamp}.{body}` (Standard Webhooks).
pub fn sign(key: &SigningKey, id: &str, timestamp: u64, body: &[u8]) -> String {
    // HMAC accepts keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(key.expose()).expect("HMAC takes any key length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let tag = mac.finalize().into_bytes();
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(tag)
    )
}

/// How long `Retry-After` asks to wait: delay-seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Exponential backoff with full jitter: a random wait below
/// `min(cap, base * 2^(attempt - 1))`.
fn backoff(attempt: u32) -> Duration {
    let bound = BACKOFF_BASE
        .saturating_mul(1 << attempt.saturating_sub(1).min(16))
        .min(BACKOFF_CAP);
    let millis = u64::try_from(bound.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(super::random_below(millis + 1))
}

/// The request body for `format`, and its content type.
pub fn body(
    format: WebhookFormat,
    alert: &Alert,
    json: &[u8],
    receiver: &str,
) -> (Vec<u8>, &'static str) {
    match format {
        WebhookFormat::CloudEvents => (json.to_vec(), "application/cloudevents+json"),
        WebhookFormat::Slack => (
            json!({ "text": slack_text(alert) })
                .to_string()
                .into_bytes(),
            "application/json",
        ),
        WebhookFormat::Alertmanager => (
            alertmanager(alert, receiver).to_string().into_bytes(),
            "application/json",
        ),
    }
}

/// A chat message: severity and rule, the linked title, the snippet.
fn slack_text(a: &Alert) -> String {
    // Slack's mrkdwn needs these three escaped, and nothing else.
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let d = &a.data;
    let mut text = format!(
        "*[{}]* newswatch rule `{}`",
        d.severity.as_str().to_uppercase(),
        esc(&d.rule)
    );
    if let Some(desc) = &d.description {
        text.push_str(&format!(": {}", esc(desc)));
    }
    let title = d.item.title.as_deref().unwrap_or(&d.item.id);
    match &d.item.url {
        Some(url) => text.push_str(&format!(
            "\n<{}|{}>",
            esc(url),
            esc(title).replace('|', "¦")
        )),
        None => text.push_str(&format!("\n*{}*", esc(title))),
    }
    if !d.snippet.is_empty() {
        text.push_str(&format!("\n> {}", esc(&d.snippet)));
    }
    text
}

/// The body Prometheus Alertmanager posts to its webhook receivers
/// (`version: "4"`), one firing alert in its own group.
fn alertmanager(a: &Alert, receiver: &str) -> serde_json::Value {
    let d = &a.data;
    let labels = json!({
        "alertname": d.rule,
        "rule": d.rule,
        "severity": d.severity.as_str(),
        "item": d.item.id,
    });
    let mut annotations = json!({
        "title": d.item.title.as_deref().unwrap_or(""),
        "url": d.item.url.as_deref().unwrap_or(""),
        "snippet": d.snippet,
    });
    if let Some(desc) = &d.description {
        annotations["description"] = json!(desc);
    }
    json!({
        "version": "4",
        "groupKey": format!("{{}}:{{rule=\"{}\", item=\"{}\"}}", d.rule, d.item.id),
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": receiver,
        "groupLabels": { "rule": d.rule },
        "commonLabels": labels,
        "commonAnnotations": annotations,
        "externalURL": "",
        "alerts": [{
            "status": "firing",
            "labels": labels,
            "annotations": annotations,
            "startsAt": a.time,
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": d.item.url.as_deref().unwrap_or(""),
            "fingerprint": a.id,
        }],
    })
}

/// What every delivery task of one sink shares.
struct Endpoint {
    name: String,
    client: reqwest::Client,
    url: reqwest::Url,
    key: Option<SigningKey>,
    format: WebhookFormat,
    max_elapsed: Duration,
    /// One permit per request under way, held across retries.
    permits: Semaphore,
    dead_letter: Option<Arc<dyn DeadLetter>>,
}

/// Alerts to an HTTP endpoint.
pub struct WebhookSink {
    endpoint: Arc<Endpoint>,
    /// The runtime the delivery tasks run on; owned by the app, which drops
    /// it (and with it any delivery still retrying) after the drain.
    runtime: Handle,
}

/// The webhook's settings could not make an HTTP client.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("sink {sink}: invalid url: {error}")]
    Url { sink: String, error: String },
    #[error("sink {sink}: creating the HTTP client: {error}")]
    Client { sink: String, error: String },
}

impl WebhookSink {
    pub fn new(
        name: &str,
        settings: &Webhook,
        dead_letter: Option<Arc<dyn DeadLetter>>,
        runtime: Handle,
    ) -> Result<Self, BuildError> {
        let url = reqwest::Url::parse(&settings.url).map_err(|e| BuildError::Url {
            sink: name.to_owned(),
            error: e.to_string(),
        })?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .user_agent(concat!("newswatch/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| BuildError::Client {
                sink: name.to_owned(),
                error: e.without_url().to_string(),
            })?;
        Ok(WebhookSink {
            endpoint: Arc::new(Endpoint {
                name: name.to_owned(),
                client,
                url,
                key: settings.secret.clone(),
                format: settings.format,
                max_elapsed: settings.max_elapsed,
                permits: Semaphore::new(settings.max_in_flight),
                dead_letter,
            }),
            runtime,
        })
    }
}

impl Sink for WebhookSink {
    fn name(&self) -> &str {
        &self.endpoint.name
    }

    fn send(&self, alert: &Outgoing, ack: Ack) {
        let e = &self.endpoint;
        let (body, content_type) = body(e.format, &alert.alert, &alert.json, &e.name);
        let job = Job {
            id: alert.alert.id.clone(),
            body: body.into(),
            content_type,
            json: Arc::clone(&alert.json),
        };
        self.runtime.spawn(Arc::clone(e).deliver(job, ack));
    }
}

/// One alert on its way to the endpoint.
struct Job {
    id: String,
    body: bytes::Bytes,
    content_type: &'static str,
    /// The CloudEvents JSON, parked in the dead-letter topic on failure.
    json: Arc<[u8]>,
}

impl Endpoint {
    async fn deliver(self: Arc<Self>, job: Job, ack: Ack) {
        let Ok(_permit) = self.permits.acquire().await else {
            return; // never closed
        };
        let began = Instant::now();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let error = match self.attempt(&job).await {
                Ok(()) => {
                    tracing::debug!(sink = %self.name, alert_id = %job.id, attempt, "webhook delivered");
                    metrics::sink_finished(&self.name, Outcome::Delivered);
                    ack.done();
                    return;
                }
                Err(e) => e,
            };
            if !error.retryable() {
                return self.give_up(job, ack, "webhook_rejected", error.to_string());
            }
            let wait = error.retry_after().unwrap_or_else(|| backoff(attempt));
            let elapsed = began.elapsed();
            if elapsed + wait > self.max_elapsed {
                let detail = format!(
                    "{error}; gave up after {attempt} attempts in {}",
                    humantime::format_duration(Duration::from_secs(elapsed.as_secs()))
                );
                return self.give_up(job, ack, "webhook_exhausted", detail);
            }
            metrics::sink_retried(&self.name);
            tracing::warn!(
                sink = %self.name, alert_id = %job.id, attempt, error = %error,
                retry_in_ms = wait.as_millis() as u64,
                "webhook delivery failed; will retry"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// One POST. The `webhook-id` is the alert id on every attempt; the
    /// timestamp and the signature (with a key) are made fresh for each.
    async fn attempt(&self, job: &Job) -> Result<(), DeliveryError> {
        let mut request = self
            .client
            .post(self.url.clone())
            .header(CONTENT_TYPE, job.content_type)
            .body(job.body.clone());
        // Id and timestamp go out signed or not: receivers deduplicate on
        // the id.
        let ts = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        request = request
            .header("webhook-id", &job.id)
            .header("webhook-timestamp", ts.to_string());
        if let Some(key) = &self.key {
            request = request.header("webhook-signature", sign(key, &job.id, ts, &job.body));
        }
        let response = request.send().await.map_err(DeliveryError::transport)?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        Err(DeliveryError::Status {
            status,
            retry_after: retry_after(response.headers()),
        })
    }

    /// Parks the alert in the dead-letter topic, or drops it with an ERROR
    /// when there is none; either way the item may then be committed.
    fn give_up(&self, job: Job, ack: Ack, reason: &str, detail: String) {
        match &self.dead_letter {
            Some(dl) => {
                tracing::warn!(
                    sink = %self.name, alert_id = %job.id, reason, error = %detail,
                    "webhook gave up on an alert; parking it in the dead-letter topic"
                );
                metrics::sink_finished(&self.name, Outcome::DeadLettered);
                let parked = Rejected {
                    key: Some(job.id.into_bytes()),
                    payload: Some(job.json.to_vec()),
                    error: format!("{reason}: {detail}"),
                    sink: Some(self.name.clone()),
                };
                dl.send(parked, ack);
            }
            None => {
                tracing::error!(
                    sink = %self.name, alert_id = %job.id, reason, error = %detail,
                    "webhook gave up on an alert and no dead-letter topic is configured; the alert is dropped"
                );
                metrics::sink_finished(&self.name, Outcome::Dropped);
                ack.done();
            }
        }
    }
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{AlertData, ItemRef};
    use crate::watchlist::Severity;

    #[test]
    fn signs_the_standard_webhooks_test_vector() {
        let key = SigningKey::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            sign(
                &key,
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        let now = UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn backoff_grows_within_its_bound() {
        for attempt in 1..40 {
            let bound = BACKOFF_BASE
                .saturating_mul(1 << (attempt - 1).min(16))
                .min(BACKOFF_CAP);
            assert!(backoff(attempt) <= bound);
        }
    }

    #[test]
    fn only_transient_failures_are_retried() {
        let status = |s: u16| DeliveryError::Status {
            status: StatusCode::from_u16(s).unwrap(),
            retry_after: None,
        };
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(status(s).retryable(), "{s}");
        }
        for s in [301, 302, 400, 401, 403, 404, 410, 422] {
            assert!(!status(s).retryable(), "{s}");
        }
        assert!(DeliveryError::Transport("timed out".into()).retryable());
        assert_eq!(
            status(302).to_string(),
            "http 302 Found (redirects are not followed)"
        );
    }

    fn alert() -> Alert {
        Alert {
            specversion: "1.0",
            kind: "newswatch.alert",
            source: "/newswatch".into(),
            id: "abc123".into(),
            time: "2026-11-28T10:00:00.000Z".into(),
            subject: "chip-export-approval".into(),
            datacontenttype: "application/json",
            data: AlertData {
                rule: "chip-export-approval".into(),
                severity: Severity::High,
                description: Some("AI chips <and> approvals".into()),
                item: ItemRef {
                    id: "item-1".into(),
                    title: Some("Beijing approves H200 | orders".into()),
                    url: Some("https://news.example/a?x=1&y=2".into()),
                    source: None,
                    lang: None,
                    published_at: None,
                },
                matches: vec![],
                snippet: "…weigh H200 orders if Beijing approves…".into(),
                origin: None,
            },
        }
    }

    #[test]
    fn slack_text_reads_well_and_is_escaped() {
        let (b, ct) = body(WebhookFormat::Slack, &alert(), b"{}", "ops");
        assert_eq!(ct, "application/json");
        let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(
            v["text"],
            "*[HIGH]* newswatch rule `chip-export-approval`: AI chips &lt;and&gt; approvals\n\
             <https://news.example/a?x=1&amp;y=2|Beijing approves H200 ¦ orders>\n\
             > …weigh H200 orders if Beijing approves…"
        );
        assert_eq!(v.as_object().unwrap().len(), 1);
    }

    #[test]
    fn alertmanager_body_has_the_webhook_shape() {
        let (b, _) = body(WebhookFormat::Alertmanager, &alert(), b"{}", "ops");
        let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(v["version"], "4");
        assert_eq!(v["status"], "firing");
        assert_eq!(v["receiver"], "ops");
        let a = &v["alerts"][0];
        assert_eq!(a["labels"]["rule"], "chip-export-approval");
        assert_eq!(a["labels"]["severity"], "high");
        assert_eq!(a["labels"]["item"], "item-1");
        assert_eq!(a["annotations"]["title"], "Beijing approves H200 | orders");
        assert_eq!(a["annotations"]["url"], "https://news.example/a?x=1&y=2");
        assert_eq!(a["fingerprint"], "abc123");
        assert_eq!(a["startsAt"], "2026-11-28T10:00:00.000Z");
    }

    #[test]
    fn cloudevents_body_is_the_event_json() {
        let (b, ct) = body(WebhookFormat::CloudEvents, &alert(), b"{\"id\":1}", "ops");
        assert_eq!(b, b"{\"id\":1}");
        assert_eq!(ct, "application/cloudevents+json");
    }
}
