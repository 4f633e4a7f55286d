//! The document layer: watchlist TOML into raw sets and rules, each key
//! checked for its type, every problem of the document's shape collected
//! (SPEC section 2: every problem of the file at once).
//!
//! The text is parsed into spanned TOML values ([`DeTable`]) rather than
//! deserialized into structs, because serde stops at the first wrong type or
//! unknown key; here each set and rule, and each key of them, is checked on
//! its own. Only a TOML syntax error stops the reading (the parser cannot go
//! on past it), as one problem.
//!
//! Owns the keys of the file, their types and which are required; knows
//! nothing of what a term, a set name or an expression means (`load` checks
//! those).

use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue};

use super::error::Problems;
use super::{Place, ProblemKind};
use crate::toml_depth;

/// The keys of the file, of a set and of a rule, in the order the messages
/// list them.
const FILE_KEYS: &[&str] = &["sets", "rules"];
const SET_KEYS: &[&str] = &["terms", "case_sensitive", "confusables"];
const RULE_KEYS: &[&str] = &["id", "when", "severity", "description", "sinks"];

/// What `expected` says of a value of each type.
const STRING: &str = "a string";
const STRINGS: &str = "an array of strings";
const BOOLEAN: &str = "true or false";
const TABLE: &str = "a table";

/// Every set and rule of the document, each with the keys that have the
/// right type; the others are reported.
pub(super) struct RawWatchlist {
    /// The sets, ordered by name.
    pub(super) sets: Vec<RawSet>,
    /// The `[[rules]]` entries that are tables, in file order.
    pub(super) rules: Vec<RawRule>,
}

/// A `[sets.NAME]` table, or the name of a set whose value is no table (then
/// with no terms), so that rules naming it are not also reported.
pub(super) struct RawSet {
    /// The name after `sets.`.
    pub(super) name: String,
    /// Where the set starts: its header.
    pub(super) at: usize,
    /// `terms`, its string items only, each with its 1-based position in
    /// the array; `None` when missing or not an array (reported).
    pub(super) terms: Option<Vec<(usize, Spanned<String>)>>,
    /// `terms = []`: an array without items (not one whose items are all
    /// of the wrong type, which are reported).
    pub(super) no_terms: bool,
    /// `case_sensitive`; false when absent or not a boolean (reported).
    pub(super) case_sensitive: bool,
    /// `confusables`, with where it is written; `None` when absent or not
    /// a boolean (reported).
    pub(super) confusables: Option<Spanned<bool>>,
}

/// A `[[rules]]` entry.
pub(super) struct RawRule {
    /// 1-based position among the `[[rules]]` entries, to name a rule
    /// without a usable id.
    pub(super) number: usize,
    /// Where the rule starts: its header.
    pub(super) at: usize,
    /// `id`; `None` when missing or not a string (reported).
    pub(super) id: Option<Spanned<String>>,
    /// `when`; `None` when missing or not a string (reported).
    pub(super) when: Option<Spanned<String>>,
    /// `severity`, when a string.
    pub(super) severity: Option<Spanned<String>>,
    /// `description`, when a string.
    pub(super) description: Option<String>,
    /// `sinks`, its string items only, when an array.
    pub(super) sinks: Option<Vec<Spanned<String>>>,
}

impl RawRule {
    /// The place of this rule's problems: its trimmed id, or `#number` when
    /// the id is missing, no string, or empty.
    pub(super) fn place(&self) -> Place {
        match self.id.as_ref().map(|id| id.get_ref().trim()) {
            Some(id) if !id.is_empty() => Place::Rule(id.to_owned()),
            _ => Place::Rule(format!("#{}", self.number)),
        }
    }
}

/// Reads the document `src`, adding each problem of its shape to
/// `problems`; `None` after a TOML syntax error (reported).
pub(super) fn read(src: &str, problems: &mut Problems) -> Option<RawWatchlist> {
    let doc = match DeTable::parse(src) {
        Ok(doc) => doc,
        Err(e) => {
            let kind = ProblemKind::Toml(toml_depth::message(&e));
            problems.push(toml_depth::error_at(src, &e), Place::File, kind);
            return None;
        }
    };
    let mut r = Reader { problems };
    let mut raw = RawWatchlist {
        sets: Vec::new(),
        rules: Vec::new(),
    };
    // Absent, or an empty array; a `rules` of another type is reported as
    // such instead.
    let mut no_rules = true;
    for (key, value) in in_file_order(doc.get_ref()) {
        match key.get_ref().as_ref() {
            "sets" => raw.sets = r.sets(value),
            "rules" => {
                no_rules = value.get_ref().as_array().is_some_and(|a| a.is_empty());
                raw.rules = r.rules(value);
            }
            _ => r.unknown_key(key, &Place::File, FILE_KEYS),
        }
    }
    if no_rules {
        r.problems.push(None, Place::File, ProblemKind::NoRules);
    }
    raw.sets.sort_by(|a, b| a.name.cmp(&b.name));
    Some(raw)
}

/// A key of a table and its value, both with their spans.
type Entry<'t, 'i> = (&'t Spanned<DeString<'i>>, &'t Spanned<DeValue<'i>>);

/// The entries of a table in the order they are written (the map orders
/// them by key), so that problems on one line come out in column order.
fn in_file_order<'t, 'i>(table: &'t DeTable<'i>) -> Vec<Entry<'t, 'i>> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    entries
}

/// Describes a value found where another type was expected, naming short
/// scalars: `the string "true"`, `the integer 1`, `an array`.
fn found(value: &DeValue<'_>) -> String {
    /// Characters of a string shown in full; a longer one is cut there.
    const SHOWN: usize = 40;
    match value {
        DeValue::String(s) if s.chars().count() > SHOWN => {
            let cut: String = s.chars().take(SHOWN).collect();
            format!("the string {cut:?}…")
        }
        DeValue::String(s) => format!("the string {s:?}"),
        DeValue::Integer(i) => format!("the integer {i}"),
        DeValue::Float(f) => format!("the float {f}"),
        DeValue::Boolean(b) => format!("the boolean {b}"),
        DeValue::Datetime(d) => format!("the datetime {d}"),
        DeValue::Array(_) => "an array".to_owned(),
        DeValue::Table(_) => "a table".to_owned(),
    }
}

/// Reads values, reporting each one of the wrong type.
struct Reader<'p, 's> {
    problems: &'p mut Problems<'s>,
}

impl Reader<'_, '_> {
    fn wrong_type(
        &mut self,
        value: &Spanned<DeValue<'_>>,
        place: &Place,
        key: &str,
        expected: &'static str,
    ) {
        let kind = ProblemKind::WrongType {
            key: key.to_owned(),
            expected,
            found: found(value.get_ref()),
        };
        self.problems
            .push(Some(value.span().start), place.clone(), kind);
    }

    fn unknown_key(
        &mut self,
        key: &Spanned<DeString<'_>>,
        place: &Place,
        known: &'static [&'static str],
    ) {
        let kind = ProblemKind::UnknownKey {
            key: key.get_ref().to_string(),
            known,
        };
        self.problems
            .push(Some(key.span().start), place.clone(), kind);
    }

    fn missing_key(&mut self, at: usize, place: &Place, key: &'static str) {
        self.problems
            .push(Some(at), place.clone(), ProblemKind::MissingKey(key));
    }

    fn string(
        &mut self,
        value: &Spanned<DeValue<'_>>,
        place: &Place,
        key: &str,
    ) -> Option<Spanned<String>> {
        match value.get_ref() {
            DeValue::String(s) => Some(Spanned::new(value.span(), s.to_string())),
            _ => {
                self.wrong_type(value, place, key, STRING);
                None
            }
        }
    }

    fn boolean(
        &mut self,
        value: &Spanned<DeValue<'_>>,
        place: &Place,
        key: &str,
    ) -> Option<Spanned<bool>> {
        match value.get_ref() {
            DeValue::Boolean(b) => Some(Spanned::new(value.span(), *b)),
            _ => {
                self.wrong_type(value, place, key, BOOLEAN);
                None
            }
        }
    }

    /// An array of strings: its string items, each with its 1-based
    /// position in the array; each other item reported.
    fn strings(
        &mut self,
        value: &Spanned<DeValue<'_>>,
        place: &Place,
        key: &str,
    ) -> Option<Vec<(usize, Spanned<String>)>> {
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_type(value, place, key, STRINGS);
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match item.get_ref() {
                DeValue::String(s) => out.push((i + 1, Spanned::new(item.span(), s.to_string()))),
                other => {
                    let kind = ProblemKind::WrongItemType {
                        key: key.to_owned(),
                        index: i + 1,
                        expected: STRING,
                        found: found(other),
                    };
                    self.problems
                        .push(Some(item.span().start), place.clone(), kind);
                }
            }
        }
        Some(out)
    }

    /// The `sets` table: each of its entries a set.
    fn sets(&mut self, value: &Spanned<DeValue<'_>>) -> Vec<RawSet> {
        let DeValue::Table(table) = value.get_ref() else {
            self.wrong_type(
                value,
                &Place::File,
                "sets",
                "a table of sets (`[sets.NAME]` tables)",
            );
            return Vec::new();
        };
        in_file_order(table)
            .into_iter()
            .map(|(name, value)| self.set(name.get_ref(), value))
            .collect()
    }

    fn set(&mut self, name: &str, value: &Spanned<DeValue<'_>>) -> RawSet {
        let place = Place::Set(name.to_owned());
        let mut set = RawSet {
            name: name.to_owned(),
            at: value.span().start,
            terms: None,
            no_terms: false,
            case_sensitive: false,
            confusables: None,
        };
        let DeValue::Table(table) = value.get_ref() else {
            self.wrong_type(value, &place, &format!("sets.{name}"), TABLE);
            return set;
        };
        let mut has_terms = false;
        for (key, value) in in_file_order(table) {
            match key.get_ref().as_ref() {
                "terms" => {
                    has_terms = true;
                    set.no_terms = value.get_ref().as_array().is_some_and(|a| a.is_empty());
                    set.terms = self.strings(value, &place, "terms");
                }
                "case_sensitive" => {
                    set.case_sensitive = self
                        .boolean(value, &place, "case_sensitive")
                        .is_some_and(Spanned::into_inner);
                }
                "confusables" => set.confusables = self.boolean(value, &place, "confusables"),
                _ => self.unknown_key(key, &place, SET_KEYS),
            }
        }
        if !has_terms {
            self.missing_key(set.at, &place, "terms");
        }
        set
    }

    /// The `rules` array: each of its items a rule.
    fn rules(&mut self, value: &Spanned<DeValue<'_>>) -> Vec<RawRule> {
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_type(
                value,
                &Place::File,
                "rules",
                "an array of tables (`[[rules]]` entries)",
            );
            return Vec::new();
        };
        let mut rules = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let DeValue::Table(table) = item.get_ref() else {
                let kind = ProblemKind::WrongItemType {
                    key: "rules".to_owned(),
                    index: i + 1,
                    expected: TABLE,
                    found: found(item.get_ref()),
                };
                let place = Place::Rule(format!("#{}", i + 1));
                self.problems.push(Some(item.span().start), place, kind);
                continue;
            };
            rules.push(self.rule(i + 1, item.span().start, table));
        }
        rules
    }

    fn rule(&mut self, number: usize, at: usize, table: &DeTable<'_>) -> RawRule {
        let mut rule = RawRule {
            number,
            at,
            id: None,
            when: None,
            severity: None,
            description: None,
            sinks: None,
        };
        // The id first: it names the rule in the other keys' problems.
        let id = table.get("id");
        if let Some(id) = id {
            rule.id = self.string(id, &rule.place(), "id");
        }
        let place = rule.place();
        if id.is_none() {
            self.missing_key(at, &place, "id");
        }
        let mut has_when = false;
        for (key, value) in in_file_order(table) {
            match key.get_ref().as_ref() {
                "id" => {}
                "when" => {
                    has_when = true;
                    rule.when = self.string(value, &place, "when");
                }
                "severity" => rule.severity = self.string(value, &place, "severity"),
                "description" => {
                    rule.description = self
                        .string(value, &place, "description")
                        .map(Spanned::into_inner);
                }
                "sinks" => {
                    rule.sinks = self
                        .strings(value, &place, "sinks")
                        .map(|v| v.into_iter().map(|(_, s)| s).collect());
                }
                _ => self.unknown_key(key, &place, RULE_KEYS),
            }
        }
        if !has_when {
            self.missing_key(at, &place, "when");
        }
        rule
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::super::{Error, Problem, Watchlist};
    use super::*;

    /// Each problem of `src` as (line, place, kind).
    fn problems(src: &str) -> Vec<(Option<usize>, Place, ProblemKind)> {
        Watchlist::parse(src, Some(&["alerts-topic".to_owned()]))
            .unwrap_err()
            .into_iter()
            .map(|p: Problem| (p.line, p.place, p.kind))
            .collect()
    }

    fn wrong(key: &str, expected: &'static str, found: &str) -> ProblemKind {
        ProblemKind::WrongType {
            key: key.into(),
            expected,
            found: found.into(),
        }
    }

    fn wrong_item(key: &str, index: usize, expected: &'static str, found: &str) -> ProblemKind {
        ProblemKind::WrongItemType {
            key: key.into(),
            index,
            expected,
            found: found.into(),
        }
    }

    fn unknown(key: &str, known: &'static [&'static str]) -> ProblemKind {
        ProblemKind::UnknownKey {
            key: key.into(),
            known,
        }
    }

    fn set(name: &str) -> Place {
        Place::Set(name.into())
    }

    fn rule(id: &str) -> Place {
        Place::Rule(id.into())
    }

    #[test]
    fn type_errors_of_several_sets_are_all_listed_in_line_order() {
        // serde stopped at one of these (line 6); the set on line 1 sorts
        // after the other by name, and still comes first.
        let src = r#"[sets.vendors]
terms = "H200"

[sets.acronyms]
terms = ["US"]
case_sensitive = "true"

[[rules]]
id = "r"
when = "vendors OR acronyms"
"#;
        let expect = vec![
            (
                Some(2),
                set("vendors"),
                wrong("terms", STRINGS, "the string \"H200\""),
            ),
            (
                Some(6),
                set("acronyms"),
                wrong("case_sensitive", BOOLEAN, "the string \"true\""),
            ),
        ];
        assert_eq!(problems(src), expect);
        let err = Error {
            file: PathBuf::from("w.toml"),
            problems: Watchlist::parse(src, None).unwrap_err(),
        };
        assert_eq!(
            err.to_string(),
            "w.toml:2: set `vendors`: `terms` must be an array of strings, found the string \"H200\"\n\
             w.toml:6: set `acronyms`: `case_sensitive` must be true or false, found the string \"true\""
        );
    }

    #[test]
    fn every_wrong_key_of_one_set_is_listed() {
        let src = r#"[sets.s]
terms = ["ok", 3, ["x"], "AI *"]
case_sensitive = 1
Terms = ["y"]
bogus = true

[[rules]]
id = "r"
when = "s"
"#;
        let expect = vec![
            (
                Some(2),
                set("s"),
                wrong_item("terms", 2, STRING, "the integer 3"),
            ),
            (
                Some(2),
                set("s"),
                wrong_item("terms", 3, STRING, "an array"),
            ),
            (
                Some(2),
                set("s"),
                ProblemKind::StarAfterNonWord {
                    index: 4,
                    text: "AI *".into(),
                    fix: Some("AI*".into()),
                },
            ),
            (
                Some(3),
                set("s"),
                wrong("case_sensitive", BOOLEAN, "the integer 1"),
            ),
            (Some(4), set("s"), unknown("Terms", SET_KEYS)),
            (Some(5), set("s"), unknown("bogus", SET_KEYS)),
        ];
        assert_eq!(problems(src), expect);
        assert_eq!(
            unknown("bogus", SET_KEYS).to_string(),
            "unknown key `bogus` (known keys: `terms`, `case_sensitive`, `confusables`)"
        );
    }

    #[test]
    fn every_wrong_key_of_each_rule_is_listed() {
        let src = r#"[sets.s]
terms = ["x"]

[[rules]]
id = 5
when = "s"
severity = 3
description = ["d"]
sinks = "alerts-topic"
severity_level = 1

[[rules]]
when = true
sinks = ["alerts-topic", 1]

[[rules]]
id = "ok"
"#;
        let expect = vec![
            (Some(5), rule("#1"), wrong("id", STRING, "the integer 5")),
            (
                Some(7),
                rule("#1"),
                wrong("severity", STRING, "the integer 3"),
            ),
            (
                Some(8),
                rule("#1"),
                wrong("description", STRING, "an array"),
            ),
            (
                Some(9),
                rule("#1"),
                wrong("sinks", STRINGS, "the string \"alerts-topic\""),
            ),
            (Some(10), rule("#1"), unknown("severity_level", RULE_KEYS)),
            (Some(12), rule("#2"), ProblemKind::MissingKey("id")),
            (
                Some(13),
                rule("#2"),
                wrong("when", STRING, "the boolean true"),
            ),
            (
                Some(14),
                rule("#2"),
                wrong_item("sinks", 2, STRING, "the integer 1"),
            ),
            (Some(16), rule("ok"), ProblemKind::MissingKey("when")),
        ];
        assert_eq!(problems(src), expect);
    }

    #[test]
    fn the_file_sets_and_rules_of_the_wrong_shape_are_listed() {
        let src = "set = 1\nsets = 5\nrules = \"r\"\n";
        let expect = vec![
            (Some(1), Place::File, unknown("set", FILE_KEYS)),
            (
                Some(2),
                Place::File,
                wrong(
                    "sets",
                    "a table of sets (`[sets.NAME]` tables)",
                    "the integer 5",
                ),
            ),
            (
                Some(3),
                Place::File,
                wrong(
                    "rules",
                    "an array of tables (`[[rules]]` entries)",
                    "the string \"r\"",
                ),
            ),
        ];
        assert_eq!(problems(src), expect);

        // A set that is no table is still a set name: the rule naming it
        // is not reported as well.
        let src = r#"rules = [1, { id = "r", when = "a OR b" }]
[sets]
a = 1
b = {}
c = { terms = [] }
"#;
        let expect = vec![
            (
                Some(1),
                rule("#1"),
                wrong_item("rules", 1, TABLE, "the integer 1"),
            ),
            (Some(3), set("a"), wrong("sets.a", TABLE, "the integer 1")),
            (Some(4), set("b"), ProblemKind::MissingKey("terms")),
            (Some(5), set("c"), ProblemKind::EmptySet),
        ];
        assert_eq!(problems(src), expect);

        let expect = vec![(None, Place::File, ProblemKind::NoRules)];
        assert_eq!(problems("[sets.a]\nterms = [\"x\"]\n"), expect);
        assert_eq!(problems("rules = []\n"), expect);
    }

    #[test]
    fn confusables_is_a_boolean_and_not_with_case_sensitive() {
        let src = r#"[sets.chips]
terms = ["H200"]
confusables = true

[sets.acronyms]
terms = ["US"]
confusables = true
case_sensitive = true

[sets.plain]
terms = ["x"]
confusables = "yes"

[[rules]]
id = "r"
when = "chips OR acronyms OR plain"
"#;
        let expect = vec![
            (
                Some(7),
                set("acronyms"),
                ProblemKind::ConfusablesWithCaseSensitive,
            ),
            (
                Some(12),
                set("plain"),
                wrong("confusables", BOOLEAN, "the string \"yes\""),
            ),
        ];
        assert_eq!(problems(src), expect);
        assert_eq!(
            ProblemKind::ConfusablesWithCaseSensitive.to_string(),
            "confusables and case_sensitive cannot be combined: skeleton matching folds case"
        );

        let src = r#"[sets.chips]
terms = ["H200"]
confusables = true

[sets.acronyms]
terms = ["US"]
confusables = false
case_sensitive = true

[sets.plain]
terms = ["x"]

[[rules]]
id = "r"
when = "chips OR acronyms OR plain"
"#;
        let w = Watchlist::parse(src, None).expect("loads");
        let flags: Vec<_> = w
            .sets
            .iter()
            .map(|s| (&*s.name, s.confusables, s.case_sensitive))
            .collect();
        assert_eq!(
            flags,
            [
                ("acronyms", false, true),
                ("chips", true, false),
                ("plain", false, false)
            ]
        );
    }

    #[test]
    fn a_long_string_found_is_cut() {
        let src = format!("[sets.s]\nterms = \"{}\"\n", "x".repeat(100));
        let found = format!("the string \"{}\"…", "x".repeat(40));
        let expect = vec![
            (None, Place::File, ProblemKind::NoRules),
            (Some(2), set("s"), wrong("terms", STRINGS, &found)),
        ];
        assert_eq!(problems(&src), expect);
    }

    #[test]
    fn a_toml_syntax_error_is_the_only_problem() {
        let src = "[sets.a]\nterms = [\"x\"\ncase_sensitive = \"no\"\n[[rules]]\n";
        let expect = vec![(
            Some(3),
            Place::File,
            ProblemKind::Toml("missing comma between array elements, expected `,`".into()),
        )];
        assert_eq!(problems(src), expect);
        let src = "[sets.a]\nterms = [\"x\"]\n[sets.a]\nterms = [\"y\"]\n";
        let expect = vec![(
            Some(3),
            Place::File,
            ProblemKind::Toml("duplicate key".into()),
        )];
        assert_eq!(problems(src), expect);
    }

    #[test]
    fn a_key_of_100k_dotted_parts_is_refused_on_its_line() {
        // toml reports this one error without a place ("recursion limit").
        let key = vec!["a"; 100_000].join(".");
        for line in [format!("{key} = 1"), format!("[{key}]")] {
            let src = format!("[sets.a]\nterms = [\"x\"]\n{line}\n");
            let expect = vec![(
                Some(3),
                Place::File,
                ProblemKind::Toml(
                    "a key or table header has more than the 80 dotted parts TOML takes".into(),
                ),
            )];
            assert_eq!(problems(&src), expect);
        }
    }
}
