//! Rule evaluation over the matches of one item (SPEC section 2, "Rule
//! expressions"): the one place that gives each operator of a resolved
//! [`Expr`] its meaning ([`eval`]). Only the rules that refer to a matched
//! operand are looked at, and NEAR counts the words of a field (on its
//! normalized text) only when a NEAR rule needs it.
//!
//! Adding an operator means its parser and resolution in `watchlist`, then
//! one arm of [`eval`] here. This module finds no matches (that is
//! `engine/mod.rs`) and does no text segmentation of its own (`text::words`).

use super::found::Found;
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
        self.fields[field].get_or_insert_with(|| {
            normalize_into(text, Form::Folded, norm);
            let mut spans = word_spans(norm.as_str());
            for w in &mut spans {
                let (s, e) = norm.original_range(w.0 as usize, w.1 as usize);
                *w = (s as u32, e as u32);
            }
            spans
        })
    }
}

/// Buffers of the NEAR evaluation, reused across items.
#[derive(Debug, Default)]
pub(super) struct NearBuffers {
    /// Spans `(start, end)` of the left operands in one field.
    left: Vec<(u32, u32)>,
    /// Spans of the right operands in that field, sorted by start.
    right: Vec<(u32, u32)>,
    /// `right_max_end[k]`: the largest end among `right[..=k]`.
    right_max_end: Vec<u32>,
    /// The ends of `right`, sorted.
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
    n_sets: usize,
}

impl Facts<'_> {
    fn index(&self, o: Operand) -> u32 {
        match o {
            Operand::Set(i) => i as u32,
            Operand::Inline(i) => (self.n_sets + i) as u32,
        }
    }
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
    for o in found.matched() {
        scratch
            .candidates
            .extend_from_slice(&engine.rules_by_operand[o as usize]);
    }
    scratch.candidates.sort_unstable();
    scratch.candidates.dedup();
    scratch.words.reset(fields.len());

    let n_sets = engine.watchlist.sets.len();
    let mut facts = Facts {
        found,
        fields,
        words: &mut scratch.words,
        near: &mut scratch.near,
        n_sets,
    };
    let mut hits = Vec::new();
    for &r in &scratch.candidates {
        let rule = engine.rule(r as usize);
        if eval(&rule.expr, &mut facts) {
            let mut ms: Vec<Match> = Vec::new();
            for &o in &rule.operands {
                ms.extend_from_slice(found.firsts(facts.index(o)));
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

/// Whether `expr` holds for the item that `facts` describes: an operand when
/// it matched anywhere in the item; `NOT`, `AND`, `OR` over the whole item;
/// NEAR within one field (SPEC section 2). `AND` and `OR` stop at the first
/// operand that decides them.
fn eval(expr: &Expr, facts: &mut Facts<'_>) -> bool {
    match expr {
        Expr::Operand(o) => !facts.found.spans(facts.index(*o)).is_empty(),
        Expr::Not(e) => !eval(e, facts),
        Expr::And(es) => es.iter().all(|e| eval(e, facts)),
        Expr::Or(es) => es.iter().any(|e| eval(e, facts)),
        Expr::Near { n, left, right } => near_holds(*n, left, right, facts),
    }
}

/// Some match of an operand of `left` and some match of one of `right` lie
/// in one field with at most `n` words strictly between them (0 when they
/// touch or overlap).
///
/// For each left span, three binary searches over the right spans of its
/// field find the nearest right span after it, the nearest before it, and
/// whether one overlaps it; word counts are two more binary searches. So
/// `O((l + r) log r)` for `l` and `r` spans, not `l * r` (issue 14: an item
/// of `H200 ` x n, filler, `bans ` x n took seconds).
fn near_holds(n: u32, left: &[Operand], right: &[Operand], facts: &mut Facts<'_>) -> bool {
    let n = n as usize;
    let (found, n_sets) = (facts.found, facts.n_sets);
    let index = |o: Operand| match o {
        Operand::Set(i) => i as u32,
        Operand::Inline(i) => (n_sets + i) as u32,
    };
    for f in 0..facts.fields.len() as u32 {
        let field_spans = |o: Operand, out: &mut Vec<(u32, u32)>| {
            let spans = found.spans(index(o));
            let from = spans.partition_point(|s| s.field < f);
            let to = spans.partition_point(|s| s.field <= f);
            out.extend(spans[from..to].iter().map(|s| (s.start, s.end)));
        };
        let b = &mut *facts.near;
        b.right.clear();
        for &o in right {
            field_spans(o, &mut b.right);
        }
        if b.right.is_empty() {
            continue;
        }
        b.left.clear();
        for &o in left {
            field_spans(o, &mut b.left);
        }
        if b.left.is_empty() {
            continue;
        }
        b.right.sort_unstable();
        b.right_max_end.clear();
        let mut max = 0;
        for &(_, e) in &b.right {
            max = max.max(e);
            b.right_max_end.push(max);
        }
        b.right_ends.clear();
        b.right_ends.extend(b.right.iter().map(|r| r.1));
        b.right_ends.sort_unstable();
        let b = &*facts.near;
        let words = facts.words.words(f as usize, facts.fields[f as usize].text);
        for &(a_start, a_end) in &b.left {
            // Right spans starting before `a` ends: one of them overlaps
            // `a` when the largest end among them is past `a`'s start.
            let k = b.right.partition_point(|r| r.0 < a_end);
            if k > 0 && b.right_max_end[k - 1] > a_start {
                return true;
            }
            // The first right span starting at or after `a`'s end.
            if let Some(&(r_start, _)) = b.right.get(k)
                && words_between(words, a_end as usize, r_start as usize) <= n
            {
                return true;
            }
            // The right span ending last at or before `a`'s start.
            let j = b.right_ends.partition_point(|&e| e <= a_start);
            if j > 0 && words_between(words, b.right_ends[j - 1] as usize, a_start as usize) <= n {
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
                found.begin(2, 50);
                found.finish();
                let mut none = Facts {
                    found: &found,
                    fields: &[],
                    words: &mut words,
                    near: &mut near,
                    n_sets: 2,
                };
                assert_eq!(eval(e, &mut none), e.holds_without_match(), "{when}: {e:?}");
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
