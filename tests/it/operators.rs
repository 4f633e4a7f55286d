//! Property test of rule evaluation (SPEC sections 2 and 2b): random rules
//! built from every operator, over random items of two fields with
//! sentence stops, line breaks and metadata, evaluated by the engine and by
//! a reference evaluator written plainly here: every pair of matches
//! looked at, no spans, no binary search, no presearch.
//!
//! The matches themselves come from `Engine::find_matches` (the term
//! semantics have their own properties in `properties.rs`); words from
//! `near_words` and sentences from `text::units`, each tested on its own.

use std::sync::Arc;

use newswatch::engine::{Engine, Field, Match, Scratch, near_words};
use newswatch::text::units::{paragraph_starts, sentence_starts, unit_of};
use newswatch::text::words::words_between;
use newswatch::watchlist::{Operand, Watchlist};
use proptest::prelude::*;

/// The sets, by name in order (`a` is `Operand::Set(0)`).
const SETS: &str = r#"
[sets.a]
terms = ["H200", "Nvidia H200"]
[sets.b]
terms = ["ban*", "禁止"]
[sets.c]
terms = ["gaming"]
[sets.d]
terms = ["chip*", "export"]
"#;

const SET_NAMES: [&str; 4] = ["a", "b", "c", "d"];

/// The words items are made of, and what goes between them.
const WORDS: &[&str] = &[
    "H200", "Nvidia", "chips", "ban", "banned", "gaming", "export", "x", "y", "U.S.", "禁止",
    "芯片",
];
const GAPS: &[&str] = &[" ", " ", " ", ", ", ". ", "? ", "! ", "。", "\n", "\n\n"];

/// A proximity operator of the test's rules.
#[derive(Debug, Clone, Copy)]
enum Prox {
    Near(u32),
    Pre(u32),
    Apart(u32),
    Sentence,
    Paragraph,
}

/// A rule as the test builds it: rendered to `when`, evaluated by
/// [`Reference`].
#[derive(Debug, Clone)]
enum Rule {
    /// A set, by index.
    Set(usize),
    /// Proximity between two sides (sets, by index).
    Prox(Prox, Vec<usize>, Vec<usize>),
    First(u32, Vec<usize>),
    AtLeast(u32, Vec<usize>),
    /// `lang:` with these values.
    Lang(Vec<&'static str>),
    Site(&'static str),
    Source(&'static str),
    Not(Box<Rule>),
    And(Box<Rule>, Box<Rule>),
    Or(Box<Rule>, Box<Rule>),
    /// `title:(…)` (0) or `body:(…)` (1).
    Scope(usize, Box<Rule>),
}

const FIELDS: [&str; 2] = ["title", "body"];

fn side_str(side: &[usize]) -> String {
    let names: Vec<&str> = side.iter().map(|&s| SET_NAMES[s]).collect();
    if names.len() == 1 {
        names[0].to_owned()
    } else {
        format!("({})", names.join(" OR "))
    }
}

impl Rule {
    /// `when`, with a scope inside another field's scope left out (the
    /// loader refuses that); `scope` is the one around.
    fn render(&self, scope: Option<usize>) -> String {
        match self {
            Rule::Set(s) => SET_NAMES[*s].to_owned(),
            Rule::Prox(p, l, r) => {
                let op = match p {
                    Prox::Near(n) => format!("NEAR/{n}"),
                    Prox::Pre(n) => format!("PRE/{n}"),
                    Prox::Apart(n) => format!("NOT NEAR/{n}"),
                    Prox::Sentence => "NEAR/S".into(),
                    Prox::Paragraph => "NEAR/P".into(),
                };
                format!("({} {op} {})", side_str(l), side_str(r))
            }
            Rule::First(n, s) => format!("FIRST/{n} {}", side_str(s)),
            Rule::AtLeast(n, s) => format!("ATLEAST/{n} {}", side_str(s)),
            Rule::Lang(v) if v.len() == 1 => format!("lang:{}", v[0]),
            Rule::Lang(v) => format!("lang:({})", v.join(" OR ")),
            Rule::Site(h) => format!("site:{h}"),
            Rule::Source(s) => format!("source:{s:?}"),
            Rule::Not(x) => format!("NOT ({})", x.render(scope)),
            Rule::And(x, y) => format!("({} AND {})", x.render(scope), y.render(scope)),
            Rule::Or(x, y) => format!("({} OR {})", x.render(scope), y.render(scope)),
            Rule::Scope(f, x) => match scope {
                Some(outer) if outer != *f => x.render(scope),
                _ => format!("{}:({})", FIELDS[*f], x.render(Some(*f))),
            },
        }
    }
}

fn side() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::btree_set(0..4usize, 1..3).prop_map(|s| s.into_iter().collect())
}

fn rule() -> impl Strategy<Value = Rule> {
    let leaf = prop_oneof![
        3 => (0..4usize).prop_map(Rule::Set),
        1 => (0..4u32, side(), side()).prop_map(|(n, l, r)| Rule::Prox(Prox::Near(n), l, r)),
        1 => (0..4u32, side(), side()).prop_map(|(n, l, r)| Rule::Prox(Prox::Pre(n), l, r)),
        1 => (0..4u32, side(), side()).prop_map(|(n, l, r)| Rule::Prox(Prox::Apart(n), l, r)),
        1 => (side(), side()).prop_map(|(l, r)| Rule::Prox(Prox::Sentence, l, r)),
        1 => (side(), side()).prop_map(|(l, r)| Rule::Prox(Prox::Paragraph, l, r)),
        1 => (1..6u32, side()).prop_map(|(n, s)| Rule::First(n, s)),
        1 => (1..4u32, side()).prop_map(|(n, s)| Rule::AtLeast(n, s)),
        1 => prop::sample::subsequence(vec!["ru", "EN", "zh"], 1..3).prop_map(Rule::Lang),
        1 => prop::sample::select(vec!["reuters.com", "www.reuters.com", "com"]).prop_map(Rule::Site),
        1 => prop::sample::select(vec!["TASS", "ria"]).prop_map(Rule::Source),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|x| Rule::Not(Box::new(x))),
            (inner.clone(), inner.clone()).prop_map(|(x, y)| Rule::And(Box::new(x), Box::new(y))),
            (inner.clone(), inner.clone()).prop_map(|(x, y)| Rule::Or(Box::new(x), Box::new(y))),
            (0..2usize, inner).prop_map(|(f, x)| Rule::Scope(f, Box::new(x))),
        ]
    })
}

fn field_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (prop::sample::select(WORDS), prop::sample::select(GAPS)),
        0..14,
    )
    .prop_map(|parts| parts.into_iter().map(|(w, g)| format!("{w}{g}")).collect())
}

/// An item: title, body and metadata (lang, url, source), each maybe
/// absent.
type Item = (String, String, Vec<(&'static str, &'static str)>);

fn item() -> impl Strategy<Value = Item> {
    let lang = prop::option::of(prop::sample::select(vec!["ru", "en", " ZH "]));
    let url = prop::option::of(prop::sample::select(vec![
        "https://www.reuters.com/x",
        "http://notreuters.com",
        "reuters.com:8080/a",
        "not a url",
    ]));
    let source = prop::option::of(prop::sample::select(vec!["tass", "RIA", "Reuters"]));
    (field_text(), field_text(), lang, url, source).prop_map(|(t, b, l, u, s)| {
        let mut meta = Vec::new();
        for (k, v) in [("lang", l), ("url", u), ("source", s)] {
            if let Some(v) = v {
                meta.push((k, v));
            }
        }
        (t, b, meta)
    })
}

/// The reference evaluator: plain loops over every match.
struct Reference<'a> {
    fields: &'a [Field<'a>],
    matches: Vec<Match>,
    metadata: &'a [(&'static str, &'static str)],
}

impl Reference<'_> {
    fn of<'m>(&'m self, side: &'m [usize], scope: Option<usize>) -> Vec<&'m Match> {
        self.matches
            .iter()
            .filter(|m| {
                let Operand::Set(s) = m.operand else {
                    return false;
                };
                side.contains(&s) && scope.is_none_or(|f| self.fields[m.field].name == FIELDS[f])
            })
            .collect()
    }

    fn words(&self, field: usize) -> Vec<(u32, u32)> {
        near_words(self.fields[field].text)
    }

    /// Words strictly between two matches of one field, 0 when they
    /// overlap or touch.
    fn distance(&self, a: &Match, b: &Match) -> usize {
        let (x, y) = if a.start <= b.start { (a, b) } else { (b, a) };
        if y.start < x.end {
            0
        } else {
            words_between(&self.words(a.field), x.end, y.start)
        }
    }

    fn meta(&self, key: &str) -> Option<String> {
        self.metadata
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.trim().to_lowercase())
    }

    fn holds(&self, rule: &Rule, scope: Option<usize>) -> bool {
        match rule {
            Rule::Set(s) => !self.of(&[*s], scope).is_empty(),
            Rule::Prox(p, l, r) => {
                let (ls, rs) = (self.of(l, scope), self.of(r, scope));
                let pairs = |a: &Match| {
                    rs.iter()
                        .filter(|b| b.field == a.field)
                        .map(|b| **b)
                        .collect::<Vec<Match>>()
                };
                match *p {
                    Prox::Near(n) => ls
                        .iter()
                        .any(|a| pairs(a).iter().any(|b| self.distance(a, b) <= n as usize)),
                    Prox::Pre(n) => ls.iter().any(|a| {
                        pairs(a).iter().any(|b| {
                            a.end <= b.start
                                && words_between(&self.words(a.field), a.end, b.start) <= n as usize
                        })
                    }),
                    Prox::Apart(n) => ls
                        .iter()
                        .any(|a| !pairs(a).iter().any(|b| self.distance(a, b) <= n as usize)),
                    Prox::Sentence | Prox::Paragraph => ls.iter().any(|a| {
                        let text = self.fields[a.field].text;
                        let starts = if matches!(p, Prox::Sentence) {
                            sentence_starts(text)
                        } else {
                            paragraph_starts(text)
                        };
                        pairs(a)
                            .iter()
                            .any(|b| unit_of(&starts, a.start) == unit_of(&starts, b.start))
                    }),
                }
            }
            Rule::First(n, s) => self
                .of(s, scope)
                .iter()
                .any(|m| words_between(&self.words(m.field), 0, m.start) < *n as usize),
            Rule::AtLeast(n, s) => {
                let ms = self.of(s, scope);
                let mut places = 0;
                for f in 0..self.fields.len() {
                    let mut spans: Vec<(usize, usize)> = ms
                        .iter()
                        .filter(|m| m.field == f)
                        .map(|m| (m.start, m.end))
                        .collect();
                    spans.sort_unstable();
                    let mut end: Option<usize> = None;
                    for (s, e) in spans {
                        match end {
                            Some(x) if s < x => end = Some(x.max(e)),
                            _ => {
                                places += 1;
                                end = Some(e);
                            }
                        }
                    }
                }
                places >= *n as usize
            }
            Rule::Lang(values) => self
                .meta("lang")
                .is_some_and(|v| values.iter().any(|w| w.to_lowercase() == v)),
            Rule::Source(want) => self
                .meta("source")
                .is_some_and(|v| v == want.to_lowercase()),
            Rule::Site(host) => {
                let url = self.meta("url");
                let host_of = url.as_deref().and_then(|u| {
                    let parsed = url::Url::parse(u)
                        .ok()
                        .filter(|p| p.host_str().is_some())
                        .or_else(|| url::Url::parse(&format!("http://{u}")).ok())?;
                    parsed.host_str().map(str::to_owned)
                });
                host_of.is_some_and(|h| h == *host || h.ends_with(&format!(".{host}")))
            }
            Rule::Not(x) => !self.holds(x, scope),
            Rule::And(x, y) => self.holds(x, scope) && self.holds(y, scope),
            Rule::Or(x, y) => self.holds(x, scope) || self.holds(y, scope),
            Rule::Scope(f, x) => match scope {
                Some(outer) if outer != *f => self.holds(x, scope),
                _ => self.holds(x, Some(*f)),
            },
        }
    }
}

/// The engine of one rule, and the rule as loaded: wrapped in `a AND (…)`
/// when the loader refuses it as one that may hold without a match.
fn build(rule: &Rule) -> (Engine, Rule) {
    let load = |when: &str| {
        let src = format!("{SETS}[[rules]]\nid = \"r\"\nwhen = '{when}'\n");
        Watchlist::parse(&src, None)
    };
    let when = rule.render(None);
    let (w, rule) = match load(&when) {
        Ok(w) => (w, rule.clone()),
        Err(_) => {
            let wrapped = Rule::And(Box::new(Rule::Set(0)), Box::new(rule.clone()));
            let w = load(&wrapped.render(None))
                .unwrap_or_else(|p| panic!("{when} does not load even wrapped: {p:?}"));
            (w, wrapped)
        }
    };
    (Engine::build(Arc::new(w)).expect("engine"), rule)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn the_engine_agrees_with_the_reference_evaluator_on_random_rules(
        rule in rule(),
        (title, body, metadata) in item(),
    ) {
        let (engine, rule) = build(&rule);
        let mut fields = Vec::new();
        for (name, text) in [("title", title.as_str()), ("body", body.as_str())] {
            if !text.trim().is_empty() {
                fields.push(Field { name, text });
            }
        }
        let mut scratch = Scratch::new();
        let got = !engine.scan_with(&fields, &metadata, &mut scratch, 5).is_empty();
        let reference = Reference {
            fields: &fields,
            matches: engine.find_matches(&fields, &mut scratch),
            metadata: &metadata,
        };
        let want = reference.holds(&rule, None);
        prop_assert_eq!(
            got, want,
            "when = {}\nfields = {:?}\nmetadata = {:?}", rule.render(None), fields, metadata
        );
    }
}
