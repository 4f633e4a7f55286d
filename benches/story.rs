//! Cost per item of story detection (issue 18) against matching alone, with
//! 10,000 and 1,000,000 stories in the index, and the index's memory.
//!
//! Items: the 1,559 of `tests/fixtures/syndication.jsonl` (267 stories of
//! 2-20 copies: each pass starts 267 stories and joins 1,292 copies, the
//! mix of a syndicated stream). Per item, in one run:
//!
//! - `story/scan`: `Engine::scan` of title and body with the default
//!   watchlist (`BUILT_IN`), matching alone;
//! - `story/sketch`: `Sketch::of`, the part the daemon does outside the
//!   index's lock;
//! - `story/assign_sketch/{10k,1m}`: `StoryIndex::assign_sketch` into an
//!   index already holding 10k or 1M stories at its capacity (each new
//!   story evicts the oldest), every pass on a fresh clone of it;
//! - `story/assign/{10k,1m}`: both, as `StoryIndex::assign`.
//!
//! The stories that fill the index are made of 6 to 10 sentences drawn at
//! random from the fixture's (its sentences recur across stories as
//! background paragraphs do in real news, so candidates from the LSH tables
//! that are not copies occur, and are counted).
//! `report/memory` gives the heap the filled index holds (a counting
//! allocator) beside `memory_bytes()`; `summary` the times per item and
//! their ratios to `story/scan`.
//!
//! `cargo bench --bench story` (about three minutes on two cores, a third
//! of it filling the 1M index); `cargo test --benches` runs each once with
//! 2,000 stories.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant, SystemTime};

use criterion::{Criterion, Throughput};
use newswatch::engine::{Engine, Field, Scratch};
use newswatch::story::{Sketch, StoryConfig, StoryIndex};
use newswatch::watchlist::{BUILT_IN, Watchlist};

/// Counts live heap bytes, for the index's real size.
struct CountingAlloc;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System` unchanged; only a counter moves.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(new_size, Relaxed);
            LIVE.fetch_sub(layout.size(), Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

struct Item {
    id: String,
    title: String,
    body: String,
}

fn items() -> Vec<Item> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/syndication.jsonl"
    );
    let text = std::fs::read_to_string(path).expect("tests/fixtures/syndication.jsonl");
    text.lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
            Item {
                id: s("id"),
                title: s("title"),
                body: s("body"),
            }
        })
        .collect()
}

/// The fixture's distinct sentences (cut after `.`, `。` and line breaks).
fn sentences(items: &[Item]) -> Vec<String> {
    let mut out: Vec<String> = items
        .iter()
        .flat_map(|i| {
            i.body
                .split_inclusive(['.', '。', '\n'])
                .map(str::trim)
                .filter(|s| s.chars().count() > 20)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }
}

const T0: Duration = Duration::from_secs(1_765_000_000);

/// An index at capacity `n`, filled with `n` stories of random sentences,
/// seen over the minutes before `T0`; and the heap it holds.
fn filled(n: usize, pool: &[String]) -> (StoryIndex, usize) {
    let config = StoryConfig::new(0.6, StoryConfig::DEFAULT_WINDOW, n).expect("valid");
    let before = LIVE.load(Relaxed);
    let mut index = StoryIndex::new(config);
    let mut rng = Rng(0x5eed_0018);
    let mut i = 0u64;
    while index.len() < n {
        let title = &pool[rng.below(pool.len())];
        let body: Vec<&str> = (0..6 + rng.below(5))
            .map(|_| pool[rng.below(pool.len())].as_str())
            .collect();
        let seen = SystemTime::UNIX_EPOCH + T0 - Duration::from_millis(n as u64 - i.min(n as u64));
        index.assign(&format!("fill-{i}"), title, &body.join("\n\n"), seen);
        i += 1;
    }
    let held = LIVE.load(Relaxed) - before;
    (index, held)
}

/// Times `iters` calls of `each` over the items in order, each pass over
/// them on a fresh clone of `base`.
fn passes(
    base: &StoryIndex,
    items: &[Item],
    iters: u64,
    each: &mut dyn FnMut(&mut StoryIndex, usize, SystemTime),
) -> Duration {
    let mut total = Duration::ZERO;
    let mut done = 0u64;
    while done < iters {
        let mut index = base.clone();
        let n = (iters - done).min(items.len() as u64) as usize;
        let start = Instant::now();
        for i in 0..n {
            // A second apart, from T0: within the window of every story.
            let seen = SystemTime::UNIX_EPOCH + T0 + Duration::from_secs(i as u64);
            each(&mut index, i, seen);
        }
        total += start.elapsed();
        done += n as u64;
    }
    total
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bench = args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test");
    let started = SystemTime::now();
    let items = items();
    let pool = sentences(&items);
    let watchlist = Watchlist::parse(BUILT_IN, None).expect("the built-in watchlist");
    let engine = Engine::build(Arc::new(watchlist)).expect("engine builds");
    let sketches: Vec<Sketch> = items
        .iter()
        .map(|i| Sketch::of(&i.title, &i.body))
        .collect();
    let sizes: &[(usize, &str)] = if bench {
        &[(10_000, "10k"), (1_000_000, "1m")]
    } else {
        &[(2_000, "2k")]
    };
    let mut indexes = Vec::new();
    for &(n, name) in sizes {
        let t = Instant::now();
        let (index, held) = filled(n, &pool);
        println!(
            "report/memory/{name}: {} stories from {} sentences filled in {:.1} s; heap held {:.1} MiB \
             ({:.0} bytes per story), memory_bytes() {:.1} MiB",
            index.len(),
            pool.len(),
            t.elapsed().as_secs_f64(),
            held as f64 / (1 << 20) as f64,
            held as f64 / n as f64,
            index.memory_bytes() as f64 / (1 << 20) as f64,
        );
        indexes.push((name, index));
    }

    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .sample_size(10)
        .configure_from_args();
    let mut g = c.benchmark_group("story");
    g.throughput(Throughput::Elements(1));
    let mut scratch = Scratch::new();
    let mut k = 0;
    g.bench_function("scan", |b| {
        b.iter(|| {
            let it = &items[k % items.len()];
            k += 1;
            let fields = [
                Field {
                    name: "title",
                    text: &it.title,
                },
                Field {
                    name: "body",
                    text: &it.body,
                },
            ];
            black_box(engine.scan(&fields, &mut scratch, 50))
        })
    });
    let mut k = 0;
    g.bench_function("sketch", |b| {
        b.iter(|| {
            let it = &items[k % items.len()];
            k += 1;
            black_box(Sketch::of(&it.title, &it.body))
        })
    });
    for (name, base) in &indexes {
        g.bench_function(format!("assign_sketch/{name}"), |b| {
            b.iter_custom(|iters| {
                passes(base, &items, iters, &mut |ix, i, seen| {
                    black_box(ix.assign_sketch(&items[i].id, &sketches[i], seen));
                })
            })
        });
        g.bench_function(format!("assign/{name}"), |b| {
            b.iter_custom(|iters| {
                passes(base, &items, iters, &mut |ix, i, seen| {
                    let it = &items[i];
                    black_box(ix.assign(&it.id, &it.title, &it.body, seen));
                })
            })
        });
    }
    g.finish();
    c.final_summary();
    if bench {
        summary(started, &indexes);
    }
}

/// Where criterion keeps its results (near enough to how it decides).
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return home.into();
    }
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
            PathBuf::from,
        )
        .join("criterion")
}

/// Mean seconds per item of a benchmark of this run.
fn mean_secs(id: &str, since: SystemTime) -> Option<f64> {
    let path = criterion_dir()
        .join("story")
        .join(id.replace('/', "_"))
        .join("new/estimates.json");
    let fresh = std::fs::metadata(&path).and_then(|m| m.modified()).ok()? >= since;
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).ok()?).ok()?;
    let ns = json["mean"]["point_estimate"].as_f64()?;
    fresh.then_some(ns / 1e9)
}

fn summary(since: SystemTime, indexes: &[(&str, StoryIndex)]) {
    let scan = mean_secs("scan", since);
    let show = |id: &str| match (mean_secs(id, since), scan) {
        (Some(t), Some(s)) => format!("{id} {:.2} µs ({:.2} of scan)", t * 1e6, t / s),
        (Some(t), None) => format!("{id} {:.2} µs", t * 1e6),
        _ => format!("{id} n/a"),
    };
    println!(
        "summary: per item: scan {}",
        scan.map_or("n/a".into(), |s| format!("{:.2} µs", s * 1e6))
    );
    println!("summary: {}", show("sketch"));
    for (name, _) in indexes {
        println!(
            "summary: {}; {}",
            show(&format!("assign_sketch/{name}")),
            show(&format!("assign/{name}"))
        );
    }
}
