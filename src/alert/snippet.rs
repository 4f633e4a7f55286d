//! Snippets (SPEC section 3): the text of a field around the first match of
//! an alert, about `alerts.snippet_chars` characters, white space collapsed,
//! cut only at extended grapheme cluster boundaries (UAX #29, SPEC section
//! 2a).

use unicode_segmentation::GraphemeCursor;

/// Clusters longer than this, in characters, are not kept whole: a cut
/// inside one stays where the budget puts it, on a character boundary.
/// Real text has no such clusters (UAX #15's stream-safe format allows 30
/// combining marks in a row); a hostile item can, one megabyte long.
const MAX_CLUSTER_CHARS: usize = 32;

/// The cluster boundaries near a position are found in this many
/// characters either side of it, not in the whole text: a boundary costs
/// the same in a megabyte-long cluster or run of regional indicators as
/// in a word. Twice [`MAX_CLUSTER_CHARS`], so that the rules that look
/// back (emoji ZWJ sequences, flags, Indic conjuncts) see real text whole.
const WINDOW_CHARS: usize = 2 * MAX_CLUSTER_CHARS;

/// About `max_chars` characters of `text` around the match `start..end`
/// (byte offsets on character boundaries), white space runs shown as one
/// space, `…` where the text was cut.
///
/// `max_chars` counts characters (Unicode scalar values), as
/// `alerts.snippet_chars` always has, not grapheme clusters: the budget
/// means what it meant before. Every cut then falls on an extended grapheme
/// cluster boundary (UAX #29), so a letter keeps its marks and no emoji
/// sequence, flag or Hangul syllable written as jamo is split:
///
/// - half the budget goes before the match, the rest (with what the start
///   of the text leaves unused) after it;
/// - a cut prefers white space within `max_chars / 8` characters of it;
/// - a cut inside a cluster moves to the nearer end of that cluster, counted
///   in characters (outwards on a tie), so a snippet may be longer or
///   shorter than `max_chars` by up to half a cluster on each side;
/// - a match of up to `max_chars` characters is never cut, nor the clusters
///   it starts and ends in: a match that starts or ends inside a cluster
///   comes with all of it;
/// - a match longer than `max_chars` characters is cut too: the snippet is
///   its first `max_chars` characters (the cut moved to the nearer cluster
///   boundary, inwards on a tie, after one cluster at least, white space
///   before it left out) and `…`, with no text around it;
/// - white space clusters at either end are left out, whole (a space that
///   carries a combining mark is kept with its mark);
/// - a cluster longer than 32 characters (no real text has one) may be cut
///   inside, at a character boundary, so that the snippet stays about
///   `max_chars` long whatever the item.
///
/// Time and memory grow with `max_chars`, not with the length of the text
/// or of the match.
///
/// # Panics
///
/// When `start..end` is not a range of `text` on character boundaries.
pub fn snippet(text: &str, start: usize, end: usize, max_chars: usize) -> String {
    let (end, budget) = match text[start..end].char_indices().nth(max_chars) {
        // The match alone is over the budget: its start, and no context.
        Some((i, _)) => (cut_match(text, start, end, start + i), 0),
        None => (end, max_chars - text[start..end].chars().count()),
    };
    // Half the budget before the match; what the start of the text leaves
    // unused goes after it.
    let before = text[..start].chars().rev().take(budget / 2).count();
    let after = budget - before;
    let mut from = text[..start]
        .char_indices()
        .rev()
        .nth(before.saturating_sub(1))
        .map_or(start, |(i, _)| i);
    if before == 0 {
        from = start;
    }
    let mut to = text[end..]
        .char_indices()
        .nth(after)
        .map_or(text.len(), |(i, _)| end + i);
    // Prefer cutting at white space within the outer eighth of each side.
    let slack = max_chars / 8;
    if from > 0
        && let Some(ws) = text[from..start].find(char::is_whitespace)
        && text[from..from + ws].chars().count() <= slack
    {
        from += ws;
    }
    if to < text.len()
        && let Some(ws) = text[end..to].rfind(char::is_whitespace)
        && text[end + ws..to].chars().count() <= slack
    {
        to = end + ws;
    }
    // Cuts on cluster boundaries, never inside the match's clusters.
    let first = floor_boundary(text, start);
    let last = ceil_boundary(text, end);
    let mut from = if from >= first {
        first
    } else {
        nearest_boundary(text, from, true)
    };
    let mut to = if to <= last {
        last
    } else {
        nearest_boundary(text, to, false)
    };
    let mut out = String::with_capacity(to - from + 8);
    if from > 0 {
        out.push('…');
    }
    let cut_end = to < text.len();
    // Leave out white space at the ends, a cluster at a time.
    while from < first {
        let next = next_boundary(text, from);
        if !text[from..next].chars().all(char::is_whitespace) {
            break;
        }
        from = next;
    }
    while to > last {
        let prev = prev_boundary(text, to);
        if !text[prev..to].chars().all(char::is_whitespace) {
            break;
        }
        to = prev;
    }
    let mut space = false;
    for c in text[from..to].chars() {
        if c.is_whitespace() {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    if cut_end {
        out.push('…');
    }
    out
}

/// Where a match `start..end` longer than the budget is cut, `pos` being
/// the budget's end: the cluster boundary nearer to `pos` (the earlier on
/// a tie, to stay within the budget), after the match's first cluster at
/// least, white space clusters before it left out; `end` when that is not
/// before it.
fn cut_match(text: &str, start: usize, end: usize, pos: usize) -> usize {
    let mut cut = nearest_boundary(text, pos, true);
    if cut <= start {
        cut = next_boundary(text, start);
    }
    if cut >= end {
        return end;
    }
    loop {
        let prev = prev_boundary(text, cut);
        if prev <= start || !text[prev..cut].chars().all(char::is_whitespace) {
            return cut;
        }
        cut = prev;
    }
}

// The boundaries below are found with a `GraphemeCursor` over a window of
// WINDOW_CHARS characters either side of the position, taken as a whole
// text (one chunk from offset 0), so the cursor never asks for more
// context; were it to, the character boundary at hand is used instead of
// panicking. A boundary further than MAX_CLUSTER_CHARS characters away is
// not used: the character boundary at hand is.

/// The byte range of `text` from `n` characters before `pos` to `n`
/// characters after it (fewer at the ends of the text).
fn window(text: &str, pos: usize, n: usize) -> (usize, usize) {
    let lo = text[..pos]
        .char_indices()
        .rev()
        .nth(n.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    let hi = text[pos..]
        .char_indices()
        .nth(n)
        .map_or(text.len(), |(i, _)| pos + i);
    (lo, hi)
}

/// A cursor at `pos` over the window around it, the window and its start.
fn cursor_at(text: &str, pos: usize) -> (GraphemeCursor, &str, usize) {
    let (lo, hi) = window(text, pos, WINDOW_CHARS);
    let w = &text[lo..hi];
    (GraphemeCursor::new(pos - lo, w.len(), true), w, lo)
}

/// Whether `a..b` (a <= b) holds at most MAX_CLUSTER_CHARS characters.
fn near(text: &str, a: usize, b: usize) -> bool {
    text[a..b].chars().nth(MAX_CLUSTER_CHARS).is_none()
}

/// The extended grapheme cluster boundary at or before `pos` (a byte offset
/// on a character boundary of `text`); `pos` itself when the cluster
/// started more than MAX_CLUSTER_CHARS characters before it.
fn floor_boundary(text: &str, pos: usize) -> usize {
    let (mut cursor, w, lo) = cursor_at(text, pos);
    if cursor.is_boundary(w, 0).unwrap_or(true) {
        return pos;
    }
    match cursor.prev_boundary(w, 0) {
        Ok(Some(b)) if near(text, lo + b, pos) => lo + b,
        _ => pos,
    }
}

/// The extended grapheme cluster boundary at or after `pos`; `pos` itself
/// when the cluster ends more than MAX_CLUSTER_CHARS characters after it.
fn ceil_boundary(text: &str, pos: usize) -> usize {
    let (mut cursor, w, lo) = cursor_at(text, pos);
    if cursor.is_boundary(w, 0).unwrap_or(true) {
        return pos;
    }
    match cursor.next_boundary(w, 0) {
        Ok(Some(b)) if near(text, pos, lo + b) => lo + b,
        _ => pos,
    }
}

/// The boundary of the cluster `pos` lies in that is nearer to it, in
/// characters; the earlier one on a tie when `earlier_on_tie`.
fn nearest_boundary(text: &str, pos: usize, earlier_on_tie: bool) -> usize {
    let (lo, hi) = (floor_boundary(text, pos), ceil_boundary(text, pos));
    let back = text[lo..pos].chars().count();
    let ahead = text[pos..hi].chars().count();
    if back < ahead || (back == ahead && earlier_on_tie) {
        lo
    } else {
        hi
    }
}

/// The boundary after the one at `pos` (`pos < text.len()`); the next
/// character boundary when that is more than MAX_CLUSTER_CHARS characters
/// away.
fn next_boundary(text: &str, pos: usize) -> usize {
    let next_char = text[pos..]
        .chars()
        .next()
        .map_or(text.len(), |c| pos + c.len_utf8());
    let (mut cursor, w, lo) = cursor_at(text, pos);
    match cursor.next_boundary(w, 0) {
        Ok(Some(b)) if near(text, pos, lo + b) => lo + b,
        _ => next_char,
    }
}

/// The boundary before the one at `pos` (`pos > 0`); the previous character
/// boundary when that is more than MAX_CLUSTER_CHARS characters away.
fn prev_boundary(text: &str, pos: usize) -> usize {
    let prev_char = text[..pos].char_indices().next_back().map_or(0, |(i, _)| i);
    let (mut cursor, w, lo) = cursor_at(text, pos);
    match cursor.prev_boundary(w, 0) {
        Ok(Some(b)) if near(text, lo + b, pos) => lo + b,
        _ => prev_char,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_centres_on_the_match_and_never_cuts_a_character() {
        let text = "Китайские компании Alibaba и ByteDance рассматривают возможность закупить у \
                    американской корпорации Nvidia чипы H200, которые используются для создания \
                    продуктов на основе искусственного интеллекта.";
        let start = text.find("H200").unwrap();
        let s = snippet(text, start, start + 4, 80);
        assert!(s.contains("H200"));
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        let n = s.chars().count();
        assert!((60..=84).contains(&n), "{n} chars: {s}");
    }

    #[test]
    fn short_text_is_whole_and_white_space_collapses() {
        assert_eq!(snippet("a\n\n  H200  b", 5, 9, 160), "a H200 b");
        assert_eq!(snippet("H200", 0, 4, 4), "H200");
    }

    #[test]
    fn a_match_longer_than_the_budget_is_cut_too() {
        assert_eq!(snippet("H200", 0, 4, 2), "H2…");
        // A megabyte-long word: the snippet is the budget, not the word.
        let text = format!("Nvidia {} chips", "x".repeat(1 << 20));
        let s = snippet(&text, 7, 7 + (1 << 20), 160);
        assert_eq!(s, format!("…{}…", "x".repeat(160)));
        let s = snippet(&text, 0, text.len(), 20);
        assert_eq!(s, format!("Nvidia {}…", "x".repeat(13)));
        // White space before the cut is left out; at least one cluster is
        // shown, whole.
        assert_eq!(snippet("H200 chips ban", 0, 14, 5), "H200…");
        assert_eq!(snippet("H200 chips ban", 0, 14, 6), "H200 c…");
        assert_eq!(snippet("e\u{301}\u{308}H200", 0, 8, 0), "e\u{301}\u{308}…");
        assert_eq!(snippet("e\u{301}\u{308}H200", 0, 8, 2), "e\u{301}\u{308}…");
        assert_eq!(snippet("e\u{301}\u{308}H200", 0, 8, 4), "e\u{301}\u{308}H…");
        let family = "👩\u{200D}👩\u{200D}👧"; // five characters
        let text = format!("{family}{family}{family}");
        assert_eq!(snippet(&text, 0, text.len(), 7), format!("{family}…"));
        assert_eq!(
            snippet(&text, 0, text.len(), 8),
            format!("{family}{family}…")
        );
    }

    #[test]
    fn a_cluster_longer_than_any_real_one_may_be_cut() {
        // A letter with a million combining marks is one cluster: kept
        // whole, a snippet would be two megabytes.
        let marks = "\u{301}".repeat(1 << 20);
        let text = format!("a{marks} H200 b{marks}");
        let start = text.find("H200").unwrap();
        let s = snippet(&text, start, start + 4, 40);
        assert!(s.chars().count() <= 42, "{} chars", s.chars().count());
        assert!(s.starts_with('…') && s.ends_with('…') && s.contains(" H200 b"));
        // A match of the letter alone ends inside the cluster.
        let s = snippet(&text, 0, 1, 40);
        assert_eq!(s, format!("a{}…", "\u{301}".repeat(39)));
        // A run of a million regional indicators: as many flags.
        let flags = "🇺🇦".repeat(1 << 19);
        let text = format!("{flags}H200{flags}");
        let start = text.find("H200").unwrap();
        let s = snippet(&text, start, start + 4, 40);
        assert_eq!(s, format!("…{}H200{}…", "🇺🇦".repeat(9), "🇺🇦".repeat(9)));
    }

    #[test]
    fn a_match_at_the_start_gives_the_budget_to_what_follows() {
        let text = "H200 ".repeat(100);
        let s = snippet(&text, 0, 4, 40);
        assert!(s.starts_with("H200") && s.ends_with('…'));
        assert!(s.chars().count() >= 30, "{s}");
    }

    /// The snippet for the first occurrence of `m` in `text`.
    fn around(text: &str, m: &str, max_chars: usize) -> String {
        let start = text.find(m).unwrap();
        snippet(text, start, start + m.len(), max_chars)
    }

    #[test]
    fn a_letter_keeps_its_combining_mark() {
        let text = "e\u{301}e\u{301}H200e\u{301}e\u{301}";
        // A cut one character into a two-character cluster: a tie, so the
        // whole cluster.
        assert_eq!(around(text, "H200", 7), "…e\u{301}H200e\u{301}…");
        assert_eq!(around(text, "H200", 6), "…e\u{301}H200e\u{301}…");
        assert_eq!(around(text, "H200", 5), "…H200e\u{301}…");
        assert_eq!(around(text, "H200", 4), "…H200…");
        // Several marks on one letter.
        let text = "xe\u{301}\u{308}\u{323}H200";
        assert_eq!(around(text, "H200", 8), "…e\u{301}\u{308}\u{323}H200");
        assert_eq!(around(text, "H200", 6), "…H200", "one of four characters");
    }

    #[test]
    fn an_emoji_zwj_sequence_is_never_split() {
        let family = "👩\u{200D}👩\u{200D}👧"; // five characters
        let text = format!("{family}{family}H200{family}{family}");
        // Two characters into the family before and after: the nearer ends
        // are the match's own.
        assert_eq!(around(&text, "H200", 8), "…H200…");
        // Three characters: the nearer ends take the families whole.
        assert_eq!(around(&text, "H200", 10), format!("…{family}H200{family}…"));
        let thumbs = "👍\u{1F3FD}"; // with a skin tone modifier
        let text = format!("{thumbs}{thumbs}H200");
        assert_eq!(around(&text, "H200", 6), format!("…{thumbs}H200"));
    }

    #[test]
    fn a_flag_is_never_split() {
        let text = "🇺🇦🇺🇦H200🇺🇦🇺🇦";
        assert_eq!(around(text, "H200", 5), "…H200🇺🇦…");
        assert_eq!(around(text, "H200", 7), "…🇺🇦H200🇺🇦…");
        // Regional indicators pair from the start of their run: in 🇺🇦🇺
        // the last one is a cluster of its own.
        let text = "🇺🇦🇺H200";
        assert_eq!(around(text, "H200", 6), "…🇺H200");
        assert_eq!(around(text, "H200", 8), "🇺🇦🇺H200");
    }

    #[test]
    fn a_hangul_syllable_written_as_jamo_is_never_split() {
        let han = "\u{1112}\u{1161}\u{11AB}"; // 한 as leading, vowel, trailing jamo
        let text = format!("{han}{han}H200{han}{han}");
        assert_eq!(around(&text, "H200", 6), "…H200…");
        assert_eq!(around(&text, "H200", 8), format!("…{han}H200{han}…"));
        // Leading jamo join each other: ᄀᄀ is one cluster.
        let text = "x\u{1100}\u{1100}H200";
        assert_eq!(around(text, "H200", 5), "…H200");
        assert_eq!(around(text, "H200", 6), "…\u{1100}\u{1100}H200");
    }

    #[test]
    fn a_match_inside_a_cluster_comes_with_all_of_it() {
        // A prepended concatenation mark joins the letter after it.
        let text = "abc\u{600}H200 e\u{301}";
        let start = text.find("H200").unwrap();
        assert_eq!(snippet(text, start, start + 4, 4), "…\u{600}H200…");
        // A match ending before a mark of its last letter.
        let text = "cafe\u{301} au lait";
        assert_eq!(snippet(text, 0, 4, 4), "cafe\u{301}…");
    }

    #[test]
    fn white_space_at_the_ends_is_left_out_a_cluster_at_a_time() {
        // A space carrying a mark is a cluster that is not all white space.
        assert_eq!(around("xx \u{301}H200", "H200", 6), "… \u{301}H200");
        assert_eq!(around("xx  H200", "H200", 6), "…H200");
        // CR LF is one cluster: never split, and left out whole.
        assert_eq!(around("H200\r\nab", "H200", 5), "H200…");
        assert_eq!(around("ab\r\nH200", "H200", 6), "…H200");
    }

    mod properties {
        use proptest::prelude::*;
        use unicode_segmentation::UnicodeSegmentation;

        use super::super::snippet;

        /// Pieces of text: letters, white space, and the clusters that
        /// a character cut would split.
        const PIECES: &[&str] = &[
            "a",
            "H200",
            "Ж",
            "芯片",
            " ",
            "  ",
            "\n",
            "\r\n",
            "\t",
            "e\u{301}",
            "e\u{301}\u{308}",
            "\u{301}",
            " \u{301}",
            "👩\u{200D}👩\u{200D}👧",
            "👍\u{1F3FD}",
            "\u{200D}",
            "🇺🇦",
            "🇺",
            "\u{1100}",
            "\u{1161}",
            "\u{11A8}",
            "\u{1112}\u{1161}\u{11AB}",
            "한",
            "\u{AC00}\u{11A8}",
            "\u{600}",
            "ก\u{E33}",
            "क\u{94D}\u{937}",
        ];

        /// The ends `t` for which `text[from..t]`, white space runs shown as
        /// one space, is `body`.
        fn ends_showing(text: &str, from: usize, body: &str) -> Vec<usize> {
            let mut ends = Vec::new();
            let mut shown = 0; // bytes of `body` matched so far
            let mut space = false;
            if body.is_empty() {
                ends.push(from);
            }
            for (i, c) in text[from..].char_indices() {
                if c.is_whitespace() && space {
                    // Collapsed into the space before.
                } else {
                    let c = if c.is_whitespace() { ' ' } else { c };
                    if !body[shown..].starts_with(c) {
                        break;
                    }
                    shown += c.len_utf8();
                }
                space = c.is_whitespace();
                if shown == body.len() {
                    ends.push(from + i + c.len_utf8());
                }
            }
            ends
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(96))]

            /// For every match `start..end` of the text and a budget, the
            /// snippet shows `text[from..to]` (white space collapsed) for
            /// some grapheme cluster boundaries `from <= start` and
            /// `to >= end` as unicode-segmentation finds them (or
            /// `start < to < end` when the match has more characters than
            /// the budget), with `…` exactly where text other than white
            /// space was left out; and it is no longer than the budget by
            /// more than its clusters at either end and the two `…`.
            #[test]
            fn snippets_begin_and_end_on_grapheme_cluster_boundaries(
                pieces in prop::collection::vec(prop::sample::select(PIECES), 1..12),
                max_chars in 0usize..24,
            ) {
                let text = pieces.concat();
                let boundaries: Vec<usize> = text
                    .grapheme_indices(true)
                    .map(|(i, _)| i)
                    .chain([text.len()])
                    .collect();
                let chars: Vec<usize> =
                    text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
                for (i, &start) in chars.iter().enumerate() {
                    for &end in &chars[i + 1..] {
                        let s = snippet(&text, start, end, max_chars);
                        let long = text[start..end].chars().count() > max_chars;
                        // The longest piece is five characters.
                        prop_assert!(
                            s.chars().count() <= max_chars + 2 + 2 * 5,
                            "{text:?} {start}..{end} max {max_chars}: {s:?}"
                        );
                        let body = s.strip_prefix('…').unwrap_or(&s);
                        let (cut_start, cut_end) = (body.len() < s.len(), body.ends_with('…'));
                        let body = body.strip_suffix('…').unwrap_or(body);
                        let blank = |t: &str| t.chars().all(char::is_whitespace);
                        let shown = boundaries.iter().filter(|&&f| f <= start).any(|&f| {
                            (if cut_start { f > 0 } else { blank(&text[..f]) })
                                && ends_showing(&text, f, body).into_iter().any(|t| {
                                    (t >= end || (long && t > start && cut_end))
                                        && boundaries.contains(&t)
                                        && if cut_end { t < text.len() } else { blank(&text[t..]) }
                                })
                        });
                        prop_assert!(
                            shown,
                            "{text:?} {start}..{end} max {max_chars}: {s:?}"
                        );
                    }
                }
            }
        }
    }
}
