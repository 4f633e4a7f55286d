//! The plain definition of normalization that the fast path must equal on
//! every input: the steps of [`Form`] (invisible characters removed, NFKC of
//! the whole text, then case folding, `ё` as `е`, hyphens and white space as
//! spaces) applied to the whole text at once, then every run of spaces as
//! one. Slow and map-free: tests and benchmarks compare against it; the
//! engine never calls it.

use super::form::{Form, normalize_segment};

/// The plain definition the fast paths must agree with (see the module
/// documentation). Slow; used by tests and benchmarks.
pub fn reference(text: &str, form: Form) -> String {
    let mut s = String::with_capacity(text.len());
    normalize_segment(text, form, &mut |c| {
        if c != ' ' || !s.ends_with(' ') {
            s.push(c);
        }
    });
    s
}
