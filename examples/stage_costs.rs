//! What two of `newswatch scan`'s stages cost per item beside the least
//! that a well-kept crate spends on part of the same work (issue 20: how
//! much of an item's budget is left for anything but the automaton walk).
//!
//! ```text
//! stage_costs ITEMS.jsonl [ROUNDS]
//! ```
//!
//! Over every line of ITEMS.jsonl (JSON items with `title`, `summary` and
//! `body`), in ROUNDS rounds (default 7) that take each case in turn, timed
//! by this thread's CPU clock; prints each case's median and fastest round
//! in CPU µs per item, and the median as a multiple of its baseline's:
//!
//! | case | what | baseline |
//! |---|---|---|
//! | `decode` | `newswatch::item::decode` (UTF-8 validation, the members SPEC 1 keeps, `id` as written) | `serde_json`, the three text members into borrowed strings, plus `simdutf8` validation |
//! | `normalize` | `normalize_into(.., Form::Folded, ..)` per field (SPEC 2, 2a: NFKC, full case folding, invisible characters, white space, the offset map) | ICU4X's NFKC alone (`icu_normalizer`, no case folding, no map) |
//! | `copy` | the fields appended to one reused `String` | none: the memory traffic under both |
//!
//! Run it pinned to one core (`taskset -c 0`); the figures are for one
//! host and one run, the ratios are what carries.

use std::borrow::Cow;
use std::hint::black_box;

use newswatch::item::{DecodeOptions, decode};
use newswatch::text::normalize::{Form, NormText, normalize_into};
use newswatch_test_support::thread_cpu_seconds;
use serde::Deserialize;

/// The least a decoder must read of an item: its three text members,
/// borrowed where they have no escapes.
#[derive(Deserialize)]
struct TextMembers<'a> {
    #[serde(borrow)]
    title: Option<Cow<'a, str>>,
    #[serde(borrow)]
    summary: Option<Cow<'a, str>>,
    #[serde(borrow)]
    body: Option<Cow<'a, str>>,
}

/// One timed case: a name, its baseline's name, and a pass over all items
/// that returns a value to keep the work from being optimized away.
type Case<'a> = (
    &'static str,
    Option<&'static str>,
    Box<dyn FnMut() -> usize + 'a>,
);

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        anyhow::bail!("usage: stage_costs ITEMS.jsonl [ROUNDS]");
    };
    let rounds: usize = match args.get(2) {
        Some(r) => r.parse()?,
        None => 7,
    };
    let data = std::fs::read_to_string(path)?;
    let lines: Vec<&str> = data.lines().filter(|l| !l.trim().is_empty()).collect();
    anyhow::ensure!(!lines.is_empty(), "{path}: no items");
    let mut fields: Vec<Vec<String>> = Vec::with_capacity(lines.len());
    for (n, line) in lines.iter().enumerate() {
        let item: TextMembers =
            serde_json::from_str(line).map_err(|e| anyhow::anyhow!("{path}:{}: {e}", n + 1))?;
        let texts = [item.title, item.summary, item.body];
        fields.push(texts.into_iter().flatten().map(Cow::into_owned).collect());
    }
    let text_bytes: usize = fields.iter().flatten().map(String::len).sum();
    println!(
        "{} items, {} bytes of JSON, {} bytes of text in title, summary, body",
        lines.len(),
        data.len(),
        text_bytes
    );

    let opts = DecodeOptions::default();
    let nfkc = icu_normalizer::ComposingNormalizerBorrowed::new_nfkc();
    let mut norm = NormText::new();
    let mut out = String::new();
    let mut copy = String::new();
    let mut cases: Vec<Case> = vec![
        (
            "decode",
            Some("serde_json + simdutf8"),
            Box::new(|| {
                lines
                    .iter()
                    .map(|l| decode(l.as_bytes(), &opts).map_or(0, |i| i.fields.len()))
                    .sum()
            }),
        ),
        (
            "serde_json + simdutf8",
            None,
            Box::new(|| {
                lines
                    .iter()
                    .map(|l| {
                        let valid = simdutf8::basic::from_utf8(l.as_bytes()).map_or(0, str::len);
                        let item = serde_json::from_str::<TextMembers>(l);
                        valid + item.map_or(0, |i| i.body.map_or(0, |b| b.len()))
                    })
                    .sum()
            }),
        ),
        (
            "normalize",
            Some("ICU4X NFKC"),
            Box::new(|| {
                let mut n = 0;
                for text in fields.iter().flatten() {
                    normalize_into(text, Form::Folded, &mut norm);
                    n += norm.as_str().len();
                }
                n
            }),
        ),
        (
            "ICU4X NFKC",
            None,
            Box::new(|| {
                let mut n = 0;
                for text in fields.iter().flatten() {
                    out.clear();
                    // Writing to a String cannot fail.
                    let _ = nfkc.normalize_to(text, &mut out);
                    n += out.len();
                }
                n
            }),
        ),
        (
            "copy",
            None,
            Box::new(|| {
                let mut n = 0;
                for text in fields.iter().flatten() {
                    copy.clear();
                    copy.push_str(text);
                    n += copy.len();
                }
                n
            }),
        ),
    ];

    let mut times: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    for round in 0..=rounds {
        for (i, (_, _, pass)) in cases.iter_mut().enumerate() {
            let start = thread_cpu_seconds();
            black_box(pass());
            // Round 0 warms the caches and the tables up, untimed.
            if round > 0 {
                times[i].push((thread_cpu_seconds() - start) * 1e6 / lines.len() as f64);
            }
        }
    }
    let median = |t: &[f64]| {
        let mut t = t.to_vec();
        t.sort_by(f64::total_cmp);
        (t[t.len() / 2], t[0])
    };
    println!("\n| case | CPU µs per item, median (fastest) | ÷ baseline |");
    println!("|---|---:|---:|");
    for (i, (name, baseline, _)) in cases.iter().enumerate() {
        let (med, min) = median(&times[i]);
        let ratio = baseline
            .and_then(|b| cases.iter().position(|(n, _, _)| *n == b))
            .map_or(String::from("-"), |j| {
                format!(
                    "{:.2}x {}",
                    med / median(&times[j]).0,
                    baseline.unwrap_or("")
                )
            });
        println!("| {name} | {med:.3} ({min:.3}) | {ratio} |");
    }
    Ok(())
}
