//! Characters that text from outside (news items, configuration values,
//! file names) must not carry raw to where it is printed, and their escapes.
//! Pure: it formats, the callers write.
//!
//! The characters are the control characters (C0, DEL, C1), the line and
//! paragraph separators U+2028 and U+2029, and the bidirectional
//! embeddings, overrides and isolates U+202A–U+202E and U+2066–U+2069: raw,
//! they move a terminal's cursor, recolour or clear it, end a line where a
//! reader of JSON Lines or a JavaScript parser does not expect one, or show
//! text in another order than it is stored (Trojan Source, CVE-2021-42574).
//! The bidirectional marks U+200E, U+200F and U+061C are left as they are:
//! right-to-left text uses them, and they reorder nothing past their
//! neighbours.
//!
//! - **JSON** (alerts on stdout, to Kafka and to webhooks; JSON log lines):
//!   serde_json already escapes C0 controls; [`JsonFormatter`] (through
//!   [`to_json`]) also writes the others as `\uXXXX`. The JSON parses to
//!   the same value, and is byte for byte serde_json's when the text holds
//!   none of them. [`escape_json_text`] does the same to JSON already
//!   written by another serializer (the log lines).
//! - **Human-readable lines** (stderr messages, the `check` summary):
//!   [`human`] writes each such character as Rust's `char::escape_debug`
//!   does (`\u{1b}`, `\0`, `\n`), and leaves every other character alone;
//!   [`human_lines`] keeps line feeds, for messages of several lines.

use std::borrow::Cow;
use std::fmt;
use std::io;
use std::sync::Arc;

use serde::Serialize;

/// Whether `c` is written escaped in JSON on top of serde_json's own
/// escapes (which cover `"`, `\` and the C0 controls): DEL, the C1
/// controls, U+2028, U+2029 and the bidirectional embeddings, overrides and
/// isolates.
pub fn is_escaped_in_json(c: char) -> bool {
    matches!(
        c,
        '\u{7f}'..='\u{9f}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
    )
}

/// Whether `c` is escaped in human-readable lines: every control character
/// (C0, DEL, C1; line feed and tab included) and the characters of
/// [`is_escaped_in_json`].
pub fn is_escaped_in_text(c: char) -> bool {
    c.is_control() || is_escaped_in_json(c)
}

/// A serde_json [`Formatter`](serde_json::ser::Formatter): compact, like
/// serde_json's own, with the characters of [`is_escaped_in_json`] written
/// as `\uXXXX` (lowercase hex, as serde_json writes C0 controls).
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonFormatter;

impl serde_json::ser::Formatter for JsonFormatter {
    fn write_string_fragment<W>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        write_json_escaped(writer, fragment)
    }
}

/// Writes `text` with each character of [`is_escaped_in_json`] as
/// `\uXXXX` (all of them are in the Basic Multilingual Plane: one escape
/// each).
fn write_json_escaped<W: ?Sized + io::Write>(writer: &mut W, text: &str) -> io::Result<()> {
    // Every such character starts with one of these bytes (DEL; C2 for
    // the C1 controls; E2 for U+2028 to U+2069), and only those bytes are
    // looked at (memchr): news text is full of E2 (typographic quotes and
    // dashes, U+2018 to U+201D), which are not escaped.
    let bytes = text.as_bytes();
    let mut clean = 0;
    for i in memchr::memchr3_iter(0x7f, 0xc2, 0xe2, bytes) {
        let Some(c) = text[i..].chars().next() else {
            break;
        };
        if is_escaped_in_json(c) {
            writer.write_all(&bytes[clean..i])?;
            write!(writer, "\\u{:04x}", u32::from(c))?;
            clean = i + c.len_utf8();
        }
    }
    writer.write_all(&bytes[clean..])
}

/// `value` as compact JSON through [`JsonFormatter`]: the one encoding of
/// every alert that leaves the process (stdout, Kafka, webhooks).
///
/// # Errors
///
/// serde_json's error when `value`'s `Serialize` fails (a map with keys
/// that are not strings, a custom error); never for the alert types.
pub fn to_json<T: ?Sized + Serialize>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(256);
    to_json_writer(&mut out, value)?;
    Ok(out)
}

/// [`to_json`] into one shared allocation of exactly its length, written
/// through a buffer the calling thread keeps (no growth per call): how a
/// worker encodes each alert it hands to the sinks.
///
/// # Errors
///
/// As [`to_json`].
pub fn to_json_shared<T: ?Sized + Serialize>(value: &T) -> serde_json::Result<Arc<[u8]>> {
    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUFFER.with(|b| {
        let mut buf = b.borrow_mut();
        buf.clear();
        to_json_writer(&mut *buf, value)?;
        let json = Arc::from(&buf[..]);
        // An outsized alert does not keep its buffer.
        if buf.capacity() > 1 << 20 {
            *buf = Vec::new();
        }
        Ok(json)
    })
}

/// `value` as compact JSON through [`JsonFormatter`], written to `writer`.
///
/// # Errors
///
/// As [`to_json`], and `writer`'s I/O error.
pub fn to_json_writer<W: io::Write, T: ?Sized + Serialize>(
    writer: W,
    value: &T,
) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(writer, JsonFormatter);
    value.serialize(&mut ser)
}

/// JSON text written by another serializer with the characters of
/// [`is_escaped_in_json`] escaped as `\uXXXX`. Valid JSON stays valid and
/// parses to the same value: outside strings, JSON text is ASCII.
pub fn escape_json_text(json: &str) -> Cow<'_, str> {
    if !json.chars().any(is_escaped_in_json) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_escaped_in_json(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` with each character of [`is_escaped_in_text`] escaped as
/// `char::escape_debug` writes it (`\u{1b}`, `\0`, `\n`, `\u{202e}`), for a
/// human-readable line: borrowed when there is nothing to escape.
pub fn human(text: &str) -> Cow<'_, str> {
    escape_with(text, is_escaped_in_text)
}

/// As [`human`], but line feeds are kept: for a message of several lines
/// (a watchlist's problems, one a line), each line's own text escaped.
pub fn human_lines(text: &str) -> Cow<'_, str> {
    escape_with(text, |c| c != '\n' && is_escaped_in_text(c))
}

fn escape_with(text: &str, escaped: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(&escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if escaped(c) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Displays a string as [`human`] escapes it, without allocating:
/// `format!("{}: rejected", Human(name))`.
#[derive(Debug, Clone, Copy)]
pub struct Human<'a>(pub &'a str);

impl fmt::Display for Human<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut clean = 0;
        for (i, c) in self.0.char_indices() {
            if is_escaped_in_text(c) {
                f.write_str(&self.0[clean..i])?;
                write!(f, "{}", c.escape_debug())?;
                clean = i + c.len_utf8();
            }
        }
        f.write_str(&self.0[clean..])
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    /// Every character the module escapes, and some it does not.
    const HOSTILE: &str = "a\u{1b}[31mred\u{0}\u{7}\r\n\t\u{7f}\u{80}\u{85}\u{9b}\u{9f}\
                           \u{2028}\u{2029}\u{202a}\u{202b}\u{202c}\u{202d}\u{202e}\
                           \u{2066}\u{2067}\u{2068}\u{2069}\u{200e}\u{200f}\u{61c}\"\\é😀";

    #[test]
    fn escaped_json_parses_to_the_same_value() {
        let value = json!({
            "text": HOSTILE,
            HOSTILE: [HOSTILE, 1, null, {"k": "\u{2028}"}],
        });
        let bytes = to_json(&value).unwrap();
        let text = std::str::from_utf8(&bytes).unwrap();
        assert!(
            !text
                .chars()
                .any(|c| c.is_control() || is_escaped_in_json(c)),
            "{text}"
        );
        assert!(
            text.contains(r"\u0085\u009b\u009f\u2028\u2029\u202a"),
            "{text}"
        );
        assert!(text.contains(r"\u202e\u2066"), "{text}");
        assert!(
            text.contains(r"\u001b[31mred\u0000"),
            "serde_json's own: {text}"
        );
        assert!(
            text.contains("\u{200e}\u{200f}\u{61c}"),
            "marks kept: {text}"
        );
        let back: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back, value);
    }

    proptest::proptest! {
        /// The memchr path writes what a plain character-by-character
        /// definition writes, over text dense in the lead bytes it looks
        /// for (E2 typographic quotes beside E2 separators, C2 letters
        /// beside C1 controls), and `to_json_shared` what `to_json` does.
        #[test]
        fn escaping_equals_the_per_character_definition(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "a", "\u{7f}", "\u{80}", "\u{85}", "é", "\u{a0}", "’", "“", "—",
                "\u{2028}", "\u{2029}", "\u{202e}", "\u{2066}", "\u{2069}", "\u{206a}",
                "\u{200f}", "я", "芯", "😀", "\"", "\n",
            ]), 0..40)
        ) {
            let text: String = parts.concat();
            let mut want = String::new();
            for c in text.chars() {
                if is_escaped_in_json(c) {
                    want.push_str(&format!("\\u{:04x}", u32::from(c)));
                } else {
                    want.push(c);
                }
            }
            let mut got = Vec::new();
            write_json_escaped(&mut got, &text).unwrap();
            proptest::prop_assert_eq!(String::from_utf8(got).unwrap(), want);
            let shared = to_json_shared(&text).unwrap();
            proptest::prop_assert_eq!(&shared[..], &to_json(&text).unwrap()[..]);
        }
    }

    #[test]
    fn clean_text_is_byte_identical_to_serde_json() {
        let values = [
            json!({"a": "Nvidia H200 экспорт 芯片 \"q\" \\ \n\t\u{1b} é 😀 \u{200f}", "n": [1, 2.5, -3, true, null]}),
            json!("…закупить у американской корпорации Nvidia чипы H200, которые…"),
            json!([]),
            json!({}),
        ];
        for v in values {
            assert_eq!(to_json(&v).unwrap(), serde_json::to_vec(&v).unwrap(), "{v}");
        }
    }

    #[test]
    fn json_text_from_another_serializer_is_escaped_the_same() {
        let value = json!({"msg": HOSTILE, "n": 1});
        let plain = serde_json::to_string(&value).unwrap();
        let escaped = escape_json_text(&plain);
        assert_eq!(escaped.as_bytes(), to_json(&value).unwrap());
        assert_eq!(serde_json::from_str::<Value>(&escaped).unwrap(), value);
        assert!(matches!(
            escape_json_text("{\"a\":\"é\"}"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn human_text_escapes_only_the_offending_characters() {
        assert_eq!(human("plain é 芯片 \\ \"q\""), "plain é 芯片 \\ \"q\"");
        assert!(matches!(human("plain"), Cow::Borrowed(_)));
        assert_eq!(
            human("a\u{1b}[2Jb\u{0}c\td\ne\u{85}f\u{202e}g\u{2028}h\u{7f}"),
            r"a\u{1b}[2Jb\0c\td\ne\u{85}f\u{202e}g\u{2028}h\u{7f}"
        );
        assert_eq!(human_lines("one\u{1b}\ntwo\r\n"), "one\\u{1b}\ntwo\\r\n");
        assert_eq!(Human(HOSTILE).to_string(), human(HOSTILE));
        assert!(!human(HOSTILE).chars().any(is_escaped_in_text));
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;

        proptest! {
            /// Any string, with the characters the formatter escapes mixed
            /// in, parses back to itself; without them the bytes are
            /// serde_json's.
            #[test]
            fn strings_round_trip_and_clean_ones_are_unchanged(
                s in "(\\PC|[\\x00-\\x1f\\x7f-\\u{9f}\\u{2028}\\u{2029}\\u{202a}-\\u{202e}\\u{2066}-\\u{2069}])*",
            ) {
                let bytes = to_json(&s).unwrap();
                prop_assert_eq!(serde_json::from_slice::<String>(&bytes).unwrap(), s.clone());
                let escaped = std::str::from_utf8(&bytes).unwrap();
                prop_assert!(!escaped.chars().any(|c| c.is_control() || is_escaped_in_json(c)));
                if !s.chars().any(is_escaped_in_json) {
                    prop_assert_eq!(bytes, serde_json::to_vec(&s).unwrap());
                }
            }
        }
    }
}
