#!/usr/bin/env bash
# newswatch against its best peer and against the floor (issue 20), on one
# core, in one run:
#
#   1. `newswatch scan` (single-threaded) and the Lucene Monitor peer
#      (benches/peers/lucene-monitor: the same watchlist translated to
#      Monitor queries, ICU analysis, one thread, JIT warmed up) over the
#      same ITEMS generated news items (scripts/gen-news.py), for the default
#      watchlist (config/watchlist.toml) and generated ones of 1k, 10k and
#      100k terms (scripts/gen-watchlist.py), in turn, REPEATS times (each
#      repeat starting at the next watchlist): items
#      per CPU second (newswatch's start-up, measured on an empty input, left
#      out; the peer's best of its presearcher x batch configurations), the
#      peer's Monitor build time, both peak RSS;
#   2. per rule, the items both flag, only newswatch flags and only the peer
#      flags (first repeat), with a sample of disagreements for the default
#      watchlist; and the same over benches/peers/probes (a watchlist with
#      one rule per known cause of disagreement, items made to hit each);
#   3. the floor per item: (a) CPU seconds of `kcat -C -e` consuming a topic
#      of the same items (needs a broker: scripts/kafka.sh starts one unless
#      NEWSWATCH_BENCH_BROKERS names one; --no-kafka leaves (a) out), and
#      (b) the bare Aho-Corasick automaton newswatch builds, over the items'
#      already-normalized text (examples/bare_automaton.rs); newswatch scan's
#      CPU per item as a multiple of (a)+(b).
#
# Every measured process runs pinned to CPU 0 (`taskset -c 0`); the JVM is
# told it has one processor (-XX:ActiveProcessorCount=1, so one GC thread).
# Rates are items per CPU second (user + system, all threads of the
# process), so a busy machine costs less than in wall time; still, compare
# the ratios of one run.
#
# Prints Markdown tables, also saved as target/bench-peers/results-RUN.md
# (raw results: results-RUN.jsonl).
#
# Usage: scripts/bench-peers.sh [--no-kafka] [REPEATS]     (default 3)
# Env:   NEWSWATCH_PEERS_ITEMS    items (default 20000). Fewer leave Lucene's JIT
#                                 cold: its warm-up and timed passes run out of
#                                 items (2,000 items gave 22-25x where 20,000
#                                 gave 11x, same host, same hour), so a small
#                                 run only checks that the script works
#        NEWSWATCH_PEERS_BUDGET   seconds per Lucene configuration (default 20):
#                                 its warm-up stops after a third of it, and
#                                 its timed passes repeat the items the
#                                 warm-up reached while the rest lasts
#        NEWSWATCH_PEERS_SIZES    a subset of: default,1k,10k,100k (default all)
#        NEWSWATCH_PEERS_HEAP     the JVM's -Xmx (default 4g)
#        NEWSWATCH_PEERS_SCAN_COPIES  newswatch scan reads the items this many
#                                 times in one run (default 10: a CPU second or
#                                 more, start-up a small part), kcat ...
#        NEWSWATCH_PEERS_KCAT_COPIES  ... a topic of them this many times over
#                                 (default 10): CPU times well above the
#                                 10 ms ticks of /usr/bin/time
#        NEWSWATCH_BENCH_BROKERS  use this broker for (a) instead of starting one
#                                 (it must create topics on first use)
#        NEWSWATCH_KAFKA_PORT     the port of the broker this script starts
#                                 (scripts/kafka.sh) for (a) otherwise: default
#                                 19093 (not kafka.sh's 9092, which the tests
#                                 use), storage in target/bench-peers/kafka
#        CARGO_TARGET_DIR         where cargo builds
# Needs: java 17 and mvn (Maven Central, or ~/.m2 filled by an earlier run),
# cargo, python3, taskset, /usr/bin/time, kcat (unless --no-kafka).
set -euo pipefail
cd "$(dirname "$0")/.."

load0=$(cut -d' ' -f1 /proc/loadavg)
kafka=1
if [ "${1:-}" = "--no-kafka" ]; then
    kafka=0
    shift
fi
repeats=${1:-3}
[[ $repeats =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [--no-kafka] [REPEATS]" >&2; exit 2; }
items=${NEWSWATCH_PEERS_ITEMS:-20000}
[ "$items" -ge 20000 ] || echo "note: NEWSWATCH_PEERS_ITEMS=$items: below 20000 items Lucene's JIT stays cold and the ratios come out about twice too high; this run only checks that the script works" >&2
budget=${NEWSWATCH_PEERS_BUDGET:-20}
heap=${NEWSWATCH_PEERS_HEAP:-4g}
kcopies=${NEWSWATCH_PEERS_KCAT_COPIES:-10}
scopies=${NEWSWATCH_PEERS_SCAN_COPIES:-10}
sizes=${NEWSWATCH_PEERS_SIZES:-default,1k,10k,100k}
work=target/bench-peers
mkdir -p "$work"
run=$(date +%s)
results=$work/results-$run.jsonl
: >"$results"
helper=scripts/bench-peers.py

for tool in java mvn taskset python3; do
    command -v "$tool" >/dev/null || { echo "$tool is needed" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (Debian: apt-get install time)" >&2; exit 1; }
if [ "$kafka" = 1 ] && ! command -v kcat >/dev/null; then
    echo "kcat is needed for the floor's (a) (Debian: apt-get install kcat), or pass --no-kafka" >&2
    exit 1
fi

# --- builds -----------------------------------------------------------------------------
peer_dir=benches/peers/lucene-monitor
echo "building the Lucene Monitor peer"
# Maven's output only when the build fails (Maven 3.8 writes colour resets
# even with -q).
mvn_log=$PWD/$work/mvn.log
(cd "$peer_dir" && { mvn -B -q -o package >"$mvn_log" 2>&1 || mvn -B -q package >"$mvn_log" 2>&1; }) ||
    { cat "$mvn_log" >&2; echo "building the Lucene Monitor peer failed (log: $mvn_log)" >&2; exit 1; }
jar=$work/lucene-monitor-peer.jar
cp "$peer_dir/target/lucene-monitor-peer.jar" "$jar"
echo "building newswatch and examples/bare_automaton.rs (release)"
cargo build --release --locked --bin newswatch --example bare_automaton
target=${CARGO_TARGET_DIR:-target}
# Copies: a build in the same target dir during the run must not swap them.
cp "$target/release/newswatch" "$work/newswatch"
cp "$target/release/examples/bare_automaton" "$work/bare_automaton"
nw=$work/newswatch
bare=$work/bare_automaton
java_cmd=(java -XX:ActiveProcessorCount=1 "-Xmx$heap" -jar "$jar")

# --- data ------------------------------------------------------------------------------------
data="$work/items-$items-$(sha256sum scripts/gen-news.py | cut -c1-8).jsonl"
if [ ! -s "$data" ]; then
    echo "generating $items items"
    python3 scripts/gen-news.py "$items" >"$data.tmp" && mv "$data.tmp" "$data"
fi
bytes=$(wc -c <"$data")
declare -A wl=([default]=config/watchlist.toml)
for n in 1k:1000 10k:10000 100k:100000; do
    wl[${n%%:*}]=$work/watchlist-${n%%:*}.toml
    # Only the sizes this run measures.
    [[ ",$sizes," == *",${n%%:*},"* ]] || continue
    python3 scripts/gen-watchlist.py "${n#*:}" >"${wl[${n%%:*}]}"
done
empty=$work/empty.jsonl
: >"$empty"

# line KIND key=value...: one result line (numbers stay numbers).
line() {
    python3 -c '
import json, sys
d = {"kind": sys.argv[1]}
for a in sys.argv[2:]:
    k, v = a.split("=", 1)
    for conv in (int, float):
        try:
            v = conv(v)
            break
        except ValueError:
            pass
    d[k] = v
print(json.dumps(d))' "$@" >>"$results"
}
calc() { python3 -c "print($1)"; }

lucene_version=$(unzip -p "$jar" META-INF/maven/org.apache.lucene/lucene-core/pom.properties 2>/dev/null \
    | sed -n 's/^version=//p' || true)
python3 -c '
import json, sys, os
print(json.dumps({"kind": "meta", "repeats": int(sys.argv[1]), "items": int(sys.argv[2]),
    "bytes": int(sys.argv[3]), "version": sys.argv[4], "git": sys.argv[5], "date": sys.argv[6],
    "host": f"{os.cpu_count()} cores", "load": sys.argv[7], "lucene": sys.argv[8], "java": sys.argv[9],
    "budget_s": float(sys.argv[10]), "scan_copies": int(sys.argv[11]), "kcat_copies": int(sys.argv[12])}))' \
    "$repeats" "$items" "$bytes" "$("$nw" --version | awk '{print $2}')" \
    "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src Cargo.lock config benches examples || echo +dirty)" \
    "$(date -u +%Y-%m-%d)" "$load0" "${lucene_version:-?}" \
    "$(java -version 2>&1 | head -1 | tr -d '"')" "$budget" "$scopies" "$kcopies" >>"$results"

# --- 1. newswatch scan and the peer, in turn ---------------------------------------------------
# nw_scan SIZE REP: newswatch scan over the items, and over no item (its
# start-up: reading and building the watchlist), pinned to CPU 0.
nw_scan() {
    local size=$1 rep=$2 w=${wl[$1]} e u s m eu es
    local out=$work/newswatch-$size-$run.jsonl
    local inputs=()
    for _ in $(seq 1 "$scopies"); do inputs+=("$data"); done
    taskset -c 0 /usr/bin/time -f '%e %U %S %M' -o "$work/time.txt" \
        "$nw" scan --watchlist "$w" "${inputs[@]}" >"$out"
    read -r e u s m <"$work/time.txt"
    # Start-up: the median of three runs over no item (at 100k terms it is
    # a third of the run and swings by half between runs).
    local starts=()
    for _ in 1 2 3; do
        taskset -c 0 /usr/bin/time -f '%e %U %S %M' -o "$work/time.txt" \
            "$nw" scan --watchlist "$w" "$empty" >/dev/null
        read -r _ eu es _ <"$work/time.txt"
        starts+=("$(calc "$eu + $es")")
    done
    local cpu start n=$((scopies * items))
    cpu=$(calc "round($u + $s, 2)")
    start=$(printf '%s\n' "${starts[@]}" | sort -g | sed -n 2p)
    line newswatch size="$size" rep="$rep" items="$n" cpu_s="$cpu" wall_s="$e" startup_cpu_s="$start" rss_kb="$m" \
        alerts="$(wc -l <"$out")" items_per_s="$(calc "round($n / max($cpu - $start, 1e-9))")" \
        cmd="taskset -c 0 newswatch scan --watchlist $w ${inputs[*]}"
    echo "  newswatch scan, $size: $(calc "round($n / max($cpu - $start, 1e-9))") items/s ($cpu CPU s for $n items, start-up $start s)"
}

# lucene SIZE REP: the peer over the same items, pinned to CPU 0; on the
# first repeat it also writes every item's matched rules.
lucene() {
    local size=$1 rep=$2 w=${wl[$1]} extra=()
    local out=$work/lucene-$size-$rep-$run.json
    [ "$rep" != 1 ] || extra=(--alerts "$work/lucene-alerts-$size-$run.tsv")
    taskset -c 0 "${java_cmd[@]}" --watchlist "$w" --items "$data" --term-sets \
        --batches 1000,100,1 --budget-seconds "$budget" "${extra[@]}" >"$out"
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
d.update(kind="lucene", size=sys.argv[2], rep=int(sys.argv[3]),
         build_s=min(c["build_s"] for c in d["configs"]), cmd=sys.argv[4])
print(json.dumps(d))' "$out" "$size" "$rep" \
        "taskset -c 0 ${java_cmd[*]} --watchlist $w --items $data --term-sets --batches 1000,100,1 --budget-seconds $budget" \
        >>"$results"
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print("  Lucene Monitor, {}: {} items/s ({}), {} rules translated, {} skipped, configs agree: {}".format(
    sys.argv[2], d["docs_per_s"], d["best_config"], d["rules_translated"], d["rules_skipped"],
    d["configs_agree"]))' \
        "$out" "$size"
}

IFS=, read -r -a size_list <<<"$sizes"
for rep in $(seq 1 "$repeats"); do
    # Each repeat starts at the next size: the first measurement after the
    # build ran slow (a default-watchlist scan at 0.73-0.79 of its later
    # repeats, BENCHMARKS.md "Eighth session"), and it no longer falls on
    # the same size every time.
    shift_by=$(((rep - 1) % ${#size_list[@]}))
    order=("${size_list[@]:shift_by}" "${size_list[@]:0:shift_by}")
    for size in "${order[@]}"; do
        [ -n "${wl[$size]:-}" ] || { echo "unknown size $size" >&2; exit 2; }
        echo "repeat $rep/$repeats, watchlist $size"
        nw_scan "$size" "$rep"
        if [ "$rep" = 1 ]; then
            python3 "$helper" alerts "$work/newswatch-$size-$run.jsonl" "$work/newswatch-alerts-$size-$run.tsv"
        fi
        lucene "$size" "$rep"
    done
done

# --- 2. agreement (first repeat) ---------------------------------------------------------------
for size in "${size_list[@]}"; do
    samples=6
    [ "$size" != default ] || samples=12
    python3 "$helper" agree "$data" "$work/newswatch-alerts-$size-$run.tsv" \
        "$work/lucene-alerts-$size-$run.tsv" "$work/lucene-$size-1-$run.json" "$samples" \
        | python3 -c 'import json, sys; d = json.load(sys.stdin); d.update(kind="agree", size=sys.argv[1]); print(json.dumps(d, ensure_ascii=False))' "$size" \
        >>"$results"
done

# The probes: one rule per known cause of disagreement, items made to hit
# each (benches/peers/probes), untimed.
probes=benches/peers/probes
"$nw" scan --watchlist "$probes/watchlist.toml" "$probes/items.jsonl" >"$work/newswatch-probes-$run.jsonl"
python3 "$helper" alerts "$work/newswatch-probes-$run.jsonl" "$work/newswatch-alerts-probes-$run.tsv"
"${java_cmd[@]}" --watchlist "$probes/watchlist.toml" --items "$probes/items.jsonl" --term-sets \
    --batches 1 --passes 1 --budget-seconds 1 --alerts "$work/lucene-alerts-probes-$run.tsv" \
    >"$work/lucene-probes-$run.json"
python3 "$helper" agree "$probes/items.jsonl" "$work/newswatch-alerts-probes-$run.tsv" \
    "$work/lucene-alerts-probes-$run.tsv" "$work/lucene-probes-$run.json" 100 \
    | python3 -c 'import json, sys; d = json.load(sys.stdin); d.update(kind="agree", size="probes"); print(json.dumps(d, ensure_ascii=False))' \
    >>"$results"

# --- 3. the floor -------------------------------------------------------------------------------
for size in "${size_list[@]}"; do
    for rep in $(seq 1 "$repeats"); do
        taskset -c 0 "$bare" "${wl[$size]}" "$data" 5 >"$work/bare.json"
        python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
d.update(kind="bare", size=sys.argv[2], rep=int(sys.argv[3]))
print(json.dumps(d))' "$work/bare.json" "$size" "$rep" >>"$results"
    done
    echo "  bare automaton, $size: $(python3 -c 'import json; d = json.load(open("'"$work/bare.json"'")); print(d["patterns"], "patterns,", d["kind"], round(d["mb_per_s_normalized"]), "MB/s")')"
done

if [ "$kafka" = 1 ]; then
    started=""
    if [ -z "${NEWSWATCH_BENCH_BROKERS:-}" ]; then
        export NEWSWATCH_KAFKA_PORT=${NEWSWATCH_KAFKA_PORT:-19093}
        export NEWSWATCH_KAFKA_DIR=${NEWSWATCH_KAFKA_DIR:-$PWD/$work/kafka}
        scripts/kafka.sh start
        started=1
        trap 'scripts/kafka.sh stop || true' EXIT
        brokers="127.0.0.1:$NEWSWATCH_KAFKA_PORT"
    else
        brokers=$NEWSWATCH_BENCH_BROKERS
    fi
    topic="bench-peers-news-$run"
    # On a broker not ours the topic is auto-created (or kcat -P fails).
    [ -z "$started" ] || scripts/kafka.sh topics-create "$topic" 1 >/dev/null
    # The items $kcopies times over: enough CPU time for /usr/bin/time's
    # 10 ms ticks to be a small error.
    echo "producing $kcopies x $items items to $topic"
    for _ in $(seq 1 "$kcopies"); do
        if ! kcat -P -b "$brokers" -t "$topic" -X linger.ms=20 -X batch.size=1000000 -l "$data" 2>"$work/kcat-produce.err"; then
            head -3 "$work/kcat-produce.err" >&2
            echo "bench-peers: kcat could not produce to $topic on $brokers. A broker named by" \
                "NEWSWATCH_BENCH_BROKERS must create topics on first use (auto.create.topics.enable=true);" \
                "unset it to let scripts/kafka.sh start one, or pass --no-kafka." \
                "The results so far are in $results." >&2
            exit 1
        fi
    done
    # Once to warm the broker up (page cache, JIT), then timed.
    kcat -C -b "$brokers" -t "$topic" -o beginning -e -q >/dev/null
    for rep in $(seq 1 "$repeats"); do
        taskset -c 0 /usr/bin/time -f '%e %U %S' -o "$work/time.txt" \
            kcat -C -b "$brokers" -t "$topic" -o beginning -e -q >"$work/kcat.out"
        read -r e u s <"$work/time.txt"
        got=$(wc -l <"$work/kcat.out")
        [ "$got" -eq $((kcopies * items)) ] || { echo "kcat read $got of $((kcopies * items)) items" >&2; exit 1; }
        line kcat size=all rep="$rep" cpu_s="$(calc "$u + $s")" wall_s="$e" items="$((kcopies * items))" \
            cpu_s_per_item="$(calc "($u + $s) / ($kcopies * $items)")" \
            cmd="taskset -c 0 kcat -C -b $brokers -t $topic -o beginning -e -q > /dev/null"
    done
    if [ -n "$started" ]; then
        scripts/kafka.sh stop || true
        trap - EXIT
    fi
else
    echo
    echo "**** --no-kafka: the floor's (a), kcat consuming the items, is NOT measured; ****"
    echo "**** newswatch's multiple of the floor below is of the bare automaton alone.  ****"
    echo
fi

echo
python3 "$helper" table "$results" | tee "$work/results-$run.md"
