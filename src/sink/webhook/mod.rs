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

mod alertmanager;
mod body;
mod config;
mod delivery;
mod sign;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::header::CONTENT_TYPE;
use tokio::runtime::Handle;
use tokio::sync::Semaphore;

pub use body::body;
pub use config::{WebhookConfig, WebhookFormat};
pub use delivery::{DeliveryError, parse_retry_after};
use delivery::{backoff, retry_after};
pub use sign::{KeyError, MIN_KEY_BYTES, SigningKey, sign, signature_header};

use super::{Ack, BuildError, DeadLetter, DeadLetterRecord, Outgoing, Sink};
use crate::metrics::events;

/// What every delivery task of one sink shares.
struct Endpoint {
    name: String,
    client: reqwest::Client,
    url: reqwest::Url,
    /// Each request is signed with every key, in order (none: unsigned).
    keys: Vec<SigningKey>,
    format: WebhookFormat,
    /// `http.external_url` as Alertmanager writes its own, for the
    /// Alertmanager body; empty when not configured.
    external_url: String,
    max_elapsed: Duration,
    /// One permit per request under way, held across retries.
    permits: Semaphore,
    dead_letter: Option<Arc<dyn DeadLetter>>,
}

/// Alerts to an HTTP endpoint.
pub struct WebhookSink {
    /// Shared with every delivery task of this sink, which holds a clone
    /// until its alert is delivered or given up on.
    endpoint: Arc<Endpoint>,
    /// The runtime the delivery tasks run on; owned by the app, which drops
    /// it (and with it any delivery still retrying) after the drain.
    runtime: Handle,
}

impl WebhookSink {
    /// The sink `name` for `settings`; deliveries are spawned on
    /// `runtime`, and alerts given up on go to `dead_letter`.
    /// `external_url` is where users reach this newswatch
    /// (`http.external_url`), for the Alertmanager body.
    ///
    /// # Errors
    ///
    /// When the HTTP client cannot be made (the TLS backend fails).
    ///
    /// # Panics
    ///
    /// When `settings.max_in_flight` is above tokio's
    /// `Semaphore::MAX_PERMITS` (`usize::MAX >> 3`); the configuration
    /// only checks that it is at least 1.
    pub fn new(
        name: &str,
        settings: &WebhookConfig,
        external_url: Option<&reqwest::Url>,
        dead_letter: Option<Arc<dyn DeadLetter>>,
        runtime: Handle,
    ) -> Result<Self, BuildError> {
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
                url: settings.url.clone(),
                keys: settings.secrets.clone(),
                format: settings.format,
                external_url: external_url
                    .map(alertmanager::external_url)
                    .unwrap_or_default(),
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
        let (body, content_type) = body(
            e.format,
            &alert.alert,
            &alert.json,
            &e.name,
            &e.external_url,
        );
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
                    events::delivered(&self.name, Some(&job.id), attempt);
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
            events::delivery_retried(&self.name, "webhook", "-", attempt, Some(wait), &error);
            tokio::time::sleep(wait).await;
        }
    }

    /// One POST. The `webhook-id` is the alert id on every attempt; the
    /// timestamp and the signatures (one per key) are made fresh for each.
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
        if !self.keys.is_empty() {
            request = request.header(
                "webhook-signature",
                signature_header(&self.keys, &job.id, ts, &job.body),
            );
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
        events::delivery_given_up(
            &self.name,
            &job.id,
            reason,
            &detail,
            self.dead_letter.is_some(),
        );
        match &self.dead_letter {
            Some(dl) => {
                let parked = DeadLetterRecord {
                    key: Some(job.id.into_bytes()),
                    payload: Some(job.json.to_vec()),
                    error: format!("{reason}: {detail}"),
                    sink: Some(self.name.clone()),
                };
                dl.send(parked, ack);
            }
            None => ack.done(),
        }
    }
}
