//! What a user of ripgrep, kcat or any Unix tool expects of the binary
//! (issue 19): a closed pipe ends quietly, the watchlist is found without
//! the repository, `--config` before or after the command, colour only on
//! a terminal, shell completions, a manual page, and a `--version` that
//! names the build.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use super::{fixture, newswatch, path_str, run, stderr, temp_file};

#[test]
fn a_closed_stdout_pipe_ends_scan_quietly_with_0() {
    let many: Vec<u8> = std::fs::read(fixture("chip_news.jsonl"))
        .expect("fixture")
        .repeat(500);
    let input = temp_file("many.jsonl", &many);
    let mut child = newswatch(&["scan", path_str(&input)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Like `| head -1`: read one line, then close the pipe.
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("read");
    assert!(first.starts_with('{'), "{first}");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "nothing about a broken pipe");
}

#[test]
fn the_watchlist_is_found_outside_the_repository_and_check_names_it() {
    let dir = std::env::temp_dir().join(format!("newswatch-lookup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    // No ./config here: the built-in default.
    let out = newswatch(&["check"])
        .current_dir(&dir)
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        text.starts_with("watchlist (built in, the default): ok:"),
        "{text}"
    );
    let out = newswatch(&["scan", path_str(&fixture("tass-h200-ru.jsonl"))])
        .current_dir(&dir)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!out.stdout.is_empty(), "the built-in watchlist alerts");

    // ./config/watchlist.toml comes first.
    std::fs::create_dir_all(dir.join("config")).expect("dir");
    std::fs::write(
        dir.join("config/watchlist.toml"),
        "[sets.a]\nterms = [\"zzz\"]\n[[rules]]\nid = \"only\"\nwhen = \"a\"\n",
    )
    .expect("write");
    let out = newswatch(&["check"])
        .current_dir(&dir)
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.starts_with("watchlist config/watchlist.toml: ok: 1 sets"),
        "{text}"
    );

    // watchlist.path set explicitly is used as is: missing is an error.
    let config = dir.join("config.toml");
    std::fs::write(&config, "[watchlist]\npath = \"/nonexistent/w.toml\"\n").expect("write");
    let out = newswatch(&["check", "--config", path_str(&config)])
        .current_dir(&dir)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(78));
    assert!(
        stderr(&out).contains("/nonexistent/w.toml"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn config_goes_before_or_after_the_command() {
    let config = temp_file("global.toml", b"[alerts]\ndedup_window = \"soon\"\n");
    for args in [
        vec!["--config", path_str(&config), "check"],
        vec!["check", "--config", path_str(&config)],
        vec!["-c", path_str(&config), "check"],
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(78), "{args:?}");
        assert!(
            stderr(&out).contains("alerts.dedup_window"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn logs_to_a_pipe_carry_no_colour() {
    let config = temp_file(
        "pretty.toml",
        b"[kafka]\nbrokers = \"127.0.0.1:1\"\n[log]\nformat = \"pretty\"\n[[sinks]]\nname = \"out\"\ntype = \"stdout\"\n[http]\nlisten = \"127.0.0.1:0\"\n",
    );
    // A file is not a terminal either, and can be read while it grows.
    let log_path = temp_file("pretty.log", b"");
    let mut child = newswatch(&["run", "--config", path_str(&config)])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).expect("log file"))
        .spawn()
        .expect("spawn");
    let read = || std::fs::read_to_string(&log_path).unwrap_or_default();
    let running = newswatch_test_support::eventually(Duration::from_secs(60), || {
        read().contains("newswatch running")
    });
    let _ = child.kill();
    let _ = child.wait();
    let log = read();
    assert!(running, "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "no ANSI escapes in a pipe: {log:?}"
    );
}

#[test]
fn completions_man_page_version_and_one_line_help() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = run(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", stderr(&out));
        let script = String::from_utf8_lossy(&out.stdout);
        for word in ["newswatch", "replay", "explain", "watchlist"] {
            assert!(script.contains(word), "{shell} completes {word}");
        }
    }
    // The bash script is valid bash.
    let bash = temp_file("newswatch.bash", &run(&["completions", "bash"]).stdout);
    let syntax = std::process::Command::new("bash")
        .args(["-n", path_str(&bash)])
        .status()
        .expect("bash");
    assert!(syntax.success());

    let out = run(&["man"]);
    assert_eq!(out.status.code(), Some(0));
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(
        page.starts_with(".ie \\n(.g .ds Aq") || page.contains(".TH newswatch"),
        "{page}"
    );
    assert!(
        page.contains(".SH NAME") && page.contains("replay"),
        "{page}"
    );

    let out = run(&["--version"]);
    let version = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        version.starts_with(&format!("newswatch {} (commit ", env!("CARGO_PKG_VERSION")))
            && version.contains(", librdkafka 2."),
        "{version}"
    );

    let out = run(&["--help"]);
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    let commands: Vec<&str> = help
        .lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(
        commands.len(),
        10,
        "one line per command, help included: {help}"
    );
    for line in commands {
        assert!(
            line.chars().count() <= 100 && !line.ends_with('.'),
            "{line:?}"
        );
    }
}
