//! Wires settings, watchlist and engine together for the commands, and maps
//! failures to the exit statuses of SPEC section 6 (sysexits).

use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;

use crate::engine::Engine;
use crate::scan::Scanner;
use crate::settings::Settings;
use crate::watchlist::Watchlist;

/// Exit statuses (BSD sysexits).
pub mod exit {
    pub const OK: u8 = 0;
    /// Some input lines were rejected.
    pub const DATAERR: u8 = 65;
    /// An input file could not be opened.
    pub const NOINPUT: u8 = 66;
    /// Writing the output failed.
    pub const IOERR: u8 = 74;
    /// Invalid configuration or watchlist.
    pub const CONFIG: u8 = 78;
}

/// A failure with the exit status it maps to.
#[derive(Debug)]
pub struct Failure {
    pub status: u8,
    pub error: anyhow::Error,
}

impl Failure {
    fn config(error: impl Into<anyhow::Error>) -> Self {
        Failure {
            status: exit::CONFIG,
            error: error.into(),
        }
    }
}

/// Loads the settings from `--config` / `NEWSWATCH_CONFIG` and the process
/// environment.
pub fn load_settings(config: Option<&Path>) -> Result<Settings, Failure> {
    Settings::load(config, std::env::vars()).map_err(Failure::config)
}

/// Loads the watchlist (the override, else `watchlist.path`) and builds the
/// engine. `check_sinks` validates rule sink names against the configured
/// sinks.
pub fn load_engine(settings: &Settings, path: &Path, check_sinks: bool) -> Result<Engine, Failure> {
    let names = settings.sink_names();
    let sinks = check_sinks.then_some(names.as_slice());
    let watchlist = Watchlist::load(path, sinks).map_err(Failure::config)?;
    Engine::build(Arc::new(watchlist))
        .with_context(|| format!("building the matcher for {}", path.display()))
        .map_err(Failure::config)
}

fn watchlist_path(settings: &Settings, over: Option<PathBuf>) -> PathBuf {
    over.unwrap_or_else(|| settings.watchlist.path.clone())
}

/// `newswatch check`: prints the summary on stdout.
pub fn check(config: Option<&Path>, watchlist: Option<PathBuf>) -> Result<u8, Failure> {
    let settings = load_settings(config)?;
    let path = watchlist_path(&settings, watchlist);
    let engine = load_engine(&settings, &path, true)?;
    let summary = crate::check::summary(&settings, &engine, &path.display().to_string());
    print!("{summary}");
    Ok(exit::OK)
}

/// `newswatch scan`: alerts on stdout, rejected lines and a summary on
/// stderr.
pub fn scan(
    config: Option<&Path>,
    watchlist: Option<PathBuf>,
    inputs: &[PathBuf],
) -> Result<u8, Failure> {
    let settings = load_settings(config)?;
    let path = watchlist_path(&settings, watchlist);
    // Offline, routing does not apply; sink names are checked only when the
    // configuration defines sinks to check them against.
    let engine = load_engine(&settings, &path, !settings.sinks.is_empty())?;
    let mut scanner = Scanner::new(&engine, &settings.input, &settings.alerts.options);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut err = io::stderr();
    let stdin_only = [PathBuf::from("-")];
    let inputs = if inputs.is_empty() {
        &stdin_only[..]
    } else {
        inputs
    };
    let io_failure = |e: io::Error, what: &str| Failure {
        status: exit::IOERR,
        error: anyhow::Error::new(e).context(what.to_owned()),
    };
    for input in inputs {
        let result = if input.as_os_str() == "-" {
            scanner.scan("<stdin>", io::stdin().lock(), &mut out, &mut err)
        } else {
            let file = File::open(input).map_err(|e| Failure {
                status: exit::NOINPUT,
                error: anyhow::Error::new(e).context(format!("opening input {}", input.display())),
            })?;
            scanner.scan(
                &input.display().to_string(),
                BufReader::new(file),
                &mut out,
                &mut err,
            )
        };
        match result {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(exit::OK),
            Err(e) => return Err(io_failure(e, &format!("scanning {}", input.display()))),
        }
    }
    match out.flush() {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(exit::OK),
        r => r.map_err(|e| io_failure(e, "writing alerts"))?,
    }
    let r = &scanner.report;
    if r.rejected > 0 {
        let _ = writeln!(
            err,
            "newswatch scan: {} lines, {} items, {} rejected, {} alerts",
            r.lines, r.items, r.rejected, r.alerts
        );
        return Ok(exit::DATAERR);
    }
    Ok(exit::OK)
}
