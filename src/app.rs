//! Wires settings, watchlist and engine together for the commands, and maps
//! failures to the exit statuses of SPEC section 6 (sysexits).

use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use anyhow::Context;

use crate::engine::Engine;
use crate::offsets::Offsets;
use crate::pipeline::{Pipeline, Workers};
use crate::scan::Scanner;
use crate::settings::{Settings, SinkKind};
use crate::sink::kafka::{KafkaDeadLetter, KafkaProducer, KafkaSink};
use crate::sink::stdout::StdoutSink;
use crate::sink::webhook::WebhookSink;
use crate::sink::{DeadLetter, Sink};
use crate::source::kafka::{KafkaSource, RunEnd};

/// Exit statuses (BSD sysexits).
pub mod exit {
    pub const OK: u8 = 0;
    /// Some input lines were rejected.
    pub const DATAERR: u8 = 65;
    /// An input file could not be opened.
    pub const NOINPUT: u8 = 66;
    /// An internal error (threads, signal handlers).
    pub const SOFTWARE: u8 = 70;
    /// Writing the output failed.
    pub const IOERR: u8 = 74;
    /// Invalid configuration or watchlist.
    pub const CONFIG: u8 = 78;
}

/// A failure with the exit status it maps to.
#[derive(Debug)]
pub struct Failure {
    pub status: u8,
    pub error: anyhow::Error,
}

impl Failure {
    fn config(error: impl Into<anyhow::Error>) -> Self {
        Failure {
            status: exit::CONFIG,
            error: error.into(),
        }
    }
}

/// Loads the settings from `--config` / `NEWSWATCH_CONFIG` and the process
/// environment.
pub fn load_settings(config: Option<&Path>) -> Result<Settings, Failure> {
    Settings::load(config, std::env::vars()).map_err(Failure::config)
}

/// Loads the watchlist (the override, else `watchlist.path`) and builds the
/// engine. `check_sinks` validates rule sink names against the configured
/// sinks.
pub fn load_engine(settings: &Settings, path: &Path, check_sinks: bool) -> Result<Engine, Failure> {
    let names = settings.sink_names();
    let sinks = check_sinks.then_some(names.as_slice());
    crate::reload::build(path, sinks).map_err(|e| Failure::config(anyhow::anyhow!(e)))
}

fn watchlist_path(settings: &Settings, over: Option<PathBuf>) -> PathBuf {
    over.unwrap_or_else(|| settings.watchlist.path.clone())
}

/// `newswatch check`: prints the summary on stdout.
pub fn check(config: Option<&Path>, watchlist: Option<PathBuf>) -> Result<u8, Failure> {
    let settings = load_settings(config)?;
    let path = watchlist_path(&settings, watchlist);
    let engine = load_engine(&settings, &path, true)?;
    let summary = crate::check::summary(&settings, &engine, &path.display().to_string());
    print!("{summary}");
    Ok(exit::OK)
}

/// `newswatch scan`: alerts on stdout, rejected lines and a summary on
/// stderr.
pub fn scan(
    config: Option<&Path>,
    watchlist: Option<PathBuf>,
    inputs: &[PathBuf],
) -> Result<u8, Failure> {
    let settings = load_settings(config)?;
    let path = watchlist_path(&settings, watchlist);
    // Offline, routing does not apply; sink names are checked only when the
    // configuration defines sinks to check them against.
    let engine = load_engine(&settings, &path, !settings.sinks.is_empty())?;
    let mut scanner = Scanner::new(&engine, &settings.input, &settings.alerts.options);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut err = io::stderr();
    let stdin_only = [PathBuf::from("-")];
    let inputs = if inputs.is_empty() {
        &stdin_only[..]
    } else {
        inputs
    };
    let io_failure = |e: io::Error, what: &str| Failure {
        status: exit::IOERR,
        error: anyhow::Error::new(e).context(what.to_owned()),
    };
    for input in inputs {
        let result = if input.as_os_str() == "-" {
            scanner.scan("<stdin>", io::stdin().lock(), &mut out, &mut err)
        } else {
            let file = File::open(input).map_err(|e| Failure {
                status: exit::NOINPUT,
                error: anyhow::Error::new(e).context(format!("opening input {}", input.display())),
            })?;
            scanner.scan(
                &input.display().to_string(),
                BufReader::new(file),
                &mut out,
                &mut err,
            )
        };
        match result {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(exit::OK),
            Err(e) => return Err(io_failure(e, &format!("scanning {}", input.display()))),
        }
    }
    match out.flush() {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(exit::OK),
        r => r.map_err(|e| io_failure(e, "writing alerts"))?,
    }
    let r = &scanner.report;
    if r.rejected > 0 {
        let _ = writeln!(
            err,
            "newswatch scan: {} lines, {} items, {} rejected, {} alerts",
            r.lines, r.items, r.rejected, r.alerts
        );
        return Ok(exit::DATAERR);
    }
    Ok(exit::OK)
}

/// `newswatch run`: the daemon, until SIGTERM or SIGINT (a second signal
/// exits at once).
pub fn run(config: Option<&Path>) -> Result<u8, Failure> {
    let settings = load_settings(config)?;
    crate::telemetry::init(&settings.log);
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        // Order matters: the conditional exit sees the flag set by the
        // first signal only from the second signal on.
        signal_hook::flag::register_conditional_shutdown(sig, 1, Arc::clone(&stop))
            .and_then(|_| signal_hook::flag::register(sig, Arc::clone(&stop)))
            .context("installing signal handlers")
            .map_err(|error| Failure {
                status: exit::SOFTWARE,
                error,
            })?;
    }
    let hup = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGHUP, Arc::clone(&hup))
        .context("installing the SIGHUP handler")
        .map_err(|error| Failure {
            status: exit::SOFTWARE,
            error,
        })?;
    let engine = Arc::new(load_engine(&settings, &settings.watchlist.path, true)?);
    run_until_stopped(&settings, engine, &stop, hup)?;
    Ok(exit::OK)
}

/// Builds the daemon from `settings` and `engine` and runs it until `stop`
/// is set; then drains (up to `pipeline.shutdown_timeout`), flushes,
/// commits and returns. `hup` set means: reload the watchlist.
pub fn run_until_stopped(
    settings: &Settings,
    engine: Arc<Engine>,
    stop: &AtomicBool,
    hup: Arc<AtomicBool>,
) -> Result<(), Failure> {
    let w = engine.watchlist();
    tracing::info!(
        watchlist = %settings.watchlist.path.display(),
        sets = w.sets.len(), terms = w.term_count(), rules = w.rules.len(),
        "watchlist loaded"
    );
    crate::metrics::watchlist_loaded(w.term_count(), w.rules.len());
    crate::metrics::watchlist_ready();
    let kafka_failure = |what: &str| {
        let what = what.to_owned();
        move |e: rdkafka::error::KafkaError| Failure {
            status: exit::CONFIG,
            error: anyhow::Error::new(e).context(what),
        }
    };
    let needs_producer = settings.dead_letter.is_some()
        || settings
            .sinks
            .iter()
            .any(|s| matches!(s.kind, SinkKind::Kafka { .. }));
    let producer = needs_producer
        .then(|| KafkaProducer::new(&settings.kafka.brokers, &settings.kafka.producer))
        .transpose()
        .map_err(kafka_failure("creating the Kafka producer"))?
        .map(Arc::new);
    let dead_letter = match (&settings.dead_letter, &producer) {
        (Some(d), Some(p)) => {
            Some(Arc::new(KafkaDeadLetter::new(&d.topic, Arc::clone(p))) as Arc<dyn DeadLetter>)
        }
        _ => None,
    };
    // Webhook deliveries (and the HTTP endpoints) run here; dropping it at
    // the end cancels deliveries still retrying, whose items then stay
    // uncommitted.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("newswatch-io")
        .enable_all()
        .build()
        .context("starting the async runtime")
        .map_err(|error| Failure {
            status: exit::SOFTWARE,
            error,
        })?;
    let mut sinks: Vec<Arc<dyn Sink>> = Vec::new();
    for s in &settings.sinks {
        match (&s.kind, &producer) {
            (SinkKind::Kafka { topic }, Some(p)) => {
                sinks.push(Arc::new(KafkaSink::new(&s.name, topic, Arc::clone(p))))
            }
            (SinkKind::Stdout, _) => sinks.push(Arc::new(StdoutSink::new(&s.name))),
            (SinkKind::Webhook(w), _) => {
                let sink =
                    WebhookSink::new(&s.name, w, dead_letter.clone(), runtime.handle().clone())
                        .map_err(Failure::config)?;
                sinks.push(Arc::new(sink));
            }
            (SinkKind::Kafka { .. }, None) => {
                unreachable!("a producer exists when a kafka sink does")
            }
        }
    }
    if sinks.is_empty() {
        return Err(Failure::config(anyhow::anyhow!(
            "no sinks configured: add a [[sinks]] entry (type kafka, webhook or stdout) so alerts go somewhere"
        )));
    }
    crate::metrics::sinks_ready();
    let listen = settings.http.listen;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(listen))
        .with_context(|| format!("`http.listen`: cannot listen on {listen}"))
        .map_err(Failure::config)?;
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "serving /metrics, /healthz and /readyz");
    }
    runtime.spawn(crate::server::serve(listener));
    let offsets = Arc::new(Mutex::new(Offsets::new()));
    let pipeline = Arc::new(Pipeline::new(
        engine,
        settings.input.clone(),
        settings.alerts.options.clone(),
        settings.alerts.dedup_window,
        sinks,
        dead_letter,
        Arc::clone(&offsets),
    ));
    let reloader = {
        let pipeline = Arc::clone(&pipeline);
        crate::reload::Reloader::spawn(
            settings.watchlist.path.clone(),
            settings.sink_names(),
            settings.watchlist.reload,
            hup,
            move |engine| pipeline.swap_engine(engine),
        )
        .context("starting the watchlist reload thread")
        .map_err(|error| Failure {
            status: exit::SOFTWARE,
            error,
        })?
    };
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let workers = Workers::start(pipeline, threads)
        .context("starting the worker threads")
        .map_err(|error| Failure {
            status: exit::SOFTWARE,
            error,
        })?;
    let mut source = KafkaSource::new(&settings.kafka, Arc::clone(&offsets))
        .map_err(kafka_failure("creating the Kafka consumer"))?;
    tracing::info!(
        brokers = %settings.kafka.brokers, group = %settings.kafka.group_id,
        topics = ?settings.kafka.topics, workers = threads,
        "newswatch running"
    );
    let begun = std::time::Instant::now();
    while source.run(
        &workers,
        stop,
        settings.pipeline.max_in_flight,
        settings.pipeline.shutdown_timeout,
    ) == RunEnd::Stalled
    {
        tracing::warn!(
            group = %settings.kafka.group_id,
            "the consumer lost its group membership and did not get partitions back; replacing it"
        );
        let fresh = KafkaSource::new(&settings.kafka, Arc::clone(&offsets))
            .map_err(kafka_failure("creating the Kafka consumer again"))?;
        std::mem::replace(&mut source, fresh).abandon();
    }
    workers.stop();
    reloader.stop();
    if let Some(p) = &producer {
        let left = settings
            .pipeline
            .shutdown_timeout
            .saturating_sub(begun.elapsed().min(settings.pipeline.shutdown_timeout));
        if let Err(e) = p.flush(left.max(std::time::Duration::from_secs(1))) {
            tracing::warn!(error = %e, "flushing the producer at shutdown failed");
        }
    }
    source.close();
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    tracing::info!("newswatch stopped");
    Ok(())
}

/// `newswatch demo`: warnings only in the log, so the alerts stand out.
pub fn demo() -> Result<u8, Failure> {
    crate::telemetry::init(&crate::settings::Log {
        format: crate::settings::LogFormat::Pretty,
        level: "warn".into(),
    });
    crate::demo::run(&mut io::stdout().lock())
}
