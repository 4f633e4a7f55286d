//! Load errors of a watchlist: every problem of a file, each with where it is
//! (file, line, set or rule) and what is wrong, collected so that one `check`
//! shows them all.
//!
//! Data, and the list that collects them in file order ([`Problems`]): the
//! checks that find them are in `raw.rs`, `load.rs` and `expr.rs`.
//! `Display` is lowercase and names the offending value (STYLE.md rule 4).

use std::cell::OnceCell;
use std::fmt;
use std::path::PathBuf;

/// All problems found while loading one watchlist file.
#[derive(Debug, thiserror::Error)]
pub struct Error {
    /// The watchlist file, as given to [`Watchlist::load`].
    ///
    /// [`Watchlist::load`]: super::Watchlist::load
    pub file: PathBuf,
    /// Every problem found, in file order (by line, then column); never
    /// empty.
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
    /// The set or rule it belongs to, or the file as a whole.
    pub place: Place,
    /// What is wrong.
    pub kind: ProblemKind,
}

/// The problems found so far in one text, each with the byte offset it was
/// found at, so that they come out in file order: by line, and on one line
/// by column, those found at one offset in the order they were found.
pub(super) struct Problems<'s> {
    src: &'s str,
    /// Byte offsets of the text's line feeds, found once, on the first line
    /// asked for: a line is then a binary search, so a file with many
    /// problems is reported in time linear in its size, not in its size
    /// times the number of problems (50,000 unknown sets took 15 s when
    /// each line was counted from the top of the file).
    newlines: OnceCell<Vec<usize>>,
    found: Vec<(Option<usize>, Problem)>,
}

impl<'s> Problems<'s> {
    /// No problems yet in the text `src`.
    pub(super) fn new(src: &'s str) -> Self {
        Problems {
            src,
            newlines: OnceCell::new(),
            found: Vec::new(),
        }
    }

    /// Adds a problem found at byte `at` of the text (`None`: the file as a
    /// whole, listed first).
    pub(super) fn push(&mut self, at: Option<usize>, place: Place, kind: ProblemKind) {
        let line = at.map(|at| self.line(at));
        self.found.push((at, Problem { line, place, kind }));
    }

    /// The 1-based line of byte `at` of the text (the last line when `at`
    /// is past the end): one plus the line feeds before it.
    pub(super) fn line(&self, at: usize) -> usize {
        let newlines = self
            .newlines
            .get_or_init(|| self.src.match_indices('\n').map(|(i, _)| i).collect());
        newlines.partition_point(|&nl| nl < at) + 1
    }

    /// True when no problem was found.
    pub(super) fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    /// Every problem, in file order.
    pub(super) fn into_sorted(mut self) -> Vec<Problem> {
        self.found.sort_by_key(|(at, _)| *at);
        self.found.into_iter().map(|(_, p)| p).collect()
    }
}

/// The part of the watchlist a problem belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// The file as a whole (reading it, TOML syntax, no rules).
    File,
    /// A set, by name.
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

/// What is wrong, one variant per check of SPEC section 2 ("Loading
/// fails"). Columns are 1-based characters of the `when` text; term indexes
/// are 1-based positions in the set's `terms`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProblemKind {
    /// The file could not be read; the I/O error's text.
    #[error("cannot read the file: {0}")]
    Read(String),
    /// The file has more than [`MAX_FILE_BYTES`]; the only problem listed.
    ///
    /// [`MAX_FILE_BYTES`]: super::MAX_FILE_BYTES
    #[error(
        "the file is larger than the 64 MiB ({} bytes) a watchlist may have",
        super::MAX_FILE_BYTES
    )]
    FileTooLarge,
    /// A TOML syntax error, the parser's message: the only problem listed,
    /// as the parser cannot go on past it.
    #[error("invalid TOML: {0}")]
    Toml(String),
    /// A key of the file, a set or a rule with a value of the wrong type.
    #[error("`{}` must be {expected}, found {found}", .key.escape_debug())]
    WrongType {
        /// The key as written (`terms`, `case_sensitive`, `sets.NAME`...).
        key: String,
        /// What it must be (`an array of strings`, `true or false`...).
        expected: &'static str,
        /// What it is, naming a short scalar (`the string "true"`).
        found: String,
    },
    /// An item of an array key (`terms`, `sinks`, `rules`) of the wrong
    /// type.
    #[error("item {index} of `{key}` must be {expected}, found {found}")]
    WrongItemType {
        /// The array's key.
        key: String,
        /// 1-based position in the array.
        index: usize,
        /// What each item must be.
        expected: &'static str,
        /// What this one is, as in [`ProblemKind::WrongType`].
        found: String,
    },
    /// A key that the file, a set or a rule does not have.
    #[error("unknown key `{}` (known keys: `{}`)", .key.escape_debug(), .known.join("`, `"))]
    UnknownKey {
        /// The key as written.
        key: String,
        /// The keys that the table does have.
        known: &'static [&'static str],
    },
    /// A set without `terms`, a rule without `id` or `when`.
    #[error("missing key `{0}`")]
    MissingKey(&'static str),
    /// The file has no `[[rules]]`.
    #[error("no rules: a watchlist needs at least one [[rules]] entry")]
    NoRules,
    /// A set name that cannot be written in an expression.
    #[error("invalid set name (use letters, digits, `_`, `-`, `.`, and not AND/OR/NOT/NEAR)")]
    BadSetName,
    /// A set with `terms = []`.
    #[error("the set has no terms")]
    EmptySet,
    /// A set with both `confusables = true` and `case_sensitive = true`:
    /// a UTS #39 skeleton folds case, so the two cannot hold together.
    #[error("confusables and case_sensitive cannot be combined: skeleton matching folds case")]
    ConfusablesWithCaseSensitive,
    /// A term that is empty once trimmed and normalized.
    #[error("term {index} is empty{}", if .text.is_empty() { String::new() } else { format!(" after normalization ({:?})", .text) })]
    EmptyTerm {
        /// 1-based position in the set.
        index: usize,
        /// The term as written.
        text: String,
    },
    /// A prefix term whose `*` does not follow a letter, digit or CJK
    /// character (SPEC 2a): `"AI *"`, `"H200-*"`, `"*"`.
    #[error("term {index} {text:?}: {}", star_after_non_word(.fix.as_deref()))]
    StarAfterNonWord {
        /// 1-based position in the set.
        index: usize,
        /// The term as written.
        text: String,
        /// The prefix term it was probably meant to be (`AI*`), if any.
        fix: Option<String>,
    },
    /// A term longer than [`MAX_TERM_CHARS`] characters (without its
    /// `*`), as written or once normalized.
    ///
    /// [`MAX_TERM_CHARS`]: super::MAX_TERM_CHARS
    #[error(
        "term {index} has {chars} characters{}, more than the {} a term may have",
        if *.normalized { " once normalized" } else { "" },
        super::MAX_TERM_CHARS
    )]
    TermTooLong {
        /// 1-based position in the set.
        index: usize,
        /// Its characters, as written or once normalized.
        chars: usize,
        /// `chars` counts the normalized term (NFKC spelled some of its
        /// characters with several), which alone is over the limit.
        normalized: bool,
    },
    /// A term that starts with a combining mark once trimmed and
    /// normalized (`"\u{301}\u{301}"`, `"´"`): a mark belongs to the
    /// character before it, so no word starts with one.
    #[error("term {index} {text:?}: {}", starts_with_mark(*.mark))]
    TermStartsWithMark {
        /// 1-based position in the set.
        index: usize,
        /// The term as written.
        text: String,
        /// The mark it starts with once normalized.
        mark: char,
    },
    /// A `*` anywhere but at the end of a term.
    #[error("term {index} {text:?}: `*` is only allowed at the end of a term")]
    StarInside {
        /// 1-based position in the set.
        index: usize,
        /// The term as written.
        text: String,
    },
    /// A rule whose `id` is empty once trimmed.
    #[error("the rule id is empty")]
    EmptyRuleId,
    /// A rule id used before in the file.
    #[error("duplicate rule id (first defined on line {first_line})")]
    DuplicateRule {
        /// 1-based line of the first rule with this id.
        first_line: usize,
    },
    /// A `severity` that is not one of the five; the value as written.
    #[error("unknown severity `{0}` (expected info, low, medium, high or critical)")]
    BadSeverity(String),
    /// A `sinks` entry that names no configured sink: the name, then the
    /// configured names joined by `, ` (or `none`).
    #[error("unknown sink `{0}` (configured sinks: {1})")]
    UnknownSink(String, String),
    /// A syntax error in `when`, or a bad quoted term in it.
    #[error("`when`, column {column}: {message}")]
    Expression {
        /// 1-based character column in `when`.
        column: usize,
        /// What the parser expected or refused.
        message: String,
    },
    /// A name in `when` that is no set of the file.
    #[error("`when`, column {column}: unknown set `{name}`")]
    UnknownSet {
        /// 1-based character column in `when`.
        column: usize,
        /// The name as written.
        name: String,
    },
    /// The rule may hold on an item with no match at all (`NOT x` alone,
    /// or a metadata filter such as `lang:ru` alone), so it would alert on
    /// every item (of that metadata).
    #[error(
        "the rule may hold for an item that matches nothing (it would alert on every item, \
         or every item with some metadata); combine NOT and metadata filters with a term, \
         e.g. `chips AND NOT gaming`, `chips AND lang:ru`"
    )]
    HoldsWithoutMatch,
}

/// What is wrong with a prefix term whose `*` does not follow a letter,
/// digit or CJK character, and how to fix it: the tail of
/// [`ProblemKind::StarAfterNonWord`], and the message of a quoted term in a
/// rule expression with the same fault.
pub(super) fn star_after_non_word(fix: Option<&str>) -> String {
    let how = match fix {
        Some(fix) => format!("write `{fix}`"),
        None => "put it right after a word, as in `export*`".to_owned(),
    };
    format!("the `*` of a prefix term must follow a letter, digit or CJK character: {how}")
}

/// What is wrong with a term that starts with the combining mark `mark`:
/// the tail of [`ProblemKind::TermStartsWithMark`], and of the message of
/// a quoted term in a rule expression with the same fault.
pub(super) fn starts_with_mark(mark: char) -> String {
    format!(
        "it starts with the combining mark U+{:04X} once normalized, and a mark belongs to the \
         character before it: no word starts with one",
        u32::from(mark)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_one_plus_the_line_feeds_before_it() {
        for src in ["", "a", "\n", "a\nbc\n\nd", "\n\nx\n"] {
            let problems = Problems::new(src);
            for at in 0..=src.len() + 2 {
                let before = &src.as_bytes()[..at.min(src.len())];
                let naive = before.iter().filter(|&&b| b == b'\n').count() + 1;
                assert_eq!(problems.line(at), naive, "{src:?} at {at}");
            }
        }
    }
}
