//! `newswatch replay` (SPEC section 6a): a watchlist over a range of a
//! topic's history, before it goes live. The partitions are assigned, not
//! subscribed: the consumer joins no group and commits nothing, so the
//! daemon's group and its offsets are untouched.
//!
//! The range of each partition is resolved once at the start: `--from` and
//! `--to` as times (librdkafka `offsets_for_times`: the first offset whose
//! timestamp is at or after the time), or offsets per partition; without
//! `--to`, the end of each partition at the start. The end is exclusive.
//! Every partition is read at once and items are matched on a worker per
//! core; the alerts are counted per rule ([`Tally`]), written as JSON lines
//! to a file, or handed to a configured sink.
//!
//! Alerts written or delivered carry their item's story (SPEC 3a), from
//! one [`Stories`] the workers share. An item counts as seen at its
//! message's Kafka timestamp, not at the replay's clock, so that
//! `alerts.story_window` spans the history as it did live. Partitions are
//! read side by side, so an item may meet a copy published before it that
//! was not replayed yet, and start the story in its place; the daemon
//! reading lagging partitions has the same freedom.
//!
//! A sink named with `--sink` gets what the daemon would have sent it:
//! the alerts of the rules routed to it (a rule's `sinks`), by its
//! `repeat` and `group` ([`Delivery::select`]). `--output` gets every
//! alert.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

use crate::alert::{self, AlertOptions, StoryRef};
use crate::compare::{Sample, Tally};
use crate::engine::{Engine, Scratch};
use crate::item::{self, DecodeOptions, Provenance};
use crate::offsets::{Offsets, Ticket};
use crate::pipeline::stories::Stories;
use crate::settings::KafkaConfig;
use crate::sink::{Completion, Group, Outgoing, Repeat, Sink, SinkPolicy};

/// Where a range starts or ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    /// A time, in milliseconds since the Unix epoch.
    Time(i64),
    /// An offset per partition; partitions not named are not replayed.
    Offsets(BTreeMap<i32, i64>),
}

/// Why a `WHEN` could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "{text:?} is not a time or offsets: {why}; write an RFC 3339 time (2026-11-24T08:00:00Z, 2026-11-24T11:00:00+03:00), a time relative to now (-7d, -12h, -30m), or offsets per partition (0:1200,1:1175)"
)]
pub struct BadWhen {
    /// What was given.
    pub text: String,
    /// What is wrong with it.
    pub why: String,
}

impl When {
    /// Parses a `WHEN` of SPEC section 6a: RFC 3339 (any offset),
    /// relative to `now` (`-7d`, `-12h`, `-90s`, `now`), or
    /// `PARTITION:OFFSET,...`.
    ///
    /// # Errors
    ///
    /// [`BadWhen`] naming the text and what is wrong.
    pub fn parse(text: &str, now: SystemTime) -> Result<Self, BadWhen> {
        let bad = |why: String| BadWhen {
            text: text.to_owned(),
            why,
        };
        let t = text.trim();
        if t == "now" {
            return Ok(When::Time(millis(now)));
        }
        if let Some(ago) = t.strip_prefix('-') {
            let d = humantime::parse_duration(ago).map_err(|e| bad(e.to_string()))?;
            let at = now
                .checked_sub(d)
                .ok_or_else(|| bad("before 1970".into()))?;
            return Ok(When::Time(millis(at)));
        }
        if t.contains(':') && !t.contains('T') && !t.contains('t') {
            let mut offsets = BTreeMap::new();
            for part in t.split(',') {
                let (p, o) = part
                    .split_once(':')
                    .ok_or_else(|| bad(format!("{part:?} is not PARTITION:OFFSET")))?;
                let p: i32 = p
                    .trim()
                    .parse()
                    .map_err(|_| bad(format!("partition {p:?} is not a number")))?;
                let o: i64 = o
                    .trim()
                    .parse()
                    .ok()
                    .filter(|&o| o >= 0)
                    .ok_or_else(|| bad(format!("offset {o:?} is not a number from 0")))?;
                if offsets.insert(p, o).is_some() {
                    return Err(bad(format!("partition {p} is given twice")));
                }
            }
            return Ok(When::Offsets(offsets));
        }
        rfc3339(t).map(When::Time).map_err(bad)
    }
}

fn millis(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// An RFC 3339 time with any offset, in milliseconds since the epoch:
/// read by the TOML date-time parser (RFC 3339 is its syntax), the UTC
/// time by humantime, then the offset taken off.
fn rfc3339(t: &str) -> Result<i64, String> {
    let d: toml::value::Datetime = t.parse().map_err(|e| format!("{e}"))?;
    let (Some(date), Some(time), Some(offset)) = (d.date, d.time, d.offset) else {
        return Err("an RFC 3339 time needs a date, a time and an offset (Z or ±HH:MM)".into());
    };
    let utc = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
        date.year,
        date.month,
        date.day,
        time.hour,
        time.minute,
        time.second.unwrap_or(0),
        time.nanosecond.unwrap_or(0)
    );
    let at = humantime::parse_rfc3339(&utc).map_err(|e| e.to_string())?;
    let shift = match offset {
        toml::value::Offset::Z => 0,
        toml::value::Offset::Custom { minutes } => i64::from(minutes) * 60_000,
    };
    Ok(millis(at) - shift)
}

/// One partition's range: `start..end`, offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// The partition.
    pub partition: i32,
    /// The first offset replayed.
    pub start: i64,
    /// The offset past the last one replayed.
    pub end: i64,
}

/// Why a replay failed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// librdkafka refused the consumer's configuration.
    #[error("creating the Kafka consumer")]
    Client(#[source] KafkaError),
    /// The topic's partitions or offsets could not be read.
    #[error("reading the partitions and offsets of topic {topic:?}")]
    Metadata {
        /// The topic.
        topic: String,
        /// Why.
        #[source]
        source: KafkaError,
    },
    /// The topic does not exist.
    #[error("topic {0:?} does not exist (or has no partitions)")]
    NoTopic(String),
    /// A partition named in `--from` or `--to` is not one of the topic's.
    #[error("topic {topic:?} has no partition {partition} (it has {count})")]
    NoPartition {
        /// The topic.
        topic: String,
        /// The partition named.
        partition: i32,
        /// How many it has.
        count: usize,
    },
    /// `--to` is before `--from` on a partition.
    #[error(
        "topic {topic:?} partition {partition}: --to (offset {end}) is before --from (offset {start})"
    )]
    Backwards {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// Where `--from` starts.
        start: i64,
        /// Where `--to` ends.
        end: i64,
    },
    /// Reading messages failed for good.
    #[error("consuming")]
    Consume(#[source] KafkaError),
    /// Writing an alert line failed.
    #[error("writing alerts")]
    Write(#[source] std::io::Error),
}

/// What a replay reads and where its alerts go.
pub struct Plan<'a> {
    /// The cluster and the consumer's properties (security included).
    pub kafka: &'a KafkaConfig,
    /// The topics to read.
    pub topics: Vec<String>,
    /// Where each partition's range starts.
    pub from: When,
    /// Where it ends; `None`: the end of each partition at the start.
    pub to: Option<When>,
    /// How items are decoded.
    pub decode: &'a DecodeOptions,
    /// How alerts are built.
    pub alerts: &'a AlertOptions,
    /// The watchlist under test.
    pub engine: &'a Engine,
    /// The watchlist it is compared with (`--compare`).
    pub old: Option<&'a Engine>,
    /// Where alert lines go, if anywhere (`--output`).
    pub output: Option<&'a Mutex<dyn Write + Send>>,
    /// Where the alerts of the current watchlist are delivered (`--sink`).
    pub deliver: Option<&'a Delivery>,
    /// The stories of the items replayed (`alerts.story_*`), for the
    /// alerts written or delivered; remembering which (story, rule) had an
    /// alert when the sink delivered to has `repeat = "first-per-story"`.
    pub stories: &'a Stories,
    /// Called about every 250 ms with (items done, items in the range).
    pub progress: Option<&'a (dyn Fn(u64, u64) + Sync)>,
}

/// A sink the alerts go to (`--sink`), and the tracker that tells when
/// every delivery is done.
pub struct Delivery {
    /// The sink.
    pub sink: Arc<dyn Sink>,
    /// Its `repeat` and `group`.
    pub policy: SinkPolicy,
    /// One ticket per message read; complete when its alerts are
    /// delivered. Empty at the end when every alert is.
    pub offsets: Arc<Mutex<Offsets>>,
}

impl Delivery {
    /// What the sink gets of an item's `alerts` (each with its story),
    /// as the daemon's pipeline sends it (SPEC 3a): the alerts of the
    /// rules routed to the sink (a rule's `sinks`, all when unset), only
    /// those first of their (story, rule) (`first`, in the order of
    /// `alerts`) under `repeat = "first-per-story"`, and under `group =
    /// "item"` one alert for the item listing their rules (`fields`: the
    /// item's field names in order; at most `max_matches` matches).
    pub fn select(
        &self,
        engine: &Engine,
        alerts: &[alert::RuleAlert],
        first: &[bool],
        fields: &[&str],
        max_matches: usize,
    ) -> Vec<alert::Alert> {
        let rules = &engine.watchlist().rules;
        let chosen: Vec<&alert::Alert> = alerts
            .iter()
            .zip(first)
            .filter(|(a, _)| rules[a.rule].routes_to(self.sink.name()))
            .filter(|(_, first)| self.policy.repeat == Repeat::Every || **first)
            .map(|(a, _)| &a.alert)
            .collect();
        match self.policy.group {
            Group::Rule => chosen.into_iter().cloned().collect(),
            Group::Item => alert::per_item(&chosen, fields, max_matches)
                .into_iter()
                .collect(),
        }
    }
}

/// What a replay found.
#[derive(Debug)]
pub struct Report {
    /// The range read, per topic.
    pub ranges: Vec<(String, Vec<Range>)>,
    /// Alerts per rule (and the comparison, with `--compare`).
    pub tally: Tally,
    /// Items rejected (not JSON, too large, …), not matched.
    pub rejected: usize,
    /// Messages read, tombstones included.
    pub messages: u64,
    /// Wall time of the reading and matching.
    pub elapsed: Duration,
}

/// Messages handed to a worker at once.
const BATCH: usize = 256;

struct Msg {
    topic: Arc<str>,
    partition: i32,
    offset: i64,
    key: Option<Vec<u8>>,
    payload: Option<Vec<u8>>,
    /// The message's Kafka timestamp, in milliseconds since the Unix epoch.
    timestamp: Option<i64>,
    /// With `--sink`: completes when the message's alerts are delivered.
    ticket: Option<Ticket>,
}

/// Runs a replay.
///
/// # Errors
///
/// A [`ReplayError`] when the consumer cannot be made, a topic or
/// partition does not exist, offsets cannot be read, consuming fails for
/// good, or an alert line cannot be written.
pub fn run(plan: &Plan<'_>) -> Result<Report, ReplayError> {
    // Assigned, never subscribed: no group is joined and nothing is
    // committed. A range that starts before what retention left starts at
    // the oldest message kept (`auto.offset.reset=earliest`; librdkafka's
    // default, latest, left a range whose start was deleted waiting forever
    // for a position that never came).
    let config = crate::source::kafka::assigned_config(
        plan.kafka,
        "replay",
        &[
            ("enable.partition.eof", "true"),
            // The daemon's prefetch (source/kafka.rs): 8 MB, refilled quickly.
            ("queued.max.messages.kbytes", "8192"),
            ("fetch.queue.backoff.ms", "20"),
        ],
    );
    let consumer: BaseConsumer = config.create().map_err(ReplayError::Client)?;
    let mut ranges = Vec::new();
    let mut tpl = TopicPartitionList::new();
    let mut total = 0u64;
    for topic in &plan.topics {
        let r = resolve(&consumer, topic, &plan.from, plan.to.as_ref())?;
        for range in &r {
            if range.start < range.end {
                tpl.add_partition_offset(topic, range.partition, Offset::Offset(range.start))
                    .map_err(ReplayError::Consume)?;
                total += (range.end - range.start) as u64;
            }
        }
        ranges.push((topic.clone(), r));
    }
    let began = Instant::now();
    // Per topic (looked up by the message's `&str`, no allocation per
    // message), the end of each partition's range not yet reached.
    let mut open: HashMap<Arc<str>, BTreeMap<i32, i64>> = ranges
        .iter()
        .map(|(t, rs)| {
            let parts = rs
                .iter()
                .filter(|r| r.start < r.end)
                .map(|r| (r.partition, r.end))
                .collect();
            (Arc::from(t.as_str()), parts)
        })
        .collect();
    open.retain(|_, parts: &mut BTreeMap<i32, i64>| !parts.is_empty());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let (tx, rx) = sync_channel::<Vec<Msg>>(2 * workers);
    let rx = Mutex::new(rx);
    let done = std::sync::atomic::AtomicU64::new(0);
    let mut messages = 0u64;
    let results = std::thread::scope(|s| -> Result<Vec<(Tally, usize)>, ReplayError> {
        let handles: Vec<_> = (0..workers)
            .map(|_| s.spawn(|| work(plan, &rx, &done)))
            .collect();
        let read = (|| {
            if open.is_empty() {
                return Ok(());
            }
            if let Some(d) = plan.deliver {
                let mut offsets = d.offsets.lock().unwrap_or_else(|e| e.into_inner());
                for (t, parts) in &open {
                    for p in parts.keys() {
                        offsets.assign(t, *p);
                    }
                }
            }
            consumer.assign(&tpl).map_err(ReplayError::Consume)?;
            let mut batch = Vec::with_capacity(BATCH);
            let mut last_progress = Instant::now();
            while !open.is_empty() {
                match consumer.poll(Duration::from_millis(100)) {
                    None => {}
                    Some(Err(KafkaError::PartitionEOF(_))) => {
                        // The end of the log came before a message at the
                        // range's end (its last offsets are transaction
                        // markers): the position says which range is done.
                        close_reached(&consumer, &mut open);
                    }
                    Some(Err(e)) => {
                        tracing::warn!(error = %e, "consumer error while replaying");
                    }
                    Some(Ok(m)) => {
                        let Some((topic, end)) =
                            open.get_key_value(m.topic()).and_then(|(t, parts)| {
                                Some((Arc::clone(t), *parts.get(&m.partition())?))
                            })
                        else {
                            continue;
                        };
                        if m.offset() + 1 >= end
                            && let Some(parts) = open.get_mut(m.topic())
                        {
                            parts.remove(&m.partition());
                            if parts.is_empty() {
                                open.remove(m.topic());
                            }
                        }
                        if m.offset() >= end {
                            continue;
                        }
                        messages += 1;
                        let ticket = plan.deliver.and_then(|d| {
                            d.offsets.lock().unwrap_or_else(|e| e.into_inner()).begin(
                                m.topic(),
                                m.partition(),
                                m.offset(),
                            )
                        });
                        batch.push(Msg {
                            topic,
                            partition: m.partition(),
                            offset: m.offset(),
                            key: m.key().map(<[u8]>::to_vec),
                            payload: m.payload().map(<[u8]>::to_vec),
                            timestamp: m.timestamp().to_millis(),
                            ticket,
                        });
                        if batch.len() >= BATCH {
                            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                            if tx.send(full).is_err() {
                                break;
                            }
                        }
                    }
                }
                if last_progress.elapsed() >= Duration::from_millis(250) {
                    if let Some(progress) = plan.progress {
                        progress(done.load(std::sync::atomic::Ordering::Relaxed), total);
                    }
                    close_reached(&consumer, &mut open);
                    last_progress = Instant::now();
                }
            }
            if !batch.is_empty() {
                let _ = tx.send(batch);
            }
            Ok(())
        })();
        drop(tx);
        let mut out = Vec::with_capacity(workers);
        for h in handles {
            match h.join() {
                Ok(r) => out.push(r?),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        read.map(|()| out)
    })?;
    if let Some(progress) = plan.progress {
        progress(done.load(std::sync::atomic::Ordering::Relaxed), total);
    }
    let mut tally = Tally::new(plan.old.is_some());
    for r in plan
        .engine
        .watchlist()
        .rules
        .iter()
        .chain(plan.old.iter().flat_map(|o| o.watchlist().rules.iter()))
    {
        tally.declare(&r.id);
    }
    let mut rejected = 0;
    for (t, r) in results {
        tally.merge(t);
        rejected += r;
    }
    Ok(Report {
        ranges,
        tally,
        rejected,
        messages,
        elapsed: began.elapsed(),
    })
}

/// Drops from `open` the ranges the consumer's position has reached: past
/// the range's last message and any transaction markers after it.
fn close_reached(consumer: &BaseConsumer, open: &mut HashMap<Arc<str>, BTreeMap<i32, i64>>) {
    let Ok(positions) = consumer.position() else {
        return;
    };
    open.retain(|t, parts| {
        parts.retain(|p, end| {
            !matches!(
                positions.find_partition(t, *p).map(|e| e.offset()),
                Some(Offset::Offset(o)) if o >= *end
            )
        });
        !parts.is_empty()
    });
}

/// The range of each partition of `topic`.
fn resolve(
    consumer: &BaseConsumer,
    topic: &str,
    from: &When,
    to: Option<&When>,
) -> Result<Vec<Range>, ReplayError> {
    let meta_err = |source| ReplayError::Metadata {
        topic: topic.to_owned(),
        source,
    };
    let timeout = Duration::from_secs(30);
    let md = consumer
        .fetch_metadata(Some(topic), timeout)
        .map_err(meta_err)?;
    let partitions = crate::source::kafka::topic_partitions(&md, topic);
    if partitions.is_empty() {
        return Err(ReplayError::NoTopic(topic.to_owned()));
    }
    for w in [Some(from), to].into_iter().flatten() {
        if let When::Offsets(o) = w
            && let Some(&p) = o.keys().find(|p| !partitions.contains(p))
        {
            return Err(ReplayError::NoPartition {
                topic: topic.to_owned(),
                partition: p,
                count: partitions.len(),
            });
        }
    }
    let mut ends = BTreeMap::new();
    for &p in &partitions {
        let (_, high) = consumer
            .fetch_watermarks(topic, p, timeout)
            .map_err(meta_err)?;
        ends.insert(p, high);
    }
    let at = |w: &When, default_missing: Option<i64>| -> Result<BTreeMap<i32, i64>, ReplayError> {
        match w {
            When::Offsets(o) => Ok(partitions
                .iter()
                .filter_map(|p| {
                    o.get(p)
                        .copied()
                        .or(default_missing.map(|_| ends[p]))
                        .map(|v| (*p, v))
                })
                .collect()),
            When::Time(ms) => {
                let mut tpl = TopicPartitionList::new();
                for &p in &partitions {
                    tpl.add_partition_offset(topic, p, Offset::Offset(*ms))
                        .map_err(meta_err)?;
                }
                let found = consumer.offsets_for_times(tpl, timeout).map_err(meta_err)?;
                Ok(partitions
                    .iter()
                    .map(|&p| {
                        let o = match found.find_partition(topic, p).map(|e| e.offset()) {
                            Some(Offset::Offset(o)) if o >= 0 => o,
                            // No message at or after the time: the end.
                            _ => ends[&p],
                        };
                        (p, o)
                    })
                    .collect())
            }
        }
    };
    let starts = at(from, None)?;
    let stops = match to {
        Some(w) => at(w, Some(0))?,
        None => ends.clone(),
    };
    let mut ranges = Vec::with_capacity(starts.len());
    for (&p, &start) in &starts {
        let stop = stops.get(&p).copied().unwrap_or(ends[&p]);
        if to.is_some() && start > stop {
            return Err(ReplayError::Backwards {
                topic: topic.to_owned(),
                partition: p,
                start,
                end: stop,
            });
        }
        // Past the end of the log: nothing to read there.
        let end = stop.min(ends[&p]);
        ranges.push(Range {
            partition: p,
            start: start.min(end),
            end,
        });
    }
    Ok(ranges)
}

/// Every delivery of a message was handed out (with `--sink`).
fn finish(completion: Option<Completion>) {
    if let Some(c) = completion {
        c.finish();
    }
}

/// A worker: matches batches until the channel closes; returns its tally
/// and the items it rejected.
fn work(
    plan: &Plan<'_>,
    rx: &Mutex<Receiver<Vec<Msg>>>,
    done: &std::sync::atomic::AtomicU64,
) -> Result<(Tally, usize), ReplayError> {
    let mut w = Worker {
        scratch: Scratch::new(),
        tally: Tally::new(plan.old.is_some()),
        rejected: 0,
        out: Vec::new(),
    };
    let mut failed = None;
    loop {
        let next = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
        let Ok(batch) = next else {
            return match failed {
                Some(e) => Err(e),
                None => Ok((w.tally, w.rejected)),
            };
        };
        // After a failure the worker goes on taking batches, unread, so
        // that the reader never blocks on a full channel.
        if failed.is_none()
            && let Err(e) = w.batch(plan, &batch, done)
        {
            failed = Some(e);
        }
    }
}

/// One worker's buffers and counts.
struct Worker {
    scratch: Scratch,
    tally: Tally,
    rejected: usize,
    /// Alert lines of one batch, written at once.
    out: Vec<u8>,
}

impl Worker {
    /// Matches one batch; its alert lines go to the output in one write.
    fn batch(
        &mut self,
        plan: &Plan<'_>,
        batch: &[Msg],
        done: &std::sync::atomic::AtomicU64,
    ) -> Result<(), ReplayError> {
        let Worker {
            scratch,
            tally,
            rejected,
            out,
        } = self;
        out.clear();
        for m in batch {
            done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let completion = plan
                .deliver
                .zip(m.ticket.clone())
                .map(|(d, t)| Completion::new(t, Arc::clone(&d.offsets)));
            let Some(payload) = m.payload.as_deref() else {
                finish(completion);
                continue; // a tombstone: not an item
            };
            let item = match item::decode(payload, plan.decode) {
                Ok(item) => item,
                Err(_) => {
                    *rejected += 1;
                    finish(completion);
                    continue;
                }
            };
            let from = Provenance::Message {
                topic: &m.topic,
                partition: m.partition,
                offset: m.offset,
                key: m.key.as_deref(),
            };
            let mut alerts = if plan.output.is_some() || plan.deliver.is_some() {
                alert::alerts_for(
                    plan.engine,
                    &item,
                    &from,
                    plan.alerts,
                    SystemTime::now(),
                    scratch,
                )
            } else {
                Vec::new()
            };
            // Per alert: the first of its (story, rule).
            let mut first = Vec::new();
            if let Some(a) = alerts.first() {
                let seen = m
                    .timestamp
                    .and_then(|ms| u64::try_from(ms).ok())
                    .map_or_else(SystemTime::now, |ms| UNIX_EPOCH + Duration::from_millis(ms));
                let item_id = a.alert.data.item.id.clone();
                let rules: Vec<&str> = alerts.iter().map(|a| a.alert.data.rule.as_str()).collect();
                let assigned = plan.stories.assign(&item, &item_id, seen, &rules);
                first = assigned.first;
                let story = StoryRef::new(&assigned.story);
                for a in &mut alerts {
                    a.alert.data.story = Some(story.clone());
                }
            }
            let new: Vec<&str> = if plan.output.is_some() || plan.deliver.is_some() {
                alerts
                    .iter()
                    .map(|a| plan.engine.rule(a.rule).id.as_str())
                    .collect()
            } else {
                plan.engine.rules_raised(&item, scratch)
            };
            let old = match plan.old {
                Some(o) => o.rules_raised(&item, scratch),
                None => Vec::new(),
            };
            tally.add(&new, &old, || Sample {
                order: (i64::from(m.partition), m.offset),
                item: item.id_or_fallback(&from),
                title: item.title.as_deref().map(str::to_owned),
            });
            if plan.output.is_some() {
                for a in &alerts {
                    crate::escape::to_json_writer(&mut *out, &a.alert)
                        .map_err(|e| ReplayError::Write(std::io::Error::other(e)))?;
                    out.push(b'\n');
                }
            }
            if let (Some(d), Some(c)) = (plan.deliver, &completion) {
                let fields: Vec<&str> = item.fields.iter().map(|(name, _)| *name).collect();
                let max = plan.alerts.max_matches;
                for alert in d.select(plan.engine, &alerts, &first, &fields, max) {
                    let json = crate::escape::to_json(&alert)
                        .map_err(|e| ReplayError::Write(std::io::Error::other(e)))?;
                    let out = Outgoing {
                        alert,
                        json: Arc::from(json),
                    };
                    d.sink.send(&out, c.ack());
                }
            }
            finish(completion);
        }
        if let Some(o) = plan.output
            && !out.is_empty()
        {
            o.lock()
                .unwrap_or_else(|e| e.into_inner())
                .write_all(out)
                .map_err(ReplayError::Write)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> SystemTime {
        humantime::parse_rfc3339(s).unwrap()
    }

    #[test]
    fn when_reads_rfc3339_relative_times_and_offsets() {
        let now = at("2026-12-01T12:00:00Z");
        let ms = |s| millis(at(s));
        assert_eq!(
            When::parse("2026-11-24T08:00:00Z", now),
            Ok(When::Time(ms("2026-11-24T08:00:00Z")))
        );
        assert_eq!(
            When::parse("2026-11-24T11:00:00+03:00", now),
            Ok(When::Time(ms("2026-11-24T08:00:00Z")))
        );
        assert_eq!(
            When::parse("2026-11-24T08:00:00.250-00:30", now),
            Ok(When::Time(ms("2026-11-24T08:30:00.250Z")))
        );
        assert_eq!(
            When::parse("-7d", now),
            Ok(When::Time(ms("2026-11-24T12:00:00Z")))
        );
        assert_eq!(
            When::parse("-12h", now),
            Ok(When::Time(ms("2026-12-01T00:00:00Z")))
        );
        assert_eq!(
            When::parse("now", now),
            Ok(When::Time(ms("2026-12-01T12:00:00Z")))
        );
        assert_eq!(
            When::parse("0:1200, 3:7", now),
            Ok(When::Offsets(BTreeMap::from([(0, 1200), (3, 7)])))
        );
    }

    #[test]
    fn bad_whens_say_what_is_wrong() {
        let now = SystemTime::now();
        for (text, why) in [
            ("yesterday", ""),
            ("2026-11-24", "needs a date, a time and an offset"),
            ("2026-11-24T08:00:00", "needs a date, a time and an offset"),
            ("-7 fortnights", "unknown time unit"),
            ("0:12,0:13", "partition 0 is given twice"),
            ("0:-1", "is not a number from 0"),
            ("x:1", "partition \"x\" is not a number"),
        ] {
            let e = When::parse(text, now).unwrap_err();
            assert!(e.why.contains(why), "{text}: {e}");
            assert!(e.to_string().contains("RFC 3339"), "{e}");
        }
    }
}
