//! The real `newswatch run` as a child process: its stderr log in a file,
//! its HTTP address read from that log, signals, the exit status. Killed
//! when dropped, so a failing test leaves no daemon behind.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `newswatch` binary under test. Cargo builds it for the integration
/// tests and names it in `CARGO_BIN_EXE_newswatch` while it runs them; at
/// compile time (`env!`) it names it only to the test crates, not to this
/// one.
pub fn newswatch_bin() -> PathBuf {
    std::env::var_os("CARGO_BIN_EXE_newswatch")
        .map(PathBuf::from)
        .expect(
            "CARGO_BIN_EXE_newswatch is not set: run the tests through cargo test, \
             which builds the daemon and names it there",
        )
}

/// The real daemon binary; killed when dropped.
pub struct Daemon {
    pub child: Child,
    pub log: PathBuf,
}

impl Daemon {
    pub fn spawn(config: &Path, log: &Path) -> Self {
        Self::spawn_env(config, log, &[])
    }

    pub fn spawn_env(config: &Path, log: &Path, env: &[(&str, &str)]) -> Self {
        let file = std::fs::File::create(log).expect("daemon log");
        let child = Command::new(newswatch_bin())
            .args(["run", "--config"])
            .arg(config)
            .env_remove("RUST_LOG")
            // Tests run daemons side by side: any free port for the
            // endpoints (`http_addr` finds it).
            .env("NEWSWATCH__HTTP__LISTEN", "127.0.0.1:0")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("spawn newswatch run");
        Daemon {
            child,
            log: log.to_owned(),
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log shows `needle`.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.log_text().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// The address of the daemon's HTTP endpoints, from its log.
    pub fn http_addr(&self) -> String {
        let needle = "serving /metrics";
        assert!(
            self.wait_for_log(needle, Duration::from_secs(60)),
            "no HTTP endpoints; log:\n{}",
            self.log_text()
        );
        let text = self.log_text();
        let line = text
            .lines()
            .find(|l| l.contains(needle))
            .expect("the line just seen");
        let v: serde_json::Value = serde_json::from_str(line).expect("JSON log line");
        v["addr"].as_str().expect("addr field").to_owned()
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status()
            .expect("run kill")
            .success();
        assert!(ok, "kill -{sig} failed");
    }

    /// SIGTERM, then the graceful exit: status 0 within a minute.
    pub fn terminate(&mut self) {
        self.signal("TERM");
        assert_eq!(
            self.wait(Duration::from_secs(60)),
            Some(0),
            "log:\n{}",
            self.log_text()
        );
    }

    /// Waits for the process to exit and returns its exit code.
    pub fn wait(&mut self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
