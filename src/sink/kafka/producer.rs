//! The one idempotent producer (`enable.idempotence=true`, `acks=all`)
//! per process, shared by every Kafka sink and the dead-letter topic.
//!
//! An alert is acknowledged on its delivery report. librdkafka retries on
//! its own until `message.timeout.ms`; a message that still fails comes
//! back here and is produced again after a backoff, with no limit: an alert
//! is never dropped, and the item's offset stays uncommitted meanwhile. A
//! producer that delivered nothing for twice `message.timeout.ms` while
//! messages kept failing is replaced by a new one (the outage test once saw
//! librdkafka's idempotent producer time out every message for minutes
//! after the broker came back).
//!
//! Under exactly-once (`pipeline.guarantee`, SPEC section 4) the producer is
//! transactional: the source commits each transaction with the consumed
//! offsets ([`KafkaProducer::commit_transaction`]). A message that fails
//! then is not retried: it makes librdkafka fail the transaction, which the
//! source aborts, rewinding the consumer so that the items are processed
//! (and their alerts produced) again in the next one.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use rdkafka::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer as _, ProducerContext};

use super::polled::Polled;

use crate::metrics::events;
use crate::sink::Ack;
use crate::values::Secret;

/// One message on its way, with what is needed to produce it again.
pub(super) struct Pending {
    /// The sink's name for metrics; `dead-letter` for the dead-letter topic.
    pub(super) sink: Arc<str>,
    pub(super) topic: Arc<str>,
    pub(super) key: Option<Arc<[u8]>>,
    pub(super) payload: Option<Arc<[u8]>>,
    pub(super) headers: Vec<(Cow<'static, str>, String)>,
    pub(super) ack: Ack,
    pub(super) attempt: u32,
}

struct DeliveryContext {
    retry: Sender<Box<Pending>>,
    /// Transactional: a failed message is not retried (see the module
    /// documentation); the flag tells the source the transaction failed.
    failed: Option<Arc<std::sync::atomic::AtomicBool>>,
    /// When a delivery last succeeded (ms since the epoch), shared by every
    /// producer the process makes.
    last_ok: Arc<AtomicU64>,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl ClientContext for DeliveryContext {}

impl ProducerContext for DeliveryContext {
    type DeliveryOpaque = Box<Pending>;

    fn delivery(&self, result: &DeliveryResult<'_>, pending: Box<Pending>) {
        match result {
            Ok(_) => {
                self.last_ok.store(now_ms(), Ordering::Relaxed);
                events::delivered(&pending.sink, None, pending.attempt + 1);
                pending.ack.done()
            }
            Err((e, _)) => {
                if let Some(failed) = &self.failed {
                    // The transaction aborts and the item is done again.
                    events::transactional_delivery_failed(&pending.sink, &pending.topic, e);
                    failed.store(true, Ordering::Release);
                    pending.ack.done();
                    return;
                }
                events::delivery_retried(
                    &pending.sink,
                    "kafka",
                    &pending.topic,
                    pending.attempt + 1,
                    None,
                    e,
                );
                // The retry thread is gone only at shutdown; the ack is then
                // dropped and the item stays uncommitted.
                let _ = self.retry.send(pending);
            }
        }
    }
}

/// The process's producer, shared by the Kafka sinks and the dead-letter
/// topic.
pub struct KafkaProducer {
    /// Held here only: the `newswatch-retry` thread has a `Weak`. Dropping
    /// the last `KafkaProducer` (the app, each Kafka sink and the dead-letter
    /// sink hold clones) drops the librdkafka producer, which purges what it
    /// still holds, and the retry channel's senders, which ends the retry
    /// thread; the acks of unsent messages are dropped, so their items stay
    /// uncommitted.
    shared: Arc<Shared>,
}

/// The current librdkafka producer and what it takes to make another.
struct Shared {
    config: ClientConfig,
    /// Replaced when it has delivered nothing for `stuck_after` while
    /// messages kept failing: a librdkafka idempotent producer has been
    /// seen to time out every message, for minutes, after a broker restart.
    current: RwLock<Arc<Polled<DeliveryContext>>>,
    /// Into the retry thread; each producer's [`DeliveryContext`] holds a
    /// clone. The thread ends when every sender is dropped.
    retry: Sender<Box<Pending>>,
    /// When a delivery last succeeded, in milliseconds since the Unix epoch.
    last_ok: Arc<AtomicU64>,
    /// Twice `message.timeout.ms` (default 30 seconds, so 60 seconds).
    stuck_after: Duration,
    /// Transactional (exactly-once): each producer made has its own
    /// failure flag ([`DeliveryContext::failed`]), so that what a replaced
    /// one purges does not fail its successor's transaction.
    transactional: bool,
}

impl Shared {
    fn current(&self) -> Arc<Polled<DeliveryContext>> {
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    fn create(&self) -> Result<Polled<DeliveryContext>, KafkaError> {
        let context = DeliveryContext {
            retry: self.retry.clone(),
            failed: self
                .transactional
                .then(|| Arc::new(std::sync::atomic::AtomicBool::new(false))),
            last_ok: Arc::clone(&self.last_ok),
        };
        Polled::create(&self.config, context, EVENTS_THREAD)
    }

    /// Makes a new producer when nothing was delivered for `stuck_after`.
    /// Dropping the old one purges what it still holds; those messages come
    /// back through the retry channel and go to the new one.
    fn replace_if_stuck(&self, last_replaced: &mut Instant) {
        if self.transactional {
            // Transactional: a failing transaction aborts instead.
            return;
        }
        let silent =
            Duration::from_millis(now_ms().saturating_sub(self.last_ok.load(Ordering::Relaxed)));
        if silent < self.stuck_after || last_replaced.elapsed() < self.stuck_after {
            return;
        }
        *last_replaced = Instant::now();
        match self.create() {
            Ok(fresh) => {
                events::producer_replaced(silent);
                let old = std::mem::replace(
                    &mut *self.current.write().unwrap_or_else(|e| e.into_inner()),
                    Arc::new(fresh),
                );
                drop(old);
            }
            Err(e) => tracing::warn!(error = %e, "replacing the Kafka producer failed"),
        }
    }
}

impl KafkaProducer {
    /// Creates the producer (`enable.idempotence=true`, `acks=all`,
    /// `message.timeout.ms` 30 000 ms unless `extra` sets it) and starts
    /// its `newswatch-retry` thread; `extra` are the `kafka.producer`
    /// properties, applied last.
    ///
    /// # Errors
    ///
    /// When librdkafka refuses a property or cannot create the client, or
    /// the retry thread cannot be spawned
    /// ([`KafkaError::ClientCreation`]).
    pub fn new(
        brokers: &str,
        extra: &BTreeMap<String, Secret>,
        transactional_id: Option<&str>,
    ) -> Result<Self, KafkaError> {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", brokers)
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", "5")
            .set("compression.type", "lz4")
            // librdkafka's default is 5 minutes; past this a stuck message
            // comes back to the retry loop here and is produced again.
            .set("message.timeout.ms", "30000");
        if let Some(id) = transactional_id {
            // A transaction is committed every `transaction_interval`
            // (100 ms): 10 s bounds how long an instance that died with
            // one open holds `read_committed` readers back, when no
            // restart with its id aborts it sooner.
            config
                .set("transactional.id", id)
                .set("transaction.timeout.ms", "10000")
                .set("message.timeout.ms", "10000");
        }
        for (k, v) in extra {
            config.set(k, v.expose());
        }
        let timeout_ms = config
            .get("message.timeout.ms")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(30_000);
        let (tx, rx) = mpsc::channel();
        let last_ok = Arc::new(AtomicU64::new(now_ms()));
        let failed = transactional_id.map(|_| Arc::new(std::sync::atomic::AtomicBool::new(false)));
        let context = DeliveryContext {
            retry: tx.clone(),
            failed: failed.clone(),
            last_ok: Arc::clone(&last_ok),
        };
        let first = Polled::create(&config, context, EVENTS_THREAD)?;
        if transactional_id.is_some() {
            first.init_transactions(TRANSACTION_TIMEOUT)?;
            first.begin_transaction()?;
        }
        let shared = Arc::new(Shared {
            config,
            current: RwLock::new(Arc::new(first)),
            retry: tx,
            last_ok,
            stuck_after: Duration::from_millis(2 * timeout_ms),
            transactional: transactional_id.is_some(),
        });
        let weak = Arc::downgrade(&shared);
        std::thread::Builder::new()
            .name("newswatch-retry".into())
            .spawn(move || retry_loop(rx, weak))
            .map_err(|e| KafkaError::ClientCreation(format!("spawning the retry thread: {e}")))?;
        Ok(KafkaProducer { shared })
    }

    /// Transactional: commits the open transaction with `offsets`, the
    /// consumed offsets of the items whose alerts it holds, for the
    /// consumer group `group`, then begins the next one.
    ///
    /// # Errors
    ///
    /// [`TransactionError::Abortable`] when a message failed, or the
    /// commit failed in a way that an abort recovers from (a broker
    /// restart, a coordinator move, the group's generation moved on: this
    /// instance's partitions went to another): the caller aborts
    /// ([`KafkaProducer::abort_transaction`]) and rewinds.
    /// [`TransactionError::Fenced`] when the producer can no longer be used
    /// (another producer with the same `transactional.id` fenced it, or a
    /// fatal error): the caller replaces it
    /// ([`KafkaProducer::replace_transactional`]) and rewinds.
    pub fn commit_transaction(
        &self,
        offsets: &rdkafka::TopicPartitionList,
        group: &rdkafka::consumer::ConsumerGroupMetadata,
    ) -> Result<(), TransactionError> {
        let producer = self.shared.current();
        if producer
            .context()
            .failed
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Acquire))
        {
            return Err(TransactionError::Abortable(
                "a message of the transaction was not delivered".into(),
            ));
        }
        let outcome = (|| {
            if offsets.count() > 0 {
                producer.send_offsets_to_transaction(offsets, group, TRANSACTION_TIMEOUT)?;
            }
            producer.commit_transaction(TRANSACTION_TIMEOUT)
        })();
        match outcome {
            Ok(()) => {
                producer
                    .begin_transaction()
                    .map_err(|e| TransactionError::of(&e))?;
                Ok(())
            }
            Err(e) => Err(TransactionError::of(&e)),
        }
    }

    /// Transactional: aborts the open transaction (its messages are never
    /// seen by `read_committed` readers) and begins the next one.
    ///
    /// # Errors
    ///
    /// [`TransactionError::Fenced`] when the abort fails: the caller
    /// replaces the producer.
    pub fn abort_transaction(&self) -> Result<(), TransactionError> {
        let producer = self.shared.current();
        let result = producer
            .abort_transaction(TRANSACTION_TIMEOUT)
            .and_then(|()| producer.begin_transaction());
        if let Some(f) = &producer.context().failed {
            f.store(false, Ordering::Release);
        }
        result.map_err(|e| TransactionError::Fenced(e.to_string()))
    }

    /// Transactional: a new producer with the same `transactional.id` in
    /// place of one that was fenced or failed fatally; initializing it
    /// aborts whatever the old one left open.
    ///
    /// # Errors
    ///
    /// When librdkafka cannot make or initialize it (the brokers are down:
    /// the caller tries again).
    pub fn replace_transactional(&self) -> Result<(), KafkaError> {
        let fresh = self.shared.create()?;
        fresh.init_transactions(TRANSACTION_TIMEOUT)?;
        fresh.begin_transaction()?;
        let old = std::mem::replace(
            &mut *self
                .shared
                .current
                .write()
                .unwrap_or_else(|e| e.into_inner()),
            Arc::new(fresh),
        );
        // Destroying a producer in a fatal state may wait long for its
        // broker threads (CI once saw the daemon stall for minutes after a
        // broker restart): never on the polling thread or a worker, which
        // may hold the last clone for a moment while producing. A thread of
        // its own waits for those clones to go, then destroys it.
        let spawned = std::thread::Builder::new()
            .name("newswatch-old-producer".into())
            .spawn(move || {
                while Arc::strong_count(&old) > 1 {
                    std::thread::sleep(Duration::from_millis(10));
                }
                drop(old);
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "dropping the fenced producer on its own thread failed");
        }
        Ok(())
    }

    pub(super) fn produce(&self, p: Box<Pending>) {
        produce(&self.shared.current(), &self.shared.retry, p);
    }

    /// Waits until every message was delivered or `timeout` passed; blocks
    /// the calling thread. Messages in the retry thread's backoff queue are
    /// not waited for.
    ///
    /// # Errors
    ///
    /// librdkafka's error, typically [`KafkaError::Flush`] with
    /// `OperationTimedOut` when messages were still outstanding at
    /// `timeout`.
    pub fn flush(&self, timeout: Duration) -> Result<(), KafkaError> {
        self.shared.current().flush(timeout)
    }
}

/// The name of each producer's events thread ([`Polled`]).
const EVENTS_THREAD: &str = "newswatch-producer-events";

/// How long a transaction call (init, send offsets, commit, abort) may take.
const TRANSACTION_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a transaction did not commit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransactionError {
    /// Abort it and go on with the same producer.
    #[error("the transaction must be aborted: {0}")]
    Abortable(String),
    /// The producer cannot go on: fenced by another with its
    /// `transactional.id`, or a fatal error.
    #[error("the producer was fenced or failed fatally: {0}")]
    Fenced(String),
}

impl TransactionError {
    fn of(e: &KafkaError) -> Self {
        match e {
            KafkaError::Transaction(t) if !t.is_fatal() => {
                TransactionError::Abortable(t.to_string())
            }
            KafkaError::Transaction(t) => TransactionError::Fenced(t.to_string()),
            other => TransactionError::Abortable(other.to_string()),
        }
    }
}

fn produce(producer: &Polled<DeliveryContext>, retry: &Sender<Box<Pending>>, p: Box<Pending>) {
    let mut headers = OwnedHeaders::new_with_capacity(p.headers.len());
    for (k, v) in &p.headers {
        headers = headers.insert(Header {
            key: k.as_ref(),
            value: Some(v.as_bytes()),
        });
    }
    // Keep what the record borrows alive past the send.
    let topic = Arc::clone(&p.topic);
    let key = p.key.clone();
    let payload = p.payload.clone();
    let mut record: BaseRecord<'_, [u8], [u8], Box<Pending>> =
        BaseRecord::with_opaque_to(&topic, p).headers(headers);
    if let Some(k) = key.as_deref() {
        record = record.key(k);
    }
    if let Some(v) = payload.as_deref() {
        record = record.payload(v);
    }
    loop {
        match producer.send(record) {
            Ok(()) => return,
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                // The local queue is full: wait for deliveries to drain it.
                record = r;
                std::thread::sleep(Duration::from_millis(20));
            }
            Err((e, r)) => {
                let p = &r.delivery_opaque;
                if let Some(failed) = &producer.context().failed {
                    // Transactional: the transaction aborts (see the module
                    // documentation).
                    events::transactional_delivery_failed(&p.sink, &topic, &e);
                    failed.store(true, Ordering::Release);
                    r.delivery_opaque.ack.done();
                    return;
                }
                events::delivery_retried(&p.sink, "kafka", &topic, p.attempt + 1, None, &e);
                let _ = retry.send(r.delivery_opaque);
                return;
            }
        }
    }
}

/// Produces failed messages again, each after an exponential backoff with
/// jitter (100 ms doubling up to 30 s).
fn retry_loop(rx: Receiver<Box<Pending>>, shared: std::sync::Weak<Shared>) {
    let mut last_replaced = Instant::now();
    let mut due: BinaryHeap<Reverse<(Instant, u64)>> = BinaryHeap::new();
    let mut waiting: BTreeMap<u64, Box<Pending>> = BTreeMap::new();
    let mut seq = 0u64;
    loop {
        let timeout = due
            .peek()
            .map_or(Duration::from_secs(3600), |Reverse((t, _))| {
                t.saturating_duration_since(Instant::now())
            });
        match rx.recv_timeout(timeout) {
            Ok(mut p) => {
                if let Some(shared) = shared.upgrade() {
                    shared.replace_if_stuck(&mut last_replaced);
                }
                p.attempt += 1;
                let base = 100u64.saturating_mul(1 << p.attempt.min(9)).min(30_000);
                let jitter = crate::sink::random_below(base / 2 + 1);
                due.push(Reverse((
                    Instant::now() + Duration::from_millis(base / 2 + jitter),
                    seq,
                )));
                waiting.insert(seq, p);
                seq += 1;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        let now = Instant::now();
        while let Some(Reverse((t, id))) = due.peek().copied() {
            if t > now {
                break;
            }
            due.pop();
            let Some(p) = waiting.remove(&id) else {
                continue;
            };
            let Some(shared) = shared.upgrade() else {
                return;
            };
            produce(&shared.current(), &shared.retry, p);
        }
    }
}
