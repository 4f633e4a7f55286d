//! News items (SPEC section 1): decoding a message value or an input line
//! into the fields to scan and the metadata alerts carry, or a
//! [`Rejection`] that names the problem.
//!
//! Pure: the caller says where the bytes came from ([`Provenance`]), which
//! decides the id fallback (message key, `{topic}/{partition}/{offset}`, or
//! `line:{n}`).
//!
//! - `json`: the JSON format, read in one pass over the members that matter.
//! - `surrogates`: lone surrogate escapes rewritten to U+FFFD, for JSON
//!   that serde_json refuses only for them.

mod json;
mod surrogates;

use std::borrow::Cow;

/// How message values are encoded (`input.format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// The value is a JSON object with `id`, `title`, `summary`, `body`,
    /// ... members (the default).
    Json,
    /// The whole value is UTF-8 text, scanned as the field `text`.
    Text,
}

/// A decoded news item, borrowing from the bytes it was decoded from
/// (text with JSON escapes excepted, and all of an item that had lone
/// surrogate escapes) and from the options (field names): decoding copies
/// no other text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewsItem<'a> {
    /// The JSON `id` (a string, or a number as written); `None` when absent,
    /// in which case the caller's fallback applies.
    pub id: Option<Cow<'a, str>>,
    /// The JSON `title` when it is a string; `None` otherwise and for the
    /// text format (so are the other metadata fields).
    pub title: Option<Cow<'a, str>>,
    /// The JSON `url`, as given.
    pub url: Option<Cow<'a, str>>,
    /// The JSON `source` (the publisher), as given.
    pub source: Option<Cow<'a, str>>,
    /// The JSON `lang`, as given.
    pub lang: Option<Cow<'a, str>>,
    /// The JSON `published_at` (RFC 3339 by SPEC section 1), not validated.
    pub published_at: Option<Cow<'a, str>>,
    /// The fields to scan, in `input.fields` order: (name, text). Missing,
    /// null and blank fields are left out.
    pub fields: Vec<(&'a str, Cow<'a, str>)>,
    /// The metadata fields for rules' filters (SPEC 2b), in
    /// `input.metadata_fields` order: (name, value) for each member that
    /// is a string. Empty for the text format.
    pub metadata: Vec<(&'a str, Cow<'a, str>)>,
}

/// Where an item's bytes came from: decides its id when it has no JSON `id`
/// (SPEC section 1) and the alert's `origin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provenance<'a> {
    /// A Kafka message.
    Message {
        /// The topic.
        topic: &'a str,
        /// The partition.
        partition: i32,
        /// The message's offset.
        offset: i64,
        /// The message key, if any.
        key: Option<&'a [u8]>,
    },
    /// Line `n` (1-based) of a `scan` input.
    Line(usize),
}

impl<'a> NewsItem<'a> {
    /// An item of these fields and no metadata (a text item, a test's).
    pub fn of_fields(fields: Vec<(&'a str, Cow<'a, str>)>) -> Self {
        NewsItem {
            id: None,
            title: None,
            url: None,
            source: None,
            lang: None,
            published_at: None,
            fields,
            metadata: Vec::new(),
        }
    }

    /// The metadata as (name, value) pairs, for `Engine::scan_with`.
    pub fn metadata_pairs(&self) -> Vec<(&str, &str)> {
        self.metadata
            .iter()
            .map(|(k, v)| (*k, v.as_ref()))
            .collect()
    }

    /// The item id: the JSON `id`; else, for a message, its key (when
    /// UTF-8), else `{topic}/{partition}/{offset}`; for a `scan` line,
    /// `line:{n}`.
    pub fn id_or_fallback(&self, from: &Provenance<'_>) -> String {
        if let Some(id) = &self.id {
            return id.to_string();
        }
        match *from {
            Provenance::Message {
                topic,
                partition,
                offset,
                key,
            } => key
                .and_then(|k| std::str::from_utf8(k).ok())
                .map_or_else(|| format!("{topic}/{partition}/{offset}"), str::to_owned),
            Provenance::Line(n) => format!("line:{n}"),
        }
    }
}

/// Why an item was rejected. `reason()` is the metric label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The value is empty: zero bytes (`empty`). A null value (a
    /// compaction tombstone) is not an item at all and never reaches
    /// decoding (SPEC section 1).
    #[error("the value is empty (0 bytes)")]
    Empty,
    /// The bytes are not UTF-8 (`invalid_utf8`).
    #[error("not valid UTF-8 (invalid byte at offset {offset})")]
    InvalidUtf8 {
        /// Byte offset of the first invalid byte (the length of the valid
        /// prefix).
        offset: usize,
    },
    /// The value is larger than `input.max_bytes` (`too_large`); checked
    /// before anything else.
    #[error("{size} bytes is larger than input.max_bytes ({max})")]
    TooLarge {
        /// The value's size in bytes.
        size: usize,
        /// `input.max_bytes`, in bytes.
        max: usize,
    },
    /// JSON format: the text is not JSON, or has trailing content
    /// (`not_json`); holds serde_json's message with line and column.
    #[error("not JSON: {0}")]
    NotJson(String),
    /// JSON format: valid JSON but not an object (`not_object`); holds what
    /// it is instead (`"an array"`, `"a string"`, `"null"`, ...).
    #[error("not a JSON object but {0}")]
    NotObject(&'static str),
    /// None of the fields to scan holds non-blank text (`no_text`).
    #[error("no scannable text in fields {fields}{detail}")]
    NoText {
        /// The fields looked at, each in backticks, comma-separated.
        fields: String,
        /// Empty, or ` (…, not a string)` naming fields present with a
        /// non-string value.
        detail: String,
    },
}

impl Rejection {
    /// Every [`Rejection::reason`], so each labelled series exists from the
    /// start.
    pub const REASONS: [&'static str; 6] = [
        "empty",
        "invalid_utf8",
        "too_large",
        "not_json",
        "not_object",
        "no_text",
    ];

    /// A short, fixed label for metrics and the dead-letter header.
    pub fn reason(&self) -> &'static str {
        match self {
            Rejection::Empty => "empty",
            Rejection::InvalidUtf8 { .. } => "invalid_utf8",
            Rejection::TooLarge { .. } => "too_large",
            Rejection::NotJson(_) => "not_json",
            Rejection::NotObject(_) => "not_object",
            Rejection::NoText { .. } => "no_text",
        }
    }
}

impl DecodeOptions {
    /// The fields a watchlist may scope to and filter on, for these
    /// options: `text` alone and no metadata for the text format.
    pub fn schema(&self) -> crate::watchlist::Schema {
        match self.format {
            Format::Json => crate::watchlist::Schema {
                fields: self.fields.clone(),
                metadata_fields: self.metadata_fields.clone(),
            },
            Format::Text => crate::watchlist::Schema {
                fields: vec!["text".to_owned()],
                metadata_fields: Vec::new(),
            },
        }
    }
}

/// What decoding needs from the settings.
#[derive(Debug, Clone)]
pub struct DecodeOptions {
    /// `input.format` (default JSON).
    pub format: Format,
    /// `input.fields`: the JSON members to scan, in this order (default
    /// `title`, `summary`, `body`); ignored for the text format.
    pub fields: Vec<String>,
    /// `input.metadata_fields`: the JSON members rules may filter on (SPEC
    /// 2b; default `lang`, `source`, `url`); ignored for the text format.
    pub metadata_fields: Vec<String>,
    /// `input.max_bytes`: larger values are rejected, in bytes (default
    /// 1 MiB, 1 048 576).
    pub max_bytes: usize,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            format: Format::Json,
            fields: crate::watchlist::DEFAULT_FIELDS.map(String::from).to_vec(),
            metadata_fields: crate::watchlist::DEFAULT_METADATA_FIELDS
                .map(String::from)
                .to_vec(),
            max_bytes: 1 << 20,
        }
    }
}

/// The UTF-8 byte order mark: U+FEFF encoded, the bytes EF BB BF. Editors
/// and exporters write it at the start of a file or message; it is not part
/// of the item (SPEC section 2a, "Input debris").
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// `bytes` without one leading UTF-8 [`BOM`], if they start with one. Only
/// the first is skipped: a second U+FEFF is content (a zero width no-break
/// space), which JSON refuses outside strings and matching ignores in text.
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(BOM).unwrap_or(bytes)
}

/// Decodes one message value or input line (SPEC section 1). A leading
/// UTF-8 [`BOM`] is skipped ([`strip_bom`]) in both formats; `input.max_bytes`
/// counts it, and a [`Rejection::InvalidUtf8`] offset counts from the
/// first byte of `bytes`, BOM included.
///
/// # Errors
///
/// A [`Rejection`] when the value is empty, is larger than
/// `opts.max_bytes`, is not UTF-8, is not a JSON object (JSON format), or has no non-blank text in
/// the fields to scan.
pub fn decode<'a>(bytes: &'a [u8], opts: &'a DecodeOptions) -> Result<NewsItem<'a>, Rejection> {
    if bytes.is_empty() {
        return Err(Rejection::Empty);
    }
    if bytes.len() > opts.max_bytes {
        return Err(Rejection::TooLarge {
            size: bytes.len(),
            max: opts.max_bytes,
        });
    }
    let body = strip_bom(bytes);
    // SIMD validation first (several times std's speed on non-ASCII text);
    // std only to locate the error.
    let text = match simdutf8::basic::from_utf8(body) {
        Ok(text) => text,
        Err(_) => std::str::from_utf8(body).map_err(|e| Rejection::InvalidUtf8 {
            offset: bytes.len() - body.len() + e.valid_up_to(),
        })?,
    };
    match opts.format {
        Format::Text => decode_text(text),
        Format::Json => json::decode_json(text, &opts.fields, &opts.metadata_fields),
    }
}

fn decode_text(text: &str) -> Result<NewsItem<'_>, Rejection> {
    if text.trim().is_empty() {
        return Err(Rejection::NoText {
            fields: "`text`".into(),
            detail: String::new(),
        });
    }
    Ok(NewsItem::of_fields(vec![("text", Cow::Borrowed(text))]))
}

#[cfg(test)]
mod fuzz_tests;

#[cfg(test)]
mod tests {
    use super::*;

    static DEFAULTS: std::sync::LazyLock<DecodeOptions> =
        std::sync::LazyLock::new(DecodeOptions::default);

    fn json(s: &str) -> Result<NewsItem<'_>, Rejection> {
        decode(s.as_bytes(), &DEFAULTS)
    }

    #[test]
    fn rejects_with_a_reason() {
        let cases: [(&[u8], &str); 7] = [
            (b"", "empty"),
            (b"not json", "not_json"),
            (b"[1, 2]", "not_object"),
            (b"\"text\"", "not_object"),
            (b"{\"id\": 1, \"url\": \"x\"}", "no_text"),
            (b"{\"title\": 5}", "no_text"),
            (b"{\"title\": \"\xff\"}", "invalid_utf8"),
        ];
        for (bytes, reason) in cases {
            let e = decode(bytes, &DecodeOptions::default()).unwrap_err();
            assert_eq!(e.reason(), reason, "{}", String::from_utf8_lossy(bytes));
        }
        let e = json(r#"{"title": 5}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "no scannable text in fields `title`, `summary`, `body` (`title` is a number, not a string)"
        );
    }

    #[test]
    fn a_leading_bom_is_skipped_in_both_formats() {
        let clean = r#"{"id": "a", "title": "H200 export", "lang": "ru"}"#;
        let with_bom = [BOM, clean.as_bytes()].concat();
        let opts = DecodeOptions::default();
        assert_eq!(decode(&with_bom, &opts), decode(clean.as_bytes(), &opts));
        let item = decode(&with_bom, &opts).unwrap();
        assert_eq!(item.fields, [("title", "H200 export".into())]);

        let text = DecodeOptions {
            format: Format::Text,
            ..DecodeOptions::default()
        };
        let item = decode(b"\xEF\xBB\xBFH200 export", &text).unwrap();
        assert_eq!(item.fields, [("text", "H200 export".into())]);
        // A BOM alone leaves nothing to scan; it is not an empty value.
        assert_eq!(decode(BOM, &text).unwrap_err().reason(), "no_text");
        assert_eq!(decode(b"", &text), Err(Rejection::Empty));
    }

    #[test]
    fn only_one_bom_and_only_at_the_start_is_skipped() {
        let opts = DecodeOptions::default();
        let twice = [BOM, BOM, br#"{"title": "H200"}"#].concat();
        assert_eq!(decode(&twice, &opts).unwrap_err().reason(), "not_json");
        let inside = [br#"{"title": "H200"} "#.as_slice(), BOM].concat();
        assert_eq!(decode(&inside, &opts).unwrap_err().reason(), "not_json");
        // In a string it is content (matching ignores it, SPEC section 2a).
        let item = decode("{\"title\": \"\u{feff}H200\"}".as_bytes(), &opts).unwrap();
        assert_eq!(item.fields, [("title", "\u{feff}H200".into())]);
        let text = DecodeOptions {
            format: Format::Text,
            ..DecodeOptions::default()
        };
        let twice = [BOM, BOM, b"H200"].concat();
        let item = decode(&twice, &text).unwrap();
        assert_eq!(item.fields, [("text", "\u{feff}H200".into())]);
        assert_eq!(strip_bom(b"\xEF\xBB"), b"\xEF\xBB", "a partial BOM stays");
    }

    #[test]
    fn limits_and_error_offsets_count_the_bom() {
        let clean = br#"{"title": "H200"}"#;
        let with_bom = [BOM, clean].concat();
        let opts = DecodeOptions {
            max_bytes: clean.len(),
            ..DecodeOptions::default()
        };
        assert!(decode(clean, &opts).is_ok());
        assert_eq!(
            decode(&with_bom, &opts).unwrap_err(),
            Rejection::TooLarge {
                size: clean.len() + 3,
                max: clean.len()
            }
        );
        let bad = [BOM, b"{\"title\": \"\xff\"}"].concat();
        assert_eq!(
            decode(&bad, &DecodeOptions::default()).unwrap_err(),
            Rejection::InvalidUtf8 { offset: 14 }
        );
    }

    #[test]
    fn too_large_is_checked_first() {
        let opts = DecodeOptions {
            max_bytes: 4,
            ..DecodeOptions::default()
        };
        let e = decode(b"{\"title\": \"x\"}", &opts).unwrap_err();
        assert_eq!(e.reason(), "too_large");
    }

    #[test]
    fn text_format_scans_the_whole_value() {
        let opts = DecodeOptions {
            format: Format::Text,
            ..DecodeOptions::default()
        };
        let item = decode("{not json} H200".as_bytes(), &opts).unwrap();
        assert_eq!(item.fields, [("text", "{not json} H200".into())]);
        assert_eq!(decode(b"  \n", &opts).unwrap_err().reason(), "no_text");
    }
}
