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
//! let hits = engine.scan(&[Field { name: "title", text }], &mut Scratch::new());
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
//! - [`text`]: text as the matcher sees it: NFKC normalization with offset
//!   maps, CJK and word-boundary predicates, word spans for NEAR.
//! - [`watchlist`]: the watchlist file: sets, terms, rule expressions
//!   (parser, resolution, load errors with positions).
//! - [`engine`]: the Aho-Corasick automata, boundary filtering of matches,
//!   rule evaluation.
//! - [`item`]: news item decoding (json | text), id fallbacks, rejections.
//! - [`alert`]: alerts as CloudEvents 1.0, deterministic ids, snippets; the
//!   one path from a decoded item to its alerts.
//! - [`offsets`]: per-partition tracker of the highest contiguous completed
//!   offset, for at-least-once commits.
//!
//! Shells and wiring:
//!
//! - [`cli`]: the command line, clap definitions only.
//! - [`settings`]: configuration layers (defaults, file, `NEWSWATCH__…`
//!   environment) parsed into typed values (`raw` as written, `validate`
//!   into types).
//! - [`values`]: configuration values shared by `settings` and the sink
//!   configurations: secrets, raw scalars, key tables, collected problems.
//! - [`telemetry`]: the tracing subscriber (json or pretty).
//! - [`load`]: the watchlist file compiled into an engine, for start-up and
//!   live reload.
//! - [`source`]: the Kafka consumer: group membership, pause/resume,
//!   commits on revocation and shutdown.
//! - [`sink`]: the `Sink` trait, acks tied to offsets, routing, the kafka,
//!   webhook and stdout sinks (each owning its configuration) and the
//!   dead-letter topic.
//! - [`pipeline`]: item -> engine -> alerts -> sinks -> ack, on a worker pool;
//!   knows traits, not Kafka.
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
//! `item`, `text`, `watchlist`, `engine`, `alert` and `offsets` are the pure
//! core: no I/O beyond reading the watchlist file, no network, no async
//! runtime. Within it, `text` imports neither `watchlist` nor `engine`, and
//! `watchlist` does not import `engine`: the engine compiles a watchlist.
//!

#![warn(missing_docs)]

pub mod alert;
pub mod app;
pub mod check;
pub mod cli;
pub mod demo;
pub mod engine;
pub mod exit;
pub mod item;
pub mod load;
pub mod metrics;
pub mod offsets;
pub mod pipeline;
pub mod reload;
pub mod scan;
pub mod server;
pub mod settings;
pub mod shutdown;
pub mod sink;
pub mod source;
pub mod telemetry;
pub mod text;
pub mod values;
pub mod watchlist;
