//! Lone surrogate escapes in JSON strings (SPEC section 2a, "Input
//! debris"). JSON writes a character outside the Basic Multilingual Plane as
//! a UTF-16 surrogate pair of escapes (`\ud83d\ude00` is 😀); encoders that
//! cut UTF-16 text mid-pair leave half of one (`"… approved \ud83d"`).
//! serde_json refuses such a lone surrogate when it decodes a string, which
//! would reject the whole article; SPEC says it decodes to U+FFFD.
//!
//! This is a repair for the error path only: the decoder parses the text as
//! it is, and only when that fails rewrites the escapes here and parses
//! again, so clean items pay nothing.

/// `json` with every unpaired surrogate escape in its strings (`\uD800` to
/// `\uDFFF`, any case of hex digits, that is not a high surrogate directly
/// followed by a low one) rewritten to `\uFFFD`, or `None` when there is
/// none.
///
/// The rewrite keeps the length: each escape stays six bytes, so every
/// other byte keeps its offset (serde_json's line and column for any other
/// error still point into the original text). Escapes are read as JSON
/// reads them: `\\ud83d` is an escaped backslash followed by the text
/// `ud83d`, not an escape. Text outside strings is left alone; where it is
/// not JSON, parsing fails on it again.
pub(super) fn replace_lone_surrogates(json: &str) -> Option<String> {
    let b = json.as_bytes();
    let mut out: Option<String> = None;
    let mut in_string = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                in_string = !in_string;
                i += 1;
            }
            b'\\' if in_string => {
                if b.get(i + 1) != Some(&b'u') {
                    // A two-byte escape (`\"`, `\\`, `\n`, ...), or a
                    // dangling backslash at the end.
                    i += 2;
                    continue;
                }
                let Some(unit) = hex4(b, i + 2) else {
                    i += 2; // not an escape serde_json accepts either
                    continue;
                };
                let paired = is_high(unit)
                    && b.get(i + 6..i + 8) == Some(b"\\u")
                    && hex4(b, i + 8).is_some_and(is_low);
                if paired {
                    i += 12; // a pair: one character
                    continue;
                }
                if is_high(unit) || is_low(unit) {
                    // Six ASCII bytes replaced by six: char boundaries hold.
                    out.get_or_insert_with(|| json.to_owned())
                        .replace_range(i + 2..i + 6, "FFFD");
                }
                i += 6;
            }
            _ => i += 1,
        }
    }
    out
}

/// The UTF-16 code unit written as four hex digits at `b[at..at + 4]`.
fn hex4(b: &[u8], at: usize) -> Option<u16> {
    let digits = b.get(at..at + 4)?;
    digits.iter().try_fold(0u16, |n, &d| {
        let v = char::from(d).to_digit(16)?;
        Some(n << 4 | v as u16)
    })
}

fn is_high(unit: u16) -> bool {
    (0xD800..=0xDBFF).contains(&unit)
}

fn is_low(unit: u16) -> bool {
    (0xDC00..=0xDFFF).contains(&unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_unpaired_surrogate_becomes_the_replacement_character() {
        let cases = [
            // A high surrogate at the end of a string, mid-string, before a
            // non-surrogate escape, before another high one.
            (r#"{"t": "approved \ud83d"}"#, r#"{"t": "approved \uFFFD"}"#),
            (r#"{"t": "a \uD83D b"}"#, r#"{"t": "a \uFFFD b"}"#),
            (r#"{"t": "\ud83d\u0041"}"#, r#"{"t": "\uFFFD\u0041"}"#),
            (
                r#"{"t": "\ud83d\ud83d\ude00"}"#,
                r#"{"t": "\uFFFD\ud83d\ude00"}"#,
            ),
            // A low surrogate alone, or after a complete pair.
            (r#"{"t": "\udc00 x"}"#, r#"{"t": "\uFFFD x"}"#),
            (
                r#"{"t": "\ud83d\ude00\ude00"}"#,
                r#"{"t": "\ud83d\ude00\uFFFD"}"#,
            ),
            // In a key, and in a string after escaped quotes.
            (r#"{"\udfff": "\" \ud800"}"#, r#"{"\uFFFD": "\" \uFFFD"}"#),
        ];
        for (input, want) in cases {
            let got = replace_lone_surrogates(input);
            assert_eq!(got.as_deref(), Some(want), "{input}");
            assert_eq!(want.len(), input.len(), "the same length: {input}");
        }
    }

    #[test]
    fn pairs_escaped_backslashes_and_other_text_are_left_alone() {
        for input in [
            r#"{"t": "\ud83d\ude00"}"#,
            r#"{"t": "\\ud83d"}"#,
            r#"{"t": "\\\\ud83d \\\"ud83d"}"#,
            r#"{"t": "\u00e9 \uFFFD \uD7FF \uE000"}"#,
            // Outside strings there are no escapes (and this is not JSON).
            r#"{"t": 1} \ud83d"#,
            // Not four hex digits: serde_json's error stands.
            r#"{"t": "\ud83"}"#,
            r#"{"t": "\"#,
        ] {
            assert_eq!(replace_lone_surrogates(input), None, "{input}");
        }
        // An escaped backslash, then a real lone escape.
        assert_eq!(
            replace_lone_surrogates(r#"["\\ud83d \ud83d"]"#).as_deref(),
            Some(r#"["\\ud83d \uFFFD"]"#)
        );
    }

    #[test]
    fn every_other_byte_keeps_its_offset() {
        let input = "{\"title\": \"H200 \\ud83d export\", \"body\": \"x\\udc00y H200\"}";
        let out = replace_lone_surrogates(input).unwrap();
        assert_eq!(out.len(), input.len());
        let changed: Vec<usize> = (0..input.len())
            .filter(|&i| input.as_bytes()[i] != out.as_bytes()[i])
            .collect();
        let first = input.find("d83d").unwrap();
        let second = input.find("dc00").unwrap();
        assert_eq!(
            changed,
            [
                first,
                first + 1,
                first + 2,
                first + 3,
                second,
                second + 1,
                second + 2,
                second + 3
            ]
        );
        assert_eq!(out.find("H200"), input.find("H200"));
        assert_eq!(out.rfind("H200"), input.rfind("H200"));
    }
}
