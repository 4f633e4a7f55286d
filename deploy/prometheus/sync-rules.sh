#!/usr/bin/env bash
# Copies the alerting rules deploy/prometheus/newswatch.rules.yml (the source
# of truth) to the two places that ship them:
#   - deploy/k8s/monitoring/prometheusrule.yaml: a PrometheusRule whose spec
#     is the file from its `groups:` line on, indented;
#   - deploy/helm/newswatch/files/newswatch.rules.yml: the file as it is (the
#     chart's PrometheusRule reads it with .Files.Get; Helm reads no file
#     outside the chart).
# scripts/lint-deploy.sh fails while either differs.
# Usage: deploy/prometheus/sync-rules.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
rules=deploy/prometheus/newswatch.rules.yml
rule=deploy/k8s/monitoring/prometheusrule.yaml
chart=deploy/helm/newswatch/files/newswatch.rules.yml
line=$(grep -n -x -F -- 'groups:' "$rules" | cut -d: -f1)
[[ -n $line ]] || { echo "$rules: no line 'groups:'" >&2; exit 1; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
    cat <<'HEAD'
# newswatch's alerts for the Prometheus Operator. Generated from
# deploy/prometheus/newswatch.rules.yml by deploy/prometheus/sync-rules.sh:
# edit that file (and its tests, newswatch.rules.test.yml), then run the
# script. The comments there say what each alert means.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: newswatch
  labels:
    app.kubernetes.io/name: newswatch
    app.kubernetes.io/instance: newswatch
    app.kubernetes.io/version: "0.1.0"
    app.kubernetes.io/component: monitoring
    app.kubernetes.io/part-of: newswatch
    app.kubernetes.io/managed-by: kustomize
spec:
HEAD
    tail -n "+$line" "$rules" | sed 's/^./  &/'
} > "$tmp"
cat "$tmp" > "$rule"
mkdir -p "$(dirname "$chart")"
cp "$rules" "$chart"
echo "$rule, $chart: the rules of $rules"
