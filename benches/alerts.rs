//! The alert path when every item alerts (issue 20): what a worker does
//! after decoding an item that raises alerts, `alert::alerts_for` (match,
//! then build each rule's alert) and the alert's JSON
//! (`escape::to_json_shared`, as the pipeline encodes it), against
//! matching alone (`Engine::scan_item`).
//!
//! Items: `tests/fixtures/chip_news.jsonl`, ten chip-export stories on
//! which the default watchlist (`BUILT_IN`) raises 2-4 alerts each, read as
//! Kafka messages. `report/allocations` counts the heap allocations per
//! alert (a counting allocator: exact, and free of the noise of a shared
//! machine); `summary` the times per item and their ratio.
//!
//! `cargo bench --bench alerts` (under a minute); `cargo test --benches`
//! runs each once.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::SystemTime;

use criterion::{Criterion, Throughput};
use newswatch::alert::{self, AlertOptions};
use newswatch::engine::{Engine, Scratch};
use newswatch::item::{self, DecodeOptions, Provenance};
use newswatch::watchlist::{BUILT_IN, Watchlist};

/// Counts allocations (`alloc`, `alloc_zeroed` and `realloc` calls).
struct CountingAlloc;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System` unchanged; only a counter moves.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) };
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn items() -> Vec<Vec<u8>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/chip_news.jsonl"
    );
    let text = std::fs::read_to_string(path).expect("tests/fixtures/chip_news.jsonl");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.as_bytes().to_vec())
        .collect()
}

/// What a worker does with one alerting item after decoding it: its
/// alerts and their JSON. Returns the number of alerts.
fn alert_item(
    engine: &Engine,
    item: &item::NewsItem<'_>,
    opts: &AlertOptions,
    scratch: &mut Scratch,
) -> usize {
    let from = Provenance::Message {
        topic: "news",
        partition: 0,
        offset: 42,
        key: None,
    };
    let alerts = alert::alerts_for(engine, item, &from, opts, SystemTime::now(), scratch);
    let mut n = 0;
    for a in &alerts {
        black_box(newswatch::escape::to_json_shared(&a.alert).expect("alert JSON"));
        n += 1;
    }
    n
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let watchlist = Watchlist::parse(BUILT_IN, None).expect("the default watchlist");
    let engine = Engine::build(std::sync::Arc::new(watchlist)).expect("engine");
    let decode = DecodeOptions::default();
    let opts = AlertOptions::default();
    let raw = items();
    let decoded: Vec<item::NewsItem<'_>> = raw
        .iter()
        .map(|b| item::decode(b, &decode).expect("a fixture item"))
        .collect();
    let mut scratch = Scratch::new();

    // Allocations per alert, counted once (warm scratch buffers first).
    let mut alerts = 0;
    for it in &decoded {
        alerts += alert_item(&engine, it, &opts, &mut scratch);
    }
    let before = ALLOCATIONS.load(Relaxed);
    for it in &decoded {
        alert_item(&engine, it, &opts, &mut scratch);
    }
    let with_alerts = ALLOCATIONS.load(Relaxed) - before;
    let before = ALLOCATIONS.load(Relaxed);
    for it in &decoded {
        black_box(engine.scan_item(it, &mut scratch, opts.max_matches));
    }
    let matching = ALLOCATIONS.load(Relaxed) - before;
    println!(
        "report/allocations: {} items, {alerts} alerts; per alert {:.1} allocations \
         (alerts_for and JSON), of which matching {:.1}",
        decoded.len(),
        with_alerts as f64 / alerts as f64,
        matching as f64 / alerts as f64
    );

    let mut g = c.benchmark_group("alerts");
    g.throughput(Throughput::Elements(decoded.len() as u64));
    g.bench_function("scan_item", |b| {
        b.iter(|| {
            for it in &decoded {
                black_box(engine.scan_item(it, &mut scratch, opts.max_matches));
            }
        })
    });
    g.bench_function("alerts_and_json", |b| {
        b.iter(|| {
            for it in &decoded {
                black_box(alert_item(&engine, it, &opts, &mut scratch));
            }
        })
    });
    g.finish();
    c.final_summary();
}
