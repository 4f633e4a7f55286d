//! The commands of SPEC section 6 on top of [`super::App`]: each loads what
//! it needs, does its job and returns its exit status.

use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Context;

use super::{App, load};
use crate::escape::Human;
use crate::exit::{self, Failure};
use crate::scan::{ScanError, Scanner};
use crate::settings::{LogConfig, LogFormat};
use crate::shutdown::Shutdown;

/// `newswatch check`: validates the configuration, builds every sink as
/// `run` would, loads the watchlist, and prints the summary on stdout.
///
/// # Errors
///
/// A [`Failure`] with status 78 for anything invalid.
pub fn check(config: Option<&Path>, watchlist: Option<PathBuf>) -> Result<u8, Failure> {
    let settings = load::settings(config)?;
    let source = load::offline_watchlist(&settings, watchlist);
    let engine = load::offline_engine(&settings, &source, true)?;
    // Built and dropped: what `run` would build must build.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
        .map_err(Failure::software)?;
    drop(super::build_sinks(&settings, runtime.handle().clone())?);
    let summary = crate::check::summary(&settings, &engine, &source.to_string());
    crate::stdio::write_stdout(summary.as_bytes()).map_err(|e| {
        Failure::new(
            exit::IOERR,
            anyhow::Error::new(e).context("writing the summary"),
        )
    })?;
    Ok(exit::OK)
}

/// `newswatch scan`: alerts on stdout, rejected lines and a summary on
/// stderr. stdout gets whole alert lines only; a stderr that cannot be
/// written to loses the messages, not the alerts.
///
/// # Errors
///
/// A [`Failure`]: 78 for a bad configuration or watchlist, 66 for an input
/// that cannot be opened, 74 when reading an input or writing stdout fails
/// (a closed stdout pipe ends the scan quietly, with 0).
pub fn scan(
    config: Option<&Path>,
    watchlist: Option<PathBuf>,
    inputs: &[PathBuf],
) -> Result<u8, Failure> {
    let settings = load::settings(config)?;
    let source = load::offline_watchlist(&settings, watchlist);
    // Offline, routing does not apply; sink names are checked only when the
    // configuration defines sinks to check them against.
    let engine = load::offline_engine(&settings, &source, !settings.sinks.is_empty())?;
    let mut scanner = Scanner::new(&engine, &settings.input, &settings.alerts.options)
        .with_stories(settings.alerts.stories);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut err = io::stderr();
    let finished = each_input(inputs, |name, input| {
        scanner.scan(name, input, &mut out, &mut err)
    })?;
    if !finished {
        return Ok(exit::OK);
    }
    match out.flush() {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(exit::OK),
        r => r.map_err(|e| {
            Failure::new(exit::IOERR, anyhow::Error::new(e).context("writing alerts"))
        })?,
    }
    let r = &scanner.report;
    if r.rejected > 0 {
        // One write, and none of the scan's business if it fails.
        let _ = err.write_all(
            format!(
                "newswatch scan: {} lines, {} items, {} rejected, {} alerts\n",
                r.lines, r.items, r.rejected, r.alerts
            )
            .as_bytes(),
        );
        return Ok(exit::DATAERR);
    }
    Ok(exit::OK)
}

/// Bytes read from an input file or stdin at a time: 256 KiB, 32 times
/// std's default, so that reading a large JSONL file costs one system call
/// per hundred items of a few KiB rather than one per three
/// (BENCHMARKS.md, "Fourth session").
const INPUT_BUFFER_BYTES: usize = 256 * 1024;

/// Runs `read` over each input in turn: the files named, `-` for stdin,
/// stdin when none is named. Returns false when the output was closed (a
/// broken pipe: the reader had enough, which ends the command quietly).
///
/// # Errors
///
/// A [`Failure`]: 66 when an input cannot be opened, 74 when reading one
/// or writing the output fails.
pub(crate) fn each_input(
    inputs: &[PathBuf],
    mut read: impl FnMut(&str, &mut dyn io::BufRead) -> Result<(), ScanError>,
) -> Result<bool, Failure> {
    let stdin_only = [PathBuf::from("-")];
    let inputs = if inputs.is_empty() {
        &stdin_only[..]
    } else {
        inputs
    };
    for input in inputs {
        let name = input.display().to_string();
        let result = if input.as_os_str() == "-" {
            read(
                "<stdin>",
                &mut BufReader::with_capacity(INPUT_BUFFER_BYTES, io::stdin().lock()),
            )
        } else {
            let file = File::open(input).map_err(|e| {
                Failure::new(
                    exit::NOINPUT,
                    anyhow::Error::new(e).context(format!("opening input {}", Human(&name))),
                )
            })?;
            read(
                &name,
                &mut BufReader::with_capacity(INPUT_BUFFER_BYTES, file),
            )
        };
        match result {
            Ok(()) => {}
            Err(ScanError::Write(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
                return Ok(false);
            }
            Err(e) => {
                return Err(Failure::new(
                    exit::IOERR,
                    anyhow::Error::new(e).context(format!("scanning {}", Human(&name))),
                ));
            }
        }
    }
    Ok(true)
}

/// `newswatch run`: the daemon, until SIGTERM or SIGINT (a second signal
/// exits at once); SIGHUP reloads the watchlist.
///
/// # Errors
///
/// A [`Failure`]: 78 for an invalid configuration, watchlist or sink; 70
/// when a signal handler or thread cannot be installed.
pub fn run(config: Option<&Path>) -> Result<u8, Failure> {
    let settings = load::settings(config)?;
    crate::telemetry::init(&settings.log);
    let shutdown = Shutdown::new();
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        // Order matters: the conditional exit sees the flag set by the
        // first signal only from the second signal on.
        signal_hook::flag::register_conditional_shutdown(sig, 1, shutdown.flag())
            .and_then(|_| signal_hook::flag::register(sig, shutdown.flag()))
            .context("installing signal handlers")
            .map_err(Failure::software)?;
    }
    let hup = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGHUP, Arc::clone(&hup))
        .context("installing the SIGHUP handler")
        .map_err(Failure::software)?;
    let engine = Arc::new(load::engine(&settings, &settings.watchlist.path, true)?);
    let app = App::build(&settings, engine)?.reload_on(hup);
    app.run_until_stopped(shutdown)?;
    Ok(exit::OK)
}

/// `newswatch demo`: warnings only in the log, so the alerts stand out.
///
/// # Errors
///
/// A [`Failure`] when the embedded broker or the pipeline fails, or the
/// alerts are not those expected.
pub fn demo() -> Result<u8, Failure> {
    crate::telemetry::init(&LogConfig {
        format: LogFormat::Pretty,
        level: "warn".into(),
    });
    crate::demo::run(&mut io::stdout().lock())
}
