//! The news items of `tests/fixtures/` (described in its README.md), and
//! streams of any length built from them.

use std::path::Path;

use crate::root;

/// The fixture items: the TASS article, chip news that alerts and ordinary
/// news that does not.
pub fn fixture_items() -> Vec<Vec<u8>> {
    let mut items = lines(&root().join("tests/fixtures/tass-h200-ru.jsonl"));
    items.extend(lines(&root().join("tests/fixtures/chip_news.jsonl")));
    items.extend(lines(&root().join("tests/fixtures/non_chip_news.jsonl")));
    items
}

/// The JSON lines of a fixture or corpus file.
pub fn lines(path: &Path) -> Vec<Vec<u8>> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.as_bytes().to_vec())
        .collect()
}

/// `n` items with unique ids built from the fixtures: a few percent chip
/// news, the rest ordinary news.
pub fn stream(n: usize, tag: &str) -> Vec<Vec<u8>> {
    let chips = lines(&root().join("tests/fixtures/chip_news.jsonl"));
    let plain = lines(&root().join("tests/fixtures/non_chip_news.jsonl"));
    (0..n)
        .map(|i| {
            let src = if i % 25 == 0 {
                &chips[i / 25 % chips.len()]
            } else {
                &plain[i % plain.len()]
            };
            let mut v: serde_json::Value = serde_json::from_slice(src).expect("fixture JSON");
            v["id"] = serde_json::Value::String(format!("{tag}-{i}"));
            serde_json::to_vec(&v).expect("encode item")
        })
        .collect()
}
