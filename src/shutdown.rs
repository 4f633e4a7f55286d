//! The one shutdown signal of the daemon: SIGTERM/SIGINT (or a test, or
//! `demo`) set it; the consumer, the reload thread and the app watch it.
//! It remembers when the stop was first noticed, so every budget of the
//! drain (`pipeline.shutdown_timeout`) is measured from the stop, not from
//! the start of the daemon.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// A cloneable handle: every clone sees the same stop.
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    /// Set by [`Shutdown::trigger`] or by a signal handler registered on
    /// [`Shutdown::flag`].
    flag: Arc<AtomicBool>,
    /// When the stop was first noticed.
    at: Arc<OnceLock<Instant>>,
}

impl Shutdown {
    /// A handle that is not triggered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks everything watching this handle to stop.
    pub fn trigger(&self) {
        self.flag.store(true, Ordering::Release);
        self.noticed();
    }

    /// True once a stop was asked for; the first `true` fixes the moment of
    /// the stop.
    pub fn is_triggered(&self) -> bool {
        let stopped = self.flag.load(Ordering::Acquire);
        if stopped {
            self.noticed();
        }
        stopped
    }

    /// The flag itself, for signal handlers (`signal_hook::flag`), which
    /// can only set an `AtomicBool`.
    pub fn flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.flag)
    }

    /// `budget` after the stop was first noticed (now, if it was not yet):
    /// the deadline of a drain that may take `budget` in all.
    pub fn deadline(&self, budget: Duration) -> Instant {
        self.noticed() + budget
    }

    fn noticed(&self) -> Instant {
        *self.at.get_or_init(Instant::now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_runs_from_the_stop_not_from_the_start() {
        let started = Instant::now();
        let s = Shutdown::new();
        let clone = s.clone();
        assert!(!clone.is_triggered());
        // The daemon runs for a while before it is stopped.
        std::thread::sleep(Duration::from_millis(50));
        s.trigger();
        assert!(clone.is_triggered());
        let budget = Duration::from_secs(10);
        assert!(
            clone.deadline(budget) >= started + Duration::from_millis(50) + budget,
            "the budget is measured from the stop"
        );
        // Noticing the stop again does not move it.
        assert_eq!(clone.deadline(budget), s.deadline(budget));
    }
}
