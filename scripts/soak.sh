#!/usr/bin/env bash
# Soak run (issue 13; not in CI): newswatch under a steady stream for MINUTES
# minutes, on a broker of its own, to see that nothing is lost and that
# memory, file descriptors and threads do not grow:
#
#   - 1,000 items/s (scripts/gen-news.py's news, every 50th item instead
#     latency.py's chip-export item: about 6% alert) to a topic of 6
#     partitions, each with a unique id, and 6 bad items a minute (not JSON,
#     not an object, ...) that must reach the dead-letter topic;
#   - alerts to a Kafka topic and to a webhook (the driver's own receiver)
#     that answers 500 to a random 10% of the requests;
#   - the watchlist (a copy of config/watchlist.toml) rewritten every minute,
#     each reload seen on /metrics;
#   - one `scripts/kafka.sh restart` at half time;
#   - newswatch's RSS, open fds and threads sampled every 10 s.
#
# Then it waits until newswatch has caught up, computes the expected alerts
# with `newswatch scan` over every item produced, compares them with the
# alerts received on the topic and accepted by the webhook (duplicates
# counted, not lost), stops newswatch with SIGTERM (exit status 0 expected)
# and prints a Markdown table (for BENCHMARKS.md), also saved as
# target/soak/results-RUN.md with the raw figures in results-RUN.json.
# Exit 1 when anything was lost. scripts/soak.py is the driver.
#
# Usage: scripts/soak.sh MINUTES            (30 for the figures in BENCHMARKS.md)
# Env:   NEWSWATCH_SOAK_RATE     items/s (default 1000)
#        NEWSWATCH_KAFKA_PORT    the broker's port (default 29092 here: not the
#                                test suite's 9092 nor bench-e2e's 19092)
#        NEWSWATCH_KAFKA_DIR     its storage (default target/soak/kafka); the
#                                broker is started fresh and stopped at the end
#        CARGO_TARGET_DIR        where cargo builds (the binary is copied to
#                                target/soak/newswatch first)
# Disk: the items (about 2.5 KB each) are kept by the broker and, gzipped,
# in target/soak/items-RUN.jsonl.gz: about 4.5 GB and 0.4 GB for 30 minutes.
# Python packages (pinned) go to the venv of scripts/bench-venv.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

load0=$(cut -d' ' -f1 /proc/loadavg)  # before this script's own work
minutes=${1:-}
[[ $minutes =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 MINUTES" >&2; exit 2; }
rate=${NEWSWATCH_SOAK_RATE:-1000}
work=target/soak
mkdir -p "$work"

# --- tools ------------------------------------------------------------------------
if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing python3-venv (Debian package)"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv
fi
scripts/install-deps.sh
# shellcheck source=scripts/bench-venv.sh
. scripts/bench-venv.sh  # sets venv, py, pins

cargo build --release --locked --bin newswatch
# A copy: a build in the same target dir during the run must not swap it.
cp "${CARGO_TARGET_DIR:-target}/release/newswatch" "$work/newswatch"
nw=$PWD/$work/newswatch

# --- broker and topics ----------------------------------------------------------------
nw_pid=""
cleanup() {
    if [ -n "$nw_pid" ]; then kill -TERM "$nw_pid" 2>/dev/null || true; fi
    scripts/kafka.sh stop || true
}
trap cleanup EXIT
# Exported: soak.py's `scripts/kafka.sh restart` needs both (without the
# port it would start the broker on 9092).
export NEWSWATCH_KAFKA_PORT=${NEWSWATCH_KAFKA_PORT:-29092}
export NEWSWATCH_KAFKA_DIR=${NEWSWATCH_KAFKA_DIR:-$PWD/$work/kafka}
scripts/kafka.sh start
brokers="127.0.0.1:$NEWSWATCH_KAFKA_PORT"

run=$(date +%s)
news=soak-news-$run
alerts=soak-alerts-$run
dead=soak-dead-letter-$run
"$py" scripts/bench-util.py create-topics "$brokers" "$news:6" "$alerts:3" "$dead:1"
"$py" scripts/bench-util.py warm-groups "$brokers" "$news"

# --- the items, the watchlist, the configuration --------------------------------------
pool="$work/pool-5000-$(sha256sum scripts/gen-news.py | cut -c1-8).jsonl"
[ -s "$pool" ] || python3 scripts/gen-news.py 5000 >"$pool"
watchlist=$PWD/$work/watchlist-$run.toml
cp config/watchlist.toml "$watchlist"
read -r hook_port http_port < <("$py" -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
config=$work/config-$run.toml
cat >"$config" <<EOF
[kafka]
brokers = "$brokers"
group_id = "soak-$run"
topics = ["$news"]
[watchlist]
path = "$watchlist"
reload = true
[[sinks]]
name = "alerts-topic"
type = "kafka"
topic = "$alerts"
[[sinks]]
name = "webhook"
type = "webhook"
url = "http://127.0.0.1:$hook_port/alerts"
# Long enough that no alert is given up (parked) while 10% of requests fail.
max_elapsed = "6h"
[dead_letter]
topic = "$dead"
[http]
listen = "127.0.0.1:$http_port"
[log]
format = "json"
level = "info"
EOF

meta=$("$py" -c '
import json, os, sys
print(json.dumps({"host": f"{os.cpu_count()} cores", "date": sys.argv[1], "version": sys.argv[2],
                  "git": sys.argv[3], "binary": sys.argv[4], "brokers": sys.argv[5], "load": sys.argv[6]}))' \
    "$(date -u '+%Y-%m-%d %H:%M UTC')" "$("$nw" --version | awk '{print $2}')" \
    "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src Cargo.lock config || echo +dirty)" \
    "$(sha256sum "$nw" | cut -c1-12)" "$brokers" "$load0")

# --- the run ------------------------------------------------------------------------------
log=$work/newswatch-$run.log
results=$work/results-$run.json
echo "soak: newswatch run --config $config (log $log), $minutes min at $rate items/s"
"$nw" run --config "$config" 2>"$log" &
nw_pid=$!
driver_status=0
"$py" scripts/soak.py run --pid "$nw_pid" --metrics "http://127.0.0.1:$http_port/metrics" \
    --brokers "$brokers" --topic "$news" --alerts-topic "$alerts" --dead-letter-topic "$dead" \
    --group "soak-$run" --watchlist "$watchlist" --config "$config" --log "$log" --pool "$pool" \
    --items "$work/items-$run.jsonl.gz" --newswatch "$nw" --webhook-port "$hook_port" \
    --minutes "$minutes" --rate "$rate" --meta "$meta" --out "$results" || driver_status=$?

echo "soak: SIGTERM to newswatch"
kill -TERM "$nw_pid"
status=0
wait "$nw_pid" || status=$?
nw_pid=""
if [ "$driver_status" -ne 0 ] || [ ! -s "$results" ]; then
    echo "soak: the driver failed (exit $driver_status); newswatch exited $status; log: $log" >&2
    tail -5 "$log" >&2
    exit 1
fi

echo
cmd="scripts/soak.sh $minutes"
[ "$rate" = 1000 ] || cmd="NEWSWATCH_SOAK_RATE=$rate $cmd"
# pipefail: the table's exit status (1 when anything was lost) is the script's.
"$py" scripts/soak.py table "$results" --exit-status "$status" --command "$cmd" | tee "$work/results-$run.md"
