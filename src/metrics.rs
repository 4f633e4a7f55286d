//! The daemon's metrics (SPEC section 7): their names, one function per
//! event, and the Prometheus text exposition format (version 0.0.4) that
//! `/metrics` serves.
//!
//! One registry per process ([`global`]): the events happen deep in sinks
//! and the consumer, and threading a handle through every constructor would
//! buy nothing but noise. Counters on the per-item path are plain atomics;
//! labelled families take a mutex, and are used per alert or per delivery,
//! not per item. Holds no I/O.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

/// A counter or gauge family with `N` labels.
struct Family<const N: usize> {
    name: &'static str,
    help: &'static str,
    kind: &'static str,
    labels: [&'static str; N],
    values: Mutex<BTreeMap<[String; N], f64>>,
}

impl<const N: usize> Family<N> {
    const fn new(
        name: &'static str,
        help: &'static str,
        kind: &'static str,
        labels: [&'static str; N],
    ) -> Self {
        Family {
            name,
            help,
            kind,
            labels,
            values: Mutex::new(BTreeMap::new()),
        }
    }

    fn update(&self, labels: [&str; N], f: impl FnOnce(&mut f64)) {
        let mut values = self.values.lock().unwrap_or_else(|e| e.into_inner());
        let key = labels.map(str::to_owned);
        f(values.entry(key).or_insert(0.0));
    }

    fn add(&self, labels: [&str; N], by: f64) {
        self.update(labels, |v| *v += by);
    }

    fn set(&self, labels: [&str; N], to: f64) {
        self.update(labels, |v| *v = to);
    }

    /// Drops the series whose labels `keep` rejects (partitions this process
    /// no longer owns).
    fn retain(&self, keep: impl Fn(&[String; N]) -> bool) {
        let mut values = self.values.lock().unwrap_or_else(|e| e.into_inner());
        values.retain(|k, _| keep(k));
    }

    fn render(&self, out: &mut String) {
        header(out, self.name, self.help, self.kind);
        let values = self.values.lock().unwrap_or_else(|e| e.into_inner());
        for (key, v) in values.iter() {
            let _ = write!(out, "{}", self.name);
            labels(out, &self.labels, key);
            let _ = writeln!(out, " {v}");
        }
    }
}

/// An unlabelled counter or gauge.
struct Scalar {
    name: &'static str,
    help: &'static str,
    kind: &'static str,
    value: AtomicI64,
}

impl Scalar {
    const fn new(name: &'static str, help: &'static str, kind: &'static str) -> Self {
        Scalar {
            name,
            help,
            kind,
            value: AtomicI64::new(0),
        }
    }

    fn render(&self, out: &mut String) {
        header(out, self.name, self.help, self.kind);
        let _ = writeln!(out, "{} {}", self.name, self.value.load(Ordering::Relaxed));
    }
}

/// A histogram of seconds with fixed buckets, lock-free.
struct Histogram {
    name: &'static str,
    help: &'static str,
    bounds: &'static [f64],
    /// Per bucket, not cumulative; the last one is `+Inf`.
    buckets: Vec<AtomicU64>,
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Histogram {
    fn new(name: &'static str, help: &'static str, bounds: &'static [f64]) -> Self {
        Histogram {
            name,
            help,
            bounds,
            buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum_nanos: AtomicU64::new(0),
        }
    }

    fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let i = self
            .bounds
            .iter()
            .position(|&b| secs <= b)
            .unwrap_or(self.bounds.len());
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String) {
        header(out, self.name, self.help, "histogram");
        let mut cumulative = 0u64;
        for (i, bucket) in self.buckets.iter().enumerate() {
            cumulative += bucket.load(Ordering::Relaxed);
            let le = self
                .bounds
                .get(i)
                .map_or_else(|| "+Inf".to_owned(), |b| b.to_string());
            let _ = writeln!(out, "{}_bucket{{le=\"{le}\"}} {cumulative}", self.name);
        }
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{}_sum {sum}", self.name);
        let _ = writeln!(
            out,
            "{}_count {}",
            self.name,
            self.count.load(Ordering::Relaxed)
        );
    }
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn labels(out: &mut String, names: &[&str], values: &[String]) {
    if names.is_empty() {
        return;
    }
    out.push('{');
    for (i, (n, v)) in names.iter().zip(values).enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{n}=\"");
        for c in v.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out.push('}');
}

/// Buckets for the time one item takes in the engine.
const MATCH_BUCKETS: &[f64] = &[
    0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025,
    0.05, 0.1,
];
/// Buckets for produce-to-alert latency.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.002_5, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Every metric of the process.
pub struct Metrics {
    items_consumed: Scalar,
    items_rejected: Family<1>,
    alerts: Family<2>,
    sink_deliveries: Family<2>,
    sink_retries: Family<1>,
    match_duration: Histogram,
    latency: Histogram,
    consumer_lag: Family<2>,
    watchlist_terms: Scalar,
    watchlist_rules: Scalar,
    reloads: Family<1>,
    in_flight: Scalar,
}

impl Metrics {
    fn new() -> Self {
        Metrics {
            items_consumed: Scalar::new(
                "newswatch_items_consumed_total",
                "News items read from Kafka.",
                "counter",
            ),
            items_rejected: Family::new(
                "newswatch_items_rejected_total",
                "News items that could not be decoded, by reason.",
                "counter",
                ["reason"],
            ),
            alerts: Family::new(
                "newswatch_alerts_total",
                "Alerts raised (after deduplication), by rule and severity.",
                "counter",
                ["rule", "severity"],
            ),
            sink_deliveries: Family::new(
                "newswatch_sink_deliveries_total",
                "Alert deliveries by sink and outcome (delivered, dead_lettered, dropped).",
                "counter",
                ["sink", "outcome"],
            ),
            sink_retries: Family::new(
                "newswatch_sink_retries_total",
                "Delivery attempts that failed and were retried, by sink.",
                "counter",
                ["sink"],
            ),
            match_duration: Histogram::new(
                "newswatch_match_duration_seconds",
                "Time to decode and match one news item.",
                MATCH_BUCKETS,
            ),
            latency: Histogram::new(
                "newswatch_end_to_end_latency_seconds",
                "From the item's Kafka timestamp to its alert handed to the sinks.",
                LATENCY_BUCKETS,
            ),
            consumer_lag: Family::new(
                "newswatch_consumer_lag",
                "Messages between the committed-to-be position and the end of each assigned partition.",
                "gauge",
                ["topic", "partition"],
            ),
            watchlist_terms: Scalar::new(
                "newswatch_watchlist_terms",
                "Watch terms in the loaded watchlist.",
                "gauge",
            ),
            watchlist_rules: Scalar::new(
                "newswatch_watchlist_rules",
                "Rules in the loaded watchlist.",
                "gauge",
            ),
            reloads: Family::new(
                "newswatch_watchlist_reloads_total",
                "Watchlist reloads by outcome (ok, error).",
                "counter",
                ["outcome"],
            ),
            in_flight: Scalar::new(
                "newswatch_items_in_flight",
                "Items consumed whose alerts are not all acknowledged yet.",
                "gauge",
            ),
        }
    }

    /// The exposition text for `/metrics`.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        self.items_consumed.render(&mut out);
        self.items_rejected.render(&mut out);
        self.alerts.render(&mut out);
        self.sink_deliveries.render(&mut out);
        self.sink_retries.render(&mut out);
        self.match_duration.render(&mut out);
        self.latency.render(&mut out);
        self.consumer_lag.render(&mut out);
        self.watchlist_terms.render(&mut out);
        self.watchlist_rules.render(&mut out);
        self.reloads.render(&mut out);
        self.in_flight.render(&mut out);
        out
    }
}

/// The process's metrics.
pub fn global() -> &'static Metrics {
    static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);
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
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::DeadLettered => "dead_lettered",
            Outcome::Dropped => "dropped",
        }
    }
}

pub fn items_consumed(n: u64) {
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    global()
        .items_consumed
        .value
        .fetch_add(n, Ordering::Relaxed);
}

pub fn item_rejected(reason: &str) {
    global().items_rejected.add([reason], 1.0);
}

pub fn alert_raised(rule: &str, severity: &str) {
    global().alerts.add([rule, severity], 1.0);
}

pub fn sink_finished(sink: &str, outcome: Outcome) {
    global().sink_deliveries.add([sink, outcome.as_str()], 1.0);
}

pub fn sink_retried(sink: &str) {
    global().sink_retries.add([sink], 1.0);
}

pub fn matched(took: Duration) {
    global().match_duration.observe(took);
}

pub fn alert_latency(latency: Duration) {
    global().latency.observe(latency);
}

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

pub fn watchlist_loaded(terms: usize, rules: usize) {
    let m = global();
    m.watchlist_terms
        .value
        .store(i64::try_from(terms).unwrap_or(i64::MAX), Ordering::Relaxed);
    m.watchlist_rules
        .value
        .store(i64::try_from(rules).unwrap_or(i64::MAX), Ordering::Relaxed);
}

pub fn watchlist_reloaded(ok: bool) {
    global().reloads.add([if ok { "ok" } else { "error" }], 1.0);
}

pub fn in_flight(n: usize) {
    global()
        .in_flight
        .value
        .store(i64::try_from(n).unwrap_or(i64::MAX), Ordering::Relaxed);
}

/// What `/readyz` reports. Set by the consumer (group membership) and the
/// app (watchlist, sinks).
struct Readiness {
    stopping: AtomicBool,
    joined: AtomicBool,
    watchlist: AtomicBool,
    sinks: AtomicBool,
}

static READINESS: Readiness = Readiness {
    stopping: AtomicBool::new(false),
    joined: AtomicBool::new(false),
    watchlist: AtomicBool::new(false),
    sinks: AtomicBool::new(false),
};

/// The consumer joined its group (an assignment arrived, even an empty
/// one), or lost its membership.
pub fn group_joined(joined: bool) {
    READINESS.joined.store(joined, Ordering::Release);
}

/// A watchlist is loaded and matching.
pub fn watchlist_ready() {
    READINESS.watchlist.store(true, Ordering::Release);
}

/// The sinks were built (producer created, webhook clients made).
pub fn sinks_ready(_names: &[String]) {
    READINESS.sinks.store(true, Ordering::Release);
}

/// The daemon is draining to stop.
pub fn stopping() {
    READINESS.stopping.store(true, Ordering::Release);
}

/// `Ok` when ready to process items; else why not.
pub fn readiness() -> Result<(), &'static str> {
    if READINESS.stopping.load(Ordering::Acquire) {
        return Err("shutting down");
    }
    if !READINESS.watchlist.load(Ordering::Acquire) {
        return Err("the watchlist is not loaded yet");
    }
    if !READINESS.sinks.load(Ordering::Acquire) {
        return Err("the sinks are not set up yet");
    }
    if !READINESS.joined.load(Ordering::Acquire) {
        return Err("the consumer has not joined its group (or lost its membership)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
