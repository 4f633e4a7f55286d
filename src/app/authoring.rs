//! The rule-authoring commands of SPEC section 6a that read items offline:
//! `explain` (why each rule did or did not fire on each item) and `test`
//! (rule test files), `scan --compare` and `replay` (a watchlist over a
//! range of a topic's history).

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::commands::each_input;
use super::load;
use crate::compare::{Sample, Tally};
use crate::engine::{Engine, Field, Scratch};
use crate::exit::{self, Failure};
use crate::explain::{self, Explanation};
use crate::item::Provenance;
use crate::offsets::Offsets;
use crate::pipeline::stories::Stories;
use crate::replay::{Delivery, Plan, When};
use crate::ruletest::{self, TestFile};
use crate::scan::{ScanError, each_item, report_rejection};
use crate::sink::Repeat;

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
    let source = load::offline_watchlist(&settings, watchlist);
    let engine = load::offline_engine(&settings, &source, false)?;
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
            let fields = Field::of(&item);
            let explained = ItemExplained {
                input: name,
                line: n,
                item: item.id_or_fallback(&Provenance::Line(n)),
                title: item.title.as_deref(),
                rules: explain::explain(
                    &engine,
                    &fields,
                    &item.metadata_pairs(),
                    &rules,
                    &mut scratch,
                ),
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
        "{total} {}: {} passed, {failed} failed\n",
        if total == 1 { "case" } else { "cases" },
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
    let source = load::offline_watchlist(&settings, watchlist);
    let engine = load::offline_engine(&settings, &source, false)?;
    let old_engine = load::engine(&settings, old, false)?;
    let mut tally = Tally::new(true);
    for r in engine
        .watchlist()
        .rules
        .iter()
        .chain(&old_engine.watchlist().rules)
    {
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
            let new = engine.rules_raised(&item, &mut scratch);
            let old = old_engine.rules_raised(&item, &mut scratch);
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
    Ok(if rejected > 0 {
        exit::DATAERR
    } else {
        exit::OK
    })
}

/// What `newswatch replay` is asked to do (SPEC section 6a).
#[derive(Debug)]
pub struct ReplayArgs {
    /// `--config`.
    pub config: Option<PathBuf>,
    /// `--watchlist`.
    pub watchlist: Option<PathBuf>,
    /// `--topic`, repeated; default `kafka.topics`.
    pub topics: Vec<String>,
    /// `--from`.
    pub from: String,
    /// `--to`.
    pub to: Option<String>,
    /// `--compare`.
    pub compare: Option<PathBuf>,
    /// `--output`.
    pub output: Option<PathBuf>,
    /// `--sink`.
    pub sink: Option<String>,
}

/// `newswatch replay`: the watchlist over a range of the topics' history,
/// without joining the consumer group or committing; per-rule alert counts
/// on stdout (with `--compare`, the alerts added and removed), a progress
/// line on stderr when it is a terminal; alerts to `--output` as JSON
/// lines, or to the configured sink `--sink` (never to a sink otherwise).
///
/// # Errors
///
/// A [`Failure`]: 78 for a bad configuration or watchlist, 64 for a bad
/// `--from`/`--to` or an unknown `--sink`, 69 when Kafka cannot be read
/// (a topic or partition that does not exist included) or alerts could not
/// all be delivered, 74 when the output cannot be written.
pub fn replay(args: ReplayArgs) -> Result<u8, Failure> {
    use std::io::IsTerminal;

    let settings = load::settings(args.config.as_deref())?;
    let source = load::offline_watchlist(&settings, args.watchlist.clone());
    let engine = load::offline_engine(&settings, &source, false)?;
    let old = match &args.compare {
        Some(p) => Some(load::engine(&settings, p, false)?),
        None => None,
    };
    let usage = |e: anyhow::Error| Failure::new(exit::USAGE, e);
    let now = std::time::SystemTime::now();
    let from =
        When::parse(&args.from, now).map_err(|e| usage(anyhow::Error::new(e).context("--from")))?;
    let to = match &args.to {
        Some(t) => {
            Some(When::parse(t, now).map_err(|e| usage(anyhow::Error::new(e).context("--to")))?)
        }
        None => None,
    };
    let output = match &args.output {
        Some(p) => Some(Mutex::new(io::BufWriter::new(
            std::fs::File::create(p).map_err(|e| {
                Failure::new(
                    exit::IOERR,
                    anyhow::Error::new(e).context(format!("creating {}", p.display())),
                )
            })?,
        ))),
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("newswatch-io")
        .enable_all()
        .build()
        .map_err(|e| {
            Failure::software(anyhow::Error::new(e).context("starting the async runtime"))
        })?;
    let mut producer = None;
    let delivery = match &args.sink {
        None => None,
        Some(name) => {
            let built = super::build_sinks(&settings, runtime.handle().clone())?;
            producer = built.producer.clone();
            let sink = built
                .sinks
                .iter()
                .find(|s| s.name() == name)
                .cloned()
                .ok_or_else(|| {
                    usage(anyhow::anyhow!(
                        "--sink {name:?}: no such sink in the configuration (its sinks: {})",
                        if settings.sinks.is_empty() {
                            "none configured".to_owned()
                        } else {
                            settings.sink_names().join(", ")
                        }
                    ))
                })?;
            let policy = settings
                .sinks
                .iter()
                .find(|s| s.name == *name)
                .map(|s| s.policy)
                .unwrap_or_default();
            Some(Delivery {
                sink,
                policy,
                offsets: Arc::new(Mutex::new(Offsets::new())),
            })
        }
    };
    let terminal = io::stderr().is_terminal();
    let started = std::time::Instant::now();
    let progress = move |done: u64, total: u64| {
        let secs = started.elapsed().as_secs_f64().max(0.001);
        let rate = done as f64 / secs;
        let eta = if rate > 0.0 {
            format!("{:.0}s", total.saturating_sub(done) as f64 / rate)
        } else {
            "-".into()
        };
        let _ = crate::stdio::write_stderr(
            format!("\r\x1b[2K{done}/{total} messages  {rate:.0}/s  ETA {eta}").as_bytes(),
        );
    };
    let topics = if args.topics.is_empty() {
        settings.kafka.topics.clone()
    } else {
        args.topics.clone()
    };
    let output_ref = output.as_ref().map(|m| m as &Mutex<dyn Write + Send>);
    let first_per_story = delivery
        .as_ref()
        .is_some_and(|d| d.policy.repeat == Repeat::FirstPerStory);
    let stories = Stories::new(settings.alerts.stories, first_per_story, None);
    let plan = Plan {
        kafka: &settings.kafka,
        topics,
        from,
        to,
        decode: &settings.input,
        alerts: &settings.alerts.options,
        engine: &engine,
        old: old.as_ref(),
        output: output_ref,
        deliver: delivery.as_ref(),
        stories: &stories,
        progress: if terminal { Some(&progress) } else { None },
    };
    let report = crate::replay::run(&plan).map_err(|e| {
        let status = match &e {
            crate::replay::ReplayError::Backwards { .. } => exit::USAGE,
            crate::replay::ReplayError::Write(_) => exit::IOERR,
            _ => exit::UNAVAILABLE,
        };
        Failure::new(status, anyhow::Error::new(e).context("replaying"))
    })?;
    if terminal {
        let _ = crate::stdio::write_stderr(b"\n");
    }
    if let Some(o) = &output {
        o.lock()
            .unwrap_or_else(|e| e.into_inner())
            .flush()
            .map_err(|e| {
                Failure::new(exit::IOERR, anyhow::Error::new(e).context("writing alerts"))
            })?;
    }
    if let Some(d) = &delivery {
        let deadline = std::time::Instant::now()
            + settings
                .pipeline
                .shutdown_timeout
                .max(Duration::from_secs(30));
        let left = loop {
            let left = d
                .offsets
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .uncommitted();
            if left == 0 || std::time::Instant::now() >= deadline {
                break left;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        if let Some(p) = &producer {
            let _ = p.flush(Duration::from_secs(10));
        }
        if left > 0 {
            return Err(Failure::new(
                exit::UNAVAILABLE,
                anyhow::anyhow!(
                    "{left} items' alerts were not all delivered to sink {:?}",
                    d.sink.name()
                ),
            ));
        }
    }
    let mut text = String::new();
    for (topic, ranges) in &report.ranges {
        let parts: Vec<String> = ranges
            .iter()
            .map(|r| format!("{}:{}..{}", r.partition, r.start, r.end))
            .collect();
        text.push_str(&format!(
            "topic {} {}\n",
            crate::escape::human(topic),
            parts.join(" ")
        ));
    }
    text.push_str(&report.tally.render());
    let secs = report.elapsed.as_secs_f64().max(0.001);
    let _ = crate::stdio::write_stderr(
        format!(
            "newswatch replay: {} messages, {} items rejected, {:.1} s, {:.0} messages/s\n",
            report.messages,
            report.rejected,
            secs,
            report.messages as f64 / secs
        )
        .as_bytes(),
    );
    match crate::stdio::write_stdout(text.as_bytes()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(Failure::new(
            exit::IOERR,
            anyhow::Error::new(e).context("writing the report"),
        )),
        _ => Ok(exit::OK),
    }
}
