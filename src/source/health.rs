//! The consumer's health (SPEC section 7, `/readyz`): what librdkafka
//! reports to the poll loop, classified ([`ErrorKind`]) and logged without
//! flooding ([`ErrorLog`]), and the partitions that hold unread messages
//! but stopped moving ([`PartitionWatch`]).
//!
//! librdkafka hands a consumption error to the application without its
//! partition (rust-rdkafka keeps only the error code), and keeps fetching
//! the same offset: an undecodable batch, a corrupt record or a partition
//! the credentials may not read fail again at every fetch. So a stall is
//! judged by what the statistics say each partition does: unread messages
//! (`hi_offset` past the position) and a position that does not move for
//! `kafka.stall_timeout` while the consumer is not paused. That names the
//! topic, the partition and the offset, whatever the cause, and the most
//! recent consumer error says why.
//!
//! Pure: times come in as arguments; the caller logs and sets readiness.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rdkafka::error::{KafkaError, RDKafkaErrorCode};

/// How often one kind of consumer error is logged at most; the repeats in
/// between are counted and reported with the next line.
pub const LOG_EVERY: Duration = Duration::from_secs(10);

/// What a consumer error is about: the `kind` label of
/// `newswatch_consumer_errors_total`. Few on purpose (a label per
/// librdkafka error code would be 200 series).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// SASL authentication failed (wrong user or password, mechanism not
    /// enabled): librdkafka `_AUTHENTICATION`, broker
    /// `SASL_AUTHENTICATION_FAILED`.
    Authentication,
    /// The credentials may not read a topic or use the group (broker
    /// `TOPIC_AUTHORIZATION_FAILED`, `GROUP_AUTHORIZATION_FAILED`, ...).
    Authorization,
    /// The TLS handshake failed (certificate verification, protocol).
    Tls,
    /// A batch could not be decompressed, or its codec is not supported.
    Compression,
    /// A batch or record is corrupt (CRC mismatch, bad message format).
    CorruptMessage,
    /// A subscribed topic or partition does not exist.
    UnknownTopic,
    /// A broker cannot be reached, or all of them are down: transient, and
    /// librdkafka reconnects by itself.
    Transport,
    /// Anything else.
    Other,
}

impl ErrorKind {
    /// Every kind, so each labelled series exists from the start.
    pub const ALL: [ErrorKind; 8] = [
        ErrorKind::Authentication,
        ErrorKind::Authorization,
        ErrorKind::Tls,
        ErrorKind::Compression,
        ErrorKind::CorruptMessage,
        ErrorKind::UnknownTopic,
        ErrorKind::Transport,
        ErrorKind::Other,
    ];

    /// The kind of a consumer error.
    pub fn of(error: &KafkaError) -> Self {
        use RDKafkaErrorCode as C;
        match error.rdkafka_error_code() {
            Some(C::Authentication | C::SaslAuthenticationFailed | C::IllegalSASLState) => {
                ErrorKind::Authentication
            }
            Some(
                C::TopicAuthorizationFailed
                | C::GroupAuthorizationFailed
                | C::ClusterAuthorizationFailed
                | C::TransactionalIdAuthorizationFailed,
            ) => ErrorKind::Authorization,
            Some(C::SSL) => ErrorKind::Tls,
            Some(C::BadCompression | C::UnsupportedCompressionType | C::NotImplemented) => {
                ErrorKind::Compression
            }
            Some(C::BadMessage | C::InvalidMessage | C::InvalidRecord) => ErrorKind::CorruptMessage,
            Some(C::UnknownTopic | C::UnknownTopicOrPartition | C::UnknownPartition) => {
                ErrorKind::UnknownTopic
            }
            Some(
                C::BrokerTransportFailure
                | C::AllBrokersDown
                | C::Resolve
                | C::OperationTimedOut
                | C::BrokerNotAvailable
                | C::NetworkException,
            ) => ErrorKind::Transport,
            _ => ErrorKind::Other,
        }
    }

    /// The `kind` label.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Authentication => "authentication",
            ErrorKind::Authorization => "authorization",
            ErrorKind::Tls => "tls",
            ErrorKind::Compression => "compression",
            ErrorKind::CorruptMessage => "corrupt_message",
            ErrorKind::UnknownTopic => "unknown_topic",
            ErrorKind::Transport => "transport",
            ErrorKind::Other => "other",
        }
    }

    /// Whether it heals by itself (a broker restart, a network blip):
    /// logged at WARN rather than ERROR.
    pub fn transient(self) -> bool {
        self == ErrorKind::Transport
    }

    /// Whether the credentials or the trust store are wrong: no fetch
    /// succeeds until the configuration changes.
    pub fn credentials(self) -> bool {
        matches!(self, ErrorKind::Authentication | ErrorKind::Tls)
    }
}

/// Rate-limits the log lines of repeating consumer errors: the first of a
/// kind is logged at once, then at most one per [`LOG_EVERY`], with the
/// number of repeats since the last line. Every error is counted
/// regardless.
#[derive(Debug, Default)]
pub struct ErrorLog {
    /// Per kind: when it was last logged, and the repeats since.
    last: HashMap<ErrorKind, (Instant, u64)>,
}

impl ErrorLog {
    /// Records one error of `kind` at `now`; `Some(repeats)` when it is to
    /// be logged, with how many of its kind were not logged since the last
    /// line.
    pub fn record(&mut self, kind: ErrorKind, now: Instant) -> Option<u64> {
        match self.last.get_mut(&kind) {
            Some((at, repeats)) if now.saturating_duration_since(*at) < LOG_EVERY => {
                *repeats += 1;
                None
            }
            Some((at, repeats)) => {
                let n = *repeats;
                *at = now;
                *repeats = 0;
                Some(n)
            }
            None => {
                self.last.insert(kind, (now, 0));
                Some(0)
            }
        }
    }
}

/// One assigned partition as a statistics sample shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The offset of the next message the application gets: the last one
    /// handed out plus one, else the committed offset, else the start of
    /// the log.
    pub position: i64,
    /// The end of the log (high watermark).
    pub end: i64,
}

/// A partition stopped or started moving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Unread messages, and the position has not moved for longer than the
    /// stall timeout.
    Stalled {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// The offset it is stuck at.
        offset: i64,
        /// Messages behind it (end minus offset).
        pending: i64,
        /// How long it has not moved.
        stuck_for: Duration,
    },
    /// A stalled partition moved again, or was revoked.
    Recovered {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
    },
}

#[derive(Debug)]
struct Track {
    position: i64,
    since: Instant,
    stalled: bool,
}

/// Watches assigned partitions for stalls; fed one statistics sample at a
/// time (every `statistics.interval.ms`).
#[derive(Debug)]
pub struct PartitionWatch {
    timeout: Duration,
    parts: HashMap<(String, i32), Track>,
}

impl PartitionWatch {
    /// A watch that calls a partition stalled after `timeout`
    /// (`kafka.stall_timeout`).
    pub fn new(timeout: Duration) -> Self {
        PartitionWatch {
            timeout,
            parts: HashMap::new(),
        }
    }

    /// Feeds the partitions a sample shows at `now`. While `paused` (the
    /// consumer holds back for its sinks, or drains to stop) nobody is
    /// expected to move: every clock restarts. A partition that is caught
    /// up, or moved, restarts its clock too; one no longer in the sample
    /// is forgotten.
    pub fn observe(&mut self, now: Instant, samples: &[Sample], paused: bool) -> Vec<Change> {
        let mut changes = Vec::new();
        self.parts.retain(|(topic, partition), t| {
            let kept = samples
                .iter()
                .any(|s| &s.topic == topic && s.partition == *partition);
            if !kept && t.stalled {
                changes.push(Change::Recovered {
                    topic: topic.clone(),
                    partition: *partition,
                });
            }
            kept
        });
        for s in samples {
            let key = (s.topic.clone(), s.partition);
            let t = self.parts.entry(key).or_insert(Track {
                position: s.position,
                since: now,
                stalled: false,
            });
            let idle = s.end <= s.position;
            if paused || idle || t.position != s.position {
                t.position = s.position;
                t.since = now;
                if t.stalled {
                    t.stalled = false;
                    changes.push(Change::Recovered {
                        topic: s.topic.clone(),
                        partition: s.partition,
                    });
                }
                continue;
            }
            let stuck_for = now.saturating_duration_since(t.since);
            if !t.stalled && stuck_for >= self.timeout {
                t.stalled = true;
                changes.push(Change::Stalled {
                    topic: s.topic.clone(),
                    partition: s.partition,
                    offset: s.position,
                    pending: s.end - s.position,
                    stuck_for,
                });
            }
        }
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(partition: i32, position: i64, end: i64) -> Sample {
        Sample {
            topic: "news".into(),
            partition,
            position,
            end,
        }
    }

    const T: Duration = Duration::from_secs(120);

    #[test]
    fn a_partition_with_unread_messages_that_does_not_move_stalls_once() {
        let mut w = PartitionWatch::new(T);
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        assert!(w.observe(at(0), &[sample(0, 5, 9)], false).is_empty());
        assert!(w.observe(at(119), &[sample(0, 5, 9)], false).is_empty());
        assert_eq!(
            w.observe(at(120), &[sample(0, 5, 9)], false),
            [Change::Stalled {
                topic: "news".into(),
                partition: 0,
                offset: 5,
                pending: 4,
                stuck_for: T,
            }]
        );
        // Said once, not at every sample.
        assert!(w.observe(at(125), &[sample(0, 5, 9)], false).is_empty());
        // Moving again.
        assert_eq!(
            w.observe(at(130), &[sample(0, 6, 9)], false),
            [Change::Recovered {
                topic: "news".into(),
                partition: 0
            }]
        );
    }

    #[test]
    fn caught_up_moving_or_paused_partitions_never_stall() {
        let mut w = PartitionWatch::new(T);
        let t0 = Instant::now();
        for s in 0..100u64 {
            let now = t0 + Duration::from_secs(s * 10);
            // Caught up: position at the end.
            let idle = sample(0, 9, 9);
            // Moving: one message a sample, always behind.
            let moving = sample(1, s as i64, s as i64 + 50);
            // Paused for backpressure every other sample.
            let held = sample(2, 3, 9);
            assert!(w.observe(now, &[idle, moving], false).is_empty());
            assert!(w.observe(now, &[held], s % 2 == 0).is_empty());
        }
    }

    #[test]
    fn a_revoked_stalled_partition_is_recovered_and_forgotten() {
        let mut w = PartitionWatch::new(T);
        let t0 = Instant::now();
        w.observe(t0, &[sample(0, 5, 9), sample(1, 0, 0)], false);
        let stalled = w.observe(t0 + T, &[sample(0, 5, 9), sample(1, 0, 0)], false);
        assert_eq!(stalled.len(), 1);
        assert_eq!(
            w.observe(t0 + T + T, &[sample(1, 0, 0)], false),
            [Change::Recovered {
                topic: "news".into(),
                partition: 0
            }]
        );
        // Assigned again later: a fresh clock.
        assert!(w.observe(t0 + 3 * T, &[sample(0, 5, 9)], false).is_empty());
    }

    #[test]
    fn repeating_errors_are_logged_once_per_interval_with_their_count() {
        let mut log = ErrorLog::default();
        let t0 = Instant::now();
        assert_eq!(log.record(ErrorKind::Compression, t0), Some(0));
        for i in 1..=5 {
            let at = t0 + Duration::from_secs(i);
            assert_eq!(log.record(ErrorKind::Compression, at), None);
        }
        // Another kind is logged at once.
        assert_eq!(log.record(ErrorKind::Transport, t0), Some(0));
        assert_eq!(log.record(ErrorKind::Compression, t0 + LOG_EVERY), Some(5));
    }

    #[test]
    fn errors_are_classified_by_code() {
        use RDKafkaErrorCode as C;
        let kind = |c| ErrorKind::of(&KafkaError::MessageConsumption(c));
        assert_eq!(kind(C::BadCompression), ErrorKind::Compression);
        assert_eq!(kind(C::InvalidMessage), ErrorKind::CorruptMessage);
        assert_eq!(kind(C::TopicAuthorizationFailed), ErrorKind::Authorization);
        assert_eq!(kind(C::Authentication), ErrorKind::Authentication);
        assert_eq!(kind(C::SSL), ErrorKind::Tls);
        assert_eq!(kind(C::UnknownTopicOrPartition), ErrorKind::UnknownTopic);
        assert_eq!(kind(C::AllBrokersDown), ErrorKind::Transport);
        assert_eq!(kind(C::Fail), ErrorKind::Other);
        let labels: std::collections::HashSet<_> =
            ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(labels.len(), ErrorKind::ALL.len());
    }
}
