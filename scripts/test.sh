#!/usr/bin/env bash
# The whole test suite: formatting, lints, then every test.
# Usage: scripts/test.sh   (from anywhere; works on a fresh machine with Rust)
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --locked -- -D warnings

echo "== cargo test (unit, property, integration and doc tests)"
cargo test --locked
