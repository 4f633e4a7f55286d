//! Where alerts go: the [`Sink`] trait, the acknowledgement that ties an
//! alert's delivery to its item's offset, routing by rule, and the list of
//! sink kinds, each of which owns its configuration (`config.rs` in its
//! folder: keys, defaults, validation and `build()`, which `run` and
//! `check` both call).
//!
//! An item completes, and its offset may be committed, only when every
//! [`Ack`] made for it was `done()`. Dropping an `Ack` without calling
//! `done()` leaves the item incomplete: its offset is never committed by this
//! process, so the item is consumed again after a restart or rebalance. A
//! failure can therefore repeat alerts but never lose one.

pub mod kafka;
pub mod stdout;
pub mod webhook;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::alert::Alert;
use crate::offsets::{Offsets, Ticket};
use crate::values::{Problems, Secret, Table};

/// Declares the sink kinds: the `type` names, the [`SinkKind`] enum of
/// their configurations, and the dispatch to each configuration's
/// [`SinkKindConfig`] methods. A new sink kind is its folder plus one line
/// here.
macro_rules! sink_kinds {
    ($($variant:ident($config:ty) = $name:literal,)+) => {
        /// A sink's kind-specific configuration, by `type`.
        #[derive(Debug, Clone)]
        pub enum SinkKind {
            $(
                #[doc = concat!("`type = \"", $name, "\"`.")]
                $variant($config),
            )+
        }

        /// Every `type` a `[[sinks]]` entry may have.
        pub const SINK_TYPES: &[&str] = &[$($name),+];

        impl SinkKind {
            /// The `type` name.
            pub fn as_str(&self) -> &'static str {
                match self {
                    $(SinkKind::$variant(_) => $name,)+
                }
            }

            fn parse(kind: &str, t: &mut Table, env: &HashMap<String, String>, p: &mut Problems) -> Option<Option<Self>> {
                match kind {
                    $($name => Some(<$config>::parse(t, env, p).map(SinkKind::$variant)),)+
                    _ => None,
                }
            }

            fn config(&self) -> &dyn SinkKindConfig {
                match self {
                    $(SinkKind::$variant(c) => c,)+
                }
            }
        }
    };
}

sink_kinds! {
    Kafka(kafka::KafkaSinkConfig) = "kafka",
    Webhook(webhook::WebhookConfig) = "webhook",
    Stdout(stdout::StdoutConfig) = "stdout",
}

/// What every sink kind's configuration does. `parse` takes the kind's keys
/// from its `[[sinks]]` entry; `build` makes the sink, the same for `run`
/// and `check`.
pub trait SinkKindConfig: std::fmt::Debug {
    /// Takes this kind's keys from `t` (leftover keys are reported by the
    /// caller); `env` resolves environment variable names such as
    /// `secret_env`. `None` when a key was invalid (recorded in `p`).
    fn parse(t: &mut Table, env: &HashMap<String, String>, p: &mut Problems) -> Option<Self>
    where
        Self: Sized;

    /// Builds the sink named `name`.
    ///
    /// # Errors
    ///
    /// When a client cannot be made from the configuration (librdkafka
    /// refuses a property, the TLS backend fails to start).
    fn build(&self, name: &str, cx: &mut SinkContext) -> Result<Arc<dyn Sink>, BuildError>;

    /// One line for `check`: where alerts go, secrets hidden.
    fn describe(&self) -> String;

    /// Whether rules may route to this sink under `pipeline.guarantee =
    /// "exactly-once"` (SPEC section 4): a Kafka sink produces in the
    /// transaction; a sink that cannot join one may only when its deliveries
    /// may repeat (a webhook with `accept_duplicates = true`; stdout, a
    /// debugging sink, always).
    fn exactly_once_routable(&self) -> bool {
        true
    }
}

/// One `[[sinks]]` entry.
#[derive(Debug, Clone)]
pub struct SinkConfig {
    /// Unique among sinks; rules route to it by this name.
    pub name: String,
    /// Which alerts it gets and how they are grouped (`repeat`, `group`;
    /// every kind has them).
    pub policy: SinkPolicy,
    /// The kind and its configuration.
    pub kind: SinkKind,
}

/// What a sink gets of the alerts routed to it (SPEC 3a): the keys
/// `repeat` and `group` of its `[[sinks]]` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SinkPolicy {
    /// `repeat`: every alert, or the first of each (story, rule).
    pub repeat: Repeat,
    /// `group`: one alert per (item, rule), or one per item.
    pub group: Group,
}

/// A sink's `repeat` (SPEC 3a).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Repeat {
    /// `"every"` (the default): every alert routed to the sink.
    #[default]
    Every,
    /// `"first-per-story"`: only the first alert of each (story, rule);
    /// the alerts of later copies are counted as suppressed
    /// (`newswatch_alerts_suppressed_total{sink,reason="story"}`).
    FirstPerStory,
}

/// A sink's `group` (SPEC 3a).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Group {
    /// `"rule"` (the default): one alert per (item, rule).
    #[default]
    Rule,
    /// `"item"`: one alert per item listing every rule that held on it
    /// (`data.rules`), with the highest severity ([`crate::alert::per_item`]).
    Item,
}

impl SinkPolicy {
    /// Takes `repeat` and `group` from a `[[sinks]]` entry, the defaults
    /// when absent; an unknown value is a problem naming the key.
    fn parse(t: &mut Table, p: &mut Problems) -> Self {
        let repeat = match t.string("repeat", p).as_deref() {
            None | Some("every") => Repeat::Every,
            Some("first-per-story") => Repeat::FirstPerStory,
            Some(other) => {
                p.add(
                    t.key("repeat"),
                    format!("unknown repeat {other:?} (expected every or first-per-story)"),
                );
                Repeat::Every
            }
        };
        let group = match t.string("group", p).as_deref() {
            None | Some("rule") => Group::Rule,
            Some("item") => Group::Item,
            Some(other) => {
                p.add(
                    t.key("group"),
                    format!("unknown group {other:?} (expected rule or item)"),
                );
                Group::Rule
            }
        };
        SinkPolicy { repeat, group }
    }

    /// `repeat` and `group` as written, for `check`.
    fn describe(&self) -> &'static str {
        match (self.repeat, self.group) {
            (Repeat::Every, Group::Rule) => "",
            (Repeat::Every, Group::Item) => " (group = item)",
            (Repeat::FirstPerStory, Group::Rule) => " (repeat = first-per-story)",
            (Repeat::FirstPerStory, Group::Item) => " (repeat = first-per-story, group = item)",
        }
    }
}

impl SinkConfig {
    /// Parses one `[[sinks]]` entry: `name`, `type`, then the kind's keys;
    /// every problem goes to `p`. `None` when the entry is invalid.
    pub fn parse(mut t: Table, env: &HashMap<String, String>, p: &mut Problems) -> Option<Self> {
        let name = t.string("name", p).unwrap_or_default();
        if name.trim().is_empty() {
            p.add(t.key("name"), "every sink needs a name");
        }
        let kind_name = t.string("type", p).unwrap_or_default();
        let policy = SinkPolicy::parse(&mut t, p);
        let Some(kind) = SinkKind::parse(&kind_name, &mut t, env, p) else {
            p.add(
                t.key("type"),
                format!(
                    "unknown sink type {kind_name:?} (expected {})",
                    SINK_TYPES.join(", ")
                ),
            );
            return None;
        };
        t.finish(&kind_name, p);
        Some(SinkConfig {
            name,
            policy,
            kind: kind?,
        })
    }

    /// Builds the sink (see [`SinkKindConfig::build`]).
    ///
    /// # Errors
    ///
    /// As [`SinkKindConfig::build`].
    pub fn build(&self, cx: &mut SinkContext) -> Result<Arc<dyn Sink>, BuildError> {
        self.kind.config().build(&self.name, cx)
    }

    /// See [`SinkKindConfig::exactly_once_routable`].
    pub fn exactly_once_routable(&self) -> bool {
        self.kind.config().exactly_once_routable()
    }

    /// `check`'s line for this sink.
    pub fn describe(&self) -> String {
        format!(
            "sink {}: {} -> {}{}",
            self.name,
            self.kind.as_str(),
            self.kind.config().describe(),
            self.policy.describe()
        )
    }
}

/// What sinks are built with: the Kafka client settings and the one
/// producer every Kafka sink and the dead-letter topic share (made on first
/// use), the dead-letter topic, and the runtime webhook deliveries run on.
pub struct SinkContext {
    pub(crate) brokers: String,
    pub(crate) producer_properties: BTreeMap<String, Secret>,
    /// Under exactly-once, the producer's `transactional.id`; set before
    /// sinks are built.
    pub transactional_id: Option<String>,
    /// The shared producer, once a Kafka sink or the dead-letter topic
    /// asked for it.
    pub(crate) producer: Option<Arc<kafka::KafkaProducer>>,
    /// Where sinks park what they give up on; set before sinks are built.
    pub dead_letter: Option<Arc<dyn DeadLetter>>,
    /// Where users reach this newswatch (`http.external_url`), for the
    /// Alertmanager webhook body; set before sinks are built.
    pub external_url: Option<reqwest::Url>,
    /// The runtime webhook deliveries are spawned on; its owner drops it
    /// after the drain, which cancels deliveries still retrying.
    pub runtime: tokio::runtime::Handle,
}

impl SinkContext {
    /// A context for `brokers` with the `kafka.producer` properties.
    pub fn new(
        brokers: &str,
        producer_properties: &BTreeMap<String, Secret>,
        runtime: tokio::runtime::Handle,
    ) -> Self {
        SinkContext {
            brokers: brokers.to_owned(),
            producer_properties: producer_properties.clone(),
            transactional_id: None,
            producer: None,
            dead_letter: None,
            external_url: None,
            runtime,
        }
    }

    /// The shared producer if one was made, to flush at shutdown.
    pub fn producer(&self) -> Option<Arc<kafka::KafkaProducer>> {
        self.producer.clone()
    }
}

/// A sink could not be built from its configuration.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// librdkafka refused to make the producer.
    #[error("sink {sink}: creating the Kafka producer: {source}")]
    Kafka {
        /// The sink (`dead-letter` for the dead-letter topic).
        sink: String,
        /// librdkafka's error, which names the bad property.
        source: rdkafka::error::KafkaError,
    },
    /// The HTTP client could not be made.
    #[error("sink {sink}: creating the HTTP client: {error}")]
    Client {
        /// The sink.
        sink: String,
        /// reqwest's error, without the URL.
        error: String,
    },
}

/// Counts the deliveries an item still waits for.
struct Progress {
    pending: AtomicUsize,
    ticket: Ticket,
    offsets: Arc<Mutex<Offsets>>,
}

/// One outstanding delivery of one item. `done()` when the sink has it for
/// good (a Kafka delivery report, a webhook 2xx, parked in the dead-letter
/// topic).
#[must_use = "an Ack that is dropped keeps its item from being committed"]
pub struct Ack(Arc<Progress>);

impl Ack {
    /// This delivery is settled; when it is the item's last outstanding one
    /// (and its [`Completion`] was finished), the item's offset is completed
    /// in the tracker and may be committed.
    pub fn done(self) {
        let p = &self.0;
        if p.pending.fetch_sub(1, Ordering::AcqRel) == 1 {
            let mut offsets = p.offsets.lock().unwrap_or_else(|e| e.into_inner());
            offsets.complete(&p.ticket);
        }
    }
}

impl std::fmt::Debug for Ack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Ack").field(&self.0.ticket).finish()
    }
}

/// Hands out the acks of one item. The item cannot complete while its
/// `Completion` is alive, so acks done early do not complete it before all
/// its alerts were handed to sinks.
pub struct Completion {
    guard: Ack,
}

impl Completion {
    /// Starts tracking the item holding `ticket`; it completes in `offsets`
    /// once [`finish`](Self::finish) was called and every [`Ack`] handed
    /// out is done.
    pub fn new(ticket: Ticket, offsets: Arc<Mutex<Offsets>>) -> Self {
        Completion {
            guard: Ack(Arc::new(Progress {
                pending: AtomicUsize::new(1),
                ticket,
                offsets,
            })),
        }
    }

    /// A new outstanding delivery.
    pub fn ack(&self) -> Ack {
        self.guard.0.pending.fetch_add(1, Ordering::AcqRel);
        Ack(Arc::clone(&self.guard.0))
    }

    /// Every delivery was handed out: the item completes when they are done.
    pub fn finish(self) {
        self.guard.done();
    }
}

/// An alert ready to deliver: the event, and its JSON encoded once for
/// every sink it goes to.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The alert.
    pub alert: Alert,
    /// The CloudEvents JSON, shared by every sink the alert goes to;
    /// encoded by [`crate::escape::to_json`], so no control, line-separator
    /// or bidirectional character is in it raw.
    pub json: Arc<[u8]>,
}

impl Outgoing {
    /// The alert id (64 hex characters), the Kafka key and `webhook-id`.
    pub fn id(&self) -> &str {
        &self.alert.id
    }

    /// The rule id, for the `newswatch-rule` header.
    pub fn rule(&self) -> &str {
        &self.alert.data.rule
    }

    /// The severity's name, for the `newswatch-severity` header.
    pub fn severity(&self) -> &'static str {
        self.alert.data.severity.as_str()
    }
}

/// A destination for alerts. Implementations must not block for long: slow
/// or failing destinations hold their acks instead (which holds commits
/// back and, through `pipeline.max_in_flight`, pauses the consumer).
pub trait Sink: Send + Sync {
    /// The sink's `name` from its `[[sinks]]` entry (a metric label).
    fn name(&self) -> &str;
    /// Starts delivering `alert`; `ack` is done once the destination has it
    /// for good or it was parked in the dead-letter topic. Returns without
    /// waiting for the delivery.
    fn send(&self, alert: &Outgoing, ack: Ack);
}

/// A record for the dead-letter topic: a rejected item forwarded unchanged,
/// or an alert a sink gave up on.
#[derive(Debug, Clone)]
pub struct DeadLetterRecord {
    /// The record key: the message key of a rejected item, the alert id of
    /// an alert.
    pub key: Option<Vec<u8>>,
    /// The record value: the rejected item's bytes unchanged, or the
    /// alert's CloudEvents JSON.
    pub payload: Option<Vec<u8>>,
    /// `reason: detail`, for the `newswatch-error` header.
    pub error: String,
    /// For an alert a sink gave up on: that sink's name, for the
    /// `newswatch-sink` header. `None` for a rejected item.
    pub sink: Option<String>,
}

/// Where rejected items, and alerts a webhook refused, go when
/// `dead_letter.topic` is set.
pub trait DeadLetter: Send + Sync {
    /// Produces `record`; `ack` is done once the topic has it.
    fn send(&self, record: DeadLetterRecord, ack: Ack);
}

/// A pseudo-random number below `bound`, from the clock: enough to spread
/// retries apart, not for anything secret.
pub(crate) fn random_below(bound: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as u64);
    let mut x = nanos ^ COUNTER.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
    // splitmix64: consecutive calls within one clock tick still differ.
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    x % bound.max(1)
}

static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_completes_after_its_last_ack_and_its_completion() {
        let offsets = Arc::new(Mutex::new(Offsets::new()));
        offsets.lock().unwrap().assign("news", 0);
        let ticket = offsets.lock().unwrap().begin("news", 0, 7).unwrap();
        let c = Completion::new(ticket, Arc::clone(&offsets));
        let a = c.ack();
        let b = c.ack();
        a.done();
        c.finish();
        assert_eq!(offsets.lock().unwrap().uncommitted(), 1, "b is still out");
        b.done();
        let mut o = offsets.lock().unwrap();
        assert_eq!(o.uncommitted(), 0);
        assert_eq!(o.take_committable(), [("news".to_owned(), 0, 8)]);
    }

    #[test]
    fn a_dropped_ack_keeps_the_item_uncommitted() {
        let offsets = Arc::new(Mutex::new(Offsets::new()));
        offsets.lock().unwrap().assign("news", 0);
        let ticket = offsets.lock().unwrap().begin("news", 0, 7).unwrap();
        let c = Completion::new(ticket, Arc::clone(&offsets));
        drop(c.ack());
        c.finish();
        assert!(offsets.lock().unwrap().take_committable().is_empty());
    }
}
