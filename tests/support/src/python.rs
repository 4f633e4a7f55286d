//! The lint venv's Python (`NEWSWATCH_TEST_PYTHON`: `scripts/lint-deploy.sh`
//! makes the venv with pinned packages, `scripts/test.sh` points the
//! variable at its `python`), which runs the reference implementations the
//! tests check the daemon's output with instead of code of ours: the
//! Prometheus text parser, the CloudEvents SDK, the Standard Webhooks
//! library.

use std::io::Write;
use std::process::{Command, Stdio};

/// Runs the Python program `script` with `input` on its stdin and parses
/// what it prints as JSON. Panics, naming `what` and the program's stderr,
/// when the variable is unset, Python cannot start or the program fails.
pub fn run(what: &str, script: &str, input: &[u8]) -> serde_json::Value {
    let python = std::env::var("NEWSWATCH_TEST_PYTHON").expect(
        "NEWSWATCH_TEST_PYTHON must name the python of scripts/lint-deploy.sh's venv; scripts/test.sh sets it",
    );
    let mut child = Command::new(&python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running {python}: {e}"));
    {
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(input).expect("feed the Python program");
    }
    let out = child
        .wait_with_output()
        .expect("the Python program's output");
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{what} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// `bytes` as lowercase hex, for Python's `bytes.fromhex`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
