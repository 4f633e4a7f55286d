//! What the engine keeps of an item's matches, bounded whatever the number
//! of rules and overlapping terms (issue 14, "hostile input"):
//!
//! * **Which operands matched**: a flag and a list, for `AND`, `OR`, `NOT`.
//! * **Spans**, for NEAR: per NEAR side (a group of operands, `rules::Near`
//!   numbers the distinct sides of the watchlist), field and start, the
//!   longest match only. A longer match at a start is never farther from
//!   another match than a shorter one, so that decides NEAR, and 32
//!   overlapping terms, or 32 sets sharing a term, keep one span per word,
//!   not 32. Operands that no NEAR refers to keep no spans. Duplicates are
//!   caught as they come by a small direct-mapped cache of recent (group,
//!   field, start) keys, and removed for good by one sort at the end.
//! * **The first matches** of each operand, for alerts: the first
//!   `max_matches` (by field, start, end) distinct spans, each with its
//!   term, exactly as SPEC section 3 lists them (every occurrence, overlapping
//!   ones included), since a rule's alert lists the first `max_matches` of
//!   the union of its operands' matches. Rules refer to these; nothing is
//!   copied per rule until an alert is built.
//!
//! Memory per item: one span (16 bytes) per NEAR side and matched position,
//! plus `max_matches` matches per matched operand.

use super::Match;

/// The longest match of a NEAR side's operands starting at one position
/// of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Span {
    /// The NEAR side (group of operands).
    pub group: u32,
    /// Index of the field.
    pub field: u32,
    /// First byte in the field's original text.
    pub start: u32,
    /// Byte just past the match.
    pub end: u32,
}

/// Slots of the duplicate cache: a power of two, enough to hold every key
/// within the reach of the longest terms while a field is scanned.
const CACHE_SLOTS: usize = 4096;

/// Spans kept before a backstop sort removes the duplicates the cache let
/// through (a key evicted by another before its duplicate came).
const COMPACT_MIN: usize = 1 << 16;

#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    generation: u32,
    group: u32,
    field: u32,
    start: u32,
    index: u32,
}

/// The matches of one item, kept as the module documentation says; reused
/// across items.
#[derive(Debug, Default)]
pub(super) struct Found {
    /// Per operand index: matched.
    is_matched: Vec<bool>,
    /// The matched operand indexes, sorted by `finish`.
    matched: Vec<u32>,
    spans: Vec<Span>,
    /// Per group with spans, sorted: the group and its spans'
    /// `spans[from..to]`. Built by `finish`.
    ranges: Vec<(u32, u32, u32)>,
    /// Per operand index: its first matches, sorted, at most `cap`.
    firsts: Vec<Vec<Match>>,
    /// The operand indexes with a non-empty `firsts` entry.
    touched: Vec<u32>,
    cap: usize,
    cache: Vec<Slot>,
    generation: u32,
    compact_at: usize,
}

impl Found {
    /// Clears for a new item of a watchlist with `n_operands` operands,
    /// keeping at most `cap` first matches per operand.
    pub(super) fn begin(&mut self, n_operands: usize, cap: usize) {
        for &o in &self.matched {
            self.is_matched[o as usize] = false;
        }
        self.matched.clear();
        if self.is_matched.len() < n_operands {
            self.is_matched.resize(n_operands, false);
        }
        self.spans.clear();
        self.ranges.clear();
        for &o in &self.touched {
            self.firsts[o as usize].clear();
        }
        self.touched.clear();
        if self.firsts.len() < n_operands {
            self.firsts.resize_with(n_operands, Vec::new);
        }
        self.cap = cap;
        self.compact_at = COMPACT_MIN;
        self.new_generation();
    }

    fn new_generation(&mut self) {
        if self.cache.is_empty() {
            self.cache = vec![Slot::default(); CACHE_SLOTS];
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.cache.fill(Slot::default());
            self.generation = 1;
        }
    }

    /// Adds one match of the operand with index `o`, a member of the NEAR
    /// sides `groups`.
    pub(super) fn add(&mut self, m: Match, o: u32, groups: &[u32]) {
        if !self.is_matched[o as usize] {
            self.is_matched[o as usize] = true;
            self.matched.push(o);
        }
        self.add_first(m, o);
        for &g in groups {
            self.add_span(g, m.field as u32, m.start as u32, m.end as u32);
        }
    }

    fn add_span(&mut self, group: u32, field: u32, start: u32, end: u32) {
        let h =
            (start.wrapping_mul(0x9E37_79B1) ^ group.wrapping_mul(0x85EB_CA77) ^ field) as usize;
        let slot = &mut self.cache[h & (CACHE_SLOTS - 1)];
        if slot.generation == self.generation
            && (slot.group, slot.field, slot.start) == (group, field, start)
        {
            let s = &mut self.spans[slot.index as usize];
            s.end = s.end.max(end);
            return;
        }
        *slot = Slot {
            generation: self.generation,
            group,
            field,
            start,
            index: self.spans.len() as u32,
        };
        self.spans.push(Span {
            group,
            field,
            start,
            end,
        });
        if self.spans.len() >= self.compact_at {
            let before = self.spans.len();
            self.compact();
            // Few duplicates removed: the cache is doing its job, so sort
            // less often.
            let grow = if self.spans.len() > before / 4 * 3 {
                4
            } else {
                2
            };
            self.compact_at = COMPACT_MIN.max(grow * self.spans.len());
            self.new_generation();
        }
    }

    /// Keeps `m` if it is among the first `cap` distinct spans of its
    /// operand; of several terms with one span, the lowest term index.
    fn add_first(&mut self, m: Match, o: u32) {
        let firsts = &mut self.firsts[o as usize];
        let key = |x: &Match| (x.field, x.start, x.end);
        if firsts.len() >= self.cap && firsts.last().is_none_or(|l| key(&m) >= key(l)) {
            return;
        }
        match firsts.binary_search_by_key(&key(&m), key) {
            Ok(i) => firsts[i].term = firsts[i].term.min(m.term),
            Err(i) => {
                if firsts.is_empty() {
                    self.touched.push(o);
                }
                firsts.insert(i, m);
                firsts.truncate(self.cap);
            }
        }
    }

    /// Sorts the spans by group, field and start, keeping the longest of
    /// each.
    fn compact(&mut self) {
        self.spans.sort_unstable_by(|a, b| {
            (a.group, a.field, a.start, b.end).cmp(&(b.group, b.field, b.start, a.end))
        });
        self.spans.dedup_by_key(|s| (s.group, s.field, s.start));
    }

    /// Ends the item: the matched operands and the spans sorted, and the
    /// ranges of each group.
    pub(super) fn finish(&mut self) {
        self.matched.sort_unstable();
        self.compact();
        let mut i = 0;
        while i < self.spans.len() {
            let g = self.spans[i].group;
            let to = i + self.spans[i..].partition_point(|s| s.group == g);
            self.ranges.push((g, i as u32, to as u32));
            i = to;
        }
    }

    /// No match at all.
    pub(super) fn is_empty(&self) -> bool {
        self.matched.is_empty()
    }

    /// The indexes of the matched operands, sorted.
    pub(super) fn matched(&self) -> &[u32] {
        &self.matched
    }

    /// Whether the operand with index `o` matched.
    pub(super) fn is_matched(&self, o: u32) -> bool {
        self.is_matched.get(o as usize).copied().unwrap_or(false)
    }

    /// The spans of NEAR side `g`, sorted by field then start; empty when
    /// none of its operands matched.
    pub(super) fn spans(&self, g: u32) -> &[Span] {
        match self.ranges.binary_search_by_key(&g, |r| r.0) {
            Ok(i) => &self.spans[self.ranges[i].1 as usize..self.ranges[i].2 as usize],
            Err(_) => &[],
        }
    }

    /// The first matches of operand index `o` (at most `cap`), sorted by
    /// field, start, end.
    pub(super) fn firsts(&self, o: u32) -> &[Match] {
        self.firsts.get(o as usize).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::tests::engine;
    use crate::engine::{Field, Scratch};

    /// Issue 14, class 3: 32 overlapping terms of one set over `x x x …`,
    /// or 32 sets sharing a term, keep one span per word and NEAR side, not
    /// 32; class 2: 1,000 rules over the set share them, and each hit
    /// carries at most `max_matches` matches.
    #[test]
    fn overlapping_terms_sets_and_many_rules_keep_one_span_per_start() {
        let terms: Vec<String> = (1..=32)
            .map(|k| format!("{:?}", vec!["x"; k].join(" ")))
            .collect();
        let mut src = format!(
            "[sets.s]\nterms = [{}]\n[sets.t]\nterms = [\"x\"]\n",
            terms.join(", ")
        );
        for u in 0..32 {
            src.push_str(&format!("[sets.u{u}]\nterms = [\"x\"]\n"));
        }
        for r in 0..1000 {
            src.push_str(&format!("[[rules]]\nid = \"r{r}\"\nwhen = \"s\"\n"));
        }
        let us: Vec<String> = (0..32).map(|u| format!("u{u}")).collect();
        src.push_str("[[rules]]\nid = \"near\"\nwhen = \"s NEAR/0 t\"\n");
        src.push_str(&format!(
            "[[rules]]\nid = \"near-or\"\nwhen = \"t NEAR/1 ({})\"\n",
            us.join(" OR ")
        ));
        let e = engine(&src);
        let text = "x ".repeat(20_000);
        let mut scratch = Scratch::new();
        let field = Field {
            name: "body",
            text: &text,
        };
        let hits = e.scan(&[field], &mut scratch, 50);
        assert_eq!(hits.len(), 1002);
        assert!(hits[..1000].iter().all(|h| h.matches.len() == 50));
        // NEAR sides {s}, {t} and {u0 … u31}: one span per word each; the
        // 1,000 rules on `s` alone keep none.
        assert_eq!(scratch.found.spans.len(), 3 * 20_000);
        // The first matches are every occurrence, overlapping ones too: at
        // the first `x`, the terms of 1 to 32 words, shortest first.
        let first = &hits[0].matches;
        assert!(first.iter().take(32).all(|m| m.start == 0));
        assert_eq!(
            first.iter().take(32).map(|m| m.end).collect::<Vec<_>>(),
            (1..=32).map(|k| 2 * k - 1).collect::<Vec<_>>()
        );
        // A span is the longest match at its start.
        assert_eq!(scratch.found.spans[0].end, 63);
    }
}
