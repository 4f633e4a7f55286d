#!/usr/bin/env bash
# Copies config/watchlist.toml into the watchlist.toml key of
# deploy/k8s/configmap.yaml (the last key of that file: everything after its
# `  watchlist.toml: |` line is replaced) and to the Helm chart's default,
# deploy/helm/newswatch/files/watchlist.toml. scripts/lint-deploy.sh fails
# while they differ. Usage: deploy/k8s/sync-watchlist.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
cm=deploy/k8s/configmap.yaml
marker='  watchlist.toml: |'
line=$(grep -n -x -F -- "$marker" "$cm" | cut -d: -f1)
[[ -n $line ]] || { echo "$cm: no line '$marker'" >&2; exit 1; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{ head -n "$line" "$cm"; sed 's/^./    &/' config/watchlist.toml; } > "$tmp"
cat "$tmp" > "$cm"
echo "$cm: watchlist.toml = config/watchlist.toml"
chart=deploy/helm/newswatch/files/watchlist.toml
cp config/watchlist.toml "$chart"
echo "$chart = config/watchlist.toml"
