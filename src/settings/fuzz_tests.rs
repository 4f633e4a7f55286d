//! Fuzzing the settings loader (issue 13): arbitrary text, TOML token soup,
//! generated configurations of every key with hostile values, structured
//! mutations of `config/newswatch.toml`, and `NEWSWATCH__…` variables.
//! Parsing never panics; every error names its place (the TOML line and
//! column, or the key, SPEC section 5); an accepted configuration decodes
//! an item with its input options. Then the adversarial classes: huge
//! numbers and deep nesting.

use proptest::prelude::*;

use super::{Error, Settings};
use crate::fuzz_support::{apply, edits, soup};
use crate::item::decode;

/// The configuration file the daemon ships.
const SHIPPED: &str = include_str!("../../config/newswatch.toml");

/// Pieces of configuration TOML.
const TOKENS: &[&str] = &[
    "[kafka]",
    "[kafka.consumer]",
    "[input]",
    "[alerts]",
    "[pipeline]",
    "[[sinks]]",
    "[log]",
    "[http]",
    "[",
    "]",
    "{",
    "}",
    "=",
    ",",
    ".",
    "\n",
    " ",
    "#",
    "\"",
    "'",
    "\\",
    "max_bytes",
    "fields",
    "brokers",
    "name",
    "type",
    "1",
    "-1",
    "1.5",
    "1e400",
    "99999999999999999999",
    "0x7fffffffffffffffff",
    "nan",
    "inf",
    "\"5s\"",
    "\"500000000000y\"",
    "true",
];

/// Keys of the file, each with the section it is in.
const KEYS: &[(&str, &str)] = &[
    ("kafka", "brokers"),
    ("kafka", "group_id"),
    ("kafka", "topics"),
    ("kafka.consumer", "\"security.protocol\""),
    ("kafka.consumer", "\"enable.auto.commit\""),
    ("kafka.producer", "acks"),
    ("input", "format"),
    ("input", "fields"),
    ("input", "max_bytes"),
    ("watchlist", "path"),
    ("watchlist", "reload"),
    ("alerts", "source"),
    ("alerts", "dedup_window"),
    ("alerts", "snippet_chars"),
    ("alerts", "max_matches"),
    ("alerts", "story_similarity"),
    ("alerts", "story_window"),
    ("alerts", "story_capacity"),
    ("alerts", "stories_topic"),
    ("pipeline", "max_in_flight"),
    ("pipeline", "shutdown_timeout"),
    ("dead_letter", "topic"),
    ("http", "listen"),
    ("log", "format"),
    ("log", "level"),
    ("sinks", "name"),
    ("sinks", "type"),
    ("sinks", "topic"),
    ("sinks", "url"),
    ("sinks", "timeout"),
    ("sinks", "max_in_flight"),
    ("sinks", "secret_env"),
    ("input", "unknown"),
];

/// Values for them, valid for some keys and hostile for all.
const VALUES: &[&str] = &[
    "0",
    "1",
    "-1",
    "1.5",
    "nan",
    "-inf",
    "1e400",
    "9223372036854775807",
    "99999999999999999999999",
    "-99999999999999999999999",
    "0x7fffffffffffffffff",
    "0b1",
    "true",
    "1979-05-27T07:32:00Z",
    "\"\"",
    "\"5s\"",
    "\"366d\"",
    "\"500000000000y\"",
    "\"json\"",
    "\"text\"",
    "\"kafka\"",
    "\"webhook\"",
    "\"stdout\"",
    "\"http://x\"",
    "\"0.0.0.0:0\"",
    "\"[\"",
    "\"info,a=b=c\"",
    "\"\\u0000\"",
    "[]",
    "[\"title\"]",
    "[1]",
    "[[1]]",
    "{}",
    "{ a = 1 }",
    "{ a = { b = 1e400 } }",
];

/// A configuration of up to 12 keys with values from [`VALUES`], each
/// under its section's header (`[[sinks]]` opening a sink).
fn generated() -> impl Strategy<Value = String> {
    let entry = (prop::sample::select(KEYS), prop::sample::select(VALUES));
    prop::collection::vec(entry, 0..12).prop_map(|entries| {
        entries
            .iter()
            .map(|((section, key), value)| match *section {
                "sinks" => format!("[[sinks]]\n{key} = {value}\n"),
                _ => format!("[{section}]\n{key} = {value}\n"),
            })
            .collect()
    })
}

/// `NEWSWATCH__…` variables: one to three of the keys, or of made-up
/// paths, with arbitrary values.
fn variables() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![
        3 => prop::sample::select(KEYS).prop_map(|(section, key)| {
            let path = format!("{section}.{}", key.trim_matches('"'));
            format!("NEWSWATCH__{}", path.replace('.', "__").to_uppercase())
        }),
        1 => "NEWSWATCH__[A-Z_]{0,12}",
    ];
    let value = prop_oneof![
        3 => prop::sample::select(VALUES).prop_map(|v| v.trim_matches('"').to_owned()),
        1 => ".{0,12}",
    ];
    prop::collection::vec((name, value), 1..3)
}

/// Parses `text` with the variables `env`: an error must name its place,
/// an accepted configuration decodes an item.
fn check(text: &str, env: Vec<(String, String)>) -> Result<(), TestCaseError> {
    match Settings::parse(text, env) {
        Ok(settings) => {
            let item = br#"{"title": "H200 export", "body": "x"}"#;
            let _ = decode(item, &settings.input);
            let _ = settings.sink_names();
        }
        Err(Error::Load(message)) => {
            // A key of the file at the top level is named alone.
            let placed = message.starts_with("TOML parse error at line ")
                || message.contains(" for key `")
                || (message.starts_with("unknown field `")
                    && !message.starts_with("unknown field ``"));
            prop_assert!(placed, "no place: {}", message);
        }
        Err(Error::Invalid(invalid)) => {
            prop_assert!(!invalid.is_empty());
            for i in &invalid {
                prop_assert!(!i.key.is_empty() && !i.message.is_empty(), "{:?}", i);
            }
        }
        Err(e @ Error::FileTooLarge(_)) => {
            return Err(TestCaseError::fail(format!("parse reads no file: {e}")));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_parses_or_the_error_names_its_line_or_key(
        chars in prop::collection::vec(any::<char>(), 0..200),
    ) {
        check(&chars.into_iter().collect::<String>(), Vec::new())?;
    }

    #[test]
    fn toml_token_soup_parses_or_the_error_names_its_line_or_key(text in soup(TOKENS, 48)) {
        check(&text, Vec::new())?;
    }

    #[test]
    fn generated_configurations_parse_or_each_error_names_its_key(text in generated()) {
        check(&text, Vec::new())?;
    }

    #[test]
    fn the_shipped_configuration_mutated_parses_or_the_error_names_its_line_or_key(
        edits in edits(TOKENS),
    ) {
        let bytes = apply(SHIPPED.as_bytes(), &edits);
        check(&String::from_utf8_lossy(&bytes), Vec::new())?;
    }

    #[test]
    fn environment_variables_parse_or_each_error_names_its_key(env in variables()) {
        check("", env)?;
    }
}

/// The errors of `text` (no variables), one string each.
fn errors(text: &str) -> Vec<String> {
    match Settings::parse(text, Vec::new()) {
        Ok(_) => Vec::new(),
        Err(Error::Invalid(invalid)) => invalid.iter().map(ToString::to_string).collect(),
        Err(e) => vec![e.to_string()],
    }
}

#[test]
fn huge_numbers_are_refused_each_naming_its_key_in_file_order() {
    let text = "[input]\nmax_bytes = 99999999999999999999999\n\
                [alerts]\nsnippet_chars = -99999999999999999999999\nmax_matches = 0x7fffffffffffffffff\n\
                [kafka.consumer]\nx = { y = [1, 1e400] }\n\
                [[sinks]]\nname = \"w\"\ntype = \"webhook\"\nurl = \"http://x\"\nmax_in_flight = 1e999\n";
    assert_eq!(
        errors(text),
        [
            "`input.max_bytes`: 99999999999999999999999 does not fit in a 64-bit integer (from \
             -9223372036854775808 to 9223372036854775807)",
            "`alerts.snippet_chars`: -99999999999999999999999 does not fit in a 64-bit integer \
             (from -9223372036854775808 to 9223372036854775807)",
            "`alerts.max_matches`: 0x7fffffffffffffffff does not fit in a 64-bit integer (from \
             -9223372036854775808 to 9223372036854775807)",
            "`kafka.consumer.x.y[1]`: 1e400 is beyond the largest floating-point number",
            "`sinks[0].max_in_flight`: 1e999 is beyond the largest floating-point number",
        ]
    );
    // A number that fits is range-checked as before.
    assert_eq!(
        errors("[input]\nmax_bytes = 9223372036854775807\n"),
        ["`input.max_bytes`: 9223372036854775807 is out of range: must be from 1 to 390451572"]
    );
    // `inf` and `nan` are floats TOML has: the library takes them (and
    // saturates them into counts, which the range check then refuses).
    assert_eq!(
        errors("[input]\nmax_bytes = inf\n"),
        ["`input.max_bytes`: 18446744073709551615 is out of range: must be from 1 to 390451572"]
    );
}

#[test]
fn an_integer_beyond_64_bits_is_refused_naming_its_key() {
    // The configuration library said "number too large to fit in target
    // type", naming no key.
    assert_eq!(
        errors("[alerts]\nmax_matches = 9223372036854775808\n"),
        [
            "`alerts.max_matches`: 9223372036854775808 does not fit in a 64-bit integer (from \
          -9223372036854775808 to 9223372036854775807)"
        ]
    );
}

#[test]
fn a_float_beyond_f64_is_refused_naming_its_key() {
    // Found by the fuzz test (its minimal input): the library said
    // "floating-point number overflowed", naming no key.
    assert_eq!(
        errors("[kafka]\nbrokers = 1e400\n"),
        ["`kafka.brokers`: 1e400 is beyond the largest floating-point number"]
    );
}

#[test]
fn a_variable_naming_an_empty_key_is_refused_naming_the_variable() {
    // Found by the fuzz test: `NEWSWATCH__` alone was "unknown field ``".
    let message = "the environment variable names an empty key (nothing after NEWSWATCH__, \
                   between two `__` or after the last)";
    for var in [
        "NEWSWATCH__",
        "NEWSWATCH____",
        "NEWSWATCH__KAFKA__",
        "NEWSWATCH__KAFKA____BROKERS",
    ] {
        match Settings::parse("", vec![(var.to_owned(), "x".to_owned())]) {
            Err(Error::Invalid(invalid)) => {
                let got: Vec<(&str, &str)> = invalid
                    .iter()
                    .map(|i| (i.key.as_str(), i.message.as_str()))
                    .collect();
                assert_eq!(got, [(var, message)]);
            }
            other => panic!("{var}: {other:?}"),
        }
    }
    // `_` is a key's own character (librdkafka properties): not empty.
    let s = Settings::parse(
        "",
        vec![(
            "NEWSWATCH__KAFKA__CONSUMER__SASL_USERNAME".into(),
            "u".into(),
        )],
    )
    .expect("parses");
    assert!(s.kafka.consumer.contains_key("sasl.username"));
}

#[test]
fn a_100k_deep_configuration_is_refused_on_its_line() {
    let deep = 100_000;
    for text in [
        format!(
            "[input]\nfields = {}{}\n",
            "[".repeat(deep),
            "]".repeat(deep)
        ),
        format!(
            "[kafka.consumer]\na = {}1{}\n",
            "{a=".repeat(deep),
            "}".repeat(deep)
        ),
    ] {
        let e = errors(&text);
        assert_eq!(e.len(), 1);
        assert!(
            e[0].starts_with("configuration: TOML parse error at line 2, column ")
                && e[0].contains("cannot recurse further; max recursion depth met"),
            "{:.200}",
            e[0]
        );
    }
    // A key of 100,000 dotted parts: the library said "recursion limit".
    let key = vec!["a"; deep].join(".");
    for text in [
        format!("[kafka.consumer]\n{key} = 1\n"),
        format!("[log]\nlevel = \"info\"\n[{key}]\n"),
    ] {
        let line = text.lines().count();
        assert_eq!(
            errors(&text),
            [format!(
                "configuration: TOML parse error at line {line}: a key or table header has more \
                 than the 80 dotted parts TOML takes"
            )]
        );
    }
}

#[test]
fn librdkafka_properties_nest_as_deep_as_toml_allows() {
    // 80 levels of inline tables, the most TOML takes, flatten into one
    // property name.
    let depth = crate::toml_depth::MAX_DEPTH;
    let text = format!(
        "[kafka.consumer]\na = {}\"v\"{}\n",
        "{ a = ".repeat(depth - 1),
        " }".repeat(depth - 1)
    );
    let s = Settings::parse(&text, Vec::new()).expect("parses");
    let name = vec!["a"; depth].join(".");
    assert_eq!(
        s.kafka
            .consumer
            .get(&name)
            .map(crate::values::Secret::expose),
        Some("v")
    );
}
