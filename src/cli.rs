//! The command line (SPEC section 6): clap definitions only.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Watch a stream of news items for watch terms and publish alerts.
#[derive(Debug, Parser)]
#[command(name = "newswatch", version, about, propagate_version = true)]
pub struct Cli {
    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands (SPEC section 6).
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The daemon: consume news items from Kafka, publish alerts to the
    /// configured sinks, until SIGTERM or SIGINT.
    Run {
        /// Configuration file.
        #[arg(long, value_name = "FILE", env = "NEWSWATCH_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Offline: scan JSON Lines news items from files or stdin, print alerts
    /// as JSON Lines. Exit 0 when every line was processed, 65 when some
    /// lines were rejected (reported on stderr), 66 when an input cannot be
    /// read, 78 for a bad watchlist or configuration.
    Scan {
        /// Watchlist file (default: `watchlist.path` of the configuration).
        #[arg(long, value_name = "FILE")]
        watchlist: Option<PathBuf>,
        /// Instead of the alerts, print per rule the alerts of this watchlist
        /// and of OLD_WATCHLIST, and the items whose alert was added or
        /// removed.
        #[arg(long, value_name = "OLD_WATCHLIST")]
        compare: Option<PathBuf>,
        /// Configuration file.
        #[arg(long, value_name = "FILE", env = "NEWSWATCH_CONFIG")]
        config: Option<PathBuf>,
        /// Input files; none or `-` reads stdin.
        #[arg(value_name = "INPUT")]
        inputs: Vec<PathBuf>,
    },
    /// The whole pipeline on an embedded Kafka (librdkafka's mock cluster):
    /// produce sample news, run the daemon's code with the default
    /// watchlist, print the alerts a subscriber reads. Needs nothing
    /// installed.
    Demo,
    /// Run rule test files: for each case, the rules that must fire on its
    /// item and those that must not. Exit 0 when every case holds, 1 when
    /// one fails (each failure shown with the explanation of its rules),
    /// 78 when a file or its watchlist is invalid.
    Test {
        /// Also write the results as JUnit XML to FILE.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Rule test files (TOML).
        #[arg(value_name = "TESTFILE", required = true)]
        files: Vec<PathBuf>,
    },
    /// Run the watchlist over a range of a topic's history without joining
    /// the consumer group or committing: per-rule alert counts, and with
    /// --compare the alerts added and removed against an old watchlist.
    /// WHEN is an RFC 3339 time, a time relative to now (-7d, -12h), or
    /// offsets per partition (0:1200,1:1175); the end is exclusive.
    Replay {
        /// Configuration file (brokers, security, input format).
        #[arg(long, value_name = "FILE", env = "NEWSWATCH_CONFIG")]
        config: Option<PathBuf>,
        /// Watchlist file (default: `watchlist.path` of the configuration).
        #[arg(long, value_name = "FILE")]
        watchlist: Option<PathBuf>,
        /// Topic to read (repeat for several; default: `kafka.topics`).
        #[arg(long = "topic", value_name = "T")]
        topics: Vec<String>,
        /// Where the range starts.
        #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
        from: String,
        /// Where it ends (exclusive; default: the end of each partition now).
        #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
        to: Option<String>,
        /// Also run this watchlist and report the alerts added and removed.
        #[arg(long, value_name = "OLD_WATCHLIST")]
        compare: Option<PathBuf>,
        /// Write the alerts as JSON lines to FILE.
        #[arg(long, value_name = "FILE", conflicts_with = "sink")]
        output: Option<PathBuf>,
        /// Deliver the alerts to this configured sink (a live topic or
        /// webhook: only when named here).
        #[arg(long, value_name = "NAME")]
        sink: Option<String>,
    },
    /// Explain, for each item and rule, why the rule did or did not fire:
    /// the expression as a tree with each node's truth value, the matches
    /// that decided it, and for NEAR/n the closest pair and its distance
    /// in words. Items are JSON Lines from files or stdin, as for `scan`.
    Explain {
        /// Watchlist file (default: `watchlist.path` of the configuration).
        #[arg(long, value_name = "FILE")]
        watchlist: Option<PathBuf>,
        /// Configuration file.
        #[arg(long, value_name = "FILE", env = "NEWSWATCH_CONFIG")]
        config: Option<PathBuf>,
        /// Only this rule (repeat for several; default: every rule).
        #[arg(long = "rule", value_name = "ID")]
        rules: Vec<String>,
        /// One JSON object per item instead of the tree.
        #[arg(long)]
        json: bool,
        /// Input files; none or `-` reads stdin.
        #[arg(value_name = "INPUT")]
        inputs: Vec<PathBuf>,
    },
    /// Validate the configuration and the watchlist and summarise them.
    /// Exit 0 when both are valid, 78 otherwise.
    Check {
        /// Configuration file.
        #[arg(long, value_name = "FILE", env = "NEWSWATCH_CONFIG")]
        config: Option<PathBuf>,
        /// Watchlist file (default: `watchlist.path` of the configuration).
        #[arg(long, value_name = "FILE")]
        watchlist: Option<PathBuf>,
    },
}
