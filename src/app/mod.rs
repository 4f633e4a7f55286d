//! Wires everything together: [`App::build`] makes the daemon from
//! [`Settings`] and an engine, [`App::run_until_stopped`] runs it until its
//! [`Shutdown`] is triggered; `commands` are the CLI commands on top.
//!
//! The only module that knows every other one. `run`, `demo` and the tests
//! all go through `build` then `run_until_stopped`.

pub mod authoring;
pub mod commands;
pub mod load;

use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::engine::Engine;
use crate::exit::Failure;
use crate::offsets::Offsets;
use crate::pipeline::stories::Stories;
use crate::pipeline::{Pipeline, Workers};
use crate::settings::{Guarantee, Settings};
use crate::shutdown::Shutdown;
use crate::sink::kafka::KafkaProducer;
use crate::sink::{DeadLetter, Repeat, Sink, SinkContext};
use crate::source::kafka::{KafkaSource, RunEnd};
use crate::source::transactions::Transactions;
use crate::story_topic::{Publisher as StoriesPublisher, Reader as StoriesReader};

/// The producer gets at least this long to flush at shutdown, even when
/// the drain used up `pipeline.shutdown_timeout`.
const FLUSH_FLOOR: Duration = Duration::from_secs(1);

/// The sinks of a configuration, built as `run` builds them.
pub struct Sinks {
    /// In `[[sinks]]` order.
    pub sinks: Vec<Arc<dyn Sink>>,
    /// The dead-letter topic, when configured.
    pub dead_letter: Option<Arc<dyn DeadLetter>>,
    /// The shared producer, when a Kafka sink or the dead-letter topic made
    /// one: flushed at shutdown.
    pub producer: Option<Arc<KafkaProducer>>,
}

/// Builds the dead-letter topic and every sink of `settings`, webhook
/// deliveries to be spawned on `runtime`: what `run` uses and what `check`
/// validates.
///
/// # Errors
///
/// A [`Failure`] with status 78 naming the sink whose client cannot be
/// made.
pub fn build_sinks(settings: &Settings, runtime: tokio::runtime::Handle) -> Result<Sinks, Failure> {
    build_sinks_for(settings, runtime, false)
}

/// [`build_sinks`]; when `transactional` (the daemon under exactly-once),
/// with the shared producer transactional and made even when no Kafka sink
/// asks for it, since offsets are committed through it.
fn build_sinks_for(
    settings: &Settings,
    runtime: tokio::runtime::Handle,
    transactional: bool,
) -> Result<Sinks, Failure> {
    let mut cx = SinkContext::new(&settings.kafka.brokers, &settings.kafka.producer, runtime);
    cx.external_url = settings.http.external_url.clone();
    if transactional {
        cx.transactional_id = Some(settings.kafka.transactional_id.clone());
        cx.kafka_producer("the transactions of pipeline.guarantee = \"exactly-once\"")
            .map_err(Failure::config)?;
    }
    if let Some(d) = &settings.dead_letter {
        cx.dead_letter = Some(d.build(&mut cx).map_err(Failure::config)?);
    }
    let sinks = settings
        .sinks
        .iter()
        .map(|s| s.build(&mut cx))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Failure::config)?;
    Ok(Sinks {
        sinks,
        dead_letter: cx.dead_letter.clone(),
        producer: cx.producer(),
    })
}

/// How long `run` waits for the stories of the last window to be read
/// back from `alerts.stories_topic` before it starts the workers anyway.
const STORIES_CATCH_UP: Duration = Duration::from_secs(30);

/// The story index of `settings` (SPEC 3a), remembering first alerts when
/// a sink has `repeat = "first-per-story"`; with `alerts.stories_topic`,
/// new stories published to it and everyone's read from it.
///
/// # Errors
/// A [`Failure`] (78) when the topic's producer or reader cannot be made
/// or the topic does not exist.
fn build_stories(settings: &Settings) -> Result<(Arc<Stories>, Option<StoriesReader>), Failure> {
    let track_firsts = settings
        .sinks
        .iter()
        .any(|s| s.policy.repeat == Repeat::FirstPerStory);
    let Some(topic) = &settings.alerts.stories_topic else {
        return Ok((
            Arc::new(Stories::new(settings.alerts.stories, track_firsts, None)),
            None,
        ));
    };
    let publisher = StoriesPublisher::new(&settings.kafka, topic).map_err(Failure::config)?;
    let stories = Arc::new(Stories::new(
        settings.alerts.stories,
        track_firsts,
        Some(Box::new(publisher)),
    ));
    let reader = StoriesReader::start(
        &settings.kafka,
        topic,
        settings.alerts.stories.window(),
        Arc::clone(&stories),
    )
    .map_err(Failure::config)?;
    Ok((stories, Some(reader)))
}

/// The daemon, built and not yet running.
pub struct App {
    settings: Settings,
    /// Webhook deliveries and the HTTP endpoints run here. Dropping it at
    /// the end of [`App::run_until_stopped`] cancels deliveries still
    /// retrying, whose items then stay uncommitted.
    runtime: tokio::runtime::Runtime,
    pipeline: Arc<Pipeline>,
    offsets: Arc<Mutex<Offsets>>,
    /// Flushed at shutdown; dropping it (with the sinks that hold clones)
    /// purges what it still holds.
    producer: Option<Arc<KafkaProducer>>,
    /// Under exactly-once, the transactions every consumer commits in.
    transactions: Option<Arc<Transactions>>,
    /// With `alerts.stories_topic`: imports the other instances' stories
    /// until stopped after the workers.
    stories_reader: Option<StoriesReader>,
    source: KafkaSource,
    /// Set by SIGHUP: reload the watchlist even if the file is unchanged.
    /// The reload thread clears it.
    reload: Arc<AtomicBool>,
    http: SocketAddr,
}

impl App {
    /// Builds the daemon: sinks, the HTTP endpoints (listening from now
    /// on), the pipeline and the consumer (subscribed, not yet polling).
    ///
    /// # Errors
    ///
    /// A [`Failure`]: 78 when a sink, the listener or the consumer cannot be
    /// made from the configuration, or no sink is configured; 70 when the
    /// runtime cannot start.
    pub fn build(settings: &Settings, engine: Arc<Engine>) -> Result<Self, Failure> {
        if settings.sinks.is_empty() {
            return Err(Failure::config(anyhow::anyhow!(
                "no sinks configured: add a [[sinks]] entry (type {}) so alerts go somewhere",
                crate::sink::SINK_TYPES.join(", ")
            )));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("newswatch-io")
            .enable_all()
            .build()
            .context("starting the async runtime")
            .map_err(Failure::software)?;
        let exactly_once = settings.pipeline.guarantee == Guarantee::ExactlyOnce;
        let built = build_sinks_for(settings, runtime.handle().clone(), exactly_once)?;
        crate::metrics::events::sinks_ready(&settings.sink_names());
        crate::metrics::liveness::set_timeout(settings.http.liveness_timeout);
        let listen = settings.http.listen;
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(listen))
            .with_context(|| format!("`http.listen`: cannot listen on {listen}"))
            .map_err(Failure::config)?;
        let http = listener.local_addr().unwrap_or(listen);
        tracing::info!(addr = %http, "serving /metrics, /healthz and /readyz");
        runtime.spawn(crate::server::serve(listener));
        let offsets = Arc::new(Mutex::new(Offsets::new()));
        let (stories, stories_reader) = build_stories(settings)?;
        let policies = settings.sinks.iter().map(|s| s.policy);
        let pipeline = Arc::new(Pipeline::new(
            engine,
            settings.input.clone(),
            settings.alerts.options.clone(),
            settings.alerts.dedup_window,
            built.sinks.into_iter().zip(policies).collect(),
            stories,
            built.dead_letter,
            Arc::clone(&offsets),
        ));
        let source = KafkaSource::new(&settings.kafka, Arc::clone(&offsets))
            .context("creating the Kafka consumer")
            .map_err(Failure::config)?;
        let transactions = match (&built.producer, exactly_once) {
            (Some(producer), true) => {
                pipeline.track_transactions();
                let tx = Arc::new(Transactions::new(
                    Arc::clone(producer),
                    Arc::clone(&pipeline) as Arc<dyn crate::source::transactions::Listener>,
                    settings.pipeline.transaction_interval,
                    settings.pipeline.shutdown_timeout,
                    pipeline.transaction_gate(),
                ));
                source.use_transactions(Arc::clone(&tx));
                tracing::info!(
                    transactional_id = %settings.kafka.transactional_id,
                    interval = ?settings.pipeline.transaction_interval,
                    "exactly-once: alerts, dead letters and offsets in Kafka transactions"
                );
                Some(tx)
            }
            _ => None,
        };
        Ok(App {
            transactions,
            stories_reader,
            settings: settings.clone(),
            runtime,
            pipeline,
            offsets,
            producer: built.producer,
            source,
            reload: Arc::new(AtomicBool::new(false)),
            http,
        })
    }

    /// Reloads the watchlist whenever `flag` is set (the reload thread
    /// clears it): `run` registers SIGHUP on it before building, so that a
    /// SIGHUP never finds the default action (terminate) installed.
    pub fn reload_on(mut self, flag: Arc<AtomicBool>) -> Self {
        self.reload = flag;
        self
    }

    /// Where `/metrics`, `/healthz` and `/readyz` are served (the bound
    /// port when `http.listen` asked for port 0).
    pub fn http_addr(&self) -> SocketAddr {
        self.http
    }

    /// Runs the daemon until `shutdown` is triggered; then stops fetching,
    /// finishes the uncommitted items, flushes the producer and commits,
    /// all within `pipeline.shutdown_timeout` from the stop (the flush gets
    /// at least a second), and returns.
    ///
    /// Threads, and who stops them: the worker pool (`newswatch-worker-*`,
    /// stopped by closing its channel after the consumer drained), the
    /// reload thread (`newswatch-reload`, watches `shutdown`, joined), the
    /// producer's retry thread (`newswatch-retry`, ends when the producer is
    /// dropped), the async runtime (`newswatch-io`, shut down at the end),
    /// librdkafka's own threads (end with their clients).
    ///
    /// # Errors
    ///
    /// A [`Failure`] when a thread cannot start (70) or a replacement
    /// consumer cannot be made (78).
    pub fn run_until_stopped(self, shutdown: Shutdown) -> Result<(), Failure> {
        let App {
            settings,
            runtime,
            pipeline,
            offsets,
            producer,
            transactions,
            stories_reader,
            mut source,
            reload,
            http: _,
        } = self;
        let engine = pipeline.routing().engine().clone();
        let w = engine.watchlist();
        crate::metrics::events::watchlist_loaded(
            &settings.watchlist.path,
            w.sets.len(),
            w.term_count(),
            w.rules.len(),
        );
        let reloader = {
            let pipeline = Arc::clone(&pipeline);
            crate::reload::Reloader::spawn(
                settings.watchlist.path.clone(),
                settings.watchlist_checks(true),
                settings.watchlist.reload,
                reload,
                shutdown.clone(),
                move |engine| pipeline.swap_engine(engine),
            )
            .context("starting the watchlist reload thread")
            .map_err(Failure::software)?
        };
        if let Some(reader) = &stories_reader
            && !reader.wait_caught_up(STORIES_CATCH_UP)
        {
            tracing::warn!(
                waited_s = STORIES_CATCH_UP.as_secs(),
                "the stories of the last window are not all read back yet; starting anyway (copies of them may start stories of their own)"
            );
        }
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let workers = Workers::start(pipeline, threads)
            .context("starting the worker threads")
            .map_err(Failure::software)?;
        tracing::info!(
            brokers = %settings.kafka.brokers, group = %settings.kafka.group_id,
            topics = ?settings.kafka.topics, workers = threads,
            "newswatch running"
        );
        let timeout = settings.pipeline.shutdown_timeout;
        let mut failed = None;
        loop {
            let end = source.run(
                &workers,
                &shutdown,
                settings.pipeline.max_in_flight,
                timeout,
            );
            match end {
                RunEnd::Stopped => break,
                RunEnd::Refused(error) => {
                    shutdown.trigger();
                    failed = Some(Failure::new(
                        crate::exit::NOPERM,
                        anyhow::anyhow!(
                            "Kafka refused the consumer ({error}); check security.protocol, sasl.mechanism, sasl.username, sasl.password and ssl.ca.location in [kafka.consumer]"
                        ),
                    ));
                    break;
                }
                RunEnd::Stalled => tracing::warn!(
                    group = %settings.kafka.group_id,
                    "the consumer lost its group membership and did not get partitions back; replacing it"
                ),
                RunEnd::Restart => tracing::warn!(
                    group = %settings.kafka.group_id,
                    "the transactional producer was replaced; replacing the consumer too, to start again from the committed offsets"
                ),
            }
            match KafkaSource::new(&settings.kafka, Arc::clone(&offsets)) {
                Ok(fresh) => {
                    if let Some(tx) = &transactions {
                        fresh.use_transactions(Arc::clone(tx));
                    }
                    std::mem::replace(&mut source, fresh).retire("the consumer is replaced")
                }
                Err(e) => {
                    // Stop everything in order (below) before reporting it.
                    shutdown.trigger();
                    failed = Some(Failure::config(
                        anyhow::Error::new(e).context("creating the Kafka consumer again"),
                    ));
                    break;
                }
            }
        }
        workers.stop();
        reloader.stop();
        if let Some(reader) = stories_reader {
            reader.stop();
        }
        if let Some(p) = &producer {
            let left = flush_budget(&shutdown, timeout, Instant::now());
            if let Err(e) = p.flush(left) {
                tracing::warn!(error = %e, "flushing the producer at shutdown failed");
            }
        }
        source.close();
        runtime.shutdown_timeout(Duration::from_secs(1));
        match failed {
            None => {
                tracing::info!("newswatch stopped");
                Ok(())
            }
            Some(f) => Err(f),
        }
    }
}

/// What is left of `timeout` after the stop, at `now`; at least
/// [`FLUSH_FLOOR`].
fn flush_budget(shutdown: &Shutdown, timeout: Duration, now: Instant) -> Duration {
    shutdown
        .deadline(timeout)
        .saturating_duration_since(now)
        .max(FLUSH_FLOOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flush_budget_is_measured_from_the_stop() {
        let shutdown = Shutdown::new();
        shutdown.trigger();
        let timeout = Duration::from_secs(20);
        let budget = flush_budget(&shutdown, timeout, Instant::now());
        assert!(budget > Duration::from_secs(19), "{budget:?}");
        // After the drain used it all, the floor.
        let later = Instant::now() + timeout;
        assert_eq!(flush_budget(&shutdown, timeout, later), FLUSH_FLOOR);
    }
}
