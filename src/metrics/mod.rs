//! The daemon's telemetry (SPEC section 7): every metric declared once in
//! `declare_metrics!`, so none can be left out of `/metrics`; one function
//! per event in [`events`] that writes the event's log line and updates its
//! metrics together (vector's `internal_events`); the readiness `/readyz`
//! reports ([`readiness()`]).
//!
//! One registry per process ([`global`]): the events happen deep in sinks
//! and the consumer, and threading a handle through every constructor would
//! buy nothing but noise. Every labelled series that a dashboard alerts on
//! exists from the start at 0 (rejection reasons, reload outcomes, delivery
//! outcomes and retries of each configured sink), so `increase()` sees the
//! first error. Holds no I/O.
//!
//! Hand-rolled rather than `prometheus-client`: twenty metrics, the text
//! format 0.0.4 the tests and deploy files parse, and no new crates.

pub mod events;
pub mod liveness;
mod process;
pub mod readiness;
mod registry;

use std::sync::LazyLock;
use std::sync::atomic::Ordering;
use std::time::Duration;

use registry::{Family, Histogram, Scalar};

pub use liveness::liveness;
pub use readiness::readiness;

/// Declares every metric once: the field of [`Metrics`], its constructor,
/// and its place in the rendered text (declaration order).
macro_rules! declare_metrics {
    ($($(#[$doc:meta])* $field:ident: $ty:ty = $init:expr;)+) => {
        /// Every metric of the process.
        pub struct Metrics {
            $($(#[$doc])* $field: $ty,)+
        }

        impl Metrics {
            fn new() -> Self {
                Metrics { $($field: $init,)+ }
            }

            /// The exposition text for `/metrics` (Prometheus text format
            /// 0.0.4), metrics in declaration order.
            pub fn render(&self) -> String {
                let mut out = String::with_capacity(4096);
                $(self.$field.render(&mut out);)+
                process::render(&mut out);
                out
            }
        }
    };
}

/// Buckets for the time one item takes to decode, match and build its
/// alerts, in seconds.
const MATCH_BUCKETS: &[f64] = &[
    0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025,
    0.05, 0.1,
];
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.002_5, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

declare_metrics! {
    /// What this binary is: always 1.
    build_info: Family<3> = Family::new(
        "newswatch_build_info",
        "Always 1: the version, the commit the binary was built from and the librdkafka linked in.",
        "gauge",
        ["version", "commit", "librdkafka"],
    );
    /// Items read from Kafka.
    items_consumed: Scalar = Scalar::new(
        "newswatch_items_consumed_total",
        "News items read from Kafka.",
        "counter",
    );
    /// Items rejected, by `Rejection::reason`.
    items_rejected: Family<1> = Family::new(
        "newswatch_items_rejected_total",
        "News items that could not be decoded, by reason.",
        "counter",
        ["reason"],
    );
    /// Messages that are not items, by `events::SkipReason`.
    items_skipped: Family<1> = Family::new(
        "newswatch_items_skipped_total",
        "Messages skipped as not news items (tombstone: a null value), by reason.",
        "counter",
        ["reason"],
    );
    /// Alerts raised after deduplication.
    alerts: Family<2> = Family::new(
        "newswatch_alerts_total",
        "Alerts raised (after deduplication), by rule and severity.",
        "counter",
        ["rule", "severity"],
    );
    /// Alerts a sink's policy kept from it, by sink and reason.
    alerts_suppressed: Family<2> = Family::new(
        "newswatch_alerts_suppressed_total",
        "Alerts not delivered to a sink by its policy, by sink and reason (story: a later copy of a story under repeat = first-per-story).",
        "counter",
        ["sink", "reason"],
    );
    /// Stories kept.
    stories: Scalar = Scalar::new(
        "newswatch_stories",
        "Stories kept in the story index: those of the last alerts.story_window, at most alerts.story_capacity.",
        "gauge",
    );
    /// Heap bytes of the story index.
    story_index_bytes: Scalar = Scalar::new(
        "newswatch_story_index_bytes",
        "Heap bytes held by the story index (its sketches, ids and LSH tables), estimated from their capacities.",
        "gauge",
    );
    /// Finished deliveries by sink and outcome.
    sink_deliveries: Family<2> = Family::new(
        "newswatch_sink_deliveries_total",
        "Alert deliveries by sink and outcome (delivered, dead_lettered, dropped).",
        "counter",
        ["sink", "outcome"],
    );
    /// Failed attempts that are tried again.
    sink_retries: Family<1> = Family::new(
        "newswatch_sink_retries_total",
        "Delivery attempts that failed and were retried, by sink.",
        "counter",
        ["sink"],
    );
    /// Seconds per item in the engine.
    match_duration: Histogram = Histogram::new(
        "newswatch_match_duration_seconds",
        "Time to decode one news item, match it and build its alerts.",
        MATCH_BUCKETS,
    );
    /// Seconds from the message timestamp to its alert.
    latency: Histogram = Histogram::new(
        "newswatch_end_to_end_latency_seconds",
        "From the item's Kafka timestamp to its alert handed to the sinks.",
        LATENCY_BUCKETS,
    );
    /// Messages per assigned partition not yet committed.
    consumer_lag: Family<2> = Family::new(
        "newswatch_consumer_lag",
        "Messages between the committed offset and the end of each assigned partition.",
        "gauge",
        ["topic", "partition"],
    );
    /// Errors the consumer reported, by `source::health::ErrorKind`.
    consumer_errors: Family<1> = Family::new(
        "newswatch_consumer_errors_total",
        "Errors the Kafka consumer reported (an undecodable or corrupt batch, refused credentials, an unknown topic, an unreachable broker), by kind.",
        "counter",
        ["kind"],
    );
    /// Assigned partitions stuck behind unread messages.
    partitions_stalled: Scalar = Scalar::new(
        "newswatch_partitions_stalled",
        "Assigned partitions with unread messages whose position has not moved for kafka.stall_timeout.",
        "gauge",
    );
    /// Producers replaced for delivering nothing.
    producer_replacements: Scalar = Scalar::new(
        "newswatch_producer_replacements_total",
        "Kafka producers replaced after delivering nothing for twice message.timeout.ms while messages kept failing.",
        "counter",
    );
    /// Kafka transactions under exactly-once, by outcome.
    transactions: Family<1> = Family::new(
        "newswatch_transactions_total",
        "Kafka transactions under pipeline.guarantee = exactly-once, by outcome: committed, aborted (the consumer rewound to the last committed offsets), fenced (the producer was replaced).",
        "counter",
        ["outcome"],
    );
    /// Terms of the loaded watchlist.
    watchlist_terms: Scalar = Scalar::new(
        "newswatch_watchlist_terms",
        "Watch terms in the loaded watchlist.",
        "gauge",
    );
    /// Rules of the loaded watchlist.
    watchlist_rules: Scalar = Scalar::new(
        "newswatch_watchlist_rules",
        "Rules in the loaded watchlist.",
        "gauge",
    );
    /// Reloads by outcome.
    reloads: Family<1> = Family::new(
        "newswatch_watchlist_reloads_total",
        "Watchlist reloads by outcome (ok, error).",
        "counter",
        ["outcome"],
    );
    /// The uncommitted window.
    uncommitted: Scalar = Scalar::new(
        "newswatch_items_in_flight",
        "Items consumed and not yet committable: those whose alerts are not all acknowledged, and completed ones behind them (the window pipeline.max_in_flight bounds).",
        "gauge",
    );
}

/// The process's metrics.
pub fn global() -> &'static Metrics {
    static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
        let m = Metrics::new();
        let (_, librdkafka) = rdkafka::util::get_rdkafka_version();
        m.build_info.set(
            [
                env!("CARGO_PKG_VERSION"),
                env!("NEWSWATCH_COMMIT"),
                &librdkafka,
            ],
            1.0,
        );
        for reason in crate::item::Rejection::REASONS {
            m.items_rejected.add([reason], 0.0);
        }
        for kind in crate::source::health::ErrorKind::ALL {
            m.consumer_errors.add([kind.as_str()], 0.0);
        }
        for reason in events::SkipReason::ALL {
            m.items_skipped.add([reason.as_str()], 0.0);
        }
        for outcome in ["ok", "error"] {
            m.reloads.add([outcome], 0.0);
        }
        for outcome in ["committed", "aborted", "fenced"] {
            m.transactions.add([outcome], 0.0);
        }
        m
    });
    &METRICS
}

/// How a sink finished with one alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The destination has it (a delivery report, a 2xx).
    Delivered,
    /// Given up on and parked in the dead-letter topic.
    DeadLettered,
    /// Given up on with no dead-letter topic: logged at ERROR, gone.
    Dropped,
}

impl Outcome {
    /// Every outcome, so each sink's series exist from the start.
    pub const ALL: [Outcome; 3] = [Outcome::Delivered, Outcome::DeadLettered, Outcome::Dropped];

    /// The `outcome` label.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::DeadLettered => "dead_lettered",
            Outcome::Dropped => "dropped",
        }
    }
}

/// Saturating conversion for gauges.
fn gauge(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Metrics {
    fn sink_declared(&self, sink: &str) {
        for outcome in Outcome::ALL {
            self.sink_deliveries.add([sink, outcome.as_str()], 0.0);
        }
        self.sink_retries.add([sink], 0.0);
        self.alerts_suppressed.add([sink, "story"], 0.0);
    }

    fn watchlist(&self, terms: usize, rules: usize) {
        self.watchlist_terms
            .value
            .store(gauge(terms), Ordering::Relaxed);
        self.watchlist_rules
            .value
            .store(gauge(rules), Ordering::Relaxed);
    }
}

/// Records `n` items read from Kafka (per batch; no log line).
pub fn items_consumed(n: usize) {
    global()
        .items_consumed
        .value
        .fetch_add(gauge(n), Ordering::Relaxed);
}

/// Records the time one item took to decode, match and build its alerts.
pub fn matched(took: Duration) {
    global().match_duration.observe(took);
}

/// Records one alert's produce-to-alert latency.
pub fn alert_latency(latency: Duration) {
    global().latency.observe(latency);
}

/// Sets one partition's lag, in messages.
pub fn consumer_lag(topic: &str, partition: i32, lag: i64) {
    global()
        .consumer_lag
        .set([topic, &partition.to_string()], lag as f64);
}

/// Keeps the lag series of the partitions `owned` says this process holds.
pub fn retain_lag(owned: impl Fn(&str, i32) -> bool) {
    global()
        .consumer_lag
        .retain(|[topic, p]| p.parse().is_ok_and(|p| owned(topic, p)));
}

/// Sets the story index's size: `stories` kept, `bytes` of heap.
pub fn stories(stories: usize, bytes: usize) {
    let m = global();
    m.stories.value.store(gauge(stories), Ordering::Relaxed);
    m.story_index_bytes
        .value
        .store(gauge(bytes), Ordering::Relaxed);
}

/// Sets the uncommitted window, in items.
pub fn uncommitted(n: usize) {
    global()
        .uncommitted
        .value
        .store(gauge(n), Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerting_series_exist_from_the_start() {
        events::sinks_ready(&["ops".to_owned()]);
        let text = global().render();
        for series in [
            "newswatch_items_rejected_total{reason=\"not_json\"} 0\n",
            "newswatch_items_rejected_total{reason=\"too_large\"} 0\n",
            "newswatch_items_rejected_total{reason=\"empty\"} 0\n",
            "newswatch_items_skipped_total{reason=\"tombstone\"} 0\n",
            "newswatch_build_info{version=\"",
            "newswatch_watchlist_reloads_total{outcome=\"error\"} 0\n",
            "newswatch_sink_deliveries_total{sink=\"ops\",outcome=\"dropped\"} 0\n",
            "newswatch_sink_deliveries_total{sink=\"ops\",outcome=\"dead_lettered\"} 0\n",
            "newswatch_sink_retries_total{sink=\"ops\"} 0\n",
            "newswatch_alerts_suppressed_total{sink=\"ops\",reason=\"story\"} 0\n",
        ] {
            assert!(text.contains(series), "{series} missing from\n{text}");
        }
    }

    #[test]
    fn renders_counters_families_and_histograms() {
        let m = Metrics::new();
        m.items_consumed.value.fetch_add(3, Ordering::Relaxed);
        m.alerts.add(["chip \"ban\"", "high"], 1.0);
        m.alerts.add(["chip \"ban\"", "high"], 1.0);
        m.match_duration.observe(Duration::from_micros(30));
        m.match_duration.observe(Duration::from_secs(1));
        let text = m.render();
        assert!(text.contains(
            "# TYPE newswatch_items_consumed_total counter\nnewswatch_items_consumed_total 3\n"
        ));
        assert!(
            text.contains(
                "newswatch_alerts_total{rule=\"chip \\\"ban\\\"\",severity=\"high\"} 2\n"
            )
        );
        assert!(text.contains("newswatch_match_duration_seconds_bucket{le=\"0.000025\"} 0\n"));
        assert!(text.contains("newswatch_match_duration_seconds_bucket{le=\"0.00005\"} 1\n"));
        assert!(text.contains("newswatch_match_duration_seconds_bucket{le=\"0.1\"} 1\n"));
        assert!(text.contains("newswatch_match_duration_seconds_bucket{le=\"+Inf\"} 2\n"));
        assert!(text.contains("newswatch_match_duration_seconds_count 2\n"));
    }

    #[test]
    fn lag_series_of_partitions_given_up_are_dropped() {
        let m = Metrics::new();
        m.consumer_lag.set(["news", "0"], 5.0);
        m.consumer_lag.set(["news", "1"], 7.0);
        m.consumer_lag.retain(|[_, p]| p == "1");
        let text = m.render();
        assert!(!text.contains("partition=\"0\""));
        assert!(text.contains("newswatch_consumer_lag{topic=\"news\",partition=\"1\"} 7\n"));
    }
}
