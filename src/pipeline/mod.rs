//! One item's way through the daemon: decode, match, build alerts, find
//! the item's story (`stories`), drop duplicates within the dedup window,
//! hand each alert to the sinks its rule routes to as each sink's policy
//! says (`repeat`, `group`: SPEC 3a), and complete the item's offset when
//! all of them acknowledged.
//!
//! Knows the [`Sink`] and [`DeadLetter`] traits, not Kafka. A pool of worker
//! threads shares one [`Pipeline`]; each has its own engine scratch space.

pub mod stories;

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;

use crate::alert::{self, Alert, AlertOptions, StoryRef};
use crate::engine::{Engine, Scratch};
use crate::item::{self, DecodeOptions, Provenance};
use crate::metrics::liveness::WorkerBeat;
use crate::metrics::{self, events};
use crate::offsets::{Offsets, Ticket};
use crate::sink::{
    Completion, DeadLetter, DeadLetterRecord, Group, Outgoing, Repeat, Sink, SinkPolicy,
};
use stories::Stories;

/// A consumed message, owned, with its offset ticket.
#[derive(Debug)]
pub struct Envelope {
    /// The topic it was consumed from.
    pub topic: Arc<str>,
    /// Its partition.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
    /// The message's Kafka timestamp (ms since the epoch), for the
    /// produce-to-alert latency.
    pub timestamp_ms: Option<i64>,
    /// The message key.
    pub key: Option<Bytes>,
    /// The message value; `None` for a tombstone.
    pub payload: Option<Bytes>,
    /// Completes the offset once every delivery of the item is done.
    pub ticket: Ticket,
}

/// Alert ids emitted recently (`alerts.dedup_window`).
struct Dedup {
    window: Duration,
    seen: HashMap<String, Instant>,
    next_prune: Instant,
    /// Under exactly-once: the ids first seen since the last committed
    /// transaction, forgotten if it aborts, so that an alert whose copy was
    /// aborted is sent again (SPEC section 4, Dedup).
    uncommitted: Option<Vec<String>>,
}

impl Dedup {
    fn new(window: Duration) -> Self {
        Dedup {
            window,
            seen: HashMap::new(),
            next_prune: Instant::now() + window,
            uncommitted: None,
        }
    }

    /// The transaction holding the ids seen since the last call committed.
    fn committed(&mut self) {
        if let Some(ids) = &mut self.uncommitted {
            ids.clear();
        }
    }

    /// The transaction holding the ids seen since the last commit aborted:
    /// they were never emitted.
    fn aborted(&mut self) {
        if let Some(ids) = &mut self.uncommitted {
            for id in ids.drain(..) {
                self.seen.remove(&id);
            }
        }
    }

    /// True the first time `id` is seen within the window.
    fn first_time(&mut self, id: &str, now: Instant) -> bool {
        if now >= self.next_prune {
            let window = self.window;
            self.seen.retain(|_, t| now.duration_since(*t) < window);
            self.next_prune = now + window.max(Duration::from_secs(1));
        }
        match self.seen.get(id) {
            Some(t) if now.duration_since(*t) < self.window => false,
            _ => {
                self.seen.insert(id.to_owned(), now);
                if let Some(ids) = &mut self.uncommitted {
                    ids.push(id.to_owned());
                }
                true
            }
        }
    }
}

/// The engine and, per rule, the sinks its alerts go to (the routes):
/// swapped whole on a watchlist reload.
pub struct Routing {
    engine: Arc<Engine>,
    /// Per rule, the indices into the pipeline's sinks.
    routes: Vec<Vec<usize>>,
}

impl Routing {
    /// Routes `engine`'s rules to `sinks` by name. The names were checked
    /// against the configured sinks when the watchlist loaded.
    pub fn new(engine: Arc<Engine>, sinks: &[Arc<dyn Sink>]) -> Self {
        let routes = engine
            .watchlist()
            .rules
            .iter()
            .map(|r| {
                (0..sinks.len())
                    .filter(|&i| r.routes_to(sinks[i].name()))
                    .collect()
            })
            .collect();
        Routing { engine, routes }
    }

    /// The engine.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }
}

/// Everything a worker needs, shared read-only (the dedup set and the
/// current routing excepted).
pub struct Pipeline {
    /// The current engine and routes. A worker takes them once per batch:
    /// items finish on the engine they started with, and a reload never
    /// blocks matching for longer than an `Arc` clone.
    routing: RwLock<Arc<Routing>>,
    decode: DecodeOptions,
    alerts: AlertOptions,
    sinks: Vec<Arc<dyn Sink>>,
    /// Per sink (same order as `sinks`), its `repeat` and `group`.
    policies: Vec<SinkPolicy>,
    /// The sinks with `group = "item"`, by index.
    item_sinks: Vec<usize>,
    /// The story index, shared with the stories topic's reader.
    stories: Arc<Stories>,
    dead_letter: Option<Arc<dyn DeadLetter>>,
    dedup: Mutex<Dedup>,
    offsets: Arc<Mutex<Offsets>>,
    /// Under exactly-once: held for reading while an item is processed,
    /// for writing by a transaction's abort
    /// ([`crate::source::transactions::Transactions::fail`]).
    gate: Arc<RwLock<()>>,
    /// Exactly-once ([`Pipeline::track_transactions`]): items of an
    /// aborted transaction are skipped, under the gate.
    transactional: std::sync::atomic::AtomicBool,
}

impl Pipeline {
    /// A pipeline matching with `engine` and delivering to `sinks`, each
    /// with its policy (`sinks[i].1`); items that raise alerts are given
    /// their story by `stories`; rejected items go to `dead_letter`;
    /// completed offsets to `offsets`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        engine: Arc<Engine>,
        decode: DecodeOptions,
        alerts: AlertOptions,
        dedup_window: Duration,
        sinks: Vec<(Arc<dyn Sink>, SinkPolicy)>,
        stories: Arc<Stories>,
        dead_letter: Option<Arc<dyn DeadLetter>>,
        offsets: Arc<Mutex<Offsets>>,
    ) -> Self {
        let (sinks, policies): (Vec<_>, Vec<_>) = sinks.into_iter().unzip();
        let item_sinks = (0..policies.len())
            .filter(|&i| policies[i].group == Group::Item)
            .collect();
        Pipeline {
            routing: RwLock::new(Arc::new(Routing::new(engine, &sinks))),
            decode,
            alerts,
            sinks,
            policies,
            item_sinks,
            stories,
            dead_letter,
            dedup: Mutex::new(Dedup::new(dedup_window)),
            offsets,
            gate: Arc::new(RwLock::new(())),
            transactional: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Under exactly-once: from now on, the dedup set remembers which ids
    /// each transaction added ([`crate::source::transactions::Listener`]).
    pub fn track_transactions(&self) {
        self.transactional
            .store(true, std::sync::atomic::Ordering::Release);
        self.dedup
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .uncommitted
            .get_or_insert_with(Vec::new);
    }

    /// The gate a transaction's abort takes to wait for the items being
    /// produced (SPEC section 4: no alert of an aborted transaction's item
    /// reaches the next one).
    pub fn transaction_gate(&self) -> Arc<RwLock<()>> {
        Arc::clone(&self.gate)
    }

    /// The engine and routes items start on from now.
    pub fn routing(&self) -> Arc<Routing> {
        Arc::clone(&self.routing.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Replaces the engine (a watchlist reload). Items already being
    /// matched finish on the old one.
    pub fn swap_engine(&self, engine: Arc<Engine>) {
        let next = Arc::new(Routing::new(engine, &self.sinks));
        *self.routing.write().unwrap_or_else(|e| e.into_inner()) = next;
    }

    /// Processes one item; its offset completes when every delivery it
    /// started is acknowledged.
    pub fn process(&self, m: &Routing, env: Envelope, scratch: &mut Scratch) {
        let _gate = if self
            .transactional
            .load(std::sync::atomic::Ordering::Acquire)
        {
            let gate = self.gate.read().unwrap_or_else(|e| e.into_inner());
            let live = self
                .offsets
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .is_live(&env.ticket);
            if !live {
                // Its transaction aborted, or its partition went: it is
                // consumed again from the committed offset.
                tracing::debug!(topic = %env.topic, partition = env.partition, offset = env.offset, "item of an aborted transaction; skipped");
                return;
            }
            Some(gate)
        } else {
            None
        };
        let began = Instant::now();
        let at = events::At {
            topic: &env.topic,
            partition: env.partition,
            offset: env.offset,
        };
        let completion = Completion::new(env.ticket.clone(), Arc::clone(&self.offsets));
        let Some(payload) = env.payload.as_deref() else {
            // A null value, a compaction tombstone: not an item (SPEC
            // section 1). Skipped and committed; no dead letter.
            events::item_skipped(at, events::SkipReason::Tombstone);
            completion.finish();
            return;
        };
        let decoded = item::decode(payload, &self.decode);
        let item = match decoded {
            Ok(item) => item,
            Err(rejection) => {
                events::item_rejected(at, &rejection);
                if let Some(dl) = &self.dead_letter {
                    let record = DeadLetterRecord {
                        key: env.key.map(Vec::from),
                        payload: env.payload.map(Vec::from),
                        error: format!("{}: {rejection}", rejection.reason()),
                        sink: None,
                    };
                    dl.send(record, completion.ack());
                }
                completion.finish();
                return;
            }
        };
        let from = Provenance::Message {
            topic: &env.topic,
            partition: env.partition,
            offset: env.offset,
            key: env.key.as_deref(),
        };
        // When the item arrived: the alerts' `time` and its story's clock.
        let now = SystemTime::now();
        let alerts = alert::alerts_for(&m.engine, &item, &from, &self.alerts, now, scratch);
        metrics::matched(began.elapsed());
        if alerts.is_empty() {
            // Only items that raise an alert need a story.
            completion.finish();
            return;
        }
        let rules: Vec<&str> = alerts.iter().map(|a| a.alert.data.rule.as_str()).collect();
        let item_id = alerts[0].alert.data.item.id.clone();
        let assigned = self.stories.assign(&item, &item_id, now, &rules);
        drop(rules);
        let story = StoryRef::new(&assigned.story);
        // The alerts handed on, for the `group = "item"` sinks: (rule,
        // alert, first of its story).
        let mut raised: Vec<(usize, Alert, bool)> = Vec::new();
        for (mut a, first) in alerts.into_iter().zip(assigned.first) {
            let fresh = self
                .dedup
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .first_time(&a.alert.id, Instant::now());
            if !fresh {
                tracing::debug!(alert_id = %a.alert.id, item_id = %a.alert.data.item.id, "duplicate alert within the dedup window; not sent again");
                continue;
            }
            a.alert.data.story = Some(story.clone());
            events::alert_raised(
                at,
                &a.alert.data.item.id,
                &a.alert.data.rule,
                a.alert.data.severity.as_str(),
                &a.alert.id,
            );
            // The `group = "rule"` sinks that get it, by their `repeat`.
            let mut to: Vec<usize> = Vec::with_capacity(m.routes[a.rule].len());
            for &s in &m.routes[a.rule] {
                let policy = self.policies[s];
                if policy.group == Group::Item {
                    continue;
                }
                if policy.repeat == Repeat::FirstPerStory && !first {
                    events::alert_suppressed(
                        self.sinks[s].name(),
                        &item_id,
                        &a.alert.data.rule,
                        &story.id,
                    );
                    continue;
                }
                to.push(s);
            }
            // A copy for the `group = "item"` sinks, only if there are any.
            let kept = (!self.item_sinks.is_empty()).then(|| a.alert.clone());
            if !to.is_empty() {
                let Some(out) = outgoing(a.alert) else {
                    // Cannot happen for these types; never lose the item:
                    // it stays uncommitted.
                    return;
                };
                for s in to {
                    self.sinks[s].send(&out, completion.ack());
                }
            }
            if let Some(ts) = env.timestamp_ms {
                let made = now
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as i64);
                metrics::alert_latency(
                    Duration::from_millis(made.saturating_sub(ts).max(0) as u64),
                );
            }
            if let Some(alert) = kept {
                raised.push((a.rule, alert, first));
            }
        }
        let fields: Vec<&str> = item.fields.iter().map(|(name, _)| *name).collect();
        for &s in &self.item_sinks {
            let policy = self.policies[s];
            let routed: Vec<&(usize, Alert, bool)> = raised
                .iter()
                .filter(|(rule, _, _)| m.routes[*rule].contains(&s))
                .collect();
            if routed.is_empty() {
                continue;
            }
            let chosen: Vec<&Alert> = routed
                .iter()
                .filter(|(_, _, first)| policy.repeat == Repeat::Every || *first)
                .map(|(_, a, _)| a)
                .collect();
            let Some(grouped) = alert::per_item(&chosen, &fields, self.alerts.max_matches) else {
                events::alert_suppressed(self.sinks[s].name(), &item_id, "*", &story.id);
                continue;
            };
            let Some(out) = outgoing(grouped) else {
                return;
            };
            self.sinks[s].send(&out, completion.ack());
        }
        completion.finish();
    }
}

/// An alert with its JSON; `None` (logged) if it cannot be encoded, which
/// cannot happen for these types.
fn outgoing(alert: Alert) -> Option<Outgoing> {
    match crate::escape::to_json_shared(&alert) {
        Ok(json) => Some(Outgoing { alert, json }),
        Err(e) => {
            tracing::error!(alert_id = %alert.id, error = %e, "encoding an alert failed");
            None
        }
    }
}

/// Items handed to a worker at once (at most 64 items, from the source):
/// one channel operation (and at most one wake-up) per batch instead of per
/// item.
pub type Batch = Vec<Envelope>;

/// A pool of worker threads fed by a bounded channel of batches.
pub struct Workers {
    /// The only sender of the channel, held by the source through `&self`.
    /// Dropping it (in [`Workers::stop`], or with the `Workers`) closes the
    /// channel: each worker finishes the batches queued, then returns.
    tx: Option<SyncSender<Batch>>,
    /// The `newswatch-worker-{i}` threads, joined by [`Workers::stop`];
    /// dropped without `stop`, they are detached.
    handles: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Starts `n` worker threads (at least one), named
    /// `newswatch-worker-{i}`; the channel holds at most `2 * n` batches,
    /// so a busy pool slows the consumer down rather than buffering.
    ///
    /// # Errors
    ///
    /// When a thread cannot be spawned; the workers already started are
    /// detached and end as the channel closes.
    pub fn start(pipeline: Arc<Pipeline>, n: usize) -> std::io::Result<Self> {
        let (tx, rx) = sync_channel::<Batch>(2 * n.max(1));
        let rx = Arc::new(Mutex::new(rx));
        let mut handles = Vec::with_capacity(n);
        for i in 0..n.max(1) {
            let rx = Arc::clone(&rx);
            let p = Arc::clone(&pipeline);
            handles.push(
                std::thread::Builder::new()
                    .name(format!("newswatch-worker-{i}"))
                    .spawn(move || work(&p, &rx))?,
            );
        }
        Ok(Workers {
            tx: Some(tx),
            handles,
        })
    }

    /// Hands items to the pool, waiting while the pool is busy. False when
    /// the pool has stopped.
    pub fn submit(&self, batch: Batch) -> bool {
        self.tx.as_ref().is_some_and(|tx| tx.send(batch).is_ok())
    }

    /// Lets the workers finish what they have and stop.
    pub fn stop(mut self) {
        self.tx.take();
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

fn work(p: &Pipeline, rx: &Mutex<Receiver<Batch>>) {
    let mut scratch = Scratch::new();
    let beat = WorkerBeat::register();
    loop {
        let next = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
        match next {
            Ok(batch) => {
                let m = p.routing();
                for env in batch {
                    beat.busy();
                    #[cfg(debug_assertions)]
                    debug::wedge_on(env.payload.as_deref());
                    p.process(&m, env, &mut scratch);
                    beat.idle();
                }
            }
            Err(_) => return, // the source closed the channel
        }
    }
}

/// Fault injection for the liveness test, compiled into debug builds only
/// (the test suite's binary), never into a release.
#[cfg(debug_assertions)]
mod debug {
    use std::sync::LazyLock;

    /// `NEWSWATCH_DEBUG_WEDGE`: a worker that takes an item whose value
    /// contains these bytes never finishes it, as a worker stuck in a
    /// deadlock would.
    static MARKER: LazyLock<Option<Vec<u8>>> = LazyLock::new(|| {
        std::env::var("NEWSWATCH_DEBUG_WEDGE")
            .ok()
            .filter(|m| !m.is_empty())
            .map(String::into_bytes)
    });

    pub(super) fn wedge_on(payload: Option<&[u8]>) {
        let (Some(marker), Some(payload)) = (MARKER.as_deref(), payload) else {
            return;
        };
        if payload.windows(marker.len()).any(|w| w == marker) {
            tracing::warn!("NEWSWATCH_DEBUG_WEDGE: this worker wedges for good");
            loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
        }
    }
}

#[cfg(test)]
mod tests;

impl crate::source::transactions::Listener for Pipeline {
    fn committed(&self) {
        self.dedup
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .committed();
    }

    fn aborted(&self) {
        self.dedup
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .aborted();
    }
}

#[cfg(test)]
mod dedup_tests {
    use super::*;

    #[test]
    fn dedup_forgets_the_ids_of_an_aborted_transaction_only() {
        let mut d = Dedup::new(Duration::from_secs(60));
        d.uncommitted = Some(Vec::new());
        let t0 = Instant::now();
        assert!(d.first_time("committed", t0));
        d.committed();
        assert!(d.first_time("aborted", t0));
        d.aborted();
        // The aborted copy was never seen: the alert goes out again, once.
        assert!(d.first_time("aborted", t0));
        assert!(!d.first_time("aborted", t0));
        assert!(!d.first_time("committed", t0));
    }

    #[test]
    fn dedup_forgets_after_the_window() {
        let mut d = Dedup::new(Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(d.first_time("a", t0));
        assert!(!d.first_time("a", t0 + Duration::from_secs(59)));
        assert!(d.first_time("b", t0 + Duration::from_secs(1)));
        assert!(d.first_time("a", t0 + Duration::from_secs(61)));
    }
}
