#!/usr/bin/env bash
# Two newswatch binaries, before and after a change, timed in turn on the
# same input: CPU seconds (user + system, /usr/bin/time) of
#
#   taskset -c CPU BIN scan --watchlist WATCHLIST FILE > /dev/null
#
# ROUNDS times each, alternating, so that a noisy neighbour hits both
# alike. Prints every time, the median and mean of each, and after ÷ before
# (medians). Also checks that both raise the same alerts (times aside: the
# alert's `time` and its story's `first_seen`).
#
# Usage: scripts/bench-ab.sh BEFORE_BIN AFTER_BIN FILE WATCHLIST [ROUNDS]   (default 5)
# Env:   NEWSWATCH_BENCH_CPU   the CPU to pin to (default 0)
# A binary of an older commit: `git worktree add /tmp/old COMMIT` and
# `cargo build --release` there with a CARGO_TARGET_DIR of its own.
set -euo pipefail

if [ $# -lt 4 ]; then
    sed -n '2,16p' "$0" >&2
    exit 64
fi
before=$1 after=$2 file=$3 watchlist=$4 rounds=${5:-5}
cpu=${NEWSWATCH_BENCH_CPU:-0}
for tool in taskset python3 /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "bench-ab: $tool is needed" >&2; exit 69; }
done
for b in "$before" "$after"; do
    [ -x "$b" ] || { echo "bench-ab: $b is not an executable" >&2; exit 66; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Same alerts first (one pass each, untimed).
for side in before after; do
    bin=$before
    [ "$side" = after ] && bin=$after
    "$bin" scan --watchlist "$watchlist" "$file" | python3 -c '
import json, sys
for line in sys.stdin:
    a = json.loads(line)
    a.pop("time", None)
    (a.get("data") or {}).get("story", {}).pop("first_seen", None)
    print(json.dumps(a, sort_keys=True))' | sort >"$work/$side.jsonl"
done
if ! cmp -s "$work/before.jsonl" "$work/after.jsonl"; then
    echo "bench-ab: the two binaries raise different alerts:" >&2
    diff "$work/before.jsonl" "$work/after.jsonl" | head -c 2000 >&2
    exit 1
fi
echo "same alerts: $(wc -l <"$work/after.jsonl") alerts"

for _ in $(seq 1 "$rounds"); do
    for side in before after; do
        bin=$before
        [ "$side" = after ] && bin=$after
        /usr/bin/time -f "$side %U %S" -a -o "$work/times" \
            taskset -c "$cpu" "$bin" scan --watchlist "$watchlist" "$file" >/dev/null
    done
done
python3 - "$work/times" <<'EOF'
import statistics, sys
t = {"before": [], "after": []}
for line in open(sys.argv[1]):
    side, user, system = line.split()
    t[side].append(float(user) + float(system))
for side in ("before", "after"):
    v = t[side]
    print(f"{side:6}  median {statistics.median(v):.3f} s  mean {statistics.mean(v):.3f} s  "
          + " ".join(f"{x:.2f}" for x in v))
print(f"after / before (medians): {statistics.median(t['after']) / statistics.median(t['before']):.2f}")
EOF
