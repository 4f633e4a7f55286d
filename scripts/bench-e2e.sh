#!/usr/bin/env bash
# End-to-end throughput, in one run on one broker:
#   (a) kcat -C -e reading the topic to /dev/null: the raw librdkafka
#       consume rate, the baseline;
#   (b) newswatch run consuming the same topic to alerts with the default
#       watchlist, until every offset is committed.
# Prints items/s and MB/s for both and the ratio b/a.
#
# Usage: scripts/bench-e2e.sh [ITEMS]      (default 1000000; 1-3 KB each)
# Env:   NEWSWATCH_BENCH_BROKERS  use this broker instead of scripts/kafka.sh
#        NEWSWATCH_BENCH_PARTITIONS  partitions of the news topic (default 6)
set -euo pipefail
cd "$(dirname "$0")/.."

items=${1:-1000000}
partitions=${NEWSWATCH_BENCH_PARTITIONS:-6}
work=target/bench-e2e
mkdir -p "$work"

command -v kcat >/dev/null 2>&1 || {
    echo "installing kcat (Debian package)"
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq kcat
}
scripts/install-deps.sh
cargo build --release --locked --bin newswatch

if [ -z "${NEWSWATCH_BENCH_BROKERS:-}" ]; then
    scripts/kafka.sh start
    trap 'scripts/kafka.sh stop' EXIT
    brokers="127.0.0.1:${NEWSWATCH_KAFKA_PORT:-9092}"
else
    brokers=$NEWSWATCH_BENCH_BROKERS
fi

run=$(date +%s)
news="bench-news-$run"
alerts="bench-alerts-$run"
scripts/kafka.sh topics-create "$news" "$partitions" >/dev/null
scripts/kafka.sh topics-create "$alerts" 3 >/dev/null

data="$work/items-$items.jsonl"
if [ ! -s "$data" ]; then
    echo "generating $items items"
    python3 scripts/gen-news.py "$items" > "$data.tmp" && mv "$data.tmp" "$data"
fi
bytes=$(wc -c < "$data")
echo "producing $items items ($((bytes / 1000000)) MB) to $news ($partitions partitions)"
kcat -P -b "$brokers" -t "$news" -X linger.ms=20 -X batch.size=1000000 -l "$data"

now() { date +%s.%N; }

echo "(a) kcat -C -e to /dev/null"
t0=$(now)
kcat -C -b "$brokers" -t "$news" -o beginning -e -q > /dev/null
t1=$(now)
kcat_s=$(echo "$t1 - $t0" | bc -l)

echo "(b) newswatch run with the default watchlist"
config="$work/config-$run.toml"
cat > "$config" <<EOF
[kafka]
brokers = "$brokers"
group_id = "bench-$run"
topics = ["$news"]
[watchlist]
path = "config/watchlist.toml"
[[sinks]]
name = "alerts"
type = "kafka"
topic = "$alerts"
[log]
format = "json"
level = "info,newswatch::source=debug"
EOF
log="$work/newswatch-$run.log"
t0=$(now)
target/release/newswatch run --config "$config" 2> "$log" &
pid=$!
# Done when the committed positions add up to every item.
done_at=""
rss=""
while kill -0 "$pid" 2>/dev/null; do
    grep -F -e 'committing offsets' "$log" > "$work/commits.txt" || true
    if python3 - "$items" "$work/commits.txt" <<'EOF'
import json, re, sys
total = {}
for line in open(sys.argv[2], encoding="utf-8", errors="replace"):
    try:
        rec = json.loads(line)
    except ValueError:
        continue
    for t, p, o in re.findall(r'\("([^"]+)", (\d+), (\d+)\)', rec.get("offsets", "")):
        total[(t, p)] = int(o)
sys.exit(0 if sum(total.values()) >= int(sys.argv[1]) else 1)
EOF
    then
        done_at=$(now)
        rss=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
        break
    fi
    sleep 0.2
done
kill -TERM "$pid" 2>/dev/null || true
wait "$pid" || true
[ -n "$done_at" ] || { echo "newswatch did not finish; log: $log" >&2; tail -20 "$log" >&2; exit 1; }
nw_s=$(echo "$done_at - $t0" | bc -l)
alerts_n=$(grep -c '"message":"alert"' "$log" || true)

printf '\nitems: %d, %d MB; alerts: %d\n' "$items" "$((bytes / 1000000))" "$alerts_n"
printf '%-34s %10s %12s %10s\n' "consumer" "seconds" "items/s" "MB/s"
printf '%-34s %10.2f %12.0f %10.1f\n' "(a) kcat -C -e > /dev/null" "$kcat_s" "$(echo "$items / $kcat_s" | bc -l)" "$(echo "$bytes / 1000000 / $kcat_s" | bc -l)"
printf '%-34s %10.2f %12.0f %10.1f\n' "(b) newswatch run, default list" "$nw_s" "$(echo "$items / $nw_s" | bc -l)" "$(echo "$bytes / 1000000 / $nw_s" | bc -l)"
printf 'ratio b/a: %.2f\n' "$(echo "$kcat_s / $nw_s" | bc -l)"
[ -z "$rss" ] || printf 'newswatch peak RSS: %d MB\n' "$((rss / 1024))"
