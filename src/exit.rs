//! Exit statuses of the commands (SPEC section 6, BSD sysexits) and the
//! [`Failure`] that carries one with its error to `main`.

/// Everything went as asked.
pub const OK: u8 = 0;
/// A rule test case failed (`test`), as test runners exit.
pub const FAILED: u8 = 1;
/// The command line is wrong in a way clap cannot see (an unknown
/// `--rule` id).
pub const USAGE: u8 = 64;
/// Some input lines were rejected (`scan`).
pub const DATAERR: u8 = 65;
/// An input file could not be opened.
pub const NOINPUT: u8 = 66;
/// Kafka could not be read (`replay`), or alerts not delivered.
pub const UNAVAILABLE: u8 = 69;
/// An internal error (threads, signal handlers, the async runtime).
pub const SOFTWARE: u8 = 70;
/// The Kafka brokers refused the credentials or the TLS handshake
/// (`run`): a configuration no retry fixes.
pub const NOPERM: u8 = 77;
/// Writing the output failed.
pub const IOERR: u8 = 74;
/// Invalid configuration or watchlist, or a sink that cannot be built
/// from it.
pub const CONFIG: u8 = 78;

/// A failure with the exit status it maps to; `main` prints the error with
/// its context chain and exits with the status.
#[derive(Debug)]
pub struct Failure {
    /// One of the statuses of this module.
    pub status: u8,
    /// What went wrong, with context.
    pub error: anyhow::Error,
}

impl Failure {
    /// A failure with status `status`.
    pub fn new(status: u8, error: impl Into<anyhow::Error>) -> Self {
        Failure {
            status,
            error: error.into(),
        }
    }

    /// Invalid configuration or watchlist: [`CONFIG`].
    pub fn config(error: impl Into<anyhow::Error>) -> Self {
        Failure::new(CONFIG, error)
    }

    /// An internal error: [`SOFTWARE`].
    pub fn software(error: impl Into<anyhow::Error>) -> Self {
        Failure::new(SOFTWARE, error)
    }

    /// The message `main` prints: `newswatch: ` and the error with its
    /// context chain, control and bidirectional characters escaped
    /// ([`crate::escape::human_lines`]: a message may list several
    /// problems, one a line), ending in a newline.
    pub fn message(&self) -> String {
        let text = format!("newswatch: {:#}", self.error);
        let mut message = crate::escape::human_lines(&text).into_owned();
        message.push('\n');
        message
    }

    /// Writes [`Failure::message`] to stderr in one write
    /// ([`crate::stdio::write_stderr`]). A stderr that cannot be written to
    /// loses the message, not the exit status.
    pub fn report(&self) {
        let _ = crate::stdio::write_stderr(self.message().as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_escapes_controls_and_keeps_its_lines() {
        let f = Failure::config(
            anyhow::anyhow!("w\u{1b}[2J.toml:1: rule `a\u{202e}b`\nw.toml:2: bad\0")
                .context("loading"),
        );
        assert_eq!(
            f.message(),
            "newswatch: loading: w\\u{1b}[2J.toml:1: rule `a\\u{202e}b`\nw.toml:2: bad\\0\n"
        );
    }
}
