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

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use sha2::{Digest, Sha256};

use crate::engine::Engine;
use crate::load::{Checks, load_engine};
use crate::metrics::events;
use crate::shutdown::Shutdown;
use crate::watchlist;

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

/// The digest of the file's content, of its first
/// [`watchlist::MAX_FILE_BYTES`] and one more byte at most (a larger file
/// fails to load anyway), streamed: memory stays flat whatever the file.
fn digest(path: &Path) -> Option<[u8; 32]> {
    let mut file = std::fs::File::open(path)
        .ok()?
        .take(watchlist::MAX_FILE_BYTES + 1);
    let mut hasher = Sha256::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        match file.read(&mut buf) {
            Ok(0) => return Some(hasher.finalize().into()),
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
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
    /// `shutdown`. Each engine built goes to `swap`; the watchlist is
    /// checked against `checks`.
    ///
    /// # Errors
    ///
    /// When the thread cannot be spawned.
    pub fn spawn(
        path: PathBuf,
        checks: Checks,
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
                    checks,
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
    checks: Checks,
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
        match load_engine(&self.path, &self.checks) {
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

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    /// `newswatch_watchlist_reloads_total{outcome="error"}` of this process.
    fn reload_errors() -> f64 {
        let text = crate::metrics::global().render();
        let line = text
            .lines()
            .find(|l| l.starts_with("newswatch_watchlist_reloads_total{outcome=\"error\"}"))
            .expect("the reload error counter is rendered");
        line.rsplit(' ')
            .next()
            .and_then(|v| v.parse().ok())
            .expect("a number")
    }

    fn watchlist(rule: &str, when: &str) -> String {
        format!("[sets.a]\nterms = [\"x\"]\n[[rules]]\nid = \"{rule}\"\nwhen = \"{when}\"\n")
    }

    fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
        let until = Instant::now() + Duration::from_secs(60);
        while !done() {
            assert!(Instant::now() < until, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn a_reload_of_100_000_nested_parentheses_keeps_the_old_watchlist_and_the_thread() {
        // Issue 14: some 2,500 nested parentheses overflowed the reload
        // thread's 2 MiB stack and aborted the daemon. Now the reload is
        // refused like any bad file, on the real reload thread.
        let dir = std::env::temp_dir().join(format!("newswatch-reload-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("deep.toml");
        std::fs::write(&path, watchlist("before", "a")).expect("write");
        let (swapped, engines) = mpsc::channel::<Arc<Engine>>();
        let hup = Arc::new(AtomicBool::new(false));
        let shutdown = Shutdown::new();
        let reloader = Reloader::spawn(
            path.clone(),
            Checks {
                sinks: Some(Vec::new()),
                ..Checks::default()
            },
            false,
            Arc::clone(&hup),
            shutdown.clone(),
            move |engine| swapped.send(engine).expect("the test listens"),
        )
        .expect("spawn the reload thread");

        let errors = reload_errors();
        let n = 100_000;
        let deep = format!("a AND {}a{}", "(".repeat(n), ")".repeat(n));
        std::fs::write(&path, watchlist("deep", &deep)).expect("write");
        hup.store(true, Ordering::Release);
        wait_for("the failed reload", || reload_errors() > errors);
        assert!(
            engines.try_recv().is_err(),
            "the old watchlist stays: no engine was swapped in"
        );

        // The thread is alive: the next good file is loaded.
        std::fs::write(&path, watchlist("after", "a")).expect("write");
        hup.store(true, Ordering::Release);
        let engine = engines
            .recv_timeout(Duration::from_secs(60))
            .expect("the reload thread still reloads");
        assert_eq!(engine.watchlist().rules[0].id, "after");

        shutdown.trigger();
        reloader.stop();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
