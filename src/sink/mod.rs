//! Where alerts go: the [`Sink`] trait, the acknowledgement that ties an
//! alert's delivery to its item's offset, and routing by rule.
//!
//! An item completes, and its offset may be committed, only when every
//! [`Ack`] made for it was `done()`. Dropping an `Ack` without calling
//! `done()` leaves the item incomplete: its offset is never committed by this
//! process, so the item is consumed again after a restart or rebalance. A
//! failure can therefore repeat alerts but never lose one.

pub mod kafka;
pub mod stdout;
pub mod webhook;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::alert::Alert;
use crate::offsets::{Offsets, Ticket};

/// Counts the deliveries an item still waits for.
struct Progress {
    pending: AtomicUsize,
    ticket: Ticket,
    offsets: Arc<Mutex<Offsets>>,
}

/// One outstanding delivery of one item. `done()` when the sink has it for
/// good (a Kafka delivery report, a webhook 2xx, parked in the dead-letter
/// topic).
#[must_use = "an Ack that is dropped keeps its item from being committed"]
pub struct Ack(Arc<Progress>);

impl Ack {
    pub fn done(self) {
        let p = &self.0;
        if p.pending.fetch_sub(1, Ordering::AcqRel) == 1 {
            let mut offsets = p.offsets.lock().unwrap_or_else(|e| e.into_inner());
            offsets.complete(&p.ticket);
        }
    }
}

impl std::fmt::Debug for Ack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Ack").field(&self.0.ticket).finish()
    }
}

/// Hands out the acks of one item. The item cannot complete while its
/// `Completion` is alive, so acks done early do not complete it before all
/// its alerts were handed to sinks.
pub struct Completion {
    guard: Ack,
}

impl Completion {
    pub fn new(ticket: Ticket, offsets: Arc<Mutex<Offsets>>) -> Self {
        Completion {
            guard: Ack(Arc::new(Progress {
                pending: AtomicUsize::new(1),
                ticket,
                offsets,
            })),
        }
    }

    /// A new outstanding delivery.
    pub fn ack(&self) -> Ack {
        self.guard.0.pending.fetch_add(1, Ordering::AcqRel);
        Ack(Arc::clone(&self.guard.0))
    }

    /// Every delivery was handed out: the item completes when they are done.
    pub fn finish(self) {
        self.guard.done();
    }
}

/// An alert ready to deliver: the event, and its JSON encoded once for
/// every sink it goes to.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub alert: Alert,
    /// The CloudEvents JSON, shared by every sink the alert goes to.
    pub json: Arc<[u8]>,
}

impl Outgoing {
    pub fn id(&self) -> &str {
        &self.alert.id
    }

    pub fn rule(&self) -> &str {
        &self.alert.data.rule
    }

    pub fn severity(&self) -> &'static str {
        self.alert.data.severity.as_str()
    }
}

/// A destination for alerts. Implementations must not block for long: slow
/// or failing destinations hold their acks instead (which holds commits
/// back and, through `pipeline.max_in_flight`, pauses the consumer).
pub trait Sink: Send + Sync {
    fn name(&self) -> &str;
    fn send(&self, alert: &Outgoing, ack: Ack);
}

/// A rejected item, forwarded unchanged.
#[derive(Debug, Clone)]
pub struct Rejected {
    pub key: Option<Vec<u8>>,
    pub payload: Option<Vec<u8>>,
    /// `reason: detail`, for the `newswatch-error` header.
    pub error: String,
    /// For an alert a sink gave up on: that sink's name, for the
    /// `newswatch-sink` header. `None` for a rejected item.
    pub sink: Option<String>,
}

/// Where rejected items, and alerts a webhook refused, go when
/// `dead_letter.topic` is set.
pub trait DeadLetter: Send + Sync {
    fn send(&self, item: Rejected, ack: Ack);
}

/// A pseudo-random number below `bound`, from the clock: enough to spread
/// retries apart, not for anything secret.
pub(crate) fn random_below(bound: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as u64);
    let mut x = nanos ^ COUNTER.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
    // splitmix64: consecutive calls within one clock tick still differ.
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    x % bound.max(1)
}

static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_completes_after_its_last_ack_and_its_completion() {
        let offsets = Arc::new(Mutex::new(Offsets::new()));
        offsets.lock().unwrap().assign("news", 0);
        let ticket = offsets.lock().unwrap().begin("news", 0, 7).unwrap();
        let c = Completion::new(ticket, Arc::clone(&offsets));
        let a = c.ack();
        let b = c.ack();
        a.done();
        c.finish();
        assert_eq!(offsets.lock().unwrap().in_flight(), 1, "b is still out");
        b.done();
        let mut o = offsets.lock().unwrap();
        assert_eq!(o.in_flight(), 0);
        assert_eq!(o.take_committable(), [("news".to_owned(), 0, 8)]);
    }

    #[test]
    fn a_dropped_ack_keeps_the_item_uncommitted() {
        let offsets = Arc::new(Mutex::new(Offsets::new()));
        offsets.lock().unwrap().assign("news", 0);
        let ticket = offsets.lock().unwrap().begin("news", 0, 7).unwrap();
        let c = Completion::new(ticket, Arc::clone(&offsets));
        drop(c.ack());
        c.finish();
        assert!(offsets.lock().unwrap().take_committable().is_empty());
    }
}
