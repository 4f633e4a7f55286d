//! The command line (SPEC sections 6 and 6a): clap definitions only.
//!
//! Each command's doc comment starts with one line, its summary in the
//! top-level help; the paragraph after it is the rest of `newswatch help
//! COMMAND`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Watch a stream of news items for watch terms and publish alerts.
#[derive(Debug, Parser)]
#[command(name = "newswatch", about, propagate_version = true)]
pub struct Cli {
    /// Configuration file (default: `NEWSWATCH_CONFIG`; without either,
    /// the built-in defaults and the environment). Before or after the
    /// command.
    #[arg(
        long,
        short = 'c',
        value_name = "FILE",
        env = "NEWSWATCH_CONFIG",
        global = true
    )]
    pub config: Option<PathBuf>,
    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The watchlist of an offline command.
const WATCHLIST_HELP: &str = "Watchlist file (default: `watchlist.path` if the configuration sets it, \
else ./config/watchlist.toml, else /etc/newswatch/watchlist.toml, else the built-in default)";

/// The subcommands (SPEC sections 6 and 6a).
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The daemon: consume news from Kafka, publish alerts to the sinks.
    ///
    /// Runs until SIGTERM or SIGINT; SIGHUP reloads the watchlist
    /// (`watchlist.path`). Exit 77 when the brokers refuse the credentials,
    /// 78 for an invalid configuration or watchlist.
    Run,
    /// Offline: scan JSON Lines news items, print alerts as JSON Lines.
    ///
    /// Items from files or stdin. Exit 0 when every line was processed, 65
    /// when some lines were rejected (reported on stderr), 66 when an input
    /// cannot be read, 78 for a bad watchlist or configuration.
    Scan {
        /// The watchlist file (the help text is [`WATCHLIST_HELP`]).
        #[arg(long, value_name = "FILE", help = WATCHLIST_HELP)]
        watchlist: Option<PathBuf>,
        /// Instead of the alerts, print per rule the alerts of this watchlist
        /// and of OLD_WATCHLIST, and the items whose alert was added or
        /// removed.
        #[arg(long, value_name = "OLD_WATCHLIST")]
        compare: Option<PathBuf>,
        /// Input files; none or `-` reads stdin.
        #[arg(value_name = "INPUT")]
        inputs: Vec<PathBuf>,
    },
    /// The whole pipeline on an embedded Kafka, with sample news.
    ///
    /// librdkafka's mock cluster: produce sample news, run the daemon's
    /// code with the default watchlist, print the alerts a subscriber
    /// reads. Needs nothing installed.
    Demo,
    /// Validate the configuration and the watchlist and summarise them.
    ///
    /// Says which watchlist file it used. Exit 0 when both are valid, 78
    /// otherwise.
    Check {
        /// The watchlist file (the help text is [`WATCHLIST_HELP`]).
        #[arg(long, value_name = "FILE", help = WATCHLIST_HELP)]
        watchlist: Option<PathBuf>,
    },
    /// Run rule test files: the rules each case must and must not fire.
    ///
    /// Exit 0 when every case holds, 1 when one fails (each failure shown
    /// with the explanation of its rules), 78 when a file or its watchlist
    /// is invalid.
    Test {
        /// Also write the results as JUnit XML to FILE.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Rule test files (TOML).
        #[arg(value_name = "TESTFILE", required = true)]
        files: Vec<PathBuf>,
    },
    /// Why each rule did or did not fire on each item, as a tree.
    ///
    /// The expression with each node's truth value, the matches that
    /// decided it, and for NEAR/n the closest pair and its distance in
    /// words. Items are JSON Lines from files or stdin, as for `scan`.
    Explain {
        /// The watchlist file (the help text is [`WATCHLIST_HELP`]).
        #[arg(long, value_name = "FILE", help = WATCHLIST_HELP)]
        watchlist: Option<PathBuf>,
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
    /// Run the watchlist over a range of a topic's history.
    ///
    /// Without joining the consumer group or committing: per-rule alert
    /// counts, and with --compare the alerts added and removed against an
    /// old watchlist. WHEN is an RFC 3339 time, a time relative to now
    /// (-7d, -12h), or offsets per partition (0:1200,1:1175); the end is
    /// exclusive.
    Replay {
        /// The watchlist file (the help text is [`WATCHLIST_HELP`]).
        #[arg(long, value_name = "FILE", help = WATCHLIST_HELP)]
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
    /// Print a shell completion script.
    ///
    /// For bash: `newswatch completions bash > /etc/bash_completion.d/newswatch`;
    /// zsh: into a directory of `$fpath` as `_newswatch`; fish: into
    /// `~/.config/fish/completions/newswatch.fish`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the manual page (roff): `newswatch man > newswatch.1`.
    Man,
}

/// The shells `completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    /// Bash.
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
    /// PowerShell.
    Powershell,
    /// Elvish.
    Elvish,
}

/// `newswatch --version`: the version, the commit it was built from (the
/// build's `git rev-parse --short HEAD`, or `NEWSWATCH_COMMIT` at build
/// time; `unknown` outside a checkout) and the librdkafka linked in.
pub fn version() -> String {
    let (_, librdkafka) = rdkafka::util::get_rdkafka_version();
    format!(
        "{} (commit {}, librdkafka {librdkafka})",
        env!("CARGO_PKG_VERSION"),
        env!("NEWSWATCH_COMMIT")
    )
}

/// The clap command with [`version`] set.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    Cli::command().version(version())
}
