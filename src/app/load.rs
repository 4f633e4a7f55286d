//! Loading what the commands start from, as [`Failure`]s with exit status
//! 78: the settings from `--config` and the process environment, and the
//! watchlist compiled into an engine ([`crate::load`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::engine::Engine;
use crate::exit::Failure;
use crate::load::load_engine;
use crate::settings::Settings;
use crate::watchlist::Watchlist;

/// Loads the settings from `--config` / `NEWSWATCH_CONFIG` and the process
/// environment.
///
/// # Errors
///
/// A [`Failure`] with exit status 78 naming every invalid key, and every
/// `NEWSWATCH…` variable that is not UTF-8.
pub fn settings(config: Option<&Path>) -> Result<Settings, Failure> {
    let env = Settings::environment(std::env::vars_os()).map_err(Failure::config)?;
    Settings::load(config, env).map_err(Failure::config)
}

/// The watchlist of `settings` (or `over`) compiled; rule sinks checked
/// against the configured sinks when `check_sinks`.
///
/// # Errors
///
/// A [`Failure`] with exit status 78 naming the file and every problem.
pub fn engine(settings: &Settings, path: &Path, check_sinks: bool) -> Result<Engine, Failure> {
    load_engine(path, &settings.watchlist_checks(check_sinks)).map_err(Failure::config)
}

/// Where an offline command's watchlist comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchlistSource {
    /// A file.
    File(PathBuf),
    /// The default watchlist built into the binary
    /// ([`crate::watchlist::BUILT_IN`]).
    BuiltIn,
}

impl std::fmt::Display for WatchlistSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WatchlistSource::File(p) => write!(f, "{}", p.display()),
            WatchlistSource::BuiltIn => f.write_str("(built in, the default)"),
        }
    }
}

/// Where the offline commands (`scan`, `check`, `explain`, `replay`) look
/// for the watchlist when none is named, after `watchlist.path`.
pub const WATCHLIST_LOOKUP: [&str; 2] = [
    crate::settings::DEFAULT_WATCHLIST_PATH,
    "/etc/newswatch/watchlist.toml",
];

/// The watchlist of an offline command: `--watchlist`, else
/// `watchlist.path` when the configuration or environment sets it, else
/// the first of [`WATCHLIST_LOOKUP`] that exists, else the built-in
/// default. The daemon (`run`) always reads `watchlist.path`: it reloads
/// that file.
pub fn offline_watchlist(settings: &Settings, over: Option<PathBuf>) -> WatchlistSource {
    if let Some(p) = over {
        return WatchlistSource::File(p);
    }
    if settings.watchlist.given {
        return WatchlistSource::File(settings.watchlist.path.clone());
    }
    WATCHLIST_LOOKUP
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .map_or(WatchlistSource::BuiltIn, WatchlistSource::File)
}

/// The engine of an offline command's watchlist ([`offline_watchlist`]).
///
/// # Errors
///
/// A [`Failure`] with exit status 78 naming the file and every problem.
pub fn offline_engine(
    settings: &Settings,
    source: &WatchlistSource,
    check_sinks: bool,
) -> Result<Engine, Failure> {
    match source {
        WatchlistSource::File(p) => engine(settings, p, check_sinks),
        WatchlistSource::BuiltIn => {
            let checks = settings.watchlist_checks(check_sinks);
            let w = Watchlist::parse_with(
                crate::watchlist::BUILT_IN,
                checks.sinks.as_deref(),
                &checks.schema,
            )
            .map_err(|problems| {
                Failure::config(anyhow::anyhow!(
                    "the built-in watchlist does not load: {problems:?}"
                ))
            })?;
            Engine::build(Arc::new(w)).map_err(Failure::config)
        }
    }
}
