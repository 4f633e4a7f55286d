//! Load errors of a watchlist: every problem of a file, each with where it is
//! (file, line, set or rule) and what is wrong, collected so that one `check`
//! shows them all.

use std::fmt;
use std::path::PathBuf;

/// All problems found while loading one watchlist file.
#[derive(Debug, thiserror::Error)]
pub struct Error {
    pub file: PathBuf,
    pub problems: Vec<Problem>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}", self.file.display())?;
            if let Some(line) = p.line {
                write!(f, ":{line}")?;
            }
            write!(f, ": {}{}", p.place, p.kind)?;
        }
        Ok(())
    }
}

/// One problem: where it is and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line in the file, when known.
    pub line: Option<usize>,
    pub place: Place,
    pub kind: ProblemKind,
}

/// The part of the watchlist a problem belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    File,
    Set(String),
    /// A rule by id, or by its 1-based position when it has no usable id.
    Rule(String),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::File => Ok(()),
            Place::Set(name) => write!(f, "set `{name}`: "),
            Place::Rule(id) => write!(f, "rule `{id}`: "),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProblemKind {
    #[error("cannot read the file: {0}")]
    Read(String),
    #[error("invalid TOML: {0}")]
    Toml(String),
    #[error("no rules: a watchlist needs at least one [[rules]] entry")]
    NoRules,
    #[error("invalid set name (use letters, digits, `_`, `-`, `.`, and not AND/OR/NOT/NEAR)")]
    BadSetName,
    #[error("the set has no terms")]
    EmptySet,
    #[error("term {index} is empty{}", if .text.is_empty() { String::new() } else { format!(" after normalization ({:?})", .text) })]
    EmptyTerm { index: usize, text: String },
    #[error("term {index} {text:?}: `*` is only allowed at the end of a term")]
    StarInside { index: usize, text: String },
    #[error("the rule id is empty")]
    EmptyRuleId,
    #[error("duplicate rule id (first defined on line {first_line})")]
    DuplicateRule { first_line: usize },
    #[error("unknown severity `{0}` (expected info, low, medium, high or critical)")]
    BadSeverity(String),
    #[error("unknown sink `{0}` (configured sinks: {1})")]
    UnknownSink(String, String),
    #[error("`when`, column {column}: {message}")]
    Expression { column: usize, message: String },
    #[error("`when`, column {column}: unknown set `{name}`")]
    UnknownSet { column: usize, name: String },
    #[error(
        "the rule holds for an item that matches nothing (it would alert on every item); \
         combine NOT with a positive condition, e.g. `chips AND NOT gaming`"
    )]
    HoldsWithoutMatch,
}
