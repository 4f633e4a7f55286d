//! The loader: the raw sets and rules of a watchlist file ([`raw`]) into a
//! [`Watchlist`], set names and inline terms resolved into [`Operand`]s,
//! every problem of the file collected with its line, place and (in an
//! expression) column.
//!
//! Owns the checks of SPEC section 2 ("Loading fails ... on") on what the
//! values mean; reads no TOML itself (`raw` does, and checks the types),
//! parses no expression syntax (`expr`) and evaluates nothing (`engine`).
//!
//! [`raw`]: super::raw

use std::collections::HashMap;

use toml::Spanned;

use super::error::{self, Problems};
use super::expr::{self, Ast};
use super::raw::{RawRule, RawSet, RawWatchlist};
use super::{
    Expr, MetaFilter, MetaKey, Operand, Place, Problem, ProblemKind, Rule, Schema, Set, Severity,
    Term, TermError, Watchlist,
};

pub(super) struct Loader<'a> {
    sinks: Option<&'a [String]>,
    schema: &'a Schema,
    problems: Problems<'a>,
    set_index: HashMap<String, usize>,
    inline: Vec<Term>,
    inline_index: HashMap<String, usize>,
}

impl<'a> Loader<'a> {
    /// A loader adding to `problems`, those of reading the document;
    /// `sinks` and `schema` as for [`Watchlist::parse_with`].
    pub(super) fn new(
        sinks: Option<&'a [String]>,
        schema: &'a Schema,
        problems: Problems<'a>,
    ) -> Self {
        Loader {
            sinks,
            schema,
            problems,
            set_index: HashMap::new(),
            inline: Vec::new(),
            inline_index: HashMap::new(),
        }
    }

    fn problem(&mut self, at: usize, place: Place, kind: ProblemKind) {
        self.problems.push(Some(at), place, kind);
    }

    /// Checks and resolves everything; every problem found, in file order.
    pub(super) fn load(mut self, raw: RawWatchlist) -> Result<Watchlist, Vec<Problem>> {
        let sets = self.sets(raw.sets);
        let mut rules = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for r in raw.rules {
            let place = r.place();
            if let Some(raw_id) = &r.id {
                let id = raw_id.get_ref().trim();
                let at = raw_id.span().start;
                if id.is_empty() {
                    self.problem(at, place.clone(), ProblemKind::EmptyRuleId);
                } else if let Some(&first) = seen.get(id) {
                    let first_line = self.problems.line(first);
                    self.problem(at, place.clone(), ProblemKind::DuplicateRule { first_line });
                } else {
                    seen.insert(id.to_owned(), at);
                }
            }
            if let Some(rule) = self.rule(r, place) {
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
            Err(self.problems.into_sorted())
        }
    }

    fn sets(&mut self, raw: Vec<RawSet>) -> Vec<Set> {
        let mut sets = Vec::with_capacity(raw.len());
        for raw_set in raw {
            let at = raw_set.at;
            let place = Place::Set(raw_set.name.clone());
            if !expr::is_valid_set_name(&raw_set.name) {
                self.problem(at, place.clone(), ProblemKind::BadSetName);
            }
            if raw_set.no_terms {
                self.problem(at, place.clone(), ProblemKind::EmptySet);
            }
            // `confusables = true`, where it is written.
            let confusables = raw_set.confusables.as_ref().filter(|c| *c.get_ref());
            if let Some(c) = confusables
                && raw_set.case_sensitive
            {
                let kind = ProblemKind::ConfusablesWithCaseSensitive;
                self.problem(c.span().start, place.clone(), kind);
            }
            let confusables = confusables.is_some();
            let raw_terms = raw_set.terms.unwrap_or_default();
            let mut terms = Vec::with_capacity(raw_terms.len());
            for (index, t) in &raw_terms {
                match self.term(t.get_ref(), raw_set.case_sensitive, *index) {
                    Ok(term) => terms.push(term),
                    Err(kind) => self.problem(t.span().start, place.clone(), kind),
                }
            }
            self.set_index.insert(raw_set.name.clone(), sets.len());
            sets.push(Set {
                name: raw_set.name.into(),
                terms,
                case_sensitive: raw_set.case_sensitive,
                confusables,
            });
        }
        sets
    }

    fn term(&self, text: &str, case_sensitive: bool, index: usize) -> Result<Term, ProblemKind> {
        Term::parse(text, case_sensitive).map_err(|e| match e {
            TermError::TooLong { chars, normalized } => ProblemKind::TermTooLong {
                index,
                chars,
                normalized,
            },
            TermError::StarAfterNonWord { fix } => ProblemKind::StarAfterNonWord {
                index,
                text: text.to_owned(),
                fix,
            },
            TermError::Empty => ProblemKind::EmptyTerm {
                index,
                text: text.to_owned(),
            },
            TermError::StarInside => ProblemKind::StarInside {
                index,
                text: text.to_owned(),
            },
            TermError::StartsWithMark { mark } => ProblemKind::TermStartsWithMark {
                index,
                text: text.to_owned(),
                mark,
            },
        })
    }

    fn rule(&mut self, r: RawRule, place: Place) -> Option<Rule> {
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
        // A missing or non-string `when` is reported by `raw`.
        let when = r.when?;
        let when_at = when.span().start;
        let expr = match expr::parse(when.get_ref()) {
            Ok(ast) => self.resolve(&ast, when_at, &place, None),
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
            self.problem(r.at, place, ProblemKind::HoldsWithoutMatch);
            return None;
        }
        let mut operands = Vec::new();
        expr.operands(&mut operands);
        operands.sort_unstable();
        operands.dedup();
        Some(Rule {
            id: r.id?.into_inner().trim().to_owned(),
            when: when.into_inner(),
            expr,
            severity: severity?,
            description: r.description,
            sinks: r
                .sinks
                .map(|v| v.into_iter().map(Spanned::into_inner).collect()),
            operands,
        })
    }

    fn expression_problem(&mut self, at: usize, place: &Place, column: usize, message: String) {
        self.problem(
            at,
            place.clone(),
            ProblemKind::Expression { column, message },
        );
    }

    /// Resolves set names, inline terms and scopes; reports each unknown
    /// name. `scope` is the field scope around `ast`, if any.
    fn resolve(
        &mut self,
        ast: &Ast,
        at: usize,
        place: &Place,
        scope: Option<&str>,
    ) -> Option<Expr> {
        Some(match ast {
            Ast::Set { .. } | Ast::Term { .. } => Expr::Operand(self.operand(ast, at, place)?),
            Ast::Not(e) => Expr::Not(Box::new(self.resolve(e, at, place, scope)?)),
            Ast::And(es) => Expr::And(self.resolve_all(es, at, place, scope)?),
            Ast::Or(es) => Expr::Or(self.resolve_all(es, at, place, scope)?),
            Ast::Near {
                within,
                left,
                right,
            } => {
                let l = self.side(left, at, place);
                let r = self.side(right, at, place);
                Expr::Near {
                    within: *within,
                    left: l?,
                    right: r?,
                }
            }
            Ast::First { n, inner } => Expr::First {
                n: *n,
                operands: self.side(inner, at, place)?,
            },
            Ast::AtLeast { n, inner } => Expr::AtLeast {
                n: *n,
                operands: self.side(inner, at, place)?,
            },
            Ast::Scope {
                name,
                column,
                inner,
            } => return self.scope(name, *column, inner, at, place, scope),
        })
    }

    /// `name:inner`: a field scope when `name` is a scanned field, a
    /// metadata filter when it is a metadata field (or `site` with `url`
    /// one); otherwise an error naming both lists.
    fn scope(
        &mut self,
        name: &str,
        column: usize,
        inner: &Ast,
        at: usize,
        place: &Place,
        outer: Option<&str>,
    ) -> Option<Expr> {
        let schema = self.schema;
        if schema.fields.iter().any(|f| f == name) {
            if let Some(outer) = outer.filter(|o| *o != name) {
                let message = format!(
                    "`{name}:` inside `{outer}:` can never hold (a match is in one field); \
                     join the two with AND or OR instead"
                );
                self.expression_problem(at, place, column, message);
                return None;
            }
            return Some(Expr::InField {
                field: name.to_owned(),
                inner: Box::new(self.resolve(inner, at, place, Some(name))?),
            });
        }
        let is_meta = |n: &str| schema.metadata_fields.iter().any(|f| f == n);
        let key = if is_meta(name) {
            MetaKey::Field(name.to_owned())
        } else if name == "site" && is_meta("url") {
            MetaKey::Site
        } else {
            let site = if is_meta("url") { ", and site" } else { "" };
            let message = format!(
                "`{name}:` names no scanned field (input.fields: {}) and no metadata field \
                 (input.metadata_fields: {}{site})",
                list(&schema.fields),
                list(&schema.metadata_fields)
            );
            self.expression_problem(at, place, column, message);
            return None;
        };
        let items = match inner {
            Ast::Or(items) => items.as_slice(),
            one => std::slice::from_ref(one),
        };
        let mut values = Vec::new();
        for item in items {
            let (value, vcol) = match item {
                Ast::Set { name, column } => (name.trim(), *column),
                Ast::Term { text, column } => (text.trim(), *column),
                _ => {
                    let message = format!(
                        "`{name}:` is a metadata filter: it takes a value or a parenthesised \
                         OR of values, as in {name}:x or {name}:(x OR \"y z\")"
                    );
                    self.expression_problem(at, place, column, message);
                    return None;
                }
            };
            if value.is_empty() {
                self.expression_problem(at, place, vcol, format!("`{name}:` with an empty value"));
                return None;
            }
            if key == MetaKey::Site && value.contains(['/', ':', ' ']) {
                let message =
                    format!("site: takes a host name, as in site:reuters.com, not {value:?}");
                self.expression_problem(at, place, vcol, message);
                return None;
            }
            values.push(value.to_owned());
        }
        Some(Expr::Meta(MetaFilter { key, values }))
    }

    fn resolve_all(
        &mut self,
        es: &[Ast],
        at: usize,
        place: &Place,
        scope: Option<&str>,
    ) -> Option<Vec<Expr>> {
        // Resolve every item so that each unknown name is reported.
        let all: Vec<_> = es
            .iter()
            .map(|e| self.resolve(e, at, place, scope))
            .collect();
        all.into_iter().collect()
    }

    /// The operands of a side of a proximity operator, `FIRST` or
    /// `ATLEAST`: one, or those of an OR group (the parser allows no other).
    fn side(&mut self, ast: &Ast, at: usize, place: &Place) -> Option<Vec<Operand>> {
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
                            TermError::TooLong { chars, normalized } => format!(
                                "the quoted term has {chars} characters{}, more than the {} \
                                 a term may have",
                                if normalized { " once normalized" } else { "" },
                                super::MAX_TERM_CHARS
                            ),
                            TermError::StarAfterNonWord { fix } => format!(
                                "quoted term {text:?}: {}",
                                error::star_after_non_word(fix.as_deref())
                            ),
                            TermError::Empty => "the quoted term is empty".to_owned(),
                            TermError::StarInside => {
                                "`*` is only allowed at the end of a term".to_owned()
                            }
                            TermError::StartsWithMark { mark } => {
                                format!("quoted term {text:?}: {}", error::starts_with_mark(mark))
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
                let key = term.text.to_string();
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

/// `names` as a comma-separated list, or `none`.
fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
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
        let chips = w.sets.iter().find(|s| &*s.name == "chips").unwrap();
        let t = &chips.terms[2];
        assert_eq!(
            (&*t.text, t.pattern.as_str(), t.prefix),
            ("AI chip*", "ai chip", true)
        );
        let acr = w.sets.iter().find(|s| &*s.name == "acronyms").unwrap();
        assert_eq!(acr.terms[0].pattern, "US");
        assert_eq!(w.rules[0].severity, Severity::High);
        assert_eq!(w.rules[1].severity, Severity::Medium);
        assert_eq!(w.inline_terms.len(), 1, "\"gaming\" is shared");
        assert_eq!(w.rules[0].operands.len(), 4);
    }

    fn problems(src: &str) -> Vec<Problem> {
        Watchlist::parse(src, Some(&["alerts-topic".to_owned()])).unwrap_err()
    }

    /// Each problem as (line, place, kind), for comparing whole lists.
    fn triples(problems: &[Problem]) -> Vec<(Option<usize>, Place, ProblemKind)> {
        problems
            .iter()
            .map(|p| (p.line, p.place.clone(), p.kind.clone()))
            .collect()
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
        let kinds = triples(&problems(src));
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
    fn a_prefix_star_must_follow_a_letter_digit_or_cjk_character() {
        // SPEC 2a. `\u0301` is a combining mark, part of the word before it.
        let src = r#"[sets.bad]
terms = ["AI *", "*", "H200-*", "** ", "ok*", "Nvidia™*", "a*b *", " AI\t* "]
[sets.fine]
terms = ["AI*", "芯片*", "экспорт*", "H200*", "Zu\u0301r*", "½*"]
[[rules]]
id = "r"
when = "fine AND \"AI *\" AND \"*\""
"#;
        let star = |index, text: &str, fix: Option<&str>| ProblemKind::StarAfterNonWord {
            index,
            text: text.into(),
            fix: fix.map(Into::into),
        };
        let bad = || Place::Set("bad".into());
        let rule = || Place::Rule("r".into());
        let expect = vec![
            (Some(2), bad(), star(1, "AI *", Some("AI*"))),
            (Some(2), bad(), star(2, "*", None)),
            (Some(2), bad(), star(3, "H200-*", Some("H200*"))),
            (Some(2), bad(), star(4, "** ", None)),
            (Some(2), bad(), star(6, "Nvidia™*", Some("Nvidia*"))),
            (Some(2), bad(), star(7, "a*b *", None)),
            (Some(2), bad(), star(8, " AI\t* ", Some("AI*"))),
            (
                Some(7),
                rule(),
                ProblemKind::Expression {
                    column: 10,
                    message:
                        "quoted term \"AI *\": the `*` of a prefix term must follow a letter, \
                              digit or CJK character: write `AI*`"
                            .into(),
                },
            ),
            (
                Some(7),
                rule(),
                ProblemKind::Expression {
                    column: 21,
                    message: "quoted term \"*\": the `*` of a prefix term must follow a letter, \
                              digit or CJK character: put it right after a word, as in `export*`"
                        .into(),
                },
            ),
        ];
        assert_eq!(triples(&problems(src)), expect);
        assert_eq!(
            star(1, "AI *", Some("AI*")).to_string(),
            "term 1 \"AI *\": the `*` of a prefix term must follow a letter, digit or CJK \
             character: write `AI*`"
        );
        assert_eq!(
            star(2, "*", None).to_string(),
            "term 2 \"*\": the `*` of a prefix term must follow a letter, digit or CJK \
             character: put it right after a word, as in `export*`"
        );
    }

    #[test]
    fn terms_longer_than_the_limit_are_refused_naming_set_and_index() {
        let max = crate::watchlist::MAX_TERM_CHARS;
        let at_most = "a".repeat(max);
        let over = "б".repeat(max + 1);
        // U+FDFA is one character written and 18 once normalized: 15 of
        // them are 270.
        let expands = "\u{fdfa}".repeat(15);
        let src = format!(
            "[sets.long]\nterms = [\"{at_most}\", \"{at_most}*\", \"{over}\", \"{expands}\", \"{over}*\"]\n\
             [[rules]]\nid = \"r\"\nwhen = \"long AND \\\"{over}\\\"\"\n"
        );
        let long = || Place::Set("long".into());
        let too_long = |index, chars, normalized| ProblemKind::TermTooLong {
            index,
            chars,
            normalized,
        };
        let expect = vec![
            (Some(2), long(), too_long(3, max + 1, false)),
            (Some(2), long(), too_long(4, 270, true)),
            (Some(2), long(), too_long(5, max + 1, false)),
            (
                Some(5),
                Place::Rule("r".into()),
                ProblemKind::Expression {
                    column: 10,
                    message: format!(
                        "the quoted term has {} characters, more than the {max} a term may have",
                        max + 1
                    ),
                },
            ),
        ];
        assert_eq!(triples(&problems(&src)), expect);
        assert_eq!(
            too_long(3, 300, false).to_string(),
            "term 3 has 300 characters, more than the 256 a term may have"
        );
        assert_eq!(
            too_long(4, 270, true).to_string(),
            "term 4 has 270 characters once normalized, more than the 256 a term may have"
        );
    }

    #[test]
    fn a_file_over_64_mib_is_refused_and_one_at_the_limit_loads() {
        let dir = std::env::temp_dir().join(format!("newswatch-wl-size-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let rules = "[sets.a]\nterms = [\"x\"]\n[[rules]]\nid = \"r\"\nwhen = \"a\"\n";
        // A watchlist padded with a comment to exactly the limit loads.
        let max = usize::try_from(crate::watchlist::MAX_FILE_BYTES).expect("64-bit");
        let mut text = String::with_capacity(max + 1);
        text.push_str(rules);
        text.push('#');
        text.push_str(&"x".repeat(max - text.len() - 1));
        text.push('\n');
        assert_eq!(text.len(), max);
        let at_limit = dir.join("at-limit.toml");
        std::fs::write(&at_limit, &text).expect("write");
        assert!(Watchlist::load(&at_limit, None).is_ok());
        // One byte more is refused as a whole.
        text.push('\n');
        let over = dir.join("over.toml");
        std::fs::write(&over, &text).expect("write");
        let e = Watchlist::load(&over, None).unwrap_err();
        assert_eq!(
            triples(&e.problems),
            [(None, Place::File, ProblemKind::FileTooLarge)]
        );
        assert_eq!(
            e.to_string(),
            format!(
                "{}: the file is larger than the 64 MiB (67108864 bytes) a watchlist may have",
                over.display()
            )
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The single problem of a one-rule watchlist over sets `a` and `b`
    /// with `when`, for items of `schema`.
    fn expression_problem(when: &str, schema: &Schema) -> ProblemKind {
        let src = format!(
            "[sets.a]\nterms=[\"x\"]\n[sets.b]\nterms=[\"y\"]\n[[rules]]\nid=\"r\"\nwhen='{when}'\n"
        );
        let mut problems = Watchlist::parse_with(&src, None, schema)
            .map(|_| ())
            .expect_err(when);
        assert_eq!(problems.len(), 1, "{when}: {problems:?}");
        problems.remove(0).kind
    }

    #[test]
    fn scopes_resolve_to_fields_or_metadata_and_are_refused_with_their_column() {
        let default = Schema::default();
        let expression = |column: usize, message: &str| ProblemKind::Expression {
            column,
            message: message.to_owned(),
        };
        assert_eq!(
            expression_problem("a AND headline:b", &default),
            expression(
                7,
                "`headline:` names no scanned field (input.fields: title, summary, body) and no \
                 metadata field (input.metadata_fields: lang, source, url, and site)"
            )
        );
        assert_eq!(
            expression_problem("title:(a AND body:b)", &default),
            expression(
                14,
                "`body:` inside `title:` can never hold (a match is in one field); join the two \
                 with AND or OR instead"
            )
        );
        assert_eq!(
            expression_problem("a AND lang:(ru AND en)", &default),
            expression(
                7,
                "`lang:` is a metadata filter: it takes a value or a parenthesised OR of \
                 values, as in lang:x or lang:(x OR \"y z\")"
            )
        );
        assert_eq!(
            expression_problem(r#"a AND site:"https://reuters.com""#, &default),
            expression(
                12,
                "site: takes a host name, as in site:reuters.com, not \"https://reuters.com\""
            )
        );
        assert_eq!(
            expression_problem(r#"a AND source:"  ""#, &default),
            expression(14, "`source:` with an empty value")
        );
        // A filter alone, or ORed with a term, matches no text: refused
        // like `NOT a`.
        for when in [
            "lang:ru",
            "a OR lang:ru",
            "NOT (a AND lang:ru)",
            "NOT site:x.org",
        ] {
            assert_eq!(
                expression_problem(when, &default),
                ProblemKind::HoldsWithoutMatch,
                "{when}"
            );
        }
        // Without `url` among the metadata fields there is no `site:`; the
        // text format has the field `text` and no metadata.
        let text = Schema {
            fields: vec!["text".into()],
            metadata_fields: Vec::new(),
        };
        assert_eq!(
            expression_problem("a AND site:x.org", &text),
            expression(
                7,
                "`site:` names no scanned field (input.fields: text) and no metadata field \
                 (input.metadata_fields: none)"
            )
        );
        let src = "[sets.a]\nterms=[\"x\"]\n[[rules]]\nid=\"r\"\nwhen=\"text:a\"\n";
        assert!(Watchlist::parse_with(src, None, &text).is_ok());
        assert!(Watchlist::parse(src, None).is_err());
        // What loads, and how it resolves.
        let src = "[sets.a]\nterms=[\"x\"]\n[[rules]]\nid=\"r\"\n\
                   when='title:a AND lang:(RU OR \"zh \") AND site:Reuters.com'\n";
        let w = Watchlist::parse(src, None).expect("loads");
        let Expr::And(items) = &w.rules[0].expr else {
            panic!("{:?}", w.rules[0].expr)
        };
        assert_eq!(
            items[0],
            Expr::InField {
                field: "title".into(),
                inner: Box::new(Expr::Operand(Operand::Set(0)))
            }
        );
        assert_eq!(
            items[1],
            Expr::Meta(MetaFilter {
                key: MetaKey::Field("lang".into()),
                values: vec!["RU".into(), "zh".into()]
            })
        );
        assert_eq!(
            items[2],
            Expr::Meta(MetaFilter {
                key: MetaKey::Site,
                values: vec!["Reuters.com".into()]
            })
        );
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
    fn an_unknown_key_no_longer_hides_the_other_problems() {
        // Before the document layer (`raw`), this file gave one problem:
        // serde's "unknown field `severity_level`", and not the unknown set.
        let p = problems("[[rules]]\nid = \"r\"\nwhen = \"a\"\nseverity_level = 1\n");
        let r = || Place::Rule("r".into());
        let expect = vec![
            (
                Some(3),
                r(),
                ProblemKind::UnknownSet {
                    column: 1,
                    name: "a".into(),
                },
            ),
            (
                Some(4),
                r(),
                ProblemKind::UnknownKey {
                    key: "severity_level".into(),
                    known: &["id", "when", "severity", "description", "sinks"],
                },
            ),
        ];
        assert_eq!(triples(&p), expect);
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
