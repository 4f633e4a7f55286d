//! What `/healthz` reports (SPEC section 7): heartbeats of the poll loop
//! and of each worker. Alive unless the poll loop has not turned, or a
//! worker has been on one item, for `http.liveness_timeout`: a wedged
//! process that Kubernetes should restart. Idle is alive: the poll loop
//! turns every 100 ms with nothing to read, and an idle worker is not
//! busy.
//!
//! A beat is two relaxed atomic stores per item; times are milliseconds
//! since the first use of this module, 0 meaning "not running" or "idle".

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::{Duration, Instant};

static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);

/// Milliseconds since [`EPOCH`], at least 1 (0 is "not running").
fn now_ms() -> u64 {
    u64::try_from(EPOCH.elapsed().as_millis())
        .unwrap_or(u64::MAX)
        .saturating_add(1)
}

struct Liveness {
    /// `http.liveness_timeout`, in milliseconds.
    timeout_ms: AtomicU64,
    /// When the poll loop last turned; 0 when no poll loop runs.
    poll: AtomicU64,
    /// The poll loop is blocked handing a batch to workers that are all
    /// busy: it is judged by the workers then.
    poll_waits: AtomicBool,
    /// Each worker's "busy since" (0: idle); a dropped worker's entry dies.
    workers: Mutex<Vec<Weak<AtomicU64>>>,
}

static LIVENESS: Liveness = Liveness {
    timeout_ms: AtomicU64::new(60_000),
    poll: AtomicU64::new(0),
    poll_waits: AtomicBool::new(false),
    workers: Mutex::new(Vec::new()),
};

/// Sets `http.liveness_timeout`.
pub fn set_timeout(timeout: Duration) {
    let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
    LIVENESS.timeout_ms.store(ms.max(1), Ordering::Relaxed);
}

/// The poll loop turned (call once per turn).
pub fn poll_turned() {
    LIVENESS.poll.store(now_ms(), Ordering::Relaxed);
}

/// The poll loop starts (`true`) or stops (`false`) waiting for a worker
/// to take a batch.
pub fn poll_waits(waits: bool) {
    if !waits {
        poll_turned();
    }
    LIVENESS.poll_waits.store(waits, Ordering::Relaxed);
}

/// The poll loop ended: it is no longer judged.
pub fn poll_stopped() {
    LIVENESS.poll.store(0, Ordering::Relaxed);
}

/// One worker's heartbeat; registered while it lives.
#[derive(Debug)]
pub struct WorkerBeat(Arc<AtomicU64>);

impl WorkerBeat {
    /// A new worker's beat, idle.
    pub fn register() -> Self {
        let beat = Arc::new(AtomicU64::new(0));
        let mut workers = LIVENESS.workers.lock().unwrap_or_else(|e| e.into_inner());
        workers.retain(|w| w.strong_count() > 0);
        workers.push(Arc::downgrade(&beat));
        WorkerBeat(beat)
    }

    /// The worker starts an item.
    pub fn busy(&self) {
        self.0.store(now_ms(), Ordering::Relaxed);
    }

    /// The worker finished its item.
    pub fn idle(&self) {
        self.0.store(0, Ordering::Relaxed);
    }
}

/// `Ok` while the process makes progress.
///
/// # Errors
///
/// What has not moved for longer than `http.liveness_timeout`: the poll
/// loop (not turned, and not waiting for busy workers), or a worker (on
/// one item), with how long, for the 503 body.
pub fn liveness() -> Result<(), String> {
    let busy: Vec<u64> = LIVENESS
        .workers
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter_map(Weak::upgrade)
        .map(|w| w.load(Ordering::Relaxed))
        .collect();
    judge(
        now_ms(),
        LIVENESS.timeout_ms.load(Ordering::Relaxed),
        LIVENESS.poll.load(Ordering::Relaxed),
        LIVENESS.poll_waits.load(Ordering::Relaxed),
        &busy,
    )
}

/// [`liveness`] on given beats (milliseconds; 0: not running, idle).
fn judge(now: u64, timeout: u64, poll: u64, poll_waits: bool, busy: &[u64]) -> Result<(), String> {
    let late = |t: u64| t != 0 && now.saturating_sub(t) > timeout;
    let secs = |t: u64| now.saturating_sub(t) / 1000;
    if let Some((i, &b)) = busy.iter().enumerate().find(|(_, b)| late(**b)) {
        return Err(format!("worker {i} has been on one item for {}s", secs(b)));
    }
    if !poll_waits && late(poll) {
        return Err(format!(
            "the Kafka poll loop has not turned for {}s",
            secs(poll)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::judge;

    #[test]
    fn idle_and_busy_within_the_timeout_are_alive() {
        // Nothing running, idle workers, a poll loop that just turned.
        assert_eq!(judge(100_000, 60_000, 0, false, &[0, 0]), Ok(()));
        assert_eq!(judge(100_000, 60_000, 99_900, false, &[0, 50_000]), Ok(()));
        // Exactly at the timeout is still alive.
        assert_eq!(judge(100_000, 60_000, 40_000, false, &[40_000]), Ok(()));
    }

    #[test]
    fn a_wedged_worker_or_poll_loop_is_named() {
        assert_eq!(
            judge(100_000, 60_000, 99_000, false, &[0, 30_000]),
            Err("worker 1 has been on one item for 70s".into())
        );
        assert_eq!(
            judge(100_000, 60_000, 20_000, false, &[0]),
            Err("the Kafka poll loop has not turned for 80s".into())
        );
        // Waiting for busy workers, the loop is judged by them.
        assert_eq!(judge(100_000, 60_000, 20_000, true, &[90_000]), Ok(()));
        assert!(judge(100_000, 60_000, 20_000, true, &[20_000]).is_err());
    }
}
