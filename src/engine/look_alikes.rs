//! Which fields the skeleton pass reads (SPEC 2a, confusables: a set with
//! `confusables = true` also matches text whose letters are look-alikes
//! from another script).
//!
//! The folded pass already finds every occurrence whose characters are the
//! term's own; the skeleton pass adds the occurrences where some character
//! of the text is a look-alike of the term's from another script. A field
//! none of whose characters can take part in such an occurrence is not
//! read:
//!
//! * ASCII letters and digits are one script, Latin: their look-alikes of
//!   each other (`0` and `O`, `l` and `I`) are not another script's
//!   (`ascii_text_is_one_script_and_skips_the_skeleton_pass`), nor is
//!   punctuation (typographic quotes and dashes).
//! * A character that is its own skeleton (a CJK ideograph, Cyrillic `д`)
//!   takes part in such an occurrence only as a character of a term that
//!   has a look-alike of another script in it: `Hвидиa`, with a Latin `H`
//!   and `a`, is a look-alike of the term `Нвидиа`, whose `в`, `и` and `д`
//!   are their own skeletons. Such characters are marked.
//! * A character whose skeleton is another (Cyrillic `р` is `p`; `于` is
//!   U+1B122) takes part only where some term's skeleton has a character
//!   of its skeleton: marked when one has.
//! * When some term that is not ASCII has a look-alike in ASCII (`НАТО`,
//!   `HATO`), every field is read, ASCII ones too.
//!
//! On generated news with the default watchlist the pass then skips the
//! Chinese fields (none of its confusable Chinese terms has a look-alike of
//! another script, and `于` has nothing to match): BENCHMARKS.md, "Seventh
//! session".

use std::collections::{HashMap, HashSet};

use super::automaton::case_variants;
use crate::text::normalize::char_skeleton;
use crate::text::words::has_non_ascii_word_char;

/// The fields the skeleton pass reads; see the module documentation.
#[derive(Debug)]
pub struct LookAlikes {
    /// Every field is read: some term that is not ASCII has an ASCII
    /// skeleton.
    everywhere: bool,
    /// Bit set over the BMP: a non-ASCII character that may take part in
    /// an occurrence only the skeleton pass finds. Every character above
    /// the BMP may.
    may: Box<[u64]>,
}

impl LookAlikes {
    /// Whether the skeleton pass reads a field of text `text`: a letter,
    /// digit or mark of it may take part in an occurrence of a look-alike.
    pub fn reads(&self, text: &str) -> bool {
        self.everywhere || has_non_ascii_word_char(text, |k| self.may_block(k), |c| self.may(c))
    }

    /// Whether some character of the block `64 k..64 k + 63` may.
    #[inline]
    fn may_block(&self, k: usize) -> bool {
        self.may.get(k).is_none_or(|&w| w != 0)
    }

    #[inline]
    fn may(&self, c: char) -> bool {
        let cp = c as usize;
        self.may
            .get(cp / 64)
            .is_none_or(|w| w >> (cp % 64) & 1 != 0)
    }
}

/// Collects the confusable terms' skeletons for [`LookAlikes`].
#[derive(Debug, Default)]
pub struct LookAlikesBuilder {
    everywhere: bool,
    /// For each character of a term's skeleton, the characters of the
    /// terms (as written, in lower and in upper case; lowercased here)
    /// whose skeleton has it.
    owners: HashMap<char, HashSet<String>>,
    /// Some term has a character whose skeleton the table does not give
    /// alone (a combining mark): every character that is not its own
    /// skeleton is marked.
    any_hard: bool,
    /// The non-ASCII characters that are their own skeletons and may stand
    /// in a look-alike where a term has a character of another script.
    own_look_alikes: HashSet<char>,
}

impl LookAlikesBuilder {
    /// Adds a confusable term: `body`, as written without its `*`, and
    /// the skeletons the skeleton automaton holds for it.
    pub fn add<'k>(&mut self, body: &str, skeletons: impl IntoIterator<Item = &'k str>) {
        let skeletons: Vec<&str> = skeletons.into_iter().collect();
        self.everywhere |= !body.is_ascii() && skeletons.iter().any(|k| k.is_ascii());
        let mut buf = [0u8; 8];
        let mut all = false;
        for v in case_variants(body) {
            for t in v.chars() {
                let Some(s) = char_skeleton(t, &mut buf) else {
                    // White space, or a character of the full path's.
                    if !t.is_whitespace() && t != '-' {
                        self.any_hard = true;
                        all = true;
                    }
                    continue;
                };
                for x in s.chars() {
                    self.owners
                        .entry(x)
                        .or_default()
                        .insert(t.to_lowercase().collect());
                }
                if t.is_ascii() || own(s, t) {
                    continue;
                }
                if s.is_ascii() {
                    // `Нвидиа`'s `Н` is `H`: a look-alike may have ASCII
                    // there (`Hвидиa`), and only the term's other
                    // characters are not ASCII.
                    all = true;
                } else {
                    // `力` is `カ`: text with `カ` there is a look-alike.
                    self.own_look_alikes
                        .extend(s.chars().filter(|x| !x.is_ascii()));
                }
            }
        }
        if all {
            self.own_look_alikes.extend(
                skeletons
                    .iter()
                    .flat_map(|k| k.chars())
                    .filter(|c| !c.is_ascii()),
            );
        }
    }

    /// The fields to read for the terms added.
    pub fn build(self) -> LookAlikes {
        let mut may = vec![0u64; 0x10000 / 64].into_boxed_slice();
        let mut mark = |cp: u32| may[cp as usize / 64] |= 1 << (cp % 64);
        let mut buf = [0u8; 8];
        // The characters that are their own skeleton and stand in a
        // look-alike; looked up from the set rather than the set from each
        // of 60,000 characters (a tenth of the start-up's instructions).
        for &c in &self.own_look_alikes {
            if char_skeleton(c, &mut buf).is_some_and(|s| own(s, c)) {
                mark(c as u32);
            }
        }
        for cp in 0x80..0x10000u32 {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            let marked = match char_skeleton(c, &mut buf) {
                // A mark, an invisible character: the full path's, which
                // may join it to its neighbours; read.
                None => true,
                Some(s) if own(s, c) => false, // above
                // `р` is `p`: marked where the terms' skeletons have every
                // character of its skeleton (a match begins and ends on
                // the original's character boundaries, so it holds all of
                // `ö`'s `o` and U+0308 or none), one of them from a term's
                // character other than `р` (`p` in `chip`): the term's own
                // `士` in text is found by the folded pass.
                Some(s) => {
                    let other = |t: &String| !t.chars().eq(c.to_lowercase());
                    self.any_hard
                        || (s.chars().all(|x| self.owners.contains_key(&x))
                            && s.chars().any(|x| {
                                self.owners.get(&x).is_some_and(|ts| ts.iter().any(other))
                            }))
                }
            };
            if marked {
                mark(cp);
            }
        }
        LookAlikes {
            everywhere: self.everywhere,
            may,
        }
    }
}

/// `s`, a skeleton, is the character `c` itself.
fn own(s: &str, c: char) -> bool {
    let mut chars = s.chars();
    chars.next() == Some(c) && chars.next().is_none()
}
