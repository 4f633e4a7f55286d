//! Rule evaluation over the matches of one item (SPEC sections 2 and 2b,
//! "Rule expressions"): the one place that gives each operator of a
//! resolved [`Expr`] its meaning ([`eval`], over the rule compiled into a
//! [`Node`]). Only the rules that refer to a matched operand are looked at
//! (presearch), and the words, sentences and paragraphs of a field are
//! found only when an operator needs them.
//!
//! Adding an operator means its parser and resolution in `watchlist`, then
//! its [`Node`] and one arm of [`eval`] here. This module finds no matches (that is
//! `engine/mod.rs`) and does no text segmentation of its own (`text::words`,
//! `text::units`).

use std::collections::HashMap;

use super::found::{Found, Span};
use super::{Engine, Field, Match, RuleHit, Scratch};
use crate::text::normalize::{Form, NormText, normalize_into};
use crate::text::units::{paragraph_starts, sentence_starts, unit_of};
use crate::text::words::{word_spans_into, words_between};
use crate::watchlist::{Expr, MetaKey, Operand, Within};

/// Word spans, sentence and paragraph starts of each field, computed on
/// first use per item. Words are counted on the normalized text (SPEC 2a:
/// NFD text counts like NFC, half-width kana like full-width), each span
/// mapped back to bytes of the original text, where matches are.
#[derive(Debug, Default)]
pub(super) struct WordCache {
    /// Per field: its words, valid when `have_words` says so (the vectors
    /// are kept from item to item).
    fields: Vec<Vec<(u32, u32)>>,
    have_words: Vec<bool>,
    sentences: Vec<Option<Vec<u32>>>,
    paragraphs: Vec<Option<Vec<u32>>>,
}

impl WordCache {
    fn reset(&mut self, n: usize) {
        for v in [&mut self.sentences, &mut self.paragraphs] {
            v.clear();
            v.resize(n, None);
        }
        if self.fields.len() < n {
            self.fields.resize_with(n, Vec::new);
        }
        self.have_words.clear();
        self.have_words.resize(n, false);
    }

    /// The words of field `field` (original text `text`), found on its
    /// folded text `folded`, which the engine's walk made already.
    fn words(&mut self, field: usize, text: &str, folded: &NormText) -> &[(u32, u32)] {
        let words = &mut self.fields[field];
        if !self.have_words[field] {
            self.have_words[field] = true;
            words_of(text, folded, words);
        }
        words
    }

    /// The starts of the sentences (`sentences`) or paragraphs of a field.
    fn units(&mut self, field: usize, text: &str, sentences: bool) -> &[u32] {
        if sentences {
            self.sentences[field].get_or_insert_with(|| sentence_starts(text))
        } else {
            self.paragraphs[field].get_or_insert_with(|| paragraph_starts(text))
        }
    }
}

/// The words NEAR counts in a field's `text`, as byte spans of `text`:
/// found on its normalized text (`norm` is the buffer), each mapped back.
pub(super) fn field_words(text: &str, norm: &mut NormText) -> Vec<(u32, u32)> {
    normalize_into(text, Form::Folded, norm);
    let mut spans = Vec::new();
    words_of(text, norm, &mut spans);
    spans
}

/// Into `spans`: the words of `text`, whose folded form is `folded`, as
/// byte spans of `text`.
fn words_of(text: &str, folded: &NormText, spans: &mut Vec<(u32, u32)>) {
    word_spans_into(folded.as_str(), spans);
    for w in spans.iter_mut() {
        let (s, e) = folded.original_range(text, w.0 as usize, w.1 as usize);
        *w = (s as u32, e as u32);
    }
}

/// A rule expression compiled for evaluation: operands as indexes (sets
/// first, then inline terms); the sides of positional operators as groups
/// whose spans `Found` keeps (one list per distinct side of the watchlist,
/// shared by every operator that has it); field scopes and metadata keys
/// as indexes into [`Compiled`]'s lists.
#[derive(Debug, Clone)]
pub(super) enum Node {
    /// The operand with this index matched anywhere.
    Operand(u32),
    /// An operand of group `group` matched in scoped field `scope`.
    InField {
        group: u32,
        scope: u32,
    },
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
    /// A proximity operator between a span of group `left` and one of
    /// group `right` in one field (field `scope` alone, if given).
    Near {
        within: Within,
        left: u32,
        right: u32,
        scope: Option<u32>,
    },
    /// A span of `group` starts within the first `n` words of its field.
    First {
        n: u32,
        group: u32,
        scope: Option<u32>,
    },
    /// The spans of `group` lie in at least `n` places that do not overlap.
    AtLeast {
        n: u32,
        group: u32,
        scope: Option<u32>,
    },
    /// Metadata field `key` (index into [`Compiled::meta_keys`]) equals
    /// one of `values` (lowercased).
    Meta {
        key: u32,
        values: Box<[String]>,
    },
    /// The URL's host is one of `hosts` (lowercased) or under one.
    Site {
        hosts: Box<[String]>,
    },
}

/// The watchlist's rules compiled ([`Node`]), the groups of each operand,
/// and the field and metadata names the rules refer to.
#[derive(Debug, Default)]
pub(super) struct Compiled {
    /// One node per rule, in watchlist order.
    pub(super) rules: Vec<Node>,
    /// Per operand index: the groups it belongs to.
    pub(super) groups_of: Vec<Vec<u32>>,
    /// The fields named by field scopes; `Node::InField::scope` indexes it.
    scopes: Vec<String>,
    /// The metadata fields named by filters; `Node::Meta::key` indexes it.
    meta_keys: Vec<String>,
}

/// Interns names: the index of each distinct one.
fn intern(names: &mut Vec<String>, name: &str) -> u32 {
    match names.iter().position(|n| n == name) {
        Some(i) => i as u32,
        None => {
            names.push(name.to_owned());
            (names.len() - 1) as u32
        }
    }
}

/// Compiles expressions, giving each distinct side a group.
struct Compiler<'i, I> {
    index: &'i I,
    groups: HashMap<Vec<u32>, u32>,
    groups_of: Vec<Vec<u32>>,
    scopes: Vec<String>,
    meta_keys: Vec<String>,
}

impl<I: Fn(Operand) -> u32> Compiler<'_, I> {
    fn side(&mut self, operands: &[Operand]) -> u32 {
        let mut key: Vec<u32> = operands.iter().map(|&o| (self.index)(o)).collect();
        key.sort_unstable();
        key.dedup();
        let next = self.groups.len() as u32;
        let groups_of = &mut self.groups_of;
        *self.groups.entry(key.clone()).or_insert_with(|| {
            for &o in &key {
                groups_of[o as usize].push(next);
            }
            next
        })
    }

    fn compile(&mut self, e: &Expr, scope: Option<u32>) -> Node {
        match e {
            Expr::Operand(o) => match scope {
                None => Node::Operand((self.index)(*o)),
                Some(scope) => Node::InField {
                    group: self.side(&[*o]),
                    scope,
                },
            },
            Expr::Not(x) => Node::Not(Box::new(self.compile(x, scope))),
            Expr::And(xs) => Node::And(xs.iter().map(|x| self.compile(x, scope)).collect()),
            Expr::Or(xs) => Node::Or(xs.iter().map(|x| self.compile(x, scope)).collect()),
            Expr::Near {
                within,
                left,
                right,
            } => Node::Near {
                within: *within,
                left: self.side(left),
                right: self.side(right),
                scope,
            },
            Expr::First { n, operands } => Node::First {
                n: *n,
                group: self.side(operands),
                scope,
            },
            Expr::AtLeast { n, operands } => Node::AtLeast {
                n: *n,
                group: self.side(operands),
                scope,
            },
            Expr::InField { field, inner } => {
                let s = intern(&mut self.scopes, field);
                self.compile(inner, Some(s))
            }
            Expr::Meta(filter) => {
                let values = filter.values.iter().map(|v| v.to_lowercase()).collect();
                match &filter.key {
                    MetaKey::Field(k) => Node::Meta {
                        key: intern(&mut self.meta_keys, k),
                        values,
                    },
                    MetaKey::Site => Node::Site { hosts: values },
                }
            }
        }
    }
}

impl Compiled {
    /// Compiles every rule of `engine`'s watchlist; `index` gives an
    /// operand's index.
    pub(super) fn new(rules: &[&Expr], n_operands: usize, index: impl Fn(Operand) -> u32) -> Self {
        let mut c = Compiler {
            index: &index,
            groups: HashMap::new(),
            groups_of: vec![Vec::new(); n_operands],
            scopes: Vec::new(),
            meta_keys: Vec::new(),
        };
        let rules = rules.iter().map(|e| c.compile(e, None)).collect();
        Compiled {
            rules,
            groups_of: c.groups_of,
            scopes: c.scopes,
            meta_keys: c.meta_keys,
        }
    }
}

/// Buffers of the proximity evaluation, reused across items.
#[derive(Debug, Default)]
pub(super) struct NearBuffers {
    /// `right_max_end[k]`: the largest end among the first `k + 1` right
    /// spans of the field.
    right_max_end: Vec<u32>,
    /// The ends of the right spans of the field, sorted.
    right_ends: Vec<u32>,
    /// Per scoped field name: its index among the item's fields.
    scope_field: Vec<Option<u32>>,
    /// Per metadata key: the item's value, if it has one (byte range of
    /// `meta_text`).
    meta: Vec<Option<(u32, u32)>>,
    /// The item's metadata values of `meta`, concatenated.
    meta_text: String,
}

/// What evaluation knows of one item: its matches, metadata and, computed
/// on first use, the words, sentences and paragraphs of its fields.
struct Facts<'a> {
    found: &'a Found,
    /// The scanned fields; `Match::field` indexes them.
    fields: &'a [Field<'a>],
    /// The item's metadata: (name, value).
    metadata: &'a [(&'a str, &'a str)],
    /// The host of the item's `url`, lowercased, once looked up (`None`
    /// inside: no URL or no host).
    host: Option<Option<String>>,
    words: &'a mut WordCache,
    /// Per field, its folded text, as the walk left it.
    folded: &'a [NormText],
    near: &'a mut NearBuffers,
}

/// The rules that hold for the item whose matches are in `found` and whose
/// metadata is `metadata` (name, value), in watchlist order, each with its
/// first `max_matches` matches. Only rules that refer to a matched operand
/// are evaluated: the loader refuses a rule that may hold on an item with
/// no match (`Expr::holds_without_match`).
pub(super) fn evaluate(
    engine: &Engine,
    fields: &[Field<'_>],
    metadata: &[(&str, &str)],
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
    let compiled = &engine.compiled;
    scratch.near.prepare(compiled, fields, metadata);

    let mut facts = Facts {
        found,
        fields,
        metadata,
        host: None,
        words: &mut scratch.words,
        folded: &scratch.folded,
        near: &mut scratch.near,
    };
    let mut hits = Vec::new();
    for &r in &scratch.candidates {
        if eval(&compiled.rules[r as usize], &mut facts) {
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

impl NearBuffers {
    /// Finds, for one item, the index of each scoped field among its
    /// `fields` and its value of each metadata key.
    fn prepare(&mut self, compiled: &Compiled, fields: &[Field<'_>], metadata: &[(&str, &str)]) {
        let near = self;
        near.scope_field.clear();
        near.scope_field.extend(
            compiled
                .scopes
                .iter()
                .map(|s| fields.iter().position(|f| f.name == s).map(|f| f as u32)),
        );
        near.meta.clear();
        near.meta_text.clear();
        for key in &compiled.meta_keys {
            let value = metadata.iter().rev().find(|(k, _)| k == key).map(|(_, v)| {
                let from = near.meta_text.len();
                near.meta_text.push_str(&v.trim().to_lowercase());
                (from as u32, near.meta_text.len() as u32)
            });
            near.meta.push(value);
        }
    }
}

/// Whether `node` holds for the item that `facts` describes (SPEC sections
/// 2 and 2b): an operand when it matched anywhere in the item (in the
/// scoped field, under a field scope); `NOT`, `AND`, `OR` over the whole
/// item; the positional operators within one field; metadata filters on
/// the item's metadata. `AND` and `OR` stop at the first operand that
/// decides them.
fn eval(node: &Node, facts: &mut Facts<'_>) -> bool {
    match node {
        Node::Operand(o) => facts.found.is_matched(*o),
        Node::InField { group, scope } => match facts.scoped(*scope) {
            Some(f) => !in_field(facts.found.spans(*group), f).is_empty(),
            None => false,
        },
        Node::Not(e) => !eval(e, facts),
        Node::And(es) => es.iter().all(|e| eval(e, facts)),
        Node::Or(es) => es.iter().any(|e| eval(e, facts)),
        Node::Near {
            within,
            left,
            right,
            scope,
        } => facts
            .fields_in(*scope)
            .any(|f| proximity(*within, *left, *right, f, facts)),
        Node::First { n, group, scope } => facts.fields_in(*scope).any(|f| {
            let spans = in_field(facts.found.spans(*group), f);
            // Spans are sorted by start: the first is the one to judge.
            spans.first().is_some_and(|s| {
                let words = facts.words.words(
                    f as usize,
                    facts.fields[f as usize].text,
                    &facts.folded[f as usize],
                );
                words.partition_point(|w| w.1 <= s.start) < *n as usize
            })
        }),
        Node::AtLeast { n, group, scope } => {
            let spans = facts.found.spans(*group);
            let mut count = 0u64;
            for f in facts.fields_in(*scope) {
                count += places(in_field(spans, f));
            }
            count >= u64::from(*n)
        }
        Node::Meta { key, values } => match facts.near.meta[*key as usize] {
            Some((from, to)) => {
                let value = &facts.near.meta_text[from as usize..to as usize];
                values.iter().any(|v| v == value)
            }
            None => false,
        },
        Node::Site { hosts } => {
            let metadata = facts.metadata;
            let host = facts.host.get_or_insert_with(|| url_host(metadata));
            host.as_deref()
                .is_some_and(|h| hosts.iter().any(|v| is_under_site(h, v)))
        }
    }
}

/// The host of the `url` metadata field, as [`site_host`] reads it.
fn url_host(metadata: &[(&str, &str)]) -> Option<String> {
    let (_, url) = metadata.iter().rev().find(|(k, _)| *k == "url")?;
    site_host(url)
}

/// The host `site:` compares (SPEC 2b): that of `url`, lowercased, without
/// a trailing dot; a URL without a scheme (`reuters.com/x`) is read as
/// `http://`. `None` when it has none.
pub fn site_host(url: &str) -> Option<String> {
    let url = url.trim();
    let parsed = url::Url::parse(url)
        .ok()
        .filter(|u| u.host_str().is_some())
        .or_else(|| url::Url::parse(&format!("http://{url}")).ok())?;
    let host = parsed.host_str()?.trim_end_matches('.').to_lowercase();
    (!host.is_empty()).then_some(host)
}

/// `site:site` holds for `host` (both lowercased): the same host, or a
/// subdomain of it (`www.reuters.com` for `reuters.com`, not
/// `notreuters.com`).
pub fn is_under_site(host: &str, site: &str) -> bool {
    host == site
        || (host.len() > site.len()
            && host.ends_with(site)
            && host.as_bytes()[host.len() - site.len() - 1] == b'.')
}

impl Facts<'_> {
    /// The item's index of scoped field `scope`; `None` when the item does
    /// not have that field.
    fn scoped(&self, scope: u32) -> Option<u32> {
        self.near.scope_field[scope as usize]
    }

    /// The field indexes an operator looks at: every field, or the scoped
    /// one.
    fn fields_in(&self, scope: Option<u32>) -> std::ops::Range<u32> {
        match scope {
            None => 0..self.fields.len() as u32,
            Some(s) => match self.scoped(s) {
                Some(f) => f..f + 1,
                None => 0..0,
            },
        }
    }
}

/// The number of places the spans (sorted by start, of one field) cover:
/// overlapping spans count once.
fn places(spans: &[Span]) -> u64 {
    let mut count = 0;
    let mut end = 0;
    for s in spans {
        if count == 0 || s.start >= end {
            count += 1;
            end = s.end;
        } else {
            end = end.max(s.end);
        }
    }
    count
}

/// The spans of `spans` (sorted by field) in field `f`.
fn in_field(spans: &[Span], f: u32) -> &[Span] {
    let from = spans.partition_point(|s| s.field < f);
    let to = spans.partition_point(|s| s.field <= f);
    &spans[from..to]
}

/// Whether the proximity operator `within` holds between spans of group
/// `left` and of group `right` in field `f`.
///
/// For each left span, binary searches over the right spans of the field
/// find the nearest right span after it, the nearest before it, and
/// whether one overlaps it; word counts are two more binary searches. So
/// `O((l + r) log r)` for `l` and `r` spans, not `l * r` (issue 14: an item
/// of `H200 ` x n, filler, `bans ` x n took seconds).
fn proximity(within: Within, left: u32, right: u32, f: u32, facts: &mut Facts<'_>) -> bool {
    let l = in_field(facts.found.spans(left), f);
    if l.is_empty() {
        return false;
    }
    let r = in_field(facts.found.spans(right), f);
    let text = facts.fields[f as usize].text;
    match within {
        Within::Words(n) | Within::Apart(n) => {
            if r.is_empty() {
                return matches!(within, Within::Apart(_));
            }
            let b = &mut *facts.near;
            // `r` is sorted by start (`Found` keeps spans by field, start).
            b.right_max_end.clear();
            let mut max = 0;
            for s in r {
                max = max.max(s.end);
                b.right_max_end.push(max);
            }
            b.right_ends.clear();
            b.right_ends.extend(r.iter().map(|s| s.end));
            b.right_ends.sort_unstable();
            let words = facts
                .words
                .words(f as usize, text, &facts.folded[f as usize]);
            let b = &*facts.near;
            let want = matches!(within, Within::Words(_));
            l.iter().any(|a| close(a, r, b, words, n as usize) == want)
        }
        Within::Ordered(n) => {
            let words = facts
                .words
                .words(f as usize, text, &facts.folded[f as usize]);
            l.iter().any(|a| {
                // The first right span starting at or after `a`'s end: the
                // fewest words from `a`.
                let k = r.partition_point(|s| s.start < a.end);
                r.get(k).is_some_and(|s| {
                    words_between(words, a.end as usize, s.start as usize) <= n as usize
                })
            })
        }
        Within::Sentence | Within::Paragraph => {
            if r.is_empty() {
                return false;
            }
            let starts = facts
                .words
                .units(f as usize, text, within == Within::Sentence);
            // Both lists are sorted by start, so their units are too: a
            // merge finds a unit in both.
            let (mut i, mut j) = (0, 0);
            while i < l.len() && j < r.len() {
                let (a, b) = (
                    unit_of(starts, l[i].start as usize),
                    unit_of(starts, r[j].start as usize),
                );
                match a.cmp(&b) {
                    std::cmp::Ordering::Equal => return true,
                    std::cmp::Ordering::Less => i += 1,
                    std::cmp::Ordering::Greater => j += 1,
                }
            }
            false
        }
    }
}

/// Some span of `r` (the right spans of `a`'s field, sorted by start, with
/// their running largest end and sorted ends in `b`) overlaps `a` or lies at
/// most `n` words from it.
fn close(a: &Span, r: &[Span], b: &NearBuffers, words: &[(u32, u32)], n: usize) -> bool {
    // Right spans starting before `a` ends: one of them overlaps `a` when
    // the largest end among them is past `a`'s start.
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
    j > 0 && words_between(words, b.right_ends[j - 1] as usize, a.start as usize) <= n
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
            "a AND lang:ru",
            "a OR lang:ru",
            "NOT (a AND lang:ru)",
            "a AND NOT site:reuters.com",
            "lang:(ru OR en) AND NOT source:tass AND body:a",
            "title:(a AND NOT b)",
            "FIRST/3 a",
            "ATLEAST/2 (a OR b)",
            "a PRE/1 b",
            "a NOT NEAR/3 b",
            "a NEAR/S b AND NOT (a NEAR/P b)",
        ];
        let items: [&[(&str, &str)]; 4] = [
            &[],
            &[("lang", "RU"), ("url", "https://www.reuters.com/x")],
            &[("lang", "en"), ("source", "TASS")],
            &[("lang", "zh"), ("source", "ria")],
        ];
        for when in whens {
            // Inside `a AND (…)`, so that the rule loads whatever `when`.
            let src = format!("{base}[[rules]]\nid=\"r\"\nwhen='a AND ({when})'\n");
            let w = Watchlist::parse(&src, None).unwrap_or_else(|p| panic!("{when}: {p:?}"));
            let expr = &w.rules[0].expr;
            for e in subexpressions(expr) {
                let index = |o| crate::engine::operand_index(&w, o) as u32;
                let compiled = Compiled::new(&[e], 4, index);
                let mut found = Found::default();
                found.begin(4, 50);
                found.finish();
                let fields = [Field {
                    name: "title",
                    text: "no term here",
                }];
                // Holds on some item with no match, whatever its metadata.
                let holds_on_some = items.iter().any(|metadata| {
                    let (mut words, mut near) = (WordCache::default(), NearBuffers::default());
                    words.reset(fields.len());
                    let mut folded = vec![NormText::default()];
                    normalize_into(fields[0].text, Form::Folded, &mut folded[0]);
                    near.prepare(&compiled, &fields, metadata);
                    let mut none = Facts {
                        found: &found,
                        fields: &fields,
                        metadata,
                        host: None,
                        words: &mut words,
                        folded: &folded,
                        near: &mut near,
                    };
                    eval(&compiled.rules[0], &mut none)
                });
                assert_eq!(holds_on_some, e.holds_without_match(), "{when}: {e:?}");
            }
        }
    }

    fn subexpressions(e: &Expr) -> Vec<&Expr> {
        let mut out = vec![e];
        match e {
            Expr::Not(x) | Expr::InField { inner: x, .. } => out.extend(subexpressions(x)),
            Expr::And(xs) | Expr::Or(xs) => xs.iter().for_each(|x| out.extend(subexpressions(x))),
            Expr::Operand(_)
            | Expr::Near { .. }
            | Expr::First { .. }
            | Expr::AtLeast { .. }
            | Expr::Meta(_) => {}
        }
        out
    }
}
