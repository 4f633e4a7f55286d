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
            "newswatch: {}:6: rule `deep`: `when`, column {column}: nesting deeper than 64 levels (each `(` and NOT is one)",
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
