//! The binary's output under hostile input (issue 14): whole lines when
//! stdout and stderr share a pipe, control and bidirectional characters
//! escaped on both, write failures with exact exit statuses and no panic,
//! snippets within `alerts.snippet_chars` whatever the match.

use std::fs::File;
use std::io::Read;
use std::path::PathBuf;
use std::process::Stdio;

use serde_json::{Value, json};

use super::{alerts, newswatch, path_str, run, run_stdin, stderr, temp_file};

fn watchlist() -> PathBuf {
    temp_file(
        "output-watchlist.toml",
        b"[sets.chips]\nterms = [\"H200\", \"xx*\"]\n[[rules]]\nid = \"chips\"\nwhen = \"chips\"\n",
    )
}

fn dev_full() -> Stdio {
    Stdio::from(
        File::options()
            .write(true)
            .open("/dev/full")
            .expect("open /dev/full"),
    )
}

/// The characters that must never reach stdout or stderr raw.
fn is_hostile(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

#[test]
fn stdout_and_stderr_on_one_pipe_stay_whole_lines_in_input_order() {
    // Alert lines of about 3 KB overflow the 8 KiB stdout buffer mid-line;
    // each is followed by a rejected line. Before, the rejection landed
    // inside the alert that was half flushed.
    let mut input = String::new();
    for i in 0..100 {
        let item =
            json!({"id": format!("i{i}"), "title": format!("H200 {}", "chips ".repeat(500))});
        input.push_str(&format!("{item}\nnot json\n"));
    }
    let file = temp_file("output-mixed.jsonl", input.as_bytes());
    let wl = watchlist();
    let (mut reader, writer) = std::io::pipe().expect("pipe");
    let mut cmd = newswatch(&["scan", "--watchlist", path_str(&wl), path_str(&file)]);
    cmd.stdout(writer.try_clone().expect("clone pipe"))
        .stderr(writer);
    let mut child = cmd.spawn().expect("spawn newswatch");
    drop(cmd); // our ends of the pipe's write side
    let mut combined = String::new();
    reader.read_to_string(&mut combined).expect("read pipe");
    assert_eq!(child.wait().expect("wait").code(), Some(65));

    let name = path_str(&file);
    let lines: Vec<&str> = combined.lines().collect();
    assert_eq!(lines.len(), 201, "{}", &combined[..combined.len().min(500)]);
    for (i, pair) in lines[..200].chunks(2).enumerate() {
        let alert: Value = serde_json::from_str(pair[0]).unwrap_or_else(|e| {
            panic!(
                "line {} is not a whole alert ({e}): {:.200}",
                2 * i + 1,
                pair[0]
            )
        });
        assert_eq!(alert["data"]["item"]["id"], format!("i{i}"));
        assert_eq!(
            pair[1],
            format!(
                "{name}:{}: rejected (not_json): not JSON: expected ident at line 1 column 2",
                2 * i + 2
            )
        );
    }
    assert_eq!(
        lines[200],
        "newswatch scan: 200 lines, 100 items, 100 rejected, 100 alerts"
    );
}

#[test]
fn line_separators_bidi_and_c1_controls_are_escaped_in_alert_json() {
    let title = "Exports\u{2028}of \u{202e}H200\u{202c} to China \u{85}\u{9b}31m \
                 \u{2066}x\u{2069} \u{1b}[2J\u{7f}\u{2029}resume";
    let item = json!({"id": "bidi\u{202e}1", "title": title, "body": "Nvidia H200 chips"});
    let wl = watchlist();
    let out = run_stdin(
        &["scan", "--watchlist", path_str(&wl)],
        format!("{item}\n").as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let stdout = String::from_utf8(out.stdout.clone()).expect("UTF-8");
    let line = stdout.strip_suffix('\n').expect("one whole line");
    assert!(!line.contains('\n'));
    assert!(!line.chars().any(is_hostile), "raw in {line:?}");
    for escape in [
        r"\u2028", r"\u202e", r"\u202c", r"\u0085", r"\u009b", r"\u2029", r"\u2066", r"\u2069",
        r"\u001b", r"\u007f",
    ] {
        assert!(line.contains(escape), "no {escape} in {line}");
    }
    let alert: Value = serde_json::from_str(line).expect("JSON");
    assert_eq!(alert["data"]["item"]["title"], title);
    assert_eq!(alert["data"]["item"]["id"], "bidi\u{202e}1");
    let m = &alert["data"]["matches"][0];
    assert_eq!(m["text"], "H200");
    assert_eq!(
        &title[m["start"].as_u64().unwrap() as usize..m["end"].as_u64().unwrap() as usize],
        "H200"
    );
    let snippet = alert["data"]["snippet"].as_str().expect("snippet");
    assert!(snippet.contains("\u{202e}H200\u{202c}"), "{snippet:?}");
}

#[test]
fn a_full_stderr_loses_the_messages_not_the_alerts() {
    // `2>/dev/full` with a rejected line panicked (exit 101).
    let input = temp_file(
        "output-full-stderr.jsonl",
        b"{\"title\":\"H200 export\"}\nnot json\n{\"title\":\"H200 again\"}\n",
    );
    let wl = watchlist();
    let out = newswatch(&["scan", "--watchlist", path_str(&wl), path_str(&input)])
        .stderr(dev_full())
        .output()
        .expect("run newswatch");
    assert_eq!(out.status.code(), Some(65));
    let ids: Vec<Value> = alerts(&out)
        .iter()
        .map(|a| a["data"]["item"]["id"].clone())
        .collect();
    assert_eq!(ids, [json!("line:1"), json!("line:3")]);
}

#[test]
fn a_full_stdout_exits_74_with_a_message() {
    let input = temp_file(
        "output-full-stdout.jsonl",
        b"{\"title\":\"H200 export\"}\nnot json\n",
    );
    let wl = watchlist();
    let scan = ["scan", "--watchlist", path_str(&wl), path_str(&input)];
    let out = newswatch(&scan)
        .stdout(dev_full())
        .output()
        .expect("run newswatch");
    assert_eq!(out.status.code(), Some(74));
    assert_eq!(
        stderr(&out),
        format!(
            "newswatch: scanning {}: writing alerts: No space left on device (os error 28)\n",
            path_str(&input)
        )
    );
    // Both full: the same status, and no panic.
    let status = newswatch(&scan)
        .stdout(dev_full())
        .stderr(dev_full())
        .status()
        .expect("run newswatch");
    assert_eq!(status.code(), Some(74));
    // `check`'s summary: print! panicked.
    let out = newswatch(&["check", "--watchlist", path_str(&wl)])
        .stdout(dev_full())
        .output()
        .expect("run newswatch");
    assert_eq!(out.status.code(), Some(74));
    assert_eq!(
        stderr(&out),
        "newswatch: writing the summary: No space left on device (os error 28)\n"
    );
}

#[test]
fn check_shows_a_rule_id_of_64_kib() {
    // The padding width panicked: format widths stop at u16::MAX.
    let id = "r".repeat(64 * 1024);
    let wl = temp_file(
        "output-long-id.toml",
        format!(
            "[sets.chips]\nterms = [\"H200\"]\n[[rules]]\nid = \"{id}\"\nwhen = \"chips\"\n\
             [[rules]]\nid = \"short\"\nwhen = \"chips\"\n"
        )
        .as_bytes(),
    );
    let out = run(&["check", "--watchlist", path_str(&wl)]);
    assert_eq!(out.status.code(), Some(0), "stderr: {:.300}", stderr(&out));
    let summary = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        summary.contains(&format!("\n  rule {id}  medium    -> all sinks: chips\n")),
        "{:.300}",
        summary
    );
    // Short ids are padded to at most 40 columns.
    let pad = " ".repeat(40 - "short".len());
    assert!(
        summary.contains(&format!(
            "\n  rule short{pad}  medium    -> all sinks: chips\n"
        )),
        "{:.300}",
        summary
    );
}

/// stderr of `out`, asserted to hold no raw control or bidirectional
/// character but the line feeds that end its lines.
fn escaped_stderr(out: &std::process::Output) -> String {
    let err = stderr(out);
    assert!(
        !err.chars().any(|c| c != '\n' && is_hostile(c)),
        "raw in {err:?}"
    );
    err
}

#[test]
fn control_characters_in_file_names_rule_ids_and_config_values_are_escaped_on_stderr() {
    let wl = watchlist();
    // An input file named with ESC, holding a rejected line.
    let input = temp_file("output-in\u{1b}[2J.jsonl", b"not json\n");
    let out = run(&["scan", "--watchlist", path_str(&wl), path_str(&input)]);
    assert_eq!(out.status.code(), Some(65));
    let shown = path_str(&input).replace('\u{1b}', r"\u{1b}");
    let err = escaped_stderr(&out);
    assert!(
        err.starts_with(&format!("{shown}:1: rejected (not_json): ")),
        "{err:?}"
    );
    // A missing input, named with ESC, BEL and CR.
    let dir = input.parent().expect("temp dir");
    let missing = format!("{}/output-no\u{1b}]0;x\u{7}\r.jsonl", path_str(dir));
    let out = run(&["scan", "--watchlist", path_str(&wl), &missing]);
    assert_eq!(out.status.code(), Some(66));
    let shown = missing
        .replace('\u{1b}', r"\u{1b}")
        .replace('\u{7}', r"\u{7}")
        .replace('\r', r"\r");
    assert_eq!(
        escaped_stderr(&out),
        format!("newswatch: opening input {shown}: No such file or directory (os error 2)\n")
    );
    // A watchlist whose rule id holds ESC: two problems, two lines.
    let bad = temp_file(
        "output-bad-watchlist.toml",
        b"[sets.c]\nterms = [\"H200\"]\n[[rules]]\nid = \"a\\u001b[31mred\"\nwhen = \"c AND x\"\n\
          [[rules]]\nid = \"b\"\nwhen = \"(\"\n",
    );
    let out = run(&["check", "--watchlist", path_str(&bad)]);
    assert_eq!(out.status.code(), Some(78));
    let err = escaped_stderr(&out);
    assert!(err.contains(r"rule `a\u{1b}[31mred`"), "{err:?}");
    assert_eq!(err.lines().count(), 2, "{err:?}");
    // A configuration value with ESC and NUL.
    let config = temp_file(
        "output-bad-config.toml",
        b"[alerts]\nsource = \"a\\u001b[2Jb\\u0000c d\"\n",
    );
    let (config, wl) = (path_str(&config), path_str(&wl));
    let out = run(&["check", "--config", config, "--watchlist", wl]);
    assert_eq!(out.status.code(), Some(78));
    let err = escaped_stderr(&out);
    assert!(err.contains(r"a\u{1b}[2Jb\0c d"), "{err:?}");
}

#[test]
fn a_match_longer_than_snippet_chars_gives_a_snippet_of_snippet_chars() {
    // A 512 KiB word matched by `xx*`: the snippet doubled the alert.
    let word = "x".repeat(512 * 1024);
    let input = temp_file(
        "output-long-word.jsonl",
        format!("{}\n", json!({"title": format!("Nvidia {word} chips")})).as_bytes(),
    );
    let wl = watchlist();
    let out = run(&["scan", "--watchlist", path_str(&wl), path_str(&input)]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let alerts = alerts(&out);
    assert_eq!(alerts.len(), 1);
    let data = &alerts[0]["data"];
    assert_eq!(data["snippet"], format!("…{}…", "x".repeat(160)));
    // `text` is the whole slice, as SPEC section 3 says.
    assert_eq!(
        data["matches"][0]["text"].as_str().map(str::len),
        Some(word.len())
    );
    // The title and the match text; no third copy.
    assert!(
        out.stdout.len() < 2 * word.len() + 2048,
        "{} bytes",
        out.stdout.len()
    );
}

#[test]
fn the_daemon_keeps_running_when_stderr_cannot_be_written() {
    // Each log line failed into tracing-subscriber's `eprintln!`, which
    // panics when stderr is what failed. An unreachable broker makes
    // librdkafka log errors at once.
    let wl = watchlist();
    let config = temp_file(
        "output-run.toml",
        format!(
            "[kafka]\nbrokers = \"127.0.0.1:1\"\n[http]\nlisten = \"127.0.0.1:0\"\n\
             [watchlist]\npath = \"{}\"\n[log]\nlevel = \"debug\"\n\
             [[sinks]]\nname = \"out\"\ntype = \"stdout\"\n",
            path_str(&wl)
        )
        .as_bytes(),
    );
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut daemon = Killed(
        newswatch(&["run", "--config", path_str(&config)])
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(dev_full())
            .spawn()
            .expect("spawn newswatch run"),
    );
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(daemon.0.try_wait().expect("try_wait"), None, "exited");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &daemon.0.id().to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = daemon.0.try_wait().expect("try_wait") {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no exit after SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
}
