//! The daemon against a real Kafka broker (SPEC sections 1, 3, 4, 5 and 7),
//! `NEWSWATCH_TEST_BROKERS` or the one `scripts/kafka.sh` starts; every
//! test fails loudly when none answers.
//!
//! - `binding`: the Kafka sink's structured and binary content modes of the
//!   CloudEvents Kafka binding, read back by the CloudEvents SDK
//! - `codecs`: batches in every compression codec, consumed and produced;
//!   tombstones and empty values
//! - `e2e`: exactly the expected alerts, headers, dead letters, commits,
//!   and nothing lost across kill -9, a second instance, and SIGTERM; a
//!   static member (`group.instance.id`) back at once after kill -9
//! - `exactly_once`: `pipeline.guarantee = "exactly-once"`: each alert and
//!   dead letter once for a `read_committed` reader across kill -9, a second
//!   instance killed, and a fenced zombie
//! - `hostile`: the worst item of each engine complexity class among
//!   ordinary news
//! - `input`: text items and the dedup window
//! - `ops`: `/metrics`, `/healthz` (a wedged worker), `/readyz`, watchlist
//!   reload
//! - `replay`: `newswatch replay` over time and offset ranges, `--compare`,
//!   `--sink`, the group untouched
//! - `secured`: SASL_SSL (SCRAM-SHA-512 over TLS) on the broker's secured
//!   listener, `NEWSWATCH_TEST_SECURED_*`; a wrong password or CA ends the
//!   daemon
//! - `stories`: `data.story` on every alert, sinks with `repeat =
//!   "first-per-story"` and `group = "item"` (from the daemon and from
//!   `replay --sink`, with a rule routed away), and instances sharing
//!   `alerts.stories_topic`
//! - `webhook`: the webhook sink against `receiver`, a real HTTP endpoint

use std::time::Duration;

mod binding;
mod codecs;
mod e2e;
mod exactly_once;
mod hostile;
mod input;
mod ops;
mod receiver;
mod replay;
mod secured;
mod stories;
mod webhook;

/// How long a test waits for the alerts it expects.
const ALERT_TIMEOUT: Duration = Duration::from_secs(120);
