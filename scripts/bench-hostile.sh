#!/usr/bin/env bash
# The doubling table of hostile input (issue 14, BENCHMARKS.md): builds the
# release binary, then times `newswatch scan` on one item of 0.25, 0.5 and
# 1 MB per complexity class (scripts/bench-hostile.py says which).
#
#   scripts/bench-hostile.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
exec python3 scripts/bench-hostile.py target/release/newswatch "${1:-3}"
