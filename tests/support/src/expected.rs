//! The alerts a watchlist must raise for items, computed with the library
//! (decode, engine, alert ids), not the daemon: the oracle the Kafka tests
//! compare the daemon's output with.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use newswatch::alert::{AlertOptions, alerts_for};
use newswatch::engine::{Engine, Scratch};
use newswatch::item::{DecodeOptions, Provenance, decode};
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
/// Computed through the daemon's own path from item to alerts
/// (`alert::alerts_for`), not a copy of it.
pub fn expected_alerts_with(
    watchlist: &Path,
    opts: &DecodeOptions,
    items: &[(Option<&str>, &[u8])],
) -> Vec<Expected> {
    let w = Watchlist::load(watchlist, None).expect("watchlist loads");
    let engine = Engine::build(Arc::new(w)).expect("engine builds");
    let mut scratch = Scratch::new();
    let alert_options = AlertOptions::default();
    let mut out = Vec::new();
    for &(key, raw) in items {
        let Ok(item) = decode(raw, opts) else {
            continue;
        };
        assert!(
            item.id.is_some() || key.is_some(),
            "test items carry ids or keys"
        );
        let from = Provenance::Message {
            topic: "news",
            partition: 0,
            offset: 0,
            key: key.map(str::as_bytes),
        };
        let now = std::time::SystemTime::now();
        for a in alerts_for(&engine, &item, &from, &alert_options, now, &mut scratch) {
            out.push(Expected {
                id: a.alert.id,
                rule: a.alert.data.rule,
                item: a.alert.data.item.id.clone(),
            });
        }
    }
    out
}
