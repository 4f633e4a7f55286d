//! [`Sketch`]: the MinHash signature of an item's text, and what goes into
//! it: the title and the first [`BODY_WORDS`] words of the body, links
//! removed, normalized as the matcher normalizes (`Form::Folded`), cut into
//! words as NEAR counts them (each CJK character a word), and shingled
//! into runs of [`SHINGLE_WORDS`] consecutive words.
//!
//! Every shingle is hashed once (64 bits). One-permutation MinHash: the
//! top 7 bits of the hash pick one of [`HASHES`] bins, and each bin keeps
//! the least of the low 32 bits of its shingles' hashes; a bin no shingle
//! fell in takes the value of another by optimal densification
//! (Shrivastava, ICML 2017; [`densified`]). Each value is stored as its low
//! 16 bits (b-bit MinHash: two different minima agree by chance with
//! probability 2^-16, which adds at most 0.00002 to an estimate). The share
//! of equal values of two sketches estimates the Jaccard index of their
//! shingle sets; for texts of a few hundred shingles its standard deviation
//! is about `sqrt(J (1 - J) / 128)`, 0.043 at 0.6, as with 128
//! permutations (a test checks the estimate's mean).
//!
//! Why one permutation: 128 independent permutations (a multiply-xorshift
//! of each shingle's hash with 128 seeds) cost 128 hash evaluations per
//! shingle: 29 µs per item of the syndication set for the hashing alone,
//! twice `Engine::scan` of the same item. One permutation costs one
//! evaluation per shingle plus the densification of the empty bins
//! (BENCHMARKS.md, "Stories").
//!
//! The hashes are fixed here, not taken from `std` (whose `DefaultHasher`
//! may change between releases): sketches are shared between instances
//! ([`super::Signature`]), so a change to anything in this file that
//! changes a sketch must change [`SCHEME`].

use std::borrow::Cow;

use crate::text::normalize::{Form, normalize};
use crate::text::words::{first_word_spans_into, word_spans};

/// Number of MinHash values in a sketch.
pub const HASHES: usize = 128;

/// Words per shingle. 2 (word pairs; pairs of characters in Chinese),
/// chosen on the syndication set (BENCHMARKS.md, "Stories"): with single
/// words, look-alike stories on one subject merge once the threshold is
/// lowered (pairwise precision 0.954 at 0.4); with 3 words, copies with a
/// paragraph or boilerplate added fall below 0.6 (recall 0.924, against
/// 0.949 for pairs). Pairs keep precision at 0.997 or more from 0.4 up.
pub const SHINGLE_WORDS: usize = 2;

/// Words of the body that count (after the title's). Bounds the work per
/// item whatever the body's length; boilerplate appended by syndicators
/// usually falls past it in full-length wire stories.
pub const BODY_WORDS: usize = 300;

/// Bytes of the body normalized to find its first [`BODY_WORDS`] words:
/// 16 per word, more than a Russian word and its space take in UTF-8.
const BODY_BYTES: usize = BODY_WORDS * 16;

/// The version of the sketch: how texts become shingles and shingles
/// values. Part of every exported [`super::Signature`]; an instance
/// refuses signatures of another scheme.
pub const SCHEME: u32 = 1;

/// How text is cut into shingles: the defaults above, or others for the
/// evaluation's sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shingling {
    /// Words per shingle, at least 1.
    pub words: usize,
    /// Words of the body that count.
    pub body_words: usize,
}

impl Shingling {
    pub(crate) const DEFAULT: Shingling = Shingling {
        words: SHINGLE_WORDS,
        body_words: BODY_WORDS,
    };
}

/// The MinHash signature of one item's title and start of body.
#[derive(Clone, PartialEq, Eq)]
pub struct Sketch {
    values: [u16; HASHES],
    /// Shingles hashed (with repeats); 0 for a text without words.
    shingles: u32,
}

impl std::fmt::Debug for Sketch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sketch")
            .field("shingles", &self.shingles)
            .field("values", &&self.values[..4])
            .finish_non_exhaustive()
    }
}

impl Sketch {
    /// The sketch of an item's `title` and `body` (either may be empty).
    /// Time linear in the title's length plus at most [`BODY_WORDS`] words
    /// of the body, whatever its length.
    pub fn of(title: &str, body: &str) -> Sketch {
        Self::with(Shingling::DEFAULT, title, body)
    }

    pub(crate) fn with(shingling: Shingling, title: &str, body: &str) -> Sketch {
        let title = normalize(&without_links(title), Form::Folded);
        let body = normalize(&without_links(prefix(body, BODY_BYTES)), Form::Folded);
        let mut words: Vec<u64> = word_spans(&title)
            .iter()
            .map(|&(s, e)| word_hash(&title.as_bytes()[s as usize..e as usize]))
            .collect();
        let mut spans = Vec::new();
        first_word_spans_into(&body, shingling.body_words, &mut spans);
        words.extend(
            spans
                .iter()
                .map(|&(s, e)| word_hash(&body.as_bytes()[s as usize..e as usize])),
        );
        let k = shingling.words.clamp(1, words.len().max(1));
        // One permutation, 128 bins: the top 7 bits of a shingle's hash
        // pick its bin, the low 32 bits are its value there; each bin keeps
        // the least.
        let mut mins = [u32::MAX; HASHES];
        let mut filled = 0u128;
        let mut shingles = 0u32;
        for run in words.windows(k) {
            let h = shingle_hash(run);
            let bin = (h >> 57) as usize;
            mins[bin] = mins[bin].min(h as u32);
            filled |= 1 << bin;
            shingles += 1;
        }
        Sketch {
            values: densified(&mins, filled),
            shingles,
        }
    }

    /// A sketch from its values, as exported ([`Sketch::values`]); `None`
    /// unless there are [`HASHES`] of them.
    pub fn from_values(values: &[u16]) -> Option<Sketch> {
        Some(Sketch {
            values: values.try_into().ok()?,
            shingles: u32::MAX,
        })
    }

    /// The MinHash values.
    pub fn values(&self) -> &[u16; HASHES] {
        &self.values
    }

    /// True for a text without words: it is a story of its own, never
    /// joined and never kept.
    pub fn is_empty(&self) -> bool {
        self.shingles == 0
    }

    /// The estimated Jaccard index of the two texts' shingles, in `[0, 1]`:
    /// the share of equal values.
    pub fn similarity(&self, other: &Sketch) -> f64 {
        equal_values(&self.values, &other.values) as f64 / HASHES as f64
    }
}

/// How many of two sketches' values are equal.
#[inline]
pub(crate) fn equal_values(a: &[u16; HASHES], b: &[u16; HASHES]) -> usize {
    a.iter().zip(b).filter(|(x, y)| x == y).count()
}

/// The bins' minima as values (their low 16 bits), each empty bin taking
/// the value of a filled one: the first filled bin in a sequence of bins
/// fixed for it (optimal densification, Shrivastava 2017). Two texts
/// whose bin is empty in both probe the same sequence, so the values agree
/// exactly when the first bin filled in either holds a shingle of both:
/// with probability J, as for a filled bin. No bin filled: all zero.
fn densified(mins: &[u32; HASHES], filled: u128) -> [u16; HASHES] {
    let mut values = [0u16; HASHES];
    if filled == 0 {
        return values;
    }
    for (i, v) in values.iter_mut().enumerate() {
        let mut bin = i;
        let mut attempt = 0u64;
        while filled & (1 << bin) == 0 {
            attempt += 1;
            bin = (mix64((i as u64) << 32 | attempt) >> 57) as usize;
        }
        *v = mins[bin] as u16;
    }
    values
}

/// SplitMix64's output function: a bijection of `u64`.
#[inline]
const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const K: u64 = 0x9e37_79b9_7f4a_7c15;

/// A 64-bit hash of a word's bytes, eight at a time.
#[inline]
fn word_hash(bytes: &[u8]) -> u64 {
    let mut h = (bytes.len() as u64).wrapping_mul(K);
    for chunk in bytes.chunks(8) {
        let mut b = [0u8; 8];
        b[..chunk.len()].copy_from_slice(chunk);
        h = (h ^ u64::from_le_bytes(b)).wrapping_mul(K).rotate_left(29);
    }
    mix64(h)
}

/// The 64-bit hash of a run of words, in order.
#[inline]
fn shingle_hash(words: &[u64]) -> u64 {
    mix64(
        words
            .iter()
            .fold(0u64, |h, &w| (h.rotate_left(21) ^ w).wrapping_mul(K)),
    )
}

/// The first `max` bytes of `text`, cut back to a character boundary.
fn prefix(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// `text` with its links replaced by spaces: a run of ASCII letters,
/// digits, `+`, `-` and `.` followed by `://`, or a `www.` not preceded by
/// a letter or digit, up to the next white space or non-ASCII character.
/// Syndicators append and rewrite links; their words say nothing of the
/// story.
pub(crate) fn without_links(text: &str) -> Cow<'_, str> {
    if !text.contains("://") && !text.contains("www.") {
        return Cow::Borrowed(text);
    }
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        let start = if b[i..].starts_with(b"://") {
            let mut s = i;
            while s > copied && (b[s - 1].is_ascii_alphanumeric() || b"+-.".contains(&b[s - 1])) {
                s -= 1;
            }
            Some(s)
        } else if b[i..].starts_with(b"www.") && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            Some(i)
        } else {
            None
        };
        match start {
            Some(s) => {
                let mut end = i;
                while end < b.len() && b[end].is_ascii() && !b[end].is_ascii_whitespace() {
                    end += 1;
                }
                // `s` and `end` sit next to ASCII bytes: character boundaries.
                out.push_str(&text[copied..s]);
                out.push(' ');
                copied = end;
                i = end;
            }
            None => i += 1,
        }
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}
