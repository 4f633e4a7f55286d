//! Rule evaluation over the matches of one item (SPEC section 2, "Rule
//! expressions"): the one place that gives each operator of a resolved
//! [`Expr`] its meaning ([`eval`], over the rule compiled into a [`Node`]).
//! Only the rules that refer to a matched
//! operand are looked at, and NEAR counts the words of a field (on its
//! normalized text) only when a NEAR rule needs it.
//!
//! Adding an operator means its parser and resolution in `watchlist`, then
//! its [`Node`] and one arm of [`eval`] here. This module finds no matches (that is
//! `engine/mod.rs`) and does no text segmentation of its own (`text::words`).

use std::collections::HashMap;

use super::found::{Found, Span};
use super::{Engine, Field, Match, RuleHit, Scratch};
use crate::text::normalize::{Form, NormText, normalize_into};
use crate::text::words::{word_spans, words_between};
use crate::watchlist::{Expr, Operand};

/// Word spans of each field, computed on first use per item: counted on
/// the normalized text (SPEC 2a: NFD text counts like NFC, half-width kana
/// like full-width), each span mapped back to bytes of the original text,
/// where matches are.
#[derive(Debug, Default)]
pub(super) struct WordCache {
    fields: Vec<Option<Vec<(u32, u32)>>>,
    norm: NormText,
}

impl WordCache {
    fn reset(&mut self, n: usize) {
        self.fields.clear();
        self.fields.resize(n, None);
    }

    fn words(&mut self, field: usize, text: &str) -> &[(u32, u32)] {
        let norm = &mut self.norm;
        self.fields[field].get_or_insert_with(|| field_words(text, norm))
    }
}

/// The words NEAR counts in a field's `text`, as byte spans of `text`:
/// found on its normalized text (`norm` is the buffer), each mapped back.
pub(super) fn field_words(text: &str, norm: &mut NormText) -> Vec<(u32, u32)> {
    normalize_into(text, Form::Folded, norm);
    let mut spans = word_spans(norm.as_str());
    for w in &mut spans {
        let (s, e) = norm.original_range(w.0 as usize, w.1 as usize);
        *w = (s as u32, e as u32);
    }
    spans
}

/// A rule expression compiled for evaluation: operands as indexes (sets
/// first, then inline terms), NEAR sides as groups whose spans `Found`
/// keeps (one list per distinct side of the watchlist, shared by every
/// NEAR that has it).
#[derive(Debug, Clone)]
pub(super) enum Node {
    /// The operand with this index matched.
    Operand(u32),
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
    /// A span of group `left` and one of group `right` in one field with
    /// at most `n` words between.
    Near {
        n: u32,
        left: u32,
        right: u32,
    },
}

/// The watchlist's rules compiled ([`Node`]) and the NEAR groups of each
/// operand.
#[derive(Debug, Default)]
pub(super) struct Compiled {
    /// One node per rule, in watchlist order.
    pub(super) rules: Vec<Node>,
    /// Per operand index: the NEAR groups it belongs to.
    pub(super) groups_of: Vec<Vec<u32>>,
}

impl Compiled {
    /// Compiles every rule of `engine`'s watchlist; `index` gives an
    /// operand's index.
    pub(super) fn new(rules: &[&Expr], n_operands: usize, index: impl Fn(Operand) -> u32) -> Self {
        let mut groups: HashMap<Vec<u32>, u32> = HashMap::new();
        let mut groups_of = vec![Vec::new(); n_operands];
        let mut side = |operands: &[Operand]| -> u32 {
            let mut key: Vec<u32> = operands.iter().map(|&o| index(o)).collect();
            key.sort_unstable();
            key.dedup();
            let next = groups.len() as u32;
            *groups.entry(key.clone()).or_insert_with(|| {
                for &o in &key {
                    groups_of[o as usize].push(next);
                }
                next
            })
        };
        let rules = rules
            .iter()
            .map(|e| compile(e, &index, &mut side))
            .collect();
        Compiled { rules, groups_of }
    }
}

fn compile(
    e: &Expr,
    index: &impl Fn(Operand) -> u32,
    side: &mut impl FnMut(&[Operand]) -> u32,
) -> Node {
    match e {
        Expr::Operand(o) => Node::Operand(index(*o)),
        Expr::Not(x) => Node::Not(Box::new(compile(x, index, side))),
        Expr::And(xs) => Node::And(xs.iter().map(|x| compile(x, index, side)).collect()),
        Expr::Or(xs) => Node::Or(xs.iter().map(|x| compile(x, index, side)).collect()),
        Expr::Near { n, left, right } => Node::Near {
            n: *n,
            left: side(left),
            right: side(right),
        },
    }
}

/// Buffers of the NEAR evaluation, reused across items.
#[derive(Debug, Default)]
pub(super) struct NearBuffers {
    /// `right_max_end[k]`: the largest end among the first `k + 1` right
    /// spans of the field.
    right_max_end: Vec<u32>,
    /// The ends of the right spans of the field, sorted.
    right_ends: Vec<u32>,
}

/// What evaluation knows of one item: its matches and, computed on first
/// use, the words of its fields.
struct Facts<'a> {
    found: &'a Found,
    /// The scanned fields; `Match::field` indexes them.
    fields: &'a [Field<'a>],
    words: &'a mut WordCache,
    near: &'a mut NearBuffers,
}

/// The rules that hold for the item whose matches are in `found`, in
/// watchlist order, each with its first `max_matches` matches. Only rules
/// that refer to a matched operand are evaluated: the loader refuses a rule
/// that holds on an item with no match (`Expr::holds_without_match`).
pub(super) fn evaluate(
    engine: &Engine,
    fields: &[Field<'_>],
    found: &Found,
    scratch: &mut Scratch,
    max_matches: usize,
) -> Vec<RuleHit> {
    scratch.candidates.clear();
    for &o in found.matched() {
        scratch
            .candidates
            .extend_from_slice(&engine.rules_by_operand[o as usize]);
    }
    scratch.candidates.sort_unstable();
    scratch.candidates.dedup();
    scratch.words.reset(fields.len());

    let mut facts = Facts {
        found,
        fields,
        words: &mut scratch.words,
        near: &mut scratch.near,
    };
    let mut hits = Vec::new();
    for &r in &scratch.candidates {
        if eval(&engine.compiled.rules[r as usize], &mut facts) {
            let rule = engine.rule(r as usize);
            let mut ms: Vec<Match> = Vec::new();
            for &o in &rule.operands {
                ms.extend_from_slice(found.firsts(engine.operand_index(o) as u32));
            }
            ms.sort_unstable();
            ms.dedup_by_key(|m| (m.field, m.start, m.end, m.operand));
            ms.truncate(max_matches);
            hits.push(RuleHit {
                rule: r as usize,
                matches: ms,
            });
        }
    }
    hits
}

/// Whether `node` holds for the item that `facts` describes: an operand when
/// it matched anywhere in the item; `NOT`, `AND`, `OR` over the whole item;
/// NEAR within one field (SPEC section 2). `AND` and `OR` stop at the first
/// operand that decides them.
fn eval(node: &Node, facts: &mut Facts<'_>) -> bool {
    match node {
        Node::Operand(o) => facts.found.is_matched(*o),
        Node::Not(e) => !eval(e, facts),
        Node::And(es) => es.iter().all(|e| eval(e, facts)),
        Node::Or(es) => es.iter().any(|e| eval(e, facts)),
        Node::Near { n, left, right } => near_holds(*n, *left, *right, facts),
    }
}

/// The spans of `spans` (sorted by field) in field `f`.
fn in_field(spans: &[Span], f: u32) -> &[Span] {
    let from = spans.partition_point(|s| s.field < f);
    let to = spans.partition_point(|s| s.field <= f);
    &spans[from..to]
}

/// Some span of group `left` and some span of group `right` lie in one
/// field with at most `n` words strictly between them (0 when they touch
/// or overlap).
///
/// For each left span, binary searches over the right spans of its field
/// find the nearest right span after it, the nearest before it, and
/// whether one overlaps it; word counts are two more binary searches. So
/// `O((l + r) log r)` for `l` and `r` spans, not `l * r` (issue 14: an item
/// of `H200 ` x n, filler, `bans ` x n took seconds).
fn near_holds(n: u32, left: u32, right: u32, facts: &mut Facts<'_>) -> bool {
    let n = n as usize;
    let (lefts, rights) = (facts.found.spans(left), facts.found.spans(right));
    if lefts.is_empty() || rights.is_empty() {
        return false;
    }
    for f in 0..facts.fields.len() as u32 {
        let (l, r) = (in_field(lefts, f), in_field(rights, f));
        if l.is_empty() || r.is_empty() {
            continue;
        }
        // `r` is sorted by start (`Found` keeps spans by field, start).
        let b = &mut *facts.near;
        b.right_max_end.clear();
        let mut max = 0;
        for s in r {
            max = max.max(s.end);
            b.right_max_end.push(max);
        }
        b.right_ends.clear();
        b.right_ends.extend(r.iter().map(|s| s.end));
        b.right_ends.sort_unstable();
        let words = facts.words.words(f as usize, facts.fields[f as usize].text);
        let b = &*facts.near;
        for a in l {
            // Right spans starting before `a` ends: one of them overlaps
            // `a` when the largest end among them is past `a`'s start.
            let k = r.partition_point(|s| s.start < a.end);
            if k > 0 && b.right_max_end[k - 1] > a.start {
                return true;
            }
            // The first right span starting at or after `a`'s end.
            if let Some(s) = r.get(k)
                && words_between(words, a.end as usize, s.start as usize) <= n
            {
                return true;
            }
            // The right span ending last at or before `a`'s start.
            let j = b.right_ends.partition_point(|&e| e <= a.start);
            if j > 0 && words_between(words, b.right_ends[j - 1] as usize, a.start as usize) <= n {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watchlist::Watchlist;

    /// The loader's structural check and the evaluator agree on an item with
    /// no match, for every operator.
    #[test]
    fn holds_without_match_agrees_with_eval_on_no_matches() {
        let base = "[sets.a]\nterms=[\"x\"]\n[sets.b]\nterms=[\"y\"]\n";
        let whens = [
            "a",
            "NOT NOT a",
            "a AND NOT b",
            "a NEAR/2 b",
            "(a OR \"z\") NEAR/0 b",
            "a OR b AND NOT a",
            "NOT (a NEAR/2 b) AND a",
            "NOT NOT (a OR b)",
        ];
        for when in whens {
            let src = format!("{base}[[rules]]\nid=\"r\"\nwhen='{when}'\n");
            let w = Watchlist::parse(&src, None).unwrap_or_else(|p| panic!("{when}: {p:?}"));
            let expr = &w.rules[0].expr;
            for e in subexpressions(expr) {
                let mut words = WordCache::default();
                let mut near = NearBuffers::default();
                let mut found = Found::default();
                found.begin(4, 50);
                found.finish();
                let mut none = Facts {
                    found: &found,
                    fields: &[],
                    words: &mut words,
                    near: &mut near,
                };
                let index = |o| crate::engine::operand_index(&w, o) as u32;
                let node = &Compiled::new(&[e], 4, index).rules[0];
                assert_eq!(
                    eval(node, &mut none),
                    e.holds_without_match(),
                    "{when}: {e:?}"
                );
            }
        }
    }

    fn subexpressions(e: &Expr) -> Vec<&Expr> {
        let mut out = vec![e];
        match e {
            Expr::Not(x) => out.extend(subexpressions(x)),
            Expr::And(xs) | Expr::Or(xs) => xs.iter().for_each(|x| out.extend(subexpressions(x))),
            Expr::Operand(_) | Expr::Near { .. } => {}
        }
        out
    }
}
