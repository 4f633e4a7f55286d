//! Rule expressions (`when`): tokenizer and recursive-descent parser.
//!
//! Precedence, tightest first: the prefix operators (`NOT`, `FIRST/n`,
//! `ATLEAST/n`, a scope `name:`), the proximity operators (`NEAR/n`,
//! `NEAR/S`, `NEAR/P`, `PRE/n` or `ONEAR/n`, `NOT NEAR/n`), `AND`, `OR`;
//! parentheses group; keywords are case-insensitive (SPEC sections 2 and
//! 2b). Operands are set names or quoted inline terms. The proximity
//! operators, `FIRST` and `ATLEAST` take only operands or a parenthesised OR
//! of them. `FIRST`, `ATLEAST`, `PRE` and `ONEAR` are keywords only before
//! a `/`, so sets may keep such names.
//!
//! The parser resolves nothing: set names stay names, and a scope `name:`
//! stays a name, checked by the loader (a scanned field, or a metadata
//! filter whose values are the names and quoted terms after it). It gives
//! operators no meaning either: that is the evaluator in `engine::rules`.

/// How deep parentheses and prefix operators may nest in one expression:
/// each `(`, `NOT`, `FIRST/n`, `ATLEAST/n` and scope `name:` is a level,
/// counted while it is open (`NOT (a AND NOT b)` is three deep); the parser
/// refuses the operator that would open level 65, naming its column.
///
/// Parsing, resolving, [`Expr::holds_without_match`] and evaluating an
/// expression each recurse once per level, so without a limit 8,345 nested
/// parentheses overflowed the 8 MiB main stack (an abort, exit 134) and
/// some 2,500 the 2 MiB stack of the reload thread, killing the daemon
/// instead of keeping the old watchlist. Real rules nest a few levels (the
/// default watchlist 5 at most): 64 is ten times that. At 64 levels the
/// whole path from parsing to evaluation fits in 192 KiB of stack in a
/// debug build (the test `the_deepest_rule_loads_and_evaluates_on_a_small_stack`
/// in `crate::load` runs it on a 256 KiB thread), a tenth of the reload
/// thread's.
///
/// [`Expr::holds_without_match`]: super::Expr::holds_without_match
pub const MAX_DEPTH: usize = 64;

/// The largest `n` of `NEAR/n` (and of `PRE/n`, `FIRST/n`, `ATLEAST/n`):
/// 4,294,967,295 (`u32::MAX`); a larger number is refused, naming this
/// limit. It takes nothing away: a field
/// has at most `text::normalize::MAX_TEXT_BYTES` (390,451,572) bytes, so
/// fewer words than that, and `NEAR/4294967295` already holds for any two
/// matches in one field.
pub const MAX_NEAR: u32 = u32::MAX;

/// How close two matches must be for a proximity operator to hold (SPEC
/// sections 2 and 2b); words are counted as for NEAR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Within {
    /// `NEAR/n`: either order, at most `n` words strictly between (0 when
    /// the matches touch or overlap).
    Words(u32),
    /// `PRE/n` (also written `ONEAR/n`): the left match ends before the
    /// right one starts, at most `n` words between.
    Ordered(u32),
    /// `NOT NEAR/n`: some left match has no right match within `n` words
    /// in its field.
    Apart(u32),
    /// `NEAR/S`: both matches start in one sentence (UAX #29).
    Sentence,
    /// `NEAR/P`: both matches start in one paragraph (between line breaks).
    Paragraph,
}

impl std::fmt::Display for Within {
    /// The operator as written: `NEAR/3`, `PRE/3`, `NOT NEAR/3`, `NEAR/S`,
    /// `NEAR/P`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Within::Words(n) => write!(f, "NEAR/{n}"),
            Within::Ordered(n) => write!(f, "PRE/{n}"),
            Within::Apart(n) => write!(f, "NOT NEAR/{n}"),
            Within::Sentence => f.write_str("NEAR/S"),
            Within::Paragraph => f.write_str("NEAR/P"),
        }
    }
}

/// A parsed expression over unresolved operands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ast {
    /// A bare name, meant as a set.
    Set {
        /// The name as written.
        name: String,
        /// 1-based character column where it starts.
        column: usize,
    },
    /// A quoted inline term.
    Term {
        /// The term between the quotes, escapes undone.
        text: String,
        /// 1-based character column of the opening quote.
        column: usize,
    },
    /// `NOT x`.
    Not(Box<Ast>),
    /// `a AND b AND ...`, two or more items.
    And(Vec<Ast>),
    /// `a OR b OR ...`, two or more items.
    Or(Vec<Ast>),
    /// `left NEAR/n right` and the other proximity operators; each side an
    /// operand or an `Or` of operands.
    Near {
        /// Which operator, with its distance.
        within: Within,
        /// The left operand or OR group.
        left: Box<Ast>,
        /// The right operand or OR group.
        right: Box<Ast>,
    },
    /// `FIRST/n x`: x an operand or an `Or` of operands; `n` ≥ 1.
    First {
        /// Words from the start of the field.
        n: u32,
        /// The operand or OR group.
        inner: Box<Ast>,
    },
    /// `ATLEAST/n x`: x an operand or an `Or` of operands; `n` ≥ 1.
    AtLeast {
        /// Occurrences needed.
        n: u32,
        /// The operand or OR group.
        inner: Box<Ast>,
    },
    /// `name:x`: a field scope or a metadata filter, as the loader finds
    /// `name` among the scanned or the metadata fields.
    Scope {
        /// The name before the colon, as written.
        name: String,
        /// 1-based character column where the name starts.
        column: usize,
        /// What follows the colon.
        inner: Box<Ast>,
    },
}

/// A syntax error at a 1-based character column of the expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// 1-based character column (not byte) in the expression.
    pub column: usize,
    /// What was expected or refused, naming the token found.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    Str(String),
    /// `name:`.
    Scope(String),
    And,
    Or,
    Not,
    Near(Within),
    First(u32),
    AtLeast(u32),
    Open,
    Close,
    End,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Str(s) => format!("\"{s}\""),
            Tok::Scope(s) => format!("`{s}:`"),
            Tok::And => "AND".into(),
            Tok::Or => "OR".into(),
            Tok::Not => "NOT".into(),
            Tok::Near(w) => w.to_string(),
            Tok::First(n) => format!("FIRST/{n}"),
            Tok::AtLeast(n) => format!("ATLEAST/{n}"),
            Tok::Open => "`(`".into(),
            Tok::Close => "`)`".into(),
            Tok::End => "the end of the expression".into(),
        }
    }
}

/// Characters allowed in set names (and so in identifiers).
pub fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// True when `name` can be written as an operand in an expression.
pub fn is_valid_set_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(is_name_char) && !is_keyword(name)
}

/// The keywords that stand alone (the others need a `/` after them).
fn is_keyword(word: &str) -> bool {
    matches!(
        word.to_ascii_uppercase().as_str(),
        "AND" | "OR" | "NOT" | "NEAR"
    )
}

/// The operators written `WORD/…`.
#[derive(Clone, Copy)]
enum Slashed {
    Near,
    Pre,
    First,
    AtLeast,
}

fn slashed(word: &str) -> Option<Slashed> {
    Some(match word.to_ascii_uppercase().as_str() {
        "NEAR" => Slashed::Near,
        "PRE" | "ONEAR" => Slashed::Pre,
        "FIRST" => Slashed::First,
        "ATLEAST" => Slashed::AtLeast,
        _ => return None,
    })
}

fn err(column: usize, message: impl Into<String>) -> SyntaxError {
    SyntaxError {
        column,
        message: message.into(),
    }
}

fn tokenize(src: &str) -> Result<Vec<(Tok, usize)>, SyntaxError> {
    let chars: Vec<char> = src.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            toks.push((Tok::Open, col));
            i += 1;
        } else if c == ')' {
            toks.push((Tok::Close, col));
            i += 1;
        } else if c == '"' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(err(col, "unterminated quoted term")),
                    Some('"') => break,
                    Some('\\') => match chars.get(i + 1) {
                        Some(&e @ ('"' | '\\')) => {
                            s.push(e);
                            i += 2;
                        }
                        _ => return Err(err(i + 1, "only \\\" and \\\\ may be escaped")),
                    },
                    Some(&o) => {
                        s.push(o);
                        i += 1;
                    }
                }
            }
            i += 1;
            toks.push((Tok::Str(s), col));
        } else if is_name_char(c) {
            let start = i;
            while i < chars.len() && is_name_char(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let next = chars.get(i).copied();
            let op = slashed(&word).filter(|&k| next == Some('/') || matches!(k, Slashed::Near));
            if let Some(kind) = op {
                if next != Some('/') {
                    return Err(err(
                        col,
                        "NEAR needs a distance, as in NEAR/5, NEAR/S or NEAR/P",
                    ));
                }
                i += 1;
                let from = i;
                while i < chars.len() && is_name_char(chars[i]) {
                    i += 1;
                }
                toks.push((slashed_token(kind, &word, &chars[from..i], from + 1)?, col));
            } else if is_keyword(&word) {
                toks.push((
                    match word.to_ascii_uppercase().as_str() {
                        "AND" => Tok::And,
                        "OR" => Tok::Or,
                        _ => Tok::Not,
                    },
                    col,
                ));
            } else if next == Some(':') {
                i += 1;
                toks.push((Tok::Scope(word), col));
            } else {
                toks.push((Tok::Ident(word), col));
            }
        } else {
            return Err(err(col, format!("unexpected character `{c}`")));
        }
    }
    toks.push((Tok::End, chars.len() + 1));
    Ok(toks)
}

/// The token of `word/arg` (`NEAR/3`, `NEAR/S`, `PRE/2`, `FIRST/40`,
/// `ATLEAST/3`), `arg` starting at column `column`.
fn slashed_token(
    kind: Slashed,
    word: &str,
    arg: &[char],
    column: usize,
) -> Result<Tok, SyntaxError> {
    let upper = word.to_ascii_uppercase();
    if let (Slashed::Near, [c]) = (kind, arg) {
        match c.to_ascii_uppercase() {
            'S' => return Ok(Tok::Near(Within::Sentence)),
            'P' => return Ok(Tok::Near(Within::Paragraph)),
            _ => {}
        }
    }
    if arg.is_empty() || !arg.iter().all(char::is_ascii_digit) {
        let what = match kind {
            Slashed::Near => "a number of words, S (one sentence) or P (one paragraph)",
            Slashed::Pre | Slashed::First => "a number of words",
            Slashed::AtLeast => "a number of occurrences",
        };
        return Err(err(column, format!("{upper}/ must be followed by {what}")));
    }
    let n = number(&upper, arg, column)?;
    Ok(match kind {
        Slashed::Near => Tok::Near(Within::Words(n)),
        Slashed::Pre => Tok::Near(Within::Ordered(n)),
        Slashed::First | Slashed::AtLeast if n == 0 => {
            let why = if matches!(kind, Slashed::First) {
                "no match starts within the first 0 words"
            } else {
                "it would hold on every item"
            };
            return Err(err(
                column,
                format!("{upper}/0: the least is {upper}/1 ({why})"),
            ));
        }
        Slashed::First => Tok::First(n),
        Slashed::AtLeast => Tok::AtLeast(n),
    })
}

/// The number of `OP/n` from its ASCII digits `digits`, which start at
/// column `column`: an error when they are more than [`MAX_NEAR`].
fn number(op: &str, digits: &[char], column: usize) -> Result<u32, SyntaxError> {
    let written: String = digits.iter().collect();
    written.parse::<u32>().map_err(|_| {
        // Only digits: the number is too large. Shown whole up to 40
        // digits, as it may be a megabyte long.
        let shown = match written.char_indices().nth(40) {
            Some((cut, _)) => format!("{}…", &written[..cut]),
            None => written.clone(),
        };
        let what = if op == "ATLEAST" {
            format!("count may be at most {MAX_NEAR}")
        } else {
            format!("distance may be at most {MAX_NEAR} words")
        };
        err(column, format!("{op}/{shown}: the {what}"))
    })
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    /// `(`s and prefix operators open at the current token: the recursion
    /// depth, at most [`MAX_DEPTH`].
    depth: usize,
}

impl Parser {
    /// Opens a level for the `(` or prefix operator at `column`; an error
    /// past [`MAX_DEPTH`]. The caller closes it with [`Parser::leave`] once
    /// its operand is parsed (an error ends the parse, so only success
    /// leaves).
    fn enter(&mut self, column: usize) -> Result<(), SyntaxError> {
        if self.depth == MAX_DEPTH {
            return Err(err(
                column,
                format!(
                    "nesting deeper than {MAX_DEPTH} levels (each `(`, NOT, FIRST, ATLEAST \
                     and field: is one)"
                ),
            ));
        }
        self.depth += 1;
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn peek(&self) -> &(Tok, usize) {
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }

    fn peek2(&self) -> &Tok {
        &self.toks[(self.pos + 1).min(self.toks.len() - 1)].0
    }

    fn bump(&mut self) -> (Tok, usize) {
        let t = self.peek().clone();
        self.pos += 1;
        t
    }

    fn or(&mut self) -> Result<Ast, SyntaxError> {
        let mut items = vec![self.and()?];
        while self.peek().0 == Tok::Or {
            self.bump();
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Ast::Or(items)
        })
    }

    fn and(&mut self) -> Result<Ast, SyntaxError> {
        let mut items = vec![self.near()?];
        while self.peek().0 == Tok::And {
            self.bump();
            items.push(self.near()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Ast::And(items)
        })
    }

    /// The proximity operator after an operand, if any: `NEAR/…`, `PRE/n`,
    /// or `NOT NEAR/n`; its column.
    fn proximity(&mut self) -> Result<Option<(Within, usize)>, SyntaxError> {
        match self.peek().clone() {
            (Tok::Near(w), col) => {
                self.bump();
                Ok(Some((w, col)))
            }
            (Tok::Not, col) => match self.peek2().clone() {
                Tok::Near(Within::Words(n)) => {
                    self.bump();
                    self.bump();
                    Ok(Some((Within::Apart(n), col)))
                }
                Tok::Near(w) => Err(err(
                    col,
                    format!("NOT may only precede NEAR/n here (A NOT NEAR/5 B), not {w}"),
                )),
                other => Err(err(
                    col,
                    format!(
                        "NOT after an operand must be followed by NEAR/n (A NOT NEAR/5 B), \
                         found {}; to exclude, write AND NOT",
                        other.describe()
                    ),
                )),
            },
            _ => Ok(None),
        }
    }

    fn near(&mut self) -> Result<Ast, SyntaxError> {
        let left_col = self.peek().1;
        let left = self.unary()?;
        let Some((within, near_col)) = self.proximity()? else {
            return Ok(left);
        };
        let right_col = self.peek().1;
        let right = self.unary()?;
        check_side(&left, left_col, &within.to_string())?;
        check_side(&right, right_col, &within.to_string())?;
        if let (Tok::Near(_), col) = self.peek() {
            return Err(err(
                *col,
                format!(
                    "{} cannot be chained (the {within} at column {near_col} already has two \
                     operands); join the conditions with AND",
                    self.peek().0.describe()
                ),
            ));
        }
        Ok(Ast::Near {
            within,
            left: Box::new(left),
            right: Box::new(right),
        })
    }

    fn unary(&mut self) -> Result<Ast, SyntaxError> {
        let (tok, col) = self.peek().clone();
        if !matches!(
            tok,
            Tok::Not | Tok::First(_) | Tok::AtLeast(_) | Tok::Scope(_)
        ) {
            return self.primary();
        }
        self.bump();
        self.enter(col)?;
        let inner_col = self.peek().1;
        let inner = Box::new(self.unary()?);
        self.leave();
        Ok(match tok {
            Tok::First(n) => {
                check_side(&inner, inner_col, &format!("FIRST/{n}"))?;
                Ast::First { n, inner }
            }
            Tok::AtLeast(n) => {
                check_side(&inner, inner_col, &format!("ATLEAST/{n}"))?;
                Ast::AtLeast { n, inner }
            }
            Tok::Scope(name) => Ast::Scope {
                name,
                column: col,
                inner,
            },
            _ => Ast::Not(inner),
        })
    }

    fn primary(&mut self) -> Result<Ast, SyntaxError> {
        let (tok, col) = self.bump();
        match tok {
            Tok::Ident(name) => Ok(Ast::Set { name, column: col }),
            Tok::Str(text) => Ok(Ast::Term { text, column: col }),
            Tok::Open => {
                self.enter(col)?;
                let inner = self.or()?;
                self.leave();
                let (close, ccol) = self.bump();
                if close != Tok::Close {
                    return Err(err(
                        ccol,
                        format!(
                            "expected `)` to close the `(` at column {col}, found {}",
                            close.describe()
                        ),
                    ));
                }
                Ok(inner)
            }
            other => Err(err(
                col,
                format!(
                    "expected a set name, a quoted term, NOT or `(`, found {}",
                    other.describe()
                ),
            )),
        }
    }
}

/// Checks an operand of `op` (a proximity operator, `FIRST/n` or
/// `ATLEAST/n`), which starts at `column`: a set, a quoted term, or a
/// parenthesised OR of those.
fn check_side(ast: &Ast, column: usize, op: &str) -> Result<(), SyntaxError> {
    let simple = |a: &Ast| matches!(a, Ast::Set { .. } | Ast::Term { .. });
    let ok = match ast {
        Ast::Or(items) => items.iter().all(simple),
        other => simple(other),
    };
    if ok {
        return Ok(());
    }
    let hint = match ast {
        Ast::Scope { name, .. } => format!("; to scope it to a field, write {name}:({op} …)"),
        _ => String::new(),
    };
    Err(err(
        column,
        format!("{op} operands must be sets, quoted terms, or a parenthesised OR of those{hint}"),
    ))
}

/// Parses a `when` expression.
///
/// # Errors
///
/// The first [`SyntaxError`]: an unexpected character or token, an
/// unterminated quoted term or bad escape, an operator without its number
/// or with one over [`MAX_NEAR`], `FIRST/0` or `ATLEAST/0`, an operand of a
/// proximity operator, `FIRST` or `ATLEAST` that is not an operand or OR
/// group of them, chained proximity operators, `NOT` after an operand but
/// not before `NEAR/n`, an unclosed parenthesis, parentheses and prefix
/// operators nested deeper than [`MAX_DEPTH`].
pub fn parse(src: &str) -> Result<Ast, SyntaxError> {
    let toks = tokenize(src)?;
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
    };
    let ast = p.or()?;
    let (tok, col) = p.bump();
    if tok != Tok::End {
        return Err(err(
            col,
            format!(
                "expected AND, OR or the end of the expression, found {}",
                tok.describe()
            ),
        ));
    }
    Ok(ast)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(name: &str, column: usize) -> Ast {
        Ast::Set {
            name: name.into(),
            column,
        }
    }

    #[test]
    fn precedence_not_near_and_or() {
        // a OR b AND NOT c  ==  a OR (b AND (NOT c))
        let ast = parse("a OR b and not c").unwrap();
        assert_eq!(
            ast,
            Ast::Or(vec![
                set("a", 1),
                Ast::And(vec![set("b", 6), Ast::Not(Box::new(set("c", 16)))])
            ])
        );
        // x AND a NEAR/3 b  ==  x AND (a NEAR/3 b)
        let ast = parse("x AND a near/3 \"H200\"").unwrap();
        assert_eq!(
            ast,
            Ast::And(vec![
                set("x", 1),
                Ast::Near {
                    within: Within::Words(3),
                    left: Box::new(set("a", 7)),
                    right: Box::new(Ast::Term {
                        text: "H200".into(),
                        column: 16
                    })
                }
            ])
        );
    }

    #[test]
    fn parentheses_group() {
        let ast = parse("(a OR b) AND c").unwrap();
        assert_eq!(
            ast,
            Ast::And(vec![Ast::Or(vec![set("a", 2), set("b", 7)]), set("c", 14)])
        );
    }

    #[test]
    fn quoted_terms_with_escapes() {
        let ast = parse(r#""say \"hi\"" OR "a\\b""#).unwrap();
        assert_eq!(
            ast,
            Ast::Or(vec![
                Ast::Term {
                    text: "say \"hi\"".into(),
                    column: 1
                },
                Ast::Term {
                    text: "a\\b".into(),
                    column: 17
                }
            ])
        );
    }

    #[test]
    fn errors_name_the_column() {
        let cases = [
            ("a AND", 6, "expected a set name"),
            ("a AND (b OR c", 14, "expected `)`"),
            ("a NEAR b", 3, "NEAR needs a distance"),
            ("a NEAR/x b", 8, "number of words"),
            ("a NEAR/2 (b AND c)", 10, "NEAR/2 operands"),
            ("NOT a NEAR/2 b", 1, "NEAR/2 operands"),
            ("a NEAR/2 b NEAR/3 c", 12, "cannot be chained"),
            ("a b", 3, "expected AND, OR"),
            ("\"open", 1, "unterminated"),
            ("a & b", 3, "unexpected character `&`"),
            ("", 1, "found the end"),
        ];
        for (src, column, msg) in cases {
            let e = parse(src).unwrap_err();
            assert_eq!(e.column, column, "{src}: {e:?}");
            assert!(e.message.contains(msg), "{src}: {e:?}");
        }
    }

    #[test]
    fn nesting_is_refused_past_max_depth_at_the_operator_that_opens_the_level() {
        let parens = |n: usize| format!("{}a{}", "(".repeat(n), ")".repeat(n));
        let nots = |n: usize| format!("{}a", "NOT ".repeat(n));
        assert!(parse(&parens(MAX_DEPTH)).is_ok());
        assert!(parse(&format!("a AND {}", nots(MAX_DEPTH))).is_ok());
        // Levels close again: depth is what is open at once, not a total.
        let siblings = vec![parens(MAX_DEPTH); 3].join(" OR ");
        assert!(parse(&siblings).is_ok());
        // `NOT (` alternating, 32 of each: 64 levels.
        let mixed = |n: usize| format!("{}a{}", "NOT (".repeat(n), ")".repeat(n));
        assert!(parse(&mixed(MAX_DEPTH / 2)).is_ok());

        let message = format!(
            "nesting deeper than {MAX_DEPTH} levels (each `(`, NOT, FIRST, ATLEAST and field: is one)"
        );
        let cases = [
            (parens(MAX_DEPTH + 1), MAX_DEPTH + 1),
            (nots(MAX_DEPTH + 1), 4 * MAX_DEPTH + 1),
            // 33 `NOT (`: the 65th level is the 33rd NOT.
            (mixed(MAX_DEPTH / 2 + 1), 5 * (MAX_DEPTH / 2) + 1),
            // Unclosed, and far deeper than any stack (issue 14: 8,345
            // parentheses or 27,624 NOTs aborted the process).
            ("(".repeat(100_000), MAX_DEPTH + 1),
            (nots(100_000), 4 * MAX_DEPTH + 1),
        ];
        for (src, column) in cases {
            let e = parse(&src).unwrap_err();
            let shown = &src[..src.len().min(40)];
            assert_eq!(
                (e.column, e.message.as_str()),
                (column, message.as_str()),
                "{shown}"
            );
        }
    }

    #[test]
    fn a_near_distance_over_the_limit_is_refused_naming_it() {
        let max = parse("a NEAR/4294967295 b").unwrap();
        assert!(
            matches!(
                max,
                Ast::Near {
                    within: Within::Words(MAX_NEAR),
                    ..
                }
            ),
            "{max:?}"
        );
        assert!(matches!(
            parse("a NEAR/0 b").unwrap(),
            Ast::Near {
                within: Within::Words(0),
                ..
            }
        ));
        assert!(matches!(
            parse("a NEAR/007 b").unwrap(),
            Ast::Near {
                within: Within::Words(7),
                ..
            }
        ));
        let too_far = |digits: &str| {
            let e = parse(&format!("a NEAR/{digits} b")).unwrap_err();
            (e.column, e.message)
        };
        let over =
            |shown: &str| format!("NEAR/{shown}: the distance may be at most 4294967295 words");
        assert_eq!(too_far("4294967296"), (8, over("4294967296")));
        assert_eq!(
            too_far("18446744073709551616"),
            (8, over("18446744073709551616"))
        );
        // A megabyte of digits is cut to 40 in the message.
        let long = "9".repeat(1 << 20);
        assert_eq!(too_far(&long), (8, over(&format!("{}…", "9".repeat(40)))));
        // No digits: a negative number is not one.
        let e = parse("a NEAR/-1 b").unwrap_err();
        assert_eq!(
            (e.column, e.message.as_str()),
            (
                8,
                "NEAR/ must be followed by a number of words, S (one sentence) or P (one paragraph)"
            )
        );
    }

    #[test]
    fn the_operators_of_spec_2b_parse_with_their_precedence() {
        let term = |text: &str, column| Ast::Term {
            text: text.into(),
            column,
        };
        let near = |within, left, right| Ast::Near {
            within,
            left: Box::new(left),
            right: Box::new(right),
        };
        let cases = [
            (
                "a PRE/2 b",
                near(Within::Ordered(2), set("a", 1), set("b", 9)),
            ),
            (
                "a onear/2 b",
                near(Within::Ordered(2), set("a", 1), set("b", 11)),
            ),
            (
                "a NOT NEAR/5 b",
                near(Within::Apart(5), set("a", 1), set("b", 14)),
            ),
            (
                "a near/s b",
                near(Within::Sentence, set("a", 1), set("b", 10)),
            ),
            (
                "a NEAR/P \"x\"",
                near(Within::Paragraph, set("a", 1), term("x", 10)),
            ),
            (
                "FIRST/40 (a OR b)",
                Ast::First {
                    n: 40,
                    inner: Box::new(Ast::Or(vec![set("a", 11), set("b", 16)])),
                },
            ),
            (
                "atleast/3 a",
                Ast::AtLeast {
                    n: 3,
                    inner: Box::new(set("a", 11)),
                },
            ),
            // A scope binds tighter than NEAR and AND.
            (
                "title:a AND lang:(ru OR zh)",
                Ast::And(vec![
                    Ast::Scope {
                        name: "title".into(),
                        column: 1,
                        inner: Box::new(set("a", 7)),
                    },
                    Ast::Scope {
                        name: "lang".into(),
                        column: 13,
                        inner: Box::new(Ast::Or(vec![set("ru", 19), set("zh", 25)])),
                    },
                ]),
            ),
            (
                "body:(a NEAR/3 b)",
                Ast::Scope {
                    name: "body".into(),
                    column: 1,
                    inner: Box::new(near(Within::Words(3), set("a", 7), set("b", 16))),
                },
            ),
            (
                "site:reuters.com AND source:\"TASS\"",
                Ast::And(vec![
                    Ast::Scope {
                        name: "site".into(),
                        column: 1,
                        inner: Box::new(set("reuters.com", 6)),
                    },
                    Ast::Scope {
                        name: "source".into(),
                        column: 22,
                        inner: Box::new(term("TASS", 29)),
                    },
                ]),
            ),
            // Without a `/`, FIRST, PRE, ONEAR and ATLEAST are set names.
            (
                "first AND pre",
                Ast::And(vec![set("first", 1), set("pre", 11)]),
            ),
        ];
        for (src, want) in cases {
            assert_eq!(parse(src).unwrap(), want, "{src}");
        }
    }

    #[test]
    fn the_operators_of_spec_2b_are_refused_with_their_column() {
        let cases = [
            ("FIRST/0 a", 7, "FIRST/0: the least is FIRST/1"),
            ("ATLEAST/0 a", 9, "ATLEAST/0: the least is ATLEAST/1"),
            (
                "FIRST/x a",
                7,
                "FIRST/ must be followed by a number of words",
            ),
            ("a PRE/ b", 7, "PRE/ must be followed by a number of words"),
            (
                "a NEAR/Q b",
                8,
                "NEAR/ must be followed by a number of words, S",
            ),
            ("a NEAR/S (b AND c)", 10, "NEAR/S operands must be sets"),
            ("(a AND b) PRE/1 c", 1, "PRE/1 operands must be sets"),
            ("FIRST/3 (a AND b)", 9, "FIRST/3 operands must be sets"),
            ("ATLEAST/2 NOT a", 11, "ATLEAST/2 operands must be sets"),
            (
                "FIRST/3 title:a",
                9,
                "FIRST/3 operands must be sets, quoted terms, or a parenthesised OR of those; \
                 to scope it to a field, write title:(FIRST/3 …)",
            ),
            ("title:a NEAR/2 b", 1, "NEAR/2 operands must be sets"),
            (
                "a NOT b",
                3,
                "NOT after an operand must be followed by NEAR/n",
            ),
            ("a NOT PRE/2 b", 3, "NOT may only precede NEAR/n here"),
            ("a NOT NEAR/S b", 3, "NOT may only precede NEAR/n here"),
            ("a PRE/2 b NEAR/S c", 11, "NEAR/S cannot be chained"),
            ("title:", 7, "expected a set name"),
            (
                "ATLEAST/4294967296 a",
                9,
                "the count may be at most 4294967295",
            ),
            (
                "FIRST/4294967296 a",
                7,
                "the distance may be at most 4294967295 words",
            ),
        ];
        for (src, column, msg) in cases {
            let e = parse(src).unwrap_err();
            assert_eq!(e.column, column, "{src}: {e:?}");
            assert!(e.message.contains(msg), "{src}: {e:?}");
        }
    }

    #[test]
    fn scopes_and_counts_nest_up_to_the_limit() {
        let scopes = |n: usize| format!("{}a", "title:".repeat(n));
        assert!(parse(&scopes(MAX_DEPTH)).is_ok());
        let e = parse(&scopes(MAX_DEPTH + 1)).unwrap_err();
        assert_eq!(e.column, 6 * MAX_DEPTH + 1);
    }

    #[test]
    fn near_accepts_or_groups() {
        assert!(parse("(a OR \"b\") NEAR/0 c").is_ok());
    }

    #[test]
    fn set_names() {
        assert!(is_valid_set_name("chips"));
        assert!(is_valid_set_name("export-controls_2"));
        assert!(!is_valid_set_name("near"));
        assert!(!is_valid_set_name("two words"));
        assert!(!is_valid_set_name(""));
    }
}
