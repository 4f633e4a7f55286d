//! What `/readyz` reports (SPEC section 7): set by the consumer (group
//! membership, stalled partitions, failing credentials, stopping) and the
//! app (watchlist, sinks), read by the server.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// The readiness flags of the process.
struct Readiness {
    stopping: AtomicBool,
    joined: AtomicBool,
    watchlist: AtomicBool,
    sinks: AtomicBool,
    /// What the consumer cannot get past, by subject (`topic/partition`,
    /// or `kafka` for the credentials): the reason, for the 503 body.
    stuck: Mutex<BTreeMap<String, String>>,
}

static READINESS: Readiness = Readiness {
    stopping: AtomicBool::new(false),
    joined: AtomicBool::new(false),
    watchlist: AtomicBool::new(false),
    sinks: AtomicBool::new(false),
    stuck: Mutex::new(BTreeMap::new()),
};

pub(super) fn set_joined(joined: bool) {
    READINESS.joined.store(joined, Ordering::Release);
}

pub(super) fn set_watchlist() {
    READINESS.watchlist.store(true, Ordering::Release);
}

pub(super) fn set_sinks() {
    READINESS.sinks.store(true, Ordering::Release);
}

pub(super) fn set_stopping() {
    READINESS.stopping.store(true, Ordering::Release);
}

fn stuck() -> std::sync::MutexGuard<'static, BTreeMap<String, String>> {
    READINESS.stuck.lock().unwrap_or_else(|e| e.into_inner())
}

/// `subject` cannot make progress for `reason` (a stalled partition,
/// failing credentials): not ready until [`set_unstuck`].
pub(super) fn set_stuck(subject: &str, reason: String) {
    stuck().insert(subject.to_owned(), reason);
}

/// `subject` moves again.
pub(super) fn set_unstuck(subject: &str) {
    stuck().remove(subject);
}

/// `Ok` when ready to process items; else why not, for the 503 body.
///
/// # Errors
///
/// The first reason the daemon is not ready: stopping, no watchlist, no
/// sinks, not (or no longer) a member of its consumer group, or every
/// subject the consumer is stuck on (a partition that stopped moving past
/// an offset, credentials the brokers refuse), `; `-separated.
pub fn readiness() -> Result<(), String> {
    if READINESS.stopping.load(Ordering::Acquire) {
        return Err("shutting down".into());
    }
    if !READINESS.watchlist.load(Ordering::Acquire) {
        return Err("the watchlist is not loaded yet".into());
    }
    if !READINESS.sinks.load(Ordering::Acquire) {
        return Err("the sinks are not set up yet".into());
    }
    {
        let stuck = stuck();
        if !stuck.is_empty() {
            let reasons: Vec<&str> = stuck.values().map(String::as_str).collect();
            return Err(reasons.join("; "));
        }
    }
    if !READINESS.joined.load(Ordering::Acquire) {
        return Err("the consumer has not joined its group (or lost its membership)".into());
    }
    Ok(())
}
