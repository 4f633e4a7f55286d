//! The toml crate's nesting limit, shared by the watchlist and the
//! configuration file, and where a document passes it.
//!
//! The toml parser refuses arrays and inline tables nested more than
//! [`MAX_DEPTH`] deep ("cannot recurse further", with the place), and keys
//! of more than [`MAX_DEPTH`] dotted parts, in a key or a table header
//! ("recursion limit", with no place at all: toml 1.2 gives that one error
//! no span). [`error_at`] finds the place of both, so that every TOML error
//! names its line.
//!
//! Pure: no I/O; knows nothing of what the documents mean.

use toml::de::DeTable;

/// How deep the toml parser lets arrays and inline tables nest, and how
/// many dotted parts a key or table header may have: 80 (toml's own limit,
/// not configurable). `[[[…]]]` 80 deep parses, 81 deep is an error; so is
/// a key of 81 parts (`a.a.….a = 1`, 80 dots).
pub const MAX_DEPTH: usize = 80;

/// The byte offset in `src` that the TOML error `e` (from parsing `src`)
/// is about: its span, or, for a key past [`MAX_DEPTH`] parts (the error
/// toml reports without a span), the start of the first line that, parsed
/// alone, has that error. `None` when neither is found.
///
/// A key or table header is on one line (TOML allows no line break in a
/// dotted key), so the line alone has the key's error too; only a line
/// with [`MAX_DEPTH`] dots or more can hold such a key, so most lines are not parsed
/// again and no line more than once.
pub fn error_at(src: &str, e: &toml::de::Error) -> Option<usize> {
    if let Some(span) = e.span() {
        return Some(span.start);
    }
    let mut at = 0;
    for line in src.split_inclusive('\n') {
        let dots = line.bytes().filter(|&b| b == b'.').count();
        // Every error of the line, so that one the line alone has before
        // the key (an inline table left open for the next line) hides none.
        if dots >= MAX_DEPTH
            && DeTable::parse_recoverable(line)
                .1
                .iter()
                .any(|e| e.span().is_none())
        {
            return Some(at);
        }
        at += line.len();
    }
    None
}

/// The message of the TOML error `e`: toml's own, but for a key past the
/// limit, which says "recursion limit" only, a sentence naming the limit.
pub fn message(e: &toml::de::Error) -> String {
    if e.span().is_none() && e.message().trim() == "recursion limit" {
        format!("a key or table header has more than the {MAX_DEPTH} dotted parts TOML takes")
    } else {
        e.message().trim().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(src: &str) -> Option<toml::de::Error> {
        DeTable::parse(src).err()
    }

    #[test]
    fn arrays_and_inline_tables_nest_80_deep_and_no_deeper() {
        let array = |n: usize| format!("a = {}1{}\n", "[".repeat(n), "]".repeat(n));
        let table = |n: usize| format!("a = {}1{}\n", "{a=".repeat(n), "}".repeat(n));
        assert!(error(&array(MAX_DEPTH)).is_none());
        assert!(error(&table(MAX_DEPTH)).is_none());
        for src in [array(MAX_DEPTH + 1), table(MAX_DEPTH + 1)] {
            let e = error(&src).expect("too deep");
            assert!(e.span().is_some(), "{e}");
            assert_eq!(
                message(&e),
                "cannot recurse further; max recursion depth met"
            );
        }
    }

    #[test]
    fn a_key_past_the_limit_is_found_on_its_line() {
        let key = |parts: usize| vec!["a"; parts].join(".");
        assert!(error(&format!("{} = 1\n", key(MAX_DEPTH))).is_none());
        assert!(error(&format!("[{}]\n", key(MAX_DEPTH))).is_none());
        let deep = key(MAX_DEPTH + 1);
        let cases = [
            format!("x = 1\n# {deep}\ny = \"{deep}\"\n{deep} = 1\n"),
            format!("x = 1\n# {deep}\ny = \"{deep}\"\n[{deep}]\n"),
            format!("x = 1\n# {deep}\ny = \"{deep}\"\n[[{deep}]]\n"),
            format!("x = 1\n# {deep}\ny = \"{deep}\"\nz = {{ {deep} = 1,\n}}\n"),
        ];
        for src in cases {
            let e = error(&src).expect("a key too deep");
            assert!(e.span().is_none(), "toml gave it a span now: {e}");
            let line = src[..error_at(&src, &e).expect("found")].lines().count() + 1;
            assert_eq!(line, 4, "{src}");
            assert_eq!(
                message(&e),
                "a key or table header has more than the 80 dotted parts TOML takes"
            );
        }
    }

    #[test]
    fn a_100k_part_key_is_found_fast() {
        let src = format!("x = 1\n{} = 1\n", vec!["a"; 100_000].join("."));
        let started = std::time::Instant::now();
        let e = error(&src).expect("too deep");
        assert_eq!(error_at(&src, &e), Some(6));
        assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
    }
}
