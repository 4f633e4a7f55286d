//! JSON news items (SPEC section 1, `input.format = "json"`): the members
//! that matter (the fields to scan, `id`, the metadata) read in one pass,
//! text borrowed from the input where it has no escapes; every other member
//! is skipped without being built.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::{NewsItem, Rejection, surrogates};

/// A JSON value as the decoder keeps it: text borrowed from the input when
/// it has no escapes, the `id` number as written, the kind of anything else
/// (other numbers included: only the `id` keeps a number's text).
enum Raw<'a> {
    Str(Cow<'a, str>),
    /// A number exactly as written in the JSON text (`1e2`, `-0`,
    /// `18446744073709551617`); only from [`id_value`].
    Number(Cow<'a, str>),
    Other(&'static str),
}

impl Raw<'_> {
    /// The same value, owning its text.
    fn into_owned(self) -> Raw<'static> {
        match self {
            Raw::Str(s) => Raw::Str(Cow::Owned(s.into_owned())),
            Raw::Number(n) => Raw::Number(Cow::Owned(n.into_owned())),
            Raw::Other(kind) => Raw::Other(kind),
        }
    }
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
            fn visit_u64<E>(self, _: u64) -> Result<Raw<'de>, E> {
                Ok(Raw::Other("a number"))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Raw<'de>, E> {
                Ok(Raw::Other("a number"))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Raw<'de>, E> {
                Ok(Raw::Other("a number"))
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
    metadata: &'n [String],
}

const METADATA: [&str; 6] = ["id", "title", "url", "source", "lang", "published_at"];

impl<'de> DeserializeSeed<'de> for MembersSeed<'_> {
    type Value = Members<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Members<'de>, D::Error> {
        struct V<'n>(&'n [String], &'n [String]);
        impl<'de> Visitor<'de> for V<'_> {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Members<'de>, A::Error> {
                // Room for every member kept without regrowing: the
                // defaults' eight are all in generated and most real items.
                let mut members = Vec::with_capacity(METADATA.len() + self.0.len() + self.1.len());
                while let Some(key) = a.next_key::<Key<'de>>()? {
                    let key = key.0;
                    if key == "id" {
                        let json = a.next_value::<&'de RawValue>()?.get();
                        let id = id_value(json).map_err(serde::de::Error::custom)?;
                        members.push((key, id));
                    } else if self.0.iter().chain(self.1).any(|n| *n == key)
                        || METADATA.contains(&&*key)
                    {
                        members.push((key, a.next_value::<Raw<'de>>()?));
                    } else {
                        a.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(Members(members))
            }
        }
        d.deserialize_map(V(self.keep, self.metadata))
    }
}

/// The `id` member from its JSON text as written.
///
/// SPEC section 2a: a numeric id is kept exactly as written (`1e2`, `100`
/// and `100.0` are three ids; `18446744073709551616` and
/// `18446744073709551617` two), never through a float, because the alert id
/// is derived from the item id and dedup and subscribers drop a repeated
/// one. The `id` member is read as a [`RawValue`] (serde_json's `raw_value`
/// feature): a slice of the input, validated but not converted, so a
/// number's text is borrowed as is, at no cost beyond skipping it. The
/// alternative, serde_json's `arbitrary_precision` feature, is one switch
/// for every user of serde_json in the build (rdkafka's statistics,
/// tracing's JSON logs, the webhook bodies): it changes how `Value` holds
/// and writes numbers, and hands every number to a visitor as a map, which
/// would make [`Raw`] call numbers objects. `raw_value` only adds a type.
///
/// Anything but a number is decoded like the other members, with one more
/// step: serde_json skips a [`RawValue`] without checking that its
/// surrogate escapes pair up, so a lone one in a string id is found here
/// and rewritten to U+FFFD as for the whole item.
fn id_value(json: &str) -> Result<Raw<'_>, serde_json::Error> {
    // A JSON value starting so is a number (RawValue has validated it).
    if json.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        return Ok(Raw::Number(Cow::Borrowed(json)));
    }
    match serde_json::from_str::<Raw<'_>>(json) {
        Ok(value) => Ok(value),
        Err(e) => match surrogates::replace_lone_surrogates(json) {
            Some(repaired) => serde_json::from_str::<Raw<'_>>(&repaired).map(Raw::into_owned),
            None => Err(e),
        },
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

/// The members of the JSON object `text` worth keeping (see
/// [`MembersSeed`]), in document order.
///
/// # Errors
///
/// [`Rejection::NotJson`] for text that is not JSON (serde_json's message,
/// with line and column), [`Rejection::NotObject`] for JSON of another type.
fn members<'t>(
    text: &'t str,
    keep: &[String],
    metadata: &[String],
) -> Result<Vec<(Cow<'t, str>, Raw<'t>)>, Rejection> {
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = MembersSeed { keep, metadata }
        .deserialize(&mut de)
        .and_then(|m| de.end().map(|()| m));
    match parsed {
        Ok(Members(m)) => Ok(m),
        // Valid JSON of another type: say which (only on this error path is
        // the text read a second time).
        Err(e) if e.classify() == serde_json::error::Category::Data => {
            let kind = match serde_json::from_str::<Raw<'_>>(text) {
                Ok(Raw::Str(_)) => "a string",
                Ok(Raw::Number(_)) => "a number",
                // An object that the members pass could not read: its
                // message says why (not expected: the id's RawValue is
                // validated JSON, and its lone surrogates are repaired).
                Ok(Raw::Other("an object")) => return Err(Rejection::NotJson(e.to_string())),
                Ok(Raw::Other(kind)) => kind,
                Err(e) => return Err(Rejection::NotJson(e.to_string())),
            };
            Err(Rejection::NotObject(kind))
        }
        Err(e) => Err(Rejection::NotJson(e.to_string())),
    }
}

/// Decodes a JSON object item: the fields in `field_names`, `id`, the
/// metadata alerts carry and the members in `metadata_names`, borrowed from
/// `text` where they have no escapes.
///
/// # Errors
///
/// [`Rejection::NotJson`], [`Rejection::NotObject`] or [`Rejection::NoText`].
pub(super) fn decode_json<'a>(
    text: &'a str,
    field_names: &'a [String],
    metadata_names: &'a [String],
) -> Result<NewsItem<'a>, Rejection> {
    let members = match members(text, field_names, metadata_names) {
        Ok(m) => m,
        // serde_json refuses a lone surrogate escape; SPEC section 2a wants
        // U+FFFD. Only on this error path is the text scanned for them and,
        // when it has some, parsed again with each rewritten to `\uFFFD`
        // (see `surrogates`). Any other error is found again, at the same
        // line and column (the rewrite keeps every offset).
        Err(Rejection::NotJson(e)) => {
            let Some(repaired) = surrogates::replace_lone_surrogates(text) else {
                return Err(Rejection::NotJson(e));
            };
            members(&repaired, field_names, metadata_names)?
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
                .collect()
        }
        Err(e) => return Err(e),
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
        Some(Raw::Number(n)) => Some(n.clone()),
        _ => None,
    };
    let text_of = |k: &str| match get(k) {
        Some(Raw::Str(s)) => Some(s.clone()),
        _ => None,
    };
    let metadata = metadata_names
        .iter()
        .filter_map(|name| match get(name) {
            Some(Raw::Str(s)) => Some((name.as_str(), s.clone())),
            _ => None,
        })
        .collect();
    Ok(NewsItem {
        id,
        metadata,
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
    use super::super::{DecodeOptions, decode};
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
    fn a_lone_surrogate_decodes_to_the_replacement_character() {
        let cases = [
            (
                r#"{"title": "H200 export approved \ud83d"}"#,
                "H200 export approved \u{FFFD}",
            ),
            (r#"{"title": "\ud83d H200"}"#, "\u{FFFD} H200"),
            (r#"{"title": "\udc00 H200"}"#, "\u{FFFD} H200"),
            (r#"{"title": "\ud83d\u0041 H200"}"#, "\u{FFFD}A H200"),
            (r#"{"title": "\ud83d\ude00 \ud83d"}"#, "\u{1F600} \u{FFFD}"),
            (r#"{"title": "\\ud83d \ud83d"}"#, "\\ud83d \u{FFFD}"),
        ];
        for (input, want) in cases {
            let item = json(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(item.fields, [("title", want.into())], "{input}");
        }
        // Every member, the id and metadata included; the rest unchanged.
        let item = json(
            r#"{"id": "a\udc00", "lang": "ru", "url": "u\ud800", "body": "x \ud83d\ude00", "extra": "\ud800"}"#,
        )
        .unwrap();
        assert_eq!(item.id.as_deref(), Some("a\u{FFFD}"));
        assert_eq!(item.url.as_deref(), Some("u\u{FFFD}"));
        assert_eq!(item.lang.as_deref(), Some("ru"));
        assert_eq!(item.fields, [("body", "x \u{1F600}".into())]);
    }

    #[test]
    fn a_lone_surrogate_moves_no_match() {
        // U+FFFD, like the pair's character, is one character: the text
        // after it has the offsets it has with `\ufffd` written out.
        let repaired = json(r#"{"title": "\ud83d H200 \ud83d export"}"#).unwrap();
        let written = json(r#"{"title": "\ufffd H200 \ufffd export"}"#).unwrap();
        assert_eq!(repaired, written);
        let watchlist = crate::watchlist::Watchlist::parse(
            "[sets.chips]\nterms = [\"H200\", \"export\"]\n[[rules]]\nid = \"c\"\nwhen = \"chips\"\n",
            None,
        )
        .unwrap();
        let engine = crate::engine::Engine::build(std::sync::Arc::new(watchlist)).unwrap();
        let text = &repaired.fields[0].1;
        let field = crate::engine::Field {
            name: "title",
            text,
        };
        let hits = engine.scan(&[field], &mut crate::engine::Scratch::new(), usize::MAX);
        let spans: Vec<(usize, usize)> = hits[0].matches.iter().map(|m| (m.start, m.end)).collect();
        assert_eq!(spans, [(4, 8), (13, 19)]);
    }

    #[test]
    fn other_errors_keep_their_message_and_position() {
        // Not JSON for another reason too: the error is that one, at its
        // place in the original text.
        let e = json(r#"{"title": "\ud83d", "body": x}"#).unwrap_err();
        assert_eq!(
            e,
            Rejection::NotJson("expected value at line 1 column 29".into())
        );
        // Without a repair to make, serde_json's own message stands.
        let e = json(r#"{"title": "\ud83"}"#).unwrap_err();
        assert_eq!(e.reason(), "not_json");
        // A lone surrogate in a string that is the whole value.
        let e = json(r#""\ud83d""#).unwrap_err();
        assert_eq!(e, Rejection::NotObject("a string"));
    }

    #[test]
    fn a_numeric_id_is_kept_exactly_as_written() {
        let written = [
            "18446744073709551616",
            "18446744073709551617",
            "1e2",
            "1E2",
            "1e+2",
            "100",
            "100.0",
            "-0",
            "0",
            "1.0",
            "42",
            "-123456789012345678901234567890",
            "0.1e-5",
            "1e400", // beyond f64: used to reject the item
        ];
        for id in written {
            let text = format!(r#"{{"id": {id}, "title": "H200"}}"#);
            let item = json(&text).unwrap();
            assert_eq!(item.id.as_deref(), Some(id), "{text}");
            assert!(
                matches!(item.id, Some(Cow::Borrowed(_))),
                "not copied: {id}"
            );
        }
        // White space around the number is not part of it.
        let item = json("{\"id\" :\n 1e2 , \"title\": \"H200\"}").unwrap();
        assert_eq!(item.id.as_deref(), Some("1e2"));
    }

    #[test]
    fn numeric_ids_that_a_float_would_merge_give_distinct_alert_ids() {
        let from = super::super::Provenance::Line(1);
        let item_id = |id: &str| {
            json(&format!(r#"{{"id": {id}, "title": "H200"}}"#))
                .unwrap()
                .id_or_fallback(&from)
        };
        let ids: Vec<String> = [
            "18446744073709551616",
            "18446744073709551617",
            "1e2",
            "-0",
            "1.0",
            "42",
        ]
        .into_iter()
        .map(item_id)
        .collect();
        assert_eq!(
            ids,
            [
                "18446744073709551616",
                "18446744073709551617",
                "1e2",
                "-0",
                "1.0",
                "42"
            ]
        );
        let alert = |id: &str| crate::alert::alert_id("chip-export", id);
        assert_ne!(alert(&ids[0]), alert(&ids[1]));
        let alerts: std::collections::HashSet<String> = ids.iter().map(|i| alert(i)).collect();
        assert_eq!(alerts.len(), ids.len());
    }

    #[test]
    fn other_ids_decode_as_before() {
        let item = json(r#"{"id": "tass-1", "title": "H200"}"#).unwrap();
        assert!(
            matches!(item.id, Some(Cow::Borrowed("tass-1"))),
            "not copied"
        );
        let item = json(r#"{"id": "a\u0041\ud800", "title": "H200"}"#).unwrap();
        assert_eq!(item.id.as_deref(), Some("aA\u{FFFD}"));
        for id in [r#""""#, "null", "true", "[1]", r#"{"a": 1}"#] {
            let text = format!(r#"{{"id": {id}, "title": "H200"}}"#);
            assert_eq!(
                json(&text).unwrap().id,
                None,
                "{id}: the caller's fallback applies"
            );
        }
        // An invalid id is invalid JSON, reported where it is.
        let e = json(r#"{"id": 01, "title": "H200"}"#).unwrap_err();
        assert_eq!(e.reason(), "not_json");
        // A number in a field to scan is still just "a number".
        let e = json(r#"{"id": 1, "title": 1e400}"#).unwrap_err();
        assert_eq!(e.reason(), "not_json", "{e}");
        let e = json(r#"{"id": 1, "title": 1e2}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "no scannable text in fields `title`, `summary`, `body` (`title` is a number, not a string)"
        );
    }
}
