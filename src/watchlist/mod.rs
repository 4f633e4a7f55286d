//! The watchlist file (SPEC section 2): sets of watch terms and the rules
//! over them, parsed and checked into types that are valid by construction.
//!
//! Loading reports every problem of the file at once ([`Error`]), each with
//! the file, line, set or rule, and the column in a rule's expression. This
//! module does no matching; `engine` compiles a [`Watchlist`] into automata.

mod error;
pub mod expr;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

pub use error::{Error, Place, Problem, ProblemKind};
use expr::Ast;

use crate::text::normalize::normalize;

/// Alert severity, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
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

/// A watch term as written and as matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// As written in the file, `*` included: what alerts report.
    pub text: String,
    /// Normalized (NFKC, lowercased unless case-sensitive, white space runs as
    /// one space, trimmed), without the `*`. Never empty.
    pub pattern: String,
    /// A trailing `*`: a boundary is needed at the start only.
    pub prefix: bool,
    pub case_sensitive: bool,
}

impl Term {
    /// Parses a term as written; `None` for the reasons of [`TermError`].
    fn parse(text: &str, case_sensitive: bool) -> Result<Self, TermError> {
        let trimmed = text.trim();
        let (body, prefix) = match trimmed.strip_suffix('*') {
            Some(b) => (b, true),
            None => (trimmed, false),
        };
        if body.contains('*') {
            return Err(TermError::StarInside);
        }
        let pattern = normalize(body, !case_sensitive).trim().to_owned();
        if pattern.is_empty() {
            return Err(TermError::Empty);
        }
        Ok(Term {
            text: trimmed.to_owned(),
            pattern,
            prefix,
            case_sensitive,
        })
    }
}

enum TermError {
    Empty,
    StarInside,
}

/// A named set of terms.
#[derive(Debug, Clone)]
pub struct Set {
    pub name: String,
    pub terms: Vec<Term>,
    pub case_sensitive: bool,
}

/// What an expression refers to: a set, or an inline term of some rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operand {
    Set(usize),
    Inline(usize),
}

/// A rule expression with operands resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    Operand(Operand),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    /// Some match of `left` and some match of `right` in one field with at
    /// most `n` words strictly between them.
    Near {
        n: u32,
        left: Vec<Operand>,
        right: Vec<Operand>,
    },
}

impl Expr {
    /// Whether the expression holds on an item with no match at all; the
    /// loader refuses such a rule (SPEC section 2: `NOT gaming` alone would
    /// alert on every item), and the engine relies on that to evaluate only
    /// the rules of matched operands.
    ///
    /// A structural fold, apart from the engine's evaluator so that the
    /// watchlist need not import the engine: `NOT`, `AND` and `OR` combine
    /// their operands' answers as the evaluator does; every other operator
    /// falls to the default arm, `false`. That is right for an operand and
    /// for every positional operator (NEAR and any later one that needs
    /// matches to compare), which is false on an item with no matches, so a
    /// new positional operator needs no edit here. An operator that can hold
    /// without any text match (a metadata filter, a count of at most zero)
    /// needs its own arm here. `engine::rules` tests that this agrees with
    /// the evaluator on an item with no matches.
    pub fn holds_without_match(&self) -> bool {
        match self {
            Expr::Not(e) => !e.holds_without_match(),
            Expr::And(es) => es.iter().all(Expr::holds_without_match),
            Expr::Or(es) => es.iter().any(Expr::holds_without_match),
            _ => false,
        }
    }

    fn operands(&self, out: &mut Vec<Operand>) {
        match self {
            Expr::Operand(o) => out.push(*o),
            Expr::Not(e) => e.operands(out),
            Expr::And(es) | Expr::Or(es) => es.iter().for_each(|e| e.operands(out)),
            Expr::Near { left, right, .. } => {
                out.extend_from_slice(left);
                out.extend_from_slice(right);
            }
        }
    }
}

/// A rule: when its expression holds for an item, it alerts.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub when: String,
    pub expr: Expr,
    pub severity: Severity,
    pub description: Option<String>,
    /// Sink names; `None` routes to every configured sink.
    pub sinks: Option<Vec<String>>,
    /// Every operand the expression refers to, sorted, without duplicates.
    pub operands: Vec<Operand>,
}

/// A loaded, valid watchlist.
#[derive(Debug, Clone)]
pub struct Watchlist {
    pub sets: Vec<Set>,
    /// Quoted terms of all rules, shared between rules that quote the same
    /// term; always case-insensitive.
    pub inline_terms: Vec<Term>,
    pub rules: Vec<Rule>,
}

impl Watchlist {
    /// Reads and parses `path`. `sinks` lists the configured sink names that
    /// rules may route to; `None` skips that check (offline `scan` without
    /// sinks configured).
    pub fn load(path: &Path, sinks: Option<&[String]>) -> Result<Self, Error> {
        let src = std::fs::read_to_string(path).map_err(|e| Error {
            file: path.to_owned(),
            problems: vec![Problem {
                line: None,
                place: Place::File,
                kind: ProblemKind::Read(e.to_string()),
            }],
        })?;
        Self::parse(&src, sinks).map_err(|problems| Error {
            file: path.to_owned(),
            problems,
        })
    }

    /// Parses watchlist TOML, returning every problem found.
    pub fn parse(src: &str, sinks: Option<&[String]>) -> Result<Self, Vec<Problem>> {
        let raw: RawWatchlist = toml::from_str(src).map_err(|e| {
            vec![Problem {
                line: e.span().map(|s| line_of(src, s.start)),
                place: Place::File,
                kind: ProblemKind::Toml(e.message().trim().to_owned()),
            }]
        })?;
        Loader {
            src,
            sinks,
            problems: Vec::new(),
            set_index: HashMap::new(),
            inline: Vec::new(),
            inline_index: HashMap::new(),
        }
        .load(raw)
    }

    /// The display name of an operand: the set name or the quoted term.
    pub fn operand_name(&self, o: Operand) -> String {
        match o {
            Operand::Set(i) => self.sets[i].name.clone(),
            Operand::Inline(i) => format!("{:?}", self.inline_terms[i].text),
        }
    }

    /// Number of terms over all sets and inline terms.
    pub fn term_count(&self) -> usize {
        self.sets.iter().map(|s| s.terms.len()).sum::<usize>() + self.inline_terms.len()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWatchlist {
    #[serde(default)]
    sets: BTreeMap<String, Spanned<RawSet>>,
    #[serde(default)]
    rules: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSet {
    terms: Vec<Spanned<String>>,
    #[serde(default)]
    case_sensitive: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    when: Spanned<String>,
    #[serde(default)]
    severity: Option<Spanned<String>>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    sinks: Option<Vec<Spanned<String>>>,
}

fn line_of(src: &str, byte: usize) -> usize {
    src.as_bytes()[..byte.min(src.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

struct Loader<'a> {
    src: &'a str,
    sinks: Option<&'a [String]>,
    problems: Vec<Problem>,
    set_index: HashMap<String, usize>,
    inline: Vec<Term>,
    inline_index: HashMap<String, usize>,
}

impl Loader<'_> {
    fn problem(&mut self, at: usize, place: Place, kind: ProblemKind) {
        self.problems.push(Problem {
            line: Some(line_of(self.src, at)),
            place,
            kind,
        });
    }

    fn load(mut self, raw: RawWatchlist) -> Result<Watchlist, Vec<Problem>> {
        let sets = self.sets(raw.sets);
        let mut rules = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        if raw.rules.is_empty() {
            self.problems.push(Problem {
                line: None,
                place: Place::File,
                kind: ProblemKind::NoRules,
            });
        }
        for (i, raw_rule) in raw.rules.into_iter().enumerate() {
            let at = raw_rule.span().start;
            let r = raw_rule.into_inner();
            let id = r.id.get_ref().trim().to_owned();
            let place = if id.is_empty() {
                Place::Rule(format!("#{}", i + 1))
            } else {
                Place::Rule(id.clone())
            };
            if id.is_empty() {
                self.problem(r.id.span().start, place.clone(), ProblemKind::EmptyRuleId);
            } else if let Some(&first) = seen.get(&id) {
                let first_line = line_of(self.src, first);
                self.problem(
                    r.id.span().start,
                    place.clone(),
                    ProblemKind::DuplicateRule { first_line },
                );
            } else {
                seen.insert(id.clone(), r.id.span().start);
            }
            if let Some(rule) = self.rule(id, r, place, at) {
                rules.push(rule);
            }
        }
        if self.problems.is_empty() {
            Ok(Watchlist {
                sets,
                inline_terms: self.inline,
                rules,
            })
        } else {
            self.problems.sort_by_key(|p| p.line);
            Err(self.problems)
        }
    }

    fn sets(&mut self, raw: BTreeMap<String, Spanned<RawSet>>) -> Vec<Set> {
        let mut sets = Vec::with_capacity(raw.len());
        for (name, spanned) in raw {
            let at = spanned.span().start;
            let raw_set = spanned.into_inner();
            let place = Place::Set(name.clone());
            if !expr::is_valid_set_name(&name) {
                self.problem(at, place.clone(), ProblemKind::BadSetName);
            }
            if raw_set.terms.is_empty() {
                self.problem(at, place.clone(), ProblemKind::EmptySet);
            }
            let mut terms = Vec::with_capacity(raw_set.terms.len());
            for (index, t) in raw_set.terms.iter().enumerate() {
                match self.term(t.get_ref(), raw_set.case_sensitive, index + 1) {
                    Ok(term) => terms.push(term),
                    Err(kind) => self.problem(t.span().start, place.clone(), kind),
                }
            }
            self.set_index.insert(name.clone(), sets.len());
            sets.push(Set {
                name,
                terms,
                case_sensitive: raw_set.case_sensitive,
            });
        }
        sets
    }

    fn term(&self, text: &str, case_sensitive: bool, index: usize) -> Result<Term, ProblemKind> {
        Term::parse(text, case_sensitive).map_err(|e| match e {
            TermError::Empty => ProblemKind::EmptyTerm {
                index,
                text: text.to_owned(),
            },
            TermError::StarInside => ProblemKind::StarInside {
                index,
                text: text.to_owned(),
            },
        })
    }

    fn rule(&mut self, id: String, r: RawRule, place: Place, at: usize) -> Option<Rule> {
        let severity = match &r.severity {
            None => Some(Severity::Medium),
            Some(s) => {
                let parsed = Severity::parse(s.get_ref().trim());
                if parsed.is_none() {
                    let kind = ProblemKind::BadSeverity(s.get_ref().clone());
                    self.problem(s.span().start, place.clone(), kind);
                }
                parsed
            }
        };
        if let (Some(known), Some(names)) = (self.sinks, &r.sinks) {
            for name in names {
                if !known.iter().any(|k| k == name.get_ref()) {
                    let list = if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    };
                    let kind = ProblemKind::UnknownSink(name.get_ref().clone(), list);
                    self.problem(name.span().start, place.clone(), kind);
                }
            }
        }
        let when_at = r.when.span().start;
        let expr = match expr::parse(r.when.get_ref()) {
            Ok(ast) => self.resolve(&ast, when_at, &place),
            Err(e) => {
                let kind = ProblemKind::Expression {
                    column: e.column,
                    message: e.message,
                };
                self.problem(when_at, place.clone(), kind);
                None
            }
        }?;
        if expr.holds_without_match() {
            self.problem(at, place, ProblemKind::HoldsWithoutMatch);
            return None;
        }
        let mut operands = Vec::new();
        expr.operands(&mut operands);
        operands.sort_unstable();
        operands.dedup();
        Some(Rule {
            id,
            when: r.when.into_inner(),
            expr,
            severity: severity?,
            description: r.description,
            sinks: r
                .sinks
                .map(|v| v.into_iter().map(Spanned::into_inner).collect()),
            operands,
        })
    }

    /// Resolves set names and inline terms; reports each unknown name.
    fn resolve(&mut self, ast: &Ast, at: usize, place: &Place) -> Option<Expr> {
        Some(match ast {
            Ast::Set { .. } | Ast::Term { .. } => Expr::Operand(self.operand(ast, at, place)?),
            Ast::Not(e) => Expr::Not(Box::new(self.resolve(e, at, place)?)),
            Ast::And(es) => Expr::And(self.resolve_all(es, at, place)?),
            Ast::Or(es) => Expr::Or(self.resolve_all(es, at, place)?),
            Ast::Near { n, left, right } => {
                let l = self.near_side(left, at, place);
                let r = self.near_side(right, at, place);
                Expr::Near {
                    n: *n,
                    left: l?,
                    right: r?,
                }
            }
        })
    }

    fn resolve_all(&mut self, es: &[Ast], at: usize, place: &Place) -> Option<Vec<Expr>> {
        // Resolve every item so that each unknown name is reported.
        let all: Vec<_> = es.iter().map(|e| self.resolve(e, at, place)).collect();
        all.into_iter().collect()
    }

    fn near_side(&mut self, ast: &Ast, at: usize, place: &Place) -> Option<Vec<Operand>> {
        let items = match ast {
            Ast::Or(items) => items.as_slice(),
            one => std::slice::from_ref(one),
        };
        let all: Vec<_> = items.iter().map(|a| self.operand(a, at, place)).collect();
        all.into_iter().collect()
    }

    fn operand(&mut self, ast: &Ast, at: usize, place: &Place) -> Option<Operand> {
        match ast {
            Ast::Set { name, column } => match self.set_index.get(name) {
                Some(&i) => Some(Operand::Set(i)),
                None => {
                    let kind = ProblemKind::UnknownSet {
                        column: *column,
                        name: name.clone(),
                    };
                    self.problem(at, place.clone(), kind);
                    None
                }
            },
            Ast::Term { text, column } => {
                let term = match Term::parse(text, false) {
                    Ok(t) => t,
                    Err(e) => {
                        let message = match e {
                            TermError::Empty => "the quoted term is empty".to_owned(),
                            TermError::StarInside => {
                                "`*` is only allowed at the end of a term".to_owned()
                            }
                        };
                        let kind = ProblemKind::Expression {
                            column: *column,
                            message,
                        };
                        self.problem(at, place.clone(), kind);
                        return None;
                    }
                };
                let key = term.text.clone();
                let next = self.inline.len();
                let i = *self.inline_index.entry(key).or_insert(next);
                if i == next {
                    self.inline.push(term);
                }
                Some(Operand::Inline(i))
            }
            _ => None, // the parser only lets operands reach here
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[sets.chips]
terms = ["H200", "H20", "AI chip*", "ИИ-чип*", "芯片"]

[sets.export]
terms = ["export*", "экспорт*", "出口"]

[sets.acronyms]
terms = ["US", "BIS"]
case_sensitive = true

[[rules]]
id = "chip-export"
when = "chips AND (export OR acronyms) AND NOT \"gaming\""
severity = "high"
description = "Advanced AI chips and exports"
sinks = ["alerts-topic"]

[[rules]]
id = "near"
when = "chips NEAR/3 (export OR \"gaming\")"
"#;

    #[test]
    fn loads_sets_terms_and_rules() {
        let w = Watchlist::parse(GOOD, Some(&["alerts-topic".to_owned()])).unwrap();
        assert_eq!(w.sets.len(), 3);
        let chips = w.sets.iter().find(|s| s.name == "chips").unwrap();
        let t = &chips.terms[2];
        assert_eq!(
            (t.text.as_str(), t.pattern.as_str(), t.prefix),
            ("AI chip*", "ai chip", true)
        );
        let acr = w.sets.iter().find(|s| s.name == "acronyms").unwrap();
        assert_eq!(acr.terms[0].pattern, "US");
        assert_eq!(w.rules[0].severity, Severity::High);
        assert_eq!(w.rules[1].severity, Severity::Medium);
        assert_eq!(w.inline_terms.len(), 1, "\"gaming\" is shared");
        assert_eq!(w.rules[0].operands.len(), 4);
    }

    fn problems(src: &str) -> Vec<Problem> {
        Watchlist::parse(src, Some(&["alerts-topic".to_owned()])).unwrap_err()
    }

    #[test]
    fn reports_every_problem_with_place_and_line() {
        let src = r#"
[sets.empty]
terms = []

[sets.bad]
terms = ["ok", "  ", "a*b"]

[[rules]]
id = "r1"
when = "chipz AND (bad OR nope)"

[[rules]]
id = "r1"
when = "bad AND"
severity = "urgent"
sinks = ["pager"]

[[rules]]
id = "r3"
when = "NOT bad"
"#;
        let p = problems(src);
        let kinds: Vec<_> = p
            .iter()
            .map(|p| (p.line, p.place.clone(), p.kind.clone()))
            .collect();
        let set = |n: &str| Place::Set(n.into());
        let rule = |n: &str| Place::Rule(n.into());
        let expect = vec![
            (Some(2), set("empty"), ProblemKind::EmptySet),
            (Some(6), set("bad"), ProblemKind::EmptyTerm { index: 2, text: "  ".into() }),
            (Some(6), set("bad"), ProblemKind::StarInside { index: 3, text: "a*b".into() }),
            (Some(10), rule("r1"), ProblemKind::UnknownSet { column: 1, name: "chipz".into() }),
            (Some(10), rule("r1"), ProblemKind::UnknownSet { column: 19, name: "nope".into() }),
            (Some(13), rule("r1"), ProblemKind::DuplicateRule { first_line: 9 }),
            (
                Some(14),
                rule("r1"),
                ProblemKind::Expression {
                    column: 8,
                    message: "expected a set name, a quoted term, NOT or `(`, found the end of the expression".into(),
                },
            ),
            (Some(15), rule("r1"), ProblemKind::BadSeverity("urgent".into())),
            (
                Some(16),
                rule("r1"),
                ProblemKind::UnknownSink("pager".into(), "alerts-topic".into()),
            ),
            (Some(18), rule("r3"), ProblemKind::HoldsWithoutMatch),
        ];
        assert_eq!(kinds, expect);
    }

    #[test]
    fn rejects_rules_that_hold_without_matches() {
        let base = "[sets.a]\nterms=[\"x\"]\n[sets.b]\nterms=[\"y\"]\n";
        for when in [
            "NOT a",
            "a OR NOT b",
            "NOT (a AND b)",
            "NOT a NEAR/2 b OR a",
        ] {
            let src = format!("{base}[[rules]]\nid=\"r\"\nwhen=\"{when}\"\n");
            assert!(
                Watchlist::parse(&src, None).is_err(),
                "{when} must be rejected"
            );
        }
        for when in ["a AND NOT b", "a NEAR/2 b", "NOT NOT a"] {
            let src = format!("{base}[[rules]]\nid=\"r\"\nwhen=\"{when}\"\n");
            assert!(Watchlist::parse(&src, None).is_ok(), "{when} must load");
        }
    }

    #[test]
    fn toml_errors_have_a_line() {
        let p = problems("[sets.a]\nterms = [\"x\"\n[[rules]]\n");
        assert_eq!(p.len(), 1);
        assert!(matches!(p[0].kind, ProblemKind::Toml(_)));
        assert!(p[0].line.is_some());
        let p = problems("[[rules]]\nid = \"r\"\nwhen = \"a\"\nseverity_level = 1\n");
        assert!(matches!(&p[0].kind, ProblemKind::Toml(m) if m.contains("severity_level")));
    }

    #[test]
    fn sink_check_is_skipped_without_configured_sinks() {
        assert!(Watchlist::parse(GOOD, None).is_ok());
        let p = Watchlist::parse(GOOD, Some(&[])).unwrap_err();
        assert!(
            matches!(&p[0].kind, ProblemKind::UnknownSink(n, l) if n == "alerts-topic" && l == "none")
        );
    }
}
