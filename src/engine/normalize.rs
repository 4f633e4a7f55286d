//! Text normalization for matching: Unicode NFKC, full lowercasing (unless a
//! case-sensitive pass is asked for) and every run of white space as one
//! ASCII space, with a map back to byte offsets in the original text.
//!
//! The result must equal the plain reference (`reference`: NFKC of the whole
//! text, then per-character lowercasing, then white space collapsing) on every
//! input; the fast paths below only skip work that cannot change the output:
//!
//! * ASCII runs are lowercased eight bytes at a time (NFKC is the identity on
//!   ASCII), falling back to a byte loop only where white space must collapse.
//! * Text is cut into segments before every *stable* character (canonical
//!   combining class 0 and NFKC quick check `Yes`): NFKC never changes across
//!   such a cut, so a stable character alone in its segment is already
//!   normalized and only needs lowercasing, looked up in a table built once
//!   for the Basic Multilingual Plane. Other segments go through the full
//!   NFKC algorithm.
//!
//! The offset map is sparse: a list of [`Piece`]s, each either *linear* (every
//! output byte stands for the input byte at the same distance, which holds
//! when a character maps to one character of the same UTF-8 length, as for
//! most Latin, Cyrillic and CJK text) or *atomic* (the output stands for the
//! input span as a whole: a full-width `Ｈ` that became `h`, a ligature, a
//! collapsed white space run). Mapping is needed only for matches, so it is a
//! binary search then.
//!
//! This module knows nothing of terms, rules or I/O.

use std::sync::LazyLock;

use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

/// One stretch of the offset map; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Piece {
    /// First byte of the normalized text this piece produced.
    norm: u32,
    /// First byte of the original text it stands for.
    orig: u32,
    linear: bool,
}

/// A normalized text with its map back to the original. Reused between calls
/// (`normalize_into` clears it) so the hot path does not allocate.
#[derive(Debug, Default, Clone)]
pub struct NormText {
    text: String,
    pieces: Vec<Piece>,
    orig_len: u32,
}

impl NormText {
    pub fn new() -> Self {
        Self::default()
    }

    /// The normalized text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Maps the normalized byte range `start..end` (on character boundaries,
    /// `start < end`) to the smallest range of the original text that
    /// produced it, on character boundaries of the original.
    pub fn original_range(&self, start: usize, end: usize) -> (usize, usize) {
        debug_assert!(start < end && end <= self.text.len());
        let first = self.piece_at(start);
        let p = self.pieces[first];
        let orig_start = if p.linear {
            p.orig as usize + (start - p.norm as usize)
        } else {
            p.orig as usize
        };
        let last = self.piece_at(end - 1);
        let q = self.pieces[last];
        let orig_end = if q.linear {
            q.orig as usize + (end - q.norm as usize)
        } else {
            self.pieces
                .get(last + 1)
                .map_or(self.orig_len as usize, |n| n.orig as usize)
        };
        (orig_start, orig_end)
    }

    fn piece_at(&self, norm: usize) -> usize {
        // Pieces are sorted by `norm`; find the last one starting at or before.
        self.pieces.partition_point(|p| p.norm as usize <= norm) - 1
    }

    fn clear(&mut self, orig_len: usize) {
        self.text.clear();
        self.pieces.clear();
        self.orig_len = orig_len as u32;
    }

    /// Starts the map entry for output about to be appended, standing for
    /// input from `orig` on. `linear` is the caller's promise that output and
    /// input have the same length and align character by character.
    #[inline]
    fn open_piece(&mut self, orig: usize, linear: bool) {
        self.open_piece_at(self.text.len(), orig, linear);
    }

    /// As `open_piece`, for output that starts at `norm` (at or after the
    /// start of the last piece).
    #[inline]
    fn open_piece_at(&mut self, norm: usize, orig: usize, linear: bool) {
        if linear
            && let Some(last) = self.pieces.last()
            && last.linear
            && last.orig as usize + (norm - last.norm as usize) == orig
        {
            return; // continues the current linear piece
        }
        self.pieces.push(Piece {
            norm: norm as u32,
            orig: orig as u32,
            linear,
        });
    }

    fn ends_with_space(&self) -> bool {
        self.text.as_bytes().last() == Some(&b' ')
    }
}

/// Largest text `normalize_into` accepts: offsets are kept as `u32`.
pub const MAX_TEXT_BYTES: usize = u32::MAX as usize / 2;

/// Per-character facts about the Basic Multilingual Plane, computed once
/// from the Unicode tables of `unicode-normalization` and `std`.
struct Tables {
    /// For a stable BMP character whose lowercase is one BMP character: that
    /// character (white space as `' '`); 0 means "take the slow path".
    lower: Box<[u16]>,
    /// Same for the case-sensitive pass: the character itself (white space as
    /// `' '`) when stable, else 0.
    keep: Box<[u16]>,
    /// Bit set: a segment may start before this character.
    boundary: Box<[u64]>,
}

static TABLES: LazyLock<Tables> = LazyLock::new(|| {
    let mut lower = vec![0u16; 0x10000].into_boxed_slice();
    let mut keep = vec![0u16; 0x10000].into_boxed_slice();
    let mut boundary = vec![0u64; 0x10000 / 64].into_boxed_slice();
    for cp in 0..0x10000u32 {
        let Some(c) = char::from_u32(cp) else {
            continue; // surrogates
        };
        if has_boundary_before(c) {
            boundary[cp as usize / 64] |= 1 << (cp % 64);
        }
        if cp == 0 || !is_stable(c) {
            continue;
        }
        if c.is_whitespace() {
            lower[cp as usize] = b' ' as u16;
            keep[cp as usize] = b' ' as u16;
            continue;
        }
        keep[cp as usize] = cp as u16;
        let mut l = c.to_lowercase();
        if let (Some(one), None) = (l.next(), l.next())
            && (one as u32) < 0x10000
        {
            lower[cp as usize] = one as u32 as u16;
        }
    }
    Tables {
        lower,
        keep,
        boundary,
    }
});

/// Forces the one-time table build (about a millisecond) off the hot path.
pub fn warm_up() {
    LazyLock::force(&TABLES);
}

/// Canonical combining class 0 and NFKC quick check `Yes`: NFKC leaves the
/// character alone.
fn is_stable(c: char) -> bool {
    canonical_combining_class(c) == 0 && is_nfkc_quick(std::iter::once(c)) == IsNormalized::Yes
}

/// NFKC never reorders or composes across a cut before `c`: `c` is a
/// starter that does not combine backwards (quick check not `Maybe`), and so
/// is the first character of its decomposition.
fn has_boundary_before(c: char) -> bool {
    let starter = |c: char| {
        canonical_combining_class(c) == 0
            && is_nfkc_quick(std::iter::once(c)) != IsNormalized::Maybe
    };
    starter(c) && std::iter::once(c).nfkd().next().is_none_or(starter)
}

#[inline]
fn stable_mapping(c: char, fold: bool) -> Option<char> {
    let cp = c as u32;
    if cp < 0x10000 {
        let t = &*TABLES;
        let v = if fold {
            t.lower[cp as usize]
        } else {
            t.keep[cp as usize]
        };
        return (v != 0).then(|| char::from_u32(v as u32).unwrap_or(c));
    }
    None
}

#[inline]
fn starts_segment(c: char) -> bool {
    let cp = c as u32;
    if cp < 0x10000 {
        return TABLES.boundary[cp as usize / 64] & (1 << (cp % 64)) != 0;
    }
    has_boundary_before(c)
}

/// Normalizes `text` into `out` (cleared first); `fold` selects lowercasing.
///
/// # Panics
/// If `text` is longer than [`MAX_TEXT_BYTES`]; callers bound their input far
/// below that (`input.max_bytes`).
pub fn normalize_into(text: &str, fold: bool, out: &mut NormText) {
    assert!(text.len() <= MAX_TEXT_BYTES, "text too long to normalize");
    out.clear(text.len());
    out.text.reserve(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] < 0x80 {
            i = ascii_run(text, i, fold, out);
            continue;
        }
        // A non-ASCII character: find the segment it starts.
        let c = next_char(text, i);
        let mut j = i + c.len_utf8();
        while j < bytes.len() {
            let n = next_char(text, j);
            if n.is_ascii() || starts_segment(n) {
                break;
            }
            j += n.len_utf8();
        }
        if j == i + c.len_utf8()
            && let Some(m) = stable_mapping(c, fold)
        {
            emit_char(out, m, i, c.len_utf8());
        } else {
            slow_segment(&text[i..j], i, fold, out);
        }
        i = j;
    }
}

/// Handles ASCII from `i` up to the first non-ASCII byte, except that the
/// last ASCII character is left to the caller's segment logic when a
/// combining character follows it. Returns where it stopped.
fn ascii_run(text: &str, mut i: usize, fold: bool, out: &mut NormText) -> usize {
    let bytes = text.as_bytes();
    let mut end = i;
    while end < bytes.len() && bytes[end] < 0x80 {
        end += 1;
    }
    if end < bytes.len() && !starts_segment(next_char(text, end)) {
        // "e\u{301}" composes: the last ASCII char belongs to the next segment.
        end -= 1;
        if end == i {
            slow_from_here(text, i, fold, out);
            return i + 1 + following_marks_len(text, i + 1);
        }
    }
    while i < end {
        if i + 8 <= end {
            let w = u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap_or([0; 8]));
            let w = ascii_ws_to_space(w);
            let w = if fold { ascii_lower(w) } else { w };
            let spaces = zero_bytes(w ^ 0x2020_2020_2020_2020);
            let double =
                spaces & (spaces << 8) != 0 || (spaces & 0x80 != 0 && out.ends_with_space());
            if !double {
                out.open_piece(i, true);
                out.text.push_str(ascii_str(&w.to_le_bytes()));
                i += 8;
                continue;
            }
        }
        // White space to collapse here, or the tail: byte by byte.
        let stop = (i + 8).min(end);
        ascii_bytes(bytes, i, stop, fold, out);
        i = stop;
    }
    end
}

fn ascii_bytes(bytes: &[u8], from: usize, to: usize, fold: bool, out: &mut NormText) {
    for (i, &b) in bytes.iter().enumerate().take(to).skip(from) {
        let b = if matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ') {
            if out.ends_with_space() {
                continue;
            }
            b' '
        } else if fold {
            b.to_ascii_lowercase()
        } else {
            b
        };
        out.open_piece(i, true);
        out.text.push(b as char);
    }
}

fn ascii_str(b: &[u8; 8]) -> &str {
    std::str::from_utf8(b).unwrap_or("")
}

/// The length of the non-segment-starting characters right after `at`.
fn following_marks_len(text: &str, at: usize) -> usize {
    text[at..]
        .chars()
        .take_while(|&c| !c.is_ascii() && !starts_segment(c))
        .map(char::len_utf8)
        .sum()
}

/// The ASCII character at `i` followed by combining characters.
fn slow_from_here(text: &str, i: usize, fold: bool, out: &mut NormText) {
    let end = i + 1 + following_marks_len(text, i + 1);
    slow_segment(&text[i..end], i, fold, out);
}

fn slow_segment(seg: &str, orig: usize, fold: bool, out: &mut NormText) {
    let mark = out.text.len();
    let mut n_out = 0usize;
    for c in seg.nfkc() {
        let mut push = |o: char| {
            if o.is_whitespace() {
                if out.ends_with_space() {
                    return;
                }
                out.text.push(' ');
            } else {
                out.text.push(o);
            }
            n_out += 1;
        };
        if fold {
            c.to_lowercase().for_each(&mut push);
        } else {
            push(c);
        }
    }
    if n_out == 0 {
        // Only white space that collapsed into the previous space: the
        // previous piece absorbs this input.
        return;
    }
    // One char in, one char of the same length out: the piece may be linear,
    // which keeps the map short for texts full of case changes.
    let mut chars = seg.chars();
    let single_in = chars.next().is_some() && chars.next().is_none();
    let linear = single_in && n_out == 1 && out.text.len() - mark == seg.len();
    out.open_piece_at(mark, orig, linear);
}

#[inline]
fn emit_char(out: &mut NormText, m: char, orig: usize, in_len: usize) {
    if m == ' ' && out.ends_with_space() {
        return;
    }
    out.open_piece(orig, m.len_utf8() == in_len);
    out.text.push(m);
}

#[inline]
fn next_char(text: &str, i: usize) -> char {
    text[i..].chars().next().unwrap_or('\0')
}

/// High bit set in every byte of `w` that is zero, exactly.
#[inline]
fn zero_bytes(w: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    !(((w & LOW7) + LOW7) | w | LOW7)
}

/// Maps the ASCII white space controls `\t \n \v \f \r` to spaces.
#[inline]
fn ascii_ws_to_space(w: u64) -> u64 {
    const H: u64 = 0x8080_8080_8080_8080;
    let ge_09 = w + 0x7777_7777_7777_7777; // bit 7 set where byte >= 0x09
    let ge_0e = w + 0x7272_7272_7272_7272; // bit 7 set where byte >= 0x0e
    let ctrl = ge_09 & !ge_0e & H;
    let full = (ctrl >> 7) * 0xff;
    (w & !full) | (0x2020_2020_2020_2020 & full)
}

/// Lowercases the ASCII letters of eight ASCII bytes.
#[inline]
fn ascii_lower(w: u64) -> u64 {
    const H: u64 = 0x8080_8080_8080_8080;
    let ge_a = w + 0x3f3f_3f3f_3f3f_3f3f; // >= 'A'
    let gt_z = w + 0x2525_2525_2525_2525; // >= '['
    let upper = ge_a & !gt_z & H;
    w | (upper >> 2)
}

/// Normalizes a watch term or any short text, without an offset map.
pub fn normalize(text: &str, fold: bool) -> String {
    let mut out = NormText::new();
    normalize_into(text, fold, &mut out);
    out.text
}

/// The plain definition the fast paths must agree with: NFKC of the whole
/// text, then lowercasing character by character, then white space runs as
/// one space. Slow; used by tests and benchmarks.
pub fn reference(text: &str, fold: bool) -> String {
    let mut s = String::with_capacity(text.len());
    let mut push = |o: char| {
        if o.is_whitespace() {
            if !s.ends_with(' ') {
                s.push(' ');
            }
        } else {
            s.push(o);
        }
    };
    for c in text.nfkc() {
        if fold {
            c.to_lowercase().for_each(&mut push);
        } else {
            push(c);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) {
        for fold in [true, false] {
            let mut n = NormText::new();
            normalize_into(text, fold, &mut n);
            assert_eq!(
                n.as_str(),
                reference(text, fold),
                "text {text:?} fold {fold}"
            );
        }
    }

    #[test]
    fn agrees_with_reference_on_tricky_text() {
        for t in [
            "",
            "Nvidia H200",
            "ＨＥＬＬＯ Ｈ２００ chips",
            "e\u{301}te\u{301} café",
            "ЭКСПОРТ  чипов\u{a0}\u{a0}в\tКитай",
            "英伟达H200芯片出口许可",
            "ﬁnance ﬂ ǅ ǉ İstanbul ß ẞ",
            "한국 \u{1100}\u{1161}\u{11a8} 가\u{11a8}",
            "  leading and trailing  ",
            "a\u{301}\u{327}b\u{327}\u{301}",
            "\u{301}starts with a mark",
            "x\u{2028}\u{3000}y \u{200b} z",
            "ᾼΣΑΣ ΟΔΟΣ",
            "①②③ ㍿ ㌔",
            "abcdefgh  ABCDEFGH\n\nIJKLMNOP\t\tqrstuvwx",
            "ABCDEFG\u{301}",
            "𝐇𝟐𝟎𝟎 𝔄",
        ] {
            check(t);
        }
    }

    #[test]
    fn swar_helpers_match_byte_loops() {
        for b in 0u8..0x80 {
            let w = u64::from_le_bytes([b, b'A', b'z', b'\t', b' ', b, b'[', b'@']);
            let got = ascii_lower(ascii_ws_to_space(w)).to_le_bytes();
            let want = w.to_le_bytes().map(|x| match x {
                b'\t' | b'\n' | 0x0b | 0x0c | b'\r' => b' ',
                x => x.to_ascii_lowercase(),
            });
            assert_eq!(got, want, "byte {b:#x}");
            let z = zero_bytes(w ^ 0x2020_2020_2020_2020).to_le_bytes();
            let zw: Vec<bool> = w.to_le_bytes().iter().map(|&x| x == b' ').collect();
            assert_eq!(z.map(|x| x == 0x80).to_vec(), zw);
        }
    }

    #[test]
    fn maps_back_to_original_offsets() {
        let text = "Ｎｖｉｄｉａ  H200 и\u{a0}ЧИПЫ";
        let mut n = NormText::new();
        normalize_into(text, true, &mut n);
        let norm = n.as_str();
        for (term, orig) in [
            ("nvidia", "Ｎｖｉｄｉａ"),
            ("h200", "H200"),
            ("чипы", "ЧИПЫ"),
        ] {
            let s = norm.find(term).expect("term present");
            let (a, b) = n.original_range(s, s + term.len());
            assert_eq!(&text[a..b], orig);
        }
        let s = norm.find("h200 и чипы").expect("phrase present");
        let (a, b) = n.original_range(s, s + "h200 и чипы".len());
        assert_eq!(&text[a..b], "H200 и\u{a0}ЧИПЫ");
    }

    #[test]
    fn ascii_text_keeps_a_short_map() {
        let text = "Alibaba and ByteDance weigh H200 orders if Beijing approves.\nMore text.";
        let mut n = NormText::new();
        normalize_into(text, true, &mut n);
        assert_eq!(n.pieces.len(), 1);
        assert_eq!(n.original_range(28, 32), (28, 32));
    }
}
