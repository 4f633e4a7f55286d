//! The offline `scan` command: JSON Lines news items from readers, alerts as
//! JSON Lines to a writer, rejected lines reported with their line numbers.
//!
//! A bad line never stops the scan: it is reported and the next line is
//! read. Lines longer than `input.max_bytes` are rejected without being held
//! in memory whole.
//!
//! Output stays whole lines whatever shares the terminal or pipe: each
//! alert line is handed to the writer in one `write_all`, newline included
//! (so a buffered writer holds only whole lines, and is flushed before a
//! rejection is reported, keeping the two in input order), and each
//! rejection message is one `write_all` of one line, its file name and
//! detail escaped ([`crate::escape::human`]). A rejection that cannot be
//! written is lost, not the scan: the alerts go on.

use std::io::{self, BufRead, Write};
use std::time::SystemTime;

use crate::alert::{self, AlertOptions, StoryRef};
use crate::engine::{Engine, Scratch};
use crate::escape::{self, Human};
use crate::item::{self, DecodeOptions, NewsItem, Provenance, Rejection};
use crate::story::{StoryConfig, StoryIndex, story_text};

/// Counts over one scan, across all inputs.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Non-blank lines read.
    pub lines: usize,
    /// Lines decoded into items.
    pub items: usize,
    /// Lines rejected (reported on the error writer).
    pub rejected: usize,
    /// Alerts written.
    pub alerts: usize,
}

/// Why a scan stopped: the input could not be read, or the alerts could
/// not be written. A rejected line is no error.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// Reading the input failed.
    #[error("reading the input")]
    Read(#[source] io::Error),
    /// Writing (or flushing) an alert line failed; a closed pipe included,
    /// which the caller may take as the reader having had enough.
    #[error("writing alerts")]
    Write(#[source] io::Error),
}

/// Scans items from inputs one after another, reusing buffers.
pub struct Scanner<'a> {
    engine: &'a Engine,
    decode: &'a DecodeOptions,
    alerts: &'a AlertOptions,
    scratch: Scratch,
    line: Vec<u8>,
    /// One alert's JSON line, newline included, before its one write.
    out_line: Vec<u8>,
    /// The stories of the items scanned so far (SPEC 3a): every alert
    /// carries its item's story.
    stories: StoryIndex,
    /// Counts so far.
    pub report: Report,
}

impl<'a> Scanner<'a> {
    /// A scanner matching with `engine`, decoding and building alerts with
    /// the given options.
    pub fn new(engine: &'a Engine, decode: &'a DecodeOptions, alerts: &'a AlertOptions) -> Self {
        Scanner {
            engine,
            decode,
            alerts,
            scratch: Scratch::new(),
            line: Vec::new(),
            out_line: Vec::new(),
            stories: StoryIndex::new(StoryConfig::default()),
            report: Report::default(),
        }
    }

    /// Tells stories apart as `config` says (`alerts.story_*`) instead of
    /// the defaults.
    pub fn with_stories(mut self, config: StoryConfig) -> Self {
        self.stories = StoryIndex::new(config);
        self
    }

    /// Scans every line of `input` (named `name` in messages, escaped).
    /// Alerts go to `out`, one `write_all` per JSON line; one line per
    /// rejected input line goes to `err`, one `write_all` each, after `out`
    /// is flushed. Errors writing to `err` are ignored: losing a diagnostic
    /// must not lose alerts.
    ///
    /// # Errors
    ///
    /// [`ScanError::Read`] when `input` fails, [`ScanError::Write`] when
    /// `out` does (a closed pipe included: the caller decides that it ends
    /// the scan quietly).
    pub fn scan(
        &mut self,
        name: &str,
        mut input: &mut dyn BufRead,
        out: &mut impl Write,
        err: &mut impl Write,
    ) -> Result<(), ScanError> {
        let Scanner {
            engine,
            decode,
            alerts: options,
            scratch,
            line,
            out_line,
            stories,
            report,
        } = self;
        each_item(&mut input, decode, line, |n, decoded| {
            report.lines += 1;
            match decoded {
                Ok(item) => {
                    report.items += 1;
                    let now = SystemTime::now();
                    let mut alerts = alert::alerts_for(
                        engine,
                        &item,
                        &Provenance::Line(n),
                        options,
                        now,
                        scratch,
                    );
                    if let Some(first) = alerts.first() {
                        let (title, body) = story_text(&item);
                        let story = stories.assign(&first.alert.data.item.id, title, body, now);
                        let story = StoryRef::new(&story);
                        for a in &mut alerts {
                            a.alert.data.story = Some(story.clone());
                        }
                    }
                    for a in alerts {
                        out_line.clear();
                        escape::to_json_writer(&mut *out_line, &a.alert)
                            .map_err(|e| ScanError::Write(io::Error::other(e)))?;
                        out_line.push(b'\n');
                        out.write_all(out_line).map_err(ScanError::Write)?;
                        report.alerts += 1;
                    }
                }
                Err(rejection) => {
                    report.rejected += 1;
                    // The alerts before it first, so that on a shared pipe
                    // the lines come in input order.
                    out.flush().map_err(ScanError::Write)?;
                    report_rejection(err, name, n, &rejection);
                }
            }
            Ok(())
        })
    }
}

/// Writes one line naming a rejected input line to `err`, in one write:
/// `NAME:N: rejected (REASON): DETAIL`, escaped. A diagnostic that cannot
/// be written is lost; the output of the next lines is not.
pub fn report_rejection(err: &mut impl Write, name: &str, n: usize, rejection: &Rejection) {
    let message = format!(
        "{}:{n}: rejected ({}): {}\n",
        Human(name),
        rejection.reason(),
        Human(&rejection.to_string())
    );
    let _ = err.write_all(message.as_bytes());
}

/// Decodes every non-blank line of a JSON Lines (or text) input into an
/// item (SPEC section 1) and hands it to `f` with its 1-based line number.
/// Blank lines, a line of only a BOM and white space included, are
/// skipped; a line longer than `decode.max_bytes` is rejected as
/// `too_large` without being held in memory whole. `line` is the buffer
/// items borrow from, reused across lines.
///
/// # Errors
///
/// [`ScanError::Read`] when `input` fails, or the first error of `f`,
/// which ends the input.
pub fn each_item(
    input: &mut (impl BufRead + ?Sized),
    decode: &DecodeOptions,
    line: &mut Vec<u8>,
    mut f: impl FnMut(usize, Result<NewsItem<'_>, Rejection>) -> Result<(), ScanError>,
) -> Result<(), ScanError> {
    let mut n = 0usize;
    loop {
        let Some(size) =
            read_line_bounded(input, line, decode.max_bytes).map_err(ScanError::Read)?
        else {
            return Ok(());
        };
        n += 1;
        trim_newline(line);
        // Blank lines are skipped, a line of only a BOM (and white space)
        // included: the BOM is not part of the line's text.
        if item::strip_bom(line).iter().all(u8::is_ascii_whitespace) && size <= decode.max_bytes {
            continue;
        }
        let decoded = if size > decode.max_bytes {
            Err(Rejection::TooLarge {
                size,
                max: decode.max_bytes,
            })
        } else {
            item::decode(line, decode)
        };
        f(n, decoded)?;
    }
}

/// Reads one line (through `\n`) into `buf`, keeping at most `max + 2`
/// bytes of it (room for the line ending) and discarding the rest. Returns
/// the line's length without its ending, or `None` at end of input.
fn read_line_bounded(
    input: &mut (impl BufRead + ?Sized),
    buf: &mut Vec<u8>,
    max: usize,
) -> io::Result<Option<usize>> {
    buf.clear();
    let mut total = 0usize;
    let mut ended = false;
    loop {
        let chunk = match input.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            break;
        }
        let (take, done) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let room = (max + 2).saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..take.min(room)]);
        total += take;
        input.consume(take);
        if done {
            ended = true;
            break;
        }
    }
    if total == 0 && !ended {
        return Ok(None);
    }
    // Length without the line ending.
    let mut len = total;
    if ended {
        len -= 1;
        if buf.len() >= 2 && buf[buf.len() - 2] == b'\r' && buf.last() == Some(&b'\n') {
            len -= 1;
        }
    }
    Ok(Some(len))
}

fn trim_newline(buf: &mut Vec<u8>) {
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::watchlist::Watchlist;

    #[test]
    fn bounded_lines_report_their_full_length() {
        let data = b"short\r\nthis line is long\nlast";
        let mut r = &data[..];
        let mut buf = Vec::new();
        assert_eq!(read_line_bounded(&mut r, &mut buf, 8).unwrap(), Some(5));
        assert_eq!(buf, b"short\r\n");
        assert_eq!(read_line_bounded(&mut r, &mut buf, 8).unwrap(), Some(17));
        assert_eq!(buf.len(), 10, "kept at most max + 2 bytes");
        assert_eq!(read_line_bounded(&mut r, &mut buf, 8).unwrap(), Some(4));
        assert_eq!(buf, b"last");
        assert_eq!(read_line_bounded(&mut r, &mut buf, 8).unwrap(), None);
    }

    /// Records each `write` call; fails every one when `fail`.
    #[derive(Default)]
    struct Writes {
        calls: Vec<Vec<u8>>,
        fail: bool,
    }

    impl Write for Writes {
        fn write(&mut self, data: &[u8]) -> io::Result<usize> {
            if self.fail {
                return Err(io::Error::other("device full"));
            }
            self.calls.push(data.to_vec());
            Ok(data.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            if self.fail {
                return Err(io::Error::other("device full"));
            }
            Ok(())
        }
    }

    fn chips() -> Engine {
        let watchlist = Watchlist::parse(
            "[sets.chips]\nterms = [\"H200\"]\n[[rules]]\nid = \"chips\"\nwhen = \"chips\"\n",
            None,
        )
        .unwrap();
        Engine::build(Arc::new(watchlist)).unwrap()
    }

    #[test]
    fn each_alert_and_each_rejection_is_one_write_of_whole_lines() {
        let engine = chips();
        let (decode, alerts) = (DecodeOptions::default(), AlertOptions::default());
        let input = br#"{"title": "H200 \u2028\u202e"}
not json
{"title": "H200"}
"#;
        let mut scanner = Scanner::new(&engine, &decode, &alerts);
        let (mut out, mut err) = (Writes::default(), Writes::default());
        scanner
            .scan("in\u{1b}", &mut &input[..], &mut out, &mut err)
            .unwrap();
        assert_eq!(out.calls.len(), 2);
        for line in &out.calls {
            assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
            assert!(line.ends_with(b"\n"));
            let text = std::str::from_utf8(line).unwrap();
            assert!(!text.contains(['\u{2028}', '\u{202e}']), "{text}");
        }
        assert!(String::from_utf8_lossy(&out.calls[0]).contains(r"H200 \u2028\u202e"));
        assert_eq!(
            err.calls,
            [
                b"in\\u{1b}:2: rejected (not_json): not JSON: expected ident at line 1 column 2\n"
                    .to_vec()
            ]
        );
    }

    #[test]
    fn a_failing_error_writer_loses_messages_not_alerts() {
        let engine = chips();
        let (decode, alerts) = (DecodeOptions::default(), AlertOptions::default());
        let input = b"not json\n{\"title\": \"H200\"}\nnot json\n{\"title\": \"H200\"}\n";
        let mut scanner = Scanner::new(&engine, &decode, &alerts);
        let mut out = Writes::default();
        let mut err = Writes {
            fail: true,
            ..Writes::default()
        };
        scanner
            .scan("in", &mut &input[..], &mut out, &mut err)
            .unwrap();
        assert_eq!(out.calls.len(), 2);
        assert_eq!((scanner.report.rejected, scanner.report.alerts), (2, 2));
        // A failing alert writer stops the scan with a write error.
        let mut out = Writes {
            fail: true,
            ..Writes::default()
        };
        let result = scanner.scan("in", &mut &input[..], &mut out, &mut Writes::default());
        assert!(matches!(result, Err(ScanError::Write(_))), "{result:?}");
    }

    #[test]
    fn a_bom_at_the_start_of_any_line_is_skipped() {
        let watchlist = Watchlist::parse(
            "[sets.chips]\nterms = [\"H200\"]\n[[rules]]\nid = \"chips\"\nwhen = \"chips\"\n",
            None,
        )
        .unwrap();
        let engine = Engine::build(Arc::new(watchlist)).unwrap();
        let (decode, alerts) = (DecodeOptions::default(), AlertOptions::default());
        let line = br#"{"title": "Nvidia H200 export"}"#;
        let input = [
            item::BOM,
            line,
            b"\n",
            line,
            b"\n",
            item::BOM, // a line of only a BOM is blank
            b"\n",
            item::BOM,
            line,
            b"\r\n",
        ]
        .concat();
        let mut scanner = Scanner::new(&engine, &decode, &alerts);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        scanner
            .scan("in", &mut &input[..], &mut out, &mut err)
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&err), "");
        assert_eq!(
            scanner.report,
            Report {
                lines: 3,
                items: 3,
                rejected: 0,
                alerts: 3
            }
        );
        let alerts: Vec<serde_json::Value> = out
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect();
        let ids: Vec<&str> = alerts
            .iter()
            .map(|a| a["data"]["item"]["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["line:1", "line:2", "line:4"]);
        for a in &alerts {
            assert_eq!(a["data"]["matches"][0]["start"], 7);
            assert_eq!(a["data"]["matches"][0]["end"], 11);
            assert_eq!(a["data"]["snippet"], "Nvidia H200 export");
        }
    }
}
