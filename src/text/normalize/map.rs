//! The offset map of a normalized text: which bytes of the original each
//! stretch of the normalized text stands for (see the module documentation of
//! `text::normalize` for linear, char-linear and atomic pieces).
//!
//! Owns [`NormText`] and its lookups; does no normalizing itself (that is the
//! fast path in `normalize/mod.rs`, which appends through the `pub(super)`
//! methods here).

/// How the output of a [`Piece`] lines up with its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The output stands for the input span as a whole.
    Atomic,
    /// Output byte `k` of the piece stands for input byte `k`.
    Linear,
    /// Output character `k` of the piece stands for input character `k`,
    /// of another UTF-8 length maybe (the skeleton's Latin `p` for a
    /// Cyrillic `р`). Looking up an offset inside walks the characters
    /// before it, so such a piece holds at most [`MAX_CHARS_PIECE`] bytes
    /// of output ([`NormText::open_chars`]).
    Chars,
}

/// The most output bytes of a [`Kind::Chars`] piece: a lookup inside one
/// walks at most this many bytes of output and the characters of input
/// they stand for.
const MAX_CHARS_PIECE: usize = 256;

/// One stretch of the offset map; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Piece {
    /// First byte of the normalized text this piece produced.
    norm: u32,
    /// First byte of the original text it stands for.
    orig: u32,
    kind: Kind,
}

/// A normalized text with its map back to the original. Reused between calls
/// (`normalize_into` clears it) so the hot path does not allocate.
#[derive(Debug, Default, Clone)]
pub struct NormText {
    /// The normalized text, appended to by the fast path.
    pub(super) text: String,
    /// Sorted by `norm`; the first starts at byte 0 when the text is not empty.
    pieces: Vec<Piece>,
    /// Byte length of the original text: where the last atomic piece ends.
    orig_len: u32,
    /// Where the input of the last piece ends when that piece is
    /// [`Kind::Chars`]: a character-for-character stretch that starts there
    /// extends it.
    chars_end: u32,
}

impl NormText {
    /// An empty text with an empty map; allocates nothing until used.
    pub fn new() -> Self {
        Self::default()
    }

    /// The normalized text.
    #[inline]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Maps the normalized byte range `start..end` (on character boundaries,
    /// `start < end`) to the smallest range of `original`, the text this was
    /// normalized from, that produced it, on character boundaries of
    /// `original`.
    pub fn original_range(&self, original: &str, start: usize, end: usize) -> (usize, usize) {
        debug_assert!(start < end && end <= self.text.len());
        (
            self.start_in(original, self.piece_at(start), start),
            self.end_in(original, self.piece_at(end - 1), end),
        )
    }

    /// As [`original_range`](Self::original_range), but `None` when `start`
    /// or `end` falls inside the output of an atomic piece: the range would
    /// begin or end inside what one original character (or combining
    /// sequence) became, such as the `m` of the `tm` that `™` became. SPEC
    /// section 2a: a match starts and ends on original character boundaries.
    pub fn aligned_original_range(
        &self,
        original: &str,
        start: usize,
        end: usize,
    ) -> Option<(usize, usize)> {
        debug_assert!(start < end && end <= self.text.len());
        let first = self.piece_at(start);
        let p = self.pieces[first];
        if p.kind == Kind::Atomic && p.norm as usize != start {
            return None;
        }
        let last = self.piece_at(end - 1);
        let q = self.pieces[last];
        let next = self.pieces.get(last + 1);
        if q.kind == Kind::Atomic && next.map_or(self.text.len(), |n| n.norm as usize) != end {
            return None;
        }
        Some((
            self.start_in(original, first, start),
            self.end_in(original, last, end),
        ))
    }

    /// Where in `original` output from `norm` on begins, `norm` being in
    /// piece `k`: the start of an atomic piece's input.
    fn start_in(&self, original: &str, k: usize, norm: usize) -> usize {
        match self.pieces[k].kind {
            Kind::Atomic => self.pieces[k].orig as usize,
            _ => self.inside(original, k, norm),
        }
    }

    /// Where in `original` output up to `norm` ends, `norm - 1` being in
    /// piece `k`: the end of an atomic piece's input, where the next piece
    /// starts.
    fn end_in(&self, original: &str, k: usize, norm: usize) -> usize {
        match self.pieces[k].kind {
            Kind::Atomic => self
                .pieces
                .get(k + 1)
                .map_or(self.orig_len as usize, |n| n.orig as usize),
            _ => self.inside(original, k, norm),
        }
    }

    /// The offset in `original` of normalized offset `norm`, a character
    /// boundary at or after the start of piece `k` (linear or char-linear)
    /// and at most at the end of its output.
    fn inside(&self, original: &str, k: usize, norm: usize) -> usize {
        let p = self.pieces[k];
        let into = norm - p.norm as usize;
        if p.kind == Kind::Linear {
            return p.orig as usize + into;
        }
        let chars = self.text[p.norm as usize..norm].chars().count();
        original[p.orig as usize..]
            .char_indices()
            .nth(chars)
            .map_or(original.len(), |(at, _)| p.orig as usize + at)
    }

    fn piece_at(&self, norm: usize) -> usize {
        // Pieces are sorted by `norm`; find the last one starting at or before.
        self.pieces.partition_point(|p| p.norm as usize <= norm) - 1
    }

    pub(super) fn clear(&mut self, orig_len: usize) {
        self.text.clear();
        self.pieces.clear();
        self.orig_len = orig_len as u32;
        self.chars_end = u32::MAX;
    }

    /// Starts the map entry for output about to be appended, standing for
    /// input from `orig` on. `linear` is the caller's promise that output and
    /// input have the same length and align character by character.
    #[inline]
    pub(super) fn open_piece(&mut self, orig: usize, linear: bool) {
        self.open_piece_at(self.text.len(), orig, linear);
    }

    /// As `open_piece`, for output that starts at `norm` (at or after the
    /// start of the last piece).
    #[inline]
    pub(super) fn open_piece_at(&mut self, norm: usize, orig: usize, linear: bool) {
        if linear
            && let Some(last) = self.pieces.last()
            && last.kind == Kind::Linear
            && last.orig as usize + (norm - last.norm as usize) == orig
        {
            return; // continues the current linear piece
        }
        self.chars_end = u32::MAX;
        self.pieces.push(Piece {
            norm: norm as u32,
            orig: orig as u32,
            kind: if linear { Kind::Linear } else { Kind::Atomic },
        });
    }

    /// Starts the map entry for `out_len` bytes of output about to be
    /// appended that stand for `orig..orig + in_len` character for
    /// character: as many characters as the input, each for the one at the
    /// same place, of any UTF-8 length. Continues the last piece when that
    /// is such a stretch ending at `orig` and stays within
    /// [`MAX_CHARS_PIECE`] bytes of output with this one. Output longer
    /// than a quarter of that is a copy of its input (a run) and gets a
    /// linear piece, looked up without counting.
    #[inline(always)]
    pub(super) fn open_chars(&mut self, orig: usize, in_len: usize, out_len: usize) {
        let norm = self.text.len();
        if out_len > MAX_CHARS_PIECE / 4 {
            debug_assert_eq!(in_len, out_len, "a long char-linear stretch is a copy");
            return self.open_piece_at(norm, orig, true);
        }
        let continues = self.chars_end as usize == orig
            && self
                .pieces
                .last()
                .is_some_and(|last| norm + out_len - last.norm as usize <= MAX_CHARS_PIECE);
        if !continues {
            self.pieces.push(Piece {
                norm: norm as u32,
                orig: orig as u32,
                kind: Kind::Chars,
            });
        }
        self.chars_end = (orig + in_len) as u32;
    }

    pub(super) fn ends_with_space(&self) -> bool {
        self.text.as_bytes().last() == Some(&b' ')
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::normalize::{Form, normalize_into};

    #[test]
    fn maps_back_to_original_offsets() {
        let text = "Ｎｖｉｄｉａ  H200 и\u{a0}ЧИПЫ";
        let mut n = NormText::new();
        normalize_into(text, Form::Folded, &mut n);
        let norm = n.as_str();
        for (term, orig) in [
            ("nvidia", "Ｎｖｉｄｉａ"),
            ("h200", "H200"),
            ("чипы", "ЧИПЫ"),
        ] {
            let s = norm.find(term).expect("term present");
            let (a, b) = n.original_range(text, s, s + term.len());
            assert_eq!(&text[a..b], orig);
        }
        let s = norm.find("h200 и чипы").expect("phrase present");
        let (a, b) = n.original_range(text, s, s + "h200 и чипы".len());
        assert_eq!(&text[a..b], "H200 и\u{a0}ЧИПЫ");
    }

    #[test]
    fn char_linear_pieces_stay_short_and_long_runs_are_linear() {
        // Russian, whose skeleton mixes Latin look-alikes and runs, then a
        // long run of CJK ideographs (their own skeleton).
        let russian = "Минторг разрешил поставки чипов H200 ".repeat(40);
        let text = format!("{russian}{}", "英伟达芯片出口许可".repeat(20));
        let mut n = NormText::new();
        normalize_into(&text, Form::Skeleton, &mut n);
        let len = |k: usize| {
            n.pieces
                .get(k + 1)
                .map_or(n.text.len(), |q| q.norm as usize)
                - n.pieces[k].norm as usize
        };
        let chars: Vec<usize> = (0..n.pieces.len())
            .filter(|&k| n.pieces[k].kind == Kind::Chars)
            .collect();
        assert!(chars.len() > 1, "{:?}", n.pieces);
        for &k in &chars {
            assert!(len(k) <= MAX_CHARS_PIECE, "piece {k}: {} bytes", len(k));
        }
        let last = n.pieces.len() - 1;
        assert_eq!(n.pieces[last].kind, Kind::Linear, "the CJK run");
        assert!(len(last) > MAX_CHARS_PIECE);
        let cjk = text.find('英').expect("CJK");
        let at = n.text.find('英').expect("CJK out");
        assert_eq!(n.original_range(&text, at, n.text.len()), (cjk, text.len()));
    }

    #[test]
    fn ascii_text_keeps_a_short_map() {
        let text = "Alibaba and ByteDance weigh H200 orders if Beijing approves.\nMore text.";
        let mut n = NormText::new();
        normalize_into(text, Form::Folded, &mut n);
        assert_eq!(n.pieces.len(), 1);
        assert_eq!(n.original_range(text, 28, 32), (28, 32));
    }
}
