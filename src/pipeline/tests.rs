//! The pipeline with recording sinks: stories on every alert, each sink's
//! `repeat` and `group`, and items completing whatever a policy kept back.

use std::sync::{Arc, Mutex};

use super::*;
use crate::alert::alert_id;
use crate::sink::Ack;
use crate::story::StoryConfig;
use crate::watchlist::{BUILT_IN, Watchlist};

const COPIES: &str = include_str!("../../tests/fixtures/story_copies.jsonl");

/// A sink that keeps what it is sent and acknowledges at once.
struct Recorder {
    name: &'static str,
    got: Mutex<Vec<Alert>>,
}

impl Sink for Recorder {
    fn name(&self) -> &str {
        self.name
    }

    fn send(&self, alert: &Outgoing, ack: Ack) {
        self.got.lock().unwrap().push(alert.alert.clone());
        ack.done();
    }
}

fn recorder(name: &'static str) -> Arc<Recorder> {
    Arc::new(Recorder {
        name,
        got: Mutex::new(Vec::new()),
    })
}

#[test]
fn sinks_get_alerts_by_their_policy_and_every_item_completes() {
    let engine =
        Arc::new(Engine::build(Arc::new(Watchlist::parse(BUILT_IN, None).unwrap())).unwrap());
    let every = recorder("every");
    let first = recorder("first");
    let item = recorder("item");
    let both = recorder("both");
    let policy = |repeat, group| SinkPolicy { repeat, group };
    let sinks: Vec<(Arc<dyn Sink>, SinkPolicy)> = vec![
        (every.clone(), SinkPolicy::default()),
        (first.clone(), policy(Repeat::FirstPerStory, Group::Rule)),
        (item.clone(), policy(Repeat::Every, Group::Item)),
        (both.clone(), policy(Repeat::FirstPerStory, Group::Item)),
    ];
    let offsets = Arc::new(Mutex::new(Offsets::new()));
    offsets.lock().unwrap().assign("news", 0);
    let pipeline = Pipeline::new(
        engine,
        DecodeOptions::default(),
        AlertOptions::default(),
        Duration::from_secs(600),
        sinks,
        Arc::new(Stories::new(StoryConfig::default(), true, None)),
        None,
        Arc::clone(&offsets),
    );
    let lines: Vec<&str> = COPIES.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 4, "seed, two copies, another story");
    let routing = pipeline.routing();
    let mut scratch = Scratch::new();
    for (i, line) in lines.iter().enumerate() {
        let ticket = offsets.lock().unwrap().begin("news", 0, i as i64).unwrap();
        let env = Envelope {
            topic: Arc::from("news"),
            partition: 0,
            offset: i as i64,
            timestamp_ms: None,
            key: None,
            payload: Some(Bytes::copy_from_slice(line.as_bytes())),
            ticket,
        };
        pipeline.process(&routing, env, &mut scratch);
    }

    let every = every.got.lock().unwrap();
    let per_item = |id: &str| every.iter().filter(|a| a.data.item.id == id).count();
    let (seed, ria, rbc, other) = (
        "tass-2025-12-10-h200",
        "ria-2025-12-10-h200",
        "rbc-2025-12-10-h200",
        "interfax-2025-12-11-h200",
    );
    assert!(per_item(seed) >= 2 && per_item(other) >= 2, "{every:?}");
    for a in every.iter() {
        let story = a.data.story.as_ref().expect("every alert has its story");
        let want = match a.data.item.id.as_str() {
            id if id == ria => (seed, 2),
            id if id == rbc => (seed, 3),
            id if id == other => (other, 1),
            _ => (seed, 1),
        };
        assert_eq!(
            (story.id.as_str(), story.copies),
            want,
            "{}",
            a.data.item.id
        );
        assert_eq!(story.first_item, story.id);
        assert!(a.data.rules.is_none());
    }

    // first-per-story: the seed's and the other story's alerts only.
    let first = first.got.lock().unwrap();
    let firsts: Vec<&str> = first.iter().map(|a| a.data.item.id.as_str()).collect();
    assert_eq!(first.len(), per_item(seed) + per_item(other), "{firsts:?}");
    assert!(firsts.iter().all(|id| *id == seed || *id == other));

    // group = item: one per item, with every rule; with first-per-story
    // too, one per story.
    let item = item.got.lock().unwrap();
    assert_eq!(item.len(), 4);
    for a in item.iter() {
        let rules: Vec<&str> = every
            .iter()
            .filter(|e| e.data.item.id == a.data.item.id)
            .map(|e| e.data.rule.as_str())
            .collect();
        assert_eq!(a.data.rules.as_deref().map(|r| r.len()), Some(rules.len()));
        assert_eq!(a.id, alert_id("", &a.data.item.id));
    }
    let both = both.got.lock().unwrap();
    let ids: Vec<&str> = both.iter().map(|a| a.data.item.id.as_str()).collect();
    assert_eq!(ids, [seed, other]);

    // Every item completed, those whose alerts were held back included.
    assert_eq!(
        offsets.lock().unwrap().take_committable(),
        [("news".to_owned(), 0, 4)]
    );
}
