//! Alerts (SPEC section 3): one CloudEvents 1.0 event per (item, rule) that
//! holds, with a deterministic id, the matches in original byte offsets and
//! a snippet of the text around the first match.
//!
//! Pure: the caller passes the time the alert is made.
//!
//! - `snippet`: the text around the first match, cut at grapheme cluster
//!   boundaries.
//! - `group`: one alert per item out of its rules' alerts, for sinks with
//!   `group = "item"` (SPEC 3a).

use std::borrow::Cow;
use std::sync::Arc;
use std::time::SystemTime;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::engine::{Engine, RuleHit, Scratch};
use crate::item::{NewsItem, Provenance};
use crate::watchlist::{Operand, Severity};

mod group;
mod snippet;

pub use group::per_item;
pub use snippet::snippet;

/// What alerts need from the settings (`alerts.*`).
#[derive(Debug, Clone)]
pub struct AlertOptions {
    /// The CloudEvents `source` of every alert (`alerts.source`, default
    /// `/newswatch`); a URI-reference (RFC 3986).
    pub source: String,
    /// About how many characters (Unicode scalar values, not bytes nor
    /// grapheme clusters) a snippet has (`alerts.snippet_chars`, default
    /// 160); its cuts fall on grapheme cluster boundaries ([`snippet`]).
    pub snippet_chars: usize,
    /// At most this many matches per alert (`alerts.max_matches`, default
    /// 50); further matches are left out, the rule still holds.
    pub max_matches: usize,
}

impl Default for AlertOptions {
    fn default() -> Self {
        AlertOptions {
            source: "/newswatch".into(),
            snippet_chars: 160,
            max_matches: 50,
        }
    }
}

/// A CloudEvents 1.0 event in JSON structured mode (SPEC section 3); the
/// field names are the CloudEvents attribute names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    /// The CloudEvents version: always `"1.0"`.
    pub specversion: &'static str,
    /// The CloudEvents `type`: always `"newswatch.alert"`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `alerts.source` ([`AlertOptions::source`]); shared by the alerts
    /// of one item, as `time` and `data.item` are.
    pub source: Arc<str>,
    /// The deterministic id from [`alert_id`]: 64 hex characters.
    pub id: String,
    /// When the alert was made: RFC 3339, UTC, milliseconds.
    pub time: Arc<str>,
    /// The rule id.
    pub subject: String,
    /// Always `"application/json"`: `data` is a JSON object.
    pub datacontenttype: &'static str,
    /// The payload: rule, item, matches, snippet.
    pub data: AlertData,
}

impl Alert {
    /// The context attributes, every attribute but `data`, by their
    /// CloudEvents names, each value as text (all are strings): what the
    /// binary content mode of a protocol binding carries outside the
    /// payload (CloudEvents 1.0 section 3.1; the Kafka binding's `ce_`
    /// headers and `content-type`). In the order of the structured JSON.
    pub fn attributes(&self) -> [(&'static str, &str); 7] {
        [
            ("specversion", self.specversion),
            ("type", self.kind),
            ("source", &self.source),
            ("id", &self.id),
            ("time", &self.time),
            ("subject", &self.subject),
            ("datacontenttype", self.datacontenttype),
        ]
    }
}

/// The `data` of an [`Alert`]: which rule held on which item, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertData {
    /// The rule id (as in `subject`).
    pub rule: String,
    /// The rule's severity.
    pub severity: Severity,
    /// The rule's description; omitted from the JSON when the rule has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The item the rule held on, shared by the alerts of the item.
    pub item: Arc<ItemRef>,
    /// The matches of the sets and terms the rule references, by field then
    /// start; at most [`AlertOptions::max_matches`].
    pub matches: Vec<AlertMatch>,
    /// Text around the first match, about [`AlertOptions::snippet_chars`]
    /// characters (see [`snippet`]); empty when the hit has no match.
    pub snippet: String,
    /// Where a Kafka message was read from; `None` (omitted) in `scan`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    /// The story the item belongs to (SPEC 3a). Set by whoever keeps the
    /// stories (the daemon's pipeline, `scan`), after [`alerts_for`];
    /// `None` (omitted) only where no story index is kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub story: Option<StoryRef>,
    /// For a sink with `group = "item"` ([`per_item`]): the ids of every
    /// rule that held on the item, in watchlist order (SPEC 3a); `None`
    /// (omitted) in the alert of one rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<String>>,
}

/// `data.story` (SPEC 3a): the story an item belongs to, as it stood when
/// the item was assigned to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoryRef {
    /// The story's id: the id of its first item.
    pub id: String,
    /// The id of the story's first item (equal to `id`).
    pub first_item: String,
    /// When the first item was seen (arrived at the instance that saw it):
    /// RFC 3339, UTC, milliseconds.
    pub first_seen: String,
    /// Items of the story seen so far, this one included, at least 1.
    pub copies: u32,
}

impl StoryRef {
    /// The reference to `story`.
    pub fn new(story: &crate::story::Story) -> Self {
        StoryRef {
            id: story.id.clone(),
            first_item: story.first_item.clone(),
            first_seen: humantime::format_rfc3339_millis(story.first_seen).to_string(),
            copies: story.copies,
        }
    }
}

/// The item an alert is about: its id and metadata, not its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemRef {
    /// The item id, after the fallbacks of SPEC section 1.
    pub id: String,
    /// The item's `title`, if any; omitted from the JSON when absent (so
    /// are the other optional fields).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The item's `url`, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The item's `source` (the publisher), as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The item's `lang`, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// The item's `published_at` (RFC 3339), as given, not validated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
}

/// One match of a watch term in an item field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertMatch {
    /// The set; `None` (JSON null) for a quoted term of the rule. Shared
    /// with the watchlist, as `term` is: an alert copies no name.
    pub set: Option<Arc<str>>,
    /// The term as written in the watchlist.
    pub term: Arc<str>,
    /// The name of the field matched (`title`, `body`, `text`, ...):
    /// borrowed for the fields of SPEC section 1, copied for others.
    pub field: Cow<'static, str>,
    /// Start of the match: a UTF-8 byte offset into the original,
    /// unnormalized field value.
    pub start: usize,
    /// End of the match (exclusive), a UTF-8 byte offset like `start`.
    pub end: usize,
    /// Exactly `value[start..end]`, a slice of the field's value that the
    /// alerts of one item share.
    pub text: MatchText,
}

/// The text of a match: a byte range of a field's value, which is shared
/// (one copy of each matched field per item, however many matches and
/// alerts it has). Serialized as the string it is; reads as a `str`.
#[derive(Clone)]
pub struct MatchText {
    value: Arc<str>,
    start: usize,
    end: usize,
}

impl MatchText {
    /// `value[start..end]`.
    ///
    /// # Panics
    ///
    /// When `start..end` is not a range of `value` on character boundaries.
    pub fn new(value: Arc<str>, start: usize, end: usize) -> Self {
        assert!(value.is_char_boundary(start) && value.is_char_boundary(end) && start <= end);
        MatchText { value, start, end }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.value[self.start..self.end]
    }
}

impl From<&str> for MatchText {
    fn from(text: &str) -> Self {
        MatchText::new(text.into(), 0, text.len())
    }
}

impl std::ops::Deref for MatchText {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Debug for MatchText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for MatchText {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for MatchText {}

impl PartialEq<str> for MatchText {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for MatchText {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for MatchText {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Where the item was read from (absent in `scan` output).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    /// The Kafka topic.
    pub topic: Arc<str>,
    /// The partition within `topic`.
    pub partition: i32,
    /// The message's offset within the partition.
    pub offset: i64,
}

/// The deterministic alert id (SPEC section 3): SHA-256 over the rule id
/// (length-prefixed, 8 bytes big-endian) and the item id, as 64 lowercase
/// hex characters. Redelivered items give the same id.
pub fn alert_id(rule_id: &str, item_id: &str) -> String {
    let mut h = Sha256::new();
    // Length-prefix the rule id so ("a", "bc") and ("ab", "c") differ.
    h.update((rule_id.len() as u64).to_be_bytes());
    h.update(rule_id.as_bytes());
    h.update(item_id.as_bytes());
    let digest = h.finalize();
    let mut hex = String::with_capacity(64);
    for b in digest.iter() {
        use std::fmt::Write;
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// One alert and the index of its rule in the engine's watchlist (for
/// routing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleAlert {
    /// Index into the watchlist's rules.
    pub rule: usize,
    /// The alert.
    pub alert: Alert,
}

/// The one way from a decoded item to its alerts, for the daemon, `scan`,
/// `demo` and the tests alike: the item's fields matched by `engine`, one
/// alert per rule that holds, in watchlist order, each with the item id
/// (its fallback by `from`, SPEC section 1), the time `now` and, for a Kafka
/// message, its `origin`.
pub fn alerts_for(
    engine: &Engine,
    item: &NewsItem<'_>,
    from: &Provenance<'_>,
    opts: &AlertOptions,
    now: SystemTime,
    scratch: &mut Scratch,
) -> Vec<RuleAlert> {
    let hits = engine.scan_item(item, scratch, opts.max_matches);
    if hits.is_empty() {
        return Vec::new();
    }
    let id = item.id_or_fallback(from);
    let mut shared = Shared {
        source: opts.source.as_str().into(),
        time: humantime::format_rfc3339_millis(now).to_string().into(),
        item: Arc::new(ItemRef {
            id: id.to_string(),
            title: item.title.as_deref().map(str::to_owned),
            url: item.url.as_deref().map(str::to_owned),
            source: item.source.as_deref().map(str::to_owned),
            lang: item.lang.as_deref().map(str::to_owned),
            published_at: item.published_at.as_deref().map(str::to_owned),
        }),
        values: vec![None; item.fields.len()],
    };
    let origin = match *from {
        Provenance::Message {
            topic,
            partition,
            offset,
            ..
        } => Some(Origin {
            topic: topic.into(),
            partition,
            offset,
        }),
        Provenance::Line(_) => None,
    };
    let mut alerts = Vec::with_capacity(hits.len());
    for hit in &hits {
        let alert = build(engine, item, &id, hit, origin.clone(), opts, &mut shared);
        alerts.push(RuleAlert {
            rule: hit.rule,
            alert,
        });
    }
    alerts
}

/// A field's name for an alert: the fields of SPEC section 1 (and the text
/// format's one) without a copy.
fn field_name(name: &str) -> Cow<'static, str> {
    match name {
        "title" => Cow::Borrowed("title"),
        "summary" => Cow::Borrowed("summary"),
        "body" => Cow::Borrowed("body"),
        "text" => Cow::Borrowed("text"),
        other => Cow::Owned(other.to_owned()),
    }
}

/// What the alerts of one item share instead of each copying it.
struct Shared {
    source: Arc<str>,
    time: Arc<str>,
    item: Arc<ItemRef>,
    /// Per field of the item, its value, copied once when a match is first
    /// reported in it.
    values: Vec<Option<Arc<str>>>,
}

impl Shared {
    /// The shared copy of field `f`'s `value`.
    fn value(&mut self, f: usize, value: &str) -> Arc<str> {
        Arc::clone(self.values[f].get_or_insert_with(|| value.into()))
    }
}

/// Builds the alert for one rule hit on one item: `item_id` is the id after
/// fallbacks; `shared` holds the alert's `source`, `time` and item.
///
/// # Panics
///
/// When `hit` was not produced by `engine` for `item` (a rule, set, term or
/// field index out of range, or match offsets off the field's character
/// boundaries).
fn build(
    engine: &Engine,
    item: &NewsItem<'_>,
    item_id: &str,
    hit: &RuleHit,
    origin: Option<Origin>,
    opts: &AlertOptions,
    shared: &mut Shared,
) -> Alert {
    let watchlist = engine.watchlist();
    let rule = engine.rule(hit.rule);
    let matches: Vec<AlertMatch> = hit
        .matches
        .iter()
        .take(opts.max_matches)
        .map(|m| {
            let (field, value) = &item.fields[m.field];
            let (set, term) = match m.operand {
                Operand::Set(s) => {
                    let set = &watchlist.sets[s];
                    (
                        Some(Arc::clone(&set.name)),
                        Arc::clone(&set.terms[m.term as usize].text),
                    )
                }
                Operand::Inline(i) => (None, Arc::clone(&watchlist.inline_terms[i].text)),
            };
            AlertMatch {
                set,
                term,
                field: field_name(field),
                start: m.start,
                end: m.end,
                text: MatchText::new(shared.value(m.field, value), m.start, m.end),
            }
        })
        .collect();
    let snippet = hit.matches.first().map_or_else(String::new, |m| {
        snippet(&item.fields[m.field].1, m.start, m.end, opts.snippet_chars)
    });
    Alert {
        specversion: "1.0",
        kind: "newswatch.alert",
        source: Arc::clone(&shared.source),
        id: alert_id(&rule.id, item_id),
        time: Arc::clone(&shared.time),
        subject: rule.id.clone(),
        datacontenttype: "application/json",
        data: AlertData {
            rule: rule.id.clone(),
            severity: rule.severity,
            description: rule.description.clone(),
            item: Arc::clone(&shared.item),
            matches,
            snippet,
            origin,
            story: None,
            rules: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_every_member_of_the_event_but_data() {
        let a = Alert {
            specversion: "1.0",
            kind: "newswatch.alert",
            source: "/newswatch".into(),
            id: alert_id("r", "i"),
            time: "2026-11-28T10:00:00.000Z".into(),
            subject: "r".into(),
            datacontenttype: "application/json",
            data: AlertData {
                rule: "r".into(),
                severity: Severity::Low,
                description: None,
                item: std::sync::Arc::new(ItemRef {
                    id: "i".into(),
                    title: None,
                    url: None,
                    source: None,
                    lang: None,
                    published_at: None,
                }),
                matches: vec![],
                snippet: String::new(),
                origin: None,
                story: None,
                rules: None,
            },
        };
        let json = serde_json::to_value(&a).unwrap();
        let mut members: Vec<(&str, &str)> = json
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| *k != "data")
            .map(|(k, v)| (k.as_str(), v.as_str().unwrap()))
            .collect();
        let mut attributes = a.attributes().to_vec();
        members.sort_unstable();
        attributes.sort_unstable();
        assert_eq!(attributes, members);
    }

    #[test]
    fn ids_are_deterministic_and_distinct() {
        let a = alert_id("chip-export", "tass-1");
        assert_eq!(a, alert_id("chip-export", "tass-1"));
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, alert_id("chip-export", "tass-2"));
        assert_ne!(alert_id("a", "bc"), alert_id("ab", "c"));
    }
}
