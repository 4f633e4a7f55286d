//! Why a rule did or did not fire on an item (SPEC section 6a, `explain`):
//! the rule's expression as a tree, each node with its truth value and what
//! decided it: the matches of a set or term (field, byte offsets, text);
//! for a proximity operator the closest pair of matches and the words
//! between them (or the pair in one sentence or paragraph, or the match
//! with none of the other side near it); for `FIRST/n` the earliest match
//! and its word; for `ATLEAST/n` the places counted; for a metadata filter
//! the item's value.
//!
//! Evaluated plainly over every match the engine finds
//! ([`Engine::find_matches`]), every child of every node included (no
//! short-circuit: an explanation shows the parts that did not matter too),
//! apart from the engine's own evaluator (`engine::rules`) so that each
//! checks the other: the integration tests hold the root of every
//! explanation to what `scan` raises, over the corpus.

use serde::Serialize;

use crate::engine::{Engine, Field, Match, Scratch, is_under_site, near_words, site_host};
use crate::text::units::{paragraph_starts, sentence_starts, unit_of};
use crate::text::words::words_between;
use crate::watchlist::{Expr, MetaFilter, MetaKey, Operand, Watchlist, Within};

/// Matches listed per node at most; the rest are counted
/// ([`Node::match_count`]).
pub const MAX_LISTED: usize = 20;

/// One rule explained on one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The rule's id.
    pub rule: String,
    /// Its `when`, as written.
    pub when: String,
    /// Its severity (`info` … `critical`).
    pub severity: &'static str,
    /// Whether it holds: whether `scan` and the daemon alert on it.
    pub holds: bool,
    /// The expression, explained.
    pub tree: Node,
}

/// One node of an expression with its value and what decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Node {
    /// `set`, `term` (a quoted inline term), `not`, `and`, `or`, `near`
    /// (every proximity operator), `first`, `atleast`, `field` (a field
    /// scope) or `meta` (a metadata filter).
    pub op: &'static str,
    /// How the node reads: the set name, the quoted term, `NOT`, `AND`,
    /// `OR`, `NEAR/3`, `PRE/2`, `NOT NEAR/5`, `NEAR/S`, `FIRST/40`,
    /// `ATLEAST/3`, `title:`, `lang:ru`.
    pub label: String,
    /// Whether the node holds on the item.
    pub value: bool,
    /// A set or term: its matches (in the scoped field, under a field
    /// scope), the first [`MAX_LISTED`] by field and offset.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<Found>,
    /// A set or term: how many matches it has in all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_count: Option<usize>,
    /// A proximity operator: what decided it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub near: Option<Near>,
    /// A `FIRST/n`: the earliest match and its word.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<First>,
    /// An `ATLEAST/n`: the places counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub places: Option<Places>,
    /// A metadata filter: the item's value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// The operands of `NOT`, `AND`, `OR` and a field scope; the sides of a
    /// proximity operator, `FIRST` and `ATLEAST` (each a set, a term, or an
    /// `OR` of those).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Node>,
}

/// A match as an explanation shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Found {
    /// The field's name.
    pub field: String,
    /// First byte of the match in the field's text.
    pub start: usize,
    /// Byte past the match.
    pub end: usize,
    /// The text matched, as it is in the field.
    pub text: String,
    /// The watch term that matched, as written (`export*`).
    pub term: String,
}

/// What decided a proximity operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Near {
    /// The operator (its label says the same in text).
    #[serde(skip)]
    pub within: Within,
    /// Words allowed between the two matches; `None` for `NEAR/S` and
    /// `NEAR/P`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    /// `NEAR/n`, `PRE/n`, `NOT NEAR/n`: the closest pair over every field
    /// (for `PRE/n`, left before right); `NEAR/S`, `NEAR/P`: a pair in one
    /// sentence or paragraph. `None` when there is no such pair.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closest: Option<Pair>,
    /// `NOT NEAR/n`: the first left match with no right match within `n`
    /// words in its field, which makes it hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alone: Option<Found>,
}

/// Two matches, one of each side of a proximity operator, in one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pair {
    /// The match of the left side.
    pub left: Found,
    /// The match of the right side.
    pub right: Found,
    /// Words strictly between them; 0 when they touch or overlap.
    pub words_between: usize,
}

/// What decided a `FIRST/n`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct First {
    /// Words from the start of the field.
    pub n: u32,
    /// The match that starts at the lowest word of its field, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earliest: Option<Found>,
    /// The 1-based word of its field where `earliest` starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub word: Option<usize>,
}

/// What decided an `ATLEAST/n`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Places {
    /// Occurrences needed.
    pub n: u32,
    /// Places the side's matches cover (overlapping matches count once).
    pub count: usize,
}

/// What decided a metadata filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Meta {
    /// The metadata field compared (`url` for `site:`).
    pub field: String,
    /// What the item has there: the value, or for `site:` the URL's host;
    /// `None` when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// A `site:` filter: `item` is the URL's host.
    #[serde(skip)]
    pub site: bool,
}

/// Explains each rule of `rules` (indexes into the watchlist's rules; all
/// of them when empty) on an item's fields and metadata (name, value).
pub fn explain(
    engine: &Engine,
    fields: &[Field<'_>],
    metadata: &[(&str, &str)],
    rules: &[usize],
    scratch: &mut Scratch,
) -> Vec<Explanation> {
    let w = engine.watchlist();
    let facts = Facts {
        w,
        fields,
        metadata,
        matches: engine.find_matches(fields, scratch),
        words: std::cell::RefCell::new(vec![None; fields.len()]),
    };
    let all: Vec<usize> = (0..w.rules.len()).collect();
    let rules = if rules.is_empty() { &all[..] } else { rules };
    rules
        .iter()
        .map(|&r| {
            let rule = &w.rules[r];
            let tree = facts.node(&rule.expr, None);
            Explanation {
                rule: rule.id.clone(),
                when: rule.when.clone(),
                severity: rule.severity.as_str(),
                holds: tree.value,
                tree,
            }
        })
        .collect()
}

/// An item's matches and metadata and, computed on first use, its fields'
/// words.
struct Facts<'a> {
    w: &'a Watchlist,
    fields: &'a [Field<'a>],
    metadata: &'a [(&'a str, &'a str)],
    /// Every match, by field, start, end, operand.
    matches: Vec<Match>,
    /// Per field, its NEAR words ([`near_words`]) once needed.
    words: std::cell::RefCell<Vec<Option<Words>>>,
}

/// A field's words as byte spans.
type Words = Vec<(u32, u32)>;

impl Facts<'_> {
    /// `e` explained; `scope` is the field scope around it, if any.
    fn node(&self, e: &Expr, scope: Option<&str>) -> Node {
        match e {
            Expr::Operand(o) => self.operand(&[*o], scope),
            Expr::Not(x) => {
                let child = self.node(x, scope);
                branch("not", "NOT".into(), !child.value, vec![child])
            }
            Expr::And(xs) => {
                let children: Vec<Node> = xs.iter().map(|x| self.node(x, scope)).collect();
                let value = children.iter().all(|c| c.value);
                branch("and", "AND".into(), value, children)
            }
            Expr::Or(xs) => {
                let children: Vec<Node> = xs.iter().map(|x| self.node(x, scope)).collect();
                let value = children.iter().any(|c| c.value);
                branch("or", "OR".into(), value, children)
            }
            Expr::Near {
                within,
                left,
                right,
            } => self.near(*within, left, right, scope),
            Expr::First { n, operands } => {
                let earliest = self
                    .of(operands, scope)
                    .map(|m| (self.words_before(m) + 1, m))
                    .min_by_key(|(word, m)| (*word, m.field, m.start));
                let value = earliest.is_some_and(|(word, _)| word <= *n as usize);
                let mut node = branch(
                    "first",
                    format!("FIRST/{n}"),
                    value,
                    vec![self.operand(operands, scope)],
                );
                node.first = Some(First {
                    n: *n,
                    earliest: earliest.map(|(_, m)| self.found(m)),
                    word: earliest.map(|(word, _)| word),
                });
                node
            }
            Expr::AtLeast { n, operands } => {
                // Matches are by field then start: a new place starts at a
                // new field or past the end of the places before.
                let mut count = 0;
                let mut last: Option<(usize, usize)> = None;
                for m in self.of(operands, scope) {
                    match last {
                        Some((f, end)) if f == m.field && m.start < end => {
                            last = Some((f, end.max(m.end)));
                        }
                        _ => {
                            count += 1;
                            last = Some((m.field, m.end));
                        }
                    }
                }
                let mut node = branch(
                    "atleast",
                    format!("ATLEAST/{n}"),
                    count >= *n as usize,
                    vec![self.operand(operands, scope)],
                );
                node.places = Some(Places { n: *n, count });
                node
            }
            Expr::InField { field, inner } => {
                let child = self.node(inner, Some(field));
                branch("field", format!("{field}:"), child.value, vec![child])
            }
            Expr::Meta(filter) => self.meta(filter),
        }
    }

    fn meta(&self, filter: &MetaFilter) -> Node {
        let lookup = |name: &str| {
            self.metadata
                .iter()
                .rev()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.trim())
        };
        let (field, item, value) = match &filter.key {
            MetaKey::Field(k) => {
                let item = lookup(k);
                let value = item.is_some_and(|v| {
                    filter
                        .values
                        .iter()
                        .any(|want| want.to_lowercase() == v.to_lowercase())
                });
                (k.clone(), item.map(str::to_owned), value)
            }
            MetaKey::Site => {
                let host = lookup("url").and_then(site_host);
                let value = host.as_deref().is_some_and(|h| {
                    filter
                        .values
                        .iter()
                        .any(|want| is_under_site(h, &want.to_lowercase()))
                });
                ("url".to_owned(), host, value)
            }
        };
        let mut node = branch("meta", filter.to_string(), value, Vec::new());
        let site = filter.key == MetaKey::Site;
        node.meta = Some(Meta { field, item, site });
        node
    }

    fn near(
        &self,
        within: Within,
        left: &[Operand],
        right: &[Operand],
        scope: Option<&str>,
    ) -> Node {
        let pairs = || {
            self.of(left, scope).flat_map(move |a| {
                self.of(right, scope)
                    .filter(move |b| b.field == a.field)
                    .map(move |b| (a, b))
            })
        };
        let closest = |ordered: bool| {
            pairs()
                .filter(|(a, b)| !ordered || a.end <= b.start)
                .map(|(a, b)| (self.distance(a, b), a, b))
                .min_by_key(|(d, _, _)| *d)
        };
        let pair = |(d, a, b): (usize, &Match, &Match)| Pair {
            left: self.found(a),
            right: self.found(b),
            words_between: d,
        };
        let (n, value, closest, alone) = match within {
            Within::Words(n) | Within::Ordered(n) => {
                let best = closest(matches!(within, Within::Ordered(_)));
                let value = best.is_some_and(|(d, _, _)| d <= n as usize);
                (Some(n), value, best.map(pair), None)
            }
            Within::Apart(n) => {
                let alone = self.of(left, scope).find(|a| {
                    !self
                        .of(right, scope)
                        .any(|b| b.field == a.field && self.distance(a, b) <= n as usize)
                });
                let best = closest(false);
                (
                    Some(n),
                    alone.is_some(),
                    best.map(pair),
                    alone.map(|a| self.found(a)),
                )
            }
            Within::Sentence | Within::Paragraph => {
                let unit = |m: &Match| {
                    let text = self.fields[m.field].text;
                    let starts = if within == Within::Sentence {
                        sentence_starts(text)
                    } else {
                        paragraph_starts(text)
                    };
                    unit_of(&starts, m.start)
                };
                let same = pairs()
                    .find(|(a, b)| unit(a) == unit(b))
                    .map(|(a, b)| (self.distance(a, b), a, b));
                (None, same.is_some(), same.map(pair), None)
            }
        };
        let mut node = branch(
            "near",
            within.to_string(),
            value,
            vec![self.operand(left, scope), self.operand(right, scope)],
        );
        node.near = Some(Near {
            within,
            n,
            closest,
            alone,
        });
        node
    }

    /// A set or term, or the `OR` of a side; its matches in field `scope`
    /// alone when given.
    fn operand(&self, operands: &[Operand], scope: Option<&str>) -> Node {
        if let [o] = operands {
            let found: Vec<&Match> = self.of(operands, scope).collect();
            let (op, label) = match o {
                Operand::Set(_) => ("set", self.w.operand_name(*o)),
                Operand::Inline(_) => ("term", self.w.operand_name(*o)),
            };
            let mut node = branch(op, label, !found.is_empty(), Vec::new());
            node.matches = found
                .iter()
                .take(MAX_LISTED)
                .map(|m| self.found(m))
                .collect();
            node.match_count = Some(found.len());
            return node;
        }
        let children: Vec<Node> = operands
            .iter()
            .map(|o| self.operand(&[*o], scope))
            .collect();
        let value = children.iter().any(|c| c.value);
        branch("or", "OR".into(), value, children)
    }

    /// The matches of any of `operands` (in field `scope` alone, when
    /// given), in order.
    fn of<'m>(
        &'m self,
        operands: &'m [Operand],
        scope: Option<&'m str>,
    ) -> impl Iterator<Item = &'m Match> + 'm {
        self.matches.iter().filter(move |m| {
            operands.contains(&m.operand) && scope.is_none_or(|s| self.fields[m.field].name == s)
        })
    }

    fn found(&self, m: &Match) -> Found {
        let field = &self.fields[m.field];
        let term = match m.operand {
            Operand::Set(s) => &self.w.sets[s].terms[m.term as usize],
            Operand::Inline(i) => &self.w.inline_terms[i],
        };
        Found {
            field: field.name.to_owned(),
            start: m.start,
            end: m.end,
            text: field.text[m.start..m.end].to_owned(),
            term: term.text.to_string(),
        }
    }

    /// Runs `f` on the NEAR words of field `field`.
    fn with_words<T>(&self, field: usize, f: impl FnOnce(&[(u32, u32)]) -> T) -> T {
        let mut words = self.words.borrow_mut();
        f(words[field].get_or_insert_with(|| near_words(self.fields[field].text)))
    }

    /// The words of its field that end before `m` starts.
    fn words_before(&self, m: &Match) -> usize {
        self.with_words(m.field, |w| words_between(w, 0, m.start))
    }

    /// Words strictly between two matches of one field; 0 when they touch
    /// or overlap (SPEC section 2, NEAR).
    fn distance(&self, a: &Match, b: &Match) -> usize {
        let (first, second) = if a.start <= b.start { (a, b) } else { (b, a) };
        if second.start < first.end {
            return 0;
        }
        self.with_words(a.field, |w| words_between(w, first.end, second.start))
    }
}

fn branch(op: &'static str, label: String, value: bool, children: Vec<Node>) -> Node {
    Node {
        op,
        label,
        value,
        matches: Vec::new(),
        match_count: None,
        near: None,
        first: None,
        places: None,
        meta: None,
        children,
    }
}

/// An explanation as a tree for a terminal: one line per node, `✓` for a
/// node that holds and `✗` for one that does not, the matches of a set or
/// term after it, and for a NEAR the closest pair ("3 words apart, needs
/// ≤ 2"). Text from the item is escaped ([`crate::escape::human`]).
pub fn render(e: &Explanation) -> String {
    let mut out = format!(
        "rule {}: {}\n  when {}\n",
        crate::escape::human(&e.rule),
        if e.holds {
            format!("ALERTS ({})", e.severity)
        } else {
            "does not alert".to_owned()
        },
        crate::escape::human(&e.when)
    );
    render_node(&e.tree, "  ", "  ", &mut out);
    out
}

fn render_node(n: &Node, first: &str, rest: &str, out: &mut String) {
    let mark = if n.value { '✓' } else { '✗' };
    out.push_str(&format!("{first}{mark} {}", crate::escape::human(&n.label)));
    if let Some(count) = n.match_count {
        if count == 0 {
            out.push_str(": no match");
        } else {
            let shown: Vec<String> = n.matches.iter().map(show).collect();
            out.push_str(&format!(": {}", shown.join(", ")));
            if count > n.matches.len() {
                out.push_str(&format!(" and {} more", count - n.matches.len()));
            }
        }
    }
    if let Some(near) = &n.near {
        out.push_str(&render_near(near));
    }
    if let Some(first) = &n.first {
        match (&first.earliest, first.word) {
            (Some(m), Some(word)) => out.push_str(&format!(
                ": earliest {} in {} at word {word}, needs ≤ {}",
                show_text(m),
                crate::escape::human(&m.field),
                first.n
            )),
            _ => out.push_str(": no match"),
        }
    }
    if let Some(p) = &n.places {
        out.push_str(&format!(
            ": {} {}, needs ≥ {}",
            p.count,
            if p.count == 1 { "place" } else { "places" },
            p.n
        ));
    }
    if let Some(m) = &n.meta {
        match &m.item {
            Some(v) if m.site => out.push_str(&format!(
                ": the item's url host is {}",
                crate::escape::human(v)
            )),
            Some(v) => out.push_str(&format!(
                ": the item's {} is {:?}",
                crate::escape::human(&m.field),
                crate::escape::human(v).to_string()
            )),
            None => out.push_str(&format!(
                ": the item has no {}",
                crate::escape::human(&m.field)
            )),
        }
    }
    out.push('\n');
    let last = n.children.len().saturating_sub(1);
    for (i, c) in n.children.iter().enumerate() {
        let (branch, cont) = if i == last {
            ("└─ ", "   ")
        } else {
            ("├─ ", "│  ")
        };
        render_node(c, &format!("{rest}{branch}"), &format!("{rest}{cont}"), out);
    }
}

/// What decided a proximity operator, after its mark.
fn render_near(near: &Near) -> String {
    let unit = if near.within == Within::Sentence {
        "sentence"
    } else {
        "paragraph"
    };
    match (near.within, &near.closest, &near.alone) {
        (Within::Apart(n), _, Some(a)) => format!(
            ": {} in {} has no match of the other side within {n} words",
            show_text(a),
            crate::escape::human(&a.field)
        ),
        (Within::Words(n) | Within::Ordered(n) | Within::Apart(n), Some(p), _) => format!(
            ": closest {} and {} in {}, {} apart, {}",
            show_text(&p.left),
            show_text(&p.right),
            crate::escape::human(&p.left.field),
            words(p.words_between),
            if matches!(near.within, Within::Apart(_)) {
                format!("and every match is within {n} words of one")
            } else {
                format!("needs ≤ {n}")
            }
        ),
        (Within::Ordered(_), None, _) => {
            ": no field has a match of the left side before one of the right".to_owned()
        }
        (Within::Words(_) | Within::Apart(_), None, _) => {
            ": no field has a match of both sides".to_owned()
        }
        (Within::Sentence | Within::Paragraph, Some(p), _) => format!(
            ": {} and {} in one {unit} of {}",
            show_text(&p.left),
            show_text(&p.right),
            crate::escape::human(&p.left.field)
        ),
        (Within::Sentence | Within::Paragraph, None, _) => {
            format!(": no {unit} of any field has a match of both sides")
        }
    }
}

fn words(n: usize) -> String {
    if n == 1 {
        "1 word".into()
    } else {
        format!("{n} words")
    }
}

fn show_text(f: &Found) -> String {
    format!("{:?}", crate::escape::human(&f.text).to_string())
}

fn show(f: &Found) -> String {
    format!(
        "{}[{}..{}] {}",
        crate::escape::human(&f.field),
        f.start,
        f.end,
        show_text(f)
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn engine(src: &str) -> Engine {
        let w = Watchlist::parse(src, None).unwrap_or_else(|p| panic!("{p:?}"));
        Engine::build(Arc::new(w)).expect("engine")
    }

    fn explain_text(engine: &Engine, text: &str) -> Explanation {
        let fields = [Field { name: "body", text }];
        let mut ex = explain(engine, &fields, &[], &[], &mut Scratch::new());
        ex.remove(0)
    }

    #[test]
    fn near_distances_are_exact_at_n_and_n_plus_one() {
        for k in 0..6usize {
            let filler = vec!["word"; k].join(" ");
            let text = format!("Nvidia H200 {filler} export licence");
            for n in [k.saturating_sub(1), k, k + 1] {
                let src = format!(
                    "[sets.chips]\nterms=[\"H200\"]\n[sets.export]\nterms=[\"export*\"]\n\
                     [[rules]]\nid=\"r\"\nwhen=\"chips NEAR/{n} export\"\n"
                );
                let e = engine(&src);
                let ex = explain_text(&e, &text);
                let near = ex.tree.near.as_ref().expect("near");
                let pair = near.closest.as_ref().expect("a pair");
                assert_eq!(pair.words_between, k, "{text}");
                assert_eq!(ex.holds, k <= n, "NEAR/{n} with {k} words between");
                // The engine agrees.
                let fields = [Field {
                    name: "body",
                    text: &text,
                }];
                let hits = e.scan(&fields, &mut Scratch::new(), 50);
                assert_eq!(!hits.is_empty(), ex.holds, "NEAR/{n}, {k} between");
            }
        }
    }

    #[test]
    fn every_node_is_explained_without_short_circuit() {
        let e = engine(
            "[sets.chips]\nterms=[\"H200\", \"H20\"]\n[sets.export]\nterms=[\"export*\"]\n\
             [[rules]]\nid=\"r\"\nwhen='chips AND (export OR \"licence\") AND NOT \"gaming\"'\n",
        );
        let ex = explain_text(&e, "H200 and H20 exports");
        assert!(ex.holds);
        let t = &ex.tree;
        assert_eq!((t.op, t.value, t.children.len()), ("and", true, 3));
        let chips = &t.children[0];
        assert_eq!(chips.match_count, Some(2));
        assert_eq!(
            chips
                .matches
                .iter()
                .map(|m| m.text.as_str())
                .collect::<Vec<_>>(),
            ["H200", "H20"]
        );
        assert_eq!(chips.matches[1].term, "H20");
        let or = &t.children[1];
        assert_eq!(or.children[0].matches[0].text, "exports");
        assert_eq!(or.children[0].matches[0].term, "export*");
        assert!(
            !or.children[1].value,
            "the second OR branch is explained too"
        );
        let not = &t.children[2];
        assert!(not.value && !not.children[0].value);

        let text = render(&ex);
        assert!(text.contains("rule r: ALERTS (medium)"), "{text}");
        assert!(
            text.contains("✓ chips: body[0..4] \"H200\", body[9..12] \"H20\""),
            "{text}"
        );
        assert!(text.contains("✗ \"licence\": no match"), "{text}");
    }

    #[test]
    fn a_near_that_fails_says_how_far_apart_and_what_it_needs() {
        let e = engine(
            "[sets.chips]\nterms=[\"H200\"]\n[sets.ban]\nterms=[\"ban*\"]\n\
             [[rules]]\nid=\"r\"\nwhen=\"chips NEAR/2 ban\"\n",
        );
        let ex = explain_text(&e, "H200 sales rose sharply; a ban followed");
        assert!(!ex.holds);
        let text = render(&ex);
        assert!(
            text.contains(
                "✗ NEAR/2: closest \"H200\" and \"ban\" in body, 4 words apart, needs ≤ 2"
            ),
            "{text}"
        );
        let ex = explain_text(&e, "nothing here about a ban");
        assert!(render(&ex).contains("no field has a match of both sides"));
    }
}
