//! A librdkafka producer with a thread of its own serving its events
//! (delivery reports, errors), in place of rdkafka's `ThreadedProducer`.
//!
//! `ThreadedProducer`'s thread calls `BaseProducer::poll` with 100 ms,
//! and that call (rdkafka 0.39) loops until its deadline while librdkafka
//! waits in whole milliseconds: each call ends in up to a millisecond of
//! non-blocking polls. An idle daemon spent 0.7% of a core there, nearly
//! all of its idle CPU (`perf` of `newswatch run` with nothing to consume,
//! BENCHMARKS.md "Third session"). Here each poll lasts [`POLL`]: 100 ms
//! and 50 µs, so that the wait in whole milliseconds ends past the
//! deadline's fraction and the loop ends without spinning.

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::config::FromClientConfigAndContext;
use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseProducer, ProducerContext};

/// How long each poll of the events thread lasts: how long dropping a
/// [`Polled`] may wait for the thread to see it should stop. The 50 µs
/// over a whole number of milliseconds are what librdkafka's wait (in
/// whole milliseconds) leaves of the deadline, rather than a spin of up
/// to a millisecond.
pub(crate) const POLL: Duration = Duration::from_micros(100_050);

/// A producer whose events a thread of its own serves; dereferences to
/// the [`BaseProducer`]. Dropping it stops the thread (within [`POLL`])
/// and then the producer.
pub(crate) struct Polled<C: ProducerContext + 'static> {
    producer: Arc<BaseProducer<C>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl<C: ProducerContext + 'static> Polled<C> {
    /// Creates the producer from `config` with `context`, and its events
    /// thread, named `name`.
    ///
    /// # Errors
    ///
    /// When librdkafka refuses the configuration, or the thread cannot be
    /// spawned ([`KafkaError::ClientCreation`]).
    pub(crate) fn create(
        config: &ClientConfig,
        context: C,
        name: &str,
    ) -> Result<Self, KafkaError> {
        let producer = Arc::new(BaseProducer::from_config_and_context(config, context)?);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let producer = Arc::clone(&producer);
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name(name.to_owned())
                .spawn(move || {
                    while !stop.load(Ordering::Acquire) {
                        producer.poll(POLL);
                    }
                })
                .map_err(|e| {
                    KafkaError::ClientCreation(format!("spawning the {name} thread: {e}"))
                })?
        };
        Ok(Polled {
            producer,
            stop,
            thread: Some(thread),
        })
    }
}

impl<C: ProducerContext + 'static> Deref for Polled<C> {
    type Target = BaseProducer<C>;

    fn deref(&self) -> &BaseProducer<C> {
        &self.producer
    }
}

impl<C: ProducerContext + 'static> Drop for Polled<C> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            // The thread ends within one poll; a panic there was already
            // reported by the panic hook.
            let _ = thread.join();
        }
    }
}
