//! Unit and property tests of the sketch and the index: one story per
//! text, the window, the capacity, ids and copies, signatures shared
//! between instances.

use std::time::{Duration, SystemTime};

use proptest::prelude::*;

use super::sketch::without_links;
use super::*;

const T0: Duration = Duration::from_secs(1_765_000_000);
const HOUR: Duration = Duration::from_secs(3600);

fn at(offset: Duration) -> SystemTime {
    SystemTime::UNIX_EPOCH + T0 + offset
}

const TITLE: &str = "US weighs allowing Nvidia H200 exports to China";
const BODY: &str = "The Trump administration is weighing whether to allow Nvidia to \
    export its H200 artificial-intelligence chips to China, people familiar with the \
    discussions said. Any sales would still require export licences from the Commerce \
    Department. The H200 is about six times as powerful as the H20, the most advanced \
    Nvidia chip that may currently be sold in China. No decision has been made.";
const OTHER_TITLE: &str = "China opens antitrust probe into Nvidia over Mellanox deal";
const OTHER_BODY: &str = "China's market regulator said on Monday it had opened an \
    investigation into Nvidia over suspected violations of the anti-monopoly law, in a \
    move widely seen as retaliation for the latest US curbs on chip exports. Shares of \
    the company fell two percent in premarket trading in New York.";

fn index(window: Duration, capacity: usize) -> StoryIndex {
    StoryIndex::new(StoryConfig::new(0.6, window, capacity).expect("valid config"))
}

#[test]
fn identical_texts_are_one_story_named_by_the_first_item() {
    let mut ix = index(24 * HOUR, 100);
    let a = ix.assign("a", TITLE, BODY, at(HOUR));
    assert_eq!(
        a,
        Story {
            id: "a".into(),
            first_item: "a".into(),
            first_seen: at(HOUR),
            copies: 1,
            new: true
        }
    );
    let b = ix.assign("b", TITLE, BODY, at(2 * HOUR));
    assert_eq!((b.id.as_str(), b.first_item.as_str()), ("a", "a"));
    assert_eq!((b.first_seen, b.copies, b.new), (at(HOUR), 2, false));
    let c = ix.assign("c", &TITLE.to_uppercase(), BODY, at(3 * HOUR));
    assert_eq!((c.id.as_str(), c.copies), ("a", 3), "case does not matter");
    assert_eq!(ix.len(), 1);
}

#[test]
fn unrelated_texts_are_two_stories() {
    let mut ix = index(24 * HOUR, 100);
    let a = ix.assign("a", TITLE, BODY, at(HOUR));
    let b = ix.assign("b", OTHER_TITLE, OTHER_BODY, at(HOUR));
    assert_eq!((a.id.as_str(), b.id.as_str()), ("a", "b"));
    assert!(b.new);
    assert_eq!(ix.len(), 2);
}

#[test]
fn a_copy_within_the_window_joins_and_one_after_it_starts_a_story() {
    let mut ix = index(24 * HOUR, 100);
    ix.assign("a", TITLE, BODY, at(HOUR));
    let edge = ix.assign("b", TITLE, BODY, at(25 * HOUR));
    assert_eq!(
        (edge.id.as_str(), edge.copies),
        ("a", 2),
        "exactly `window` after joins"
    );
    let late = ix.assign("c", TITLE, BODY, at(25 * HOUR + Duration::from_secs(1)));
    assert_eq!((late.id.as_str(), late.copies, late.new), ("c", 1, true));
    assert_eq!(ix.len(), 1, "the first story's window ended: evicted");
    // A copy that arrives late, seen before the story's first item, joins
    // it when within the window.
    let early = ix.assign("d", TITLE, BODY, at(20 * HOUR));
    assert_eq!(early.id, "c");
}

#[test]
fn stories_expire_with_the_window() {
    let mut ix = index(HOUR, 100);
    ix.assign("a", TITLE, BODY, at(Duration::ZERO));
    ix.assign("b", OTHER_TITLE, OTHER_BODY, at(HOUR / 2));
    assert_eq!(ix.len(), 2);
    let before = ix.memory_bytes();
    assert!(before > 2 * HASHES, "{before}");
    ix.assign("c", "", "", at(HOUR + Duration::from_secs(1)));
    assert_eq!(ix.len(), 1, "a's window ended");
    ix.assign("d", "", "", at(2 * HOUR));
    assert!(ix.is_empty(), "b's window ended at 1h30m");
}

#[test]
fn the_oldest_story_is_evicted_past_the_capacity() {
    let mut ix = index(24 * HOUR, 2);
    ix.assign("a", TITLE, BODY, at(HOUR));
    ix.assign("b", OTHER_TITLE, OTHER_BODY, at(HOUR));
    ix.assign(
        "c",
        "Dutch tighten ASML export licences",
        "The Netherlands \
        widened licence requirements for ASML's DUV lithography machines.",
        at(HOUR),
    );
    assert_eq!(ix.len(), 2);
    let again = ix.assign("d", TITLE, BODY, at(2 * HOUR));
    assert_eq!((again.id.as_str(), again.new), ("d", true), "a was evicted");
    let e = ix.assign("e", OTHER_TITLE, OTHER_BODY, at(2 * HOUR));
    assert_eq!(e.id, "e", "b went when d came");
    assert_eq!(ix.len(), 2);
}

#[test]
fn a_redelivered_first_item_is_not_a_copy() {
    let mut ix = index(24 * HOUR, 100);
    ix.assign("a", TITLE, BODY, at(HOUR));
    let again = ix.assign("a", TITLE, BODY, at(2 * HOUR));
    assert_eq!(
        (again.id.as_str(), again.copies, again.new),
        ("a", 1, false)
    );
    assert_eq!(ix.assign("b", TITLE, BODY, at(2 * HOUR)).copies, 2);
}

#[test]
fn a_redelivered_copy_is_counted_once() {
    let mut ix = index(24 * HOUR, 100);
    ix.assign("a", TITLE, BODY, at(HOUR));
    assert_eq!(ix.assign("b", TITLE, BODY, at(HOUR)).copies, 2);
    // `b` again (at-least-once after a crash, or its transaction aborted):
    // the same story, the same count; a new copy counts.
    let again = ix.assign("b", TITLE, BODY, at(2 * HOUR));
    assert_eq!((again.id.as_str(), again.copies), ("a", 2));
    assert_eq!(ix.assign("c", TITLE, BODY, at(2 * HOUR)).copies, 3);
    assert_eq!(ix.assign("b", TITLE, BODY, at(3 * HOUR)).copies, 3);
}

#[test]
fn copies_are_remembered_for_the_last_recent_copies_only() {
    use crate::story::index::RECENT_COPIES;
    let mut ix = index(24 * HOUR, 100);
    ix.assign("a", TITLE, BODY, at(HOUR));
    for k in 0..=RECENT_COPIES {
        ix.assign(&format!("copy-{k}"), TITLE, BODY, at(HOUR));
    }
    let counted = RECENT_COPIES as u32 + 2;
    // `copy-0` is the one forgotten: counted again; the last still known.
    assert_eq!(
        ix.assign("copy-0", TITLE, BODY, at(HOUR)).copies,
        counted + 1
    );
    let last = format!("copy-{RECENT_COPIES}");
    assert_eq!(ix.assign(&last, TITLE, BODY, at(HOUR)).copies, counted + 1);
}

#[test]
fn a_text_without_words_is_a_story_of_its_own_and_not_kept() {
    let mut ix = index(24 * HOUR, 100);
    for id in ["a", "b"] {
        let s = ix.assign(id, "", " — ... ", at(HOUR));
        assert_eq!((s.id.as_str(), s.copies, s.new), (id, 1, true));
    }
    assert!(ix.is_empty());
}

#[test]
fn the_most_similar_story_wins() {
    let mut ix = index(24 * HOUR, 100);
    let half = &BODY[..BODY.len() / 2];
    ix.assign("short", TITLE, half, at(HOUR));
    ix.assign("full", TITLE, &format!("{BODY} More text."), at(HOUR));
    assert_eq!(ix.assign("copy", TITLE, BODY, at(HOUR)).id, "full");
}

#[test]
fn links_and_quotes_do_not_change_the_sketch() {
    let plain = Sketch::of(TITLE, BODY);
    let linked = format!(
        "{BODY} https://www.example.com/a/b?c=d www.example.org/x \
         相关阅读：https://news.example.cn/slug"
    );
    let with_cjk = Sketch::of(TITLE, &format!("{BODY} 相关阅读："));
    assert_eq!(Sketch::of(TITLE, &linked), with_cjk);
    assert!(plain.similarity(&with_cjk) > 0.9);
    let quoted = BODY.replace("said", "“said”");
    assert_eq!(Sketch::of(TITLE, &quoted), plain);
    let full_width = Sketch::of("US weighs allowing Nvidia Ｈ２００ exports to China", BODY);
    assert_eq!(full_width, plain, "the matcher's normalization");
    assert_eq!(
        without_links("see http://x.org/a, or www.y.com."),
        "see   or  "
    );
    assert_eq!(without_links("awww.x and e-mail://"), "awww.x and  ");
}

#[test]
fn the_body_counts_up_to_its_first_words() {
    let long: String = (0..2 * BODY_WORDS).map(|i| format!("w{i} ")).collect();
    let longer = format!("{long} and a tail that does not count");
    assert_eq!(Sketch::of("t", &long), Sketch::of("t", &longer));
    assert!(!Sketch::of("", "one").is_empty());
    assert!(Sketch::of("", "").is_empty());
}

#[test]
fn signatures_move_stories_between_instances() {
    let mut a = index(24 * HOUR, 100);
    let sketch = Sketch::of(TITLE, BODY);
    let story = a.assign_sketch("a1", &sketch, at(HOUR));
    assert!(story.new);
    let sig = Signature::new(&story, &sketch);
    let json = serde_json::to_string(&sig).expect("serializes");
    assert!(json.contains("\"first_seen_ms\":1765003600000"), "{json}");
    let back: Signature = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, sig);

    let mut b = index(24 * HOUR, 100);
    assert_eq!(b.import(&back), Ok(Imported::Added));
    assert_eq!(b.import(&back), Ok(Imported::Known));
    let copy = b.assign("b1", TITLE, BODY, at(2 * HOUR));
    assert_eq!(
        (copy.id.as_str(), copy.copies, copy.first_seen),
        ("a1", 2, at(HOUR))
    );

    let mut wrong = back.clone();
    wrong.scheme = SCHEME + 1;
    assert_eq!(b.import(&wrong), Err(ImportError::Scheme(SCHEME + 1)));
    wrong.scheme = SCHEME;
    wrong.values.pop();
    assert_eq!(b.import(&wrong), Err(ImportError::Values(HASHES - 1)));
    b.assign("c", "", "", at(30 * HOUR));
    assert_eq!(b.import(&back), Ok(Imported::Expired));
}

#[test]
fn configuration_errors_name_the_key() {
    let day = StoryConfig::DEFAULT_WINDOW;
    for (s, key) in [
        (0.0, "story_similarity"),
        (1.5, "story_similarity"),
        (f64::NAN, "story_similarity"),
    ] {
        let e = StoryConfig::new(s, day, 10).expect_err("out of range");
        assert!(e.to_string().contains(key), "{e}");
    }
    assert_eq!(
        StoryConfig::new(0.6, Duration::ZERO, 10),
        Err(ConfigError::Window)
    );
    assert_eq!(StoryConfig::new(0.6, day, 0), Err(ConfigError::Capacity(0)));
    assert!(StoryConfig::new(0.6, day, MAX_CAPACITY + 1).is_err());
    assert!(StoryConfig::new(1.0, day, MAX_CAPACITY).is_ok());
    let d = StoryConfig::default();
    assert_eq!(
        (d.similarity(), d.window(), d.capacity()),
        (0.6, day, 1_000_000)
    );
}

#[test]
fn the_index_is_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<StoryIndex>();
    send_sync::<Sketch>();
    send_sync::<Signature>();
}

#[test]
fn the_estimate_follows_the_jaccard_index() {
    // Sets of single-word shingles with a known Jaccard index: the mean
    // estimate over 40 pairs is within 0.02 of it (its standard error is
    // 0.043 / sqrt(40) = 0.007).
    for (shared, own) in [(60, 20), (30, 35), (10, 45)] {
        let jaccard = shared as f64 / (shared + 2 * own) as f64;
        let mut sum = 0.0;
        for trial in 0..40 {
            let words = |side: &str| -> String {
                let common = (0..shared).map(|i| format!("c{trial}x{i}"));
                let mine = (0..own).map(|i| format!("{side}{trial}x{i}"));
                common.chain(mine).collect::<Vec<_>>().join(" . ")
            };
            let a = super::sketch::Sketch::with(
                super::sketch::Shingling {
                    words: 1,
                    body_words: 1000,
                },
                "",
                &words("a"),
            );
            let b = super::sketch::Sketch::with(
                super::sketch::Shingling {
                    words: 1,
                    body_words: 1000,
                },
                "",
                &words("b"),
            );
            sum += a.similarity(&b);
        }
        let mean = sum / 40.0;
        assert!(
            (mean - jaccard).abs() < 0.02,
            "J {jaccard:.3}: mean estimate {mean:.3}"
        );
    }
}

/// Random words of 2 to 9 letters from a fixed alphabet.
fn text(words: std::ops::Range<usize>) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec("[a-zа-я]{2,9}", words)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// A text of 60 to 300 words with up to three words changed, inserted
    /// or deleted stays in its story.
    #[test]
    fn small_edits_stay_in_the_story(
        words in text(60..300),
        edits in prop::collection::vec((0usize..3, any::<prop::sample::Index>(), "[a-z]{3,8}"), 0..=3),
    ) {
        let mut ix = index(24 * HOUR, 100);
        let title = words[..8].join(" ");
        let original = words[8..].join(" ");
        ix.assign("first", &title, &original, at(HOUR));
        let mut edited = words[8..].to_vec();
        for (kind, at_, word) in edits {
            let i = at_.index(edited.len());
            match kind {
                0 => edited[i] = word,
                1 => edited.insert(i, word),
                _ => { edited.remove(i); }
            }
        }
        let story = ix.assign("copy", &title, &edited.join(" "), at(2 * HOUR));
        prop_assert_eq!(story.id.as_str(), "first");
        prop_assert_eq!(story.copies, 2);
    }

    /// Unrelated random texts never merge.
    #[test]
    fn unrelated_texts_never_merge(a in text(5..300), b in text(5..300)) {
        prop_assume!(a != b);
        let mut ix = index(24 * HOUR, 100);
        ix.assign("a", "", &a.join(" "), at(HOUR));
        let story = ix.assign("b", "", &b.join(" "), at(HOUR));
        prop_assert_eq!(story.id.as_str(), "b");
    }

    /// The window, for any times: a copy joins exactly when it is seen at
    /// most `window` after or before the first item.
    #[test]
    fn copies_join_within_the_window(window_s in 1u64..100_000, gap_s in 0u64..200_000, before in any::<bool>()) {
        let window = Duration::from_secs(window_s);
        let mut ix = index(window, 10);
        let first = at(Duration::from_secs(300_000));
        ix.assign("a", TITLE, BODY, first);
        let gap = Duration::from_secs(gap_s);
        let seen = if before { first - gap } else { first + gap };
        let story = ix.assign("b", TITLE, BODY, seen);
        prop_assert_eq!(story.id == "a", gap <= window);
    }
}

#[test]
fn a_window_past_the_end_of_time_never_ends() {
    let mut ix = index(Duration::MAX, 10);
    ix.assign("a", TITLE, BODY, at(HOUR));
    let s = ix.assign("b", TITLE, BODY, at(1_000_000 * HOUR));
    assert_eq!(s.id, "a");
    let far = Signature::new(&s, &Sketch::of(TITLE, BODY));
    assert_eq!(ix.import(&far), Ok(Imported::Known));
}
