//! Rule evaluation over the matches of one item: only the rules that refer
//! to a matched operand are looked at, and NEAR counts words in the original
//! field text only when a NEAR rule needs it.

use super::{Engine, Field, Match, RuleHit, Scratch};
use crate::text::words::{word_spans, words_between};
use crate::watchlist::Operand;

/// Word spans of each field, computed on first use per item.
#[derive(Debug, Default)]
pub(super) struct WordCache {
    fields: Vec<Option<Vec<(u32, u32)>>>,
}

impl WordCache {
    fn reset(&mut self, n: usize) {
        self.fields.clear();
        self.fields.resize(n, None);
    }

    fn words(&mut self, field: usize, text: &str) -> &[(u32, u32)] {
        self.fields[field].get_or_insert_with(|| word_spans(text))
    }
}

fn gap_words(words: &[(u32, u32)], a: &Match, b: &Match) -> usize {
    if a.end <= b.start {
        words_between(words, a.end, b.start)
    } else if b.end <= a.start {
        words_between(words, b.end, a.start)
    } else {
        0 // overlapping
    }
}

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

    let mut hits = Vec::new();
    for &r in &scratch.candidates {
        let rule = engine.rule(r as usize);
        let is_matched = |o: Operand| matched.binary_search(&o).is_ok();
        let words = std::cell::RefCell::new(&mut scratch.words);
        let near = |n: u32, left: &[Operand], right: &[Operand]| {
            near_holds(n, left, right, matches, fields, &mut words.borrow_mut())
        };
        if rule.expr.eval(&is_matched, &near) {
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

fn near_holds(
    n: u32,
    left: &[Operand],
    right: &[Operand],
    matches: &[Match],
    fields: &[Field<'_>],
    cache: &mut WordCache,
) -> bool {
    let n = n as usize;
    // `matches` is sorted by field: walk it one field at a time.
    let mut rest = matches;
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
                let words = cache.words(f, fields[f].text);
                if gap_words(words, a, b) <= n {
                    return true;
                }
            }
        }
    }
    false
}
