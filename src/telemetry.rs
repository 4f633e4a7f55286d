//! The tracing subscriber: JSON lines (default) or pretty text on stderr,
//! level from `log.level` unless `RUST_LOG` is set.
//!
//! Each event reaches stderr whole, in one write, with what came from
//! outside escaped ([`crate::escape`]): a JSON line has its C1, line
//! separator and bidirectional characters as `\uXXXX` (serde_json already
//! escapes C0), and a pretty line shows every such character of a field's
//! value as `\u{1b}`. The write is made under [`crate::stdio::lock`], so
//! that no alert line on a shared pipe is cut by it. A stderr that cannot
//! be written to loses the event and nothing else: no panic, no retry.

use std::io::{self, IsTerminal, Write};

use tracing::Dispatch;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::field::MakeExt;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;

use crate::escape::{self, Human};
use crate::settings::{LogConfig, LogFormat};

/// Installs the global subscriber. Call once, as soon as the settings are
/// loaded (the commands in `app::commands` do).
pub fn init(log: &LogConfig) {
    // Already installed (tests call `init` more than once): keep the first.
    let colour =
        io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    drop(dispatch(log, io::stderr, colour).try_init());
}

/// The subscriber [`init`] installs, writing each event to a writer of
/// `out` in one `write_all`; `colour` (ANSI escapes in pretty lines) only
/// for a terminal, and never with `NO_COLOR` set (no-color.org).
pub fn dispatch<W>(log: &LogConfig, out: W, colour: bool) -> Dispatch
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&log.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    filtered(filter, log.format, out, colour)
}

/// The subscriber of [`dispatch`] with the level filter given.
fn filtered<W>(filter: EnvFilter, format: LogFormat, out: W, colour: bool) -> Dispatch
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    // Internal errors off: tracing-subscriber reports a failed write with
    // `eprintln!`, which panics when stderr is what failed.
    let builder = tracing_subscriber::fmt()
        .with_ansi(colour && format == LogFormat::Pretty)
        .with_env_filter(filter)
        .log_internal_errors(false);
    match format {
        LogFormat::Json => Dispatch::new(
            builder
                .json()
                .flatten_event(true)
                .with_writer(EventLines::new(out, LogFormat::Json))
                .finish(),
        ),
        LogFormat::Pretty => Dispatch::new(
            builder
                .fmt_fields(
                    tracing_subscriber::fmt::format::debug_fn(|w, field, value| {
                        let text = format!("{value:?}");
                        match field.name() {
                            "message" => write!(w, "{}", Human(&text)),
                            name => write!(w, "{name}={}", Human(&text)),
                        }
                    })
                    .delimited(" "),
                )
                .with_writer(EventLines::new(out, LogFormat::Pretty))
                .finish(),
        ),
    }
}

/// A [`MakeWriter`] whose writers gather one event and hand it to a writer
/// of `out` in one `write_all` when dropped, JSON escaped on the way.
#[derive(Debug)]
pub struct EventLines<W> {
    out: W,
    format: LogFormat,
}

impl<W> EventLines<W> {
    /// Events formatted as `format` are written to `out`.
    pub fn new(out: W, format: LogFormat) -> Self {
        EventLines { out, format }
    }
}

impl<'a, W: MakeWriter<'a>> MakeWriter<'a> for EventLines<W> {
    type Writer = EventLine<W::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        EventLine {
            out: self.out.make_writer(),
            format: self.format,
            buf: Vec::new(),
        }
    }
}

/// One event being formatted; handed to `out` in one `write_all` when
/// dropped.
#[derive(Debug)]
pub struct EventLine<O: Write> {
    out: O,
    format: LogFormat,
    buf: Vec<u8>,
}

impl<O: Write> Write for EventLine<O> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<O: Write> Drop for EventLine<O> {
    fn drop(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&self.buf);
        let text = match self.format {
            LogFormat::Json => escape::escape_json_text(&text),
            // The field values are escaped as they are formatted; what
            // else is on the line (level, time, target, colours) is ours.
            LogFormat::Pretty => text,
        };
        // Whole, whatever other threads write to stdout; nothing to do
        // about a failed write: the event is lost.
        let _lines = crate::stdio::lock();
        let _ = self.out.write_all(text.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Records each `write` call's bytes.
    #[derive(Clone, Default)]
    struct Writes(Arc<Mutex<Vec<Vec<u8>>>>);

    impl Write for Writes {
        fn write(&mut self, data: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().push(data.to_vec());
            Ok(data.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Writes {
        type Writer = Writes;

        fn make_writer(&'a self) -> Writes {
            self.clone()
        }
    }

    const HOSTILE: &str = "a\u{1b}[2J\u{0}b\u{85}c\u{202e}d\u{2028}e\nf";

    fn log(format: LogFormat) -> Vec<String> {
        let writes = Writes::default();
        // Not `dispatch`: RUST_LOG is not the test's to obey.
        let dispatch = filtered(EnvFilter::new("info"), format, writes.clone(), false);
        tracing::dispatcher::with_default(&dispatch, || {
            tracing::warn!(item_id = %HOSTILE, rule = HOSTILE, "rejected {}", HOSTILE);
            tracing::warn!(error = ?HOSTILE, "second");
        });
        let writes = writes.0.lock().unwrap();
        writes
            .iter()
            .map(|w| String::from_utf8(w.clone()).unwrap())
            .collect()
    }

    #[test]
    fn json_events_are_whole_lines_with_controls_and_bidi_escaped() {
        let lines = log(LogFormat::Json);
        assert_eq!(lines.len(), 2, "one write per event: {lines:?}");
        for line in &lines {
            assert!(line.ends_with('\n'), "{line:?}");
            let body = &line[..line.len() - 1];
            assert!(!body.chars().any(escape::is_escaped_in_text), "{line:?}");
        }
        let first: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(first["item_id"], HOSTILE);
        assert_eq!(first["rule"], HOSTILE);
        assert_eq!(first["message"], format!("rejected {HOSTILE}"));
        assert!(lines[0].contains(r"\u0085c\u202ed\u2028e"), "{}", lines[0]);
    }

    #[test]
    fn pretty_events_are_whole_lines_with_values_escaped() {
        let lines = log(LogFormat::Pretty);
        assert_eq!(lines.len(), 2, "one write per event: {lines:?}");
        for line in &lines {
            assert!(line.ends_with('\n'), "{line:?}");
            let body = &line[..line.len() - 1];
            // The formatter's own colours are the only ESC left.
            assert!(
                !body
                    .chars()
                    .any(|c| c != '\u{1b}' && escape::is_escaped_in_text(c)),
                "{line:?}"
            );
            assert!(!body.contains("\u{1b}[2J"), "{line:?}");
        }
        assert!(
            lines[0].contains(r"rejected a\u{1b}[2J\0b\u{85}c\u{202e}d\u{2028}e\nf"),
            "{}",
            lines[0]
        );
        assert!(
            lines[0].contains(r"item_id=a\u{1b}[2J\0b\u{85}c\u{202e}d\u{2028}e\nf"),
            "{}",
            lines[0]
        );
    }
}
