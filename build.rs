//! Build script: names the commit the binary is built from for
//! `newswatch --version` and `newswatch_build_info` (`NEWSWATCH_COMMIT`):
//! the variable of that name when the build sets it (the Dockerfile, which
//! has no `.git`), else `git rev-parse --short HEAD`, else `unknown`.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=NEWSWATCH_COMMIT");
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let git = Path::new(&root).join(".git");
    // A commit moves HEAD's branch ref (or HEAD itself, detached).
    for f in ["HEAD", "packed-refs", "refs/heads"] {
        let p = git.join(f);
        if p.exists() {
            println!("cargo:rerun-if-changed={}", p.display());
        }
    }
    let commit = std::env::var("NEWSWATCH_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(|| {
            Command::new("git")
                .args(["rev-parse", "--short=12", "HEAD"])
                .current_dir(&root)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .and_then(|o| String::from_utf8(o.stdout).ok())
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        })
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=NEWSWATCH_COMMIT={commit}");
}
