//! The alerts a watchlist must raise for items, computed with the library
//! (decode, engine, alert ids), not the daemon: the oracle the Kafka tests
//! compare the daemon's output with.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use newswatch::engine::{Engine, Field, Scratch};
use newswatch::item::{DecodeOptions, decode};
use newswatch::watchlist::Watchlist;

use crate::root;

/// The alert ids the default watchlist must produce for `items` (JSON
/// values with ids), computed with the library, not the daemon.
pub fn expected_ids(items: &[Vec<u8>]) -> HashSet<String> {
    expected_alerts(&root().join("config/watchlist.toml"), items)
        .into_iter()
        .map(|a| a.id)
        .collect()
}

/// An alert the library says `items` must raise.
#[derive(Debug, Clone)]
pub struct Expected {
    pub id: String,
    pub rule: String,
    pub item: String,
}

/// The alerts `watchlist` must raise for `items` (JSON values with ids).
pub fn expected_alerts(watchlist: &Path, items: &[Vec<u8>]) -> Vec<Expected> {
    let items: Vec<(Option<&str>, &[u8])> = items.iter().map(|v| (None, v.as_slice())).collect();
    expected_alerts_with(watchlist, &DecodeOptions::default(), &items)
}

/// The alerts `watchlist` must raise for `items` decoded with `opts`, each
/// given as (key, value): the key is the id of an item that has none.
pub fn expected_alerts_with(
    watchlist: &Path,
    opts: &DecodeOptions,
    items: &[(Option<&str>, &[u8])],
) -> Vec<Expected> {
    let w = Watchlist::load(watchlist, None).expect("watchlist loads");
    let engine = Engine::build(Arc::new(w)).expect("engine builds");
    let mut scratch = Scratch::new();
    let mut out = Vec::new();
    for &(key, raw) in items {
        let Ok(item) = decode(raw, opts) else {
            continue;
        };
        let id = item
            .id
            .as_deref()
            .or(key)
            .expect("test items carry ids or keys")
            .to_owned();
        let fields: Vec<Field<'_>> = item
            .fields
            .iter()
            .map(|(name, text)| Field { name, text })
            .collect();
        for hit in engine.scan(&fields, &mut scratch) {
            let rule = engine.rule(hit.rule).id.clone();
            out.push(Expected {
                id: newswatch::alert::alert_id(&rule, &id),
                rule,
                item: id.clone(),
            });
        }
    }
    out
}
