#!/usr/bin/env bash
# Normalizer and engine throughput on clean and dirty text (SPEC 2a), this
# checkout against an older commit, the two in turns (examples/bench_text.rs
# says what each case measures):
#
#   1. builds examples/bench_text.rs here (release profile: fat LTO), and in
#      a detached worktree of BASE into which this checkout's
#      examples/bench_text.rs and tests/support/src/corpus.rs are copied
#      (nothing there is committed), with a `--cfg` for each API of BASE
#      that differs (examples/bench_text.rs lists them: the
#      `normalize_into(text, fold: bool, out)` of before SPEC 2a, the
#      `Engine::scan` without `max_matches` of before issue 14);
#   2. runs every case ROUNDS times, old and new one after the other, the
#      order alternating by round (old, new; new, old; ...), cases only the
#      new code has (confusables) on the new side alone;
#   3. prints Markdown tables of MB/s and new ÷ old ratios per round
#      (`bench_text summarize`), saved with the raw results in
#      target/bench-text/.
#
# The host is shared and noisy: read the ratios, which compare runs made
# seconds apart, not the absolute MB/s.
#
# Usage: scripts/bench-text.sh [BASE]      (default 0ba3ad8, the commit before
#                                           the SPEC 2a matching; ~20 minutes
#                                           on 2 cores once both are built)
# Env:   NEWSWATCH_BENCH_ROUNDS       rounds (default 5)
#        NEWSWATCH_BENCH_SECONDS      seconds per case and side (default 1)
#        NEWSWATCH_BENCH_BYTES        corpus size (default 4194304)
#        NEWSWATCH_BENCH_CASES        regex of the cases to run (default all;
#                                     `bench_text list` names them)
#        NEWSWATCH_BENCH_BASE_DIR     worktree of BASE to use (default
#                                     target/bench-text/base, created and
#                                     removed by this script; an existing one
#                                     is kept, its copied files restored)
#        NEWSWATCH_BENCH_BASE_TARGET  CARGO_TARGET_DIR of the BASE build
#                                     (default target/bench-text/base-target;
#                                     kept, so a second run does not rebuild)
#        CARGO_TARGET_DIR             this checkout's, as for cargo
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

base_rev=${1:-0ba3ad8}
rounds=${NEWSWATCH_BENCH_ROUNDS:-5}
filter=${NEWSWATCH_BENCH_CASES:-.}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "NEWSWATCH_BENCH_ROUNDS: not a count: $rounds" >&2; exit 2; }
base_sha=$(git rev-parse --verify "$base_rev^{commit}")
out=$root/target/bench-text
mkdir -p "$out"
base_dir=${NEWSWATCH_BENCH_BASE_DIR:-$out/base}
base_target=${NEWSWATCH_BENCH_BASE_TARGET:-$out/base-target}
mkdir -p "$base_target"
base_target=$(cd "$base_target" && pwd)
new_target=${CARGO_TARGET_DIR:-$root/target}
mkdir -p "$new_target"
new_target=$(cd "$new_target" && pwd)

# The BASE worktree: made here and removed at the end, or given and only
# given back its own files.
made_worktree=
if [ -e "$base_dir" ]; then
    have=$(git -C "$base_dir" rev-parse HEAD)
    [ "$have" = "$base_sha" ] || {
        echo "$base_dir is at $have, not $base_rev ($base_sha)" >&2
        exit 2
    }
else
    git worktree add --detach "$base_dir" "$base_sha" >/dev/null
    made_worktree=1
fi
base_dir=$(cd "$base_dir" && pwd)
had_example=$([ -e "$base_dir/examples/bench_text.rs" ] && echo 1 || true)
cleanup() {
    if [ -n "$made_worktree" ]; then
        git worktree remove --force "$base_dir"
    else
        git -C "$base_dir" checkout -- tests/support/src/corpus.rs
        [ -n "$had_example" ] || rm -f "$base_dir/examples/bench_text.rs"
        rmdir "$base_dir/examples" 2>/dev/null || true
    fi
}
trap cleanup EXIT
mkdir -p "$base_dir/examples"
cp examples/bench_text.rs "$base_dir/examples/bench_text.rs"
cp tests/support/src/corpus.rs "$base_dir/tests/support/src/corpus.rs"

cfg=()
if git show "$base_sha:src/text/normalize/mod.rs" | grep -q 'pub fn normalize_into(text: &str, fold: bool'; then
    cfg+=(--cfg newswatch_fold_bool)
fi
if ! git show "$base_sha:src/engine/mod.rs" | grep -q 'max_matches: usize'; then
    cfg+=(--cfg newswatch_scan_unbounded)
fi

run=$(date -u +%Y%m%dT%H%M%SZ)
new_bin=$out/bench_text-new-$run
base_bin=$out/bench_text-base-$run
# Each binary is copied as soon as it is built: the two target directories
# may be one, and then the second build overwrites the first's binary.
echo "== building examples/bench_text.rs here (CARGO_TARGET_DIR=$new_target)"
CARGO_TARGET_DIR=$new_target cargo build --release --locked --example bench_text
cp "$new_target/release/examples/bench_text" "$new_bin"
echo "== building it at $base_rev in $base_dir (CARGO_TARGET_DIR=$base_target) ${cfg[*]}"
(cd "$base_dir" && CARGO_TARGET_DIR=$base_target cargo rustc --release --locked --example bench_text -- "${cfg[@]}")
cp "$base_target/release/examples/bench_text" "$base_bin"

mapfile -t cases < <("$new_bin" list | grep -E -- "$filter")
declare -A in_base=()
while read -r c; do in_base[$c]=1; done < <("$base_bin" list)
results=$out/results-$run.tsv
: >"$results"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== $rounds rounds of ${#cases[@]} cases; results in $results; load average $load0"
for ((r = 1; r <= rounds; r++)); do
    for case in "${cases[@]}"; do
        sides=(new)
        if [ -n "${in_base[$case]:-}" ]; then
            if ((r % 2)); then sides=(base new); else sides=(new base); fi
        fi
        for side in "${sides[@]}"; do
            bin=$new_bin
            [ "$side" = base ] && bin=$base_bin
            "$bin" run "$case" | sed "s/^/$r\t$side\t/" | tee -a "$results"
        done
    done
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)

{
    echo "Run $run: this checkout ($(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ', src modified')) against $base_rev ($(git rev-parse --short "$base_sha")); load average $load0 at the start, $load1 at the end."
    echo
    "$new_bin" summarize "$results"
} | tee "$out/results-$run.md"
