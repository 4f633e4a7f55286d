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
//! - [`settings`]: configuration layers (defaults, file, `NEWSWATCH__…`
//!   environment) parsed into typed values.
//! - [`cli`]: the command line, clap definitions only.
//! - [`telemetry`]: the tracing subscriber (json or pretty).
//! - [`item`]: news item decoding (json | text), id fallbacks, rejections.
//! - [`text`]: text as the matcher sees it: normalization with offset maps,
//!   CJK and word-boundary predicates, word spans for NEAR.
//! - [`watchlist`]: the watchlist file: sets, terms, rule expressions
//!   (parser, resolution, load errors).
//! - [`engine`]: the automata, boundary filtering of matches, rule
//!   evaluation.
//! - [`alert`]: alerts as CloudEvents, deterministic ids, snippets.
//! - [`offsets`]: per-partition tracker of the highest contiguous completed
//!   offset, for at-least-once commits.
//! - [`source`]: the Kafka consumer: group membership, pause/resume,
//!   commits on revocation and shutdown.
//! - [`sink`]: the `Sink` trait, acks tied to offsets, the kafka, webhook
//!   and stdout sinks and the dead-letter topic.
//! - [`metrics`]: metric names, one function per event, the Prometheus text
//!   format.
//! - [`pipeline`]: item -> engine -> alerts -> sinks -> ack, on a worker pool;
//!   knows traits, not Kafka.
//! - [`scan`]: the offline `scan` command over JSON Lines.
//! - [`server`]: the HTTP endpoints `/metrics`, `/healthz`, `/readyz`.
//! - [`reload`]: live watchlist reload on file change and SIGHUP.
//! - [`check`]: the `check` command: validate and summarise.
//! - [`demo`]: `newswatch demo`, the pipeline on an embedded mock broker.
//! - [`app`]: wires everything for the commands (`run_until_stopped` for the
//!   daemon); maps errors to exit statuses.
//!
//! `item`, `text`, `watchlist`, `engine`, `alert` and `offsets` are the pure
//! core: no I/O beyond reading the watchlist file, no network, no async
//! runtime. Within it, `text` imports neither `watchlist` nor `engine`, and
//! `watchlist` does not import `engine`: the engine compiles a watchlist.

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
