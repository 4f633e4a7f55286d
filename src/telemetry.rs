//! The tracing subscriber: JSON lines (default) or pretty text on stderr,
//! level from `log.level` unless `RUST_LOG` is set.

use tracing_subscriber::EnvFilter;

use crate::settings::{LogConfig, LogFormat};

/// Installs the global subscriber. Call once, as soon as the settings are
/// loaded (the commands in `app::commands` do).
pub fn init(log: &LogConfig) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&log.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = match log.format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
    // Already installed (tests call `init` more than once): keep the first.
    drop(result);
}
