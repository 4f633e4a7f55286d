//! One item's way through the daemon: decode, match, build alerts, drop
//! duplicates within the dedup window, hand each alert to the sinks its rule
//! routes to, and complete the item's offset when all of them acknowledged.
//!
//! Knows the [`Sink`] and [`DeadLetter`] traits, not Kafka. A pool of worker
//! threads shares one [`Pipeline`]; each has its own engine scratch space.

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use crate::alert::{self, AlertOptions, Origin};
use crate::engine::{Engine, Field, Scratch};
use crate::item::{self, DecodeOptions};
use crate::offsets::{Offsets, Ticket};
use crate::sink::{Completion, DeadLetter, Outgoing, Rejected, Sink};

/// A consumed message, owned, with its offset ticket.
#[derive(Debug)]
pub struct Envelope {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub payload: Option<Vec<u8>>,
    pub ticket: Ticket,
}

/// Alert ids emitted recently (`alerts.dedup_window`).
struct Dedup {
    window: Duration,
    seen: HashMap<String, Instant>,
    next_prune: Instant,
}

impl Dedup {
    fn new(window: Duration) -> Self {
        Dedup {
            window,
            seen: HashMap::new(),
            next_prune: Instant::now() + window,
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
                true
            }
        }
    }
}

/// Everything a worker needs, shared read-only (the dedup set excepted).
pub struct Pipeline {
    engine: Arc<Engine>,
    decode: DecodeOptions,
    alerts: AlertOptions,
    sinks: Vec<Arc<dyn Sink>>,
    /// Per rule, the indices into `sinks` its alerts go to.
    routes: Vec<Vec<usize>>,
    dead_letter: Option<Arc<dyn DeadLetter>>,
    dedup: Mutex<Dedup>,
    offsets: Arc<Mutex<Offsets>>,
}

impl Pipeline {
    pub fn new(
        engine: Arc<Engine>,
        decode: DecodeOptions,
        alerts: AlertOptions,
        dedup_window: Duration,
        sinks: Vec<Arc<dyn Sink>>,
        dead_letter: Option<Arc<dyn DeadLetter>>,
        offsets: Arc<Mutex<Offsets>>,
    ) -> Self {
        // Sink names were checked when the watchlist loaded.
        let routes = engine
            .watchlist()
            .rules
            .iter()
            .map(|r| match &r.sinks {
                None => (0..sinks.len()).collect(),
                Some(names) => (0..sinks.len())
                    .filter(|&i| names.iter().any(|n| n == sinks[i].name()))
                    .collect(),
            })
            .collect();
        Pipeline {
            engine,
            decode,
            alerts,
            sinks,
            routes,
            dead_letter,
            dedup: Mutex::new(Dedup::new(dedup_window)),
            offsets,
        }
    }

    /// Processes one item; its offset completes when every delivery it
    /// started is acknowledged.
    pub fn process(&self, env: Envelope, scratch: &mut Scratch) {
        let completion = Completion::new(env.ticket.clone(), Arc::clone(&self.offsets));
        let decoded = match &env.payload {
            Some(p) => item::decode(p, &self.decode),
            None => item::decode(b"", &self.decode),
        };
        let item = match decoded {
            Ok(item) => item,
            Err(rejection) => {
                tracing::warn!(
                    topic = %env.topic, partition = env.partition, offset = env.offset,
                    reason = rejection.reason(), error = %rejection,
                    "item rejected"
                );
                if let Some(dl) = &self.dead_letter {
                    let rejected = Rejected {
                        key: env.key,
                        payload: env.payload,
                        error: format!("{}: {rejection}", rejection.reason()),
                        sink: None,
                    };
                    dl.send(rejected, completion.ack());
                }
                completion.finish();
                return;
            }
        };
        let id = item
            .id
            .clone()
            .or_else(|| {
                env.key
                    .as_deref()
                    .and_then(|k| std::str::from_utf8(k).ok())
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| format!("{}/{}/{}", env.topic, env.partition, env.offset));
        let fields: Vec<Field<'_>> = item
            .fields
            .iter()
            .map(|(name, text)| Field { name, text })
            .collect();
        let hits = self.engine.scan(&fields, scratch);
        let now = SystemTime::now();
        for hit in hits {
            let origin = Origin {
                topic: env.topic.clone(),
                partition: env.partition,
                offset: env.offset,
            };
            let a = alert::build(
                &self.engine,
                &item,
                &id,
                &hit,
                Some(origin),
                &self.alerts,
                now,
            );
            let first = self
                .dedup
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .first_time(&a.id, Instant::now());
            if !first {
                tracing::debug!(alert_id = %a.id, item_id = %id, "duplicate alert within the dedup window; not sent again");
                continue;
            }
            let json = match serde_json::to_vec(&a) {
                Ok(j) => Arc::<[u8]>::from(j),
                Err(e) => {
                    // Cannot happen for these types; never lose the item.
                    tracing::error!(alert_id = %a.id, error = %e, "encoding an alert failed");
                    return;
                }
            };
            let out = Outgoing { alert: a, json };
            tracing::info!(
                item_id = %id, rule = %out.rule(), severity = out.severity(), alert_id = %out.id(),
                topic = %env.topic, partition = env.partition, offset = env.offset,
                "alert"
            );
            for &s in &self.routes[hit.rule] {
                self.sinks[s].send(&out, completion.ack());
            }
        }
        completion.finish();
    }
}

/// Items handed to a worker at once: one channel operation (and at most one
/// wake-up) per batch instead of per item.
pub type Batch = Vec<Envelope>;

/// A pool of worker threads fed by a bounded channel of batches.
pub struct Workers {
    tx: Option<SyncSender<Batch>>,
    handles: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Starts `n` workers; the channel holds at most `2 * n` batches, so a
    /// busy pool slows the consumer down rather than buffering.
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
    loop {
        let next = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
        match next {
            Ok(batch) => batch
                .into_iter()
                .for_each(|env| p.process(env, &mut scratch)),
            Err(_) => return, // the source closed the channel
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
