//! Rule evaluation over the matches of one item (SPEC section 2, "Rule
//! expressions"): the one place that gives each operator of a resolved
//! [`Expr`] its meaning ([`eval`]). Only the rules that refer to a matched
//! operand are looked at, and NEAR counts the words of a field (on its
//! normalized text) only when a NEAR rule needs it.
//!
//! Adding an operator means its parser and resolution in `watchlist`, then
//! one arm of [`eval`] here. This module finds no matches (that is
//! `engine/mod.rs`) and does no text segmentation of its own (`text::words`).

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

/// Words strictly between two matches of one field; 0 when they overlap or
/// touch.
fn gap_words(words: &[(u32, u32)], a: &Match, b: &Match) -> usize {
    if a.end <= b.start {
        words_between(words, a.end, b.start)
    } else if b.end <= a.start {
        words_between(words, b.end, a.start)
    } else {
        0 // overlapping
    }
}

/// What evaluation knows of one item: its matches and, computed on first
/// use, the words of its fields.
struct Facts<'a> {
    /// Every match of the item, sorted by field, start, end, operand.
    matches: &'a [Match],
    /// The distinct operands of `matches`, sorted.
    matched: &'a [Operand],
    /// The scanned fields; `Match::field` indexes them.
    fields: &'a [Field<'a>],
    words: &'a mut WordCache,
}

/// The rules that hold for the item whose matches are in `scratch`, in
/// watchlist order, each with the matches of its operands. Only rules that
/// refer to a matched operand are evaluated: the loader refuses a rule that
/// holds on an item with no match (`Expr::holds_without_match`).
pub(super) fn evaluate(
    engine: &Engine,
    fields: &[Field<'_>],
    scratch: &mut Scratch,
) -> Vec<RuleHit> {
    let matches = &scratch.matches;
    // Distinct matched operands, sorted: `matches` is sorted by field first,
    // so collect and sort them apart.
    let mut matched: Vec<Operand> = matches.iter().map(|m| m.operand).collect();
    matched.sort_unstable();
    matched.dedup();

    scratch.candidates.clear();
    for &o in &matched {
        scratch
            .candidates
            .extend_from_slice(&engine.rules_by_operand[engine.operand_index(o)]);
    }
    scratch.candidates.sort_unstable();
    scratch.candidates.dedup();
    scratch.words.reset(fields.len());

    let mut facts = Facts {
        matches,
        matched: &matched,
        fields,
        words: &mut scratch.words,
    };
    let mut hits = Vec::new();
    for &r in &scratch.candidates {
        let rule = engine.rule(r as usize);
        if eval(&rule.expr, &mut facts) {
            let mut ms: Vec<Match> = matches
                .iter()
                .filter(|m| rule.operands.binary_search(&m.operand).is_ok())
                .copied()
                .collect();
            ms.dedup_by_key(|m| (m.field, m.start, m.end, m.operand));
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
        Expr::Operand(o) => facts.matched.binary_search(o).is_ok(),
        Expr::Not(e) => !eval(e, facts),
        Expr::And(es) => es.iter().all(|e| eval(e, facts)),
        Expr::Or(es) => es.iter().any(|e| eval(e, facts)),
        Expr::Near { n, left, right } => near_holds(*n, left, right, facts),
    }
}

/// Some match of an operand of `left` and some match of one of `right` lie
/// in one field with at most `n` words strictly between them.
fn near_holds(n: u32, left: &[Operand], right: &[Operand], facts: &mut Facts<'_>) -> bool {
    let n = n as usize;
    // `matches` is sorted by field: walk it one field at a time.
    let mut rest = facts.matches;
    while let Some(first) = rest.first() {
        let f = first.field;
        let len = rest.partition_point(|m| m.field == f);
        let (in_field, tail) = rest.split_at(len);
        rest = tail;
        let lhs = in_field.iter().filter(|m| left.contains(&m.operand));
        let has_rhs = in_field.iter().any(|m| right.contains(&m.operand));
        if !has_rhs {
            continue;
        }
        for a in lhs {
            for b in in_field.iter().filter(|m| right.contains(&m.operand)) {
                let words = facts.words.words(f, facts.fields[f].text);
                if gap_words(words, a, b) <= n {
                    return true;
                }
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
                let mut none = Facts {
                    matches: &[],
                    matched: &[],
                    fields: &[],
                    words: &mut words,
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
