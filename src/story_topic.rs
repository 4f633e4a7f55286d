//! `alerts.stories_topic` (SPEC 3a): the compacted Kafka topic through
//! which the instances of a group share their stories. Each instance
//! publishes the signature of each story it starts ([`Publisher`], keyed
//! by the story id) and reads everyone's into its index ([`Reader`],
//! [`Stories::import`]); at start it reads the last `alerts.story_window`
//! back (`offsets_for_times`) before the workers start, so that a copy
//! arriving on another instance joins the story one started.
//!
//! The reader assigns every partition of the topic and joins no group; it
//! commits nothing, and reads its own stories back too (they are then
//! [`Imported::Known`]). A record that is not a story (a tombstone, bad
//! JSON, another scheme) is skipped with a WARN.
//!
//! A shell: rdkafka and a thread, around [`Stories`].

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DefaultProducerContext};
use rdkafka::{Offset, TopicPartitionList};

use crate::pipeline::stories::{SharedStory, Stories, StoryPublisher};
use crate::settings::KafkaConfig;
use crate::sink::kafka::polled::Polled;
use crate::story::Imported;

/// How long the metadata and offset look-ups at start may take.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(10);

/// The stories topic could not be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// librdkafka refused a client or a look-up.
    #[error("alerts.stories_topic {topic:?}: {what}: {source}")]
    Kafka {
        /// The topic.
        topic: String,
        /// What was being done.
        what: &'static str,
        /// librdkafka's error.
        source: rdkafka::error::KafkaError,
    },
    /// The topic does not exist (or has no partitions).
    #[error(
        "alerts.stories_topic {0:?} does not exist; create it compacted (cleanup.policy=compact,delete, retention.ms at least alerts.story_window)"
    )]
    Missing(String),
    /// The reader thread could not start.
    #[error("alerts.stories_topic: starting the reader thread: {0}")]
    Thread(std::io::Error),
}

/// Publishes new stories: one record per story, key the story id, value
/// the [`SharedStory`] JSON, through a producer of its own (idempotent,
/// `acks=all`, never transactional: stories are shared at once, whatever
/// becomes of the alerts' transaction).
pub struct Publisher {
    producer: Polled<DefaultProducerContext>,
    topic: String,
}

impl Publisher {
    /// A producer for `topic` with the `[kafka]` brokers and producer
    /// properties.
    ///
    /// # Errors
    /// [`Error::Kafka`] when librdkafka refuses the producer.
    pub fn new(kafka: &KafkaConfig, topic: &str) -> Result<Self, Error> {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &kafka.brokers)
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", "5");
        for (key, v) in &kafka.producer {
            config.set(key, v.expose());
        }
        let producer = Polled::create(&config, DefaultProducerContext, "newswatch-stories-events")
            .map_err(|source| Error::Kafka {
                topic: topic.to_owned(),
                what: "creating the producer",
                source,
            })?;
        Ok(Publisher {
            producer,
            topic: topic.to_owned(),
        })
    }
}

impl StoryPublisher for Publisher {
    fn publish(&self, story: &SharedStory) {
        let value = match serde_json::to_vec(story) {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(story = %story.signature.story, error = %e, "encoding a story failed");
                return;
            }
        };
        let record = BaseRecord::to(&self.topic)
            .key(story.signature.story.as_bytes())
            .payload(&value);
        if let Err((e, _)) = self.producer.send(record) {
            tracing::warn!(
                topic = %self.topic, story = %story.signature.story, error = %e,
                "a new story could not be published; other instances will start their own for its copies"
            );
        }
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        use rdkafka::producer::Producer;
        if let Err(e) = self.producer.flush(Duration::from_secs(5)) {
            tracing::warn!(topic = %self.topic, error = %e, "flushing the stories producer failed");
        }
    }
}

/// Reads the stories topic into the index, on a thread of its own
/// (`newswatch-stories`), until [`Reader::stop`].
pub struct Reader {
    stop: Arc<AtomicBool>,
    /// Taken by [`Reader::stop`] to join it.
    handle: Option<JoinHandle<()>>,
    /// Signalled once the stories of the last window are imported.
    caught_up: Receiver<()>,
}

impl Reader {
    /// Assigns every partition of `topic` from the first record of the last
    /// `window` and starts importing into `stories`.
    ///
    /// # Errors
    /// [`Error::Missing`] when the topic does not exist; [`Error::Kafka`]
    /// when the consumer or a look-up fails; [`Error::Thread`].
    pub fn start(
        kafka: &KafkaConfig,
        topic: &str,
        window: Duration,
        stories: Arc<Stories>,
    ) -> Result<Self, Error> {
        let err = |what| {
            let topic = topic.to_owned();
            move |source| Error::Kafka {
                topic,
                what,
                source,
            }
        };
        // Assigned, not subscribed.
        let consumer: BaseConsumer = crate::source::kafka::assigned_config(kafka, "stories", &[])
            .create()
            .map_err(err("creating the consumer"))?;
        let metadata = consumer
            .fetch_metadata(Some(topic), LOOKUP_TIMEOUT)
            .map_err(err("reading the topic's metadata"))?;
        let partitions = crate::source::kafka::topic_partitions(&metadata, topic);
        if partitions.is_empty() {
            return Err(Error::Missing(topic.to_owned()));
        }
        let since = SystemTime::now()
            .checked_sub(window)
            .unwrap_or(UNIX_EPOCH)
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let mut times = TopicPartitionList::new();
        let mut ends = HashMap::new();
        for &p in &partitions {
            times
                .add_partition_offset(topic, p, Offset::Offset(since))
                .map_err(err("listing the partitions"))?;
            let (_, high) = consumer
                .fetch_watermarks(topic, p, LOOKUP_TIMEOUT)
                .map_err(err("reading the end offsets"))?;
            ends.insert(p, high);
        }
        let found = consumer
            .offsets_for_times(times, LOOKUP_TIMEOUT)
            .map_err(err("finding the start of the window"))?;
        let mut assignment = TopicPartitionList::new();
        // Per partition, the offset the window's records end before: the
        // index has caught up when each partition's position reaches it.
        let mut behind: HashMap<i32, i64> = HashMap::new();
        for &p in &partitions {
            let start = match found.find_partition(topic, p).map(|e| e.offset()) {
                Some(Offset::Offset(o)) if o >= 0 => o,
                _ => ends[&p],
            };
            if start < ends[&p] {
                behind.insert(p, ends[&p]);
            }
            assignment
                .add_partition_offset(topic, p, Offset::Offset(start))
                .map_err(err("assigning the partitions"))?;
        }
        consumer
            .assign(&assignment)
            .map_err(err("assigning the partitions"))?;
        let (tx, caught_up) = sync_channel(1);
        if behind.is_empty() {
            let _ = tx.try_send(());
        }
        let stop = Arc::new(AtomicBool::new(false));
        let handle = {
            let stop = Arc::clone(&stop);
            let topic = topic.to_owned();
            std::thread::Builder::new()
                .name("newswatch-stories".into())
                .spawn(move || {
                    read(&consumer, &topic, &stories, &stop, behind, || {
                        let _ = tx.try_send(());
                    })
                })
                .map_err(Error::Thread)?
        };
        tracing::info!(topic = %topic, partitions = partitions.len(), window = ?window, "reading the stories topic");
        Ok(Reader {
            stop,
            handle: Some(handle),
            caught_up,
        })
    }

    /// Waits until the stories of the last window are imported, at most
    /// `timeout`; false when it ran out (the reader goes on importing).
    pub fn wait_caught_up(&self, timeout: Duration) -> bool {
        self.caught_up.recv_timeout(timeout).is_ok()
    }

    /// Stops reading and joins the thread.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

impl Drop for Reader {
    /// Dropped without [`Reader::stop`] (a daemon that failed to build):
    /// the thread ends at its next poll, unjoined.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The reader's loop: imports every record until `stop`; calls
/// `caught_up` once no partition is `behind` its end at start.
fn read(
    consumer: &BaseConsumer,
    topic: &str,
    stories: &Stories,
    stop: &AtomicBool,
    mut behind: HashMap<i32, i64>,
    caught_up: impl Fn(),
) {
    let started = Instant::now();
    let (mut added, mut known) = (0u64, 0u64);
    let mut reported = behind.is_empty();
    while !stop.load(Ordering::Relaxed) {
        let Some(next) = consumer.poll(Duration::from_millis(100)) else {
            continue;
        };
        let m = match next {
            Ok(m) => m,
            Err(e) => {
                tracing::debug!(topic = %topic, error = %e, "stories topic consumer");
                continue;
            }
        };
        match m.payload().map(serde_json::from_slice::<SharedStory>) {
            None => {} // a tombstone
            Some(Err(e)) => tracing::warn!(
                topic = %topic, partition = m.partition(), offset = m.offset(), error = %e,
                "a record of the stories topic is not a story; skipped"
            ),
            Some(Ok(story)) => match stories.import(&story) {
                Ok(Imported::Added) => added += 1,
                Ok(_) => known += 1,
                Err(e) => tracing::warn!(
                    topic = %topic, partition = m.partition(), offset = m.offset(), error = %e,
                    "a story of the stories topic was refused; skipped"
                ),
            },
        }
        if let Some(&end) = behind.get(&m.partition())
            && m.offset() + 1 >= end
        {
            behind.remove(&m.partition());
        }
        if !reported && behind.is_empty() {
            reported = true;
            tracing::info!(
                topic = %topic, imported = added, known, took_ms = started.elapsed().as_millis() as u64,
                "the stories of the last window are imported"
            );
            caught_up();
        }
    }
}
