//! News items (SPEC section 1): decoding a message value or an input line
//! into the fields to scan and the metadata alerts carry, or a
//! [`Rejection`] that names the problem.
//!
//! Pure: the caller says where the bytes came from ([`Provenance`]), which
//! decides the id fallback (message key, `{topic}/{partition}/{offset}`, or
//! `line:{n}`).

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

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
/// (text with JSON escapes excepted) and from the options (field names):
/// decoding copies no text.
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

impl NewsItem<'_> {
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
    pub const REASONS: [&'static str; 5] = [
        "invalid_utf8",
        "too_large",
        "not_json",
        "not_object",
        "no_text",
    ];

    /// A short, fixed label for metrics and the dead-letter header.
    pub fn reason(&self) -> &'static str {
        match self {
            Rejection::InvalidUtf8 { .. } => "invalid_utf8",
            Rejection::TooLarge { .. } => "too_large",
            Rejection::NotJson(_) => "not_json",
            Rejection::NotObject(_) => "not_object",
            Rejection::NoText { .. } => "no_text",
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
    /// `input.max_bytes`: larger values are rejected, in bytes (default
    /// 1 MiB, 1 048 576).
    pub max_bytes: usize,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            format: Format::Json,
            fields: vec!["title".into(), "summary".into(), "body".into()],
            max_bytes: 1 << 20,
        }
    }
}

/// Decodes one message value or input line (SPEC section 1).
///
/// # Errors
///
/// A [`Rejection`] when the value is larger than `opts.max_bytes`, is not
/// UTF-8, is not a JSON object (JSON format), or has no non-blank text in
/// the fields to scan.
pub fn decode<'a>(bytes: &'a [u8], opts: &'a DecodeOptions) -> Result<NewsItem<'a>, Rejection> {
    if bytes.len() > opts.max_bytes {
        return Err(Rejection::TooLarge {
            size: bytes.len(),
            max: opts.max_bytes,
        });
    }
    // SIMD validation first (several times std's speed on non-ASCII text);
    // std only to locate the error.
    let text = match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => std::str::from_utf8(bytes).map_err(|e| Rejection::InvalidUtf8 {
            offset: e.valid_up_to(),
        })?,
    };
    match opts.format {
        Format::Text => decode_text(text),
        Format::Json => decode_json(text, &opts.fields),
    }
}

fn decode_text(text: &str) -> Result<NewsItem<'_>, Rejection> {
    if text.trim().is_empty() {
        return Err(Rejection::NoText {
            fields: "`text`".into(),
            detail: String::new(),
        });
    }
    Ok(NewsItem {
        id: None,
        title: None,
        url: None,
        source: None,
        lang: None,
        published_at: None,
        fields: vec![("text", Cow::Borrowed(text))],
    })
}

/// A JSON value as the decoder keeps it: text borrowed from the input when
/// it has no escapes, numbers as written, the kind of anything else.
enum Raw<'a> {
    Str(Cow<'a, str>),
    Number(String),
    Other(&'static str),
}

impl<'de> Deserialize<'de> for Raw<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Raw<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Raw<'de>, E> {
                Ok(Raw::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Raw<'de>, E> {
                Ok(Raw::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Raw<'de>, E> {
                Ok(Raw::Str(Cow::Owned(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Raw<'de>, E> {
                Ok(Raw::Number(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Raw<'de>, E> {
                Ok(Raw::Number(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Raw<'de>, E> {
                // Written as serde_json writes numbers (`1.0`, not `1`).
                Ok(serde_json::Number::from_f64(v)
                    .map_or(Raw::Other("a number"), |n| Raw::Number(n.to_string())))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Raw<'de>, E> {
                Ok(Raw::Other("a boolean"))
            }
            fn visit_unit<E>(self) -> Result<Raw<'de>, E> {
                Ok(Raw::Other("null"))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Raw<'de>, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Raw::Other("an array"))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Raw<'de>, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Raw::Other("an object"))
            }
        }
        d.deserialize_any(V)
    }
}

/// The members of a JSON object item that matter (the scanned fields, `id`
/// and the metadata); other members are skipped without being built.
struct Members<'a>(Vec<(Cow<'a, str>, Raw<'a>)>);

/// Seeds the top-level decoding with the member names worth keeping.
struct MembersSeed<'n> {
    keep: &'n [String],
}

const METADATA: [&str; 6] = ["id", "title", "url", "source", "lang", "published_at"];

impl<'de> DeserializeSeed<'de> for MembersSeed<'_> {
    type Value = Members<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Members<'de>, D::Error> {
        struct V<'n>(&'n [String]);
        impl<'de> Visitor<'de> for V<'_> {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Members<'de>, A::Error> {
                let mut members = Vec::new();
                while let Some(key) = a.next_key::<Key<'de>>()? {
                    let key = key.0;
                    if self.0.iter().any(|n| *n == key) || METADATA.contains(&&*key) {
                        members.push((key, a.next_value::<Raw<'de>>()?));
                    } else {
                        a.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(Members(members))
            }
        }
        d.deserialize_map(V(self.keep))
    }
}

/// An object key, borrowed unless it has escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Raw::deserialize(d)? {
            Raw::Str(s) => Ok(Key(s)),
            _ => Err(serde::de::Error::custom("object keys are strings")),
        }
    }
}

fn decode_json<'a>(text: &'a str, field_names: &'a [String]) -> Result<NewsItem<'a>, Rejection> {
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = MembersSeed { keep: field_names }
        .deserialize(&mut de)
        .and_then(|m| de.end().map(|()| m));
    let members = match parsed {
        Ok(Members(m)) => m,
        // Valid JSON of another type: say which (only on this error path is
        // the text read a second time).
        Err(e) if e.classify() == serde_json::error::Category::Data => {
            let kind = match serde_json::from_str::<Raw<'_>>(text) {
                Ok(Raw::Str(_)) => "a string",
                Ok(Raw::Number(_)) => "a number",
                Ok(Raw::Other(kind)) => kind,
                Err(e) => return Err(Rejection::NotJson(e.to_string())),
            };
            return Err(Rejection::NotObject(kind));
        }
        Err(e) => return Err(Rejection::NotJson(e.to_string())),
    };
    // The last of duplicate keys wins, as in serde_json's own maps.
    let get = |name: &str| {
        members
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    };
    let mut fields = Vec::with_capacity(field_names.len());
    let mut skipped = Vec::new();
    for name in field_names {
        match get(name) {
            Some(Raw::Str(s)) if !s.trim().is_empty() => fields.push((name.as_str(), s.clone())),
            None | Some(Raw::Str(_)) | Some(Raw::Other("null")) => {}
            Some(Raw::Number(_)) => skipped.push(format!("`{name}` is a number")),
            Some(Raw::Other(kind)) => skipped.push(format!("`{name}` is {kind}")),
        }
    }
    if fields.is_empty() {
        let names: Vec<String> = field_names.iter().map(|n| format!("`{n}`")).collect();
        return Err(Rejection::NoText {
            fields: names.join(", "),
            detail: if skipped.is_empty() {
                String::new()
            } else {
                format!(" ({}, not a string)", skipped.join(", "))
            },
        });
    }
    let id = match get("id") {
        Some(Raw::Str(s)) if !s.is_empty() => Some(s.clone()),
        Some(Raw::Number(n)) => Some(Cow::Owned(n.clone())),
        _ => None,
    };
    let text_of = |k: &str| match get(k) {
        Some(Raw::Str(s)) => Some(s.clone()),
        _ => None,
    };
    Ok(NewsItem {
        id,
        title: text_of("title"),
        url: text_of("url"),
        source: text_of("source"),
        lang: text_of("lang"),
        published_at: text_of("published_at"),
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    static DEFAULTS: std::sync::LazyLock<DecodeOptions> =
        std::sync::LazyLock::new(DecodeOptions::default);

    fn json(s: &str) -> Result<NewsItem<'_>, Rejection> {
        decode(s.as_bytes(), &DEFAULTS)
    }

    #[test]
    fn decodes_known_fields_in_configured_order() {
        let item = json(
            r#"{"id": 42, "body": "B", "title": "T", "summary": " ", "url": "u", "lang": "ru", "extra": [1]}"#,
        )
        .unwrap();
        assert_eq!(item.id.as_deref(), Some("42"));
        assert_eq!(item.fields, [("title", "T".into()), ("body", "B".into())]);
        assert_eq!(item.lang.as_deref(), Some("ru"));
        assert_eq!(item.url.as_deref(), Some("u"));
    }

    #[test]
    fn escapes_numbers_duplicates_and_unknown_members() {
        let item = json(
            r#"{"extra": {"deep": [1, {"title": "no"}]}, "id": 1.0, "title": "a\nb \u0048200", "title": "T2", "body": "x"}"#,
        )
        .unwrap();
        assert_eq!(item.id.as_deref(), Some("1.0"));
        // The last of duplicate keys wins; nested members are not fields.
        assert_eq!(item.title.as_deref(), Some("T2"));
        assert_eq!(item.fields[0], ("title", "T2".into()));
        let item = json(r#"{"id": "q\"1", "body": "a\nb \u0048200"}"#).unwrap();
        assert_eq!(item.id.as_deref(), Some("q\"1"));
        assert_eq!(item.fields[0].1, "a\nb H200");
        assert_eq!(
            json("{} x").unwrap_err().reason(),
            "not_json",
            "trailing data"
        );
    }

    #[test]
    fn rejects_with_a_reason() {
        let cases: [(&[u8], &str); 6] = [
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
