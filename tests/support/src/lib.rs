//! What the newswatch test binaries share, and the benchmarks' corpus: a
//! dev-only crate (`publish = false`) that `tests/it` (every integration
//! test), `tests/kafka_outage.rs` (the test that stops the broker, a binary
//! of its own) and `benches/engine.rs` depend on. It knows the repository's
//! layout ([`root`]) and the daemon's command line, not its internals: the
//! expected alerts come from the library's public API.
//!
//! # Layout
//!
//! - [`broker`]: the Kafka broker under test, unique names, topics,
//!   producing, committed and end offsets
//! - [`subscriber`]: reading topics back, as a subscriber of the alerts
//! - [`setup`]: one test's topics, group, directory and daemon config
//! - [`daemon`]: the real `newswatch run` as a child process, and its log
//! - [`expected`]: the alerts the library says items must raise
//! - [`fixtures`]: the items of `tests/fixtures/` and streams built from them
//! - [`http`]: a plain HTTP/1.1 GET of the daemon's endpoints
//! - [`metrics`]: `/metrics` parsed by the Prometheus project's parser
//! - [`cloudevents`]: alerts read from Kafka, parsed by the CloudEvents SDK
//! - [`python`]: the lint venv's Python, which runs those reference
//!   implementations
//! - [`corpus`]: the generated multilingual corpus and watchlists of the
//!   benchmarks and the normalizer corpus test
//! - [`thread_cpu_seconds`]: the benchmark examples' clock

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub mod broker;
pub mod cloudevents;
pub mod corpus;
pub mod daemon;
pub mod expected;
pub mod fixtures;
pub mod http;
pub mod metrics;
pub mod python;
pub mod setup;
pub mod subscriber;

/// CPU seconds the calling thread has used (`CLOCK_THREAD_CPUTIME_ID`): the
/// clock of the examples that time one stage in turn with another
/// (`examples/bare_automaton.rs`, `examples/stage_costs.rs`), which the
/// process's other threads and the wait for the CPU do not move.
pub fn thread_cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

/// The repository's root directory (this crate lives in `tests/support`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("tests/support has two ancestors")
        .to_owned()
}

/// Polls `check` every 200 ms until it holds (true) or `timeout` passes
/// (false).
pub fn eventually(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if check() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
