//! Text normalization for matching (SPEC sections 2 and 2a): invisible
//! characters removed, Unicode NFKC, full case folding (unless a
//! case-sensitive pass is asked for), `ё` as `е`, hyphens and every run of
//! white space as one ASCII space; optionally UTS #39 skeletons ([`Form`]).
//! With a map back to byte offsets in the original text.
//!
//! The result must equal the plain reference (`reference`: the same steps on
//! the whole text at once) on every input; the fast paths below only skip
//! work that cannot change the output:
//!
//! * Text is cut into segments before every character that NFKC never
//!   composes or reorders across and that is not invisible
//!   (`starts_segment`): an invisible character is removed before NFKC, so it
//!   belongs to the segment of the character before it. A character alone
//!   in its segment normalizes to its table entry: one load for the Basic
//!   Multilingual Plane when that is one character (Latin, Cyrillic, CJK,
//!   full-width forms, most punctuation) or a short expansion (`ß` as `ss`).
//!   Other segments (combining sequences, characters followed by invisible
//!   ones, `㍿`) go through the full definition (`form.rs`).
//! * Input that normalizes to itself (ASCII but for case, and every
//!   non-ASCII character whose table entry is itself) is not written
//!   character by character: it accumulates as a *run* and is copied in one
//!   go, ASCII capitals then lowercased in place. Long ASCII stretches are
//!   checked 32 bytes at a time with plain loops over arrays that compile to
//!   vector compares. A combining mark or an invisible character after the
//!   run takes the run's last character back into its segment.
//! * The skeleton form maps ASCII letters too (`0` and `O` share a
//!   skeleton), so it skips the runs and looks up every character.
//!
//! The offset map is sparse: a list of pieces, each either *linear* (every
//! output byte stands for the input byte at the same distance, which holds
//! when a character maps to one character of the same UTF-8 length, as for
//! most Latin, Cyrillic and CJK text), *char-linear* (every output character
//! stands for the input character at the same count, as in the skeleton of
//! Russian, where half the letters become Latin ones; such a piece is
//! short, as a lookup inside it counts characters) or *atomic* (the output stands for the
//! input span as a whole: a full-width `Ｈ` that became `h`, a ligature, a
//! collapsed white space run, a letter and the invisible characters after
//! it). Mapping is needed only for matches, so it is a binary search then.
//!
//! Files: this one is the fast path (`normalize_into` and its helpers);
//! `form.rs` what each form does to a segment ([`Form`]); `map.rs` the offset
//! map ([`NormText`]); `tables.rs` the per-character tables;
//! `reference.rs` the plain definition ([`reference()`]).
//!
//! This module knows nothing of terms, rules or I/O, and must not: the
//! watchlist normalizes terms and the engine normalizes fields through the
//! same functions, so both see one definition.

mod form;
mod map;
mod reference;
mod tables;

use super::{char_at, decode};
pub use form::{Form, is_hyphen, is_trade_mark_sign, yo_as_ye};
pub use map::NormText;
pub use reference::reference;
pub use tables::warm_up;
use tables::{
    BOUNDARY, EXPAND, PLAIN_HARD, PLAIN_MAX_BYTES, PLAIN_SKELETON, PLAIN_SPACE, Table,
    starts_segment_in, starts_segment_slow, table,
};

/// The most bytes of normalized text one byte of input becomes, in every
/// form: U+FDFA (3 bytes) is 18 Arabic letters and spaces, 33 bytes. A
/// test checks every character.
pub const MAX_EXPANSION: usize = 11;

/// Largest text `normalize_into` accepts, 390,451,572 bytes (372 MiB):
/// offsets into the normalized text are kept as `u32`, and it may be
/// [`MAX_EXPANSION`] times as long as the input. (Half of `u32::MAX`, the
/// bound before, let 400 MB of U+FDFA wrap the offsets.)
pub const MAX_TEXT_BYTES: usize = u32::MAX as usize / MAX_EXPANSION;

/// Normalizes `text` in `form` into `out` (cleared first). The output is at
/// most a small multiple of `text.len()` bytes; `out` maps each of its byte
/// ranges back to bytes of `text` ([`NormText::original_range`]).
///
/// # Panics
/// If `text` is longer than [`MAX_TEXT_BYTES`]; callers bound their input far
/// below that (`input.max_bytes`).
pub fn normalize_into(text: &str, form: Form, out: &mut NormText) {
    assert!(text.len() <= MAX_TEXT_BYTES, "text too long to normalize");
    out.clear(text.len());
    out.text.reserve(text.len());
    let t = table(form);
    if form == Form::Skeleton {
        return per_character(text, form, t, out);
    }
    let fold = form == Form::Folded;
    let map: &[u32] = &t.entries;
    let bytes = text.as_bytes();
    let n = bytes.len();
    // Input `run..i` is still to be copied to the output: it normalizes to
    // itself, except ASCII capitals, lowercased after the copy when folding.
    let mut run = 0;
    // The run holds a hyphen (to be written as a space).
    let mut hyphens = false;
    // The output, run included, ends with a space.
    let mut space = false;
    let mut i = 0;
    while i < n {
        let b = bytes[i];
        if b < 0x80 {
            // Thirty-two, then eight ASCII bytes at a time while they need no
            // change but case and lone hyphens: no control white space, no
            // space or hyphen after a space or hyphen (the eight-byte steps
            // stop at any hyphen).
            let long = i > 0
                && i + CHUNK <= n
                && u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap_or([0x80; 8])) & HIGH == 0;
            while long && i + CHUNK <= n {
                let c: &[u8; CHUNK] = bytes[i..i + CHUNK].try_into().unwrap_or(&[0x80; CHUNK]);
                let p: &[u8; CHUNK] = bytes[i - 1..i - 1 + CHUNK]
                    .try_into()
                    .unwrap_or(&[0x80; CHUNK]);
                if space && matches!(c[0], b' ' | b'-') {
                    break;
                }
                match clean_chunk(c, p) {
                    Some(h) => hyphens |= h,
                    None => break,
                }
                space = matches!(c[CHUNK - 1], b' ' | b'-');
                i += CHUNK;
            }
            // Eight bytes at a time; a word with a byte that needs more
            // than the run gives (non-ASCII, control white space, a hyphen,
            // a space after a space) still takes the bytes before that one,
            // so that a curly quote or a dash in English text costs one
            // character's trip, not eight. Each mask is exact per byte
            // (`zero_bytes`, and the control test on the low seven bits
            // cannot carry), so the lowest flagged byte is the first that
            // needs more.
            while i + 8 <= n {
                let w = u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap_or([0x80; 8]));
                let low = w & !HIGH;
                let spaces = zero_bytes(w ^ 0x2020_2020_2020_2020);
                let hyphens = zero_bytes(w ^ 0x2d2d_2d2d_2d2d_2d2d);
                let ctrl = (low + 0x7777_7777_7777_7777) & !(low + 0x7272_7272_7272_7272) & HIGH;
                let after_space = (spaces << 8) | u64::from(space) << 7;
                let stop = (w & HIGH) | ctrl | hyphens | (spaces & after_space);
                if stop != 0 {
                    let clean = (stop.trailing_zeros() / 8) as usize;
                    if clean > 0 {
                        space = bytes[i + clean - 1] == b' ';
                        i += clean;
                    }
                    break;
                }
                space = spaces >> 63 != 0;
                i += 8;
            }
            if i >= n {
                break;
            }
            let b = bytes[i];
            if b >= 0x80 {
                continue;
            }
            if matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' | b'-') {
                // A space or a hyphen after a letter stays in the run (`flush`
                // writes the hyphen as a space).
                if matches!(b, b' ' | b'-') && !space {
                    hyphens |= b == b'-';
                    space = true;
                    i += 1;
                    continue;
                }
                // White space to collapse, a control or a hyphen to turn into
                // a space.
                if mark_follows(text, i + 1, t, form) {
                    flush(text, run, i, fold, &mut hyphens, out);
                    i = slow_from(text, i, form, out);
                    run = i;
                    space = out.ends_with_space();
                    continue;
                }
                flush(text, run, i, fold, &mut hyphens, out);
                if !space {
                    out.open_piece(i, true);
                    out.text.push(' ');
                    space = true;
                }
                i += 1;
                run = i;
                continue;
            }
            space = false;
            i += 1;
            continue;
        }
        // Cyrillic а-я (U+0430..=U+044F: D0 B0..BF, D1 80..8F): normalized,
        // caseless and segment starts (a unit test checks the tables
        // agree), so they join the run without a decode or a table load:
        // Russian items, 0.84 of the CPU of a 1k-term scan (BENCHMARKS.md).
        // A combining mark after one is handled when it comes. Capitals
        // end the run (folding them at the copy cost more than it saved:
        // `D0` is every other byte of Russian) but skip the table.
        if b == 0xD0 || b == 0xD1 {
            let c = bytes.get(i + 1).copied().unwrap_or(0);
            if (b == 0xD0 && c >= 0xB0) || (b == 0xD1 && c <= 0x8F) {
                space = false;
                i += 2;
                continue;
            }
            // А-Я (D0 90..AF) when folding, no mark after: its small letter,
            // U+0020 further on and two bytes too, written after the run,
            // which goes on from the next character.
            if fold
                && b == 0xD0
                && (0x90..=0xAF).contains(&c)
                && no_mark_at(bytes, i + 2)
                && let Some(small) = char::from_u32(0x0430 + u32::from(c - 0x90))
            {
                flush(text, run, i, fold, &mut hyphens, out);
                out.open_piece(i, true);
                out.text.push(small);
                space = false;
                i += 2;
                run = i;
                continue;
            }
        }
        // CJK ideographs, U+4000..=U+9FFF (lead bytes E4..E9): normalized,
        // caseless and segment starts (a unit test checks the table agrees),
        // so they join the run without a decode or a table load. A combining
        // mark after one is handled when it comes, as for any run.
        if (0xE4..=0xE9).contains(&b) {
            space = false;
            i += 3;
            continue;
        }
        // A non-ASCII character.
        let (cp, len) = decode(bytes, i);
        let e = entry(map, cp);
        if e == cp | BOUNDARY {
            space = false;
            i += len;
            continue;
        }
        i = end_run(text, run, i, len, e, t, form, fold, &mut hyphens, out);
        run = i;
        space = out.ends_with_space();
    }
    flush(text, run, n, fold, &mut hyphens, out);
}

/// Ends the run `run..i` at the character at `i` (`len` bytes, table entry
/// `e`), which does not join it: writes the run, then the character's
/// segment. A combining mark or an invisible character (no `BOUNDARY`)
/// belongs to the segment of the character before, taken back from the
/// run when it is still there. Returns where the next run starts.
#[allow(clippy::too_many_arguments)]
#[inline]
fn end_run(
    text: &str,
    run: usize,
    i: usize,
    len: usize,
    e: u32,
    t: &Table,
    form: Form,
    fold: bool,
    hyphens: &mut bool,
    out: &mut NormText,
) -> usize {
    if e & BOUNDARY == 0 {
        let start = if run < i {
            text.floor_char_boundary(i - 1)
        } else {
            i
        };
        flush(text, run, start, fold, hyphens, out);
        return slow_from(text, start, form, out);
    }
    flush(text, run, i, fold, hyphens, out);
    emit_or_slow(text, i, len, e, t, form, out)
}

/// The loop for the skeleton, which changes ASCII letters too (`0` and `O`
/// share a skeleton), so ASCII gets no fast path: every character is looked
/// up. Characters whose skeleton is themselves (most lowercase letters,
/// digits but `0` and `1`, CJK ideographs) accumulate as a run copied in one
/// go, as in `normalize_into`; a space joins a run only where it does not
/// follow a space, so that runs of spaces still collapse; a mark after a
/// run takes the run's last character back into its segment.
///
/// A character whose skeleton is one other character (half of Russian
/// letters: Cyrillic `р` is Latin `p`) and that no mark follows is written
/// at once, and the runs and such characters share char-linear pieces of
/// the map ([`NormText::open_chars`]) instead of a piece each: Russian
/// items, 0.95 of the CPU of a default-watchlist scan (BENCHMARKS.md,
/// "Third session").
fn per_character(text: &str, form: Form, t: &Table, out: &mut NormText) {
    let bytes = text.as_bytes();
    let n = bytes.len();
    let mut no_hyphens = false;
    let mut run = 0;
    let mut i = 0;
    while i < n {
        let (cp, len) = char_at(bytes, i);
        let e = entry(&t.entries, cp);
        if e == cp | BOUNDARY && cp != u32::from(b' ') {
            i += len;
            continue;
        }
        // A space that does not follow a space, and that no mark follows,
        // is copied as it stands: it joins the run (a space in four
        // characters of Russian text, each one else a trip through
        // `end_run`).
        if cp == u32::from(b' ')
            && e == cp | BOUNDARY
            && no_mark_at(bytes, i + 1)
            && if run < i {
                bytes[i - 1] != b' '
            } else {
                !out.ends_with_space()
            }
        {
            i += 1;
            continue;
        }
        if e & (BOUNDARY | EXPAND) == BOUNDARY
            && no_mark_at(bytes, i + len)
            && let Some(m) = char::from_u32(e & 0xFFFF).filter(|&m| m != '\0' && m != ' ')
        {
            flush_chars(text, run, i, out);
            out.open_chars(i, len, m.len_utf8());
            out.text.push(m);
            i += len;
            run = i;
            continue;
        }
        // A character whose skeleton starts with a mark has no `BOUNDARY`
        // either: it joins the segment before, as a mark does.
        i = end_run(text, run, i, len, e, t, form, false, &mut no_hyphens, out);
        run = i;
    }
    flush_chars(text, run, n, out);
}

/// A text's skeleton without an offset map ([`skeleton_into`]); reused
/// across calls, so the hot path does not allocate.
#[derive(Debug, Default, Clone)]
pub struct PlainSkeleton {
    /// The skeleton's bytes, then bytes of earlier texts: the buffer only
    /// grows, and is written without clearing.
    buf: Vec<u8>,
    /// Bytes of `buf` that hold the skeleton.
    len: usize,
}

impl PlainSkeleton {
    /// The skeleton's UTF-8 bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// Writes the skeleton of `text` into `out` (the bytes
/// [`normalize_into`] writes in [`Form::Skeleton`]) without an offset map,
/// and returns `true`; or returns `false`, `out` unspecified, when `text`
/// has a character this loop leaves to the full path: one that starts no
/// segment (a combining mark, an invisible character), one above the Basic
/// Multilingual Plane, or one whose skeleton the table does not give alone
/// (`tables::PLAIN_SKELETON`). Since no mark is taken, every character
/// here is a segment of its own.
///
/// For the engine's skeleton pass, whose automaton finds nothing in most
/// fields: the map is made only for the fields where it does. A character
/// costs a decode, a table load and an eight-byte store (BENCHMARKS.md,
/// "Sixth session").
pub fn skeleton_into(text: &str, out: &mut PlainSkeleton) -> bool {
    let table: &[u64] = &PLAIN_SKELETON;
    let bytes = text.as_bytes();
    let n = bytes.len();
    // Each input byte becomes at most `PLAIN_MAX_BYTES` output bytes, and
    // every store writes eight.
    let need = PLAIN_MAX_BYTES * n + 8;
    if out.buf.len() < need {
        out.buf.resize(need, 0);
    }
    let buf = &mut out.buf[..need];
    let mut o = 0;
    let mut space = false;
    let mut i = 0;
    while i < n {
        let (cp, len) = char_at(bytes, i);
        let Some(&e) = table.get(cp as usize) else {
            return false;
        };
        if e & (PLAIN_HARD | PLAIN_SPACE) != 0 {
            if e & PLAIN_HARD != 0 {
                return false;
            }
            if !space {
                buf[o] = b' ';
                o += 1;
                space = true;
            }
        } else {
            buf[o..o + 8].copy_from_slice(&e.to_le_bytes());
            o += (e >> 48 & 0xF) as usize;
            space = false;
        }
        i += len;
    }
    out.len = o;
    true
}

/// The skeleton of `c` alone ([`Form::Skeleton`]) as [`skeleton_into`]
/// writes it, in `buf`; `None` for a character that loop leaves to the full
/// path (a combining mark, an invisible character, one above the BMP) and
/// for white space and hyphens (written as one space).
pub fn char_skeleton(c: char, buf: &mut [u8; 8]) -> Option<&str> {
    let e = *PLAIN_SKELETON.get(c as usize)?;
    if e & (PLAIN_HARD | PLAIN_SPACE) != 0 {
        return None;
    }
    *buf = e.to_le_bytes();
    std::str::from_utf8(&buf[..(e >> 48 & 0xF) as usize]).ok()
}

/// Nothing at `at` joins the segment of the character before it: the
/// text ends there, or an ASCII character or a Cyrillic letter
/// U+0400..=U+047F (lead bytes `D0`, `D1`) starts there, which start
/// segments in every form (a unit test checks the tables). A cheap
/// subset of `!mark_follows`.
#[inline(always)]
fn no_mark_at(bytes: &[u8], at: usize) -> bool {
    bytes
        .get(at)
        .is_none_or(|&b| b < 0x80 || b == 0xD0 || b == 0xD1)
}

/// Copies the skeleton run `text[from..to]`, characters that are their own
/// skeleton, as a char-linear stretch of the map.
#[inline(always)]
fn flush_chars(text: &str, from: usize, to: usize, out: &mut NormText) {
    if from < to {
        out.open_chars(from, to - from, to - from);
        out.text.push_str(&text[from..to]);
    }
}

/// The table entry of code point `cp` (see `Table::entries`): a load for
/// the Basic Multilingual Plane; above it, only whether a segment may start
/// there (those characters always take the slow path).
#[inline(always)]
fn entry(entries: &[u32], cp: u32) -> u32 {
    if cp < 0x10000 {
        entries[cp as usize]
    } else if char::from_u32(cp).is_some_and(starts_segment_slow) {
        BOUNDARY
    } else {
        0
    }
}

/// Writes the segment-starting character at `i` (`len` bytes, table entry
/// `e`): its table output when it is alone in its segment and has one, else
/// its whole segment the slow way. Returns where the segment ends.
#[inline]
fn emit_or_slow(
    text: &str,
    i: usize,
    len: usize,
    e: u32,
    t: &Table,
    form: Form,
    out: &mut NormText,
) -> usize {
    let m = e & 0xFFFF;
    if (m == 0 && e & EXPAND == 0) || mark_follows(text, i + len, t, form) {
        return slow_from(text, i, form, out);
    }
    if e & EXPAND != 0 {
        let x = &t.expansions[m as usize];
        out.open_piece(i, false);
        out.text.push_str(x);
    } else {
        emit_char(out, char::from_u32(m).unwrap_or(' '), i, len);
    }
    i + len
}

const HIGH: u64 = 0x8080_8080_8080_8080;

/// Bytes per step over long ASCII stretches.
const CHUNK: usize = 32;

/// `c` is ASCII with no control white space, and no space or hyphen right
/// after a space or hyphen (`prev` is `c` one byte earlier): a lone hyphen
/// stays in the run, to be written as a space. Plain loops over fixed-size
/// arrays, which the compiler turns into vector compares.
#[inline]
fn clean_chunk(c: &[u8; CHUNK], prev: &[u8; CHUNK]) -> Option<bool> {
    let mut bad = 0u8;
    let mut hyphen = 0u8;
    for (&b, &p) in c.iter().zip(prev) {
        let h = u8::from(b == b'-');
        let gap = u8::from(b == b' ') | h;
        let gap_before = u8::from(p == b' ') | u8::from(p == b'-');
        bad |= (b & 0x80) | u8::from(b.wrapping_sub(9) < 5) | (gap & gap_before);
        hyphen |= h;
    }
    (bad == 0).then_some(hyphen != 0)
}

/// Copies `text[from..to]`, which normalizes to itself but for ASCII case
/// and lone hyphens (each written as a space: SPEC 2a), searched for only
/// when `hyphens` says the run holds one; clears `hyphens`.
#[inline]
fn flush(text: &str, from: usize, to: usize, fold: bool, hyphens: &mut bool, out: &mut NormText) {
    let search = std::mem::take(hyphens);
    if from < to {
        out.open_piece(from, true);
        let at = out.text.len();
        out.text.push_str(&text[from..to]);
        if fold {
            out.text[at..].make_ascii_lowercase();
        }
        // A hyphen is one byte, and so is the space that replaces it: the
        // piece stays linear. `find` of an ASCII byte is a memchr.
        let mut k = at;
        while let Some(h) = search.then(|| out.text[k..].find('-')).flatten() {
            k += h;
            out.text.replace_range(k..k + 1, " ");
            k += 1;
        }
    }
}

/// A character that does not start a segment of `form` (a combining
/// mark, an invisible character) is at `at`; `t` is `form`'s table, whose
/// `BOUNDARY` bits are [`starts_segment_in`]'s for the BMP.
#[inline]
fn mark_follows(text: &str, at: usize, t: &Table, form: Form) -> bool {
    let bytes = text.as_bytes();
    if bytes.get(at).is_none_or(|&b| b < 0x80) {
        return false;
    }
    let (cp, _) = decode(bytes, at);
    if cp < 0x10000 {
        t.entries[cp as usize] & BOUNDARY == 0
    } else {
        !starts_segment_in(form, next_char(text, at))
    }
}

/// Normalizes the segment that starts at `i` (the character there and the
/// marks and invisible characters after it) the slow way; returns where it
/// ends.
fn slow_from(text: &str, i: usize, form: Form, out: &mut NormText) -> usize {
    let first = next_char(text, i).len_utf8();
    let end = i + first + following_marks_len(text, i + first, form);
    slow_segment(&text[i..end], i, form, out);
    end
}

/// The length of the characters right after `at` that start no segment of
/// `form`.
fn following_marks_len(text: &str, at: usize, form: Form) -> usize {
    text[at..]
        .chars()
        .take_while(|&c| !c.is_ascii() && !starts_segment_in(form, c))
        .map(char::len_utf8)
        .sum()
}

fn slow_segment(seg: &str, orig: usize, form: Form, out: &mut NormText) {
    let mark = out.text.len();
    let mut n_out = 0usize;
    form::normalize_segment(seg, form, &mut |o| {
        if o == ' ' {
            if out.ends_with_space() {
                return;
            }
            out.text.push(' ');
        } else {
            out.text.push(o);
        }
        n_out += 1;
    });
    if n_out == 0 {
        // Only invisible characters, or white space that collapsed into the
        // previous space: the previous piece absorbs this input.
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

/// Normalizes a watch term or any short text, without an offset map: the
/// same output as [`normalize_into`], as a new `String`.
pub fn normalize(text: &str, form: Form) -> String {
    let mut out = NormText::new();
    normalize_into(text, form, &mut out);
    out.text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) {
        for form in [Form::Folded, Form::CaseKept, Form::Skeleton] {
            let mut n = NormText::new();
            normalize_into(text, form, &mut n);
            assert_eq!(
                n.as_str(),
                reference(text, form),
                "text {text:?} form {form:?}"
            );
        }
        check_skeleton_into(text);
    }

    /// `skeleton_into` gives `normalize`'s skeleton whenever it takes the
    /// text; returns whether it did.
    fn check_skeleton_into(text: &str) -> bool {
        let mut plain = PlainSkeleton::default();
        let took = skeleton_into(text, &mut plain);
        if took {
            assert_eq!(
                plain.as_bytes(),
                normalize(text, Form::Skeleton).as_bytes(),
                "text {text:?}"
            );
        }
        took
    }

    #[test]
    fn no_character_grows_more_than_max_expansion() {
        // Planes 0 to 3 and 14 hold every assigned character; planes 4 to
        // 13 are unassigned and 15 and 16 private use, all of which
        // normalize to themselves.
        let chars = (0..=0x3_FFFF)
            .chain(0xE_0000..=0xE_FFFF)
            .filter_map(char::from_u32);
        let mut buf = [0u8; 4];
        let mut out = NormText::new();
        for form in [Form::Folded, Form::CaseKept, Form::Skeleton] {
            let (grown, c) = chars
                .clone()
                .map(|c| {
                    normalize_into(c.encode_utf8(&mut buf), form, &mut out);
                    (out.as_str().len().div_ceil(c.len_utf8()), c)
                })
                .max()
                .expect("characters");
            assert!(
                grown <= MAX_EXPANSION,
                "{form:?}: {c:?} grows {grown} times"
            );
            if form == Form::Folded {
                assert_eq!(
                    (grown, c),
                    (MAX_EXPANSION, '\u{fdfa}'),
                    "the bound is tight"
                );
            }
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

    proptest::proptest! {
        /// The Cyrillic fast paths (runs through а-я; in the skeleton, a
        /// letter written as its one-character skeleton, in char-linear
        /// pieces) give the reference's text in every form, and map every
        /// character of the output back to original text whose
        /// normalization holds it: Russian with capitals,
        /// `ё`/`Ё`, the other letters of the block (`Ѐ`, `ђ`, `Ѳ`),
        /// combining marks and invisible characters after letters,
        /// hyphens, runs of spaces and ASCII.
        #[test]
        fn cyrillic_runs_agree_with_the_reference_and_map_back(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "А", "П", "Р", "Я", "а", "п", "р", "я", "ё", "Ё", "Й", "Ѐ",
                    "ђ", "Ѳ", "е", "Е", "о", "с", "\u{301}", "\u{306}", "\u{308}",
                    "\u{ad}", "\u{200b}", " ",
                    "  ", "-", "A", "b", "中", "США", "экспорт", "ЧИПОВ", "\n",
                ]),
                0..40,
            ),
        ) {
            let text = parts.concat();
            for form in [Form::Folded, Form::CaseKept, Form::Skeleton] {
                let mut n = NormText::new();
                normalize_into(&text, form, &mut n);
                proptest::prop_assert_eq!(n.as_str(), reference(&text, form), "{:?}", form);
                for (k, c) in n.as_str().char_indices() {
                    if let Some((a, b)) = n.aligned_original_range(&text, k, k + c.len_utf8()) {
                        let back = reference(&text[a..b], form);
                        proptest::prop_assert!(
                            back.contains(c) || c == ' ',
                            "{:?} at {} maps to {:?} ({:?}) in {:?}", c, k, &text[a..b], back, text
                        );
                    }
                }
            }
        }
    }

    proptest::proptest! {
        /// The map-free skeleton loop writes the mapped loop's text
        /// whenever it takes a text, over letters of every script the
        /// corpus has, their look-alikes, expansions (`ы`, `ﬁ`), white
        /// space to collapse, hyphens, marks and invisible characters
        /// (which it leaves to the full path), full-width forms and
        /// characters above the BMP; and it takes every text without a
        /// mark, an invisible character or a character above the BMP.
        #[test]
        fn skeleton_without_a_map_agrees_with_the_mapped_loop(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "А", "Н", "Р", "а", "р", "ы", "ё", "Й", "й", "ђ", "Ѳ", "о", "с", "і",
                    "H200", "0", "1", "l", "I", "rn", "m", "Nvidia", "ﬁ", "ß",
                    "Ｈ", "２", "中", "芯片", "「", "—", "«", "»", "“", "’",
                    " ", "  ", "\u{a0}", "\u{3000}", "\n", "\t", "-", "‐",
                    "\u{301}", "\u{200b}", "\u{ad}", "𝐇", "😀",
                ]),
                0..40,
            ),
        ) {
            let text = parts.concat();
            let took = check_skeleton_into(&text);
            let hard = text.chars().any(|c| {
                matches!(c, '\u{301}' | '\u{200b}' | '\u{ad}') || c as u32 >= 0x10000
            });
            proptest::prop_assert!(took || hard, "left {:?} to the full path", text);
        }
    }

    #[test]
    fn skeleton_without_a_map_agrees_on_every_bmp_character() {
        let mut buf = [0u8; 4];
        for c in (1..0x10000).filter_map(char::from_u32) {
            let c = c.encode_utf8(&mut buf);
            for t in [format!("x{c}"), format!("{c} {c}y"), format!("Н{c}\u{301}")] {
                check_skeleton_into(&t);
            }
        }
    }

    #[test]
    fn word_and_chunk_checks_match_byte_loops() {
        for b in 0u8..0x80 {
            let w = u64::from_le_bytes([b, b'A', b'z', b'\t', b' ', b, b'[', b'@']);
            let z = zero_bytes(w ^ 0x2020_2020_2020_2020).to_le_bytes();
            let zw: Vec<bool> = w.to_le_bytes().iter().map(|&x| x == b' ').collect();
            assert_eq!(z.map(|x| x == 0x80).to_vec(), zw);
        }
        let special = [
            b' ', b'\t', b'\n', 0x0b, 0x0c, b'\r', 0x08, 0x0e, b'Z', 0x80, 0xd0, b'-',
        ];
        let mut x: u64 = 1;
        for _ in 0..50_000 {
            let mut c = [0u8; CHUNK + 1];
            for b in &mut c {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = if x % 64 < 62 {
                    b'a'
                } else {
                    special[(x >> 8) as usize % special.len()]
                };
            }
            let want = (1..=CHUNK).all(|k| {
                let gap = |b: u8| b == b' ' || b == b'-';
                c[k] < 0x80 && !matches!(c[k], 9..=13) && !(gap(c[k]) && gap(c[k - 1]))
            });
            let got =
                clean_chunk(c[1..].try_into().unwrap(), c[..CHUNK].try_into().unwrap()).is_some();
            assert_eq!(got, want, "{c:?}");
        }
    }

    #[test]
    fn hyphens_anywhere_in_long_ascii_runs() {
        for t in [
            "export-control",
            "a - b",
            "a--b",
            "-x",
            "x-",
            "x-\u{301}",
            "x -\ty",
            "x-\u{200b}-y",
        ] {
            check(t);
        }
        // A hyphen or two at every position of a 100-byte ASCII text, so
        // that some fall on the edges of the 32- and 8-byte steps.
        let base = "Alibaba and ByteDance weigh H200 orders if Beijing approves the export of AI chips to China soon ok";
        for i in 1..base.len() {
            for ins in ["-", "--", " -", "- ", "-\n"] {
                let mut t = base.to_owned();
                t.insert_str(i, ins);
                check(&t);
            }
        }
    }

    #[test]
    fn combining_marks_after_runs_and_spaces() {
        for t in [
            "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH\u{301}",
            "ЭКСПОРТ\u{301} чипы\u{308}",
            "a  \u{301}b",
            "x\n\u{301}y",
            "，\u{301}Ｈ\u{301}",
            "\u{a0}\u{301} \u{3000}\u{3000}z",
            "ﾊﾞ ｶﾞ ﾟ",
        ] {
            check(t);
        }
    }
}
