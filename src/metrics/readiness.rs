//! What `/readyz` reports (SPEC section 7): set by the consumer (group
//! membership, stopping) and the app (watchlist, sinks), read by the
//! server.

use std::sync::atomic::{AtomicBool, Ordering};

/// The readiness flags of the process.
struct Readiness {
    stopping: AtomicBool,
    joined: AtomicBool,
    watchlist: AtomicBool,
    sinks: AtomicBool,
}

static READINESS: Readiness = Readiness {
    stopping: AtomicBool::new(false),
    joined: AtomicBool::new(false),
    watchlist: AtomicBool::new(false),
    sinks: AtomicBool::new(false),
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

/// `Ok` when ready to process items; else why not, for the 503 body.
///
/// # Errors
///
/// The first reason the daemon is not ready: stopping, no watchlist, no
/// sinks, or not (or no longer) a member of its consumer group.
pub fn readiness() -> Result<(), &'static str> {
    if READINESS.stopping.load(Ordering::Acquire) {
        return Err("shutting down");
    }
    if !READINESS.watchlist.load(Ordering::Acquire) {
        return Err("the watchlist is not loaded yet");
    }
    if !READINESS.sinks.load(Ordering::Acquire) {
        return Err("the sinks are not set up yet");
    }
    if !READINESS.joined.load(Ordering::Acquire) {
        return Err("the consumer has not joined its group (or lost its membership)");
    }
    Ok(())
}
