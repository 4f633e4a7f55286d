//! The watchlist file compiled into an [`Engine`]: the one loader for the
//! start of every command and for every live reload, with a typed error.
//! Reads the watchlist file; nothing else.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::engine::{self, Engine};
use crate::watchlist::{self, Schema, Watchlist};

/// Why a watchlist could not become an engine.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read or has problems (each with its line).
    #[error(transparent)]
    Watchlist(#[from] watchlist::Error),
    /// Under exactly-once, rules route to sinks that cannot join a Kafka
    /// transaction (SPEC section 4).
    #[error(
        "{}: {}; such a sink cannot join a Kafka transaction (pipeline.guarantee = \
         \"exactly-once\"): set accept_duplicates = true on it to accept that its \
         deliveries may repeat, or route the rule elsewhere with `sinks`",
        path.display(),
        routes.join("; ")
    )]
    NotTransactional {
        /// The watchlist file.
        path: PathBuf,
        /// `rule `r` routes to sink `s``, one per pair.
        routes: Vec<String>,
    },
    /// The automaton could not be built from valid terms.
    #[error("{}: building the automaton: {source}", path.display())]
    Build {
        /// The watchlist file.
        path: PathBuf,
        /// What the automaton builder said.
        source: engine::BuildError,
    },
}

/// What a watchlist is checked against as it loads.
#[derive(Debug, Clone, Default)]
pub struct Checks {
    /// The configured sink names rules may route to; `None` skips the check
    /// (offline commands without sinks).
    pub sinks: Option<Vec<String>>,
    /// Sinks no rule may route to: under exactly-once, those that cannot
    /// join a Kafka transaction and do not accept duplicates. Checked only
    /// with `sinks`.
    pub not_transactional: Vec<String>,
    /// The fields items have, for field scopes and metadata filters.
    pub schema: Schema,
}

/// Reads the watchlist at `path` and compiles it, checked against
/// `checks`.
///
/// # Errors
///
/// [`LoadError`], naming the file and every problem.
pub fn load_engine(path: &Path, checks: &Checks) -> Result<Engine, LoadError> {
    let watchlist = Watchlist::load_with(path, checks.sinks.as_deref(), &checks.schema)?;
    if let Some(sinks) = &checks.sinks {
        let mut routes = Vec::new();
        for rule in &watchlist.rules {
            let routed = rule.sinks.as_deref().unwrap_or(sinks);
            for s in routed
                .iter()
                .filter(|s| checks.not_transactional.contains(s))
            {
                routes.push(format!("rule `{}` routes to sink `{s}`", rule.id));
            }
        }
        if !routes.is_empty() {
            return Err(LoadError::NotTransactional {
                path: path.to_owned(),
                routes,
            });
        }
    }
    Engine::build(Arc::new(watchlist)).map_err(|source| LoadError::Build {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Field, Scratch};
    use crate::watchlist::expr::MAX_DEPTH;

    /// A rule nested exactly [`MAX_DEPTH`] levels that evaluation walks to
    /// the bottom on an item matching `a` and not `b`: `a AND NOT (b OR a
    /// AND NOT (b OR ... a))`, each `NOT (` two levels.
    fn deepest_watchlist() -> String {
        let levels = MAX_DEPTH / 2;
        let when = format!(
            "{}a{}",
            "a AND NOT (b OR ".repeat(levels),
            ")".repeat(levels)
        );
        format!(
            "[sets.a]\nterms = [\"x\"]\n[sets.b]\nterms = [\"y\"]\n[[rules]]\nid = \"deep\"\nwhen = \"{when}\"\n"
        )
    }

    #[test]
    fn the_deepest_rule_loads_and_evaluates_on_a_small_stack() {
        // Every recursion over a rule (parsing, resolving,
        // `holds_without_match`, evaluating, Debug, drop) on a thread with
        // an eighth of the reload thread's 2 MiB: the depth limit keeps
        // them all far from any stack's end.
        let toml = deepest_watchlist();
        let run = move || {
            let watchlist = Watchlist::parse(&toml, None).expect("64 levels load");
            let debug = format!("{:?}", watchlist.rules[0].expr);
            assert_eq!(debug.matches("Not(").count(), MAX_DEPTH / 2);
            let engine = Engine::build(Arc::new(watchlist)).expect("build");
            let mut scratch = Scratch::new();
            let fields = [Field {
                name: "title",
                text: "x",
            }];
            // With `a` matched and `b` not, each `a AND NOT (b OR E)` is
            // `NOT E` and the innermost `a` is true: the rule holds when
            // the number of levels is even.
            let hits = engine.scan(&fields, &mut scratch, usize::MAX);
            assert_eq!(hits.len(), usize::from((MAX_DEPTH / 2).is_multiple_of(2)));
        };
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(run)
            .expect("spawn")
            .join()
            .expect("no overflow, no panic");
    }
}
