//! Why a rule did or did not fire on an item (SPEC section 6a, `explain`):
//! the rule's expression as a tree, each node with its truth value and what
//! decided it: the matches of a set or term (field, byte offsets, text),
//! and for `NEAR/n` the closest pair of matches and the words between them.
//!
//! Evaluated plainly over every match the engine finds
//! ([`Engine::find_matches`]), every child of every node included (no
//! short-circuit: an explanation shows the parts that did not matter too),
//! apart from the engine's own evaluator (`engine::rules`) so that each
//! checks the other: the integration tests hold the root of every
//! explanation to what `scan` raises, over the corpus.

use serde::Serialize;

use crate::engine::{Engine, Field, Match, Scratch, near_words};
use crate::text::words::words_between;
use crate::watchlist::{Expr, Operand, Watchlist};

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
    /// `set`, `term` (a quoted inline term), `not`, `and`, `or` or `near`.
    pub op: &'static str,
    /// How the node reads: the set name, the quoted term, `NOT`, `AND`,
    /// `OR`, `NEAR/3`.
    pub label: String,
    /// Whether the node holds on the item.
    pub value: bool,
    /// A set or term: its matches, the first [`MAX_LISTED`] by field and
    /// offset.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<Found>,
    /// A set or term: how many matches it has in all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_count: Option<usize>,
    /// A `NEAR/n`: the closest pair, if both sides matched in one field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub near: Option<Near>,
    /// The operands of `NOT`, `AND`, `OR`; the sides of `NEAR` (each a set,
    /// a term, or an `OR` of those).
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

/// The closest pair of a `NEAR/n`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Near {
    /// Words allowed between the two matches.
    pub n: u32,
    /// The closest pair over every field; `None` when no field has a match
    /// of both sides.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closest: Option<Pair>,
}

/// Two matches, one of each side of a `NEAR`, in one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pair {
    /// The match of the left side.
    pub left: Found,
    /// The match of the right side.
    pub right: Found,
    /// Words strictly between them; 0 when they touch or overlap.
    pub words_between: usize,
}

/// Explains each rule of `rules` (indexes into the watchlist's rules; all
/// of them when empty) on an item's fields.
pub fn explain(
    engine: &Engine,
    fields: &[Field<'_>],
    rules: &[usize],
    scratch: &mut Scratch,
) -> Vec<Explanation> {
    let w = engine.watchlist();
    let facts = Facts {
        w,
        fields,
        matches: engine.find_matches(fields, scratch),
        words: std::cell::RefCell::new(vec![None; fields.len()]),
    };
    let all: Vec<usize> = (0..w.rules.len()).collect();
    let rules = if rules.is_empty() { &all[..] } else { rules };
    rules
        .iter()
        .map(|&r| {
            let rule = &w.rules[r];
            let tree = facts.node(&rule.expr);
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

/// An item's matches and, computed on first use, its fields' words.
struct Facts<'a> {
    w: &'a Watchlist,
    fields: &'a [Field<'a>],
    /// Every match, by field, start, end, operand.
    matches: Vec<Match>,
    /// Per field, its NEAR words ([`near_words`]) once needed.
    words: std::cell::RefCell<Vec<Option<Words>>>,
}

/// A field's words as byte spans.
type Words = Vec<(u32, u32)>;

impl Facts<'_> {
    fn node(&self, e: &Expr) -> Node {
        match e {
            Expr::Operand(o) => self.operand(&[*o]),
            Expr::Not(x) => {
                let child = self.node(x);
                branch("not", "NOT".into(), !child.value, vec![child])
            }
            Expr::And(xs) => {
                let children: Vec<Node> = xs.iter().map(|x| self.node(x)).collect();
                let value = children.iter().all(|c| c.value);
                branch("and", "AND".into(), value, children)
            }
            Expr::Or(xs) => {
                let children: Vec<Node> = xs.iter().map(|x| self.node(x)).collect();
                let value = children.iter().any(|c| c.value);
                branch("or", "OR".into(), value, children)
            }
            Expr::Near { n, left, right } => {
                let closest = self.closest(left, right);
                let value = closest
                    .as_ref()
                    .is_some_and(|p| p.words_between <= *n as usize);
                let mut node = branch(
                    "near",
                    format!("NEAR/{n}"),
                    value,
                    vec![self.operand(left), self.operand(right)],
                );
                node.near = Some(Near { n: *n, closest });
                node
            }
        }
    }

    /// A set or term, or the `OR` of a NEAR side.
    fn operand(&self, operands: &[Operand]) -> Node {
        if let [o] = operands {
            let found: Vec<&Match> = self.of(operands).collect();
            let (op, label) = match o {
                Operand::Set(_) => ("set", self.w.operand_name(*o)),
                Operand::Inline(_) => ("term", self.w.operand_name(*o)),
            };
            return Node {
                op,
                label,
                value: !found.is_empty(),
                matches: found
                    .iter()
                    .take(MAX_LISTED)
                    .map(|m| self.found(m))
                    .collect(),
                match_count: Some(found.len()),
                near: None,
                children: Vec::new(),
            };
        }
        let children: Vec<Node> = operands.iter().map(|o| self.operand(&[*o])).collect();
        let value = children.iter().any(|c| c.value);
        branch("or", "OR".into(), value, children)
    }

    /// The matches of any of `operands`, in order.
    fn of<'m>(&'m self, operands: &'m [Operand]) -> impl Iterator<Item = &'m Match> + 'm {
        self.matches
            .iter()
            .filter(move |m| operands.contains(&m.operand))
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
            term: term.text.clone(),
        }
    }

    /// Words strictly between two matches of one field; 0 when they touch
    /// or overlap (SPEC section 2, NEAR).
    fn distance(&self, a: &Match, b: &Match) -> usize {
        let (first, second) = if a.start <= b.start { (a, b) } else { (b, a) };
        if second.start < first.end {
            return 0;
        }
        let mut words = self.words.borrow_mut();
        let spans = words[a.field].get_or_insert_with(|| near_words(self.fields[a.field].text));
        words_between(spans, first.end, second.start)
    }

    /// The pair with the fewest words between, over every field; the
    /// earliest such pair on a tie.
    ///
    /// Every pair is looked at: `O(l * r)` for `l` and `r` matches, fine
    /// for an explanation of one item (the engine's evaluator, which the
    /// daemon runs, is `O((l + r) log r)`).
    fn closest(&self, left: &[Operand], right: &[Operand]) -> Option<Pair> {
        let mut best: Option<(usize, &Match, &Match)> = None;
        for a in self.of(left) {
            for b in self.of(right).filter(|b| b.field == a.field) {
                let d = self.distance(a, b);
                if best.is_none_or(|(bd, _, _)| d < bd) {
                    best = Some((d, a, b));
                }
            }
        }
        best.map(|(d, a, b)| Pair {
            left: self.found(a),
            right: self.found(b),
            words_between: d,
        })
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
        match &near.closest {
            None => out.push_str(": no field has a match of both sides"),
            Some(p) => out.push_str(&format!(
                ": closest {} and {} in {}, {} apart, needs ≤ {}",
                show_text(&p.left),
                show_text(&p.right),
                crate::escape::human(&p.left.field),
                words(p.words_between),
                near.n
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
        let mut ex = explain(engine, &fields, &[], &mut Scratch::new());
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
