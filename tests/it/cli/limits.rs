//! The limits of issue 14 ("Hostile input") through the real binary: each
//! input that used to abort, wrap or run for minutes is now refused by
//! `check`, `scan` and `run` with exit status 78 and a message naming the
//! place and the limit.

use super::*;

/// The commands that load a watchlist, each on `watchlist`: `check` and
/// `scan` with `--watchlist`, `run` with a configuration naming it (it
/// fails before it would connect to Kafka).
fn every_loader(watchlist: &Path) -> Vec<(&'static str, Output)> {
    let wl = path_str(watchlist);
    let cfg = temp_file(
        &format!(
            "run-{}.toml",
            watchlist
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("wl")
        ),
        format!("[watchlist]\npath = {wl:?}\n").as_bytes(),
    );
    vec![
        ("check", run(&["check", "--watchlist", wl])),
        ("scan", run_stdin(&["scan", "--watchlist", wl], b"")),
        ("run", run(&["run", "--config", path_str(&cfg)])),
    ]
}

/// Asserts exit status 78 and `line` on stderr from every loader.
fn refused_by_every_loader(watchlist: &Path, line: &str) {
    for (cmd, out) in every_loader(watchlist) {
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(78), "{cmd}: {err}");
        assert!(
            err.lines().any(|l| l == line),
            "{cmd}: {line:?} not in {err}"
        );
        assert!(out.stdout.is_empty(), "{cmd}");
    }
}

#[test]
fn a_rule_nested_past_64_levels_exits_78_naming_rule_line_and_column() {
    // Issue 14, class 4: 8,345 nested parentheses or 27,624 NOTs aborted
    // with SIGABRT (status 134), closed or not.
    let n = 100_000;
    let cases = [
        (
            "parens",
            format!("{}chips{}", "(".repeat(n), ")".repeat(n)),
            65,
        ),
        ("unclosed", format!("{}chips", "(".repeat(n)), 65),
        (
            "nots",
            format!("chips AND {}chips", "NOT ".repeat(n)),
            11 + 4 * 64,
        ),
    ];
    for (name, when, column) in cases {
        let wl = temp_file(
            &format!("deep-{name}.toml"),
            format!(
                "[sets.chips]\nterms = [\"H200\"]\n\n[[rules]]\nid = \"deep\"\nwhen = \"{when}\"\n"
            )
            .as_bytes(),
        );
        let line = format!(
            "newswatch: {}:6: rule `deep`: `when`, column {column}: nesting deeper than 64 levels (each `(`, NOT, FIRST, ATLEAST and field: is one)",
            path_str(&wl)
        );
        refused_by_every_loader(&wl, &line);
    }
}

#[test]
fn a_term_over_256_characters_exits_78_naming_set_and_index() {
    // Issue 14, class 7: one term of 16 KiB took 3.9 s to build (release;
    // 45 s in a debug build), 64 KiB 57 s: quadratic in its length.
    let long = "a".repeat(16 * 1024);
    let wl = temp_file(
        "long-term.toml",
        format!(
            "[sets.chips]\nterms = [\"H200\", \"{long}\"]\n\n[[rules]]\nid = \"r\"\nwhen = \"chips OR \\\"{long}*\\\"\"\n"
        )
        .as_bytes(),
    );
    let name = path_str(&wl);
    let started = std::time::Instant::now();
    refused_by_every_loader(
        &wl,
        &format!(
            "newswatch: {name}:2: set `chips`: term 2 has 16384 characters, more than the 256 a term may have"
        ),
    );
    let out = run(&["check", "--watchlist", name]);
    assert!(
        stderr(&out).lines().any(|l| l
            == format!(
                "{name}:6: rule `r`: `when`, column 10: the quoted term has 16384 characters, more than the 256 a term may have"
            )),
        "{}",
        stderr(&out)
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "refused at once, not built: {:?}",
        started.elapsed()
    );
}

#[test]
fn a_watchlist_over_64_mib_exits_78_having_read_no_more() {
    // Issue 14, class 7: `check --watchlist /dev/zero` read until the
    // kernel killed it at 24 GB.
    refused_by_every_loader(
        Path::new("/dev/zero"),
        "newswatch: /dev/zero: the file is larger than the 64 MiB (67108864 bytes) a watchlist may have",
    );
}

/// Runs `check` and `run` with the configuration file `config` (or none)
/// and the environment `vars`.
fn check_and_run(
    config: Option<&Path>,
    vars: &[(&str, &std::ffi::OsStr)],
) -> Vec<(&'static str, Output)> {
    ["check", "run"]
        .into_iter()
        .map(|cmd| {
            let mut c = newswatch(&[cmd]);
            if let Some(cfg) = config {
                c.args(["--config", path_str(cfg)]);
            }
            (
                cmd,
                c.envs(vars.iter().copied())
                    .output()
                    .expect("run newswatch"),
            )
        })
        .collect()
}

fn config_refused(config: Option<&Path>, vars: &[(&str, &std::ffi::OsStr)], line: &str) {
    for (cmd, out) in check_and_run(config, vars) {
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(78), "{cmd}: {err}");
        assert!(
            err.lines().any(|l| l == line),
            "{cmd}: {line:?} not in {err}"
        );
    }
}

#[test]
fn numbers_out_of_range_exit_78_naming_key_and_range() {
    // Issue 14, class 6: `input.max_bytes = 18446744073709551615` wrapped
    // and rejected every line as `not JSON` (a panic in a debug build); a
    // duration of 500000000000 years panicked at the start of `run`.
    let max = std::ffi::OsStr::new("18446744073709551615");
    config_refused(
        None,
        &[("NEWSWATCH__INPUT__MAX_BYTES", max)],
        "newswatch: configuration: `input.max_bytes`: 18446744073709551615 is out of range: must be from 1 to 390451572",
    );
    let cfg = temp_file(
        "long-window.toml",
        b"[alerts]\ndedup_window = \"500000000000y\"\n[[sinks]]\nname = \"o\"\ntype = \"stdout\"\n",
    );
    config_refused(
        Some(&cfg),
        &[],
        "newswatch: configuration: `alerts.dedup_window`: \"500000000000y\" is longer than 365 days, the most a duration may be",
    );

    // The largest value is taken, and lines are read, not rejected.
    let out = newswatch(&["scan", path_str(&tass())])
        .env("NEWSWATCH__INPUT__MAX_BYTES", "390451572")
        .output()
        .expect("run newswatch");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!alerts(&out).is_empty());
}

#[test]
fn an_environment_variable_nested_past_16_keys_exits_78_naming_it() {
    // Issue 14, class 7: 10,000 nested `__` took 24 GB.
    let var = format!("NEWSWATCH__KAFKA{}", "__A".repeat(10_000));
    let shown = format!("NEWSWATCH__KAFKA{}__…", "__A".repeat(15));
    config_refused(
        None,
        &[(&var, std::ffi::OsStr::new("1"))],
        &format!(
            "newswatch: configuration: `{shown}`: the environment variable nests 10001 keys (one per `__` after NEWSWATCH__), more than the 16 it may"
        ),
    );
}

#[test]
fn a_config_file_over_1_mib_exits_78_naming_it() {
    let cfg = temp_file("huge-config.toml", &vec![b'#'; 1024 * 1024 + 1]);
    config_refused(
        Some(&cfg),
        &[],
        &format!(
            "newswatch: configuration: {}: the file is larger than the 1 MiB (1048576 bytes) a configuration file may have",
            path_str(&cfg)
        ),
    );
}

#[test]
fn an_environment_variable_that_is_not_utf8_is_skipped_unless_it_is_newswatchs() {
    use std::os::unix::ffi::OsStrExt;
    let junk = std::ffi::OsStr::from_bytes(b"\xff");
    // Before: `std::env::vars` panicked on any such variable (status 101).
    let out = newswatch(&["check"])
        .env("JUNK", junk)
        .output()
        .expect("run newswatch");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    config_refused(
        None,
        &[("NEWSWATCH__LOG__LEVEL", junk)],
        "newswatch: configuration: `NEWSWATCH__LOG__LEVEL`: the environment variable is not UTF-8",
    );
}
