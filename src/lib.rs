//! newswatch: watch a stream of news items for watch terms and publish
//! alerts. See `SPEC.md` (shipped as the README's reference sections) for
//! the contract; this crate is the library behind the `newswatch` binary.
//!
//! # Example
//!
//! Match an item against a watchlist and build its alerts:
//!
//! ```
//! use std::sync::Arc;
//! use newswatch::engine::{Engine, Field, Scratch};
//! use newswatch::watchlist::Watchlist;
//!
//! let watchlist = Watchlist::parse(
//!     r#"
//!     [sets.chips]
//!     terms = ["H200", "芯片"]
//!     [sets.approval]
//!     terms = ["approv*", "разрешени*", "批准"]
//!     [[rules]]
//!     id = "chip-approval"
//!     when = "chips NEAR/5 approval"
//!     severity = "high"
//!     "#,
//!     None,
//! )
//! .expect("valid watchlist");
//! let engine = Engine::build(Arc::new(watchlist)).expect("engine builds");
//! let text = "Alibaba and ByteDance weigh Ｈ２００ orders if Beijing approves";
//! let hits = engine.scan(&[Field { name: "title", text }], &mut Scratch::new(), 50);
//! assert_eq!(hits.len(), 1);
//! assert_eq!(engine.rule(hits[0].rule).id, "chip-approval");
//! let m = hits[0].matches[0];
//! assert_eq!(&text[m.start..m.end], "Ｈ２００"); // offsets into the original text
//! ```
//!
//! # Layout
//!
//! Pure core (no network, no async runtime, no Kafka or HTTP client):
//!
//! - [`text`]: text as the matcher sees it (SPEC 2 and 2a): normalization
//!   forms (invisible characters removed, NFKC, case folding, `ё`, hyphens,
//!   UTS #39 skeletons) with offset maps, CJK and word-boundary predicates on
//!   the original text, word spans for NEAR.
//! - [`watchlist`]: the watchlist file: sets, terms, rule expressions
//!   (parser, resolution, load errors with positions).
//! - [`engine`]: the Aho-Corasick automata, boundary filtering of matches,
//!   rule evaluation.
//! - [`item`]: news item decoding (json | text), id fallbacks, rejections,
//!   input debris (a leading BOM, lone surrogate escapes, numeric ids as
//!   written).
//! - [`alert`]: alerts as CloudEvents 1.0, deterministic ids, snippets cut
//!   at grapheme cluster boundaries; the one path from a decoded item to
//!   its alerts.
//! - [`offsets`]: per-partition tracker of the highest contiguous completed
//!   offset, for at-least-once commits, and where an aborted transaction
//!   rewinds to under exactly-once.
//! - [`story`]: near-duplicate (syndicated) stories: one-permutation MinHash
//!   over word pairs with LSH, bounded by window and capacity (issue 18);
//!   `pipeline::stories` keeps the daemon's index and `data.story`.
//! - [`toml_depth`]: the toml parser's nesting limit (80) and the line of
//!   the one error it reports without a place, for the watchlist and the
//!   configuration file.
//! - [`escape`]: control, line-separator and bidirectional characters from
//!   outside escaped where they are printed: `\uXXXX` in alert and log JSON,
//!   `\u{1b}` in human-readable lines.
//!
//! Shells and wiring:
//!
//! - [`cli`]: the command line, clap definitions only.
//! - [`settings`]: configuration layers (defaults, file, `NEWSWATCH__…`
//!   environment) parsed into typed values (`raw` as written, `validate`
//!   into types).
//! - [`values`]: configuration values shared by `settings` and the sink
//!   configurations: secrets, raw scalars, key tables, collected problems.
//! - [`telemetry`]: the tracing subscriber (json or pretty), one write per
//!   event, values escaped.
//! - [`stdio`]: whole lines on stdout and stderr from any thread (one lock
//!   across each write to either).
//! - [`load`]: the watchlist file compiled into an engine, for start-up and
//!   live reload.
//! - [`source`]: the Kafka consumer: group membership, pause/resume,
//!   commits on revocation and shutdown; under exactly-once
//!   (`source::transactions`), offsets committed in Kafka transactions with
//!   the alerts, aborted transactions rewound.
//! - [`sink`]: the `Sink` trait, acks tied to offsets, routing, the kafka,
//!   webhook and stdout sinks (each owning its configuration) and the
//!   dead-letter topic.
//! - [`pipeline`]: item -> engine -> alerts -> story -> sinks (by each
//!   sink's `repeat` and `group`) -> ack, on a worker pool; knows traits,
//!   not Kafka.
//! - [`story_topic`]: `alerts.stories_topic`, the compacted topic the
//!   instances share their stories through (a producer and a reader thread).
//! - [`metrics`]: metric names, one function per event, the Prometheus text
//!   format.
//! - [`server`]: the HTTP endpoints `/metrics`, `/healthz`, `/readyz`.
//! - [`reload`]: live watchlist reload on file change and SIGHUP.
//! - [`shutdown`]: the one stop signal, and the moment the drain budget is
//!   measured from.
//! - [`scan`]: the offline `scan` command over JSON Lines.
//! - [`check`]: the `check` command's summary, secrets hidden.
//! - [`demo`]: `newswatch demo`, the daemon on librdkafka's mock cluster.
//! - [`exit`]: exit statuses (BSD sysexits) and the `Failure` that carries
//!   one to `main`.
//! - [`app`]: the one module that knows every other: `App::build` and
//!   `run_until_stopped` for the daemon; [`app::commands`] runs each CLI
//!   command; [`app::load`] loads settings and watchlist as exit-78
//!   failures.
//!
//! `item`, `text`, `watchlist`, `engine`, `alert`, `offsets`, `story`, `escape` and
//! `toml_depth` are the pure core: no I/O beyond reading the watchlist
//! file, no network, no async runtime. Within it, `text` imports neither
//! `watchlist` nor `engine`, and `watchlist` does not import `engine`: the
//! engine compiles a watchlist.
//!
//! # Threads and shutdown
//!
//! One stop signal, a [`shutdown::Shutdown`]: `run` registers SIGTERM and
//! SIGINT on its flag (a second signal exits at once with status 1);
//! `demo` and the tests call `trigger`. SIGHUP only sets the reload flag.
//! Signal handlers start no thread. The threads of `newswatch run`:
//!
//! - **the calling thread** (`main`; `newswatch-demo-pipeline` in `demo`)
//!   runs [`app::App::run_until_stopped`]: it polls the consumer (rebalance,
//!   commit and statistics callbacks run here) until the shutdown is
//!   triggered, drains (stops fetching, waits for the uncommitted items up
//!   to `pipeline.shutdown_timeout` from the stop, commits), then stops the
//!   workers, joins the reloader, flushes the producer (at least 1 s),
//!   closes the consumer, shuts the runtime down and, returning, drops the
//!   last producer clones.
//! - **`newswatch-io`**: the tokio runtime, 2 worker threads plus tokio's
//!   blocking pool on demand (DNS lookups), made by [`app::App::build`]; it
//!   runs the HTTP endpoints and the webhook deliveries. Shut down by
//!   `shutdown_timeout(1 s)`, the last step of `run_until_stopped`;
//!   deliveries still retrying are cancelled and their items stay
//!   uncommitted.
//! - **`newswatch-worker-{i}`**: the worker pool, one per available CPU (2
//!   when unknown), started by [`pipeline::Workers::start`]. Stopped by
//!   [`pipeline::Workers::stop`] after the drain: it drops the channel's
//!   sender; each worker finishes the batches queued and returns, and is
//!   joined.
//! - **`newswatch-reload`**: the watchlist reloader
//!   ([`reload::Reloader::spawn`]), waking every 250 ms; it returns once it
//!   sees the shutdown triggered and [`reload::Reloader::stop`] joins it,
//!   after the workers.
//! - **`newswatch-retry`**: started by [`sink::kafka::KafkaProducer::new`]
//!   (the first Kafka sink or the dead-letter topic), produces failed
//!   messages again after a backoff. Detached: it returns when the retry
//!   channel's senders are gone, i.e. when the last `KafkaProducer` clone
//!   (held by the app, the Kafka sinks and the dead-letter sink) and its
//!   librdkafka producers are dropped, as `run_until_stopped` returns.
//! - **librdkafka's threads**: each client (the consumer, the producer, a
//!   producer made to replace a stuck one) has its own (`rdk:main`, one
//!   `rdk:broker…` per broker), and each producer adds
//!   `newswatch-producer-events` (`newswatch-stories-events` for the
//!   stories topic's), on which delivery reports are handled
//!   (`sink::kafka::polled`, in place of rust-rdkafka's polling thread,
//!   which spun while idle). All
//!   start with the client and end when it is dropped: the consumer after
//!   [`source::kafka::KafkaSource::close`] (leave the group), the producer
//!   with its last clone.
//! - **`newswatch-stories`**: with `alerts.stories_topic`, reads the other
//!   instances' stories into the index ([`story_topic::Reader::start`],
//!   in `App::build`); `run_until_stopped` waits up to 30 s for it to read
//!   the last window back before starting the workers, and stops and joins
//!   it after them.
//! - **`newswatch-old-consumer`**: when a consumer stalled out of its group
//!   (or, under exactly-once, its transactional producer was replaced),
//!   [`source::kafka::KafkaSource::retire`] closes it on a detached thread
//!   of its own while a fresh consumer takes over; it ends when the close
//!   returns.
//!
//! `demo` adds, on its calling thread, a producer that owns the mock
//! cluster (librdkafka runs the mock brokers on threads of that client) and
//! the consumers that read the alerts and dead-letter topics back; it
//! triggers the shutdown once it has read what it expects and joins
//! `newswatch-demo-pipeline`. `check` builds the sinks on a current-thread
//! runtime and drops them at once, so the producer threads above start and
//! end there too; `scan` runs on the calling thread alone.

#![warn(missing_docs)]

pub mod alert;
pub mod app;
pub mod check;
pub mod cli;
pub mod compare;
pub mod demo;
pub mod engine;
pub mod escape;
pub mod exit;
pub mod explain;
#[cfg(test)]
mod fuzz_support;
pub mod item;
pub mod load;
pub mod metrics;
pub mod offsets;
pub mod pipeline;
pub mod reload;
pub mod replay;
pub mod ruletest;
pub mod scan;
pub mod server;
pub mod settings;
pub mod shutdown;
pub mod sink;
pub mod source;
pub mod stdio;
pub mod story;
pub mod story_topic;
pub mod telemetry;
pub mod text;
pub mod toml_depth;
pub mod values;
pub mod watchlist;
