//! Per-character tables of the Basic Multilingual Plane for the fast path
//! of `normalize_into`: what a character normalizes to alone in its segment,
//! and where NFKC segments may start (Unicode UAX #15, the quick check and
//! canonical combining classes of `unicode-normalization`).
//!
//! Built once, lazily ([`warm_up`] forces it); read-only afterwards. Knows
//! nothing of offsets or of the text being normalized.

use std::sync::LazyLock;

use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

/// Per-character facts about the Basic Multilingual Plane, computed once
/// from the Unicode tables of `unicode-normalization` and `std`.
pub(super) struct Tables {
    /// For a BMP character: what it normalizes to, lowercased, when alone in
    /// its segment and that is one BMP character (white space as `' '`), 0
    /// meaning "take the slow path"; `BOUNDARY` set when a segment may start
    /// before it. One load per character on the hot path.
    pub(super) lower: Box<[u32]>,
    /// Same for the case-sensitive pass, without lowercasing.
    pub(super) keep: Box<[u32]>,
    /// Bit set: a segment may start before this character.
    pub(super) boundary: Box<[u64]>,
}

/// Flag in `Tables::lower` and `Tables::keep`: a segment may start before
/// this character.
pub(super) const BOUNDARY: u32 = 1 << 16;

pub(super) static TABLES: LazyLock<Tables> = LazyLock::new(|| {
    let mut lower = vec![0u32; 0x10000].into_boxed_slice();
    let mut keep = vec![0u32; 0x10000].into_boxed_slice();
    let mut boundary = vec![0u64; 0x10000 / 64].into_boxed_slice();
    for cp in 0..0x10000u32 {
        let Some(c) = char::from_u32(cp) else {
            continue; // surrogates
        };
        if !has_boundary_before(c) {
            continue;
        }
        boundary[cp as usize / 64] |= 1 << (cp % 64);
        lower[cp as usize] = BOUNDARY;
        keep[cp as usize] = BOUNDARY;
        if cp == 0 {
            continue;
        }
        // A character alone in its segment normalizes to its NFKC (a stable
        // character to itself); keep that when it is one BMP character.
        let d = if is_stable(c) {
            c
        } else {
            let mut k = std::iter::once(c).nfkc();
            match (k.next(), k.next()) {
                (Some(d), None) if (d as u32) < 0x10000 && d != '\0' => d,
                _ => continue,
            }
        };
        if d.is_whitespace() {
            lower[cp as usize] |= b' ' as u32;
            keep[cp as usize] |= b' ' as u32;
            continue;
        }
        keep[cp as usize] |= d as u32;
        let mut l = d.to_lowercase();
        if let (Some(one), None) = (l.next(), l.next())
            && (one as u32) < 0x10000
        {
            lower[cp as usize] |= one as u32;
        }
    }
    Tables {
        lower,
        keep,
        boundary,
    }
});

/// Forces the one-time table build (some 20 ms) off the hot path.
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
pub(super) fn has_boundary_before(c: char) -> bool {
    let starter = |c: char| {
        canonical_combining_class(c) == 0
            && is_nfkc_quick(std::iter::once(c)) != IsNormalized::Maybe
    };
    starter(c) && std::iter::once(c).nfkd().next().is_none_or(starter)
}

/// A segment may start before `c` (see [`has_boundary_before`]): one bit
/// test for the BMP.
#[inline]
pub(super) fn starts_segment(c: char) -> bool {
    let cp = c as u32;
    if cp < 0x10000 {
        return TABLES.boundary[cp as usize / 64] & (1 << (cp % 64)) != 0;
    }
    has_boundary_before(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_ideographs_are_identity_segment_starts() {
        // The fast path in `normalize_into` relies on this.
        let t = &*TABLES;
        for cp in 0x4000u32..=0x9FFF {
            assert_eq!(t.lower[cp as usize], cp | BOUNDARY, "U+{cp:04X}");
            assert_eq!(t.keep[cp as usize], cp | BOUNDARY, "U+{cp:04X}");
        }
    }
}
