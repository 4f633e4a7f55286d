//! Live watchlist reload (`watchlist.reload`, SIGHUP): a thread that notices
//! a changed watchlist file, builds the new engine off the hot path and
//! hands it over whole; matching never waits for a build.
//!
//! The file is polled (its metadata once a second, through symlinks), not
//! watched with inotify: that sees in-place edits, editors' write-and-rename,
//! and the symlink swap by which Kubernetes updates a mounted ConfigMap,
//! alike, at the cost of up to a second of delay. A change is loaded only
//! once the file has stopped changing for one poll, and only when its
//! content differs from what is loaded. A file that fails to load keeps the
//! current watchlist: the error is logged with its position and counted.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use sha2::{Digest, Sha256};

use crate::engine::Engine;
use crate::load::load_engine;
use crate::metrics::events;
use crate::shutdown::Shutdown;

/// How often the flags and the file are looked at.
const TICK: Duration = Duration::from_millis(250);
/// How often the file's metadata is read.
const POLL: Duration = Duration::from_secs(1);

/// What identifies a version of the file without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
}

fn stamp(path: &Path) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some(Stamp {
        len: m.len(),
        modified: m.modified().ok(),
        inode: m.ino(),
    })
}

fn digest(path: &Path) -> Option<[u8; 32]> {
    std::fs::read(path).ok().map(|b| Sha256::digest(&b).into())
}

/// The reload thread (`newswatch-reload`): it ends once the daemon's
/// [`Shutdown`] is triggered; [`Reloader::stop`] joins it.
pub struct Reloader {
    /// The `newswatch-reload` thread; joined by [`Reloader::stop`], detached
    /// if the `Reloader` is dropped (it still ends with the shutdown).
    handle: Option<JoinHandle<()>>,
}

impl Reloader {
    /// Starts watching `path` (when `watch_file`) and `hup` (set by the
    /// SIGHUP handler; a SIGHUP reloads even an unchanged file) until
    /// `shutdown`. Each engine built goes to `swap`; rule sinks are checked
    /// against `sinks`.
    ///
    /// # Errors
    ///
    /// When the thread cannot be spawned.
    pub fn spawn(
        path: PathBuf,
        sinks: Vec<String>,
        watch_file: bool,
        hup: Arc<AtomicBool>,
        shutdown: Shutdown,
        swap: impl Fn(Arc<Engine>) + Send + 'static,
    ) -> std::io::Result<Self> {
        let handle = std::thread::Builder::new()
            .name("newswatch-reload".into())
            .spawn(move || {
                let mut w = Watch {
                    stamp: stamp(&path),
                    loaded: digest(&path),
                    path,
                    sinks,
                };
                let mut next_poll = Instant::now() + POLL;
                while !shutdown.is_triggered() {
                    std::thread::sleep(TICK);
                    if hup.swap(false, Ordering::AcqRel) {
                        tracing::info!(path = %w.path.display(), "SIGHUP: reloading the watchlist");
                        w.reload(&swap, true);
                    } else if watch_file && Instant::now() >= next_poll {
                        next_poll = Instant::now() + POLL;
                        w.poll(&swap);
                    }
                }
            })?;
        Ok(Reloader {
            handle: Some(handle),
        })
    }

    /// Waits for the thread, which ends once the shutdown was triggered.
    pub fn stop(mut self) {
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

struct Watch {
    path: PathBuf,
    sinks: Vec<String>,
    /// The file's metadata at the last poll.
    stamp: Option<Stamp>,
    /// The digest of the content last loaded, or last failed to load (so a
    /// broken file is reported once, not every second).
    loaded: Option<[u8; 32]>,
}

impl Watch {
    fn poll(&mut self, swap: &impl Fn(Arc<Engine>)) {
        let now = stamp(&self.path);
        if now == self.stamp {
            return;
        }
        self.stamp = now;
        // Let a writer finish: load once the file holds still for a tick.
        std::thread::sleep(TICK);
        if stamp(&self.path) != self.stamp {
            return; // still changing; the next poll sees it again
        }
        self.reload(swap, false);
    }

    fn reload(&mut self, swap: &impl Fn(Arc<Engine>), forced: bool) {
        let content = digest(&self.path);
        if !forced && content.is_some() && content == self.loaded {
            return; // touched, not changed
        }
        self.loaded = content;
        let began = Instant::now();
        match load_engine(&self.path, Some(&self.sinks)) {
            Ok(engine) => {
                let w = engine.watchlist();
                let (sets, terms, rules) = (w.sets.len(), w.term_count(), w.rules.len());
                swap(Arc::new(engine));
                events::watchlist_reloaded(&self.path, sets, terms, rules, began.elapsed());
            }
            Err(error) => events::watchlist_reload_failed(&self.path, &error),
        }
    }
}
