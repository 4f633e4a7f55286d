//! Rule expressions (`when`): tokenizer and recursive-descent parser.
//!
//! Precedence, tightest first: `NOT`, `NEAR/n`, `AND`, `OR`; parentheses
//! group; keywords are case-insensitive. Operands are set names or quoted
//! inline terms. NEAR takes only operands or a parenthesised OR of them.
//! The parser resolves nothing: set names stay names, checked by the loader.
//! It gives operators no meaning either: that is the evaluator in
//! `engine::rules`.

/// How deep parentheses and `NOT`s may nest in one expression: each `(`
/// and each `NOT` is a level, counted while it is open (`NOT (a AND NOT
/// b)` is three deep); the parser refuses the operator that would open
/// level 65, naming its column.
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

/// The largest `n` of `NEAR/n`: 4,294,967,295 words (`u32::MAX`); a larger
/// distance is refused, naming this limit. It takes nothing away: a field
/// has at most `text::normalize::MAX_TEXT_BYTES` (390,451,572) bytes, so
/// fewer words than that, and `NEAR/4294967295` already holds for any two
/// matches in one field.
pub const MAX_NEAR: u32 = u32::MAX;

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
    /// `left NEAR/n right`; each side an operand or an `Or` of operands.
    Near {
        /// Words allowed strictly between the matches.
        n: u32,
        /// The left operand or OR group.
        left: Box<Ast>,
        /// The right operand or OR group.
        right: Box<Ast>,
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
    And,
    Or,
    Not,
    Near(u32),
    Open,
    Close,
    End,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Str(s) => format!("\"{s}\""),
            Tok::And => "AND".into(),
            Tok::Or => "OR".into(),
            Tok::Not => "NOT".into(),
            Tok::Near(n) => format!("NEAR/{n}"),
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
    !name.is_empty() && name.chars().all(is_name_char) && keyword(name).is_none()
}

fn keyword(word: &str) -> Option<Tok> {
    match word.to_ascii_uppercase().as_str() {
        "AND" => Some(Tok::And),
        "OR" => Some(Tok::Or),
        "NOT" => Some(Tok::Not),
        "NEAR" => Some(Tok::Near(0)),
        _ => None,
    }
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
            match keyword(&word) {
                Some(Tok::Near(_)) => {
                    if chars.get(i) != Some(&'/') {
                        return Err(err(col, "NEAR needs a distance, as in NEAR/5"));
                    }
                    i += 1;
                    let ds = i;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                    toks.push((Tok::Near(near_distance(&chars[ds..i], ds + 1)?), col));
                }
                Some(k) => toks.push((k, col)),
                None => toks.push((Tok::Ident(word), col)),
            }
        } else {
            return Err(err(col, format!("unexpected character `{c}`")));
        }
    }
    toks.push((Tok::End, chars.len() + 1));
    Ok(toks)
}

/// The `n` of `NEAR/n` from its ASCII digits `digits`, which start at
/// column `column`: an error when there are none or they are more than
/// [`MAX_NEAR`].
fn near_distance(digits: &[char], column: usize) -> Result<u32, SyntaxError> {
    if digits.is_empty() {
        return Err(err(column, "NEAR/ must be followed by a number of words"));
    }
    let written: String = digits.iter().collect();
    written.parse::<u32>().map_err(|_| {
        // Only digits: the number is too large. Shown whole up to 40
        // digits, as it may be a megabyte long.
        let shown = match written.char_indices().nth(40) {
            Some((cut, _)) => format!("{}…", &written[..cut]),
            None => written.clone(),
        };
        err(
            column,
            format!("NEAR/{shown}: the distance may be at most {MAX_NEAR} words"),
        )
    })
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    /// `(`s and `NOT`s open at the current token: the recursion depth,
    /// at most [`MAX_DEPTH`].
    depth: usize,
}

impl Parser {
    /// Opens a level for the `(` or `NOT` at `column`; an error past
    /// [`MAX_DEPTH`]. The caller closes it with [`Parser::leave`] once its
    /// operand is parsed (an error ends the parse, so only success leaves).
    fn enter(&mut self, column: usize) -> Result<(), SyntaxError> {
        if self.depth == MAX_DEPTH {
            return Err(err(
                column,
                format!("nesting deeper than {MAX_DEPTH} levels (each `(` and NOT is one)"),
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

    fn near(&mut self) -> Result<Ast, SyntaxError> {
        let left_col = self.peek().1;
        let left = self.unary()?;
        let Tok::Near(n) = self.peek().0 else {
            return Ok(left);
        };
        let near_col = self.bump().1;
        let right_col = self.peek().1;
        let right = self.unary()?;
        check_near_operand(&left, left_col)?;
        check_near_operand(&right, right_col)?;
        if let (Tok::Near(_), col) = self.peek() {
            return Err(err(
                *col,
                format!(
                    "NEAR cannot be chained (the NEAR at column {near_col} already has two operands); \
                     join the conditions with AND"
                ),
            ));
        }
        Ok(Ast::Near {
            n,
            left: Box::new(left),
            right: Box::new(right),
        })
    }

    fn unary(&mut self) -> Result<Ast, SyntaxError> {
        if self.peek().0 == Tok::Not {
            let (_, col) = self.bump();
            self.enter(col)?;
            let inner = self.unary()?;
            self.leave();
            return Ok(Ast::Not(Box::new(inner)));
        }
        self.primary()
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

fn check_near_operand(ast: &Ast, column: usize) -> Result<(), SyntaxError> {
    let simple = |a: &Ast| matches!(a, Ast::Set { .. } | Ast::Term { .. });
    let ok = match ast {
        Ast::Or(items) => items.iter().all(simple),
        other => simple(other),
    };
    if ok {
        Ok(())
    } else {
        Err(err(
            column,
            "NEAR operands must be sets, quoted terms, or a parenthesised OR of those",
        ))
    }
}

/// Parses a `when` expression.
///
/// # Errors
///
/// The first [`SyntaxError`]: an unexpected character or token, an
/// unterminated quoted term or bad escape, NEAR without a distance or with
/// one over [`MAX_NEAR`], a NEAR operand that is not an operand or OR group of them, chained NEARs, an
/// unclosed parenthesis, parentheses and `NOT`s nested deeper than
/// [`MAX_DEPTH`].
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
                    n: 3,
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
            ("a NEAR/2 (b AND c)", 10, "NEAR operands"),
            ("NOT a NEAR/2 b", 1, "NEAR operands"),
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

        let message = format!("nesting deeper than {MAX_DEPTH} levels (each `(` and NOT is one)");
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
        assert!(matches!(max, Ast::Near { n: MAX_NEAR, .. }), "{max:?}");
        assert!(matches!(
            parse("a NEAR/0 b").unwrap(),
            Ast::Near { n: 0, .. }
        ));
        assert!(matches!(
            parse("a NEAR/007 b").unwrap(),
            Ast::Near { n: 7, .. }
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
            (8, "NEAR/ must be followed by a number of words")
        );
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
