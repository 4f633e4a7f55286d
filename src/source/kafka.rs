//! The Kafka consumer: a cooperative-sticky group member that polls on the
//! thread that runs the daemon (`App::run_until_stopped`), hands messages to the worker pool, pauses while too many
//! items are uncommitted, and commits the offsets the tracker allows.
//!
//! Offsets are committed explicitly (`enable.auto.commit=false`), about once
//! a second and only when they moved; synchronously when partitions are
//! revoked (after a short wait for their in-flight items) and at shutdown.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::message::Message;
use rdkafka::statistics::Statistics;
use rdkafka::{ClientContext, Offset, TopicPartitionList};

use crate::metrics::{self, events, liveness};
use crate::offsets::Offsets;
use crate::pipeline::{Envelope, Workers};
use crate::settings::KafkaConfig;
use crate::shutdown::Shutdown;
use crate::source::health::{ErrorKind, ErrorLog, PartitionWatch, Sample};
use crate::source::transactions::{Rewind, Transactions};

/// Most messages handed to the workers at once.
const BATCH: usize = 64;
/// Bytes of each buffer the poll loop copies messages' keys and values
/// into ([`copy_into`]).
const ARENA_BYTES: usize = 64 * 1024;
/// How often moved offsets are committed.
const COMMIT_INTERVAL: Duration = Duration::from_secs(1);
/// How long a revocation waits for the in-flight items of the revoked
/// partitions, to spare their next owner the repeats.
const REVOKE_DRAIN: Duration = Duration::from_secs(5);
/// How long a consumer that lost its group membership may take to be
/// assigned partitions again before it is given up and replaced.
const REJOIN_TIMEOUT: Duration = Duration::from_secs(60);

/// Copies `bytes` into `arena` and returns them as a view of it. Messages
/// share an arena buffer of [`ARENA_BYTES`] until it is full, and the
/// buffer is reused once the workers dropped every view of it, so a
/// message costs no allocation of its own, and no `free` on a worker
/// thread of memory the poll loop's thread allocated (with one `Vec` per
/// value, `malloc`, `free` and the copy into fresh memory were some 10% of
/// `newswatch run`'s CPU: BENCHMARKS.md, "Seventh session").
fn copy_into(arena: &mut BytesMut, bytes: &[u8]) -> Bytes {
    if arena.capacity() < bytes.len() {
        // Reclaims the whole buffer when no view of it is left, else
        // allocates a new one.
        arena.reserve(bytes.len().max(ARENA_BYTES));
    }
    arena.extend_from_slice(bytes);
    arena.split().freeze()
}

/// The partition ids of `topic` in `metadata`, fetched for that topic;
/// empty when the brokers do not know it (or report an error for it).
pub fn topic_partitions(metadata: &rdkafka::metadata::Metadata, topic: &str) -> Vec<i32> {
    metadata
        .topics()
        .iter()
        .filter(|t| t.name() == topic && t.error().is_none())
        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
        .collect()
}

/// The configuration of a consumer that is assigned partitions and never
/// joins a group (`replay`, the stories reader): `kafka.brokers`, no
/// automatic commit or offset store, `auto.offset.reset=earliest`, then
/// `extra` (the caller's own settings), then `[kafka.consumer]`, which
/// overrides both. librdkafka wants a group id for an assignment all the
/// same; a fresh one, `newswatch-{purpose}-{pid}-{nanos}`, keeps even a
/// stray commit off the daemon's group.
pub fn assigned_config(k: &KafkaConfig, purpose: &str, extra: &[(&str, &str)]) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &k.brokers)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest");
    for (key, v) in extra {
        config.set(*key, *v);
    }
    for (key, v) in &k.consumer {
        config.set(key, v.expose());
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    config.set(
        "group.id",
        format!("newswatch-{purpose}-{}-{nanos}", std::process::id()),
    );
    config
}

/// Why [`KafkaSource::run`] returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunEnd {
    /// `stop` was set; in-flight items were drained and committed.
    Stopped,
    /// The consumer lost its group membership and did not get partitions
    /// back within a minute: replace it (librdkafka has been seen to stop
    /// looking for the group coordinator after a broker restart).
    Stalled,
    /// The brokers refused the credentials or the TLS handshake before the
    /// consumer ever joined its group: the configuration is wrong, and no
    /// retry will fix it. Holds the error.
    Refused(String),
    /// Under exactly-once, the producer was fenced or failed fatally (and
    /// was replaced), or a rewind could not seek: replace the consumer too,
    /// so that the new one starts from the committed offsets.
    Restart,
}

/// Rebalance and commit callbacks, run on the polling thread.
pub struct SourceContext {
    offsets: Arc<Mutex<Offsets>>,
    /// The consumer is paused for backpressure: newly assigned partitions
    /// are paused too.
    paused: AtomicBool,
    /// Since when the group membership is lost (a lost assignment, not yet
    /// followed by a new one).
    lost_since: Mutex<Option<Instant>>,
    /// An assignment ever arrived: the credentials worked once.
    ever_assigned: AtomicBool,
    /// Partitions with unread messages that stopped moving.
    watch: Mutex<PartitionWatch>,
    /// The last consumer error, `kind: message`, for the stall report.
    last_error: Mutex<Option<String>>,
    /// Under exactly-once: the transactions offsets are committed in.
    transactions: std::sync::OnceLock<Arc<Transactions>>,
    /// The consumer was replaced ([`KafkaSource::retire`]): its callbacks,
    /// run while it closes, no longer touch the offsets, the transactions
    /// or the metrics, which belong to its successor.
    retired: AtomicBool,
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Where a partition's consumer stands, from one statistics sample: the
/// fetch position (past the transaction markers the application never
/// sees), else the last offset handed out plus one, else the committed
/// offset, else the start of the log; and the end it can read to (the
/// last stable offset, which a `read_committed` consumer may not pass,
/// else the high watermark).
fn sample_of(topic: &str, p: &rdkafka::statistics::Partition) -> Sample {
    let position = [p.next_offset, p.app_offset, p.committed_offset]
        .into_iter()
        .find(|&o| o >= 0)
        .unwrap_or(p.lo_offset.max(0));
    Sample {
        topic: topic.to_owned(),
        partition: p.partition,
        position,
        end: if p.ls_offset >= 0 {
            p.ls_offset
        } else {
            p.hi_offset
        },
    }
}

fn tpl_of(offsets_to_commit: &[(String, i32, i64)]) -> KafkaResult<TopicPartitionList> {
    let mut tpl = TopicPartitionList::new();
    for (t, p, o) in offsets_to_commit {
        tpl.add_partition_offset(t, *p, Offset::Offset(*o))?;
    }
    Ok(tpl)
}

impl ClientContext for SourceContext {
    /// librdkafka's statistics (every `statistics.interval.ms`) carry each
    /// assigned partition's lag behind its committed offset.
    fn stats(&self, statistics: Statistics) {
        if self.retired.load(Ordering::Acquire) {
            return;
        }
        let mut owned = Vec::new();
        let mut samples = Vec::new();
        for (topic, t) in &statistics.topics {
            for p in t.partitions.values() {
                if p.partition < 0 || !p.desired || p.hi_offset < 0 {
                    continue;
                }
                samples.push(sample_of(topic, p));
                // Under exactly-once the offsets are committed by the
                // producer's transactions, which the consumer's statistics
                // do not see.
                let committed = locked(&self.offsets)
                    .transaction_offset(topic, p.partition)
                    .map_or(p.committed_offset, |o| o.max(p.committed_offset));
                let lag = if committed >= 0 {
                    p.hi_offset - committed
                } else {
                    // Nothing committed yet: all of it is still to do.
                    p.hi_offset - p.lo_offset.max(0)
                };
                metrics::consumer_lag(topic, p.partition, lag.max(0));
                owned.push((topic.as_str(), p.partition));
            }
        }
        metrics::retain_lag(|t, p| owned.contains(&(t, p)));
        let paused = self.paused.load(Ordering::Acquire);
        let changes = locked(&self.watch).observe(Instant::now(), &samples, paused);
        if !changes.is_empty() {
            let last_error = locked(&self.last_error).clone();
            for c in &changes {
                events::partition_health(c, last_error.as_deref());
            }
        }
    }
}

impl ConsumerContext for SourceContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let Rebalance::Revoke(tpl) = rebalance else {
            return;
        };
        if self.retired.load(Ordering::Acquire) {
            return;
        }
        let parts: Vec<(String, i32)> = tpl
            .elements()
            .iter()
            .map(|e| (e.topic().to_owned(), e.partition()))
            .collect();
        let lost = consumer.assignment_lost();
        if let Some(tx) = self.transactions.get() {
            // Exactly-once: the revoked partitions' offsets go in a
            // transaction with every alert produced so far; a lost
            // assignment aborts it (another member may own them already).
            if lost {
                events::group_membership(false);
                locked(&self.lost_since).get_or_insert_with(Instant::now);
                let why = "the group assignment was lost".to_owned();
                tx.fail(
                    consumer,
                    &self.offsets,
                    crate::sink::kafka::TransactionError::Abortable(why),
                    Rewind::Forget,
                );
            } else {
                tx.commit(consumer, &self.offsets, Rewind::Forget);
            }
            let mut o = locked(&self.offsets);
            for (t, p) in &parts {
                o.revoke(t, *p);
            }
            tracing::info!(partitions = ?parts, lost, "partitions revoked");
            return;
        }
        if lost {
            events::group_membership(false);
            let mut since = locked(&self.lost_since);
            since.get_or_insert_with(Instant::now);
        } else {
            // Let in-flight items of these partitions finish first.
            let deadline = Instant::now() + REVOKE_DRAIN;
            while Instant::now() < deadline {
                let o = locked(&self.offsets);
                if parts.iter().all(|(t, p)| o.pending_on(t, *p) == 0) {
                    break;
                }
                drop(o);
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let mut offsets_to_commit = Vec::new();
        {
            let mut o = locked(&self.offsets);
            for (t, p) in &parts {
                if let Some(pos) = o.revoke(t, *p) {
                    offsets_to_commit.push((t.clone(), *p, pos));
                }
            }
        }
        tracing::info!(partitions = ?parts, lost, "partitions revoked");
        if lost || offsets_to_commit.is_empty() {
            return;
        }
        match tpl_of(&offsets_to_commit).and_then(|tpl| consumer.commit(&tpl, CommitMode::Sync)) {
            Ok(()) => {
                tracing::info!(offsets = ?offsets_to_commit, "committed offsets of revoked partitions")
            }
            Err(e) => {
                tracing::warn!(offsets = ?offsets_to_commit, error = %e, "commit on revocation failed; the next owner repeats those items")
            }
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if self.retired.load(Ordering::Acquire) {
            return;
        }
        if let Rebalance::Assign(tpl) = rebalance {
            let parts: Vec<(String, i32)> = tpl
                .elements()
                .iter()
                .map(|e| (e.topic().to_owned(), e.partition()))
                .collect();
            {
                let mut o = locked(&self.offsets);
                for (t, p) in &parts {
                    o.assign(t, *p);
                }
            }
            events::group_membership(true);
            self.ever_assigned.store(true, Ordering::Release);
            *locked(&self.lost_since) = None;
            tracing::info!(partitions = ?parts, "partitions assigned");
            if self.paused.load(Ordering::Acquire)
                && let Err(e) = consumer.pause(tpl)
            {
                tracing::warn!(error = %e, "pausing newly assigned partitions failed");
            }
        }
    }

    fn commit_callback(&self, result: KafkaResult<()>, offsets: &TopicPartitionList) {
        if self.retired.load(Ordering::Acquire) {
            return;
        }
        if let Err(e) = result {
            tracing::warn!(error = %e, "offset commit failed; will commit again");
            let mut o = locked(&self.offsets);
            for e in offsets.elements() {
                if let Offset::Offset(pos) = e.offset() {
                    o.commit_failed(e.topic(), e.partition(), pos);
                }
            }
        }
    }
}

/// The consumer side of the daemon.
pub struct KafkaSource {
    consumer: BaseConsumer<SourceContext>,
    offsets: Arc<Mutex<Offsets>>,
    /// Rate-limits the log lines of repeating consumer errors.
    errors: Mutex<ErrorLog>,
    /// The brokers refused the credentials; cleared by the next message.
    refused: AtomicBool,
}

impl KafkaSource {
    /// Creates the consumer and subscribes to `kafka.topics`.
    ///
    /// # Errors
    ///
    /// When librdkafka refuses a property or the subscription.
    pub fn new(k: &KafkaConfig, offsets: Arc<Mutex<Offsets>>) -> Result<Self, KafkaError> {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &k.brokers)
            .set("group.id", &k.group_id)
            .set("partition.assignment.strategy", "cooperative-sticky")
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("enable.partition.eof", "false")
            // For the consumer lag metric.
            .set("statistics.interval.ms", "5000")
            // Prefetch 8 MB instead of librdkafka's 64 MB, refilled within
            // 20 ms instead of 1 s once drained below it. Measured with
            // scripts/bench-e2e.sh's topic (BENCHMARKS.md): peak RSS 106 ->
            // 43 MB and 26k -> 41k items/s, as the prefetching no longer
            // competes with matching for the 2 cores.
            .set("queued.max.messages.kbytes", "8192")
            .set("fetch.queue.backoff.ms", "20");
        // `fetch.min.bytes` and `fetch.wait.max.ms` stay at librdkafka's 1
        // and 500 ms: an idle consumer asks each broker twice a second. 64
        // KB / 5 ms cut the p99 at a steady 1,000 items/s from 40-579 to
        // 15-24 ms where the broker shares 2 cores with everything else, but
        // an idle newswatch then costs the broker 200 fetches a second (31%
        // of a core here, against 3%). README and BENCHMARKS.md show both.
        for (key, v) in &k.consumer {
            config.set(key, v.expose());
        }
        let context = SourceContext {
            offsets: Arc::clone(&offsets),
            paused: AtomicBool::new(false),
            lost_since: Mutex::new(None),
            ever_assigned: AtomicBool::new(false),
            watch: Mutex::new(PartitionWatch::new(k.stall_timeout)),
            last_error: Mutex::new(None),
            transactions: std::sync::OnceLock::new(),
            retired: AtomicBool::new(false),
        };
        let consumer: BaseConsumer<SourceContext> = config.create_with_context(context)?;
        let topics: Vec<&str> = k.topics.iter().map(String::as_str).collect();
        consumer.subscribe(&topics)?;
        Ok(KafkaSource {
            consumer,
            offsets,
            errors: Mutex::new(ErrorLog::default()),
            refused: AtomicBool::new(false),
        })
    }

    /// Commits offsets in Kafka transactions on `tx` from now on
    /// (exactly-once), instead of committing them with the consumer.
    pub fn use_transactions(&self, tx: Arc<Transactions>) {
        let _ = self.consumer.context().transactions.set(tx);
    }

    /// Commits what is due: under exactly-once a transaction, when due
    /// ([`Transactions::due`]); else moved offsets, once a
    /// `COMMIT_INTERVAL`.
    fn commit_due(&self, last_commit: &mut Instant, max_in_flight: usize) {
        if let Some(tx) = self.consumer.context().transactions.get() {
            let (uncommitted, moved) = {
                let o = locked(&self.offsets);
                (o.uncommitted(), o.moved())
            };
            if tx.due(uncommitted, moved, max_in_flight) {
                tx.commit(&self.consumer, &self.offsets, Rewind::Seek);
            }
        } else if last_commit.elapsed() >= COMMIT_INTERVAL {
            self.commit_moved();
            *last_commit = Instant::now();
        }
    }

    /// Polls until `shutdown` is triggered, then drains: stops fetching,
    /// waits for the uncommitted items (up to `drain_timeout` from the stop)
    /// and commits. Returns early, without draining, when the consumer
    /// stalled out of its group.
    pub fn run(
        &self,
        workers: &Workers,
        shutdown: &Shutdown,
        max_in_flight: usize,
        drain_timeout: Duration,
    ) -> RunEnd {
        let mut last_commit = Instant::now();
        let mut arena = BytesMut::new();
        while !shutdown.is_triggered() {
            liveness::poll_turned();
            if self.stalled() {
                liveness::poll_stopped();
                return RunEnd::Stalled;
            }
            if let Some(tx) = self.consumer.context().transactions.get()
                && tx.restart_due()
            {
                liveness::poll_stopped();
                return RunEnd::Restart;
            }
            self.backpressure(max_in_flight);
            // Wait for one message, then take what is already fetched, up to
            // a batch: one hand-off per batch.
            let mut batch = Vec::new();
            let mut timeout = Duration::from_millis(100);
            while batch.len() < BATCH {
                match self.consumer.poll(timeout) {
                    None => break,
                    Some(Err(e)) => {
                        if let Some(refused) = self.consumer_error(&e) {
                            liveness::poll_stopped();
                            return refused;
                        }
                        break;
                    }
                    Some(Ok(m)) => {
                        timeout = Duration::ZERO;
                        if self.refused.swap(false, Ordering::AcqRel) {
                            events::credentials_accepted();
                        }
                        let Some(ticket) =
                            locked(&self.offsets).begin(m.topic(), m.partition(), m.offset())
                        else {
                            tracing::debug!(
                                topic = m.topic(),
                                partition = m.partition(),
                                offset = m.offset(),
                                "message of a partition no longer assigned; left to its owner"
                            );
                            continue;
                        };
                        batch.push(Envelope {
                            topic: Arc::clone(&ticket.topic),
                            partition: m.partition(),
                            offset: m.offset(),
                            timestamp_ms: m.timestamp().to_millis(),
                            key: m.key().map(|k| copy_into(&mut arena, k)),
                            payload: m.payload().map(|v| copy_into(&mut arena, v)),
                            ticket,
                        });
                    }
                }
            }
            metrics::items_consumed(batch.len());
            if !batch.is_empty() {
                liveness::poll_waits(true);
                let taken = workers.submit(batch);
                liveness::poll_waits(false);
                if !taken {
                    tracing::error!("the worker pool stopped; shutting down");
                    break;
                }
            }
            self.commit_due(&mut last_commit, max_in_flight);
        }
        self.drain(shutdown.deadline(drain_timeout));
        liveness::poll_stopped();
        RunEnd::Stopped
    }

    /// Counts and logs a consumer error, and remembers it for the stall
    /// report. Credentials or a certificate the brokers refuse make
    /// `/readyz` answer 503 at once; before the consumer ever joined, they
    /// end the run ([`RunEnd::Refused`]).
    fn consumer_error(&self, e: &KafkaError) -> Option<RunEnd> {
        let kind = ErrorKind::of(e);
        let logged = locked(&self.errors).record(kind, Instant::now());
        events::consumer_error(kind, e, logged);
        *locked(&self.consumer.context().last_error) = Some(format!("{}: {e}", kind.as_str()));
        if !kind.credentials() {
            return None;
        }
        if !self.refused.swap(true, Ordering::AcqRel) {
            events::credentials_refused(kind, e);
        }
        if self
            .consumer
            .context()
            .ever_assigned
            .load(Ordering::Acquire)
        {
            None
        } else {
            Some(RunEnd::Refused(format!("{}: {e}", kind.as_str())))
        }
    }

    fn stalled(&self) -> bool {
        let since = *locked(&self.consumer.context().lost_since);
        since.is_some_and(|t| t.elapsed() > REJOIN_TIMEOUT)
    }

    /// Pauses fetching while `max_in_flight` items are uncommitted; resumes
    /// below half of it. Polling goes on meanwhile, so the group keeps this
    /// member.
    fn backpressure(&self, max_in_flight: usize) {
        let uncommitted = locked(&self.offsets).uncommitted();
        metrics::uncommitted(uncommitted);
        let paused = self.consumer.context().paused.load(Ordering::Acquire);
        let change = if !paused && uncommitted >= max_in_flight {
            Some(true)
        } else if paused && uncommitted <= max_in_flight / 2 {
            Some(false)
        } else {
            None
        };
        let Some(pause) = change else { return };
        let result = self.consumer.assignment().and_then(|a| {
            if pause {
                self.consumer.pause(&a)
            } else {
                self.consumer.resume(&a)
            }
        });
        match result {
            Ok(()) => {
                self.consumer
                    .context()
                    .paused
                    .store(pause, Ordering::Release);
                if pause {
                    tracing::info!(
                        uncommitted,
                        max_in_flight,
                        "consumer paused: too many uncommitted items"
                    );
                } else {
                    tracing::info!(uncommitted, "consumer resumed");
                }
            }
            Err(e) => tracing::warn!(error = %e, "pausing or resuming the consumer failed"),
        }
    }

    fn commit_moved(&self) {
        let offsets_to_commit = locked(&self.offsets).take_committable();
        if offsets_to_commit.is_empty() {
            return;
        }
        tracing::debug!(offsets = ?offsets_to_commit, "committing offsets");
        if let Err(e) =
            tpl_of(&offsets_to_commit).and_then(|tpl| self.consumer.commit(&tpl, CommitMode::Async))
        {
            tracing::warn!(error = %e, "offset commit failed; will commit again");
            let mut o = locked(&self.offsets);
            for (t, p, pos) in &offsets_to_commit {
                o.commit_failed(t, *p, *pos);
            }
        }
    }

    fn drain(&self, deadline: Instant) {
        events::stopping();
        self.consumer
            .context()
            .paused
            .store(true, Ordering::Release);
        if let Ok(a) = self.consumer.assignment()
            && let Err(e) = self.consumer.pause(&a)
        {
            tracing::warn!(error = %e, "pausing the consumer failed");
        }
        let mut last_commit = Instant::now();
        while locked(&self.offsets).uncommitted() > 0 && Instant::now() < deadline {
            // Keep serving the group; messages fetched before the pause are
            // not begun, so no commit passes them.
            liveness::poll_turned();
            let _ = self.consumer.poll(Duration::from_millis(50));
            if self.consumer.context().transactions.get().is_none()
                && last_commit.elapsed() >= COMMIT_INTERVAL
            {
                self.commit_moved();
                last_commit = Instant::now();
            }
        }
        let left = locked(&self.offsets).uncommitted();
        if left > 0 {
            tracing::warn!(
                items = left,
                "shutdown timeout: uncommitted items will be consumed again"
            );
        }
        if let Some(tx) = self.consumer.context().transactions.get() {
            if left > 0 {
                let why = format!("shutdown with {left} items in flight");
                tx.fail(
                    &self.consumer,
                    &self.offsets,
                    crate::sink::kafka::TransactionError::Abortable(why),
                    Rewind::Forget,
                );
            } else if tx.commit(&self.consumer, &self.offsets, Rewind::Forget)
                == crate::source::transactions::Outcome::Committed
            {
                tracing::info!("committed the final transaction");
            }
            return;
        }
        let offsets_to_commit = locked(&self.offsets).commit_offsets();
        if !offsets_to_commit.is_empty() {
            match tpl_of(&offsets_to_commit)
                .and_then(|tpl| self.consumer.commit(&tpl, CommitMode::Sync))
            {
                Ok(()) => tracing::info!(offsets = ?offsets_to_commit, "committed final offsets"),
                Err(e) => {
                    tracing::error!(error = %e, "final offset commit failed; some items will be consumed again")
                }
            }
        }
    }

    /// Leaves the group (revocation callbacks commit again, harmlessly).
    pub fn close(self) {
        self.consumer.unsubscribe();
        drop(self.consumer);
    }

    /// Lets go of this consumer for a new one: from now on its callbacks
    /// do nothing, so that closing it cannot revoke partitions from its
    /// successor's offsets; under exactly-once the open transaction, if
    /// it holds any item's alerts, is aborted (`why` says why); the offsets of every partition are
    /// forgotten, as the successor starts from the committed ones. Then it
    /// is closed on a thread of its own: closing one that cannot reach its
    /// coordinator may take a while, and must not hold up its replacement.
    pub fn retire(self, why: &str) {
        let context = self.consumer.context();
        context.retired.store(true, Ordering::Release);
        let begun = locked(&self.offsets).begun_since_commit();
        if let Some(tx) = context.transactions.get()
            && begun
        {
            let error = crate::sink::kafka::TransactionError::Abortable(why.to_owned());
            tx.fail(&self.consumer, &self.offsets, error, Rewind::Forget);
            // This is the restart it may ask for.
            let _ = tx.restart_due();
        }
        locked(&self.offsets).clear();
        self.abandon();
    }

    fn abandon(self) {
        let spawned = std::thread::Builder::new()
            .name("newswatch-old-consumer".into())
            .spawn(move || self.close());
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "closing the stalled consumer on its own thread failed");
        }
    }
}
