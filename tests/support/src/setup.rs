//! One test's world on the real broker: unique topics (news, alerts, dead
//! letters) and group, a temporary directory, the daemon's configuration
//! file, and the daemons started with it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::broker::{brokers, committed, create_topics, end_offsets, unique};
use crate::daemon::Daemon;
use crate::root;

/// Names of one test's topics and group.
pub struct Setup {
    pub brokers: String,
    pub news: String,
    pub alerts: String,
    pub dead_letter: String,
    pub group: String,
    pub partitions: i32,
    pub dir: PathBuf,
}

impl Setup {
    pub fn new(name: &str, partitions: i32) -> Self {
        let brokers = brokers();
        let s = Setup {
            news: unique(&format!("{name}-news")),
            alerts: unique(&format!("{name}-alerts")),
            dead_letter: unique(&format!("{name}-dlq")),
            group: unique(&format!("{name}-group")),
            partitions,
            dir: std::env::temp_dir().join(unique(name)),
            brokers,
        };
        create_topics(
            &s.brokers,
            &[(&s.news, partitions), (&s.alerts, 3), (&s.dead_letter, 1)],
        );
        std::fs::create_dir_all(&s.dir).expect("test dir");
        s
    }

    /// A configuration file for the daemon, with the default watchlist.
    pub fn config(&self, extra: &str) -> PathBuf {
        self.config_with(&root().join("config/watchlist.toml"), extra)
    }

    /// A configuration file for the daemon: the topics of this setup, a
    /// kafka sink `alerts-topic`, the dead-letter topic, then `extra`.
    pub fn config_with(&self, watchlist: &Path, extra: &str) -> PathBuf {
        self.write_config(&self.brokers, watchlist, "", extra)
    }

    /// A configuration file like [`Setup::config`] whose daemon reaches the
    /// broker at `brokers` (another listener of the same broker) with the
    /// librdkafka `properties` (TOML lines) in both `[kafka.consumer]` and
    /// `[kafka.producer]`; the test itself keeps to the plain listener.
    pub fn config_for_client(&self, brokers: &str, properties: &str, extra: &str) -> PathBuf {
        let watchlist = root().join("config/watchlist.toml");
        self.write_config(brokers, &watchlist, properties, extra)
    }

    fn write_config(
        &self,
        brokers: &str,
        watchlist: &Path,
        properties: &str,
        extra: &str,
    ) -> PathBuf {
        let path = self.dir.join("config.toml");
        let (consumer, producer) = if properties.is_empty() {
            (String::new(), String::new())
        } else {
            (
                format!("{properties}\n"),
                format!("[kafka.producer]\n{properties}\n"),
            )
        };
        let text = format!(
            r#"
[kafka]
brokers = "{brokers}"
group_id = "{group}"
topics = ["{news}"]
[kafka.consumer]
"session.timeout.ms" = 6000
"heartbeat.interval.ms" = 500
{consumer}{producer}[watchlist]
path = "{watchlist}"
[pipeline]
shutdown_timeout = "20s"
[[sinks]]
name = "alerts-topic"
type = "kafka"
topic = "{alerts}"
[dead_letter]
topic = "{dlq}"
[log]
format = "json"
level = "info"
{extra}
"#,
            group = self.group,
            news = self.news,
            watchlist = watchlist.display(),
            alerts = self.alerts,
            dlq = self.dead_letter,
        );
        std::fs::write(&path, text).expect("write config");
        path
    }

    /// [`Setup::config`] with the consumer's `session.timeout.ms` set to
    /// `ms` (6000 there) and the librdkafka `properties` (TOML lines) added
    /// to `[kafka.consumer]`.
    pub fn config_with_session(&self, ms: u32, properties: &str, extra: &str) -> PathBuf {
        let config = self.config(extra);
        let text = std::fs::read_to_string(&config).expect("read config");
        let line = "\"session.timeout.ms\" = 6000";
        assert!(text.contains(line), "the consumer's session timeout line");
        let with = format!("\"session.timeout.ms\" = {ms}\n{properties}");
        std::fs::write(&config, text.replace(line, with.trim_end())).expect("write config");
        config
    }

    pub fn spawn(&self, config: &Path, name: &str) -> Daemon {
        Daemon::spawn(config, &self.dir.join(format!("{name}.log")))
    }

    /// `spawn` with extra environment (`NEWSWATCH__…` overrides).
    pub fn spawn_env(&self, config: &Path, name: &str, env: &[(&str, &str)]) -> Daemon {
        Daemon::spawn_env(config, &self.dir.join(format!("{name}.log")), env)
    }
}

/// Asserts the group committed the end of every partition that holds
/// messages (an empty partition has nothing to commit), waiting up to 30 s
/// for a running daemon's next commits.
pub fn assert_all_committed(s: &Setup) {
    let ends = end_offsets(&s.brokers, &s.news, s.partitions);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got: Vec<i64> = committed(&s.brokers, &s.group, &s.news, s.partitions)
            .into_iter()
            .zip(&ends)
            .map(|(c, &end)| if end == 0 && c < 0 { 0 } else { c })
            .collect();
        if got == ends || Instant::now() >= deadline {
            assert_eq!(
                got, ends,
                "committed offsets reach the end of every partition"
            );
            return;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}
