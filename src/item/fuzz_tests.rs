//! Fuzzing item decoding (issue 13): arbitrary bytes, JSON-like token soup
//! and structured mutations of valid items, in both formats. Decoding
//! never panics; a rejection says where its problem is (the byte offset of
//! invalid UTF-8, serde_json's line and column, the fields looked at, the
//! kind of the whole value); an accepted item goes through the engine to
//! alerts. Then the adversarial classes, 100,000-deep nesting among them.

use std::sync::{Arc, LazyLock};
use std::time::SystemTime;

use proptest::prelude::*;

use super::{BOM, DecodeOptions, Format, Provenance, Rejection, decode, strip_bom};
use crate::alert::{AlertOptions, alerts_for};
use crate::engine::{Engine, Scratch};
use crate::fuzz_support::{COMPACT_WATCHLIST, apply, edits, soup};
use crate::watchlist::Watchlist;

/// Pieces of JSON items, escapes and debris included.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    " ",
    "\n",
    "\"",
    "\\",
    "\"title\"",
    "\"summary\"",
    "\"body\"",
    "\"id\"",
    "\"lang\"",
    "\"url\"",
    "\"Nvidia H200 export licence\"",
    "\"экспорт чипов\"",
    "\"芯片出口许可\"",
    "\"\\ud83d\"",
    "\"\\ude00\"",
    "\\ud83d",
    "\\u0041",
    "\\\"",
    "1",
    "-0",
    "1e2",
    "1e400",
    "18446744073709551616",
    "null",
    "true",
    "\u{feff}",
    "\u{ad}",
    "e\u{301}",
    "\u{ff}",
];

/// Valid items the mutations start from.
const SEEDS: &[&str] = &[
    r#"{"id": "tass-1", "title": "Alibaba and ByteDance weigh H200 orders", "body": "Beijing gives official permission for Nvidia H200 exports", "lang": "en"}"#,
    r#"{"id": 18446744073709551616, "title": "ЭКСПОРТ чипов ИИ-чипы", "summary": "英伟达H200芯片出口许可", "url": "https://example.org/a"}"#,
    r#"{"title": "\ud83d H200 \u0041 \"quoted\" exp\u00adort", "extra": {"deep": [1, [2, {"title": "no"}]]}, "body": null}"#,
    "\u{feff}{\"id\": -0, \"body\": \"Ｈ２００ export-controls NVIDIA™\"}",
];

static ENGINE: LazyLock<Engine> = LazyLock::new(|| {
    let w = Watchlist::parse(COMPACT_WATCHLIST, None).expect("the test watchlist loads");
    Engine::build(Arc::new(w)).expect("builds")
});

/// Decoding options: either format, the default `input.max_bytes` or a
/// small one.
fn options() -> impl Strategy<Value = DecodeOptions> {
    let format = prop_oneof![3 => Just(Format::Json), 1 => Just(Format::Text)];
    let max_bytes = prop_oneof![4 => Just(1 << 20), 1 => 0usize..64];
    (format, max_bytes).prop_map(|(format, max_bytes)| DecodeOptions {
        format,
        max_bytes,
        ..DecodeOptions::default()
    })
}

/// `serde_json`'s `… at line L column C` at the end of `message`.
fn line_and_column(message: &str) -> Option<(usize, usize)> {
    let (_, at) = message.rsplit_once(" at line ")?;
    let (line, column) = at.split_once(" column ")?;
    Some((line.parse().ok()?, column.parse().ok()?))
}

/// Decodes `bytes` and checks the outcome: a rejection names where its
/// problem is, an accepted item goes through the engine to alerts.
fn check(bytes: &[u8], opts: &DecodeOptions) -> Result<(), TestCaseError> {
    let e = match decode(bytes, opts) {
        Ok(item) => {
            if opts.format == Format::Text {
                let text = std::str::from_utf8(strip_bom(bytes)).expect("accepted: UTF-8");
                prop_assert_eq!(&item.fields, &[("text", text.into())]);
            }
            prop_assert!(!item.fields.is_empty());
            let mut scratch = Scratch::new();
            let opts = AlertOptions::default();
            let now = SystemTime::UNIX_EPOCH;
            alerts_for(
                &ENGINE,
                &item,
                &Provenance::Line(1),
                &opts,
                now,
                &mut scratch,
            );
            return Ok(());
        }
        Err(e) => e,
    };
    match &e {
        Rejection::Empty => prop_assert!(bytes.is_empty(), "{}", e),
        Rejection::TooLarge { size, max } => {
            prop_assert!(*size == bytes.len() && size > max, "{}", e);
        }
        Rejection::InvalidUtf8 { offset } => {
            let valid = std::str::from_utf8(bytes).map_err(|u| u.valid_up_to());
            prop_assert_eq!(valid, Err(*offset), "{}", e);
        }
        Rejection::NotJson(message) => {
            let text = std::str::from_utf8(strip_bom(bytes)).expect("UTF-8");
            let placed = line_and_column(message);
            prop_assert!(placed.is_some(), "no line and column: {}", e);
            let (line, column) = placed.unwrap_or_default();
            let lines: Vec<&str> = text.split('\n').collect();
            prop_assert!((1..=lines.len()).contains(&line), "{}", e);
            prop_assert!(column <= lines[line - 1].len() + 1, "{}", e);
        }
        Rejection::NotObject(kind) => {
            // The whole value: its first character says what it is.
            let text = std::str::from_utf8(strip_bom(bytes)).expect("UTF-8");
            let first = text
                .trim_start_matches([' ', '\t', '\n', '\r'])
                .chars()
                .next();
            let want = match first {
                Some('[') => "an array",
                Some('"') => "a string",
                Some('-' | '0'..='9') => "a number",
                Some('t' | 'f') => "a boolean",
                Some('n') => "null",
                other => return Err(TestCaseError::fail(format!("{e} for {other:?}"))),
            };
            prop_assert_eq!(*kind, want);
        }
        Rejection::NoText { fields, .. } => {
            let want = match opts.format {
                Format::Text => "`text`".to_owned(),
                Format::Json => "`title`, `summary`, `body`".to_owned(),
            };
            prop_assert_eq!(fields, &want);
        }
    }
    prop_assert!(Rejection::REASONS.contains(&e.reason()));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_decode_or_are_rejected_naming_where(
        bytes in prop::collection::vec(any::<u8>(), 0..256),
        opts in options(),
    ) {
        check(&bytes, &opts)?;
    }

    #[test]
    fn json_token_soup_decodes_or_is_rejected_naming_where(
        text in soup(TOKENS, 48),
        opts in options(),
    ) {
        check(text.as_bytes(), &opts)?;
    }

    #[test]
    fn mutated_items_decode_or_are_rejected_naming_where(
        seed in prop::sample::select(SEEDS),
        edits in edits(TOKENS),
        opts in options(),
    ) {
        check(&apply(seed.as_bytes(), &edits), &opts)?;
    }
}

/// 100,000 levels: far past serde_json's recursion limit (128) and any
/// stack, had decoding recursed once per level.
const DEEP: usize = 100_000;

/// Runs `f` on a thread with a 256 KiB stack, a tenth of the reload
/// thread's: decoding 100,000 levels must not recurse on them.
fn on_a_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no overflow, no panic")
}

/// What a decoded item holds, owned: its id and fields.
#[derive(Debug, PartialEq, Eq)]
struct Decoded {
    id: Option<String>,
    fields: Vec<(String, String)>,
}

/// Decodes `json` with the default options on a small stack.
fn decoded(json: String) -> Result<Decoded, Rejection> {
    on_a_small_stack(move || {
        let opts = DecodeOptions::default();
        let item = decode(json.as_bytes(), &opts)?;
        Ok(Decoded {
            id: item.id.map(|id| id.into_owned()),
            fields: item
                .fields
                .into_iter()
                .map(|(name, text)| (name.to_owned(), text.into_owned()))
                .collect(),
        })
    })
}

#[test]
fn a_100k_deep_json_array_is_rejected_as_not_an_object_not_overflowed() {
    let json = format!("{}{}", "[".repeat(DEEP), "]".repeat(DEEP));
    assert_eq!(decoded(json), Err(Rejection::NotObject("an array")));
}

#[test]
fn a_100k_deep_json_object_is_skipped_as_an_unknown_member_not_overflowed() {
    // `{"a":{"a":…1}}`: "a" is no field to scan, so it is skipped, and
    // without a field the item has no text.
    let deep = |inner: &str| format!("{}{inner}{}", "{\"a\":".repeat(DEEP), "}".repeat(DEEP));
    let e = decoded(deep("1")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "no scannable text in fields `title`, `summary`, `body`"
    );
    // Next to a title, the item is decoded; the depth costs nothing.
    let json = format!(r#"{{"a": {}, "title": "H200 export"}}"#, deep("1"));
    let item = decoded(json).expect("decoded");
    assert_eq!(item.fields, [("title".into(), "H200 export".into())]);
}

#[test]
fn a_100k_deep_value_in_the_id_or_a_field_is_named_for_what_it_is() {
    let array = format!("{}{}", "[".repeat(DEEP), "]".repeat(DEEP));
    let item = decoded(format!(r#"{{"id": {array}, "title": "H200"}}"#)).expect("decoded");
    assert_eq!(
        item.id, None,
        "an id that is no string or number: the fallback applies"
    );
    let e = decoded(format!(r#"{{"title": {array}}}"#)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "no scannable text in fields `title`, `summary`, `body` (`title` is an array, not a string)"
    );
}

#[test]
fn a_100k_deep_unclosed_json_nesting_is_rejected_at_its_end() {
    let e = decoded("[".repeat(DEEP)).unwrap_err();
    assert_eq!(
        e,
        Rejection::NotJson(format!("EOF while parsing a list at line 1 column {DEEP}"))
    );
    let e = decoded("{\"a\":".repeat(DEEP)).unwrap_err();
    assert_eq!(
        e,
        Rejection::NotJson(format!(
            "EOF while parsing a value at line 1 column {}",
            5 * DEEP
        ))
    );
    let e = decoded(format!("{{\"title\": \"x\", \"id\": {}", "[".repeat(DEEP))).unwrap_err();
    assert_eq!(
        e,
        Rejection::NotJson(format!(
            "EOF while parsing a list at line 1 column {}",
            DEEP + 21
        ))
    );
}

#[test]
fn a_bom_then_deep_nesting_counts_the_bom_in_no_position() {
    // The BOM is skipped before JSON is read: serde_json's columns are of
    // the text after it, as for an item without one.
    let json = [BOM, "[".repeat(10).as_bytes()].concat();
    let e = decode(&json, &DecodeOptions::default()).unwrap_err();
    assert_eq!(
        e,
        Rejection::NotJson("EOF while parsing a list at line 1 column 10".into())
    );
}
