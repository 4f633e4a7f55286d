//! What each normalization [`Form`] makes of one segment of text, and the
//! character rules of SPEC section 2a that every form shares: invisible
//! characters removed and trade-mark signs made spaces before NFKC, Unicode
//! full case folding, Russian `ё` as `е`, hyphens and white space as one
//! space.
//!
//! This is the definition both the per-character tables (`tables.rs`) and
//! the slow path of the fast normalizer (`mod.rs`) are built from; the
//! plain reference (`reference.rs`) applies the same steps to a whole text.

use icu_casemap::CaseMapper;
use unicode_normalization::UnicodeNormalization;
use unicode_security::skeleton;

use crate::text::words::is_ignorable;

/// How a text is normalized for matching (SPEC sections 2 and 2a). Every
/// form removes Default_Ignorable_Code_Points, turns trade-mark signs into
/// spaces, applies NFKC, folds `ё` to `е` and turns hyphens and every run of
/// white space into one space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Form {
    /// Also Unicode full case folding (`STRASSE`, `Straße` and `STRAẞE` are
    /// one word): how every term is matched.
    Folded,
    /// No case folding: the exact check of a case-sensitive term.
    CaseKept,
    /// The UTS #39 skeleton of the NFKC text, then case folded: look-alike
    /// letters of other scripts become one (Cyrillic `Н200` and Latin
    /// `H200`). Sets with `confusables = true` are also matched in this form.
    Skeleton,
}

/// Hyphens that join words the way a space separates them (SPEC 2a: "hyphens
/// and spaces between words are interchangeable"): the hyphen-minus, the
/// Unicode hyphens U+2010 and U+2011, and the hyphens of other scripts
/// (Armenian, Hebrew maqaf, Canadian syllabics, Mongolian, the double and
/// oblique hyphens, the katakana-hiragana double hyphen, and the small and
/// full-width hyphen-minus). Dashes (en, em, figure) are not hyphens: they
/// separate phrases, not parts of a compound word. The soft hyphen U+00AD is
/// invisible and removed, not a space.
#[inline]
pub fn is_hyphen(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{058A}'
            | '\u{05BE}'
            | '\u{1400}'
            | '\u{1806}'
            | '\u{2010}'
            | '\u{2011}'
            | '\u{2E17}'
            | '\u{2E1A}'
            | '\u{2E40}'
            | '\u{30A0}'
            | '\u{FE63}'
            | '\u{FF0D}'
    )
}

/// Signs publishers glue to names (`NVIDIA™`, `Blackwell®`): the trade
/// mark, service mark, registered, copyright and sound recording signs, and
/// the raised MC, MD and MR signs. They become a space before NFKC (which
/// would spell `™` as `TM` and glue it to the name), so a name followed by
/// one still matches, alone or inside a phrase (SPEC 2a).
#[inline]
pub fn is_trade_mark_sign(c: char) -> bool {
    matches!(
        c,
        '\u{00A9}' | '\u{00AE}' | '\u{2117}' | '\u{2120}' | '\u{2122}' | '\u{1F16A}'..='\u{1F16C}'
    )
}

/// Russian `ё` and `Ё` as `е` and `Е` (SPEC 2a); other characters as they
/// are.
#[inline]
pub fn yo_as_ye(c: char) -> char {
    match c {
        'ё' => 'е',
        'Ё' => 'Е',
        c => c,
    }
}

/// Pushes what `c`, a character of NFKC (or skeleton) output, becomes:
/// case folded when `fold`, `ё` as `е`, white space and hyphens as `' '`.
fn finish(c: char, fold: bool, push: &mut impl FnMut(char)) {
    let mut last = |c: char| {
        push(if c.is_whitespace() || is_hyphen(c) {
            ' '
        } else {
            yo_as_ye(c)
        });
    };
    if fold && !c.is_ascii() {
        let mut buf = [0u8; 4];
        CaseMapper::new()
            .fold_string(c.encode_utf8(&mut buf))
            .chars()
            .for_each(last);
    } else if fold {
        last(c.to_ascii_lowercase());
    } else {
        last(c);
    }
}

/// Normalizes `text` in `form` and pushes the result character by
/// character, white space and hyphens as `' '` (not yet collapsed: the
/// caller collapses runs). Correct on any text; the fast normalizer calls it
/// on one segment at a time (a cut before a character that NFKC never
/// composes or reorders across), which gives the same result as on the
/// whole text.
pub(super) fn normalize_segment(text: &str, form: Form, push: &mut impl FnMut(char)) {
    let visible = text
        .chars()
        .filter(|&c| !is_ignorable(c))
        .map(|c| if is_trade_mark_sign(c) { ' ' } else { c });
    match form {
        Form::Folded => visible.nfkc().for_each(|c| finish(c, true, push)),
        Form::CaseKept => visible.nfkc().for_each(|c| finish(c, false, push)),
        Form::Skeleton => {
            let nfkc: String = visible.nfkc().map(yo_as_ye).collect();
            skeleton(&nfkc).for_each(|c| finish(c, true, push));
        }
    }
}
