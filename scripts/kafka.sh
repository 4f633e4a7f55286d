#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft, broker+controller in one JVM)
# on 127.0.0.1, for integration tests and demos. No Docker, no Kafka tarball:
# the broker and its CLI tools are the org.apache.kafka jars from Maven Central,
# fetched once with `mvn` (scripts/kafka/pom.xml) into a cache directory.
#
# Usage (from any directory):
#   scripts/kafka.sh start                       fetch jars if needed, format fresh storage, start, wait until ready
#   scripts/kafka.sh restart                     stop, then start on the same storage (topics and offsets kept)
#   scripts/kafka.sh stop                        SIGTERM, up to 30 s, then SIGKILL; exit 0 even if nothing runs
#   scripts/kafka.sh kill                        SIGKILL at once: a crash (storage kept; `start` with
#                                                NEWSWATCH_KAFKA_KEEP_DATA=1 recovers it); exit 0 even if nothing runs
#   scripts/kafka.sh status                      exit 0 and print "ready" if the broker answers a real request, else 1
#   scripts/kafka.sh topics-create NAME PARTS    create a topic (replication factor 1; no error if it exists)
#   scripts/kafka.sh topics-list                 list topics
#   scripts/kafka.sh produce TOPIC               send each line of stdin as one message
#   scripts/kafka.sh consume TOPIC [N] [MS]      print N messages (default 1) from the beginning; give up after MS ms (default 10000)
#   scripts/kafka.sh tool MAIN_CLASS [ARGS...]   run any main class from the Kafka classpath (e.g. org.apache.kafka.tools.BrokerApiVersionsCommand)
#   scripts/kafka.sh secured-env                 print the NEWSWATCH_TEST_SECURED_* exports of a broker started secured
#                                                (eval "$(scripts/kafka.sh secured-env)")
#
# Prerequisites: java (17+) and mvn (reaching Maven Central), nothing else;
# openssl too in secured mode.
#
# Secured mode (NEWSWATCH_KAFKA_SECURED=1 at start): the broker also serves
# clients on SASL_SSL://127.0.0.1:PORT+2 (SASL/SCRAM-SHA-512 over TLS), next
# to PLAINTEXT on PORT, so one broker serves the plain tests and the secured
# ones. Every fresh format makes, in WORK/tls/ (mode 700):
#   ca.pem               a new CA's certificate: a client's ssl.ca.location
#   ca.key               its private key
#   broker.pem           the broker's private key, its certificate (signed by
#                        the CA, for IP:127.0.0.1 and DNS:localhost) and the CA's
#   newswatch.password   the password of the SCRAM-SHA-512 user `newswatch`,
#                        random at every fresh format (mode 600; it passes on
#                        the command line of Kafka's StorageTool: a test broker's)
#   client.properties    the Java tools' SASL_SSL settings (mode 600), with
#                        which `start` checks that listener answers too
# `restart` and a start with NEWSWATCH_KAFKA_KEEP_DATA=1 keep the mode, the
# user and the certificates of the last fresh start.
#
# Environment (all optional):
#   NEWSWATCH_KAFKA_PORT           client port (default 9092); the controller listens on PORT+1,
#                                  the secured listener (if any) on PORT+2.
#                                  After `start`, the other commands use the port it recorded.
#   NEWSWATCH_KAFKA_VERSION        Kafka version to fetch (default 4.3.1)
#   NEWSWATCH_KAFKA_CACHE          jar cache (default $HOME/.cache/newswatch/kafka-VERSION)
#   NEWSWATCH_KAFKA_DIR            work dir: data, logs, pid (default <repo>/target/kafka)
#   NEWSWATCH_KAFKA_START_TIMEOUT  seconds to wait for readiness (default 60)
#   NEWSWATCH_KAFKA_AUTO_CREATE_TOPICS  auto.create.topics.enable (default false)
#   NEWSWATCH_KAFKA_HEAP_OPTS      broker heap (default "-Xms256m -Xmx512m")
#   NEWSWATCH_KAFKA_SECURED        1: secured mode (above); 0 or unset: PLAINTEXT only
#                                  (unset at a restart: the mode of the last fresh start)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/.." && pwd)
CONF_DIR=$SCRIPT_DIR/kafka
POM=$CONF_DIR/pom.xml

HOST=127.0.0.1
KAFKA_VERSION=${NEWSWATCH_KAFKA_VERSION:-4.3.1}
CACHE=${NEWSWATCH_KAFKA_CACHE:-${HOME:-/tmp}/.cache/newswatch/kafka-$KAFKA_VERSION}
CACHE=${CACHE%/}
WORK=${NEWSWATCH_KAFKA_DIR:-$REPO_DIR/target/kafka}
WORK=${WORK%/}
DATA_DIR=$WORK/data
PID_FILE=$WORK/broker.pid
PORT_FILE=$WORK/broker.port
LOG_FILE=$WORK/broker.log
PROPS=$WORK/server.properties
SECURED_FILE=$WORK/broker.secured
TLS_DIR=$WORK/tls
SCRAM_USER=newswatch
PASSWORD_FILE=$TLS_DIR/$SCRAM_USER.password
CLIENT_PROPS=$TLS_DIR/client.properties
START_TIMEOUT=${NEWSWATCH_KAFKA_START_TIMEOUT:-60}
AUTO_CREATE=${NEWSWATCH_KAFKA_AUTO_CREATE_TOPICS:-false}
STOP_TIMEOUT=30
# 1 (`kill`): the broker is killed at once, as in a crash.
CRASH=0
MARKER=$CACHE/.newswatch-classpath

# The broker: small heap, serial GC (the machine is shared with cargo builds).
read -r -a BROKER_HEAP <<<"${NEWSWATCH_KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
BROKER_JAVA_OPTS=("${BROKER_HEAP[@]}" -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError
    -Djava.awt.headless=true "-Dkafka.logs.dir=$WORK"
    "-Dlog4j2.configurationFile=$CONF_DIR/log4j2-broker.properties")
# The CLI tools: short-lived, so tiny heap and C1 only (starts faster).
TOOL_JAVA_OPTS=(-Xms16m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto
    -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=$CONF_DIR/log4j2-tools.properties")

say() { printf 'kafka: %s\n' "$*"; }
err() { printf 'kafka: %s\n' "$*" >&2; }
die() {
    err "$*"
    exit 1
}

usage() {
    sed -n '2,/^set -euo pipefail/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" >&2
    exit 2
}

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

# The client port: the environment's, else the one `start` recorded, else 9092.
resolve_port() {
    if [[ -n ${NEWSWATCH_KAFKA_PORT:-} ]]; then
        PORT=$NEWSWATCH_KAFKA_PORT
    elif [[ $1 == recorded && -f $PORT_FILE ]]; then
        PORT=$(<"$PORT_FILE")
    else
        PORT=9092
    fi
    if ! is_uint "$PORT" || ((PORT < 1 || PORT > 65534)); then
        die "bad port: '$PORT'"
    fi
    CONTROLLER_PORT=$((PORT + 1))
    BOOTSTRAP=$HOST:$PORT
    SECURED_PORT=$((PORT + 2))
    SECURED_BOOTSTRAP=$HOST:$SECURED_PORT
}

# Secured mode (after resolve_port): NEWSWATCH_KAFKA_SECURED, else, when $1
# is "recorded", the mode the last fresh start recorded, else plain.
resolve_secured() {
    local mode=${NEWSWATCH_KAFKA_SECURED:-}
    if [[ -z $mode && $1 == recorded && -f $SECURED_FILE ]]; then
        mode=1
    fi
    case ${mode:-0} in
    0) SECURED=0 ;;
    1) SECURED=1 ;;
    *) die "NEWSWATCH_KAFKA_SECURED must be 0 or 1, not '$mode'" ;;
    esac
    if ((SECURED && SECURED_PORT > 65535)); then
        die "bad port: '$PORT' (secured mode listens on PORT+2 too)"
    fi
}

require() {
    command -v "$1" >/dev/null 2>&1 || die "'$1' is required but not on PATH ($2)"
}

# --- the classpath cache -------------------------------------------------------

# What the cache was built from: the version and the exact pom. A cache whose
# marker differs (or is missing: an interrupted fetch) is fetched again.
fingerprint() {
    printf '%s %s\n' "$KAFKA_VERSION" "$(sha256sum "$POM" | cut -d' ' -f1)"
}

classpath_ready() {
    [[ -f $MARKER && -f $CACHE/kafka_2.13-$KAFKA_VERSION.jar ]] &&
        [[ $(<"$MARKER") == "$(fingerprint)" ]]
}

ensure_classpath() {
    classpath_ready && return 0
    require mvn "apt-get install maven, or any Maven 3.6.3+"
    err "fetching Apache Kafka $KAFKA_VERSION jars from Maven Central into $CACHE (once; takes a minute)"
    mkdir -p "$(dirname "$CACHE")"
    local tmp
    tmp=$(mktemp -d "$CACHE.fetch.XXXXXX")
    # Run from the temp dir: nothing of Maven's lands in the repo. Its output
    # (only stray colour codes when all goes well) is shown only on failure.
    if ! (cd "$tmp" && mvn -B -q -Dstyle.color=never -f "$POM" "-Dkafka.version=$KAFKA_VERSION" \
        dependency:copy-dependencies -DincludeScope=runtime "-DoutputDirectory=$tmp/lib") \
        >"$tmp/mvn.log" 2>&1 </dev/null; then
        cat "$tmp/mvn.log" >&2
        rm -rf "$tmp"
        die "mvn could not fetch org.apache.kafka:kafka_2.13:$KAFKA_VERSION (its output is above)"
    fi
    if [[ ! -f $tmp/lib/kafka_2.13-$KAFKA_VERSION.jar ]]; then
        rm -rf "$tmp"
        die "mvn ran but kafka_2.13-$KAFKA_VERSION.jar was not fetched"
    fi
    mkdir -p "$CACHE"
    # Remove only what an earlier fetch put there: CACHE may be a directory of the user's.
    rm -f "$MARKER" "$CACHE"/*.jar
    mv "$tmp"/lib/*.jar "$CACHE"/
    rm -rf "$tmp"
    fingerprint >"$MARKER"
    err "cached $(find "$CACHE" -maxdepth 1 -name '*.jar' | wc -l) jars ($(du -sh "$CACHE" | cut -f1))"
}

# Run a main class from the cached classpath with the small tool JVM.
run_tool() {
    java "${TOOL_JAVA_OPTS[@]}" -cp "$CACHE/*" "$@"
}

# --- the broker process ---------------------------------------------------------

# The recorded pid, if that process is alive and is a Kafka broker (not a reused pid).
broker_pid() {
    [[ -f $PID_FILE ]] || return 1
    local pid
    pid=$(<"$PID_FILE")
    is_uint "$pid" || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    if [[ -r /proc/$pid/cmdline ]]; then
        tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'kafka\.Kafka' || return 1
    fi
    printf '%s\n' "$pid"
}

# Does anything accept TCP connections on HOST:$1? (bash's /dev/tcp: no nc needed)
port_open() {
    # shellcheck disable=SC2016 # expanded by the inner bash
    timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$HOST" "$1" 2>/dev/null
}

# A real request: the topic list, through the Kafka AdminClient.
broker_answers() {
    timeout 30 java "${TOOL_JAVA_OPTS[@]}" -cp "$CACHE/*" org.apache.kafka.tools.TopicCommand \
        --bootstrap-server "$BOOTSTRAP" --list >/dev/null 2>&1
}

# The same request on the secured listener, as the user `newswatch`.
secured_answers() {
    timeout 30 java "${TOOL_JAVA_OPTS[@]}" -cp "$CACHE/*" org.apache.kafka.tools.TopicCommand \
        --bootstrap-server "$SECURED_BOOTSTRAP" --command-config "$CLIENT_PROPS" --list >/dev/null 2>&1
}

# Serialise start and stop (e.g. two test binaries starting the broker at once).
take_lock() {
    mkdir -p "$WORK"
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$WORK/.lock"
        flock -w 120 9 || die "another kafka.sh start/stop holds $WORK/.lock"
    fi
}

kill_broker() {
    local pid=$1 deadline
    if ((CRASH)); then
        kill -KILL "$pid" 2>/dev/null || true
        while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
        return
    fi
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + STOP_TIMEOUT))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        err "pid $pid still alive after ${STOP_TIMEOUT}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    fi
}

# A Kafka cluster id: 16 random bytes, URL-safe base64 without padding (22
# characters), as `kafka-storage random-uuid` makes, minus one JVM start.
# Like Kafka's Uuid.randomUuid, never starting with '-'.
new_cluster_id() {
    local id
    while :; do
        id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
        [[ ${#id} == 22 && $id != -* ]] && break
    done
    printf '%s\n' "$id"
}

# Secured mode's files (see the header), made anew: a CA, the broker's key
# and certificate signed by it, the SCRAM user's password, and the Java
# tools' client settings.
make_tls() {
    require openssl "secured mode makes its CA and the broker's certificate with it"
    rm -rf "$TLS_DIR"
    (umask 077 && mkdir -p "$TLS_DIR")
    local log=$TLS_DIR/openssl.log
    # One && chain: errexit does not apply inside an `if` condition.
    if ! (cd "$TLS_DIR" && umask 077 &&
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -keyout ca.key -out ca.pem \
            -subj "/CN=newswatch test CA" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" &&
        openssl req -new -newkey rsa:2048 -nodes -keyout broker.key -out broker.csr \
            -subj "/CN=localhost" &&
        printf '%s\n' "subjectAltName=IP:$HOST,DNS:localhost" "basicConstraints=CA:FALSE" \
            "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" \
            >broker.ext &&
        openssl x509 -req -days 3650 -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
            -extfile broker.ext -out broker.crt &&
        cat broker.key broker.crt ca.pem >broker.pem &&
        rm -f broker.key broker.csr broker.ext broker.crt ca.srl &&
        openssl rand -hex 16 >"$PASSWORD_FILE") >"$log" 2>&1; then
        cat "$log" >&2
        die "making the CA and the broker's certificate in $TLS_DIR failed (openssl's output is above)"
    fi
    rm -f "$log"
    (umask 077 && cat >"$CLIENT_PROPS" <<EOF
# Written by scripts/kafka.sh start: the Java tools on $SECURED_BOOTSTRAP.
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$SCRAM_USER" password="$(<"$PASSWORD_FILE")";
ssl.truststore.type=PEM
ssl.truststore.location=$TLS_DIR/ca.pem
EOF
    )
}

write_properties() {
    local listeners="PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT"
    local advertised="PLAINTEXT://$HOST:$PORT"
    local protocols="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
    if ((SECURED)); then
        listeners+=",SASL_SSL://$HOST:$SECURED_PORT"
        advertised+=",SASL_SSL://$HOST:$SECURED_PORT"
        protocols+=",SASL_SSL:SASL_SSL"
    fi
    cat >"$PROPS" <<EOF
# Written by scripts/kafka.sh start; rewritten at every start.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$HOST:$CONTROLLER_PORT
listeners=$listeners
advertised.listeners=$advertised
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=$protocols
log.dirs=$DATA_DIR

# One broker: every internal topic has one replica, and one partition (fast to create).
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=1
# Keep every message: replay tests produce items stamped in 2023, and the
# default retention (7 days by the largest timestamp of a segment) deleted
# them within the 5-minute retention check, mid-test.
log.retention.ms=-1
# Consumer groups start at once instead of waiting 3 s for more members.
group.initial.rebalance.delay.ms=0
# Tests create their topics explicitly: a mistyped topic name fails instead of
# silently creating a new, empty topic.
auto.create.topics.enable=$AUTO_CREATE

# Few threads: a shared 2-core machine.
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
background.threads=2
EOF
    if ((SECURED)); then
        cat >>"$PROPS" <<EOF

# Secured mode (NEWSWATCH_KAFKA_SECURED=1): SASL/SCRAM-SHA-512 over TLS on
# $SECURED_BOOTSTRAP. Its users are created at format time; there is
# no authorizer, so an authenticated user may do anything.
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PEM
ssl.keystore.location=$TLS_DIR/broker.pem
EOF
    fi
}

cmd_start() {
    resolve_port env
    if [[ ${NEWSWATCH_KAFKA_KEEP_DATA:-0} == 1 ]]; then
        resolve_secured recorded
        # Checked before a running broker is stopped for the restart.
        if ((SECURED)) && [[ -f $DATA_DIR/meta.properties ]] &&
            [[ ! -f $PASSWORD_FILE || ! -f $TLS_DIR/broker.pem ]]; then
            die "$DATA_DIR was formatted without secured mode's user and certificates:" \
                "start afresh (without NEWSWATCH_KAFKA_KEEP_DATA) with NEWSWATCH_KAFKA_SECURED=1"
        fi
    else
        resolve_secured env
    fi
    require java "install a JDK 17 or newer"
    take_lock

    local pid
    if pid=$(broker_pid); then
        if port_open "$PORT" && { ((!SECURED)) || port_open "$SECURED_PORT"; }; then
            say "already running on $BOOTSTRAP (pid $pid)"
            return 0
        fi
        local was=""
        [[ -f $PORT_FILE ]] && was=$(<"$PORT_FILE")
        if [[ -n $was && $was != "$PORT" ]]; then
            err "broker pid $pid runs on port $was; restarting it on $PORT"
        elif port_open "$PORT"; then
            err "broker pid $pid runs without the secured listener; restarting it with one"
        else
            err "broker pid $pid is alive but $BOOTSTRAP does not answer; restarting it"
        fi
        kill_broker "$pid"
    fi
    rm -f "$PID_FILE"
    local ports=("$PORT" "$CONTROLLER_PORT")
    if ((SECURED)); then
        ports+=("$SECURED_PORT")
    fi
    for p in "${ports[@]}"; do
        if port_open "$p"; then
            die "$HOST:$p is already in use by another process (not the broker of $PID_FILE;" \
                "perhaps one left running after its target/ was deleted: see 'ss -ltnp')." \
                "Stop it, or pick another port with NEWSWATCH_KAFKA_PORT."
        fi
    done

    ensure_classpath

    if [[ ${NEWSWATCH_KAFKA_KEEP_DATA:-0} == 1 && -f $DATA_DIR/meta.properties ]]; then
        # restart: the same storage, topics and committed offsets, and the
        # log goes on (what happened before a restart explains what follows).
        write_properties
        printf '%s\n' "$PORT" >"$PORT_FILE"
        printf '\n---- restarted on the same storage: %s\n' "$(date -u +%FT%TZ)" >>"$LOG_FILE"
    else
        # Fresh storage at every start: tests never see the previous run's topics.
        rm -rf "$DATA_DIR" "$TLS_DIR"
        rm -f "$SECURED_FILE"
        mkdir -p "$DATA_DIR"
        : >"$LOG_FILE"
        # Secured mode: new certificates, and the SCRAM user in the new storage.
        local scram=()
        if ((SECURED)); then
            make_tls
            scram=(--add-scram "SCRAM-SHA-512=[name=$SCRAM_USER,password=$(<"$PASSWORD_FILE")]")
        fi
        write_properties
        printf '%s\n' "$PORT" >"$PORT_FILE"

        local cluster_id
        cluster_id=$(new_cluster_id)
        if ! run_tool kafka.tools.StorageTool format --standalone --cluster-id "$cluster_id" \
            --config "$PROPS" ${scram[@]+"${scram[@]}"} >"$WORK/format.log" 2>&1; then
            cat "$WORK/format.log" >&2
            die "formatting $DATA_DIR failed"
        fi
        if ((SECURED)); then
            printf '1\n' >"$SECURED_FILE"
        fi
    fi

    local started=$SECONDS
    # setsid: the broker outlives this script and a Ctrl-C of the terminal.
    # 9>&-: it must not inherit the lock. The inner shell writes its own pid,
    # which exec hands on to the JVM. A simple command in the background: no
    # subshell of this script lingers (holding the lock) while the broker runs.
    # shellcheck disable=SC2016 # expanded by the inner bash
    setsid bash -c 'cd "$0" && echo $$ >"$1" && shift && exec "$@"' "$WORK" "$PID_FILE" \
        java "${BROKER_JAVA_OPTS[@]}" -cp "$CACHE/*" kafka.Kafka "$PROPS" \
        </dev/null >>"$LOG_FILE" 2>&1 9>&- &

    local deadline=$((SECONDS + START_TIMEOUT))
    # 1. the pid file and an open port (cheap, polled)
    while :; do
        if ((SECONDS >= deadline)); then
            start_failed "no answer on $BOOTSTRAP within ${START_TIMEOUT}s"
        fi
        if [[ -s $PID_FILE ]] && ! broker_pid >/dev/null; then
            start_failed "the broker exited during start-up"
        fi
        if [[ -s $PID_FILE ]] && port_open "$PORT"; then
            break
        fi
        sleep 0.2
    done
    # 2. a real request (one JVM start; retried while the broker settles)
    until broker_answers; do
        broker_pid >/dev/null || start_failed "the broker exited during start-up"
        ((SECONDS < deadline)) || start_failed "$BOOTSTRAP accepts connections but did not answer a topic list within ${START_TIMEOUT}s"
        sleep 1
    done
    local where=$BOOTSTRAP
    if ((SECURED)); then
        # 3. the same request on the secured listener, as the SCRAM user
        until secured_answers; do
            broker_pid >/dev/null || start_failed "the broker exited during start-up"
            ((SECONDS < deadline)) || start_failed "the secured listener $SECURED_BOOTSTRAP did not answer a topic list within ${START_TIMEOUT}s"
            sleep 1
        done
        where+=" and SASL_SSL $SECURED_BOOTSTRAP"
    fi
    say "ready on $where (pid $(<"$PID_FILE"), up in $((SECONDS - started))s, log $LOG_FILE)"
}

start_failed() {
    err "start failed: $1"
    err "---- last 50 lines of $LOG_FILE"
    tail -n 50 "$LOG_FILE" >&2 2>/dev/null || true
    err "----"
    local pid
    if pid=$(broker_pid); then
        kill_broker "$pid"
    fi
    rm -f "$PID_FILE"
    exit 1
}

cmd_stop() {
    take_lock
    local pid
    if pid=$(broker_pid); then
        kill_broker "$pid"
        rm -f "$PID_FILE"
        if ((CRASH)); then say "killed (pid $pid)"; else say "stopped (pid $pid)"; fi
    else
        rm -f "$PID_FILE"
        say "not running"
    fi
}

cmd_status() {
    resolve_port recorded
    resolve_secured recorded
    local pid="" who
    pid=$(broker_pid) || pid=""
    who=${pid:+pid $pid}
    who=${who:-not started by this script}
    if ! port_open "$PORT"; then
        say "not running (nothing listens on $BOOTSTRAP)"
        return 1
    fi
    if ! classpath_ready; then
        say "$BOOTSTRAP accepts connections ($who), but no Kafka classpath is cached to check further"
        return 1
    fi
    if ! broker_answers; then
        say "$BOOTSTRAP accepts connections but does not answer a topic list ($who)"
        return 1
    fi
    if ((!SECURED)); then
        say "ready on $BOOTSTRAP ($who)"
    elif secured_answers; then
        say "ready on $BOOTSTRAP and SASL_SSL $SECURED_BOOTSTRAP ($who)"
    else
        say "ready on $BOOTSTRAP, but the secured listener $SECURED_BOOTSTRAP does not answer a topic list ($who)"
        return 1
    fi
}

# What a test of the secured listener needs, as shell exports.
cmd_secured_env() {
    (($# == 0)) || usage
    resolve_port recorded
    if [[ ! -f $SECURED_FILE || ! -f $PASSWORD_FILE ]]; then
        die "the broker of $WORK was not started in secured mode:" \
            "run 'NEWSWATCH_KAFKA_SECURED=1 scripts/kafka.sh start'"
    fi
    printf 'export NEWSWATCH_TEST_SECURED_BROKERS=%q\n' "$SECURED_BOOTSTRAP"
    printf 'export NEWSWATCH_TEST_SECURED_CA=%q\n' "$TLS_DIR/ca.pem"
    printf 'export NEWSWATCH_TEST_SECURED_USER=%q\n' "$SCRAM_USER"
    printf 'export NEWSWATCH_TEST_SECURED_PASSWORD=%q\n' "$(<"$PASSWORD_FILE")"
}

# Commands that talk to a running broker with the Kafka CLI classes.
need_broker() {
    resolve_port recorded
    require java "install a JDK 17 or newer"
    classpath_ready || die "no Kafka classpath cached yet: run 'scripts/kafka.sh start' first"
    port_open "$PORT" || die "nothing listens on $BOOTSTRAP: run 'scripts/kafka.sh start' first"
}

cmd_topics_create() {
    (($# == 2)) || usage
    local name=$1 partitions=$2
    if ! is_uint "$partitions" || ((partitions < 1)); then
        die "PARTITIONS must be a positive integer, not '$partitions'"
    fi
    need_broker
    run_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --create \
        --if-not-exists --topic "$name" --partitions "$partitions" --replication-factor 1
}

cmd_topics_list() {
    (($# == 0)) || usage
    need_broker
    run_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --list
}

cmd_produce() {
    (($# == 1)) || usage
    need_broker
    run_tool org.apache.kafka.tools.ConsoleProducer --bootstrap-server "$BOOTSTRAP" --topic "$1"
}

cmd_consume() {
    (($# >= 1 && $# <= 3)) || usage
    local count=${2:-1} timeout_ms=${3:-10000}
    if ! is_uint "$count" || ! is_uint "$timeout_ms"; then
        usage
    fi
    need_broker
    # read_committed: the records of aborted transactions (exactly-once,
    # README) are not shown, as a subscriber should read them.
    run_tool org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$BOOTSTRAP" \
        --topic "$1" --from-beginning --max-messages "$count" --timeout-ms "$timeout_ms" \
        --consumer-property isolation.level=read_committed
}

cmd_tool() {
    (($# >= 1)) || usage
    need_broker
    run_tool "$@"
}

main() {
    (($# >= 1)) || usage
    local cmd=$1
    shift
    case $cmd in
    start | stop | status)
        (($# == 0)) || usage
        "cmd_$cmd"
        ;;
    kill)
        (($# == 0)) || usage
        CRASH=1 cmd_stop
        ;;
    restart)
        cmd_stop
        NEWSWATCH_KAFKA_KEEP_DATA=1 cmd_start
        ;;
    topics-create) cmd_topics_create "$@" ;;
    topics-list) cmd_topics_list "$@" ;;
    produce) cmd_produce "$@" ;;
    consume) cmd_consume "$@" ;;
    tool) cmd_tool "$@" ;;
    secured-env) cmd_secured_env "$@" ;;
    -h | --help | help) usage ;;
    *) usage ;;
    esac
}

main "$@"
