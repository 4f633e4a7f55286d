//! Loading what the commands start from, as [`Failure`]s with exit status
//! 78: the settings from `--config` and the process environment, and the
//! watchlist compiled into an engine ([`crate::load`]).

use std::path::Path;

use crate::engine::Engine;
use crate::exit::Failure;
use crate::load::load_engine;
use crate::settings::Settings;

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
    let names = settings.sink_names();
    let sinks = check_sinks.then_some(names.as_slice());
    load_engine(path, sinks).map_err(Failure::config)
}
