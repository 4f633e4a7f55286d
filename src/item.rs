//! News items (SPEC section 1): decoding a message value or an input line
//! into the fields to scan and the metadata alerts carry, or a
//! [`Rejection`] that names the problem.
//!
//! Pure: the caller supplies the id fallback (message key, topic/partition/
//! offset, or `line:{n}`), since only it knows where the bytes came from.

use serde_json::Value;

/// How message values are encoded (`input.format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Json,
    Text,
}

/// A decoded news item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewsItem {
    /// The JSON `id` (a string, or a number as written); `None` when absent,
    /// in which case the caller's fallback applies.
    pub id: Option<String>,
    pub title: Option<String>,
    pub url: Option<String>,
    pub source: Option<String>,
    pub lang: Option<String>,
    pub published_at: Option<String>,
    /// The fields to scan, in `input.fields` order: (name, text). Missing,
    /// null and blank fields are left out.
    pub fields: Vec<(String, String)>,
}

/// Why an item was rejected. `reason()` is the metric label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("not valid UTF-8 (invalid byte at offset {offset})")]
    InvalidUtf8 { offset: usize },
    #[error("{size} bytes is larger than input.max_bytes ({max})")]
    TooLarge { size: usize, max: usize },
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("not a JSON object but {0}")]
    NotObject(&'static str),
    #[error("no scannable text in fields {fields}{detail}")]
    NoText { fields: String, detail: String },
}

impl Rejection {
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
    pub format: Format,
    pub fields: Vec<String>,
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

/// Decodes one message value or input line.
pub fn decode(bytes: &[u8], opts: &DecodeOptions) -> Result<NewsItem, Rejection> {
    if bytes.len() > opts.max_bytes {
        return Err(Rejection::TooLarge {
            size: bytes.len(),
            max: opts.max_bytes,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| Rejection::InvalidUtf8 {
        offset: e.valid_up_to(),
    })?;
    match opts.format {
        Format::Text => decode_text(text),
        Format::Json => decode_json(text, &opts.fields),
    }
}

fn decode_text(text: &str) -> Result<NewsItem, Rejection> {
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
        fields: vec![("text".into(), text.to_owned())],
    })
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn decode_json(text: &str, field_names: &[String]) -> Result<NewsItem, Rejection> {
    let value: Value = serde_json::from_str(text).map_err(|e| Rejection::NotJson(e.to_string()))?;
    let Value::Object(mut obj) = value else {
        return Err(Rejection::NotObject(kind_of(&value)));
    };
    let mut fields = Vec::with_capacity(field_names.len());
    let mut skipped = Vec::new();
    for name in field_names {
        match obj.get(name) {
            Some(Value::String(s)) if !s.trim().is_empty() => {
                fields.push((name.clone(), s.clone()))
            }
            None | Some(Value::Null) | Some(Value::String(_)) => {}
            Some(other) => skipped.push(format!("`{name}` is {}", kind_of(other))),
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
    let id = match obj.get("id") {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let mut take = |k: &str| match obj.remove(k) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    Ok(NewsItem {
        id,
        title: take("title"),
        url: take("url"),
        source: take("source"),
        lang: take("lang"),
        published_at: take("published_at"),
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(s: &str) -> Result<NewsItem, Rejection> {
        decode(s.as_bytes(), &DecodeOptions::default())
    }

    #[test]
    fn decodes_known_fields_in_configured_order() {
        let item = json(
            r#"{"id": 42, "body": "B", "title": "T", "summary": " ", "url": "u", "lang": "ru", "extra": [1]}"#,
        )
        .unwrap();
        assert_eq!(item.id.as_deref(), Some("42"));
        assert_eq!(
            item.fields,
            [("title".into(), "T".into()), ("body".into(), "B".into())]
        );
        assert_eq!(item.lang.as_deref(), Some("ru"));
        assert_eq!(item.url.as_deref(), Some("u"));
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
        assert_eq!(item.fields, [("text".into(), "{not json} H200".into())]);
        assert_eq!(decode(b"  \n", &opts).unwrap_err().reason(), "no_text");
    }
}
