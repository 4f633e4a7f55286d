//! The plain definition of normalization that the fast path must equal on
//! every input: NFKC (Unicode UAX #15) of the whole text, then full
//! lowercasing character by character, then every run of white space as one
//! space. Slow and map-free: tests and benchmarks compare against it; the
//! engine never calls it.

use unicode_normalization::UnicodeNormalization;

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
