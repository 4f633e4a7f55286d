//! Throughput of the normalizer, the bare automata and `Engine::scan` over a
//! generated multilingual news corpus (`tests/support/src/corpus.rs`), plus
//! printed reports criterion cannot make: match density of the corpus
//! (`report/corpus`), engine build time and memory at 10k, 100k and, when it
//! fits in about 20 s, 1M terms (`report/build`), the DFA against the
//! contiguous NFA around `DFA_MAX_PATTERNS` (`report/dfa_vs_nfa`), and at the
//! end a `summary` of the criterion figures with their ratios and goals. The engine's ratio to
//! the bare automaton is given against the kind of automaton the engine
//! really built (read from its `Debug` output) and against the other kind.
//!
//! `cargo bench --bench engine` runs everything (four to five minutes on
//! two cores). Every corpus figure uses the corpus's *original* byte count as
//! its throughput, also for the automaton group that scans the
//! pre-normalized text, so MB/s figures compare as inverse times. A criterion
//! filter (`cargo bench --bench engine -- engine/`) also selects the reports,
//! as a plain substring of their names. `cargo test --benches` runs each
//! benchmark once on a small corpus.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::OnceCell;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant, SystemTime};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput, measurement::WallTime};
use newswatch::engine::automaton::DFA_MAX_PATTERNS;
use newswatch::engine::{Engine, Field, Scratch};
use newswatch::text::normalize::{Form, NormText, normalize_into, reference};
use newswatch::watchlist::Watchlist;
use newswatch_test_support::corpus;

/// Counts live heap bytes, so the build report can give what an `Engine`
/// really holds beside what `memory_usage` (the automata and their term
/// lists) says. Two
/// relaxed atomic operations per allocation; the hot paths measured below
/// allocate little (`reference` allocates per item, as it would anyway).
struct CountingAlloc;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Relaxed) + by;
    PEAK.fetch_max(now, Relaxed);
}

// SAFETY: every call is forwarded to `System` unchanged; only counters move.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
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
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Runs `f`; returns its result, the heap it left allocated and the peak
/// extra heap while it ran, in bytes.
fn heap_of<T>(f: impl FnOnce() -> T) -> (T, isize, usize) {
    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    let r = f();
    let kept = LIVE.load(Relaxed) as isize - before as isize;
    (r, kept, PEAK.load(Relaxed) - before)
}

fn mib(bytes: impl Into<f64>) -> f64 {
    bytes.into() / (1 << 20) as f64
}

/// Size of the mixed corpus and of the ASCII text.
const CORPUS_BYTES: usize = 4 << 20;
/// The same when criterion only tests that each benchmark runs (`cargo test
/// --benches`, a debug build).
const TEST_CORPUS_BYTES: usize = 128 << 10;
/// Chunk size for the "ASCII as news items" variant.
const ASCII_ITEM_BYTES: usize = 2048;

struct Data {
    items: Vec<String>,
    /// `reference(item, Form::Folded)` of every item.
    normalized: Vec<String>,
    raw_bytes: u64,
    ascii: String,
    /// `ascii` cut into items of about `ASCII_ITEM_BYTES` at spaces.
    ascii_items: Vec<String>,
}

impl Data {
    fn new(bytes: usize) -> Self {
        let items = corpus::corpus(bytes);
        let normalized: Vec<String> = items.iter().map(|t| reference(t, Form::Folded)).collect();
        let raw_bytes = items.iter().map(|t| t.len() as u64).sum();
        let ascii = corpus::ascii_english(bytes);
        let ascii_items = corpus::split_at_spaces(&ascii, ASCII_ITEM_BYTES);
        Data {
            items,
            normalized,
            raw_bytes,
            ascii,
            ascii_items,
        }
    }
}

fn watchlist(n_terms: usize, n_rules: usize) -> Watchlist {
    Watchlist::parse(&corpus::watchlist_toml(n_terms, n_rules), None)
        .unwrap_or_else(|p| panic!("generated watchlist is invalid: {:?}", &p[..p.len().min(5)]))
}

fn engine(n_terms: usize, n_rules: usize) -> Engine {
    Engine::build(Arc::new(watchlist(n_terms, n_rules))).expect("engine builds")
}

/// An engine of `n_rules` rules of the operators of SPEC 2b
/// (`corpus::when_2b`) over 10,000 terms, "when few match" (issue 17): the
/// first 10 rules are those of `corpus::Operators::Spec2b` (over sets that
/// match the corpus `items`), the others pair sets of which no term
/// occurs in `items`. With presearch, the others are never evaluated.
fn engine_2b(items: &[String], n_rules: usize) -> Engine {
    let toml = corpus::watchlist_toml_with(10_000, 10, corpus::Operators::Spec2b);
    let w = Watchlist::parse(&toml, None).expect("generated watchlist loads");
    let probe = Engine::build(Arc::new(w.clone())).expect("engine builds");
    let mut matched = vec![false; w.sets.len()];
    let mut scratch = Scratch::new();
    for text in items {
        for m in probe.find_matches(&[Field { name: "body", text }], &mut scratch) {
            if let newswatch::watchlist::Operand::Set(s) = m.operand {
                matched[s] = true;
            }
        }
    }
    let silent: Vec<&str> = w
        .sets
        .iter()
        .zip(&matched)
        .filter(|(_, m)| !**m)
        .map(|(s, _)| &*s.name)
        .collect();
    assert!(silent.len() >= 2, "too few sets never match the corpus");
    let mut toml = toml;
    for i in 10..n_rules {
        let a = silent[i % silent.len()];
        let b = silent[(i / silent.len() + 1 + i) % silent.len()];
        let when = corpus::when_2b(i, a, b);
        toml.push_str(&format!("[[rules]]\nid = \"q{i:05}\"\nwhen = '{when}'\n"));
    }
    let w = Watchlist::parse(&toml, None)
        .unwrap_or_else(|p| panic!("generated watchlist is invalid: {:?}", &p[..p.len().min(5)]));
    Engine::build(Arc::new(w)).expect("engine builds")
}

/// The patterns the engine's folded automaton holds for `w`: normalized
/// terms without `*`, each distinct pattern once, in the same order.
fn patterns(w: &Watchlist) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    w.sets
        .iter()
        .flat_map(|s| s.terms.iter())
        .map(|t| t.pattern.clone())
        .chain(w.inline_terms.iter().map(|t| t.pattern.clone()))
        .filter(|p| seen.insert(p.clone()))
        .collect()
}

fn build_ac(patterns: &[String], kind: AhoCorasickKind) -> AhoCorasick {
    AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .kind(Some(kind))
        .build(patterns)
        .expect("automaton builds")
}

fn count_matches(ac: &AhoCorasick, texts: &[String]) -> usize {
    texts
        .iter()
        .map(|t| ac.find_overlapping_iter(t.as_str()).count())
        .sum()
}

/// Scans every item as one "body" field; returns the number of rule hits.
fn scan_all(engine: &Engine, items: &[String], scratch: &mut Scratch) -> usize {
    items
        .iter()
        .map(|text| {
            let fields = [Field { name: "body", text }];
            engine.scan(&fields, scratch, 50).len()
        })
        .sum()
}

fn mb_per_s(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / d.as_secs_f64() / 1e6
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..runs {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed());
        out = Some(r);
    }
    (best, out.expect("runs > 0"))
}

// ------------------------------------------------------------ criterion

fn corpus_group<'a>(c: &'a mut Criterion, name: &str, bytes: u64) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    // One pass over the corpus takes milliseconds to a tenth of a second:
    // flat sampling keeps a run at `sample_size` iterations, not 55.
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::BytesDecimal(bytes));
    g
}

fn bench_normalize(c: &mut Criterion, d: &Data) {
    let mut g = corpus_group(c, "normalize", d.raw_bytes);
    let mut out = NormText::new();
    g.bench_function("normalize_into/mixed", |b| {
        b.iter(|| {
            let mut n = 0;
            for t in &d.items {
                normalize_into(t, Form::Folded, &mut out);
                n += out.as_str().len();
            }
            black_box(n)
        })
    });
    g.bench_function("reference/mixed", |b| {
        b.iter(|| {
            d.items
                .iter()
                .map(|t| reference(t, Form::Folded).len())
                .sum::<usize>()
        })
    });
    let mut buf = String::new();
    g.bench_function("to_ascii_lowercase/mixed", |b| {
        b.iter(|| {
            let mut n = 0;
            for t in &d.items {
                buf.clear();
                buf.push_str(t);
                buf.make_ascii_lowercase();
                n += buf.len();
            }
            black_box(n)
        })
    });
    g.throughput(Throughput::BytesDecimal(d.ascii.len() as u64));
    g.bench_function("normalize_into/ascii", |b| {
        b.iter(|| {
            normalize_into(&d.ascii, Form::Folded, &mut out);
            black_box(out.as_str().len())
        })
    });
    g.bench_function("normalize_into/ascii_2k_items", |b| {
        b.iter(|| {
            let mut n = 0;
            for t in &d.ascii_items {
                normalize_into(t, Form::Folded, &mut out);
                n += out.as_str().len();
            }
            black_box(n)
        })
    });
    g.bench_function("reference/ascii", |b| {
        b.iter(|| reference(&d.ascii, Form::Folded).len())
    });
    buf.reserve(d.ascii.len());
    g.bench_function("to_ascii_lowercase/ascii", |b| {
        b.iter(|| {
            buf.clear();
            buf.push_str(&d.ascii);
            buf.make_ascii_lowercase();
            black_box(buf.len())
        })
    });
    g.finish();
}

fn bench_automaton(c: &mut Criterion, d: &Data) {
    let mut g = corpus_group(c, "automaton", d.raw_bytes);
    let cases = [
        (100, AhoCorasickKind::DFA, "dfa"),
        (1_000, AhoCorasickKind::DFA, "dfa"),
        (1_000, AhoCorasickKind::ContiguousNFA, "cnfa"),
        (10_000, AhoCorasickKind::DFA, "dfa"),
        (10_000, AhoCorasickKind::ContiguousNFA, "cnfa"),
        (100_000, AhoCorasickKind::ContiguousNFA, "cnfa"),
    ];
    for (n, kind, label) in cases {
        let ac = OnceCell::new();
        g.bench_function(format!("{label}/{}", short(n)), |b| {
            let ac = ac.get_or_init(|| build_ac(&patterns(&watchlist(n, 10)), kind));
            b.iter(|| count_matches(ac, &d.normalized))
        });
    }
    g.finish();
}

/// The kind of the engine's automaton for each (terms, rules) case whose
/// engine this run built.
type Kinds = Vec<((usize, usize), String)>;

fn bench_engine(c: &mut Criterion, d: &Data) -> Kinds {
    let mut g = corpus_group(c, "engine", d.raw_bytes);
    let cases = [
        (100, 10),
        (1_000, 10),
        (10_000, 10),
        (100_000, 10),
        (10_000, 1_000),
        (10_000, 10_000),
    ];
    let mut scratch = Scratch::new();
    let mut kinds = Vec::new();
    for (n_terms, n_rules) in cases {
        let e = OnceCell::new();
        let id = format!("scan/{}_terms/{}_rules", short(n_terms), short(n_rules));
        g.bench_function(id, |b| {
            let e = e.get_or_init(|| engine(n_terms, n_rules));
            b.iter(|| scan_all(e, &d.items, &mut scratch))
        });
        if let Some(e) = e.get() {
            kinds.push(((n_terms, n_rules), engine_kind(e)));
        }
    }
    // Presearch with the operators of SPEC 2b (issue 17): 10,000 rules
    // against 10 over the same terms, when few match.
    for n_rules in [10, 10_000] {
        let e = OnceCell::new();
        let id = format!("scan_2b/10k_terms/{}_rules", short(n_rules));
        g.bench_function(id, |b| {
            let e = e.get_or_init(|| engine_2b(&d.items, n_rules));
            b.iter(|| scan_all(e, &d.items, &mut scratch))
        });
    }
    g.finish();
    kinds
}

/// The kind of the engine's (folded) automaton, `DFA` or `ContiguousNFA`,
/// as its `Debug` output gives it: the engine's own choice, not a guess from
/// `DFA_MAX_PATTERNS`. The output is scanned as it is written and cut short
/// once the kind is seen, so a large watchlist costs time but no memory.
fn engine_kind(e: &Engine) -> String {
    const MARK: &str = "Automaton { kind: ";
    #[derive(Default)]
    struct Sniff {
        tail: String,
        kind: Option<String>,
    }
    impl std::fmt::Write for Sniff {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.tail.push_str(s);
            if let Some(i) = self.tail.find(MARK) {
                let rest = &self.tail[i + MARK.len()..];
                if let Some(j) = rest.find(',') {
                    self.kind = Some(rest[..j].to_owned());
                    return Err(std::fmt::Error); // stop formatting
                }
            } else if self.tail.len() > 4 * MARK.len() {
                let mut cut = self.tail.len() - MARK.len();
                while !self.tail.is_char_boundary(cut) {
                    cut += 1;
                }
                self.tail.drain(..cut);
            }
            Ok(())
        }
    }
    let mut sniff = Sniff::default();
    let _ = std::fmt::write(&mut sniff, format_args!("{e:?}"));
    sniff.kind.unwrap_or_else(|| "?".to_owned())
}

/// The automaton benchmark label of a kind as `engine_kind` gives it.
fn kind_label(kind: &str) -> &'static str {
    match kind {
        "DFA" => "dfa",
        "ContiguousNFA" => "cnfa",
        _ => "?",
    }
}

fn short(n: usize) -> String {
    if n >= 1000 && n.is_multiple_of(1000) {
        format!("{}k", n / 1000)
    } else {
        n.to_string()
    }
}

// ------------------------------------------------------------ reports

/// What the corpus looks like to the engine: sizes and match density.
fn report_corpus(d: &Data) {
    let norm_bytes: usize = d.normalized.iter().map(String::len).sum();
    println!(
        "report/corpus: {} items, {:.2} MB original, {:.2} MB normalized; ASCII text {:.2} MB",
        d.items.len(),
        d.raw_bytes as f64 / 1e6,
        norm_bytes as f64 / 1e6,
        d.ascii.len() as f64 / 1e6
    );
    for (n_terms, n_rules) in [(100, 10), (10_000, 10), (10_000, 10_000), (100_000, 10)] {
        let e = engine(n_terms, n_rules);
        let mut scratch = Scratch::new();
        let (mut matches, mut matched_items, mut hit_items) = (0, 0, 0);
        for text in &d.items {
            let fields = [Field { name: "body", text }];
            let m = e.find_matches(&fields, &mut scratch).len();
            matches += m;
            matched_items += usize::from(m > 0);
            hit_items += usize::from(!e.scan(&fields, &mut scratch, 50).is_empty());
        }
        println!(
            "report/corpus: {} terms, {} rules: {:.2} term matches per item, {:.1}% of items \
             with a match, {:.1}% with a rule hit",
            n_terms,
            n_rules,
            matches as f64 / d.items.len() as f64,
            100.0 * matched_items as f64 / d.items.len() as f64,
            100.0 * hit_items as f64 / d.items.len() as f64
        );
    }
}

/// What `report_build` measured for one watchlist size (10 rules).
struct Built {
    terms: usize,
    kind: String,
    patterns: usize,
    toml_bytes: usize,
    generate: Duration,
    parse: Duration,
    build: Duration,
    /// Builds `build` is the best of.
    runs: usize,
    memory_usage: usize,
    heap: isize,
    peak: usize,
}

impl Built {
    fn print(&self, prefix: &str) {
        println!(
            "{prefix}: {} terms ({}, {} patterns): TOML {:.1} MB generated in {:.2} s, \
             Watchlist::parse {:.3} s, Engine::build {:.3} s (best of {}); memory_usage \
             {:.1} MiB, heap held by the Engine {:.1} MiB (peak {:.1} MiB while building)",
            self.terms,
            self.kind,
            self.patterns,
            self.toml_bytes as f64 / 1e6,
            self.generate.as_secs_f64(),
            self.parse.as_secs_f64(),
            self.build.as_secs_f64(),
            self.runs,
            mib(self.memory_usage as f64),
            mib(self.heap as f64),
            mib(self.peak as f64),
        );
    }
}

/// Terms of the largest build measured, and the time it may take.
const HUGE_TERMS: usize = 1_000_000;
const HUGE_BUDGET: Duration = Duration::from_secs(20);

/// Generation, parse and build times and memory at 10k and 100k terms (10
/// rules), then at `HUGE_TERMS` when that looks like fitting in
/// `HUGE_BUDGET` (ten times the 100k times, plus a fifth) and does, phase
/// by phase; skipped with a note otherwise.
fn report_build() -> Vec<Built> {
    let mut out: Vec<Built> = Vec::new();
    for n in [10_000, 100_000, HUGE_TERMS] {
        let huge = n == HUGE_TERMS;
        let started = Instant::now();
        let over = |phase: &str| {
            let over = huge && started.elapsed() > HUGE_BUDGET;
            if over {
                println!(
                    "report/build: {n} terms: skipped, {phase} alone took {:.1} s (budget {} s)",
                    started.elapsed().as_secs_f64(),
                    HUGE_BUDGET.as_secs()
                );
            }
            over
        };
        if huge {
            let Some(last) = out.last() else { break };
            let scale = n as f64 / last.terms as f64 * 1.2;
            let guess = (last.generate + last.parse + last.build).mul_f64(scale);
            if guess > HUGE_BUDGET {
                println!(
                    "report/build: {n} terms: skipped, about {:.0} s expected from {} terms \
                     (budget {} s)",
                    guess.as_secs_f64(),
                    last.terms,
                    HUGE_BUDGET.as_secs()
                );
                break;
            }
        }
        let runs = if huge { 1 } else { 3 };
        let (generate, toml) = best_of(1, || corpus::watchlist_toml(n, 10));
        if over("generating the TOML") {
            break;
        }
        let (parse, w) = best_of(runs, || {
            Watchlist::parse(&toml, None).unwrap_or_else(|p| {
                panic!("generated watchlist is invalid: {:?}", &p[..p.len().min(5)])
            })
        });
        if over("generating and parsing") {
            break;
        }
        let toml_bytes = toml.len();
        drop(toml);
        let w = Arc::new(w);
        let build_once = || Engine::build(Arc::clone(&w)).expect("engine builds");
        let (build, e) = if huge {
            // One build, timed and counted at once.
            let t = Instant::now();
            let (e, heap, peak) = heap_of(build_once);
            (t.elapsed(), (e, heap, peak))
        } else {
            let (build, e) = best_of(runs, build_once);
            drop(e);
            (build, heap_of(build_once))
        };
        let (e, heap, peak) = e;
        let built = Built {
            terms: n,
            kind: engine_kind(&e),
            patterns: e.pattern_count(),
            toml_bytes,
            generate,
            parse,
            build,
            runs,
            memory_usage: e.memory_usage(),
            heap,
            peak,
        };
        built.print("report/build");
        if huge && started.elapsed() > HUGE_BUDGET {
            println!(
                "report/build: {n} terms: note: took {:.1} s in all, over the {} s budget",
                started.elapsed().as_secs_f64(),
                HUGE_BUDGET.as_secs()
            );
        }
        out.push(built);
    }
    out
}

/// DFA against contiguous NFA: build time, memory and scan throughput (best
/// of 3) over the normalized corpus, around `DFA_MAX_PATTERNS`.
fn report_dfa_vs_nfa(d: &Data) {
    println!("report/dfa_vs_nfa: DFA_MAX_PATTERNS = {DFA_MAX_PATTERNS}");
    for n in [1_000, 2_000, 3_000, 5_000, 10_000, 20_000] {
        let pats = patterns(&watchlist(n, 10));
        let mut line = format!("report/dfa_vs_nfa: {} patterns:", pats.len());
        let mut speeds = Vec::new();
        for (kind, label) in [
            (AhoCorasickKind::DFA, "DFA"),
            (AhoCorasickKind::ContiguousNFA, "CNFA"),
        ] {
            let (build, ac) = best_of(1, || build_ac(&pats, kind));
            let (scan, _) = best_of(3, || count_matches(&ac, &d.normalized));
            let speed = mb_per_s(d.raw_bytes, scan);
            speeds.push(speed);
            line.push_str(&format!(
                " {label} {speed:.0} MB/s, build {:.1} ms, {:.1} MiB;",
                build.as_secs_f64() * 1e3,
                mib(ac.memory_usage() as f64)
            ));
        }
        line.push_str(&format!(" DFA/CNFA {:.2}", speeds[0] / speeds[1]));
        println!("{line}");
    }
}

/// The command line as criterion sees it: benchmark mode, and the filter.
struct Args {
    bench: bool,
    filter: Option<String>,
}

fn args() -> Args {
    // Criterion options that take a value, when not given as `--opt=value`.
    const WITH_VALUE: &[&str] = &[
        "-c",
        "--color",
        "--colour",
        "-s",
        "--save-baseline",
        "-b",
        "--baseline",
        "--baseline-lenient",
        "--load-baseline",
        "--sample-size",
        "--warm-up-time",
        "--measurement-time",
        "--nresamples",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--profile-time",
        "--plotting-backend",
        "--output-format",
        "--format",
    ];
    let args: Vec<String> = std::env::args().skip(1).collect();
    let has = |f: &str| args.iter().any(|a| a == f);
    let mut filter = None;
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if WITH_VALUE.contains(&a.as_str()) {
            i += 1;
        } else if !a.starts_with('-') && filter.is_none() {
            filter = Some(a.clone());
        }
        i += 1;
    }
    Args {
        bench: has("--bench") && !has("--test") && !has("--list"),
        filter,
    }
}

fn main() {
    let args = args();
    let started = SystemTime::now();
    let wants = |name: &str| args.bench && args.filter.as_ref().is_none_or(|f| name.contains(f));
    let t = Instant::now();
    let data = Data::new(if args.bench {
        CORPUS_BYTES
    } else {
        TEST_CORPUS_BYTES
    });
    if args.bench {
        println!(
            "report/setup: corpus generated and normalized in {:.2} s",
            t.elapsed().as_secs_f64()
        );
    }
    if wants("report/corpus") {
        report_corpus(&data);
    }
    let built = if wants("report/build") {
        report_build()
    } else {
        Vec::new()
    };
    if wants("report/dfa_vs_nfa") {
        report_dfa_vs_nfa(&data);
    }

    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(10)
        .configure_from_args();
    bench_normalize(&mut c, &data);
    bench_automaton(&mut c, &data);
    let kinds = bench_engine(&mut c, &data);
    c.final_summary();
    if args.bench {
        summary(&data, started, &kinds, &built);
    }
}

/// Where criterion keeps its results, as it decides it (near enough).
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

/// Mean time per iteration in seconds of a benchmark measured by this run
/// (older results, of benchmarks filtered out, are ignored).
fn mean_secs(group: &str, id: &str, since: SystemTime) -> Option<f64> {
    let path = criterion_dir()
        .join(group)
        .join(id.replace('/', "_"))
        .join("new/estimates.json");
    let fresh = std::fs::metadata(&path).and_then(|m| m.modified()).ok()? >= since;
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).ok()?).ok()?;
    let ns = json["mean"]["point_estimate"].as_f64()?;
    fresh.then_some(ns / 1e9)
}

/// The figures that matter, with their ratios and goals, from criterion's
/// results of this run, and the build figures of `report_build`.
fn summary(d: &Data, since: SystemTime, kinds: &Kinds, built: &[Built]) {
    let mixed = d.raw_bytes as f64;
    let ascii = d.ascii.len() as f64;
    let rate =
        |group: &str, id: &str, bytes: f64| mean_secs(group, id, since).map(|s| bytes / s / 1e6);
    let show = |v: Option<f64>| v.map_or("n/a".to_owned(), |v| format!("{v:.0} MB/s"));
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => format!("{:.2}", a / b),
        _ => "n/a".to_owned(),
    };
    let goal = |v: Option<f64>, goal: f64| match v {
        Some(v) if v >= goal => format!("goal >= {goal:.0}: met"),
        Some(v) => format!(
            "goal >= {goal:.0}: short by {:.0} MB/s, {:.0}%",
            goal - v,
            100.0 * (goal - v) / goal
        ),
        None => format!("goal >= {goal:.0}"),
    };
    println!("summary: MB/s of original text (mean of criterion's samples)");
    for (label, corpus, bytes) in [("mixed", "mixed", mixed), ("ASCII", "ascii", ascii)] {
        let norm = rate("normalize", &format!("normalize_into/{corpus}"), bytes);
        let refr = rate("normalize", &format!("reference/{corpus}"), bytes);
        let lower = rate("normalize", &format!("to_ascii_lowercase/{corpus}"), bytes);
        println!(
            "summary: normalize_into {label} {} ({}); reference {}, ratio {}; \
             to_ascii_lowercase {}, ratio {}",
            show(norm),
            goal(norm, if corpus == "ascii" { 2000.0 } else { 300.0 }),
            show(refr),
            ratio(norm, refr),
            show(lower),
            ratio(norm, lower)
        );
    }
    println!(
        "summary: normalize_into ASCII in 2 KB items {}",
        show(rate("normalize", "normalize_into/ascii_2k_items", ascii))
    );
    let autos = [
        "dfa/100",
        "dfa/1k",
        "cnfa/1k",
        "dfa/10k",
        "cnfa/10k",
        "cnfa/100k",
    ];
    let line: Vec<String> = autos
        .iter()
        .map(|id| format!("{id} {}", show(rate("automaton", id, mixed))))
        .collect();
    println!("summary: bare automaton: {}", line.join(", "));
    let kind_of = |n_terms: usize, n_rules: usize| {
        kinds
            .iter()
            .find(|(k, _)| *k == (n_terms, n_rules))
            .map_or("?", |(_, kind)| kind.as_str())
    };
    for (n_terms, n_rules) in [
        (100, 10),
        (1_000, 10),
        (10_000, 10),
        (100_000, 10),
        (10_000, 1_000),
        (10_000, 10_000),
    ] {
        let (terms, rules) = (short(n_terms), short(n_rules));
        let kind = kind_of(n_terms, n_rules);
        let engine = rate(
            "engine",
            &format!("scan/{terms}_terms/{rules}_rules"),
            mixed,
        );
        let mut line = format!(
            "summary: engine {terms} terms, {rules} rules ({kind}): {}",
            show(engine)
        );
        for label in ["dfa", "cnfa"] {
            let id = format!("{label}/{terms}");
            let auto = rate("automaton", &id, mixed);
            if n_rules != 10 || (auto.is_none() && label != kind_label(kind)) {
                continue;
            }
            let same = if label == kind_label(kind) {
                ", same kind"
            } else {
                ", other kind"
            };
            let goal = if n_terms == 10_000 && label == kind_label(kind) {
                " (goal >= 0.70)"
            } else {
                ""
            };
            line.push_str(&format!(
                "; / bare {id}{same} {}: {}{goal}",
                show(auto),
                ratio(engine, auto)
            ));
        }
        println!("{line}");
    }
    let ten = rate("engine", "scan_2b/10k_terms/10_rules", mixed);
    let many = rate("engine", "scan_2b/10k_terms/10k_rules", mixed);
    println!(
        "summary: engine 10k terms, rules of SPEC 2b, few match: 10 rules {}, 10k rules {}; \
         10k / 10: {} (presearch)",
        show(ten),
        show(many),
        ratio(many, ten)
    );
    for b in built {
        b.print("summary: build");
    }
}
