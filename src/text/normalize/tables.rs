//! Per-character tables of the Basic Multilingual Plane for the fast path
//! of `normalize_into`: what a character normalizes to alone in its segment
//! in each [`Form`], and where NFKC segments may start (Unicode UAX #15, the
//! quick check and canonical combining classes of `unicode-normalization`).
//!
//! Built once per form, lazily ([`warm_up`] forces the folded one; the
//! skeleton table is built on first use, by engines with confusable sets);
//! read-only afterwards. Knows nothing of offsets or of the text being
//! normalized.

use std::sync::LazyLock;

use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

use super::form::{Form, normalize_segment};
use crate::text::words::is_ignorable;

/// What the characters of the Basic Multilingual Plane normalize to in one
/// form, computed once from the Unicode tables.
pub(super) struct Table {
    /// For a BMP character: `BOUNDARY` set when a segment may start before
    /// it; then in the low 16 bits what it normalizes to alone in its
    /// segment when that is one BMP character (white space and hyphens as
    /// `' '`), or with `EXPAND` set an index into `expansions`; 0 in the low
    /// bits means "take the slow path". One load per character on the hot
    /// path.
    pub(super) entries: Box<[u32]>,
    /// Outputs of several characters (`ß` as `ss`, `ﬁ` as `fi`) or of one
    /// above the BMP, without white space.
    pub(super) expansions: Vec<Box<str>>,
}

/// Flag in [`Table::entries`]: a segment may start before this character.
pub(super) const BOUNDARY: u32 = 1 << 16;

/// Flag in [`Table::entries`]: the low 16 bits index
/// [`Table::expansions`].
pub(super) const EXPAND: u32 = 1 << 17;

impl Table {
    fn build(form: Form) -> Table {
        let mut entries = vec![0u32; 0x10000].into_boxed_slice();
        let mut expansions: Vec<Box<str>> = Vec::new();
        let mut out = String::new();
        for cp in 1..0x10000u32 {
            let Some(c) = char::from_u32(cp) else {
                continue; // surrogates
            };
            // `starts_segment`: the bit set, built once for every form
            // (the slow check was two thirds of a start-up's table builds).
            if !starts_segment(c) {
                continue;
            }
            out.clear();
            normalize_segment(c.encode_utf8(&mut [0; 4]), form, &mut |o| out.push(o));
            if !output_starts_with_starter(form, &out) {
                continue; // see `starts_segment_slow_in`
            }
            let e = &mut entries[cp as usize];
            *e = BOUNDARY;
            let mut chars = out.chars();
            match (chars.next(), chars.next()) {
                (Some(d), None) if (d as u32) < 0x10000 && d != '\0' => *e |= d as u32,
                // Several characters, or one above the BMP (the skeletons
                // of the common `于`, `季` and `正` are U+1B122, U+2EC5C
                // and U+1D376): they would otherwise take the slow path at
                // every occurrence, and send a whole field to the mapped
                // skeleton loop.
                (Some(_), _) if !out.contains(' ') && expansions.len() < 0x10000 => {
                    *e |= EXPAND | expansions.len() as u32;
                    expansions.push(out.as_str().into());
                }
                _ => {}
            }
        }
        Table {
            entries,
            expansions,
        }
    }
}

static FOLDED: LazyLock<Table> = LazyLock::new(|| Table::build(Form::Folded));
static CASE_KEPT: LazyLock<Table> = LazyLock::new(|| Table::build(Form::CaseKept));
static SKELETON: LazyLock<Table> = LazyLock::new(|| Table::build(Form::Skeleton));

/// Per BMP character, its skeleton as the map-free skeleton loop writes it
/// (`super::skeleton_into`): up to six UTF-8 bytes in the low 48 bits
/// (the first in the lowest byte; `й` is the five of `ᴎ` and U+0306) and
/// their count in bits 48 to 51; or
/// [`PLAIN_SPACE`] (white space and hyphens, written as one space), or
/// [`PLAIN_HARD`], left to the full path: no segment starts before the
/// character (a combining mark, an invisible character), or the table has
/// no output for it alone, or that is longer than six bytes. Derived from
/// the skeleton [`Table`]; 512 KiB, built on first use.
pub(super) static PLAIN_SKELETON: LazyLock<Box<[u64]>> = LazyLock::new(|| {
    let t = table(Form::Skeleton);
    (0..0x10000u32)
        .map(|cp| {
            let e = t.entries[cp as usize];
            let m = e & 0xFFFF;
            let mut buf = [0u8; 4];
            let out: &str = if e & BOUNDARY == 0 {
                return PLAIN_HARD;
            } else if e & EXPAND != 0 {
                &t.expansions[m as usize]
            } else if m == u32::from(b' ') {
                return PLAIN_SPACE;
            } else {
                match char::from_u32(m).filter(|_| m != 0) {
                    Some(c) => c.encode_utf8(&mut buf),
                    None => return PLAIN_HARD,
                }
            };
            if out.len() > PLAIN_MAX_BYTES {
                return PLAIN_HARD;
            }
            let mut bytes = [0u8; 8];
            bytes[..out.len()].copy_from_slice(out.as_bytes());
            u64::from_le_bytes(bytes) | (out.len() as u64) << 48
        })
        .collect()
});

/// The most bytes of a character's skeleton in [`PLAIN_SKELETON`].
pub(super) const PLAIN_MAX_BYTES: usize = 6;

/// [`PLAIN_SKELETON`]: a space, written unless the output ends with one.
pub(super) const PLAIN_SPACE: u64 = 1 << 52;

/// [`PLAIN_SKELETON`]: the map-free loop leaves the text to the full path.
pub(super) const PLAIN_HARD: u64 = 1 << 53;

/// Bit set over the BMP: a segment may start before this character.
static BOUNDARIES: LazyLock<Box<[u64]>> = LazyLock::new(|| {
    let mut bits = vec![0u64; 0x10000 / 64].into_boxed_slice();
    for cp in 0..0x10000u32 {
        if char::from_u32(cp).is_some_and(starts_segment_slow) {
            bits[cp as usize / 64] |= 1 << (cp % 64);
        }
    }
    bits
});

/// The table of `form`, built on first use.
pub(super) fn table(form: Form) -> &'static Table {
    match form {
        Form::Folded => &FOLDED,
        Form::CaseKept => &CASE_KEPT,
        Form::Skeleton => &SKELETON,
    }
}

/// Forces the one-time build of the tables of `forms` (some tens of
/// milliseconds each), and for the skeleton also [`PLAIN_SKELETON`], off
/// the hot path.
pub fn warm_up(forms: &[Form]) {
    LazyLock::force(&BOUNDARIES);
    for &f in forms {
        table(f);
        if f == Form::Skeleton {
            LazyLock::force(&PLAIN_SKELETON);
        }
    }
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

/// A segment may start before `c`: NFKC does not compose or reorder across
/// the cut ([`has_boundary_before`]), and `c` is not an invisible character
/// (those are removed before NFKC, so a mark after one still combines with
/// the letter before it: they belong to the segment of that letter).
pub(super) fn starts_segment_slow(c: char) -> bool {
    has_boundary_before(c) && !is_ignorable(c)
}

/// A segment of `form` may start before `c`: [`starts_segment_slow`], and
/// for the skeleton form also a skeleton that starts with a starter. UTS
/// #39's skeleton ends with NFD, which reorders combining marks; a
/// character whose skeleton starts with one (Thaana U+07A8 becomes the
/// Arabic kasra U+0650, class 32) can move before the marks of the
/// character ahead of it (`¸` is a space and U+0326, class 220), so it
/// belongs to that character's segment.
pub(super) fn starts_segment_slow_in(form: Form, c: char) -> bool {
    if !starts_segment_slow(c) {
        return false;
    }
    if form != Form::Skeleton {
        return true;
    }
    let mut out = String::new();
    normalize_segment(c.encode_utf8(&mut [0; 4]), form, &mut |o| out.push(o));
    output_starts_with_starter(form, &out)
}

/// `out`, a character's normalization in `form`, cannot be reordered with
/// what comes before it: always, but for the skeleton form, whose first
/// character must be a starter (canonical combining class 0).
fn output_starts_with_starter(form: Form, out: &str) -> bool {
    form != Form::Skeleton
        || out
            .chars()
            .next()
            .is_none_or(|f| canonical_combining_class(f) == 0)
}

/// [`starts_segment_slow_in`], one bit test for the BMP.
#[inline]
pub(super) fn starts_segment_in(form: Form, c: char) -> bool {
    let cp = c as u32;
    match form {
        Form::Skeleton if cp < 0x10000 => table(form).entries[cp as usize] & BOUNDARY != 0,
        Form::Skeleton => starts_segment_slow_in(form, c),
        _ => starts_segment(c),
    }
}

/// A segment may start before `c` (see [`starts_segment_slow`]): one bit
/// test for the BMP.
#[inline]
pub(super) fn starts_segment(c: char) -> bool {
    let cp = c as u32;
    if cp < 0x10000 {
        return BOUNDARIES[cp as usize / 64] & (1 << (cp % 64)) != 0;
    }
    starts_segment_slow(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_ideographs_are_identity_segment_starts() {
        // The fast path in `normalize_into` relies on this.
        for form in [Form::Folded, Form::CaseKept] {
            let t = table(form);
            for cp in 0x4000u32..=0x9FFF {
                assert_eq!(t.entries[cp as usize], cp | BOUNDARY, "U+{cp:04X}");
            }
        }
    }

    #[test]
    fn cyrillic_letters_a_to_ya_are_segment_starts_folded_two_bytes_for_two() {
        // The Cyrillic fast paths in `normalize_into` rely on this: а-я are
        // their own entry in both forms (they join runs), А-Я their own
        // when case is kept and, when folded, а-я, U+0020 further on and
        // two bytes for two (they are written as that small letter).
        for cp in 0x0410u32..=0x044F {
            let small = if cp < 0x0430 { cp + 0x20 } else { cp };
            assert_eq!(
                table(Form::Folded).entries[cp as usize],
                small | BOUNDARY,
                "U+{cp:04X}"
            );
            assert_eq!(
                table(Form::CaseKept).entries[cp as usize],
                cp | BOUNDARY,
                "U+{cp:04X}"
            );
        }
    }

    #[test]
    fn cyrillic_lead_bytes_d0_d1_start_a_segment_in_every_form() {
        // `no_mark_at` in `normalize_into` takes a character with lead byte
        // D0 or D1 (U+0400..=U+047F) for the start of a new segment.
        for form in [Form::Folded, Form::CaseKept, Form::Skeleton] {
            for cp in 0x0400u32..=0x047F {
                assert_ne!(
                    table(form).entries[cp as usize] & BOUNDARY,
                    0,
                    "U+{cp:04X} in {form:?}"
                );
            }
        }
    }

    #[test]
    fn a_character_whose_skeleton_starts_with_a_mark_starts_no_skeleton_segment() {
        // Thaana U+07A8 is a starter whose skeleton is the kasra U+0650.
        assert!(starts_segment('\u{7a8}'));
        assert!(!starts_segment_in(Form::Skeleton, '\u{7a8}'));
        assert!(starts_segment_in(Form::Folded, '\u{7a8}'));
        assert!(starts_segment_in(Form::Skeleton, 'a'));
    }

    #[test]
    fn invisible_characters_start_no_segment_and_have_no_entry() {
        for c in [
            '\u{ad}', '\u{200b}', '\u{200d}', '\u{2060}', '\u{feff}', '\u{fe0f}',
        ] {
            assert!(!starts_segment(c), "{c:?}");
            assert_eq!(table(Form::Folded).entries[c as usize], 0, "{c:?}");
        }
        assert!(!starts_segment('\u{e0041}'), "a tag character");
    }

    #[test]
    fn expansions_hold_multi_character_outputs() {
        let t = table(Form::Folded);
        let e = t.entries['ß' as usize];
        assert_eq!(e & (BOUNDARY | EXPAND), BOUNDARY | EXPAND);
        assert_eq!(&*t.expansions[(e & 0xFFFF) as usize], "ss");
        assert_eq!(t.entries['Ё' as usize], BOUNDARY | 'е' as u32);
        assert_eq!(t.entries['\u{2010}' as usize], BOUNDARY | ' ' as u32);
    }

    #[test]
    fn a_skeleton_above_the_bmp_is_an_expansion_and_plain() {
        // `于` (U+4E8E, "at", in most Chinese sentences) has the skeleton
        // U+1B122: one character, four bytes.
        let t = table(Form::Skeleton);
        let e = t.entries['于' as usize];
        assert_eq!(e & (BOUNDARY | EXPAND), BOUNDARY | EXPAND);
        assert_eq!(&*t.expansions[(e & 0xFFFF) as usize], "\u{1b122}");
        let plain = PLAIN_SKELETON['于' as usize];
        assert_eq!(plain & PLAIN_HARD, 0);
        assert_eq!(plain >> 48 & 0xF, 4, "four bytes");
    }
}
