//! The integration tests, one binary (one link, one process): the real
//! `newswatch` binary and the library's engine from outside, and the daemon
//! against a real Kafka broker. What the tests share (the broker, the
//! daemon as a child process, expected alerts, fixtures) is the
//! `newswatch-test-support` crate in `tests/support`.
//!
//! The test that stops the broker is a binary of its own,
//! `tests/kafka_outage.rs`, so that it never runs beside these.
//!
//! - `cli`: the binary on fixture files (`scan`, `check`, `demo`)
//! - `properties`: the engine against naive definitions (proptest)
//! - `normalize_corpus`: the fast normalizer against the reference
//! - `metamorphic`: publishers' rewrites of the corpus change no alert (SPEC 2a)
//! - `mock_faults`: faults injected with librdkafka's mock cluster
//! - `kafka`: the daemon against the real broker (`NEWSWATCH_TEST_BROKERS`)

mod cli;
mod kafka;
mod metamorphic;
mod mock_faults;
mod normalize_corpus;
mod operators;
mod properties;
