//! Test support for the parsers' fuzz tests (`item`, `watchlist` and
//! `settings`, each in its `fuzz_tests` module): the strategies that make
//! their inputs, arbitrary or grown from a valid document by structured
//! mutations, and the one path from an accepted watchlist to alerts that
//! every accepted input is run through.
//!
//! Sizes are bounded so that each proptest runs in seconds in a debug
//! build; the unbounded classes (100,000-deep nesting, a megabyte term)
//! are plain tests in the fuzz modules.

use std::sync::Arc;
use std::time::SystemTime;

use proptest::prelude::*;
use proptest::sample::Index;

use crate::alert::{AlertOptions, alerts_for};
use crate::engine::{Engine, Field, Scratch};
use crate::item::{NewsItem, Provenance};
use crate::watchlist::Watchlist;

/// A compact valid watchlist with every kind of set flag and operator: the
/// seed the watchlist fuzz tests mutate, and what the item fuzz tests scan
/// accepted items with.
pub const COMPACT_WATCHLIST: &str = r#"# every feature, small
[sets.chips]
terms = ["H200", "AI chip*", "ИИ-чип*", "芯片", "Nvidia"]
confusables = true

[sets.export]
terms = ["export*", "экспорт*", "出口"]

[sets.acronyms]
terms = ["US", "BIS"]
case_sensitive = true

[[rules]]
id = "chip-export"
when = "chips AND (export OR acronyms) AND NOT \"gaming\""
severity = "high"
description = "chips and exports"
sinks = ["alerts-topic"]

[[rules]]
id = "near"
when = 'chips NEAR/3 (export OR "licence")'
"#;

/// One structured edit of a document; positions are taken modulo its
/// length at the time of the edit.
#[derive(Debug, Clone)]
pub enum Edit {
    /// Inserts the bytes at the position.
    Insert(Index, Vec<u8>),
    /// Deletes up to `n` bytes from the position.
    Delete(Index, usize),
    /// Repeats the (up to) `n` bytes at the position `times` more times
    /// after themselves: `[` a hundred times is a hundred levels deeper.
    Duplicate(Index, usize, usize),
    /// Cuts the document at the position.
    Truncate(Index),
    /// Replaces the byte at the position.
    Replace(Index, u8),
}

/// A position in `0..=len`.
fn at(i: &Index, len: usize) -> usize {
    i.index(len + 1)
}

/// `doc` with `edits` applied in order; the bytes may stop being UTF-8.
pub fn apply(doc: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut out = doc.to_vec();
    for e in edits {
        match e {
            Edit::Insert(i, bytes) => {
                let p = at(i, out.len());
                out.splice(p..p, bytes.iter().copied());
            }
            Edit::Delete(i, n) => {
                let p = at(i, out.len());
                let end = (p + n).min(out.len());
                out.drain(p..end);
            }
            Edit::Duplicate(i, n, times) => {
                let p = at(i, out.len());
                let end = (p + n).min(out.len());
                let piece = out[p..end].to_vec();
                let copies = piece.repeat(*times);
                out.splice(end..end, copies);
            }
            Edit::Truncate(i) => {
                let p = at(i, out.len());
                out.truncate(p);
            }
            Edit::Replace(i, b) => {
                if !out.is_empty() {
                    let p = i.index(out.len());
                    out[p] = *b;
                }
            }
        }
    }
    out
}

/// What an edit inserts: a token of the format (`tokens`), any byte, or
/// any character.
fn payload(tokens: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => prop::sample::select(tokens).prop_map(|t| t.as_bytes().to_vec()),
        1 => any::<u8>().prop_map(|b| vec![b]),
        1 => any::<char>().prop_map(|c| c.to_string().into_bytes()),
    ]
}

/// One to eight edits, inserting `tokens` among others.
pub fn edits(tokens: &'static [&'static str]) -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        4 => (any::<Index>(), payload(tokens)).prop_map(|(i, b)| Edit::Insert(i, b)),
        2 => (any::<Index>(), 1usize..32).prop_map(|(i, n)| Edit::Delete(i, n)),
        2 => (any::<Index>(), 1usize..16, 1usize..100)
            .prop_map(|(i, n, t)| Edit::Duplicate(i, n, t)),
        1 => any::<Index>().prop_map(Edit::Truncate),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Replace(i, b)),
    ];
    prop::collection::vec(edit, 1..8)
}

/// Text made of up to `len` pieces: tokens of the format and arbitrary
/// characters, so that it gets past a parser's first character more often
/// than arbitrary text does.
pub fn soup(tokens: &'static [&'static str], len: usize) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => prop::sample::select(tokens).prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..len).prop_map(|pieces| pieces.concat())
}

/// The 1-based line of byte `at` of `src` (one plus the line feeds before
/// it); at `src.len()`, the last line a position can be on.
pub fn line_of(src: &str, at: usize) -> usize {
    src.as_bytes()[..at.min(src.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Builds the engine of an accepted watchlist and takes an item through
/// the one path to alerts: an item made of the first term of each set
/// and each inline term, with `extra` text, so that rules hold and NEAR
/// counts words. Panics (failing the test) when a match or a snippet is
/// off the text's character boundaries.
pub fn build_and_scan(watchlist: Watchlist, extra: &str) {
    let mut text = String::new();
    let firsts = watchlist.sets.iter().filter_map(|s| s.terms.first());
    for term in firsts.chain(&watchlist.inline_terms) {
        text.push_str(term.text.trim_end_matches('*'));
        text.push_str(" x ");
    }
    text.push_str(extra);
    let engine = Engine::build(Arc::new(watchlist)).expect("an accepted watchlist builds");
    let mut scratch = Scratch::new();
    let fields = [Field {
        name: "title",
        text: &text,
    }];
    for m in engine.find_matches(&fields, &mut scratch) {
        assert!(
            text.is_char_boundary(m.start) && text.is_char_boundary(m.end) && m.start < m.end,
            "match {m:?} in {text:?}"
        );
    }
    let item = NewsItem::of_fields(vec![("title", text.as_str().into())]);
    let opts = AlertOptions::default();
    let now = SystemTime::UNIX_EPOCH;
    alerts_for(
        &engine,
        &item,
        &Provenance::Line(1),
        &opts,
        now,
        &mut scratch,
    );
}
