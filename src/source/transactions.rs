//! Exactly-once delivery to Kafka (`pipeline.guarantee = "exactly-once"`,
//! SPEC section 4), in the manner of Kafka Streams' `exactly_once_v2`
//! (KIP-447): one transactional producer per instance carries the alerts,
//! the dead-letter records and the consumed offsets of each transaction,
//! and the consumer group's metadata fences an instance whose partitions
//! moved to another.
//!
//! Every `pipeline.transaction_interval`, or when `pipeline.max_in_flight`
//! items wait, the polling thread stops polling, waits until every item
//! consumed so far is complete (each alert acknowledged by its sink), and
//! commits the transaction with the offsets past those items. So a
//! transaction holds exactly the alerts of the items whose offsets it
//! commits: a crash before the commit aborts both (the broker aborts an
//! open transaction when a producer with the same `transactional.id`
//! starts, or after `transaction.timeout.ms`), a crash after it loses
//! nothing.
//!
//! A transaction that fails (a message not delivered, a broker restart, a
//! coordinator move, a group generation that moved on) is aborted, and the
//! consumer seeks back to the first offset of the failed transaction: the
//! items are processed again, and the dedup set forgets the alert ids of
//! the aborted transaction. A producer that is fenced or fails fatally is
//! replaced, and so is the consumer ([`Transactions::restart_due`]): the
//! new one starts from the committed offsets, as a restarted process
//! would, instead of seeking a consumer whose state went through the
//! failure.
//!
//! An abort first takes the write side of the transaction gate
//! ([`Transactions::gate`]), which each worker holds for reading while it
//! produces an item's alerts: no item of the aborted transaction is half
//! produced, and the workers skip the items it began
//! ([`Offsets::is_live`]), so none of them reaches the next transaction.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::{Offset, TopicPartitionList};

use crate::metrics::events;
use crate::offsets::Offsets;
use crate::sink::kafka::{KafkaProducer, TransactionError};

/// Told how each transaction ended (the pipeline's dedup set).
pub trait Listener: Send + Sync {
    /// The transaction committed.
    fn committed(&self);
    /// The transaction aborted: what it produced was never seen.
    fn aborted(&self);
}

/// The transactions of one consumer.
pub struct Transactions {
    producer: Arc<KafkaProducer>,
    listener: Arc<dyn Listener>,
    /// `pipeline.transaction_interval`.
    interval: Duration,
    /// How long a commit waits for the items in flight to complete before
    /// it aborts instead.
    wait: Duration,
    /// When the last transaction ended.
    last: Mutex<Instant>,
    /// Held for reading by a worker while it produces an item's alerts,
    /// for writing by an abort.
    gate: Arc<RwLock<()>>,
    /// The producer was replaced, or a rewind could not seek: the consumer
    /// must be replaced before it polls again.
    restart: AtomicBool,
}

/// What an abort does with the consumer's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rewind {
    /// Seek the consumer back to the first offset of the transaction.
    Seek,
    /// Do not seek: the partitions are being revoked, or the consumer is
    /// replaced or stops; whoever consumes them next starts from the
    /// committed offsets.
    Forget,
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// How a commit ended, for the caller's logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing consumed since the last commit: no transaction.
    Empty,
    /// Committed.
    Committed,
    /// Aborted, and the consumer rewound.
    Aborted,
    /// The producer was fenced and replaced, and the consumer rewound.
    Fenced,
}

impl Transactions {
    /// Transactions on `producer` (transactional), committed every
    /// `interval`; `wait` bounds how long a commit waits for items in
    /// flight; `listener` hears each outcome; `gate` is the one the
    /// workers hold while producing ([`crate::pipeline::Pipeline::transaction_gate`]).
    pub fn new(
        producer: Arc<KafkaProducer>,
        listener: Arc<dyn Listener>,
        interval: Duration,
        wait: Duration,
        gate: Arc<RwLock<()>>,
    ) -> Self {
        Transactions {
            producer,
            listener,
            interval,
            wait,
            last: Mutex::new(Instant::now()),
            gate,
            restart: AtomicBool::new(false),
        }
    }

    /// The consumer must be replaced before it polls again (the producer
    /// was fenced and replaced, or a rewind could not seek); clears the
    /// request.
    pub fn restart_due(&self) -> bool {
        self.restart.swap(false, Ordering::AcqRel)
    }

    /// A commit is due: items were consumed since the last (`uncommitted`
    /// of them still in flight, or their offsets `moved`), and `interval`
    /// passed since the last commit or `max_in_flight` items wait.
    pub fn due(&self, uncommitted: usize, moved: bool, max_in_flight: usize) -> bool {
        (uncommitted > 0 || moved)
            && (uncommitted >= max_in_flight || locked(&self.last).elapsed() >= self.interval)
    }

    /// Commits the open transaction with the offsets of every item consumed
    /// so far, once they are all complete; aborts and rewinds when that
    /// fails or takes longer than the wait, rewinding as `on_failure` says.
    /// Runs on the polling thread (also from a rebalance callback), which
    /// does not poll meanwhile.
    pub fn commit<C: ConsumerContext>(
        &self,
        consumer: &BaseConsumer<C>,
        offsets: &Mutex<Offsets>,
        on_failure: Rewind,
    ) -> Outcome {
        let deadline = Instant::now() + self.wait;
        while locked(offsets).uncommitted() > 0 {
            if Instant::now() >= deadline {
                let why = format!(
                    "{} items still in flight after {:?}",
                    locked(offsets).uncommitted(),
                    self.wait
                );
                return self.fail(
                    consumer,
                    offsets,
                    TransactionError::Abortable(why),
                    on_failure,
                );
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let to_commit = locked(offsets).take_committable();
        *locked(&self.last) = Instant::now();
        if to_commit.is_empty() {
            return Outcome::Empty;
        }
        let mut tpl = TopicPartitionList::new();
        for (t, p, o) in &to_commit {
            if let Err(e) = tpl.add_partition_offset(t, *p, Offset::Offset(*o)) {
                return self.fail(
                    consumer,
                    offsets,
                    TransactionError::Abortable(e.to_string()),
                    on_failure,
                );
            }
        }
        let Some(group) = consumer.group_metadata() else {
            let why = "the consumer has no group metadata".to_owned();
            return self.fail(
                consumer,
                offsets,
                TransactionError::Abortable(why),
                on_failure,
            );
        };
        match self.producer.commit_transaction(&tpl, &group) {
            Ok(()) => {
                locked(offsets).transaction_committed(&to_commit);
                self.listener.committed();
                events::transaction("committed", None, &[]);
                Outcome::Committed
            }
            Err(e) => self.fail(consumer, offsets, e, on_failure),
        }
    }

    /// Aborts the open transaction (replacing a fenced producer, and then
    /// asking for a new consumer), rewinds the offsets to where it began
    /// (seeking the consumer there when `rewind` says so) and tells the
    /// listener. Waits first for the workers producing alerts to finish
    /// the item they are on.
    pub fn fail<C: ConsumerContext>(
        &self,
        consumer: &BaseConsumer<C>,
        offsets: &Mutex<Offsets>,
        error: TransactionError,
        rewind: Rewind,
    ) -> Outcome {
        let _gate = self.gate.write().unwrap_or_else(|e| e.into_inner());
        let mut outcome = match &error {
            TransactionError::Abortable(_) => Outcome::Aborted,
            TransactionError::Fenced(_) => Outcome::Fenced,
        };
        if outcome == Outcome::Aborted && self.producer.abort_transaction().is_err() {
            outcome = Outcome::Fenced;
        }
        if outcome == Outcome::Fenced {
            // Until the brokers answer: nothing can be produced meanwhile.
            let mut backoff = Duration::from_millis(100);
            while let Err(e) = self.producer.replace_transactional() {
                tracing::warn!(error = %e, "making a new transactional producer failed; trying again");
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
            // The consumer went through the same failure (CI saw one get
            // its partitions back and then consume nothing): a new one
            // starts from the committed offsets.
            self.restart.store(true, Ordering::Release);
        }
        let rewound = locked(offsets).rewind();
        if rewind == Rewind::Seek && outcome == Outcome::Aborted {
            for (t, p, o) in &rewound {
                if let Err(e) = consumer.seek(t, *p, Offset::Offset(*o), Duration::from_secs(10)) {
                    // Going on from where it stands would skip the
                    // aborted items: a new consumer starts from the
                    // committed offsets instead.
                    tracing::warn!(topic = %t, partition = p, offset = o, error = %e, "seeking back after an aborted transaction failed; replacing the consumer");
                    self.restart.store(true, Ordering::Release);
                }
            }
        }
        self.listener.aborted();
        *locked(&self.last) = Instant::now();
        let label = if outcome == Outcome::Fenced {
            "fenced"
        } else {
            "aborted"
        };
        events::transaction(label, Some(&error), &rewound);
        outcome
    }
}
