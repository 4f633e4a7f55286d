//! Throughput of the normalizer and of `Engine::scan` on clean and on dirty
//! text (SPEC 2a, "Text as publishers send it"), in a form that builds
//! against the code before SPEC 2a as well as after it, so that
//! `scripts/bench-text.sh` can run the two builds in turns and give
//! new ÷ old ratios measured minutes, not hours, apart.
//!
//! Only API both sides have is used: `Watchlist::parse`, `Engine::build`,
//! `Engine::scan`, `normalize_into` and the test-support corpus (the script
//! copies this checkout's `tests/support/src/corpus.rs` into the older
//! tree, for `corpus::dirty`). Where their signatures changed, the script
//! builds the older side with a cfg naming the old one:
//!
//! - `newswatch_fold_bool`: `normalize_into(text, fold: bool, out)`, before
//!   SPEC 2a (a `Form` since). It also leaves out the cases that need
//!   `confusables = true` (the older loader refuses the key).
//! - `newswatch_scan_unbounded`: `Engine::scan(fields, scratch)`, before
//!   issue 14 (`max_matches` since; 50 here, the default of
//!   `alerts.max_matches`).
//!
//! ```text
//! bench_text list                 the cases this build can run
//! bench_text run CASE             one case: `result` lines, tab-separated
//! bench_text summarize FILE       Markdown tables from the script's results
//! ```
//!
//! A case measures passes over its whole corpus, one after another, for
//! `NEWSWATCH_BENCH_SECONDS` (default 1) after one warm-up pass, at least
//! five; the corpora are `NEWSWATCH_BENCH_BYTES` (default 4 MiB) of
//! `corpus::ascii_english` (normalized whole, scanned as 2 KB items),
//! `corpus::corpus` ("mixed": English, Russian, Chinese items of 1-3 KB)
//! and `corpus::dirty` (the same items with publisher debris). MB/s are of
//! the corpus's own bytes, best pass and median pass, timed by the thread's
//! CPU time (Linux), so that waiting for a core shared with other work does
//! not count; the best pass by wall time is given too.
//! `normalize/ascii-no-hyphens` is the ASCII text with its `-` (in ` -- `
//! dashes) as `;`: it shows what hyphens, which SPEC 2a makes spaces, cost
//! on ASCII text.
//!
//! `scan/default/*` is `config/watchlist.toml` without its `confusables`
//! keys on both sides (the older loader refuses them), so the two do the
//! same work: one pass of the folded automaton. `confusables/*` cases (new
//! code only) run three engines in turns, pass by pass: that watchlist,
//! the file as shipped (`confusables = true` on some sets), and with
//! `confusables = true` on every set that is not case-sensitive.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use newswatch::engine::{Engine, Field, Scratch};
#[cfg(not(newswatch_fold_bool))]
use newswatch::text::normalize::Form;
use newswatch::text::normalize::{NormText, normalize_into};
use newswatch::watchlist::Watchlist;
use newswatch_test_support::{corpus, root};

/// Items the ASCII text is cut into for the engine, in bytes.
const ASCII_ITEM_BYTES: usize = 2048;
/// Rows whose new ÷ old ratio must be at least this (clean text).
const REQUIRED_RATIO: f64 = 0.95;

/// `normalize_into(text, folded, out)` in the API of the side built.
#[cfg(not(newswatch_fold_bool))]
fn normalize_folded(text: &str, out: &mut NormText) {
    normalize_into(text, Form::Folded, out);
}

#[cfg(newswatch_fold_bool)]
fn normalize_folded(text: &str, out: &mut NormText) {
    normalize_into(text, true, out);
}

/// `alerts.max_matches` by default.
#[cfg(not(newswatch_scan_unbounded))]
const MAX_MATCHES: usize = 50;

/// The rules that hold for one field, in the API of the side built.
#[cfg(not(newswatch_scan_unbounded))]
fn rule_hits(engine: &Engine, field: Field<'_>, scratch: &mut Scratch) -> usize {
    engine.scan(&[field], scratch, MAX_MATCHES).len()
}

#[cfg(newswatch_scan_unbounded)]
fn rule_hits(engine: &Engine, field: Field<'_>, scratch: &mut Scratch) -> usize {
    engine.scan(&[field], scratch).len()
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const CORPORA: [&str; 3] = ["ascii", "mixed", "dirty"];

/// The texts of a corpus, as the engine gets them (`ascii` in items).
fn corpus_items(name: &str, bytes: usize) -> Vec<String> {
    match name {
        "ascii" => corpus::split_at_spaces(&corpus::ascii_english(bytes), ASCII_ITEM_BYTES),
        "mixed" => corpus::corpus(bytes),
        "dirty" => corpus::dirty(bytes),
        _ => unreachable!("corpus {name}"),
    }
}

fn cases() -> Vec<String> {
    let mut out: Vec<String> = CORPORA.iter().map(|c| format!("normalize/{c}")).collect();
    out.push("normalize/ascii-no-hyphens".to_owned());
    for watchlist in ["default", "1k"] {
        out.extend(CORPORA.iter().map(|c| format!("scan/{watchlist}/{c}")));
    }
    if cfg!(not(newswatch_fold_bool)) {
        out.extend(CORPORA.iter().map(|c| format!("confusables/{c}")));
    }
    out
}

/// `config/watchlist.toml` as shipped.
fn shipped_toml() -> String {
    let path = root().join("config/watchlist.toml");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `toml` without its `confusables` keys.
fn without_confusables(toml: &str) -> String {
    toml.lines()
        .filter(|l| !l.trim_start().starts_with("confusables"))
        .flat_map(|l| [l, "\n"])
        .collect()
}

/// The sets of `toml` with `confusables = true`.
fn confusable_sets(toml: &str) -> Vec<&str> {
    toml.split("\n[sets.")
        .skip(1)
        .filter(|s| s.contains("\nconfusables = true"))
        .filter_map(|s| s.split(']').next())
        .collect()
}

/// `toml` with `confusables = true` on every set that is not case-sensitive
/// (skeletons ignore case; the loader refuses the two together).
fn with_confusables(toml: &str) -> String {
    let sensitive: Vec<&str> = toml
        .split("\n[sets.")
        .skip(1)
        .filter(|s| s.contains("\ncase_sensitive = true"))
        .filter_map(|s| s.split(']').next())
        .collect();
    let mut out = String::with_capacity(toml.len() + 512);
    for line in toml.lines() {
        out.push_str(line);
        out.push('\n');
        if let Some(name) = line
            .strip_prefix("[sets.")
            .and_then(|r| r.strip_suffix(']'))
            && !sensitive.contains(&name)
        {
            out.push_str("confusables = true\n");
        }
    }
    out
}

fn engine(toml: &str) -> Engine {
    let w = Watchlist::parse(toml, None)
        .unwrap_or_else(|p| panic!("watchlist is invalid: {:?}", &p[..p.len().min(5)]));
    Engine::build(Arc::new(w)).expect("engine builds")
}

/// Rule hits over `items`, each scanned as one "body" field.
fn scan_all(engine: &Engine, items: &[String], scratch: &mut Scratch) -> usize {
    items
        .iter()
        .map(|text| rule_hits(engine, Field { name: "body", text }, scratch))
        .sum()
}

/// One measured case: a name, its bytes, and a pass over its corpus that
/// returns a count (rule hits, or normalized bytes).
struct Pass<'a> {
    name: String,
    bytes: usize,
    run: Box<dyn FnMut() -> usize + 'a>,
}

/// CPU time of the calling thread (`clock_gettime(CLOCK_THREAD_CPUTIME_ID)`):
/// it counts only the time the thread ran, so other tenants of the cores
/// lengthen a pass's wall time but not this. Linux on 64-bit targets, where
/// `timespec` is two `i64`; `None` elsewhere.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn thread_cpu_time() -> Option<Duration> {
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    unsafe extern "C" {
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut t = Timespec { sec: 0, nsec: 0 };
    // SAFETY: `t` is a live, writable `timespec`; the call writes only it.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut t) };
    (rc == 0).then(|| Duration::new(t.sec as u64, t.nsec as u32))
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
fn thread_cpu_time() -> Option<Duration> {
    None
}

/// Runs the passes in turns (one warm-up round first) for `seconds` and at
/// least five rounds; prints one `result` line per pass: name; MB/s of the
/// best and the median pass by CPU time (by wall time where there is no
/// thread CPU clock); MB/s of the best pass by wall time; passes; MB; the
/// count of the warm-up pass.
fn measure(mut passes: Vec<Pass<'_>>, seconds: f64) {
    let counts: Vec<usize> = passes.iter_mut().map(|p| black_box((p.run)())).collect();
    let mut cpu: Vec<Vec<Duration>> = vec![Vec::new(); passes.len()];
    let mut wall: Vec<Vec<Duration>> = vec![Vec::new(); passes.len()];
    let started = Instant::now();
    while wall[0].len() < 5 || started.elapsed().as_secs_f64() < seconds {
        for (k, p) in passes.iter_mut().enumerate() {
            let (at, at_cpu) = (Instant::now(), thread_cpu_time());
            black_box((p.run)());
            let (w, c) = (at.elapsed(), thread_cpu_time());
            wall[k].push(w);
            cpu[k].push(at_cpu.zip(c).map_or(w, |(a, b)| b.saturating_sub(a)));
        }
    }
    for (k, (p, count)) in passes.iter().zip(counts).enumerate() {
        cpu[k].sort_unstable();
        wall[k].sort_unstable();
        let (c, w) = (&cpu[k], &wall[k]);
        let mb = p.bytes as f64 / 1e6;
        let rate = |d: Duration| mb / d.as_secs_f64().max(1e-9);
        println!(
            "result\t{}\t{:.1}\t{:.1}\t{:.1}\t{}\t{mb:.3}\t{count}",
            p.name,
            rate(c[0]),
            rate(c[c.len() / 2]),
            rate(w[0]),
            c.len()
        );
    }
}

fn run(case: &str, bytes: usize, seconds: f64) {
    let parts: Vec<&str> = case.split('/').collect();
    let size = |items: &[String]| items.iter().map(String::len).sum::<usize>();
    match parts[..] {
        ["normalize", c @ ("ascii" | "ascii-no-hyphens")] => {
            let mut text = corpus::ascii_english(bytes);
            if c == "ascii-no-hyphens" {
                text = text.replace('-', ";");
            }
            let mut out = NormText::new();
            let run = Box::new(|| {
                normalize_folded(&text, &mut out);
                out.as_str().len()
            });
            let bytes = text.len();
            measure(
                vec![Pass {
                    name: case.to_owned(),
                    bytes,
                    run,
                }],
                seconds,
            );
        }
        ["normalize", c] => {
            let items = corpus_items(c, bytes);
            let mut out = NormText::new();
            let run = Box::new(|| {
                items
                    .iter()
                    .map(|t| {
                        normalize_folded(t, &mut out);
                        out.as_str().len()
                    })
                    .sum()
            });
            let pass = Pass {
                name: case.to_owned(),
                bytes: size(&items),
                run,
            };
            measure(vec![pass], seconds);
        }
        ["scan", w, c] => {
            let toml = match w {
                "default" => without_confusables(&shipped_toml()),
                "1k" => corpus::watchlist_toml(1_000, 10),
                _ => panic!("unknown watchlist {w}"),
            };
            let e = engine(&toml);
            let items = corpus_items(c, bytes);
            let mut scratch = Scratch::new();
            let run = Box::new(|| scan_all(&e, &items, &mut scratch));
            let pass = Pass {
                name: case.to_owned(),
                bytes: size(&items),
                run,
            };
            measure(vec![pass], seconds);
        }
        ["confusables", c] if cfg!(not(newswatch_fold_bool)) => {
            let shipped = shipped_toml();
            let off = without_confusables(&shipped);
            let engines = [
                ("off", engine(&off)),
                ("shipped", engine(&shipped)),
                ("every-set", engine(&with_confusables(&off))),
            ];
            let items = corpus_items(c, bytes);
            let passes = engines
                .iter()
                .map(|(label, e)| {
                    let mut scratch = Scratch::new();
                    let items = &items;
                    Pass {
                        name: format!("{case}/{label}"),
                        bytes: size(items),
                        run: Box::new(move || scan_all(e, items, &mut scratch)),
                    }
                })
                .collect();
            measure(passes, seconds);
        }
        _ => {
            eprintln!("unknown case {case:?}; `bench_text list` gives them");
            std::process::exit(2);
        }
    }
}

// ------------------------------------------------------------ summary

/// One `result` line of the script's file: `ROUND SIDE result NAME
/// CPU_BEST CPU_MEDIAN WALL_BEST PASSES MB COUNT`.
struct Row {
    round: u32,
    side: String,
    name: String,
    best: f64,
    median: f64,
    wall: f64,
    mb: f64,
    count: usize,
}

fn parse_rows(text: &str) -> Vec<Row> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() != 10 || f[2] != "result" {
                return None;
            }
            Some(Row {
                round: f[0].parse().ok()?,
                side: f[1].to_owned(),
                name: f[3].to_owned(),
                best: f[4].parse().ok()?,
                median: f[5].parse().ok()?,
                wall: f[6].parse().ok()?,
                mb: f[8].parse().ok()?,
                count: f[9].parse().ok()?,
            })
        })
        .collect()
}

/// The median; NaN of nothing.
fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// `median (min-max)` of per-round ratios.
fn ratios(rs: &[f64]) -> String {
    let lo = rs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = rs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!("{:.3} ({lo:.2}-{hi:.2})", median(rs.to_vec()))
}

/// Per round, `f(a, b)` of the rows of (side, name) `a` and `b` measured in
/// that round.
fn paired(
    rows: &[Row],
    a: (&str, &str),
    b: (&str, &str),
    f: impl Fn(&Row, &Row) -> f64,
) -> Vec<f64> {
    let by_round = |(side, name): (&str, &str)| -> BTreeMap<u32, &Row> {
        rows.iter()
            .filter(|r| r.side == side && r.name == name)
            .map(|r| (r.round, r))
            .collect()
    };
    let (a, b) = (by_round(a), by_round(b));
    a.iter()
        .filter_map(|(round, x)| b.get(round).map(|y| f(x, y)))
        .collect()
}

fn summarize(text: &str) {
    let rows = parse_rows(text);
    let names = |side: &str| -> Vec<String> {
        let mut seen = Vec::new();
        for r in rows.iter().filter(|r| r.side == side) {
            if !seen.contains(&r.name) {
                seen.push(r.name.clone());
            }
        }
        seen
    };
    let rate = |side: &str, name: &str| {
        median(
            rows.iter()
                .filter(|r| r.side == side && r.name == name)
                .map(|r| r.best)
                .collect(),
        )
    };
    let fastest = |side: &str, name: &str| {
        rows.iter()
            .filter(|r| r.side == side && r.name == name)
            .map(|r| r.best)
            .fold(f64::NAN, f64::max)
    };
    let rounds = rows.iter().map(|r| r.round).max().unwrap_or(0);
    let base_names = names("base");
    println!(
        "MB/s: median over {rounds} rounds of each run's best pass by CPU time; new ÷ old: \
         median (min-max) of the rounds' ratios, of the best and of the median pass by \
         CPU time, and of the best pass by wall time; then the ratio of the fastest \
         passes of all rounds."
    );
    println!();
    println!(
        "| case | MB | old MB/s | new MB/s | new ÷ old, best | new ÷ old, median | new ÷ old, wall | fastest ÷ fastest | rule hits old / new |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut verdicts = Vec::new();
    for name in names("new").iter().filter(|n| base_names.contains(n)) {
        let best = paired(&rows, ("new", name), ("base", name), |n, b| n.best / b.best);
        let med = paired(&rows, ("new", name), ("base", name), |n, b| {
            n.median / b.median
        });
        let wall = paired(&rows, ("new", name), ("base", name), |n, b| n.wall / b.wall);
        let mb = rows.iter().find(|r| &r.name == name).map_or(0.0, |r| r.mb);
        let count = |side: &str| {
            rows.iter()
                .find(|r| r.side == side && &r.name == name)
                .map_or(0, |r| r.count)
        };
        let hits = if name.starts_with("scan/") {
            format!("{} / {}", count("base"), count("new"))
        } else {
            String::new()
        };
        println!(
            "| `{name}` | {mb:.2} | {:.0} | {:.0} | {} | {} | {} | {:.3} | {hits} |",
            rate("base", name),
            rate("new", name),
            ratios(&best),
            ratios(&med),
            ratios(&wall),
            fastest("new", name) / fastest("base", name)
        );
        if !name.ends_with("/dirty") {
            let (r, f) = (median(best), fastest("new", name) / fastest("base", name));
            let verdict = match (r >= REQUIRED_RATIO, f >= REQUIRED_RATIO) {
                (true, true) => "holds".to_owned(),
                (false, false) => format!("FAILS, {:.1}% slower", 100.0 * (1.0 - r.max(f))),
                _ => "borderline (the two estimates disagree)".to_owned(),
            };
            verdicts.push(format!("{name}: {r:.3} / {f:.3}: {verdict}"));
        }
    }
    println!();
    println!(
        "Clean text, new ÷ old >= {REQUIRED_RATIO} (median of the rounds' ratios / fastest \
         ÷ fastest, best passes by CPU time):"
    );
    for v in verdicts {
        println!("- {v}");
    }
    let conf: Vec<String> = names("new")
        .into_iter()
        .filter(|n| n.starts_with("confusables/") && n.ends_with("/off"))
        .collect();
    if conf.is_empty() {
        return;
    }
    println!();
    let shipped = shipped_toml();
    println!(
        "Confusables pass (new code, default watchlist, the three engines in turns): \
         on ÷ off, median (min-max) of the rounds' ratios of best passes by CPU time. Off: \
         without `confusables` keys; shipped: `confusables = true` on {}; every \
         set: on every set that is not case-sensitive. Shipped ÷ old: the new code \
         with the watchlist as shipped against the old code with `scan/default` \
         (no `confusables` keys), runs of the same round.",
        confusable_sets(&shipped).join(", ")
    );
    println!();
    println!(
        "| corpus | off MB/s | shipped MB/s | ÷ off | every set MB/s | ÷ off | shipped ÷ old | rule hits off / shipped / every |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for off in conf {
        let stem = off.trim_end_matches("/off");
        let corpus = stem.trim_start_matches("confusables/");
        let on = |label: &str| format!("{stem}/{label}");
        let ratio = |label: &str| {
            ratios(&paired(
                &rows,
                ("new", &on(label)),
                ("new", &off),
                |a, b| a.best / b.best,
            ))
        };
        let count = |name: &str| rows.iter().find(|r| r.name == name).map_or(0, |r| r.count);
        let old = format!("scan/default/{corpus}");
        let vs_old = paired(&rows, ("new", &on("shipped")), ("base", &old), |a, b| {
            a.best / b.best
        });
        println!(
            "| {corpus} | {:.0} | {:.0} | {} | {:.0} | {} | {} | {} / {} / {} |",
            rate("new", &off),
            rate("new", &on("shipped")),
            ratio("shipped"),
            rate("new", &on("every-set")),
            ratio("every-set"),
            if vs_old.is_empty() {
                "n/a".to_owned()
            } else {
                ratios(&vs_old)
            },
            count(&off),
            count(&on("shipped")),
            count(&on("every-set")),
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args[..] {
        ["list"] => cases().iter().for_each(|c| println!("{c}")),
        ["run", case] => run(
            case,
            env_or("NEWSWATCH_BENCH_BYTES", 4 << 20),
            env_or("NEWSWATCH_BENCH_SECONDS", 1.0),
        ),
        ["summarize", path] => {
            summarize(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}")))
        }
        _ => {
            eprintln!("usage: bench_text list | run CASE | summarize RESULTS.tsv");
            std::process::exit(2);
        }
    }
}
