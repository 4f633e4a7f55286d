//! The daemon's stories (SPEC 3a): one [`StoryIndex`] shared by the
//! workers behind a `Mutex`, which (story, rule) pairs already had an alert
//! (for sinks with `repeat = "first-per-story"`), and the hand-off of each
//! new story to a [`StoryPublisher`] (the `alerts.stories_topic`).
//!
//! An item's sketch is made before the lock is taken; under it, the
//! item's story is found and its rules marked, both at once, so that of two
//! copies on two workers the one that joined the story second is never the
//! one whose alert counts as first.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::item::NewsItem;
use crate::story::{
    ImportError, Imported, Signature, Sketch, Story, StoryConfig, StoryIndex, story_text,
};

/// A story as published on `alerts.stories_topic`: its [`Signature`] and
/// the rules that held on its first item. JSON: the signature's members
/// and `"rules": ["rule-id", …]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedStory {
    /// What [`StoryIndex::import`] takes.
    #[serde(flatten)]
    pub signature: Signature,
    /// Ids of the rules that held on the first item: their alerts went out
    /// where the story started, so a `first-per-story` sink elsewhere gets
    /// none for a copy.
    #[serde(default)]
    pub rules: Vec<String>,
}

/// Where new stories go to be shared with the other instances.
pub trait StoryPublisher: Send + Sync {
    /// Hands `story` over for publishing; returns without waiting. A story
    /// that cannot be published is logged and lost: the other instances
    /// then start their own story for its copies.
    fn publish(&self, story: &SharedStory);
}

/// What [`Stories::assign`] found for an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assigned {
    /// The item's story.
    pub story: Story,
    /// Per rule given, in order: true when this item's alert of it is the
    /// story's first (or this item is the one that had it first: a
    /// redelivery). Always true when no sink asked for first-per-story.
    pub first: Vec<bool>,
}

/// The stories of this instance, shared by the workers.
pub struct Stories {
    state: Mutex<State>,
    /// Only when a sink has `repeat = "first-per-story"` are the (story,
    /// rule) pairs remembered.
    track_firsts: bool,
    /// Where new stories are published (`alerts.stories_topic`), if set.
    publisher: Option<Box<dyn StoryPublisher>>,
}

struct State {
    index: StoryIndex,
    firsts: Firsts,
}

impl Stories {
    /// Stories kept as `config` says; (story, rule) pairs remembered when
    /// `track_firsts`; new stories handed to `publisher`.
    pub fn new(
        config: StoryConfig,
        track_firsts: bool,
        publisher: Option<Box<dyn StoryPublisher>>,
    ) -> Self {
        Stories {
            state: Mutex::new(State {
                index: StoryIndex::new(config),
                firsts: Firsts::new(config.window(), config.capacity()),
            }),
            track_firsts,
            publisher,
        }
    }

    /// The story of an item whose `rules` held, seen (arrived) at `seen`:
    /// its sketch is made first, then, under the lock, the item joins or
    /// starts a story ([`StoryIndex::assign_sketch`]) and each rule is
    /// marked for the story. A new story is published, with `rules`.
    pub fn assign(
        &self,
        item: &NewsItem<'_>,
        item_id: &str,
        seen: SystemTime,
        rules: &[&str],
    ) -> Assigned {
        let (title, body) = story_text(item);
        let sketch = Sketch::of(title, body);
        let (story, first) = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let State { index, firsts } = &mut *state;
            let story = index.assign_sketch(item_id, &sketch, seen);
            let first = if self.track_firsts {
                firsts.prune(seen);
                rules
                    .iter()
                    .map(|r| firsts.mark(&story, r, item_id))
                    .collect()
            } else {
                vec![true; rules.len()]
            };
            crate::metrics::stories(index.len(), index.memory_bytes());
            (story, first)
        };
        if story.new
            && !sketch.is_empty()
            && let Some(publisher) = &self.publisher
        {
            publisher.publish(&SharedStory {
                signature: Signature::new(&story, &sketch),
                rules: rules.iter().map(|r| (*r).to_owned()).collect(),
            });
        }
        Assigned { story, first }
    }

    /// Takes a story another instance published (or this one, read back).
    ///
    /// # Errors
    /// [`ImportError`] for a signature of another scheme or length.
    pub fn import(&self, shared: &SharedStory) -> Result<Imported, ImportError> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let State { index, firsts } = &mut *state;
        let imported = index.import(&shared.signature)?;
        if imported == Imported::Added && self.track_firsts {
            let s = &shared.signature;
            for rule in &shared.rules {
                firsts.record(&s.story, s.first_seen, rule, &s.first_item);
            }
        }
        crate::metrics::stories(index.len(), index.memory_bytes());
        Ok(imported)
    }

    /// Stories kept.
    pub fn len(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .index
            .len()
    }

    /// True when no story is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Per story, the item whose alert of each rule went out first. Kept as
/// long as the story's window and for at most about `capacity` stories
/// (the oldest forgotten first), like the index.
struct Firsts {
    window: Duration,
    capacity: usize,
    by_story: HashMap<Box<str>, StoryFirsts>,
    /// When the stories whose window ended are next forgotten.
    next_prune: SystemTime,
}

struct StoryFirsts {
    first_seen: SystemTime,
    /// (rule id, item id), a few per story.
    rules: Vec<(Box<str>, Box<str>)>,
}

impl Firsts {
    fn new(window: Duration, capacity: usize) -> Self {
        Firsts {
            window,
            capacity,
            by_story: HashMap::new(),
            next_prune: SystemTime::UNIX_EPOCH,
        }
    }

    /// True when `item` has the first alert of (`story`, `rule`): none was
    /// marked before, or `item` was (a redelivery). Marks it.
    fn mark(&mut self, story: &Story, rule: &str, item: &str) -> bool {
        let entry = self
            .by_story
            .entry(story.id.as_str().into())
            .or_insert_with(|| StoryFirsts {
                first_seen: story.first_seen,
                rules: Vec::new(),
            });
        if let Some((_, had)) = entry.rules.iter().find(|(r, _)| **r == *rule) {
            return **had == *item;
        }
        entry.rules.push((rule.into(), item.into()));
        self.bound();
        true
    }

    /// Records that `item`, the first of `story`, had `rule`'s alert.
    fn record(&mut self, story: &str, first_seen: SystemTime, rule: &str, item: &str) {
        let entry = self
            .by_story
            .entry(story.into())
            .or_insert_with(|| StoryFirsts {
                first_seen,
                rules: Vec::new(),
            });
        if !entry.rules.iter().any(|(r, _)| **r == *rule) {
            entry.rules.push((rule.into(), item.into()));
        }
        self.bound();
    }

    /// Forgets the stories whose window ended by `now`, at most once per
    /// sixteenth of the window (and once a second).
    fn prune(&mut self, now: SystemTime) {
        if now < self.next_prune {
            return;
        }
        let window = self.window;
        self.by_story.retain(|_, s| {
            s.first_seen
                .checked_add(window)
                .is_none_or(|end| end >= now)
        });
        self.next_prune = now + (window / 16).max(Duration::from_secs(1));
    }

    /// Past a quarter more than `capacity` stories, forgets the oldest
    /// down to `capacity` (amortized: one pass per `capacity / 4` stories).
    fn bound(&mut self) {
        let limit = self.capacity + self.capacity / 4 + 1;
        if self.by_story.len() <= limit {
            return;
        }
        let mut seen: Vec<SystemTime> = self.by_story.values().map(|s| s.first_seen).collect();
        let drop = seen.len() - self.capacity;
        let (_, cutoff, _) = seen.select_nth_unstable(drop - 1);
        let cutoff = *cutoff;
        let mut dropped = 0;
        self.by_story.retain(|_, s| {
            if s.first_seen <= cutoff && dropped < drop {
                dropped += 1;
                false
            } else {
                true
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    fn item<'a>(title: &'a str, body: &'a str) -> NewsItem<'a> {
        NewsItem {
            id: None,
            title: Some(Cow::Borrowed(title)),
            url: None,
            source: None,
            lang: None,
            published_at: None,
            fields: vec![
                ("title", Cow::Borrowed(title)),
                ("body", Cow::Borrowed(body)),
            ],
            metadata: vec![],
        }
    }

    const BODY: &str = "Alibaba Group and ByteDance are weighing large orders of Nvidia's H200 \
        processors should Beijing give official permission, people familiar with the matter \
        said, after Washington allowed the sales to approved customers in China.";

    struct Collect(Mutex<Vec<SharedStory>>);

    impl StoryPublisher for std::sync::Arc<Collect> {
        fn publish(&self, story: &SharedStory) {
            self.0.lock().unwrap().push(story.clone());
        }
    }

    #[test]
    fn copies_join_the_first_items_story_and_only_the_first_alert_of_a_rule_is_first() {
        let published = std::sync::Arc::new(Collect(Mutex::new(vec![])));
        let stories = Stories::new(
            StoryConfig::default(),
            true,
            Some(Box::new(std::sync::Arc::clone(&published))),
        );
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_765_000_000);
        let seed = item("Alibaba, ByteDance weigh H200 orders", BODY);
        let a = stories.assign(&seed, "reuters-1", t0, &["chips", "china"]);
        assert!(a.story.new);
        assert_eq!(a.first, [true, true]);
        let copy_body = format!("{BODY} Copyright 2026 Wire Co. All rights reserved.");
        let copy = item("Alibaba, ByteDance weigh H200 orders - report", &copy_body);
        let b = stories.assign(
            &copy,
            "tass-7",
            t0 + Duration::from_secs(60),
            &["chips", "export"],
        );
        assert_eq!(b.story.id, "reuters-1");
        assert_eq!(b.story.copies, 2);
        // `chips` went out with the seed; `export` is new to the story.
        assert_eq!(b.first, [false, true]);
        // The seed redelivered: its alerts are still the first.
        let again = stories.assign(&seed, "reuters-1", t0 + Duration::from_secs(61), &["chips"]);
        assert_eq!(again.first, [true]);
        let p = published.0.lock().unwrap();
        assert_eq!(p.len(), 1, "one new story, published once");
        assert_eq!(p[0].signature.story, "reuters-1");
        assert_eq!(p[0].rules, ["chips", "china"]);
    }

    #[test]
    fn an_imported_story_takes_copies_and_its_rules_count_as_sent() {
        let here = Stories::new(StoryConfig::default(), true, None);
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_765_000_000);
        let sketch = Sketch::of("Alibaba, ByteDance weigh H200 orders", BODY);
        let elsewhere = Story {
            id: "reuters-1".into(),
            first_item: "reuters-1".into(),
            first_seen: t0,
            copies: 1,
            new: true,
        };
        let shared = SharedStory {
            signature: Signature::new(&elsewhere, &sketch),
            rules: vec!["chips".into()],
        };
        // Through JSON, as the topic carries it.
        let json = serde_json::to_vec(&shared).unwrap();
        let read: SharedStory = serde_json::from_slice(&json).unwrap();
        assert_eq!(read, shared);
        assert_eq!(here.import(&read), Ok(Imported::Added));
        assert_eq!(here.import(&read), Ok(Imported::Known));
        let copy = item("Alibaba, ByteDance weigh H200 orders", BODY);
        let a = here.assign(
            &copy,
            "tass-7",
            t0 + Duration::from_secs(5),
            &["chips", "export"],
        );
        assert_eq!(a.story.id, "reuters-1");
        assert_eq!(a.story.copies, 2);
        assert!(!a.story.new);
        assert_eq!(a.first, [false, true]);
        assert_eq!(here.len(), 1);
    }

    #[test]
    fn without_first_per_story_sinks_every_alert_is_first_and_nothing_is_remembered() {
        let stories = Stories::new(StoryConfig::default(), false, None);
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_765_000_000);
        let seed = item("Alibaba, ByteDance weigh H200 orders", BODY);
        stories.assign(&seed, "a", t0, &["chips"]);
        let b = stories.assign(&seed, "b", t0, &["chips"]);
        assert_eq!(b.story.id, "a");
        assert_eq!(b.first, [true]);
        assert!(stories.state.lock().unwrap().firsts.by_story.is_empty());
    }

    #[test]
    fn firsts_forget_stories_past_their_window_and_past_the_capacity() {
        let window = Duration::from_secs(3600);
        let mut f = Firsts::new(window, 8);
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_765_000_000);
        for i in 0..20u64 {
            let story = Story {
                id: format!("s{i}"),
                first_item: format!("s{i}"),
                first_seen: t0 + Duration::from_secs(i),
                copies: 1,
                new: true,
            };
            assert!(f.mark(&story, "r", &story.id));
        }
        assert!(f.by_story.len() <= 8 + 8 / 4 + 1, "{}", f.by_story.len());
        assert!(f.by_story.contains_key("s19"), "the newest is kept");
        assert!(!f.by_story.contains_key("s0"), "the oldest is forgotten");
        f.prune(t0 + window + Duration::from_secs(15));
        let mut kept: Vec<&str> = f.by_story.keys().map(|k| k.as_ref()).collect();
        kept.sort_unstable();
        assert_eq!(kept, ["s15", "s16", "s17", "s18", "s19"]);
        f.next_prune = SystemTime::UNIX_EPOCH;
        f.prune(t0 + 2 * window);
        assert!(f.by_story.is_empty());
    }

    #[test]
    fn the_story_text_is_the_title_and_the_body_or_text_or_summary() {
        // (story::story_text; tested here, where items are at hand)
        let mut i = item("T", "B");
        assert_eq!(story_text(&i), ("T", "B"));
        i.fields = vec![("summary", Cow::Borrowed("S"))];
        assert_eq!(story_text(&i), ("T", "S"));
        i.title = None;
        i.fields = vec![("text", Cow::Borrowed("X"))];
        assert_eq!(story_text(&i), ("", "X"));
    }
}
