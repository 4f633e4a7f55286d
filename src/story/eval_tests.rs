//! Story detection against the labelled syndication set
//! (`tests/fixtures/syndication.jsonl`, `scripts/gen-syndication.py`):
//! items assigned in file order with `published_at` as the time seen;
//! pairwise precision and recall of the stories found against the `story`
//! labels, which only this evaluation reads.

use std::collections::HashMap;
use std::time::SystemTime;

use super::sketch::Shingling;
use super::{Sketch, StoryConfig, StoryIndex};

struct Item {
    id: String,
    title: String,
    body: String,
    seen: SystemTime,
    label: String,
}

fn items() -> Vec<Item> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/syndication.jsonl"
    );
    let text = std::fs::read_to_string(path).expect("the syndication fixture");
    text.lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            let s = |k: &str| v[k].as_str().expect(k).to_owned();
            Item {
                id: s("id"),
                title: s("title"),
                body: s("body"),
                seen: humantime::parse_rfc3339(&s("published_at")).expect("RFC 3339"),
                label: s("story"),
            }
        })
        .collect()
}

/// Pairwise precision and recall: of the pairs of items put in one story,
/// the share labelled one story, and of the pairs labelled one story, the
/// share put in one.
fn pairwise(predicted: &[String], labels: &[&str]) -> (f64, f64) {
    fn pairs<K: std::hash::Hash + Eq>(keys: impl Iterator<Item = K>) -> u64 {
        let mut counts: HashMap<K, u64> = HashMap::new();
        for k in keys {
            *counts.entry(k).or_default() += 1;
        }
        counts.values().map(|n| n * (n - 1) / 2).sum()
    }
    let both = pairs(predicted.iter().zip(labels));
    let found = pairs(predicted.iter());
    let true_pairs = pairs(labels.iter());
    (
        both as f64 / found.max(1) as f64,
        both as f64 / true_pairs.max(1) as f64,
    )
}

/// Precision, recall and the number of stories found with these sketches.
fn evaluate(items: &[Item], sketches: &[Sketch], config: StoryConfig) -> (f64, f64, usize) {
    let mut index = StoryIndex::new(config);
    let predicted: Vec<String> = items
        .iter()
        .zip(sketches)
        .map(|(item, sketch)| index.assign_sketch(&item.id, sketch, item.seen).id)
        .collect();
    let labels: Vec<&str> = items.iter().map(|i| i.label.as_str()).collect();
    let (p, r) = pairwise(&predicted, &labels);
    let mut stories = predicted.clone();
    stories.sort();
    stories.dedup();
    (p, r, stories.len())
}

#[test]
fn stories_of_the_syndication_set_meet_precision_and_recall() {
    let items = items();
    let sketches: Vec<Sketch> = items
        .iter()
        .map(|i| Sketch::of(&i.title, &i.body))
        .collect();
    let (p, r, n) = evaluate(&items, &sketches, StoryConfig::default());
    let mut labels: Vec<&str> = items.iter().map(|i| i.label.as_str()).collect();
    labels.sort();
    labels.dedup();
    println!(
        "syndication set: {} items, {} stories labelled, {n} found; precision {p:.4}, recall {r:.4}",
        items.len(),
        labels.len()
    );
    assert!(p >= 0.98, "pairwise precision {p:.4} < 0.98");
    assert!(r >= 0.9, "pairwise recall {r:.4} < 0.9");
}

#[test]
fn pairwise_counts_pairs() {
    let p = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    // Labelled {a,b,c} {d}; found {a,b} {c,d}: 1 of 2 found pairs right,
    // 1 of 3 true pairs found.
    let (prec, rec) = pairwise(&p(&["1", "1", "2", "2"]), &["x", "x", "x", "y"]);
    assert_eq!((prec, rec), (0.5, 1.0 / 3.0));
}

/// The margin around the default threshold, with the default shingling
/// (`SHINGLE_WORDS` words, the first `BODY_WORDS` of the body): precision
/// at least 0.98 from threshold 0.4 to 0.8, recall at least 0.9 at 0.5 and
/// 0.6. With `NEWSWATCH_STORY_SWEEP=1` it also sweeps shingle sizes 1-4 and
/// body words 100-400 and prints the table of BENCHMARKS.md ("Stories"):
/// `NEWSWATCH_STORY_SWEEP=1 cargo test --release --lib
/// story::eval_tests::margin -- --nocapture`.
#[test]
fn margin_around_the_threshold() {
    use super::sketch::{BODY_WORDS, SHINGLE_WORDS};
    let items = items();
    let full = std::env::var_os("NEWSWATCH_STORY_SWEEP").is_some();
    println!("| shingle words | body words | threshold | precision | recall | stories |");
    println!("|---:|---:|---:|---:|---:|---:|");
    let (all_words, all_body): (&[usize], &[usize]) = if full {
        (&[1, 2, 3, 4], &[100, 200, 300, 400])
    } else {
        (&[SHINGLE_WORDS], &[BODY_WORDS])
    };
    for &words in all_words {
        for &body_words in all_body {
            let shingling = Shingling { words, body_words };
            let sketches: Vec<Sketch> = items
                .iter()
                .map(|i| Sketch::with(shingling, &i.title, &i.body))
                .collect();
            for threshold in [0.4, 0.5, 0.6, 0.7, 0.8] {
                let config = StoryConfig::new(threshold, StoryConfig::DEFAULT_WINDOW, 1_000_000)
                    .expect("valid");
                let (p, r, n) = evaluate(&items, &sketches, config);
                println!("| {words} | {body_words} | {threshold} | {p:.4} | {r:.4} | {n} |");
                if (words, body_words) == (SHINGLE_WORDS, BODY_WORDS) {
                    assert!(p >= 0.98, "precision {p:.4} at threshold {threshold}");
                    if threshold == 0.5 || threshold == 0.6 {
                        assert!(r >= 0.9, "recall {r:.4} at threshold {threshold}");
                    }
                }
            }
        }
    }
}
