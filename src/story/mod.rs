//! Stories (SPEC 3a, issue 18): items whose text is near-identical within
//! a window are one story, whose id is its first item's id, so that one
//! wire story syndicated by twenty outlets can make one alert.
//!
//! - [`Sketch`] (`sketch.rs`): the MinHash signature of an item's title and
//!   first [`BODY_WORDS`] words of body, over shingles of
//!   [`SHINGLE_WORDS`] words of the normalized text (each CJK character a
//!   word), links removed.
//! - [`StoryIndex`] (`index.rs`): the stories of the last
//!   [`StoryConfig::window`], at most [`StoryConfig::capacity`] of them
//!   (the oldest evicted first), with LSH tables ([`BANDS`] bands of
//!   [`ROWS`] values) that find a new item's candidate stories with 32
//!   hash-table probes however many stories are kept; a candidate is its
//!   story when their estimated Jaccard index is at least
//!   [`StoryConfig::similarity`].
//! - [`Signature`]: a story as another instance imports it
//!   ([`StoryIndex::import`]), serializable, for sharing stories over a
//!   compacted topic (`alerts.stories_topic`).
//! - [`StoryConfig`] (`config.rs`): the three settings, checked.
//!
//! Pure core: no I/O, no clock (the caller says when an item was seen),
//! no threads; the index is `Send` and `Sync`, for a `Mutex` in the daemon.
//! It knows nothing of alerts, sinks or Kafka.
//!
//! # Why own code, not a crate
//!
//! Looked at (crates.io, December 2026): `gaoya` 0.2.2 (MinHash and LSH,
//! MIT) and `probminhash` 0.1.12 (ProbMinHash, SuperMinHash; no LSH
//! index). `probminhash` brings 127 crates into the build (argmin, rayon,
//! rand, env_logger, serde_json, sha2...) for a sketch we would still need
//! an index around. `gaoya` brings 43 (rayon, crossbeam, rand 0.10, sha-1,
//! seahash, siphasher, ahash, itertools...). Measured in a throwaway
//! program (release build, on the 1,559 texts of the syndication set with
//! the same word-pair shingles; not kept in the tree):
//!
//! - `gaoya`'s `MinHasher32` (128 hashes `(a x + b) mod (2^31 - 1)` per
//!   shingle, a `Vec` per text): 34 µs per item; a loop of 128 seeded
//!   mixers over pre-hashed shingles: 29 µs. Either is twice
//!   `Engine::scan` of the item. One-permutation hashing (`sketch.rs`)
//!   does one hash per shingle instead of 128.
//! - `gaoya`'s `MinHashIndex` (32 bands of 4): per band a map from band to
//!   a `HashSet` of ids, plus a map from id to signature `Vec`; no bound,
//!   no eviction order, no memory figure. Filled with random signatures it
//!   held 4.7 KB per story at 10,000 and 5.6 KB at 1,000,000 (5.3 GB), and
//!   `query_one` plus `insert` took 8 µs per item at 10,000 and 17 µs at
//!   1,000,000.
//!
//! What we need is small: a sketch (`sketch.rs`) and 32 `HashMap<u32,
//! u32>` band tables beside a queue of stories in creation order
//! (`index.rs`), which gives eviction by age and by capacity in O(1), a
//! memory bound, and cost per item independent of the stories kept
//! (BENCHMARKS.md, "Stories").
//!
//! # Shingles, bands and the threshold
//!
//! On the syndication set (`scripts/gen-syndication.py`), pairwise
//! precision and recall of the stories found, by shingle size, with the
//! default window and threshold (BENCHMARKS.md has the table): word pairs
//! keep copies with a paragraph dropped or added and boilerplate appended
//! above 0.6 more often than triples, and single words bring look-alike
//! stories too close. 32 bands of 4 values put the LSH S-curve's steep part
//! near 0.42, so a copy at J = 0.6 is a candidate with probability 0.988
//! and at 0.7 with 0.9998, while a story at J = 0.1 is one with 0.0003:
//! candidates are few, and each is checked by the share of equal values
//! (128 comparisons).
//!
//! # Memory
//!
//! Per story kept: its entry in the queue (296 bytes: the 128 values, id,
//! first seen, copies), its id's bytes, and up to 32 band-table entries (8
//! bytes and a control byte in hashbrown tables at a load between 0.44 and
//! 0.875). [`StoryIndex::memory_bytes`] computes it from the capacities;
//! measured (`benches/story.rs`): 468 MiB at 1,000,000 stories, 491 bytes
//! per story.

mod config;
mod index;
mod sketch;

#[cfg(test)]
mod eval_tests;
#[cfg(test)]
mod tests;

use std::time::SystemTime;

pub use config::{ConfigError, MAX_CAPACITY, StoryConfig};
pub use index::{BANDS, ImportError, Imported, ROWS, StoryIndex};
pub use sketch::{BODY_WORDS, HASHES, SCHEME, SHINGLE_WORDS, Sketch};

/// The title and body an item's story is told by: its `title`, and the
/// first of its scanned fields `body`, `text` (the text format) or
/// `summary` (either may be empty).
pub fn story_text<'i>(item: &'i crate::item::NewsItem<'_>) -> (&'i str, &'i str) {
    let title = item.title.as_deref().unwrap_or("");
    let body = ["body", "text", "summary"]
        .iter()
        .find_map(|name| item.fields.iter().find(|(f, _)| f == name))
        .map_or("", |(_, v)| v.as_ref());
    (title, body)
}

/// The story an item belongs to, as `data.story` of its alerts reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Story {
    /// The story's id: its first item's id.
    pub id: String,
    /// The id of the story's first item (equal to `id`).
    pub first_item: String,
    /// When the first item was seen.
    pub first_seen: SystemTime,
    /// Items of the story seen so far, this one included (an imported
    /// story counts its first item).
    pub copies: u32,
    /// True when this item started the story: the one time its
    /// [`Signature`] is to be shared.
    pub new: bool,
}

impl Story {
    fn started(item_id: &str, seen: SystemTime) -> Story {
        Story {
            id: item_id.to_owned(),
            first_item: item_id.to_owned(),
            first_seen: seen,
            copies: 1,
            new: true,
        }
    }
}

/// A story as shared between instances: what [`StoryIndex::import`]
/// needs to let copies seen elsewhere join it. JSON through serde:
/// `{"scheme": 1, "story": "…", "first_item": "…", "first_seen_ms":
/// 1765359062114, "values": [128 integers]}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Signature {
    /// The sketch's version ([`SCHEME`]); another is refused.
    pub scheme: u32,
    /// The story's id.
    pub story: String,
    /// Its first item's id.
    pub first_item: String,
    /// When the first item was seen (milliseconds since the Unix epoch in
    /// JSON).
    #[serde(rename = "first_seen_ms", with = "unix_millis")]
    pub first_seen: SystemTime,
    /// The [`HASHES`] MinHash values of the first item.
    pub values: Vec<u16>,
}

impl Signature {
    /// The signature of a story and the sketch of its first item (the item
    /// for which [`StoryIndex::assign_sketch`] said [`Story::new`]).
    pub fn new(story: &Story, sketch: &Sketch) -> Signature {
        Signature {
            scheme: SCHEME,
            story: story.id.clone(),
            first_item: story.first_item.clone(),
            first_seen: story.first_seen,
            values: sketch.values().to_vec(),
        }
    }
}

/// `SystemTime` as milliseconds since the Unix epoch (earlier times as 0).
mod unix_millis {
    use std::time::{Duration, SystemTime};

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
        let ms = t
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        s.serialize_u64(u64::try_from(ms).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SystemTime, D::Error> {
        let ms = u64::deserialize(d)?;
        SystemTime::UNIX_EPOCH
            .checked_add(Duration::from_millis(ms))
            .ok_or_else(|| serde::de::Error::custom("first_seen_ms out of range"))
    }
}
