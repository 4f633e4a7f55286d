//! The rule-authoring commands of SPEC section 6a that read items offline:
//! `explain` (why each rule did or did not fire on each item) and `test`
//! (rule test files).

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::commands::each_input;
use super::load;
use crate::compare::{Sample, Tally};
use crate::engine::{Engine, Field, Scratch};
use crate::exit::{self, Failure};
use crate::explain::{self, Explanation};
use crate::item::Provenance;
use crate::ruletest::{self, TestFile};
use crate::scan::{ScanError, each_item, report_rejection};

/// The indexes of the rules named by `ids` (all rules when `ids` is empty).
///
/// # Errors
///
/// A [`Failure`] with status 64 (usage) naming each id that is not a rule
/// of the watchlist, and the ids that are.
pub fn rule_indexes(engine: &Engine, ids: &[String]) -> Result<Vec<usize>, Failure> {
    let rules = &engine.watchlist().rules;
    let mut out = Vec::with_capacity(ids.len());
    let mut unknown = Vec::new();
    for id in ids {
        match rules.iter().position(|r| &r.id == id) {
            Some(i) => out.push(i),
            None => unknown.push(format!("{id:?}")),
        }
    }
    if unknown.is_empty() {
        return Ok(out);
    }
    let known: Vec<String> = rules.iter().map(|r| format!("{:?}", r.id)).collect();
    Err(Failure::new(
        exit::USAGE,
        anyhow::anyhow!(
            "--rule {}: no such rule in the watchlist (its rules: {})",
            unknown.join(", "),
            known.join(", ")
        ),
    ))
}

/// One item explained, as `explain --json` writes it (one JSON line).
#[derive(serde::Serialize)]
struct ItemExplained<'a> {
    /// The input's name (`<stdin>` for stdin).
    input: &'a str,
    /// The 1-based line.
    line: usize,
    /// The item id (JSON `id`, else `line:N`).
    item: String,
    /// The item's title, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    rules: Vec<Explanation>,
}

/// `newswatch explain`: for each item of the inputs (JSON Lines, like
/// `scan`) and each rule (all, or those of `--rule`), the expression tree
/// with each node's truth value and what decided it; a readable tree, or
/// one JSON object per item with `json`.
///
/// # Errors
///
/// A [`Failure`]: 78 for a bad configuration or watchlist, 64 for an
/// unknown `--rule`, 66 for an input that cannot be opened, 74 when
/// reading or writing fails. Rejected lines are reported on stderr and
/// make the status 65, as in `scan`.
pub fn explain(
    config: Option<&Path>,
    watchlist: Option<PathBuf>,
    rules: &[String],
    json: bool,
    inputs: &[PathBuf],
) -> Result<u8, Failure> {
    let settings = load::settings(config)?;
    let path = watchlist.unwrap_or_else(|| settings.watchlist.path.clone());
    let engine = load::engine(&settings, &path, false)?;
    let rules = rule_indexes(&engine, rules)?;
    let mut scratch = Scratch::new();
    let mut line = Vec::new();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut err = io::stderr();
    let mut rejected = 0usize;
    let finished = each_input(inputs, |name, input| {
        each_item(input, &settings.input, &mut line, |n, decoded| {
            let item = match decoded {
                Ok(item) => item,
                Err(rejection) => {
                    rejected += 1;
                    out.flush().map_err(ScanError::Write)?;
                    report_rejection(&mut err, name, n, &rejection);
                    return Ok(());
                }
            };
            let fields: Vec<Field<'_>> = item
                .fields
                .iter()
                .map(|(name, text)| Field { name, text })
                .collect();
            let explained = ItemExplained {
                input: name,
                line: n,
                item: item.id_or_fallback(&Provenance::Line(n)),
                title: item.title.as_deref(),
                rules: explain::explain(&engine, &fields, &rules, &mut scratch),
            };
            let text = if json {
                let mut j = crate::escape::to_json(&explained)
                    .map_err(|e| ScanError::Write(io::Error::other(e)))?;
                j.push(b'\n');
                j
            } else {
                render_item(&explained).into_bytes()
            };
            out.write_all(&text).map_err(ScanError::Write)
        })
    })?;
    if !finished {
        return Ok(exit::OK);
    }
    match out.flush() {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(exit::OK),
        r => r.map_err(|e| Failure::new(exit::IOERR, anyhow::Error::new(e).context("writing")))?,
    }
    Ok(if rejected > 0 {
        exit::DATAERR
    } else {
        exit::OK
    })
}

fn render_item(e: &ItemExplained<'_>) -> String {
    let mut out = format!(
        "item {} ({}:{})",
        crate::escape::human(&e.item),
        crate::escape::human(e.input),
        e.line
    );
    if let Some(t) = e.title {
        out.push_str(&format!(": {}", crate::escape::human(t)));
    }
    out.push('\n');
    for r in &e.rules {
        out.push_str(&explain::render(r));
    }
    out.push('\n');
    out
}

/// `newswatch test`: runs rule test files (SPEC section 6a); one line per
/// case on stdout, each failure with its reasons and the explanation of the
/// rules involved, then a summary; `junit` also writes JUnit XML there.
///
/// # Errors
///
/// A [`Failure`] with status 78 naming the file and line of the first
/// problem of an invalid test file or its watchlist, 74 when the report
/// cannot be written. Returns 1 when a case failed.
pub fn test(files: &[PathBuf], junit: Option<&Path>) -> Result<u8, Failure> {
    let mut loaded = Vec::with_capacity(files.len());
    for f in files {
        loaded.push(TestFile::load(f).map_err(Failure::config)?);
    }
    let mut report = String::new();
    let mut results = Vec::with_capacity(loaded.len());
    for t in &loaded {
        let outcomes = t.run();
        report.push_str(&ruletest::render(&t.path, &outcomes));
        results.push((t.path.clone(), outcomes));
    }
    let total: usize = results.iter().map(|(_, o)| o.len()).sum();
    let failed: usize = results
        .iter()
        .map(|(_, o)| o.iter().filter(|o| !o.passed()).count())
        .sum();
    report.push_str(&format!(
        "{total} cases: {} passed, {failed} failed\n",
        total - failed
    ));
    if let Some(path) = junit {
        std::fs::write(path, ruletest::junit(&results)).map_err(|e| {
            Failure::new(
                exit::IOERR,
                anyhow::Error::new(e).context(format!("writing {}", path.display())),
            )
        })?;
    }
    match crate::stdio::write_stdout(report.as_bytes()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            return Err(Failure::new(
                exit::IOERR,
                anyhow::Error::new(e).context("writing the report"),
            ));
        }
        _ => {}
    }
    Ok(if failed > 0 { exit::FAILED } else { exit::OK })
}

/// The rule ids `engine` raises on an item's fields, in watchlist order.
pub fn rules_raised<'e>(engine: &'e Engine, fields: &[Field<'_>], scratch: &mut Scratch) -> Vec<&'e str> {
    engine
        .scan(fields, scratch, 1)
        .iter()
        .map(|h| engine.rule(h.rule).id.as_str())
        .collect()
}

/// `newswatch scan --compare OLD`: runs the current and the old watchlist
/// over the inputs in one pass and prints, per rule, the alerts of each
/// and the items whose alert was added or removed (no alerts are printed).
///
/// # Errors
///
/// As `scan`: 78 for a bad configuration or either watchlist, 66 for an
/// input that cannot be opened, 74 when reading or writing fails.
/// Rejected lines make the status 65.
pub fn scan_compare(
    config: Option<&Path>,
    watchlist: Option<PathBuf>,
    old: &Path,
    inputs: &[PathBuf],
) -> Result<u8, Failure> {
    let settings = load::settings(config)?;
    let path = watchlist.unwrap_or_else(|| settings.watchlist.path.clone());
    let engine = load::engine(&settings, &path, false)?;
    let old_engine = load::engine(&settings, old, false)?;
    let mut tally = Tally::new(true);
    for r in engine.watchlist().rules.iter().chain(&old_engine.watchlist().rules) {
        tally.declare(&r.id);
    }
    let (mut scratch, mut line) = (Scratch::new(), Vec::new());
    let mut err = io::stderr();
    let mut rejected = 0usize;
    let mut input_no = 0i64;
    each_input(inputs, |name, input| {
        input_no += 1;
        each_item(input, &settings.input, &mut line, |n, decoded| {
            let item = match decoded {
                Ok(item) => item,
                Err(rejection) => {
                    rejected += 1;
                    report_rejection(&mut err, name, n, &rejection);
                    return Ok(());
                }
            };
            let fields: Vec<Field<'_>> = item
                .fields
                .iter()
                .map(|(name, text)| Field { name, text })
                .collect();
            let new = rules_raised(&engine, &fields, &mut scratch);
            let old = rules_raised(&old_engine, &fields, &mut scratch);
            tally.add(&new, &old, || Sample {
                order: (input_no, n as i64),
                item: item.id_or_fallback(&Provenance::Line(n)),
                title: item.title.as_deref().map(str::to_owned),
            });
            Ok(())
        })
    })?;
    match crate::stdio::write_stdout(tally.render().as_bytes()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            return Err(Failure::new(
                exit::IOERR,
                anyhow::Error::new(e).context("writing the report"),
            ));
        }
        _ => {}
    }
    Ok(if rejected > 0 { exit::DATAERR } else { exit::OK })
}
