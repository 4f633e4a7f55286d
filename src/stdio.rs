//! Whole lines on standard output and standard error, from any thread: one
//! process-wide lock is held across each write of whole lines to either.
//!
//! When both streams are one pipe (`2>&1`), a write larger than `PIPE_BUF`
//! (4 KiB on Linux) is not atomic: without the lock, a log line from one
//! thread could land inside a long alert line written by another. The
//! stdout sink, the log writer ([`crate::telemetry`]) and `main`'s error
//! message take it; `scan` writes from one thread and logs nothing, so its
//! buffered writer needs no lock.

use std::io::{self, Write};
use std::sync::{Mutex, MutexGuard};

/// Guards writes of whole lines to stdout and stderr; holds nothing.
static LINES: Mutex<()> = Mutex::new(());

/// The lock, held while the guard lives. Hold it across one `write_all`
/// of whole lines, and never log while holding it: logging takes it too,
/// and it is not reentrant.
pub fn lock() -> MutexGuard<'static, ()> {
    // The guarded data is `()`: a panic while holding it leaves nothing
    // inconsistent.
    LINES.lock().unwrap_or_else(|e| e.into_inner())
}

/// Writes `lines` (whole lines, each ending in `\n`) to stdout in one
/// `write_all` and flushes, under [`lock`].
///
/// # Errors
///
/// stdout's I/O error (a closed pipe, a full disk).
pub fn write_stdout(lines: &[u8]) -> io::Result<()> {
    let _lines = lock();
    let mut out = io::stdout().lock();
    out.write_all(lines)?;
    out.flush()
}

/// Writes `lines` (whole lines) to stderr in one `write_all`, under
/// [`lock`].
///
/// # Errors
///
/// stderr's I/O error; callers mostly ignore it, as a message that cannot
/// be shown must not stop the work it is about.
pub fn write_stderr(lines: &[u8]) -> io::Result<()> {
    let _lines = lock();
    io::stderr().lock().write_all(lines)
}
