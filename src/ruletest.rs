//! Rule test files (SPEC section 6a, `newswatch test`): a watchlist and
//! cases, each an item with the rules that must fire on it, the rules that
//! must not, and optionally texts that must be among a rule's matches.
//!
//! ```toml
//! watchlist = "watchlist.toml"          # relative to this file
//!
//! [[cases]]
//! name = "TASS: Alibaba and ByteDance weigh H200 orders"
//! item = { id = "t1", title = "…", body = "…", lang = "ru" }  # or: file = "items.jsonl", line = 3
//! alerts = ["chip-export-approval"]
//! not_alerts = ["chip-ban-or-licence-decision"]
//! matches = [{ rule = "chip-export-approval", text = "H200" }]
//! ```
//!
//! [`TestFile::load`] checks everything that does not need the item to be
//! matched (the TOML, the watchlist, every rule named, the item sources)
//! and names the line of each problem; [`TestFile::run`] matches each case.
//! Items are decoded as the daemon decodes them (SPEC section 1, default
//! `input` settings).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use crate::engine::{Engine, Field, Scratch};
use crate::explain;
use crate::item::{self, DecodeOptions};
use crate::watchlist::Watchlist;

/// Why a test file cannot be run; each names the file and, where it has
/// one, the line.
#[derive(Debug, thiserror::Error)]
pub enum Invalid {
    /// The file cannot be read.
    #[error("{file}: cannot read the file")]
    Read {
        /// The test file.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A problem at a line of the test file.
    #[error("{file}:{line}: {message}")]
    At {
        /// The test file.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The watchlist it names does not load.
    #[error("{file}: its watchlist does not load")]
    Watchlist {
        /// The test file.
        file: String,
        /// Every problem of the watchlist.
        source: crate::watchlist::Error,
    },
    /// The watchlist loads but its engine cannot be built.
    #[error("{file}: its watchlist cannot be compiled")]
    Engine {
        /// The test file.
        file: String,
        /// Why.
        source: crate::engine::BuildError,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    watchlist: Spanned<String>,
    #[serde(default)]
    cases: Vec<Spanned<RawCase>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    name: String,
    item: Option<toml::Table>,
    file: Option<String>,
    line: Option<usize>,
    #[serde(default)]
    alerts: Vec<String>,
    #[serde(default)]
    not_alerts: Vec<String>,
    #[serde(default)]
    matches: Vec<RawMatch>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatch {
    rule: String,
    text: String,
}

/// One case, checked and with its item's bytes ready to decode.
#[derive(Debug, Clone)]
pub struct Case {
    /// Its `name`.
    pub name: String,
    /// The line of the test file where it starts.
    pub line: usize,
    /// The item as a JSON object (from `item`, or the line of `file`).
    pub item: Vec<u8>,
    /// Rules that must fire.
    pub alerts: Vec<String>,
    /// Rules that must not fire.
    pub not_alerts: Vec<String>,
    /// (rule, text): the rule fires with a match of exactly this text.
    pub matches: Vec<(String, String)>,
}

/// A test file, loaded: its watchlist's engine and its cases.
pub struct TestFile {
    /// The file, as given.
    pub path: PathBuf,
    /// The watchlist it names, resolved against the file's directory.
    pub watchlist: PathBuf,
    /// The engine of that watchlist.
    pub engine: Engine,
    /// The cases in file order.
    pub cases: Vec<Case>,
}

/// What one case came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The case's name.
    pub name: String,
    /// Its line in the test file.
    pub line: usize,
    /// The rules that fired, in watchlist order.
    pub fired: Vec<String>,
    /// Empty when the case holds; else one line per expectation not met.
    pub failures: Vec<String>,
    /// For a failure, the explanation of each rule involved (the trees of
    /// `explain`).
    pub detail: String,
}

impl Outcome {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

impl TestFile {
    /// Reads and checks a test file: TOML, the watchlist (relative to the
    /// file's directory), every rule named by a case, each case's item
    /// (inline, or `file` and `line`, relative to the file's directory).
    ///
    /// # Errors
    ///
    /// The first [`Invalid`] problem, naming the file and line.
    pub fn load(path: &Path) -> Result<Self, Invalid> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| Invalid::Read {
            file: file.clone(),
            source,
        })?;
        let at = |offset: usize, message: String| Invalid::At {
            file: file.clone(),
            line: line_of(&text, offset),
            message,
        };
        let raw: RawFile = toml::from_str(&text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            at(offset, e.message().trim().to_owned())
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let watchlist = dir.join(raw.watchlist.get_ref());
        let w = Watchlist::load(&watchlist, None).map_err(|source| Invalid::Watchlist {
            file: file.clone(),
            source,
        })?;
        let engine = Engine::build(Arc::new(w)).map_err(|source| Invalid::Engine {
            file: file.clone(),
            source,
        })?;
        if raw.cases.is_empty() {
            return Err(at(0, "no [[cases]]: a test file needs at least one".into()));
        }
        let rule_ids: BTreeSet<&str> = engine
            .watchlist()
            .rules
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        let mut cases = Vec::with_capacity(raw.cases.len());
        for spanned in raw.cases {
            let start = spanned.span().start;
            let c = spanned.into_inner();
            let at = |m: String| at(start, format!("case {:?}: {m}", c.name));
            for id in c
                .alerts
                .iter()
                .chain(&c.not_alerts)
                .chain(c.matches.iter().map(|m| &m.rule))
            {
                if !rule_ids.contains(id.as_str()) {
                    return Err(at(format!(
                        "no rule {id:?} in the watchlist {}",
                        watchlist.display()
                    )));
                }
            }
            if c.alerts.is_empty() && c.not_alerts.is_empty() && c.matches.is_empty() {
                return Err(at(
                    "expects nothing: give `alerts`, `not_alerts` or `matches`".into(),
                ));
            }
            if let Some(both) = c.alerts.iter().find(|id| c.not_alerts.contains(id)) {
                return Err(at(format!(
                    "rule {both:?} is in both alerts and not_alerts"
                )));
            }
            let item = match (&c.item, &c.file, c.line) {
                (Some(table), None, None) => {
                    let object = json_of(&toml::Value::Table(table.clone()));
                    serde_json::to_vec(&object)
                        .map_err(|e| at(format!("item: cannot be written as JSON: {e}")))?
                }
                (None, Some(f), Some(n)) => line_of_file(&dir.join(f), n).map_err(at)?,
                (None, Some(_), None) => {
                    return Err(at("`file` needs `line` (1-based)".into()));
                }
                _ => {
                    return Err(at(
                        "give the item inline (`item = { … }`) or as `file` and `line`".into(),
                    ));
                }
            };
            cases.push(Case {
                name: c.name,
                line: line_of(&text, start),
                item,
                alerts: c.alerts,
                not_alerts: c.not_alerts,
                matches: c.matches.into_iter().map(|m| (m.rule, m.text)).collect(),
            });
        }
        Ok(TestFile {
            path: path.to_owned(),
            watchlist,
            engine,
            cases,
        })
    }

    /// Matches every case's item and checks its expectations.
    pub fn run(&self) -> Vec<Outcome> {
        let mut scratch = Scratch::new();
        let decode = DecodeOptions::default();
        self.cases
            .iter()
            .map(|c| run_case(&self.engine, &decode, c, &mut scratch))
            .collect()
    }
}

/// A TOML value as JSON: dates and times as their RFC 3339 text (what
/// `published_at` holds), the rest as it is. A float that JSON cannot
/// hold (NaN, infinity) becomes null.
fn json_of(v: &toml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        toml::Value::String(s) => J::String(s.clone()),
        toml::Value::Integer(i) => J::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        toml::Value::Boolean(b) => J::Bool(*b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(a) => J::Array(a.iter().map(json_of).collect()),
        toml::Value::Table(t) => {
            J::Object(t.iter().map(|(k, v)| (k.clone(), json_of(v))).collect())
        }
    }
}

/// Line `n` (1-based) of the file at `path`, without its line ending.
fn line_of_file(path: &Path, n: usize) -> Result<Vec<u8>, String> {
    let text =
        std::fs::read(path).map_err(|e| format!("file {}: cannot read it: {e}", path.display()))?;
    let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    let count = lines.len() - usize::from(text.ends_with(b"\n"));
    match n
        .checked_sub(1)
        .and_then(|i| lines.get(i))
        .filter(|_| n <= count)
    {
        Some(l) => Ok(l.strip_suffix(b"\r").unwrap_or(l).to_vec()),
        None => Err(format!(
            "file {} has {count} lines; there is no line {n}",
            path.display()
        )),
    }
}

fn run_case(engine: &Engine, decode: &DecodeOptions, c: &Case, scratch: &mut Scratch) -> Outcome {
    let mut out = Outcome {
        name: c.name.clone(),
        line: c.line,
        fired: Vec::new(),
        failures: Vec::new(),
        detail: String::new(),
    };
    let item = match item::decode(&c.item, decode) {
        Ok(item) => item,
        Err(rejection) => {
            out.failures.push(format!(
                "the item is rejected ({}): {rejection}",
                rejection.reason()
            ));
            return out;
        }
    };
    let fields = Field::of(&item);
    let hits = engine.scan_with(&fields, &item.metadata_pairs(), scratch, usize::MAX);
    let w = engine.watchlist();
    out.fired = hits.iter().map(|h| w.rules[h.rule].id.clone()).collect();
    let fired = |id: &str| out.fired.iter().any(|f| f == id);
    let mut explain_rules = Vec::new();
    let missing: Vec<&String> = c.alerts.iter().filter(|id| !fired(id)).collect();
    if !missing.is_empty() {
        out.failures.push(format!(
            "expected to fire: {}; fired: {}",
            list(&c.alerts),
            list(&out.fired)
        ));
        explain_rules.extend(missing.iter().map(|id| id.as_str()));
    }
    let unwanted: Vec<&String> = c.not_alerts.iter().filter(|id| fired(id)).collect();
    if !unwanted.is_empty() {
        out.failures.push(format!(
            "expected not to fire: {}; fired: {}",
            list(&unwanted),
            list(&out.fired)
        ));
        explain_rules.extend(unwanted.iter().map(|id| id.as_str()));
    }
    for (rule, text) in &c.matches {
        let hit = hits.iter().find(|h| &w.rules[h.rule].id == rule);
        let texts: Vec<&str> = hit
            .map(|h| {
                h.matches
                    .iter()
                    .map(|m| &fields[m.field].text[m.start..m.end])
                    .collect()
            })
            .unwrap_or_default();
        if !texts.contains(&text.as_str()) {
            out.failures.push(match hit {
                None => format!("expected {rule} to fire with a match {text:?}; it did not fire"),
                Some(_) => format!(
                    "expected {rule} to fire with a match {text:?}; its matches: {}",
                    list(&texts)
                ),
            });
            explain_rules.push(rule);
        }
    }
    explain_rules.sort_unstable();
    explain_rules.dedup();
    let indexes: Vec<usize> = explain_rules
        .iter()
        .filter_map(|id| w.rules.iter().position(|r| r.id == *id))
        .collect();
    if !indexes.is_empty() {
        for e in explain::explain(engine, &fields, &item.metadata_pairs(), &indexes, scratch) {
            out.detail.push_str(&explain::render(&e));
        }
    }
    out
}

fn list<S: AsRef<str>>(ids: &[S]) -> String {
    if ids.is_empty() {
        return "(none)".into();
    }
    let quoted: Vec<String> = ids
        .iter()
        .map(|s| crate::escape::human(s.as_ref()).into_owned())
        .collect();
    quoted.join(", ")
}

/// The outcomes of a file as lines for a terminal: the file, then one line
/// per case (`ok` or `FAIL`, its name), each failure's reasons and
/// explanations indented under it.
pub fn render(file: &Path, outcomes: &[Outcome]) -> String {
    let mut out = format!("{}\n", crate::escape::human(&file.display().to_string()));
    for o in outcomes {
        let _ = writeln!(
            out,
            "  {} {}",
            if o.passed() { "ok  " } else { "FAIL" },
            crate::escape::human(&o.name)
        );
        for f in &o.failures {
            let _ = writeln!(out, "         {f}");
        }
        for l in o.detail.lines() {
            let _ = writeln!(out, "         {l}");
        }
    }
    out
}

/// Test files' outcomes as JUnit XML (the Ant/Surefire schema that CI
/// systems read): a `testsuite` per file, a `testcase` per case, a
/// `failure` with the reasons and explanations for each failed case.
pub fn junit(files: &[(PathBuf, Vec<Outcome>)]) -> String {
    let total: usize = files.iter().map(|(_, o)| o.len()).sum();
    let failed: usize = files
        .iter()
        .map(|(_, o)| o.iter().filter(|o| !o.passed()).count())
        .sum();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"newswatch test\" tests=\"{total}\" failures=\"{failed}\" errors=\"0\">"
    );
    for (path, outcomes) in files {
        let name = xml(&path.display().to_string());
        let failures = outcomes.iter().filter(|o| !o.passed()).count();
        let _ = writeln!(
            x,
            "  <testsuite name=\"{name}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">",
            outcomes.len()
        );
        for o in outcomes {
            let _ = write!(
                x,
                "    <testcase classname=\"{name}\" name=\"{}\" file=\"{name}\" line=\"{}\"",
                xml(&o.name),
                o.line
            );
            if o.passed() {
                x.push_str("/>\n");
                continue;
            }
            let _ = writeln!(
                x,
                ">\n      <failure message=\"{}\" type=\"RuleTestFailure\">{}\n{}</failure>\n    </testcase>",
                xml(&o.failures.join("; ")),
                xml(&o.failures.join("\n")),
                xml(&o.detail)
            );
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

/// Text escaped for XML 1.0 attribute values and character data; the
/// characters XML 1.0 does not allow at all (C0 controls other than tab,
/// line feed and carriage return, U+FFFE, U+FFFF) become U+FFFD.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_and_replaces_forbidden_characters() {
        assert_eq!(
            xml("a<b & \"c\" 'd'>\u{1}\u{FFFF}\té"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;\u{FFFD}\u{FFFD}\té"
        );
    }

    #[test]
    fn lines_of_a_file_are_one_based_and_bounded() {
        let dir = std::env::temp_dir().join(format!("nw-ruletest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("items.jsonl");
        std::fs::write(&f, "one\r\ntwo\nthree\n").unwrap();
        assert_eq!(line_of_file(&f, 1).unwrap(), b"one");
        assert_eq!(line_of_file(&f, 3).unwrap(), b"three");
        let e = line_of_file(&f, 4).unwrap_err();
        assert!(e.contains("has 3 lines; there is no line 4"), "{e}");
        assert!(line_of_file(&f, 0).is_err());
    }
}
