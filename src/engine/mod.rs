//! The matching engine: a [`Watchlist`] compiled into automata, run over the
//! fields of an item, filtered for word boundaries, then the rules evaluated.
//!
//! Per field: normalize once (`text::normalize`); then run the one
//! case-folded automaton once over all the fields of the item, joined by a
//! byte no pattern holds (`automaton`; a match of a case-sensitive term is
//! then checked against the original text), keep every occurrence that
//! passes the word-boundary checks (`text::words`, SPEC section 2 "Whole
//! words" and "Prefix"). The folded text is kept for the words NEAR counts.
//! Then only the rules that refer to a matched operand are
//! evaluated (`rules`): a rule that holds has at least one matched operand,
//! since the loader rejects rules that hold without any match. So 10,000
//! rules cost little more than 10 when few match.
//!
//! Files: this one finds matches; `automaton.rs` builds the automaton and
//! says what each pattern stands for; `walk.rs` runs it over a field, four
//! walks at a time; `rules.rs` evaluates rules.
//!
//! Pure: no I/O, no clocks. It must not parse watchlist text (it takes a
//! loaded [`Watchlist`]) nor define text rules of its own (those are in
//! `text`). An [`Engine`] is immutable and shared; each worker brings its
//! own [`Scratch`].

pub mod automaton;
mod found;
mod look_alikes;
pub mod packed;
mod rules;
pub mod walk;

pub use rules::{is_under_site, site_host};

use std::sync::Arc;

use automaton::{Automaton, AutomatonBuilder};

use crate::text::normalize::{self, Form, NormText};
use crate::text::words::{boundary_after, boundary_before, trim_ignorables, word_end};
use crate::watchlist::{Operand, Rule, Watchlist};

/// A watchlist ready to match. Build once, share as `Arc`, swap whole.
#[derive(Debug)]
pub struct Engine {
    watchlist: Arc<Watchlist>,
    /// Every term, case-folded (case-sensitive ones checked on a match).
    folded: Option<Automaton>,
    /// The skeletons of the terms of sets with `confusables = true`, run
    /// over the skeleton of each field (SPEC 2a); `None` without such sets.
    skeleton: Option<Automaton>,
    /// The fields the skeleton pass reads: those with a letter, digit or
    /// mark that may be part of a look-alike from another script of a
    /// confusable term (`look_alikes.rs`). On generated news, ASCII fields
    /// are 64% of the bytes the pass would read (BENCHMARKS.md, "The
    /// skeleton pass"), and Chinese ones most of the rest ("Seventh
    /// session"). `None` without a skeleton automaton.
    look_alikes: Option<look_alikes::LookAlikes>,
    /// For each operand (sets first, then inline terms), the rules that
    /// refer to it.
    rules_by_operand: Vec<Vec<u32>>,
    /// The rules compiled for evaluation, with their NEAR groups.
    compiled: rules::Compiled,
}

/// Errors building an engine.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The automaton library refused the patterns (too many states for its
    /// state identifiers, in practice).
    #[error("building the automaton: {0}")]
    Automaton(#[from] aho_corasick::BuildError),
}

/// One field of an item to scan.
#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    /// The field's name (`title`, `body`, ...), as alerts report it.
    pub name: &'a str,
    /// The field's text as received; match offsets are bytes of it. At most
    /// `text::normalize::MAX_TEXT_BYTES` bytes.
    pub text: &'a str,
}

impl<'a> Field<'a> {
    /// The fields to scan of a decoded item, in `input.fields` order.
    pub fn of(item: &'a crate::item::NewsItem<'_>) -> Vec<Field<'a>> {
        item.fields
            .iter()
            .map(|(name, text)| Field { name, text })
            .collect()
    }
}

/// One occurrence of a term, in byte offsets of the original field text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Match {
    /// Index into the fields given to [`Engine::scan`].
    pub field: usize,
    /// First byte of the match in the field's original text (a character
    /// boundary).
    pub start: usize,
    /// Byte just past the match in the field's original text (a character
    /// boundary); for a prefix term, the end of the word it starts.
    pub end: usize,
    /// The set or inline term the matched term belongs to.
    pub operand: Operand,
    /// Index of the term within its set (0 for inline terms).
    pub term: u32,
}

/// A rule that holds for the item, with the first matches of its operands
/// ordered by field then start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleHit {
    /// Index of the rule in the watchlist's `rules` ([`Engine::rule`]).
    pub rule: usize,
    /// The first `max_matches` (as given to [`Engine::scan`]) matches of the
    /// operands the rule refers to, whether or not they made the rule hold
    /// (a match under `NOT` included), by field, start, end, operand; one
    /// per field, span and operand, overlapping ones included (SPEC
    /// sections 2 and 3).
    pub matches: Vec<Match>,
}

/// Per-worker buffers reused across items so the hot path does not allocate.
#[derive(Debug, Default)]
pub struct Scratch {
    /// Per field, its folded text: walked, then read again for the words
    /// of NEAR and its kin (`rules::WordCache`).
    folded: Vec<NormText>,
    /// Per field, its skeleton text with its map, for fields where the
    /// skeleton pass finds something or that its map-free loop leaves.
    skeletons: Vec<NormText>,
    /// Per field, its skeleton text without a map, for the skeleton pass's
    /// first walk ([`skeleton_pass`]).
    plain_skeletons: Vec<normalize::PlainSkeleton>,
    /// Per field, how the skeleton pass holds it.
    skeleton_states: Vec<SkeletonState>,
    joined: Joined,
    found: found::Found,
    candidates: Vec<u32>,
    lanes: walk::Lanes,
    words: rules::WordCache,
    near: rules::NearBuffers,
}

impl Scratch {
    /// Empty buffers; they grow to the largest item a worker sees.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Engine {
    /// Compiles a watchlist. Costs about half a second at 100,000 terms: do it
    /// off the hot path.
    ///
    /// # Errors
    ///
    /// [`BuildError::Automaton`] when the automaton library cannot build the
    /// patterns.
    pub fn build(watchlist: Arc<Watchlist>) -> Result<Self, BuildError> {
        let mut folded = AutomatonBuilder::default();
        let mut skeleton = AutomatonBuilder::default();
        let mut look_alikes = look_alikes::LookAlikesBuilder::default();
        for (i, set) in watchlist.sets.iter().enumerate() {
            for (j, term) in set.terms.iter().enumerate() {
                folded.add(term, Operand::Set(i), j as u32);
                if set.confusables {
                    look_alikes.add(
                        term.body(),
                        skeleton.add_skeletons(term, Operand::Set(i), j as u32),
                    );
                }
            }
        }
        for (i, term) in watchlist.inline_terms.iter().enumerate() {
            folded.add(term, Operand::Inline(i), 0);
        }
        let mut forms = vec![Form::Folded];
        if watchlist.sets.iter().any(|s| s.case_sensitive) {
            forms.push(Form::CaseKept);
        }
        if !skeleton.is_empty() {
            forms.push(Form::Skeleton);
        }
        normalize::warm_up(&forms);
        let n_operands = watchlist.sets.len() + watchlist.inline_terms.len();
        let mut rules_by_operand = vec![Vec::new(); n_operands];
        for (r, rule) in watchlist.rules.iter().enumerate() {
            for &o in &rule.operands {
                rules_by_operand[operand_index(&watchlist, o)].push(r as u32);
            }
        }
        let exprs: Vec<&crate::watchlist::Expr> = watchlist.rules.iter().map(|r| &r.expr).collect();
        let compiled =
            rules::Compiled::new(&exprs, n_operands, |o| operand_index(&watchlist, o) as u32);
        let build = |b: AutomatonBuilder| (!b.is_empty()).then(|| b.build()).transpose();
        let look_alikes = (!skeleton.is_empty()).then(|| look_alikes.build());
        Ok(Engine {
            folded: build(folded)?,
            skeleton: build(skeleton)?,
            look_alikes,
            watchlist,
            rules_by_operand,
            compiled,
        })
    }

    /// The watchlist this engine was built from.
    pub fn watchlist(&self) -> &Arc<Watchlist> {
        &self.watchlist
    }

    /// Rule `i` of the watchlist, as in [`RuleHit::rule`].
    ///
    /// # Panics
    ///
    /// If `i` is not a rule index of this engine's watchlist.
    pub fn rule(&self, i: usize) -> &Rule {
        &self.watchlist.rules[i]
    }

    /// Number of distinct patterns in the automata (terms equal after
    /// normalization count once; a confusable term adds its skeletons).
    pub fn pattern_count(&self) -> usize {
        self.automata().map(Automaton::patterns_len).sum()
    }

    /// Heap bytes held by the automata and their term lists.
    pub fn memory_usage(&self) -> usize {
        self.automata().map(Automaton::memory_usage).sum()
    }

    fn automata(&self) -> impl Iterator<Item = &Automaton> {
        self.folded.iter().chain(&self.skeleton)
    }

    /// Every occurrence of every term in the fields, ordered by field, start,
    /// end, then operand; one per field, span and operand. Rules are not
    /// evaluated. Unbounded (as many matches as the item has, overlapping
    /// ones included): for tests and rule authoring; the daemon uses
    /// [`scan`](Self::scan), whose memory is bounded.
    pub fn find_matches(&self, fields: &[Field<'_>], scratch: &mut Scratch) -> Vec<Match> {
        let mut out = Vec::new();
        self.each_match(fields, scratch, &mut |m| out.push(m));
        out.sort_unstable();
        out.dedup_by_key(|m| (m.field, m.start, m.end, m.operand));
        out
    }

    /// Matches the fields and returns the rules that hold, in watchlist
    /// order, each with its first `max_matches` matches
    /// (`alerts.max_matches`). `metadata` is the item's metadata fields
    /// (name, value), for metadata filters (SPEC 2b); a name given twice
    /// counts with its last value.
    ///
    /// Time and memory are bounded whatever the watchlist (issue 14): time
    /// linear in the fields' length and the number of matches found, plus
    /// for each rule evaluated, linear in its operands' matches (NEAR:
    /// `m log m`); memory one span per operand and matched position plus
    /// `max_matches` matches per matched operand (`engine::found`).
    pub fn scan_with(
        &self,
        fields: &[Field<'_>],
        metadata: &[(&str, &str)],
        scratch: &mut Scratch,
        max_matches: usize,
    ) -> Vec<RuleHit> {
        let mut found = std::mem::take(&mut scratch.found);
        found.begin(self.rules_by_operand.len(), max_matches);
        self.each_match(fields, scratch, &mut |m| {
            let o = self.operand_index(m.operand);
            found.add(m, o as u32, &self.compiled.groups_of[o]);
        });
        found.finish();
        let hits = if found.is_empty() {
            Vec::new()
        } else {
            rules::evaluate(self, fields, metadata, &found, scratch, max_matches)
        };
        scratch.found = found;
        hits
    }

    /// [`scan_with`](Self::scan_with) over an item without metadata: its
    /// metadata filters (`lang:ru`) do not hold.
    pub fn scan(
        &self,
        fields: &[Field<'_>],
        scratch: &mut Scratch,
        max_matches: usize,
    ) -> Vec<RuleHit> {
        self.scan_with(fields, &[], scratch, max_matches)
    }

    /// [`scan_with`](Self::scan_with) over a decoded item's fields and
    /// metadata.
    pub fn scan_item(
        &self,
        item: &crate::item::NewsItem<'_>,
        scratch: &mut Scratch,
        max_matches: usize,
    ) -> Vec<RuleHit> {
        let fields = Field::of(item);
        self.scan_with(&fields, &item.metadata_pairs(), scratch, max_matches)
    }

    /// The ids of the rules that hold on an item, in watchlist order
    /// ([`scan_item`](Self::scan_item) keeping one match per operand).
    pub fn rules_raised(
        &self,
        item: &crate::item::NewsItem<'_>,
        scratch: &mut Scratch,
    ) -> Vec<&str> {
        self.scan_item(item, scratch, 1)
            .iter()
            .map(|h| self.rule(h.rule).id.as_str())
            .collect()
    }

    /// Calls `sink` with every match in the fields (a match found by both
    /// the folded and the skeleton pass comes twice), pass by pass, field
    /// by field. Each pass walks the item's fields as one text
    /// ([`Joined`]), so that titles and summaries, too short to be cut into
    /// lanes alone, share the body's four lanes.
    fn each_match(
        &self,
        fields: &[Field<'_>],
        scratch: &mut Scratch,
        sink: &mut impl FnMut(Match),
    ) {
        let Some(automaton) = &self.folded else {
            return;
        };
        let Scratch {
            folded,
            skeletons,
            plain_skeletons,
            skeleton_states,
            joined,
            lanes,
            ..
        } = scratch;
        let every = |_: &str| true;
        pass(
            automaton,
            Form::Folded,
            every,
            fields,
            folded,
            joined,
            lanes,
            sink,
        );
        if let Some(skeleton) = &self.skeleton {
            let reads = |text: &str| self.look_alikes.as_ref().is_some_and(|l| l.reads(text));
            let texts = SkeletonTexts {
                mapped: skeletons,
                plain: plain_skeletons,
                states: skeleton_states,
            };
            skeleton_pass(skeleton, reads, fields, texts, joined, lanes, sink);
        }
    }

    fn operand_index(&self, o: Operand) -> usize {
        operand_index(&self.watchlist, o)
    }
}

/// The words `NEAR` counts in a field's text (SPEC 2a, "Words for NEAR"),
/// as sorted byte spans `(start, end)` of `text`, the offsets matches are
/// given in; with [`crate::text::words::words_between`], the distance the
/// engine judges. For explanations; the engine keeps its own per item.
pub fn near_words(text: &str) -> Vec<(u32, u32)> {
    rules::field_words(text, &mut NormText::default())
}

fn operand_index(w: &Watchlist, o: Operand) -> usize {
    match o {
        Operand::Set(i) => i,
        Operand::Inline(i) => w.sets.len() + i,
    }
}

/// One pass of `automaton` over the fields that `reads` picks: each
/// normalized in `form` into `norms` (by field index), then all walked as
/// one text ([`Joined`]).
#[allow(clippy::too_many_arguments)]
fn pass(
    automaton: &Automaton,
    form: Form,
    reads: impl Fn(&str) -> bool,
    fields: &[Field<'_>],
    norms: &mut Vec<NormText>,
    joined: &mut Joined,
    lanes: &mut walk::Lanes,
    sink: &mut impl FnMut(Match),
) {
    if norms.len() < fields.len() {
        norms.resize_with(fields.len(), NormText::default);
    }
    joined.clear();
    for (f, field) in fields.iter().enumerate() {
        if reads(field.text) {
            normalize::normalize_into(field.text, form, &mut norms[f]);
            joined.push(f, norms[f].as_str().as_bytes());
        }
    }
    joined.walk(automaton, fields, norms, lanes, sink);
}

/// How the skeleton pass holds a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SkeletonState {
    /// Not read (no character that may be part of a look-alike:
    /// `Engine::look_alikes`).
    Unread,
    /// Its skeleton without a map, where the first walk has found nothing
    /// so far.
    Plain,
    /// Its skeleton without a map, where the first walk found something:
    /// normalized again with the map, walked again.
    Found,
    /// Its skeleton with the map, from the start (the map-free loop left
    /// it): judged in the first walk.
    Mapped,
}

/// The skeleton pass's buffers, by field index.
struct SkeletonTexts<'s> {
    mapped: &'s mut Vec<NormText>,
    plain: &'s mut Vec<normalize::PlainSkeleton>,
    states: &'s mut Vec<SkeletonState>,
}

/// The pass of the skeleton automaton over the fields that `reads` picks.
/// As [`pass`], but the map back to the original text, which costs most
/// of a skeleton (half of Russian letters open a map piece), is made only
/// for the fields where the automaton finds something: every field is
/// first written without a map ([`normalize::skeleton_into`]) and walked;
/// the fields with an occurrence are normalized again with the map and
/// walked again, their occurrences judged then. The skeleton automaton
/// finds nothing in most fields (Russian text is read only for look-alikes
/// of the confusable terms), and the occurrences given are the same as
/// [`pass`]'s (in another order, which [`found::Found`] does not depend
/// on). A field the map-free loop leaves gets its map at once.
fn skeleton_pass(
    automaton: &Automaton,
    reads: impl Fn(&str) -> bool,
    fields: &[Field<'_>],
    texts: SkeletonTexts<'_>,
    joined: &mut Joined,
    lanes: &mut walk::Lanes,
    sink: &mut impl FnMut(Match),
) {
    let SkeletonTexts {
        mapped,
        plain,
        states,
    } = texts;
    if mapped.len() < fields.len() {
        mapped.resize_with(fields.len(), NormText::default);
    }
    if plain.len() < fields.len() {
        plain.resize_with(fields.len(), normalize::PlainSkeleton::default);
    }
    states.clear();
    states.resize(fields.len(), SkeletonState::Unread);
    joined.clear();
    for (f, field) in fields.iter().enumerate() {
        if !reads(field.text) {
            continue;
        }
        if normalize::skeleton_into(field.text, &mut plain[f]) {
            states[f] = SkeletonState::Plain;
            joined.push(f, plain[f].as_bytes());
        } else {
            normalize::normalize_into(field.text, Form::Skeleton, &mut mapped[f]);
            states[f] = SkeletonState::Mapped;
            joined.push(f, mapped[f].as_str().as_bytes());
        }
    }
    let mut again = false;
    joined.for_each(
        automaton,
        lanes,
        &mut |pattern, f, start, end| match states[f] {
            SkeletonState::Mapped => verify(
                automaton,
                f,
                fields[f].text,
                &mapped[f],
                (pattern, start, end),
                sink,
            ),
            SkeletonState::Plain => {
                states[f] = SkeletonState::Found;
                again = true;
            }
            SkeletonState::Found | SkeletonState::Unread => {}
        },
    );
    if !again {
        return;
    }
    joined.clear();
    for (f, field) in fields.iter().enumerate() {
        if states[f] == SkeletonState::Found {
            normalize::normalize_into(field.text, Form::Skeleton, &mut mapped[f]);
            joined.push(f, mapped[f].as_str().as_bytes());
        }
    }
    joined.walk(automaton, fields, mapped, lanes, sink);
}

/// The normalized fields of one pass, joined by
/// [`automaton::FIELD_SEPARATOR`] for one walk; reused across items.
#[derive(Debug, Default)]
struct Joined {
    bytes: Vec<u8>,
    /// Per field joined: where its text starts in `bytes`, and its index.
    starts: Vec<(usize, usize)>,
}

impl Joined {
    fn clear(&mut self) {
        self.bytes.clear();
        self.starts.clear();
    }

    /// Adds field `field`, normalized as `text`; an empty one is left out.
    fn push(&mut self, field: usize, text: &[u8]) {
        if text.is_empty() {
            return;
        }
        if !self.starts.is_empty() {
            self.bytes.push(automaton::FIELD_SEPARATOR);
        }
        self.starts.push((self.bytes.len(), field));
        self.bytes.extend_from_slice(text);
    }

    /// Walks `automaton` over the fields joined and gives `out` their
    /// occurrences, each judged in its own field ([`verify`]).
    fn walk(
        &self,
        automaton: &Automaton,
        fields: &[Field<'_>],
        norms: &[NormText],
        lanes: &mut walk::Lanes,
        out: &mut impl FnMut(Match),
    ) {
        self.for_each(automaton, lanes, &mut |pattern, f, start, end| {
            verify(
                automaton,
                f,
                fields[f].text,
                &norms[f],
                (pattern, start, end),
                out,
            );
        });
    }

    /// Walks `automaton` over the fields joined and gives `out` each
    /// occurrence unjudged: its pattern, field index, and start and end
    /// in that field's normalized text.
    fn for_each(
        &self,
        automaton: &Automaton,
        lanes: &mut walk::Lanes,
        out: &mut impl FnMut(aho_corasick::PatternID, usize, usize, usize),
    ) {
        automaton.for_each_match(&self.bytes, lanes, &mut |pattern, start, end| {
            // No pattern holds the separator, so the match lies in the
            // last field starting at or before it.
            let k = self.starts.partition_point(|&(s, _)| s <= start) - 1;
            let (at, f) = self.starts[k];
            out(pattern, f, start - at, end - at);
        });
    }
}

/// Gives `out` the occurrence of `pattern` at `start..end` of a normalized
/// field `norm` (original text `original`) for each term behind it whose
/// checks it passes: it starts and ends on original character boundaries,
/// passes its word boundary checks, judged on the original text (SPEC 2a),
/// and, for a case-sensitive term, equals the term exactly in `original`.
#[inline]
fn verify(
    automaton: &Automaton,
    field: usize,
    original: &str,
    norm: &NormText,
    (pattern, start, end): (aho_corasick::PatternID, usize, usize),
    out: &mut impl FnMut(Match),
) {
    let Some((start, end)) = norm.aligned_original_range(original, start, end) else {
        return;
    };
    let (start, end) = trim_ignorables(original, start, end);
    let mut before = None;
    let mut after = None;
    for r in automaton.terms(pattern.as_usize()) {
        if r.check_start && !*before.get_or_insert_with(|| boundary_before(original, start)) {
            continue;
        }
        if r.check_end && !*after.get_or_insert_with(|| boundary_after(original, end)) {
            continue;
        }
        let end = if r.prefix {
            word_end(original, end)
        } else {
            end
        };
        if r.exact != automaton::NO_EXACT {
            let exact = normalize::normalize(&original[start..end], Form::CaseKept);
            let want = automaton.exact(r.exact);
            let holds = if r.prefix {
                exact.starts_with(want)
            } else {
                exact == want
            };
            if !holds {
                continue;
            }
        }
        out(Match {
            field,
            start,
            end,
            operand: r.operand,
            term: r.term,
        });
    }
}

#[cfg(test)]
mod operator_tests;
#[cfg(test)]
mod publisher_tests;
#[cfg(test)]
mod tests;

#[cfg(test)]
mod send_sync {
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn engine_is_send_and_sync() {
        assert_send_sync::<super::Engine>();
        assert_send_sync::<super::Scratch>();
    }
}
