//! One function per event: each writes the event's log line (fields first,
//! message last) and updates its metrics, so the two never drift apart
//! (vector `src/internal_events`). Labels are low-cardinality: rule, sink,
//! reason, outcome; never a headline or an id.

use std::fmt::Display;
use std::path::Path;
use std::time::Duration;

use std::sync::atomic::Ordering;

use super::{Outcome, global, readiness};
use crate::item::Rejection;
use crate::source::health::{Change, ErrorKind};

/// Where a consumed message came from, for log lines.
#[derive(Debug, Clone, Copy)]
pub struct At<'a> {
    /// The topic.
    pub topic: &'a str,
    /// The partition.
    pub partition: i32,
    /// The offset.
    pub offset: i64,
}

/// An item was rejected (SPEC section 1): WARN with where and why, counted
/// by reason.
pub fn item_rejected(at: At<'_>, rejection: &Rejection) {
    tracing::warn!(
        topic = %at.topic, partition = at.partition, offset = at.offset,
        reason = rejection.reason(), error = %rejection,
        "item rejected"
    );
    global().items_rejected.add([rejection.reason()], 1.0);
}

/// Why a message was skipped rather than decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// A null value: a compaction tombstone (SPEC section 1).
    Tombstone,
}

impl SkipReason {
    /// Every reason, so each labelled series exists from the start.
    pub const ALL: [SkipReason; 1] = [SkipReason::Tombstone];

    /// The `reason` label.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Tombstone => "tombstone",
        }
    }
}

/// A message was skipped, not an item (SPEC section 1): DEBUG (tombstones
/// are routine in compacted topics), counted by reason; its offset is
/// committed like any other.
pub fn item_skipped(at: At<'_>, reason: SkipReason) {
    tracing::debug!(
        topic = %at.topic, partition = at.partition, offset = at.offset,
        reason = reason.as_str(),
        "message skipped"
    );
    global().items_skipped.add([reason.as_str()], 1.0);
}

/// An alert was raised and handed to its sinks: INFO, counted by rule and
/// severity.
pub fn alert_raised(at: At<'_>, item_id: &str, rule: &str, severity: &str, alert_id: &str) {
    tracing::info!(
        item_id = %item_id, rule = %rule, severity, alert_id = %alert_id,
        topic = %at.topic, partition = at.partition, offset = at.offset,
        "alert"
    );
    global().alerts.add([rule, severity], 1.0);
}

/// A sink's policy kept an alert from it (`repeat = "first-per-story"`:
/// the story already had this rule's alert): DEBUG, counted by sink and
/// reason. `rule` is the rule id, or `*` for an item's alert (`group =
/// "item"`).
pub fn alert_suppressed(sink: &str, item_id: &str, rule: &str, story: &str) {
    tracing::debug!(
        sink = %sink, item_id = %item_id, rule = %rule, story = %story, reason = "story",
        "alert not sent: the sink gets the first alert of each story and rule"
    );
    global().alerts_suppressed.add([sink, "story"], 1.0);
}

/// A sink has an alert for good (a delivery report, a 2xx): counted; DEBUG.
pub fn delivered(sink: &str, alert_id: Option<&str>, attempt: u32) {
    tracing::debug!(sink = %sink, alert_id = ?alert_id, attempt, "alert delivered");
    global()
        .sink_deliveries
        .add([sink, Outcome::Delivered.as_str()], 1.0);
}

/// A delivery attempt of a `kind` sink (`kafka`, `webhook`) to
/// `destination` (a topic; never a URL, which may hold a token) failed and
/// will be made again after `retry_in` (`None`: the producer's own
/// backoff): WARN, counted per sink.
pub fn delivery_retried(
    sink: &str,
    kind: &str,
    destination: &str,
    attempt: u32,
    retry_in: Option<Duration>,
    error: &dyn Display,
) {
    tracing::warn!(
        sink = %sink, destination = %destination, attempt, error = %error,
        retry_in_ms = retry_in.map(|d| d.as_millis() as u64),
        "{kind} delivery failed; will try again"
    );
    global().sink_retries.add([sink], 1.0);
}

/// Under exactly-once, a message of the open transaction to `destination`
/// (a topic) was not delivered: the transaction will abort and its items
/// be consumed and produced again. WARN, counted as a retry of the sink.
pub fn transactional_delivery_failed(sink: &str, destination: &str, error: &dyn Display) {
    tracing::warn!(
        sink = %sink, destination = %destination, error = %error,
        "kafka delivery failed; the transaction will abort and its items be processed again"
    );
    global().sink_retries.add([sink], 1.0);
}

/// A sink gave up on an alert (refused for good, or retries exhausted):
/// parked in the dead-letter topic (WARN) or, with none, dropped (ERROR).
pub fn delivery_given_up(sink: &str, alert_id: &str, reason: &str, detail: &str, parked: bool) {
    let outcome = if parked {
        tracing::warn!(
            sink = %sink, alert_id = %alert_id, reason, error = %detail,
            "a sink gave up on an alert; parking it in the dead-letter topic"
        );
        Outcome::DeadLettered
    } else {
        tracing::error!(
            sink = %sink, alert_id = %alert_id, reason, error = %detail,
            "a sink gave up on an alert and no dead-letter topic is configured; the alert is dropped"
        );
        Outcome::Dropped
    };
    global().sink_deliveries.add([sink, outcome.as_str()], 1.0);
}

/// The sinks were built: every (sink, outcome) series and every sink's
/// retry series exist from now, at 0; `/readyz` may pass.
pub fn sinks_ready(names: &[String]) {
    let m = global();
    for name in names {
        m.sink_declared(name);
    }
    readiness::set_sinks();
}

/// The watchlist loaded at start: INFO, gauges set, `/readyz` may pass.
pub fn watchlist_loaded(path: &Path, sets: usize, terms: usize, rules: usize) {
    tracing::info!(watchlist = %path.display(), sets, terms, rules, "watchlist loaded");
    global().watchlist(terms, rules);
    readiness::set_watchlist();
}

/// A reload swapped in a new watchlist: INFO, gauges set, counted `ok`.
pub fn watchlist_reloaded(path: &Path, sets: usize, terms: usize, rules: usize, took: Duration) {
    tracing::info!(
        path = %path.display(), sets, terms, rules,
        build_ms = took.as_millis() as u64,
        "watchlist reloaded"
    );
    let m = global();
    m.watchlist(terms, rules);
    m.reloads.add(["ok"], 1.0);
}

/// A reload failed; the current watchlist stays: ERROR, counted `error`.
pub fn watchlist_reload_failed(path: &Path, error: &dyn Display) {
    tracing::error!(
        path = %path.display(), %error,
        "watchlist reload failed; keeping the current watchlist"
    );
    global().reloads.add(["error"], 1.0);
}

/// The consumer joined its group (an assignment arrived, even an empty
/// one) or lost its membership; logged by the rebalance callbacks.
pub fn group_membership(joined: bool) {
    readiness::set_joined(joined);
}

/// The daemon is draining to stop: INFO; `/readyz` answers 503 from now.
pub fn stopping() {
    tracing::info!("stopping: no more fetching, finishing the uncommitted items");
    readiness::set_stopping();
}

/// The consumer reported an error of `kind` (SPEC section 7): counted
/// every time; logged when `logged` says the rate limit lets it through
/// (`Some(repeats)`: how many of its kind went unlogged since the last
/// line), at WARN for a transient kind, else ERROR.
pub fn consumer_error(kind: ErrorKind, error: &dyn Display, logged: Option<u64>) {
    global().consumer_errors.add([kind.as_str()], 1.0);
    let Some(repeats) = logged else { return };
    if kind.transient() {
        tracing::warn!(kind = kind.as_str(), %error, repeats, "Kafka consumer error");
    } else {
        tracing::error!(kind = kind.as_str(), %error, repeats, "Kafka consumer error");
    }
}

/// The brokers refuse the consumer's credentials or certificate: ERROR,
/// and `/readyz` answers 503 with the reason until a fetch succeeds.
pub fn credentials_refused(kind: ErrorKind, error: &dyn Display) {
    let reason = format!(
        "Kafka refuses the consumer's {}: {error}",
        if kind == ErrorKind::Tls {
            "TLS handshake (check ssl.ca.location and the broker's certificate)"
        } else {
            "credentials (check sasl.mechanism, sasl.username and sasl.password)"
        }
    );
    tracing::error!(kind = kind.as_str(), %error, "{reason}");
    readiness::set_stuck("kafka", reason);
}

/// A fetch succeeded after the credentials were refused.
pub fn credentials_accepted() {
    readiness::set_unstuck("kafka");
}

/// A partition stopped moving or moved again (SPEC section 7,
/// `kafka.stall_timeout`): a stall is logged at ERROR with topic,
/// partition and offset and the last consumer error, and `/readyz`
/// answers 503 naming the partition until it moves.
pub fn partition_health(change: &Change, last_error: Option<&str>) {
    let m = global();
    match change {
        Change::Stalled {
            topic,
            partition,
            offset,
            pending,
            stuck_for,
        } => {
            let last_error = last_error.unwrap_or("none reported");
            tracing::error!(
                topic = %topic, partition, offset, pending,
                stuck_for_s = stuck_for.as_secs(), last_error = %last_error,
                "partition stalled: unread messages and no progress past this offset; nothing is skipped"
            );
            readiness::set_stuck(
                &format!("{topic}/{partition}"),
                format!(
                    "partition {topic}/{partition} has not moved past offset {offset} for {}s with {pending} messages unread (last consumer error: {last_error})",
                    stuck_for.as_secs()
                ),
            );
            m.partitions_stalled.value.fetch_add(1, Ordering::Relaxed);
        }
        Change::Recovered { topic, partition } => {
            tracing::info!(topic = %topic, partition, "partition moving again (or revoked)");
            readiness::set_unstuck(&format!("{topic}/{partition}"));
            m.partitions_stalled.value.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// A Kafka transaction committed (DEBUG), or was aborted or its producer
/// fenced (WARN, with the reason and the partitions rewound): counted by
/// outcome.
pub fn transaction(
    outcome: &'static str,
    error: Option<&dyn Display>,
    rewound: &[(String, i32, i64)],
) {
    global().transactions.add([outcome], 1.0);
    match error {
        None => tracing::debug!(outcome, "transaction committed"),
        Some(error) => tracing::warn!(
            outcome,
            %error,
            rewound = ?rewound,
            "transaction not committed; the consumer goes back to the last committed offsets"
        ),
    }
}

/// The Kafka producer delivered nothing for twice `message.timeout.ms`
/// while messages kept failing, and was replaced: WARN, counted.
pub fn producer_replaced(silent: Duration) {
    tracing::warn!(
        silent_s = silent.as_secs(),
        "the Kafka producer delivered nothing for a while; replacing it"
    );
    global()
        .producer_replacements
        .value
        .fetch_add(1, Ordering::Relaxed);
}
