//! Text as the matcher sees it (SPEC sections 2 and 2a): normalization with
//! a map back to original offsets ([`normalize`]), and words: the CJK
//! predicate, word boundaries next to a match and word spans for NEAR
//! ([`words`]); sentences and paragraphs for `NEAR/S` and `NEAR/P`
//! ([`units`]).
//!
//! Both the watchlist (to normalize terms) and the engine (to normalize and
//! match fields) use these, so a term and the text it is matched against go
//! through one definition. This module owns the character-level rules only:
//! it must not import `watchlist` or `engine`, and knows nothing of terms,
//! matches, rules or I/O.

pub mod normalize;
pub mod units;
pub mod words;

/// The code point and length of the character that starts at byte `i` of
/// `b`, UTF-8 (from a `&str`: the bytes are not checked).
#[inline(always)]
pub(crate) fn char_at(b: &[u8], i: usize) -> (u32, usize) {
    if b[i] < 0x80 {
        (u32::from(b[i]), 1)
    } else {
        decode(b, i)
    }
}

/// [`char_at`] for a non-ASCII character.
#[inline(always)]
pub(crate) fn decode(b: &[u8], i: usize) -> (u32, usize) {
    let b0 = b[i] as u32;
    if b0 < 0xE0 {
        (((b0 & 0x1F) << 6) | (b[i + 1] as u32 & 0x3F), 2)
    } else if b0 < 0xF0 {
        (
            ((b0 & 0x0F) << 12) | ((b[i + 1] as u32 & 0x3F) << 6) | (b[i + 2] as u32 & 0x3F),
            3,
        )
    } else {
        (
            ((b0 & 0x07) << 18)
                | ((b[i + 1] as u32 & 0x3F) << 12)
                | ((b[i + 2] as u32 & 0x3F) << 6)
                | (b[i + 3] as u32 & 0x3F),
            4,
        )
    }
}
