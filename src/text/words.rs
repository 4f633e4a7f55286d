//! Words: which characters are CJK, where a word boundary lies next to a
//! match (SPEC section 2, "Whole words"), and the word spans that NEAR counts
//! (SPEC section 2, "Rule expressions").
//!
//! A word is a maximal run of letters, digits and combining marks (Unicode
//! General Category `L*`, `N*`, `M*`: [`is_word_char`]); each CJK character
//! is a word of its own. Boundaries next to a match are judged on the
//! original text, invisible characters skipped; words for NEAR are counted
//! on the normalized text (SPEC section 2a). Offsets are byte offsets into
//! the text given, on character boundaries.
//!
//! Pure predicates over `&str` and `char`: this module knows nothing of
//! terms, matches or rules, and must not import `engine` or `watchlist`.

//! The boundary predicates run once per automaton match; keep them small
//! and `#[inline]`.

use icu_properties::props::{DefaultIgnorableCodePoint, GeneralCategory, GeneralCategoryGroup};
use icu_properties::{CodePointMapData, CodePointSetData};

/// True for characters of the CJK scripts (Han, Hiragana, Katakana, Hangul),
/// by Unicode block ranges: they need no word boundary and are one word each
/// (SPEC section 2, "Whole words").
#[inline]
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF     // Hangul Jamo
        | 0x2E80..=0x2FDF   // CJK radicals, Kangxi radicals
        | 0x3005..=0x3007   // 々 〆 〇
        | 0x3021..=0x3029   // Hangzhou numerals
        | 0x3031..=0x3035
        | 0x3038..=0x303C
        | 0x3040..=0x30FF   // Hiragana, Katakana
        | 0x3130..=0x318F   // Hangul compatibility Jamo
        | 0x31A0..=0x31BF   // Bopomofo extended
        | 0x31F0..=0x31FF   // Katakana phonetic extensions
        | 0x3400..=0x4DBF   // CJK extension A
        | 0x4E00..=0x9FFF   // CJK unified ideographs
        | 0xA960..=0xA97F   // Hangul Jamo extended-A
        | 0xAC00..=0xD7FF   // Hangul syllables, Jamo extended-B
        | 0xF900..=0xFAFF   // CJK compatibility ideographs
        | 0xFF66..=0xFF9F   // half-width Katakana
        | 0xFFA0..=0xFFDC   // half-width Hangul
        | 0x1B000..=0x1B16F // Kana supplement and extended
        | 0x20000..=0x3FFFF // CJK extensions B.. and compatibility supplement
    )
}

/// True for a letter, a number or a combining mark: Unicode General
/// Category `L*`, `N*` or `M*` (SPEC section 2a: a word is a run of letters,
/// digits and marks). By category, not by the `Alphabetic` property: a
/// symbol such as `Ⓡ` or `™` is not a letter here, even though Unicode lists
/// circled letters as alphabetic and NFKC spells `™` as `TM`.
#[inline]
pub fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    let gc = CodePointMapData::<GeneralCategory>::new().get(c);
    GeneralCategoryGroup::Letter.contains(gc)
        || GeneralCategoryGroup::Number.contains(gc)
        || GeneralCategoryGroup::Mark.contains(gc)
}

/// True for a combining mark (General Category `M*`): it belongs to the
/// character before it, whatever that is, so no word starts with one.
#[inline]
pub fn is_mark(c: char) -> bool {
    !c.is_ascii()
        && GeneralCategoryGroup::Mark.contains(CodePointMapData::<GeneralCategory>::new().get(c))
}

/// True for a Unicode Default_Ignorable_Code_Point (soft hyphen, zero-width
/// characters, bidirectional marks, variation selectors, tags...): removed
/// before matching, as NFKC_Casefold does (SPEC section 2a).
#[inline]
pub fn is_ignorable(c: char) -> bool {
    !c.is_ascii() && CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c)
}

/// True when some letter, digit or mark of `text` ([`is_word_char`]) is
/// not ASCII and `picked` by the caller (tested first: it should be the
/// cheaper test). A text without a non-ASCII one has all its letters in one
/// script, Latin, whatever punctuation it holds (typographic quotes and
/// dashes, `…`, `№`): the engine's skeleton pass skips it (SPEC 2a,
/// confusables: look-alikes from another script), and those where no
/// character is a look-alike it could match (`engine/look_alikes.rs`).
/// Looks only at the non-ASCII characters.
///
/// `block(k)` is false when no character of the BMP block of 64 code
/// points `64 k..64 k + 63` is `picked`: such a character is skipped from
/// its first two bytes, without a decode (Chinese text, where no character
/// of the default watchlist's is picked: BENCHMARKS.md, "Eighth session").
pub fn has_non_ascii_word_char(
    text: &str,
    block: impl Fn(usize) -> bool,
    picked: impl Fn(char) -> bool,
) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // Over ASCII a word at a time; from one non-ASCII character to the
        // next (CJK text) a decode each (per character, slicing the rest
        // and `chars()` cost twice as much: BENCHMARKS.md, "Seventh
        // session").
        if bytes[i] < 0x80 {
            match first_non_ascii(&bytes[i..]) {
                Some(k) => i += k,
                None => return false,
            }
        }
        // A two- or three-byte sequence: its block is in its first two
        // bytes (`text` is UTF-8, so the second byte is there).
        let b0 = bytes[i];
        if b0 < 0xF0 {
            let (k, len) = if b0 < 0xE0 {
                (usize::from(b0 & 0x1F), 2)
            } else {
                (
                    usize::from(b0 & 0x0F) << 6 | usize::from(bytes[i + 1] & 0x3F),
                    3,
                )
            };
            if !block(k) {
                i += len;
                continue;
            }
        }
        let (cp, len) = super::decode(bytes, i);
        if let Some(c) = char::from_u32(cp)
            && picked(c)
            && is_word_char(c)
        {
            return true;
        }
        i += len;
    }
    false
}

/// The offset of the first byte of `bytes` at or above 0x80. Reads 32
/// bytes as four `u64` words at a time and tests their high bits at once:
/// 0.3 instructions a byte of ASCII text, where `<[u8]>::is_ascii` over
/// 32-byte blocks took 2.6 (callgrind, English items, BENCHMARKS.md,
/// "Eighth session"); a byte-by-byte `position` was 4.5% of a
/// default-watchlist `scan` (`perf record`).
fn first_non_ascii(bytes: &[u8]) -> Option<usize> {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const BLOCK: usize = 32;
    let word = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or([0x80; 8]));
    let mut blocks = bytes.chunks_exact(BLOCK);
    let mut at = 0;
    for block in &mut blocks {
        let high =
            (word(&block[..8]) | word(&block[8..16]) | word(&block[16..24])) | word(&block[24..]);
        if high & HIGH != 0
            && let Some(i) = block.iter().position(|&b| b >= 0x80)
        {
            return Some(at + i);
        }
        at += BLOCK;
    }
    let rest = blocks.remainder();
    rest.iter().position(|&b| b >= 0x80).map(|i| at + i)
}

/// True when `c` ends or starts a word next to a term: not a letter, digit
/// or mark ([`is_word_char`]), or a CJK character.
#[inline]
pub fn is_boundary_char(c: char) -> bool {
    !is_word_char(c) || is_cjk(c)
}

/// The byte offset where the word that continues at byte `at` of the
/// original text ends: after its last letter, digit or mark, invisible
/// characters inside it skipped (SPEC 2a), before the first other
/// character; `at` itself when no word continues there. `at` must be a
/// character boundary.
#[inline]
pub fn word_end(text: &str, at: usize) -> usize {
    let mut end = at;
    for (i, c) in text[at..].char_indices() {
        if is_ignorable(c) {
            continue;
        }
        if is_boundary_char(c) {
            break;
        }
        end = at + i + c.len_utf8();
    }
    end
}

/// True when a match may start at byte `at` of the original text: the start
/// of `text`, or a boundary character just before, invisible characters
/// skipped (SPEC 2a: boundaries are judged on the original characters).
/// `at` must be a character boundary.
#[inline]
pub fn boundary_before(text: &str, at: usize) -> bool {
    text[..at]
        .chars()
        .rev()
        .find(|&c| !is_ignorable(c))
        .is_none_or(is_boundary_char)
}

/// True when a match may end at byte `at` of the original text: the end of
/// `text`, or a boundary character just after, invisible characters
/// skipped. `at` must be a character boundary.
#[inline]
pub fn boundary_after(text: &str, at: usize) -> bool {
    text[at..]
        .chars()
        .find(|&c| !is_ignorable(c))
        .is_none_or(is_boundary_char)
}

/// `start..end` of the original text without the invisible characters at
/// either end: a match reports the invisible characters inside it, not
/// those next to it (SPEC 2a). Both must be character boundaries.
pub fn trim_ignorables(text: &str, start: usize, end: usize) -> (usize, usize) {
    let s = &text[start..end];
    let tail = s.trim_end_matches(is_ignorable);
    let head = tail.trim_start_matches(is_ignorable);
    let start = start + (tail.len() - head.len());
    (start, start + head.len())
}

/// True for an apostrophe that joins two letters into one word for NEAR
/// (SPEC 2a: `Nvidia's` is one word).
#[inline]
fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '\u{2019}'
}

/// The words of a normalized text in order, as byte spans `(start, end)`
/// (`u32`, so `text` must be shorter than 4 GiB): maximal runs of letters,
/// digits and marks ([`is_word_char`]), an apostrophe between two letters
/// joining them, and each CJK letter alone (SPEC 2a, "Words for NEAR").
pub fn word_spans(text: &str) -> Vec<(u32, u32)> {
    let mut words = Vec::new();
    word_spans_into(text, &mut words);
    words
}

/// [`word_spans`] into `words` (cleared first), reusing its allocation.
pub fn word_spans_into(text: &str, words: &mut Vec<(u32, u32)>) {
    first_word_spans_into(text, usize::MAX, words);
}

/// The first `max` words of `text` ([`word_spans`]) into `words` (cleared
/// first); reads `text` only as far as it needs to.
///
/// ASCII other than the apostrophe is judged a byte at a time: a letter or
/// digit is a word character, nothing else is, and none is CJK. So are
/// Cyrillic U+0400..=U+047F (lead bytes `D0`, `D1`: letters, none CJK) and
/// CJK unified ideographs U+4E00..=U+9FFF (letters, each a word): without
/// a lookup of the General Category, which costs tens of instructions a
/// character (unit tests check both blocks against the lookups).
pub fn first_word_spans_into(text: &str, max: usize, words: &mut Vec<(u32, u32)>) {
    words.clear();
    let bytes = text.as_bytes();
    let mut open: Option<usize> = None;
    let mut prev = ' ';
    let mut i = 0;
    while i < bytes.len() && words.len() < max {
        let b = bytes[i];
        if b < 0x80 && b != b'\'' {
            if b.is_ascii_alphanumeric() {
                open.get_or_insert(i);
            } else if let Some(s) = open.take() {
                words.push((s as u32, i as u32));
            }
            prev = char::from(b);
            i += 1;
            continue;
        }
        if let Some((c, len)) = fast_letter(bytes, i) {
            if len == 3 {
                if let Some(s) = open.take() {
                    words.push((s as u32, i as u32));
                }
                words.push((i as u32, (i + 3) as u32));
            } else {
                open.get_or_insert(i);
            }
            prev = c;
            i += len;
            continue;
        }
        let Some(c) = text[i..].chars().next() else {
            break;
        };
        let next = i + c.len_utf8();
        let cjk = is_cjk(c);
        let joins = is_apostrophe(c)
            && open.is_some()
            && is_letter(prev)
            && text[next..]
                .chars()
                .next()
                .is_some_and(|n| is_letter(n) && !is_cjk(n));
        if joins {
        } else if !is_word_char(c) || cjk {
            if let Some(s) = open.take() {
                words.push((s as u32, i as u32));
            }
            if cjk && is_word_char(c) {
                words.push((i as u32, next as u32));
            }
        } else if open.is_none() {
            open = Some(i);
        }
        prev = c;
        i = next;
    }
    if let Some(s) = open.filter(|_| words.len() < max) {
        words.push((s as u32, i as u32));
    }
    words.truncate(max);
}

/// The character at `i` and its length when it is a Cyrillic letter of
/// U+0400..=U+047F (2 bytes) or a CJK unified ideograph of
/// U+4E00..=U+9FFF (3 bytes).
#[inline(always)]
fn fast_letter(bytes: &[u8], i: usize) -> Option<(char, usize)> {
    match super::char_at(bytes, i) {
        (cp @ (0x0400..=0x047F | 0x4E00..=0x9FFF), len) => char::from_u32(cp).map(|c| (c, len)),
        _ => None,
    }
}

/// A letter (General Category `L*`) of a script that writes words of
/// several letters (not CJK).
#[inline]
fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    !is_cjk(c)
        && GeneralCategoryGroup::Letter.contains(CodePointMapData::<GeneralCategory>::new().get(c))
}

/// The number of words of `words` (sorted spans, as from [`word_spans`])
/// lying entirely within the byte range `from..to`; a word cut by either end
/// does not count. Two binary searches.
pub fn words_between(words: &[(u32, u32)], from: usize, to: usize) -> usize {
    let first = words.partition_point(|w| (w.0 as usize) < from);
    let past = words.partition_point(|w| (w.1 as usize) <= to);
    past.saturating_sub(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_blocks_are_letters_as_the_lookups_say() {
        for cp in (0x0400..=0x047F).chain(0x4E00..=0x9FFF) {
            let c = char::from_u32(cp).expect("a character");
            let mut buf = [0u8; 4];
            let bytes = c.encode_utf8(&mut buf).as_bytes();
            assert_eq!(fast_letter(bytes, 0), Some((c, bytes.len())), "{c:?}");
            assert!(is_word_char(c) && is_letter_or_cjk(c), "{c:?}");
            assert_eq!(is_cjk(c), cp >= 0x4E00, "{c:?}");
        }
        for c in ['\u{482}', '\u{483}', '\u{4DC0}', '\u{3400}', 'a', '’'] {
            let mut buf = [0u8; 4];
            assert_eq!(
                fast_letter(c.encode_utf8(&mut buf).as_bytes(), 0),
                None,
                "{c:?}"
            );
        }
    }

    fn is_letter_or_cjk(c: char) -> bool {
        is_letter(c) || is_cjk(c)
    }

    proptest::proptest! {
        /// The first `max` words are the first `max` of all of them, and
        /// the fast blocks cut words as the lookups do
        /// (`word_spans_by_chars`), over Cyrillic,
        /// CJK, other letters, marks, apostrophes and ASCII.
        #[test]
        fn first_words_are_a_prefix_of_all_words(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "Nvidia", "'s", "’", "H200", " ", ", ", "чипов", "Ё", "ѿ", "҂",
                    "\u{483}", "\u{301}", "英伟达", "䷀", "㐀", "ü", "é", "9", "-",
                ]),
                0..30,
            ),
            max in 0usize..12,
        ) {
            let text = parts.concat();
            let all = word_spans(&text);
            let mut first = Vec::new();
            first_word_spans_into(&text, max, &mut first);
            proptest::prop_assert_eq!(&first[..], &all[..max.min(all.len())]);
            proptest::prop_assert_eq!(all, word_spans_by_chars(&text));
        }
    }

    #[test]
    fn words_are_alnum_runs_and_single_cjk_chars() {
        let text = "Nvidia's H200, 英伟达H200芯片 ok x' 'y 9's e\u{301}e";
        let words: Vec<&str> = word_spans(text)
            .iter()
            .map(|&(s, e)| &text[s as usize..e as usize])
            .collect();
        assert_eq!(
            words,
            [
                "Nvidia's",
                "H200",
                "英",
                "伟",
                "达",
                "H200",
                "芯",
                "片",
                "ok",
                "x",
                "y",
                "9",
                "s",
                "e\u{301}e"
            ]
        );
    }

    #[test]
    fn counts_only_whole_words_in_the_gap() {
        let text = "exporting of the H200";
        let words = word_spans(text);
        // "export" (0..6) then "H200" (17..21): "of" and "the" lie between.
        assert_eq!(words_between(&words, 6, 17), 2);
        assert_eq!(words_between(&words, 11, 17), 1, "`of` is cut");
    }

    #[test]
    fn boundaries_next_to_letters_digits_symbols_and_cjk() {
        let text = "(H200)芯H20x";
        assert!(boundary_before(text, 0), "start of text");
        assert!(boundary_before(text, 1), "after `(`");
        assert!(!boundary_before(text, 2), "inside H200");
        assert!(boundary_after(text, 5), "before `)`");
        assert!(boundary_before(text, 9), "after a CJK character");
        assert!(!boundary_after(text, 12), "before `x`");
        assert!(boundary_after(text, text.len()), "end of text");
        assert_eq!(word_end(text, 10), 13, "H20x ends at the end");
        assert_eq!(word_end(text, 5), 5, "no word continues at `)`");
        assert_eq!(word_end("芯片", 0), 0, "a CJK character is a boundary");
    }

    /// [`word_spans`] as first written, a character at a time: the
    /// reference for its byte-wise ASCII path.
    fn word_spans_by_chars(text: &str) -> Vec<(u32, u32)> {
        let mut words = Vec::new();
        let mut open: Option<usize> = None;
        let mut chars = text.char_indices().peekable();
        let mut prev = ' ';
        while let Some((i, c)) = chars.next() {
            let cjk = is_cjk(c);
            let joins = is_apostrophe(c)
                && open.is_some()
                && is_letter(prev)
                && chars
                    .peek()
                    .is_some_and(|&(_, n)| is_letter(n) && !is_cjk(n));
            if joins {
            } else if !is_word_char(c) || cjk {
                if let Some(s) = open.take() {
                    words.push((s as u32, i as u32));
                }
                if cjk && is_word_char(c) {
                    words.push((i as u32, (i + c.len_utf8()) as u32));
                }
            } else if open.is_none() {
                open = Some(i);
            }
            prev = c;
        }
        if let Some(s) = open {
            words.push((s as u32, text.len() as u32));
        }
        words
    }

    proptest::proptest! {
        /// Words found a byte at a time over ASCII are the words found a
        /// character at a time, apostrophes, marks and CJK included.
        #[test]
        fn word_spans_equal_the_character_wise_reference(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "a", "Z", "7", " ", "'", "\u{2019}", "-", ".", "_", "é", "e\u{301}",
                    "я", "中", "ｱ", "\u{200B}", "1'", "s", "\t",
                ]),
                0..40,
            ),
        ) {
            let text = parts.concat();
            proptest::prop_assert_eq!(word_spans(&text), word_spans_by_chars(&text), "{:?}", text);
        }
    }

    proptest::proptest! {
        /// The search with blocks skipped gives what a test of every
        /// character gives, for any set of picked characters (the blocks
        /// told from the set).
        #[test]
        fn a_non_ascii_word_char_is_found_whatever_blocks_are_skipped(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "a", "7", " ", "\u{201C}", "\u{2014}", "é", "e\u{301}", "я", "Н", "р",
                    "中", "于", "ｱ", "\u{200B}", "№", "\u{1B122}", "𝐇", "ß",
                ]),
                0..30,
            ),
            picked in proptest::collection::vec(
                proptest::sample::select(vec![
                    'é', '\u{301}', 'я', 'Н', 'р', '中', '于', 'ｱ', '\u{1B122}', '𝐇', 'ß', '№',
                ]),
                0..4,
            ),
        ) {
            let text = parts.concat();
            let is_picked = |c: char| picked.contains(&c);
            let expected = text
                .chars()
                .any(|c| !c.is_ascii() && is_picked(c) && is_word_char(c));
            let block = |k: usize| picked.iter().any(|&c| c as usize / 64 == k);
            proptest::prop_assert_eq!(
                has_non_ascii_word_char(&text, block, is_picked),
                expected,
                "{:?} {:?}",
                text,
                picked
            );
            proptest::prop_assert_eq!(
                has_non_ascii_word_char(&text, |_| true, is_picked),
                expected
            );
        }
    }

    proptest::proptest! {
        /// The block-wise search finds the byte a byte-by-byte one finds,
        /// wherever it lies relative to the 32-byte blocks.
        #[test]
        fn first_non_ascii_is_the_first_byte_at_or_above_0x80(
            ascii in proptest::collection::vec(0u8..0x80, 0..150),
            tail in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
        ) {
            let bytes = [ascii, tail].concat();
            proptest::prop_assert_eq!(
                first_non_ascii(&bytes),
                bytes.iter().position(|&b| b >= 0x80)
            );
        }
    }
}
