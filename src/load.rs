//! The watchlist file compiled into an [`Engine`]: the one loader for the
//! start of every command and for every live reload, with a typed error.
//! Reads the watchlist file; nothing else.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::engine::{self, Engine};
use crate::watchlist::{self, Watchlist};

/// Why a watchlist could not become an engine.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read or has problems (each with its line).
    #[error(transparent)]
    Watchlist(#[from] watchlist::Error),
    /// The automaton could not be built from valid terms.
    #[error("{}: building the automaton: {source}", path.display())]
    Build {
        /// The watchlist file.
        path: PathBuf,
        /// What the automaton builder said.
        source: engine::BuildError,
    },
}

/// Reads the watchlist at `path` and compiles it. Rule sinks are checked
/// against `sinks` when given (`None`: offline `scan` without sinks).
///
/// # Errors
///
/// [`LoadError`], naming the file and every problem.
pub fn load_engine(path: &Path, sinks: Option<&[String]>) -> Result<Engine, LoadError> {
    let watchlist = Watchlist::load(path, sinks)?;
    Engine::build(Arc::new(watchlist)).map_err(|source| LoadError::Build {
        path: path.to_owned(),
        source,
    })
}
