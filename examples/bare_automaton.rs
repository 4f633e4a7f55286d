//! The floor of the matching work (issue 20, `scripts/bench-peers.sh`): the
//! bare Aho-Corasick automaton that `newswatch scan` runs, over text already
//! normalized, with nothing else (no JSON, no normalization, no boundary
//! checks, no rules, no alerts).
//!
//! ```text
//! bare_automaton WATCHLIST ITEMS.jsonl [PASSES]
//! ```
//!
//! It loads WATCHLIST as newswatch does (`Watchlist::load`), takes every
//! term's normalized, case-folded pattern (sets and inline terms; the
//! patterns the engine's folded automaton holds, each once, sorted), and
//! builds an `AhoCorasick` of the kind the engine builds
//! (`src/engine/automaton.rs`: standard match kind, a DFA up to
//! `DFA_MAX_PATTERNS` patterns of at most `DFA_MAX_SQUARED_BYTES` squared
//! bytes, else a contiguous NFA). The skeleton automaton of `confusables`
//! sets is left out: it runs only where a field has look-alike letters.
//! It then normalizes the fields `title`, `summary` and `body` of every item
//! (`normalize_into`, `Form::Folded`), untimed, and runs the overlapping
//! search over all of them once to warm up and PASSES times (default 5)
//! timed by this thread's CPU clock. Prints one JSON object: CPU seconds of
//! the fastest and the median pass, per item, and MB/s of normalized and of
//! original text.
//!
//! Up to `PACKED_MAX_PATTERNS` patterns it also times, in turn with the
//! above, the walk the engine runs over the same text
//! (`newswatch::engine::walk`: four lanes at a time over long fields of a
//! `PackedDfa`, the automaton laid out again, with deep states beyond
//! `PACKED_MAX_BYTES` of rows), as `lanes_*`; its matches must equal the
//! library's.

use std::hint::black_box;
use std::path::Path;

use aho_corasick::nfa::noncontiguous::NFA;
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use newswatch::engine::automaton::{
    DFA_MAX_PATTERNS, DFA_MAX_SQUARED_BYTES, PACKED_MAX_BYTES, PACKED_MAX_PATTERNS,
};
use newswatch::engine::packed::PackedDfa;
use newswatch::engine::walk::{self, Lanes};
use newswatch::text::normalize::{Form, NormText, normalize, normalize_into};
use newswatch::watchlist::Watchlist;
use newswatch_test_support::thread_cpu_seconds;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        anyhow::bail!("usage: bare_automaton WATCHLIST ITEMS.jsonl [PASSES]");
    }
    let passes: usize = args.get(3).map_or(Ok(5), |p| p.parse())?;
    let watchlist =
        Watchlist::load(Path::new(&args[1]), None).map_err(|e| anyhow::anyhow!("{e}"))?;

    // The folded patterns, as the engine's automaton holds them.
    let mut patterns: Vec<String> = Vec::new();
    for set in &watchlist.sets {
        for term in &set.terms {
            patterns.push(if term.case_sensitive {
                normalize(&term.pattern, Form::Folded)
            } else {
                term.pattern.clone()
            });
        }
    }
    patterns.extend(watchlist.inline_terms.iter().map(|t| t.pattern.clone()));
    patterns.sort_unstable();
    patterns.dedup();
    let squared: usize = patterns.iter().map(|p| p.len() * p.len()).sum();
    let kind = if patterns.len() <= DFA_MAX_PATTERNS && squared <= DFA_MAX_SQUARED_BYTES {
        AhoCorasickKind::DFA
    } else {
        AhoCorasickKind::ContiguousNFA
    };
    let t0 = thread_cpu_seconds();
    let ac = AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .kind(Some(kind))
        .build(&patterns)?;
    let build_s = thread_cpu_seconds() - t0;

    // Every item's fields, normalized (untimed).
    let text = std::fs::read_to_string(&args[2])?;
    let mut fields: Vec<String> = Vec::new();
    let mut items = 0usize;
    let mut original = 0usize;
    let mut norm = NormText::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let item: serde_json::Value = serde_json::from_str(line)?;
        items += 1;
        for f in ["title", "summary", "body"] {
            if let Some(s) = item.get(f).and_then(|v| v.as_str()) {
                original += s.len();
                normalize_into(s, Form::Folded, &mut norm);
                fields.push(norm.as_str().to_owned());
            }
        }
    }
    let normalized: usize = fields.iter().map(String::len).sum();

    let run = || {
        let mut hits = 0usize;
        for f in &fields {
            for m in ac.find_overlapping_iter(black_box(f.as_str())) {
                black_box(m);
                hits += 1;
            }
        }
        hits
    };
    // The engine's walk over the same fields, where the engine walks a
    // packed DFA (with deep states beyond its rows' budget).
    let dfa = if patterns.len() <= PACKED_MAX_PATTERNS {
        let nfa = NFA::builder()
            .match_kind(MatchKind::Standard)
            .build(&patterns)?;
        PackedDfa::new(&nfa, &patterns, PACKED_MAX_BYTES)
    } else {
        None
    };
    let mut lanes = Lanes::default();
    let mut run_lanes = |dfa: &PackedDfa| {
        let mut hits = 0usize;
        for f in &fields {
            walk::overlapping(dfa, black_box(f.as_bytes()), &mut lanes, &mut |p, end| {
                black_box((p, end));
                hits += 1;
            });
        }
        hits
    };

    let hits = run(); // warm-up
    let lanes_hits = dfa.as_ref().map(&mut run_lanes);
    anyhow::ensure!(
        lanes_hits.is_none_or(|h| h == hits),
        "the engine's walk found {lanes_hits:?} matches, the library {hits}"
    );
    // The two walks in turn, so that both see the same machine.
    let mut times: Vec<f64> = Vec::new();
    let mut lanes_times: Vec<f64> = Vec::new();
    for _ in 0..passes.max(1) {
        let t = thread_cpu_seconds();
        black_box(run());
        times.push(thread_cpu_seconds() - t);
        if let Some(dfa) = &dfa {
            let t = thread_cpu_seconds();
            black_box(run_lanes(dfa));
            lanes_times.push(thread_cpu_seconds() - t);
        }
    }
    times.sort_by(f64::total_cmp);
    lanes_times.sort_by(f64::total_cmp);
    let lanes_median = lanes_times.get(lanes_times.len() / 2).copied();
    let best = times[0];
    let median = times[times.len() / 2];
    println!(
        "{}",
        serde_json::json!({
            "patterns": patterns.len(),
            "kind": format!("{kind:?}"),
            "automaton_bytes": ac.memory_usage(),
            "build_cpu_s": (build_s * 1000.0).round() / 1000.0,
            "items": items,
            "original_bytes": original,
            "normalized_bytes": normalized,
            "matches": hits,
            "passes": times.len(),
            "cpu_s_best": best,
            "cpu_s_median": median,
            "cpu_s_per_item": median / items as f64,
            "mb_per_s_normalized": normalized as f64 / 1e6 / median,
            "mb_per_s_original": original as f64 / 1e6 / median,
            "lanes_cpu_s_median": lanes_median,
            "lanes_mb_per_s_normalized": lanes_median.map(|m| normalized as f64 / 1e6 / m),
            "lanes_over_library": lanes_median.map(|m| median / m),
        })
    );
    Ok(())
}
