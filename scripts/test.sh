#!/usr/bin/env bash
# The whole test suite: formatting, lints, then every test, the Kafka tests
# against a real broker. Starts a local Apache Kafka (scripts/kafka.sh) in
# secured mode (a SASL_SSL listener beside the plain one) unless
# NEWSWATCH_TEST_BROKERS names one, and stops it at the end. Who names a
# broker of their own names its SASL_SSL listener (SCRAM-SHA-512) too:
# NEWSWATCH_TEST_SECURED_BROKERS, NEWSWATCH_TEST_SECURED_CA (the PEM file of
# the CA that signed its certificate), NEWSWATCH_TEST_SECURED_USER and
# NEWSWATCH_TEST_SECURED_PASSWORD; without them the secured tests fail.
# Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --locked -- -D warnings

echo "== cargo build --tests"
cargo build --tests --locked

echo "== deployment files, alert schema (scripts/lint-deploy.sh)"
scripts/lint-deploy.sh
# The venv lint-deploy.sh made holds prometheus_client: the tests parse
# /metrics with it.
export NEWSWATCH_TEST_PYTHON="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/newswatch/lint-venv/bin/python"

if [ -z "${NEWSWATCH_TEST_BROKERS:-}" ]; then
    echo "== starting a local Kafka broker (scripts/kafka.sh, secured mode)"
    NEWSWATCH_KAFKA_SECURED=1 scripts/kafka.sh start
    trap 'scripts/kafka.sh stop' EXIT
    export NEWSWATCH_TEST_BROKERS="127.0.0.1:${NEWSWATCH_KAFKA_PORT:-9092}"
    # Its SASL_SSL listener, CA, user and password (NEWSWATCH_TEST_SECURED_*);
    # captured first, so that a failure of secured-env stops this script.
    secured_env=$(scripts/kafka.sh secured-env)
    eval "$secured_env"
    # The outage test may stop and restart this broker.
    export NEWSWATCH_TEST_KAFKA_SCRIPT=1
fi

# cargo runs the test binaries one after another: the unit tests, tests/it
# (every integration test: CLI, properties, mock cluster, Kafka), then
# tests/kafka_outage.rs, which stops the broker and so must not overlap the
# Kafka tests of tests/it, then the doc tests.
echo "== cargo test (unit, tests/it, broker outage, doc tests; broker $NEWSWATCH_TEST_BROKERS)"
cargo test --locked
echo "== cargo test -p newswatch-test-support (the benchmark corpus generators)"
cargo test --locked -p newswatch-test-support --lib
