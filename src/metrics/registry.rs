//! The metric types behind `/metrics`: labelled families, unlabelled
//! scalars and fixed-bucket histograms, rendered in the Prometheus text
//! exposition format 0.0.4. Counters on the per-item path are plain
//! atomics; labelled families take a mutex and are used per alert or per
//! delivery, not per item.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// A counter or gauge family with `N` labels.
pub(super) struct Family<const N: usize> {
    name: &'static str,
    help: &'static str,
    kind: &'static str,
    labels: [&'static str; N],
    values: Mutex<BTreeMap<[String; N], f64>>,
}

impl<const N: usize> Family<N> {
    pub(super) const fn new(
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

    pub(super) fn add(&self, labels: [&str; N], by: f64) {
        self.update(labels, |v| *v += by);
    }

    pub(super) fn set(&self, labels: [&str; N], to: f64) {
        self.update(labels, |v| *v = to);
    }

    /// Drops the series whose labels `keep` rejects (partitions this process
    /// no longer owns).
    pub(super) fn retain(&self, keep: impl Fn(&[String; N]) -> bool) {
        let mut values = self.values.lock().unwrap_or_else(|e| e.into_inner());
        values.retain(|k, _| keep(k));
    }

    pub(super) fn render(&self, out: &mut String) {
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
pub(super) struct Scalar {
    name: &'static str,
    help: &'static str,
    kind: &'static str,
    pub(super) value: AtomicI64,
}

impl Scalar {
    pub(super) const fn new(name: &'static str, help: &'static str, kind: &'static str) -> Self {
        Scalar {
            name,
            help,
            kind,
            value: AtomicI64::new(0),
        }
    }

    pub(super) fn render(&self, out: &mut String) {
        header(out, self.name, self.help, self.kind);
        let _ = writeln!(out, "{} {}", self.name, self.value.load(Ordering::Relaxed));
    }
}

/// A histogram of seconds with fixed buckets, lock-free.
pub(super) struct Histogram {
    name: &'static str,
    help: &'static str,
    bounds: &'static [f64],
    /// Per bucket, not cumulative; the last one is `+Inf`.
    buckets: Vec<AtomicU64>,
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Histogram {
    pub(super) fn new(name: &'static str, help: &'static str, bounds: &'static [f64]) -> Self {
        Histogram {
            name,
            help,
            bounds,
            buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum_nanos: AtomicU64::new(0),
        }
    }

    pub(super) fn observe(&self, d: Duration) {
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

    pub(super) fn render(&self, out: &mut String) {
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

pub(super) fn header(out: &mut String, name: &str, help: &str, kind: &str) {
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
