//! The watchlist file (SPEC section 2): sets of watch terms and the rules
//! over them, parsed and checked into types that are valid by construction.
//!
//! Loading reports every problem of the file at once ([`Error`]), each with
//! the file, line, set or rule, and the column in a rule's expression.
//!
//! Files: this one holds the types and the entry points
//! ([`Watchlist::load`], [`Watchlist::parse`]); `raw.rs` reads the TOML
//! document and checks its keys and their types; `expr.rs` parses `when`
//! expressions; `load.rs` checks sets, terms and rules and resolves names;
//! `error.rs` the load errors.
//!
//! This module does no matching and evaluates no rule; `engine` compiles a
//! [`Watchlist`] into automata and evaluates its rules. It must not import
//! `engine` (the engine imports it); terms are normalized through `text`.

mod error;
pub mod expr;
#[cfg(test)]
mod fuzz_tests;
mod load;
mod raw;

use std::fmt;
use std::io::Read;
use std::path::Path;

pub use error::{Error, Place, Problem, ProblemKind};
pub use expr::Within;

use crate::text::normalize::{Form, normalize};
use crate::text::words::{is_cjk, is_mark, is_word_char};

/// Alert severity, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// `info`: worth a log line.
    Info,
    /// `low`.
    Low,
    /// `medium`, the default of a rule without `severity`.
    Medium,
    /// `high`.
    High,
    /// `critical`: act now.
    Critical,
}

impl Severity {
    /// The lowercase name, as written in the watchlist and in alerts.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "info" => Severity::Info,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The most bytes a watchlist file may have: 64 MiB. Only that much (and
/// one byte more) is read, so `--watchlist /dev/zero` is an error, not a
/// read until the kernel kills the process. The generated watchlist of a
/// million terms (`scripts/gen-watchlist.py 1000000`, the largest that
/// BENCHMARKS.md builds) is 16.6 MB: four times that fits.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// The default watchlist (`config/watchlist.toml`), built into the binary:
/// what `demo` runs and what the offline commands use when no watchlist
/// file is found.
pub const BUILT_IN: &str = include_str!("../../config/watchlist.toml");

/// A watch term as written and as matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// As written in the file, `*` included: what alerts report (shared
    /// by every alert that reports it, not copied).
    pub text: std::sync::Arc<str>,
    /// Normalized (NFKC, lowercased unless case-sensitive, white space runs as
    /// one space, trimmed), without the `*`. Never empty.
    pub pattern: String,
    /// A trailing `*`: a boundary is needed at the start only.
    pub prefix: bool,
    /// From a set with `case_sensitive = true`: `pattern` keeps its case.
    pub case_sensitive: bool,
}

/// The most characters a term may have, as written and once normalized
/// (NFKC spells a few characters with several: `ﷺ` is 18 letters), without
/// its `*`.
///
/// The automaton's build time grows with the square of a term's length
/// when the term repeats itself (`aaaa…`, `ab ab ab …`): aho-corasick's DFA
/// builder fills each transition a term's state lacks by walking the
/// failure links down from that state, up to its depth. One term of 16 KiB
/// took 3.9 s to build and one of 64 KiB 57 s (issue 14); at 256
/// characters the worst term costs milliseconds. The longest term of the
/// default watchlist has 41 characters; 256 holds any name or phrase worth
/// watching with room to spare.
pub const MAX_TERM_CHARS: usize = 256;

impl Term {
    /// The term as written, without the `*` of a prefix term.
    pub fn body(&self) -> &str {
        match self.text.strip_suffix('*') {
            Some(b) if self.prefix => b,
            _ => &self.text,
        }
    }

    /// Parses a term as written; an error for the reasons of [`TermError`],
    /// checked in its order.
    fn parse(text: &str, case_sensitive: bool) -> Result<Self, TermError> {
        let trimmed = text.trim();
        let (body, prefix) = match trimmed.strip_suffix('*') {
            Some(b) => (b, true),
            None => (trimmed, false),
        };
        // Counted before anything else is done with a term that may be
        // megabytes long.
        let chars = body.chars().count();
        if chars > MAX_TERM_CHARS {
            return Err(TermError::TooLong {
                chars,
                normalized: false,
            });
        }
        // SPEC 2a: judged on the term as written, not on its normalized
        // form, as boundaries in text are (a symbol such as `™` is no letter
        // even though NFKC spells it `TM`).
        if prefix && !body.chars().next_back().is_some_and(is_stem_char) {
            return Err(TermError::StarAfterNonWord {
                fix: star_fix(body),
            });
        }
        if body.contains('*') {
            return Err(TermError::StarInside);
        }
        let form = if case_sensitive {
            Form::CaseKept
        } else {
            Form::Folded
        };
        let pattern = normalize(body, form).trim().to_owned();
        if pattern.is_empty() {
            return Err(TermError::Empty);
        }
        // A mark belongs to the character before it: a term that starts
        // with one (`\u{301}\u{301}`, or `´`, which NFKC spells as a space
        // and U+0301) could start a match only inside another character's
        // combining sequence, which the offset map never aligns with, or at
        // the very start of a field. Refused rather than loaded to
        // (almost) never match.
        if let Some(mark) = pattern.chars().next().filter(|&c| is_mark(c)) {
            return Err(TermError::StartsWithMark { mark });
        }
        let chars = pattern.chars().count();
        if chars > MAX_TERM_CHARS {
            return Err(TermError::TooLong {
                chars,
                normalized: true,
            });
        }
        Ok(Term {
            text: trimmed.into(),
            pattern,
            prefix,
            case_sensitive,
        })
    }
}

/// Why a term as written is not a term.
enum TermError {
    /// More than [`MAX_TERM_CHARS`] characters without the `*`, as written
    /// or (`normalized`) once normalized.
    TooLong { chars: usize, normalized: bool },
    /// The `*` of a prefix term follows white space, punctuation, a symbol
    /// or nothing (SPEC 2a): `"AI *"` would otherwise be the prefix `ai*`
    /// and match `Airline`. `fix` is the term with what stands between its
    /// last letter and the `*` removed (`AI*`), when that leaves a term.
    StarAfterNonWord { fix: Option<String> },
    /// A `*` before the end.
    StarInside,
    /// Nothing left once trimmed and normalized.
    Empty,
    /// Once trimmed and normalized, the term starts with the combining
    /// mark `mark`.
    StartsWithMark { mark: char },
}

/// A character that may stand just before the `*` of a prefix term: a
/// letter, digit or mark, or a CJK character.
fn is_stem_char(c: char) -> bool {
    is_word_char(c) || is_cjk(c)
}

/// The prefix term a misplaced `*` was probably meant for: `body` without
/// its trailing characters that may not precede the `*`, then `*`. `None`
/// when nothing usable is left (`"*"`, `"**"`, or another `*` inside).
fn star_fix(body: &str) -> Option<String> {
    let stem = body.trim_end_matches(|c| !is_stem_char(c));
    (!stem.is_empty() && !stem.contains('*')).then(|| format!("{stem}*"))
}

/// A named set of terms.
#[derive(Debug, Clone)]
pub struct Set {
    /// The name after `[sets.`, as rules refer to it (shared by every alert
    /// that reports it, not copied).
    pub name: std::sync::Arc<str>,
    /// The terms in file order; never empty. [`Match::term`] indexes it.
    ///
    /// [`Match::term`]: crate::engine::Match::term
    pub terms: Vec<Term>,
    /// `case_sensitive = true`: the terms skip lowercasing (SPEC section 2).
    pub case_sensitive: bool,
    /// `confusables = true` (default false): also match look-alike letters
    /// of other scripts by UTS #39 skeletons, SPEC 2a (Cyrillic `Н200` for
    /// the term `H200`). Never together with `case_sensitive`: the loader
    /// refuses that, as a skeleton folds case.
    pub confusables: bool,
}

/// What an expression refers to: a set, or an inline term of some rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operand {
    /// Index into [`Watchlist::sets`].
    Set(usize),
    /// Index into [`Watchlist::inline_terms`].
    Inline(usize),
}

/// A rule expression with operands resolved (SPEC sections 2 and 2b). What
/// each operator means on an item is defined in one place, the evaluator
/// in `engine::rules`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// A set or an inline term: some term of it matched anywhere in the item.
    Operand(Operand),
    /// The inner expression does not hold.
    Not(Box<Expr>),
    /// Every item holds (two or more items).
    And(Vec<Expr>),
    /// Some item holds (two or more items).
    Or(Vec<Expr>),
    /// A proximity operator (`NEAR/n`, `PRE/n`, `NOT NEAR/n`, `NEAR/S`,
    /// `NEAR/P`) between a match of `left` and one of `right` in one field.
    Near {
        /// Which operator, with its distance.
        within: Within,
        /// The operands of the left side (one, or those of an OR group).
        left: Vec<Operand>,
        /// The operands of the right side, as `left`.
        right: Vec<Operand>,
    },
    /// `FIRST/n`: a match of one of `operands` starts within the first `n`
    /// words of its field.
    First {
        /// Words from the start of the field, at least 1.
        n: u32,
        /// One operand, or those of an OR group.
        operands: Vec<Operand>,
    },
    /// `ATLEAST/n`: the matches of `operands` are in at least `n` places
    /// that do not overlap.
    AtLeast {
        /// Occurrences needed, at least 1.
        n: u32,
        /// One operand, or those of an OR group.
        operands: Vec<Operand>,
    },
    /// `field:x`: `inner` holds on the matches in the scanned field `field`
    /// alone (one of `input.fields`).
    InField {
        /// The field's name.
        field: String,
        /// What must hold there; has no `InField` of another field.
        inner: Box<Expr>,
    },
    /// `key:value` or `key:(a OR b)`: a metadata filter, matching no text.
    Meta(MetaFilter),
}

/// A metadata filter (SPEC 2b): the item's metadata field `key` (or, for
/// `site:`, the host of its `url`) equals one of `values`, compared
/// case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaFilter {
    /// What is compared.
    pub key: MetaKey,
    /// The values as written (trimmed), one or more.
    pub values: Vec<String>,
}

/// What a metadata filter compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetaKey {
    /// The metadata field of this name (one of `input.metadata_fields`),
    /// equal to a value.
    Field(String),
    /// `site:`: the host of the `url` metadata field is a value or a
    /// subdomain of one (`www.reuters.com` for `reuters.com`), whatever its
    /// port.
    Site,
}

impl fmt::Display for MetaFilter {
    /// As written in canonical form: `lang:ru`, `source:(tass OR ria)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = match &self.key {
            MetaKey::Field(k) => k.as_str(),
            MetaKey::Site => "site",
        };
        let show = |v: &str| {
            if v.chars().all(expr::is_name_char) && !v.is_empty() {
                v.to_owned()
            } else {
                format!("{v:?}")
            }
        };
        match self.values.as_slice() {
            [one] => write!(f, "{key}:{}", show(one)),
            many => {
                let shown: Vec<String> = many.iter().map(|v| show(v)).collect();
                write!(f, "{key}:({})", shown.join(" OR "))
            }
        }
    }
}

/// The field names a watchlist may refer to (SPEC 2b): the scanned fields
/// (`input.fields`; `text` for the text format) for field scope, and the
/// metadata fields (`input.metadata_fields`) for filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    /// The scanned fields.
    pub fields: Vec<String>,
    /// The metadata fields: top-level JSON string members that are not
    /// scanned.
    pub metadata_fields: Vec<String>,
}

/// The default `input.fields` (SPEC section 1).
pub const DEFAULT_FIELDS: [&str; 3] = ["title", "summary", "body"];

/// The default `input.metadata_fields` (SPEC 2b).
pub const DEFAULT_METADATA_FIELDS: [&str; 3] = ["lang", "source", "url"];

impl Default for Schema {
    /// The default fields of the JSON format: `title`, `summary`, `body`,
    /// and `lang`, `source`, `url`.
    fn default() -> Self {
        Schema {
            fields: DEFAULT_FIELDS.map(String::from).to_vec(),
            metadata_fields: DEFAULT_METADATA_FIELDS.map(String::from).to_vec(),
        }
    }
}

/// What an expression is on an item with no text match, the metadata
/// unknown: Kleene's three-valued logic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NoMatch {
    True,
    False,
    /// Depends on the metadata.
    Maybe,
}

impl Expr {
    /// Whether the expression may hold on an item with no text match; the
    /// loader refuses such a rule (SPEC section 2: `NOT gaming` alone would
    /// alert on every item; SPEC 2b: `lang:ru` alone, on every Russian
    /// item), and the engine relies on that to evaluate only the rules of
    /// matched operands (presearch).
    ///
    /// A structural fold in three-valued logic, apart from the engine's
    /// evaluator so that the watchlist need not import the engine: a
    /// metadata filter is unknown, `NOT`, `AND` and `OR` combine as Kleene's
    /// logic does, and every other operator is false: an operand and every
    /// positional operator (NEAR and its kin, FIRST, ATLEAST of at least
    /// 1, a field scope of those) need a match. So `chips AND lang:ru` is
    /// false without a match and loads, while `chips OR lang:ru` and `NOT
    /// (chips AND lang:ru)` may hold and are refused. `engine::rules` tests
    /// that this agrees with the evaluator on items with no match.
    pub fn holds_without_match(&self) -> bool {
        self.without_match() != NoMatch::False
    }

    fn without_match(&self) -> NoMatch {
        match self {
            Expr::Not(e) => match e.without_match() {
                NoMatch::True => NoMatch::False,
                NoMatch::False => NoMatch::True,
                NoMatch::Maybe => NoMatch::Maybe,
            },
            Expr::And(es) => {
                let all: Vec<NoMatch> = es.iter().map(Expr::without_match).collect();
                if all.contains(&NoMatch::False) {
                    NoMatch::False
                } else if all.contains(&NoMatch::Maybe) {
                    NoMatch::Maybe
                } else {
                    NoMatch::True
                }
            }
            Expr::Or(es) => {
                let all: Vec<NoMatch> = es.iter().map(Expr::without_match).collect();
                if all.contains(&NoMatch::True) {
                    NoMatch::True
                } else if all.contains(&NoMatch::Maybe) {
                    NoMatch::Maybe
                } else {
                    NoMatch::False
                }
            }
            Expr::InField { inner, .. } => inner.without_match(),
            Expr::Meta(_) => NoMatch::Maybe,
            Expr::Operand(_) | Expr::Near { .. } | Expr::First { .. } | Expr::AtLeast { .. } => {
                NoMatch::False
            }
        }
    }

    /// Appends every operand the expression refers to, in order, duplicates
    /// included.
    fn operands(&self, out: &mut Vec<Operand>) {
        match self {
            Expr::Operand(o) => out.push(*o),
            Expr::Not(e) | Expr::InField { inner: e, .. } => e.operands(out),
            Expr::And(es) | Expr::Or(es) => es.iter().for_each(|e| e.operands(out)),
            Expr::Near { left, right, .. } => {
                out.extend_from_slice(left);
                out.extend_from_slice(right);
            }
            Expr::First { operands, .. } | Expr::AtLeast { operands, .. } => {
                out.extend_from_slice(operands);
            }
            Expr::Meta(_) => {}
        }
    }
}

/// A rule: when its expression holds for an item, it alerts.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The rule's `id`, trimmed; unique in the watchlist, never empty.
    pub id: String,
    /// The `when` expression as written, for alerts and `check`.
    pub when: String,
    /// `when`, parsed and resolved; never holds on an item with no match
    /// ([`Expr::holds_without_match`] is false).
    pub expr: Expr,
    /// `severity`, [`Severity::Medium`] when absent.
    pub severity: Severity,
    /// `description`, as written.
    pub description: Option<String>,
    /// Sink names; `None` routes to every configured sink.
    pub sinks: Option<Vec<String>>,
    /// Every operand the expression refers to, sorted, without duplicates.
    pub operands: Vec<Operand>,
}

impl Rule {
    /// The rule's alerts go to the sink named `sink`: its `sinks` name it,
    /// or it has none (every configured sink).
    pub fn routes_to(&self, sink: &str) -> bool {
        self.sinks
            .as_ref()
            .is_none_or(|names| names.iter().any(|n| n == sink))
    }
}

/// A loaded, valid watchlist.
#[derive(Debug, Clone)]
pub struct Watchlist {
    /// Every set, ordered by name; [`Operand::Set`] indexes it.
    pub sets: Vec<Set>,
    /// Quoted terms of all rules, shared between rules that quote the same
    /// term; always case-insensitive.
    pub inline_terms: Vec<Term>,
    /// The rules in file order, each valid.
    pub rules: Vec<Rule>,
}

impl Watchlist {
    /// Reads and parses `path` for items of the default fields
    /// ([`Schema::default`]), as [`Watchlist::load_with`].
    ///
    /// # Errors
    ///
    /// As [`Watchlist::load_with`].
    pub fn load(path: &Path, sinks: Option<&[String]>) -> Result<Self, Error> {
        Self::load_with(path, sinks, &Schema::default())
    }

    /// Reads and parses `path`. `sinks` lists the configured sink names that
    /// rules may route to; `None` skips that check (offline `scan` without
    /// sinks configured). `schema` names the fields that field scopes and
    /// metadata filters may refer to.
    ///
    /// # Errors
    ///
    /// An [`Error`] naming `path` with every problem found:
    /// [`ProblemKind::Read`] alone when the file cannot be read or is not
    /// UTF-8, [`ProblemKind::FileTooLarge`] alone when it has more than
    /// [`MAX_FILE_BYTES`] (only that much of it is read), else those of
    /// [`Watchlist::parse`].
    pub fn load_with(
        path: &Path,
        sinks: Option<&[String]>,
        schema: &Schema,
    ) -> Result<Self, Error> {
        let failed = |kind| Error {
            file: path.to_owned(),
            problems: vec![Problem {
                line: None,
                place: Place::File,
                kind,
            }],
        };
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
            .map_err(|e| failed(ProblemKind::Read(e.to_string())))?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(failed(ProblemKind::FileTooLarge));
        }
        let src = String::from_utf8(bytes)
            .map_err(|e| failed(ProblemKind::Read(format!("the file is not UTF-8 ({e})"))))?;
        Self::parse_with(&src, sinks, schema).map_err(|problems| Error {
            file: path.to_owned(),
            problems,
        })
    }

    /// Parses watchlist TOML for items of the default fields
    /// ([`Schema::default`]), as [`Watchlist::parse_with`].
    ///
    /// # Errors
    ///
    /// As [`Watchlist::parse_with`].
    pub fn parse(src: &str, sinks: Option<&[String]>) -> Result<Self, Vec<Problem>> {
        Self::parse_with(src, sinks, &Schema::default())
    }

    /// Parses watchlist TOML, returning every problem found; `sinks` and
    /// `schema` as for [`Watchlist::load_with`].
    ///
    /// # Errors
    ///
    /// Every [`Problem`] of the text, in file order (by line, then column):
    /// one [`ProblemKind::Toml`] when it is not valid TOML, else each key of
    /// the wrong type, unknown or missing, each bad set, term, rule id,
    /// severity, sink and expression (a scope naming no field of `schema`
    /// included), and each rule that may hold on an item with no match
    /// (SPEC section 2, "Loading fails", and 2b).
    pub fn parse_with(
        src: &str,
        sinks: Option<&[String]>,
        schema: &Schema,
    ) -> Result<Self, Vec<Problem>> {
        let mut problems = error::Problems::new(src);
        match raw::read(src, &mut problems) {
            Some(raw) => load::Loader::new(sinks, schema, problems).load(raw),
            None => Err(problems.into_sorted()),
        }
    }

    /// The display name of an operand: the set name or the quoted term.
    ///
    /// # Panics
    ///
    /// If `o` is not an operand of this watchlist.
    pub fn operand_name(&self, o: Operand) -> String {
        match o {
            Operand::Set(i) => self.sets[i].name.to_string(),
            Operand::Inline(i) => format!("{:?}", self.inline_terms[i].text),
        }
    }

    /// Number of terms over all sets and inline terms.
    pub fn term_count(&self) -> usize {
        self.sets.iter().map(|s| s.terms.len()).sum::<usize>() + self.inline_terms.len()
    }
}
