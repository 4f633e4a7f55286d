#!/usr/bin/env bash
# End-to-end benchmarks, in one run on one broker and one topic of ITEMS
# generated news items (scripts/gen-news.py: 1-3 KB, EN/RU/ZH, ~4% chip news):
#
#   1. kcat -C -e reading the topic to /dev/null: the raw librdkafka consume
#      rate, the baseline;
#   2. newswatch run consuming the topic to an alerts topic until every item
#      is done (its alerts acknowledged and its offset committable, from
#      /metrics), with the default watchlist and with generated watchlists
#      of 1k, 10k and 100k terms (scripts/gen-watchlist.py); the 100k/1k time
#      ratio;
#   2a. the same under pipeline.guarantee = "exactly-once" (issue 15);
#   2b. newswatch replay of the whole topic (default watchlist, alerts to a
#      file): its rate against row 2's and the cores it keeps busy;
#   3. a plain Python consumer (scripts/python_consumer.py: confluent-kafka,
#      json, pyahocorasick) with the same 1k-term watchlist, on the first
#      NEWSWATCH_BENCH_PY_ITEMS items; the newswatch/Python ratio;
#   4. produce-to-alert latency p50/p99/max of newswatch (default watchlist) at
#      a steady 1,000 alerting items/s for 30 s (after a warm-up not counted)
#      into a fresh topic (scripts/latency.py), with the floor: the same items
#      as a plain consumer of that topic receives them; once with the built-in
#      fetch settings, once with fetch.min.bytes = 65536 and
#      fetch.wait.max.ms = 5 (README: for a small broker sharing its cores);
#   5. peak RSS (VmHWM) of newswatch in every run, and its CPU by thread
#      (workers, librdkafka's broker threads, the poll loop);
#   6. `newswatch check` wall time and peak RSS (/usr/bin/time) for generated
#      watchlists of 100k and 1M terms: the watchlist build;
#   8. the floor per item (issue 20): for each watchlist row 2 measured, the
#      bare automaton over the items' already-normalized text
#      (examples/bare_automaton.rs, CPU per item, median of 3 passes); with
#      row 1's kcat CPU per item, newswatch run's CPU per item as a multiple
#      of (a) kcat + (b) the bare automaton (goal: at most 1.5x);
#   7. a live reload to a 1M-term watchlist (the default one plus 1M generated
#      terms) 5 s into a latency run like 4 (40 s): latency of the items
#      produced from the swap on, the longest gap between two alerts, the
#      build time newswatch logs, and peak RSS.
#
# Rows run in the order 1, 4, 7, 2, 2b, 3, 6, 8: latency first, on a broker not
# yet worn by the throughput rows. Before rows 2 one newswatch run over the
# topic, not measured, warms the broker (warm_broker).
#
# Prints a Markdown table (every row with the command that produced it, for
# BENCHMARKS.md), also saved as target/bench-e2e/results-RUN.md.
#
# Usage: scripts/bench-e2e.sh [ITEMS]      (default 300000, ~10 minutes on 2
#                                           cores; 1000000 for the full size)
# Env:   NEWSWATCH_BENCH_BROKERS     use this broker instead of starting one with
#                                    scripts/kafka.sh (on NEWSWATCH_KAFKA_PORT,
#                                    default 19092 here, storage in target/bench-e2e/kafka)
#        NEWSWATCH_BENCH_PARTITIONS  partitions of the news topics (default 6)
#        NEWSWATCH_BENCH_PY_ITEMS    items the Python consumer reads (default 100000)
#        NEWSWATCH_BENCH_LATENCY_RATE, NEWSWATCH_BENCH_LATENCY_SECONDS  (1000, 30)
#        NEWSWATCH_BENCH_LATENCY_WARMUP  seconds at that rate before the latency
#                                    row measures (default 30): the broker's
#                                    JIT needs them, else its p99 is seconds
#        NEWSWATCH_BENCH_ONLY        a comma-separated subset of the rows: kcat,
#                                    default, default-eos, replay, 1k, 10k, 100k,
#                                    python, latency, latency-fetch, latency-eos,
#                                    latency-eos-20ms, check, reload, floor
#                                    (default: all; floor needs kcat and the
#                                    watchlist rows it is for)
#        CARGO_TARGET_DIR            where cargo builds (the binary is copied
#                                    to target/bench-e2e/newswatch first)
# Python packages (pinned) go to a venv in
# ${XDG_CACHE_HOME:-$HOME/.cache}/newswatch/bench-venv.
set -euo pipefail
cd "$(dirname "$0")/.."

load0=$(cut -d' ' -f1 /proc/loadavg)  # before this script's own work
items=${1:-300000}
[[ $items =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [ITEMS]" >&2; exit 2; }
partitions=${NEWSWATCH_BENCH_PARTITIONS:-6}
py_items=${NEWSWATCH_BENCH_PY_ITEMS:-100000}
lat_rate=${NEWSWATCH_BENCH_LATENCY_RATE:-1000}
lat_secs=${NEWSWATCH_BENCH_LATENCY_SECONDS:-30}
lat_warmup=${NEWSWATCH_BENCH_LATENCY_WARMUP:-30}
only=${NEWSWATCH_BENCH_ONLY:-all}
# want ROW: true when ROW is to be measured in this run.
want() { [[ $only == all || ,$only, == *,$1,* ]]; }
work=target/bench-e2e
mkdir -p "$work"

# --- tools ----------------------------------------------------------------------
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
apt_missing=()
command -v kcat >/dev/null 2>&1 || apt_missing+=(kcat)
[ -x /usr/bin/time ] || apt_missing+=(time)
python3 -c 'import ensurepip, venv' 2>/dev/null || apt_missing+=(python3-venv)
if [ ${#apt_missing[@]} -gt 0 ]; then
    echo "installing ${apt_missing[*]} (Debian packages)"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${apt_missing[@]}"
fi
scripts/install-deps.sh

# shellcheck source=scripts/bench-venv.sh
. scripts/bench-venv.sh  # sets venv, py, pins

cargo build --release --locked --bin newswatch --example bare_automaton
# Copies: a build in the same target dir during the run must not swap them.
cp "${CARGO_TARGET_DIR:-target}/release/newswatch" "$work/newswatch"
cp "${CARGO_TARGET_DIR:-target}/release/examples/bare_automaton" "$work/bare_automaton"
nw=$work/newswatch

# --- broker and topics ------------------------------------------------------------
nw_pid=""
cleanup() {
    if [ -n "$nw_pid" ]; then kill -TERM "$nw_pid" 2>/dev/null || true; fi
    if [ -z "${NEWSWATCH_BENCH_BROKERS:-}" ]; then scripts/kafka.sh stop || true; fi
}
trap cleanup EXIT
if [ -z "${NEWSWATCH_BENCH_BROKERS:-}" ]; then
    # Not 9092 and not target/kafka: the test suite's broker may be running.
    export NEWSWATCH_KAFKA_PORT=${NEWSWATCH_KAFKA_PORT:-19092}
    export NEWSWATCH_KAFKA_DIR=${NEWSWATCH_KAFKA_DIR:-$PWD/$work/kafka}
    scripts/kafka.sh start
    brokers="127.0.0.1:$NEWSWATCH_KAFKA_PORT"
    broker_pid=$(cat "$NEWSWATCH_KAFKA_DIR/broker.pid")
else
    broker_pid=""  # not ours: its CPU time is not measured
    brokers=$NEWSWATCH_BENCH_BROKERS
fi

run=$(date +%s)
news="bench-news-$run"
"$py" scripts/bench-util.py create-topics "$brokers" "$news:$partitions" \
    "bench-alerts-warm-$run:3" "bench-alerts-default-$run:3" "bench-alerts-default-eos-$run:3" "bench-alerts-1k-$run:3" "bench-alerts-10k-$run:3" \
    "bench-alerts-100k-$run:3" "bench-alerts-python-$run:3" \
    "bench-reload-news-$run:$partitions" "bench-alerts-reload-$run:3"
"$py" scripts/bench-util.py warm-groups "$brokers" "$news"

results=$work/results-$run.jsonl
: >"$results"
# row key=value...: one result line (numbers stay numbers, empty values are null).
row() {
    "$py" -c '
import json, sys
d = {"kind": "row", "load": open("/proc/loadavg").read().split()[0]}
for a in sys.argv[1:]:
    k, v = a.split("=", 1)
    if v in ("true", "false"):
        d[k] = v == "true"
        continue
    for conv in (int, float):
        try:
            v = conv(v)
            break
        except ValueError:
            pass
    d[k] = None if v == "" else v
print(json.dumps(d, ensure_ascii=False))' "$@" >>"$results"
}
calc() { "$py" -c "print($1)"; }
cpu() { "$py" scripts/bench-util.py cpu "$1"; }
# cpu_since BEFORE PID: CPU seconds PID used since BEFORE was read (empty if unknown).
cpu_since() {
    local now
    now=$(cpu "$2")
    if [ -n "$1" ] && [ -n "$now" ]; then calc "round($now - $1, 2)"; fi
}
now() { date +%s.%N; }
jget() { "$py" -c 'import json, sys; v = json.loads(sys.argv[1]).get(sys.argv[2]); print("" if v is None else v)' "$1" "$2"; }

# --- data -------------------------------------------------------------------------------
data="$work/items-$items-$(sha256sum scripts/gen-news.py | cut -c1-8).jsonl"
if [ ! -s "$data" ]; then
    echo "generating $items items"
    python3 scripts/gen-news.py "$items" >"$data.tmp" && mv "$data.tmp" "$data"
fi
bytes=$(wc -c <"$data")
wl1k=$work/watchlist-1k.toml
wl10k=$work/watchlist-10k.toml
wl100k=$work/watchlist-100k.toml
wl1m=$work/watchlist-1m.toml
python3 scripts/gen-watchlist.py 1000 >"$wl1k"
python3 scripts/gen-watchlist.py 10000 >"$wl10k"
python3 scripts/gen-watchlist.py 100000 >"$wl100k"
if want check || want reload; then python3 scripts/gen-watchlist.py 1000000 >"$wl1m"; fi

"$py" -c '
import json, sys, os
print(json.dumps({"kind": "meta", "items": int(sys.argv[1]), "bytes": int(sys.argv[2]),
    "partitions": int(sys.argv[3]), "brokers": sys.argv[4], "version": sys.argv[5],
    "git": sys.argv[6], "date": sys.argv[7], "host": f"{os.cpu_count()} cores",
    "load": sys.argv[8], "binary": sys.argv[9]}))' \
    "$items" "$bytes" "$partitions" "$brokers" "$("$nw" --version | awk '{print $2}')" \
    "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src Cargo.lock config || echo +dirty)" \
    "$(date -u +%Y-%m-%d)" "$load0" "$(sha256sum "$nw" | cut -c1-12)" >>"$results"

echo "producing $items items ($((bytes / 1000000)) MB) to $news ($partitions partitions)"
kcat -P -b "$brokers" -t "$news" -X linger.ms=20 -X batch.size=1000000 -l "$data"

# --- 1. kcat ------------------------------------------------------------------------------
# Always read once: this also warms the broker (its JIT, the page cache)
# for the rows after it.
echo "1. kcat -C -e to /dev/null"
b0=$(cpu "$broker_pid")
t0=$(now)
/usr/bin/time -f '%U %S' -o "$work/kcat-time-$run.txt" kcat -C -b "$brokers" -t "$news" -o beginning -e -q >/dev/null
t1=$(now)
if want kcat; then
    read -r u s <"$work/kcat-time-$run.txt"
    row key=kcat name="kcat -C -e > /dev/null (baseline)" items="$items" bytes="$bytes" \
        seconds="$(calc "$t1 - $t0")" cpu_s="$(calc "$u + $s")" broker_cpu_s="$(cpu_since "$b0" "$broker_pid")" cmd="kcat -C -b $brokers -t $news -o beginning -e -q > /dev/null"
fi

# --- 2. + 5. newswatch run --------------------------------------------------------------------
# write_config KEY TOPIC WATCHLIST [EXTRA]: a config consuming TOPIC with a new
# group, EXTRA (TOML tables) appended.
write_config() {
    local config="$work/config-$1-$run.toml"
    cat >"$config" <<EOF
[kafka]
brokers = "$brokers"
group_id = "bench-$1-$run"
topics = ["$2"]
[watchlist]
path = "$3"
[[sinks]]
name = "alerts"
type = "kafka"
topic = "bench-alerts-$1-$run"
[http]
listen = "127.0.0.1:0"
[log]
format = "json"
level = "info,newswatch::source=debug"
${4:-}
EOF
    echo "$config"
}

# until_done KEY WATCHLIST [EXTRA]: newswatch run over the news topic with a
# new group until every item is committed, configured with EXTRA; sets t0,
# res (bench-util.py wait-done's JSON), nw_cpu, nw_threads, broker_cpu and
# last_config (the config file written).
until_done() {
    local key=$1 wl=$2 extra=${3:-} config log b0
    config=$(write_config "$key" "$news" "$wl" "$extra")
    log="$work/newswatch-$key-$run.log"
    b0=$(cpu "$broker_pid")
    t0=$(now)
    "$nw" run --config "$config" 2>"$log" &
    nw_pid=$!
    # Done when /metrics shows every item consumed and none in flight (alerts
    # acknowledged, offsets committable); else when the commits in the log add up.
    if ! res=$("$py" scripts/bench-util.py wait-done "$log" "$items" "$nw_pid" 3600); then
        echo "newswatch did not finish; log: $log" >&2
        tail -20 "$log" >&2
        exit 1
    fi
    nw_cpu=$(cpu "$nw_pid")
    nw_threads=$("$py" scripts/bench-util.py threads "$nw_pid")
    broker_cpu=$(cpu_since "$b0" "$broker_pid")
    kill -TERM "$nw_pid" 2>/dev/null || true
    wait "$nw_pid" || true
    nw_pid=""
    last_config=$config
}

# run_newswatch KEY NAME WATCHLIST [EXTRA]: a row of newswatch run until every
# item is committed, configured with EXTRA.
run_newswatch() {
    local key=$1 name=$2 wl=$3 extra=${4:-} done_at assigned_at seconds
    want "$key" || return 0
    echo "2. newswatch run, $name"
    until_done "$key" "$wl" "$extra"
    done_at=$(jget "$res" done_at)
    assigned_at=$(jget "$res" assigned_at)
    seconds=$(calc "$done_at - $t0")
    row key="$key" name="newswatch run, $name" items="$items" bytes="$bytes" seconds="$seconds" \
        alerts="$(jget "$res" alerts)" rss_kb="$(jget "$res" rss_kb)" \
        steady_seconds="$(calc "$done_at - $assigned_at")" cpu_s="$nw_cpu" broker_cpu_s="$broker_cpu" \
        startup_cpu_s="$(jget "$res" startup_cpu_s)" \
        notes="incl. start-up: partitions assigned after $(calc "round($assigned_at - $t0, 2)") s; $(calc "f'{$items / ($done_at - $assigned_at):,.0f}'") items/s from then on; end seen by $(jget "$res" how); CPU s by thread: $nw_threads" \
        cmd="newswatch run --config $last_config  (watchlist $wl)"
}

# warm_broker: one newswatch run over the topic, not a row, before the
# throughput rows, so that the first of them does not pay for the broker's
# JIT compiling its fetch, commit and produce paths on the same two cores
# (a long-running broker has done that long before). The latency rows used
# to do this when they ran first; a subset without them did not
# (BENCHMARKS.md, "Eighth session").
warm_broker() {
    echo "warming the broker: newswatch run over the topic, not measured"
    until_done warm config/watchlist.toml
    echo "  broker CPU while warming: $broker_cpu s"
}

# settle: wait (up to 60 s) until the broker idles (under 0.15 core for
# 3 s running), so that a latency row measures newswatch, not the broker
# still busy with the previous row. Prints the seconds waited.
settle() {
    local t0 waited=0 quiet=0 a b
    t0=$(now)
    [ -n "$broker_pid" ] || { echo 0; return; }
    while [ "$quiet" -lt 3 ] && [ "$waited" -lt 60 ]; do
        a=$(cpu "$broker_pid"); sleep 1; b=$(cpu "$broker_pid")
        waited=$((waited + 1))
        if [ "$(calc "int($b - $a < 0.15)")" = 1 ]; then quiet=$((quiet + 1)); else quiet=0; fi
    done
    calc "round($(now) - $t0, 1)"
}

# Latency first, after a warm-up at its rate. Measured after the throughput
# rows its floor p99 was about 1 s; first but without the warm-up, 2.6 s (a
# cold broker JIT on the small-request path). Run first, it also warms the
# broker for the throughput rows: the broker's CPU per row fell from 3-7 s
# to under 1 s.
# --- 4. latency -------------------------------------------------------------------------------------
g() { jget "$res" "$1"; }
# with_newswatch KEY CONFIG CMD...: newswatch runs with CONFIG (log in
# $work/newswatch-KEY-RUN.log) while CMD runs; sets res (CMD's output), log,
# and rss (newswatch's peak RSS when CMD ended).
with_newswatch() {
    local key=$1 config=$2
    shift 2
    log="$work/newswatch-$key-$run.log"
    "$nw" run --config "$config" 2>"$log" &
    nw_pid=$!
    res=$("$@") || { echo "$key run failed; log: $log" >&2; tail -20 "$log" >&2; exit 1; }
    rss=$("$py" scripts/bench-util.py rss "$nw_pid")
    kill -TERM "$nw_pid" 2>/dev/null || true
    wait "$nw_pid" || true
    nw_pid=""
}
# run_latency KEY NAME [EXTRA]: one latency row, newswatch configured with EXTRA.
run_latency() {
    local key=$1 name=$2 extra=${3:-} config settled topic
    want "$key" || return 0
    echo "4. latency at $lat_rate items/s for $lat_secs s, $name"
    settled=$(settle)
    topic="bench-$key-news-$run"
    "$py" scripts/bench-util.py create-topics "$brokers" "$topic:$partitions" "bench-alerts-$key-$run:3"
    config=$(write_config "$key" "$topic" config/watchlist.toml "$extra")
    lat_cmd=("$py" scripts/latency.py --brokers "$brokers" --topic "$topic"
        --alerts-topic "bench-alerts-$key-$run" --rate "$lat_rate" --seconds "$lat_secs"
        --warmup-seconds "$lat_warmup")
    with_newswatch "$key" "$config" "${lat_cmd[@]}"
    row key="$key" name="produce-to-alert latency, newswatch run, default watchlist, $name" throughput=false \
        items="$(g items)" seconds="$(g seconds)" alerts="$(g alerts)" rss_kb="$rss" \
        rate="$(g rate_achieved)" p99="$(g kafka_p99_ms)" floor_p99="$(g item_received_p99_ms)" \
        notes="at $(g rate_achieved) items/s (all alerting): p50 $(g kafka_p50_ms) / p99 $(g kafka_p99_ms) / max $(g kafka_max_ms) ms (alert's Kafka timestamp - item's); alert received by a Python subscriber: p50 $(g received_p50_ms) / p99 $(g received_p99_ms) / max $(g received_max_ms) ms; floor, the item itself received by that subscriber: p50 $(g item_received_p50_ms) / p99 $(g item_received_p99_ms) / max $(g item_received_max_ms) ms; $(g missing) items without alert; broker settled for $settled s before" \
        cmd="newswatch run --config $config & ${lat_cmd[*]#"$venv/bin/"}"
}
run_latency latency "built-in fetch settings"
run_latency latency-fetch "fetch.min.bytes = 65536, fetch.wait.max.ms = 5" \
    "$(printf '[kafka.consumer]\n"fetch.min.bytes" = 65536\n"fetch.wait.max.ms" = 5')"
# Exactly-once (issue 15): alerts and offsets in Kafka transactions, every
# transaction_interval; the Python subscriber reads read_committed
# (librdkafka's default), so an alert counts once its transaction commits.
run_latency latency-eos "exactly-once, transaction_interval 100ms" \
    "$(printf '[pipeline]\nguarantee = "exactly-once"\n')"
run_latency latency-eos-20ms "exactly-once, transaction_interval 20ms" \
    "$(printf '[pipeline]\nguarantee = "exactly-once"\ntransaction_interval = "20ms"\n')"

# --- 7. live reload to 1M terms under a steady stream ------------------------------------------------
if want reload; then
    echo "7. live reload to the default watchlist + 1M terms at $lat_rate items/s"
    settled=$(settle)
    wl_live=$work/watchlist-live-$run.toml
    wl_big=$work/watchlist-default+1m.toml
    cp config/watchlist.toml "$wl_live"
    cat config/watchlist.toml "$wl1m" >"$wl_big"
    config=$(write_config reload "bench-reload-news-$run" "$wl_live")
    reload_cmd=("$py" scripts/latency.py --brokers "$brokers" --topic "bench-reload-news-$run"
        --alerts-topic "bench-alerts-reload-$run" --rate "$lat_rate" --seconds 40
        --swap "$wl_big:$wl_live" --swap-at 5 --drain-timeout 60)
    with_newswatch reload "$config" "${reload_cmd[@]}"
    reloaded=$(grep -o '"build_ms":[0-9]*' "$log" | tail -1 | cut -d: -f2)
    [ -n "$reloaded" ] || { echo "newswatch did not log the reload; log: $log" >&2; exit 1; }
    row key=reload name="live reload to 1M terms (default watchlist + 1M generated), newswatch run" \
        throughput=false items="$(g items)" seconds="$(g seconds)" alerts="$(g alerts)" rss_kb="$rss" \
        rate="$(g rate_achieved)" build_ms="$reloaded" gap="$(g max_alert_gap_ms)" \
        notes="reload built in $reloaded ms (newswatch log), swapped 5 s into 40 s at $(g rate_achieved) items/s; items produced from the swap on ($(g after_swap_items)): p50 $(g after_swap_p50_ms) / p99 $(g after_swap_p99_ms) / max $(g after_swap_max_ms) ms; all items: p99 $(g kafka_p99_ms) / max $(g kafka_max_ms) ms; longest gap between two alerts received: $(g max_alert_gap_ms) ms; $(g missing) items without alert; broker settled for $settled s before" \
        cmd="newswatch run --config $config & ${reload_cmd[*]#"$venv/bin/"}"
fi

if want default || want default-eos || want 1k || want 10k || want 100k; then
    warm_broker
fi
run_newswatch default "default watchlist (741 terms, 4 rules)" config/watchlist.toml
run_newswatch default-eos "default watchlist, exactly-once (transaction_interval 100ms)" \
    config/watchlist.toml "$(printf '[pipeline]\nguarantee = "exactly-once"\n')"

# --- 2b. newswatch replay over the same topic ---------------------------------------------------------
# The whole topic as a replay range (assigned partitions, no group, a
# worker per core), alerts written to a file: against row 2's `run` on the
# same items, and how busy both cores are (CPU s / wall s).
if want replay; then
    echo "2b. newswatch replay of the whole topic, default watchlist"
    config=$(write_config replay "$news" config/watchlist.toml)
    from=$(seq -s, 0 $((partitions - 1)) | sed 's/\([0-9]*\)/\1:0/g')
    b0=$(cpu "$broker_pid")
    /usr/bin/time -f '%e %U %S %M' -o "$work/replay-time-$run.txt" \
        "$nw" replay --config "$config" --from "$from" --output "$work/replay-alerts-$run.jsonl" \
        >"$work/replay-report-$run.txt" 2>"$work/replay-$run.log"
    read -r e u s m <"$work/replay-time-$run.txt"
    row key=replay name="newswatch replay, default watchlist, whole topic" items="$items" bytes="$bytes" \
        seconds="$e" cpu_s="$(calc "$u + $s")" broker_cpu_s="$(cpu_since "$b0" "$broker_pid")" rss_kb="$m" \
        alerts="$(wc -l <"$work/replay-alerts-$run.jsonl")" \
        notes="$(calc "round(($u + $s) / $e, 2)") cores busy on average (CPU s / wall s), start-up included; $(tail -1 "$work/replay-$run.log")" \
        cmd="newswatch replay --config $config --from $from --output FILE"
fi
run_newswatch 1k "1k terms, 10 rules" "$wl1k"
run_newswatch 10k "10k terms, 10 rules" "$wl10k"
run_newswatch 100k "100k terms, 10 rules" "$wl100k"


# --- 3. the Python consumer -------------------------------------------------------------------
py_n=$((py_items < items ? py_items : items))
if want python; then
echo "3. Python consumer, 1k terms, $py_n items"
py_cmd=("$py" scripts/python_consumer.py --brokers "$brokers" --topic "$news"
    --alerts-topic "bench-alerts-python-$run" --watchlist "$wl1k" --max-items "$py_n")
b0=$(cpu "$broker_pid")
res=$(/usr/bin/time -f '%M %U %S' -o "$work/python-rss-$run.txt" "${py_cmd[@]}")
read -r py_rss u s < <(tail -1 "$work/python-rss-$run.txt")
subset=""
[ "$py_n" -ge "$items" ] || subset="the first $py_n of $items items only (slow); "
row key=python name="Python consumer (confluent-kafka, pyahocorasick), 1k terms" \
    items="$(jget "$res" items)" bytes="$(jget "$res" bytes)" seconds="$(jget "$res" seconds)" \
    alerts="$(jget "$res" alerts)" rss_kb="$py_rss" \
    cpu_s="$(calc "$u + $s")" broker_cpu_s="$(cpu_since "$b0" "$broker_pid")" \
    steady_seconds="$(jget "$res" steady_seconds)" \
    notes="${subset}NEAR taken as AND, no NFKC; $pins" cmd="${py_cmd[*]#"$venv/bin/"}"
fi

# --- 6. watchlist build -----------------------------------------------------------------------------
want check && for spec in "100000:$wl100k" "1000000:$wl1m"; do
    n=${spec%%:*}
    wl=${spec#*:}
    echo "6. newswatch check, $n terms"
    /usr/bin/time -f '%e %M' -o "$work/check-time-$run.txt" "$nw" check --watchlist "$wl" >"$work/check-$n-$run.txt"
    read -r secs rss_kb <"$work/check-time-$run.txt"
    summary=$(grep -o 'ok: .*' "$work/check-$n-$run.txt" | head -1)
    row key="check-$n" name="watchlist build: newswatch check, $((n / 1000))k terms" throughput=false \
        seconds="$secs" rss_kb="$rss_kb" notes="${summary#ok: }; wall time incl. TOML parsing" \
        cmd="/usr/bin/time -f '%e %M' newswatch check --watchlist $wl"
done

# --- 8. the floor per item --------------------------------------------------------------------------
# (b) for each watchlist whose run row was measured; (a) is row 1's kcat.
if want floor; then
    for spec in "default:config/watchlist.toml" "1k:$wl1k" "10k:$wl10k" "100k:$wl100k"; do
        key=${spec%%:*}
        wl=${spec#*:}
        grep -q "\"key\": \"$key\"" "$results" || continue
        echo "8. the floor: bare automaton, $key"
        out=$("$work/bare_automaton" "$wl" "$data" 3)
        per_item=$(jget "$out" cpu_s_per_item)
        row key="floor-$key" name="floor (b): bare automaton over the normalized items, $key" \
            throughput=false items="$items" cpu_s="$(calc "round($per_item * $items, 2)")" \
            notes="$(calc "round($per_item * 1e6, 1)") µs per item, $(calc "round($(jget "$out" mb_per_s_normalized))") MB/s of normalized text ($(jget "$out" kind), $(jget "$out" patterns) patterns), median of 3 passes" \
            cmd="bare_automaton $wl ITEMS.jsonl 3  (examples/bare_automaton.rs)"
    done
fi

# --- the table --------------------------------------------------------------------------------------
echo
"$py" scripts/bench-util.py table "$results" | tee "$work/results-$run.md"
