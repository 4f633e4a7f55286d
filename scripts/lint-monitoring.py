#!/usr/bin/env python3
"""The monitoring checks of scripts/lint-deploy.sh, run with its venv:

- the metrics table of README.md ("Operations") names exactly the metrics
  src/metrics/mod.rs declares (what /metrics exports);
- deploy/prometheus/newswatch.rules.yml: `promtool check rules`, its unit
  tests (`promtool test rules`), every alert tested both firing and not
  firing, only exported metrics and their labels (plus `up`), and its two
  copies (deploy/k8s/monitoring/prometheusrule.yaml, the Helm chart's
  files/newswatch.rules.yml) equal to it;
- deploy/grafana/newswatch.json: its layout, the panels issue 19 asks for,
  every exported metric shown, every expression parsed by promtool (as the
  expression of a throwaway recording rule, Grafana's $variables replaced)
  and naming only exported metrics and their labels.

Run from the repository root: prints `FAIL: ...` lines and exits with their
count. Usage: python lint-monitoring.py PROMTOOL
"""

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from lint_common import check_promql, declared_names, exported_metrics, fail, finish, ok

PROMTOOL = sys.argv[1]
RULES = Path("deploy/prometheus/newswatch.rules.yml")
RULE_TESTS = Path("deploy/prometheus/newswatch.rules.test.yml")
K8S_RULE = Path("deploy/k8s/monitoring/prometheusrule.yaml")
CHART_RULES = Path("deploy/helm/newswatch/files/newswatch.rules.yml")
DASHBOARD = Path("deploy/grafana/newswatch.json")

series = exported_metrics()


def promtool(what, *args):
    run = subprocess.run([PROMTOOL, *args], capture_output=True, text=True)
    if run.returncode == 0:
        ok(what)
        return True
    fail(f"{what}: promtool {' '.join(args)} exited {run.returncode}:\n{(run.stdout + run.stderr).strip()}")
    return False


# ---- README metrics table ---------------------------------------------------------
print("== README.md metrics table against src/metrics/mod.rs")
readme = Path("README.md").read_text()
table = {name for row in re.findall(r"^\| (`newswatch_[^|]*)\|", readme, re.M)
         for name in re.findall(r"`(newswatch_\w+)`", row)}
declared = declared_names()
if table == declared:
    ok(f"README.md lists the {len(declared)} metrics src/metrics/mod.rs declares")
else:
    for name in sorted(declared - table):
        fail(f"README.md metrics table: {name} (declared in src/metrics/mod.rs) is missing")
    for name in sorted(table - declared):
        fail(f"README.md metrics table: {name} is not declared in src/metrics/mod.rs")

# ---- alerting rules ------------------------------------------------------------------
print(f"== {RULES}")
promtool(f"promtool check rules {RULES}", "check", "rules", str(RULES))
promtool(f"promtool test rules {RULE_TESTS}", "test", "rules", str(RULE_TESTS))
rules = yaml.safe_load(RULES.read_text())
alerts = {}
for group in rules["groups"]:
    for rule in group["rules"]:
        name = rule.get("alert") or rule.get("record")
        check_promql(f"{RULES}: {name}", rule["expr"], series, extra_metrics={"up"})
        if "alert" in rule:
            alerts[rule["alert"]] = rule
        if rule.get("labels", {}).get("severity") not in ("critical", "warning", "info") and "alert" in rule:
            fail(f"{RULES}: {name}: severity label must be critical, warning or info")
        if "alert" in rule and not {"summary", "description"} <= set(rule.get("annotations", {})):
            fail(f"{RULES}: {name}: needs a summary and a description annotation")
ok(f"{RULES}: {len(alerts)} alerts name only exported metrics (and up)")

# Each alert tested firing (exp_alerts not empty) and not firing (empty).
tests = yaml.safe_load(RULE_TESTS.read_text())
if tests.get("rule_files") != [RULES.name]:
    fail(f"{RULE_TESTS}: rule_files must be [{RULES.name}]")
tested = {}
for test in tests.get("tests", []):
    for case in test.get("alert_rule_test", []):
        tested.setdefault(case["alertname"], set()).add(bool(case.get("exp_alerts")))
for name in sorted(alerts):
    seen = tested.get(name, set())
    if seen == {True, False}:
        ok(f"{name}: tested firing and not firing")
    else:
        missing = {True: "firing", False: "not firing"}
        fail(f"{RULE_TESTS}: {name} is never tested {' or '.join(missing[s] for s in (True, False) if s not in seen)}")
for name in sorted(set(tested) - set(alerts)):
    fail(f"{RULE_TESTS}: tests {name}, which is no alert of {RULES}")

# The copies: the PrometheusRule's spec and the chart's file.
k8s_rule = yaml.safe_load(K8S_RULE.read_text())
if k8s_rule.get("kind") == "PrometheusRule" and k8s_rule.get("spec") == rules:
    ok(f"{K8S_RULE}: spec equals {RULES}")
else:
    fail(f"{K8S_RULE}: spec differs from {RULES}; run deploy/prometheus/sync-rules.sh")
if CHART_RULES.is_file() and CHART_RULES.read_bytes() == RULES.read_bytes():
    ok(f"{CHART_RULES} equals {RULES}")
else:
    fail(f"{CHART_RULES} differs from {RULES}; run deploy/prometheus/sync-rules.sh")

# ---- dashboard ----------------------------------------------------------------------
print(f"== {DASHBOARD}")
try:
    dashboard = json.loads(DASHBOARD.read_text())
except json.JSONDecodeError as error:
    fail(f"{DASHBOARD}: not JSON: {error}")
    finish()

variables = {v["name"]: v for v in dashboard.get("templating", {}).get("list", [])}
if variables.get("datasource", {}).get("type") != "datasource":
    fail(f"{DASHBOARD}: no datasource variable (templating: name datasource, type datasource)")


def panels_of(items):
    for panel in items:
        yield panel
        yield from panels_of(panel.get("panels", []))


def grafana_to_promql(expr):
    """Grafana's variables replaced by what they stand for: intervals by a
    duration, the others (used in regex matchers) by `.*`."""
    expr = re.sub(r"\$\{?__(rate_interval|interval|range)(_ms|_s)?\}?", "5m", expr)
    return re.sub(r"\$\{(\w+)(:\w+)?\}|\$(\w+)", ".*", expr)


panels = list(panels_of(dashboard.get("panels", [])))
ids, used, exprs, cells = set(), set(), [], {}
for panel in panels:
    title = panel.get("title", "?")
    if panel.get("type") == "row":
        continue
    if panel.get("id") in ids:
        fail(f"{DASHBOARD}: panel id {panel.get('id')} used twice")
    ids.add(panel.get("id"))
    grid = panel.get("gridPos", {})
    if not (grid.get("w", 0) > 0 and grid.get("h", 0) > 0 and grid.get("x", 0) + grid.get("w", 0) <= 24):
        fail(f"{DASHBOARD}: panel {title!r}: gridPos {grid} is not within the 24 columns")
    for x in range(grid.get("x", 0), grid.get("x", 0) + grid.get("w", 0)):
        for y in range(grid.get("y", 0), grid.get("y", 0) + grid.get("h", 0)):
            if (x, y) in cells:
                fail(f"{DASHBOARD}: panels {cells[(x, y)]!r} and {title!r} overlap at x={x}, y={y}")
                break
            cells[(x, y)] = title
        else:
            continue
        break
    if panel.get("datasource", {}).get("uid") != "${datasource}":
        fail(f"{DASHBOARD}: panel {title!r}: datasource is not the variable ${{datasource}}")
    if not panel.get("targets"):
        fail(f"{DASHBOARD}: panel {title!r} has no query")
    for target in panel.get("targets", []):
        expr = target.get("expr", "")
        if not expr:
            fail(f"{DASHBOARD}: panel {title!r}, query {target.get('refId')}: no expr")
            continue
        promql = grafana_to_promql(expr)
        exprs.append((title, target.get("refId"), expr, promql))
        used |= check_promql(f"{DASHBOARD}: panel {title!r} {target.get('refId')}", promql, series)
for name, variable in variables.items():
    query = variable.get("query")
    query = query.get("query", "") if isinstance(query, dict) else query or ""
    if variable.get("type") == "query":
        inner = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", query.strip())
        if inner is None:
            fail(f"{DASHBOARD}: variable {name}: expected label_values(SELECTOR, LABEL), got {query!r}")
        else:
            check_promql(f"{DASHBOARD}: variable {name}", grafana_to_promql(inner.group(1)), series)

# Every expression through promtool's parser: one recording rule each.
with tempfile.NamedTemporaryFile("w", suffix=".yml") as f:
    yaml.safe_dump({"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:panel_{i}", "expr": promql} for i, (_, _, _, promql) in enumerate(exprs)
    ]}]}, f)
    f.flush()
    if not promtool(f"promtool parses the {len(exprs)} expressions of {DASHBOARD}", "check", "rules", f.name):
        # Name the panel of each bad expression.
        for title, ref, expr, promql in exprs:
            with tempfile.NamedTemporaryFile("w", suffix=".yml") as one:
                yaml.safe_dump({"groups": [{"name": "one", "rules": [{"record": "one", "expr": promql}]}]}, one)
                one.flush()
                if subprocess.run([PROMTOOL, "check", "rules", one.name], capture_output=True).returncode:
                    fail(f"{DASHBOARD}: panel {title!r} {ref}: promtool does not parse {expr!r}")

# What the dashboard must show (issue 19), and every metric /metrics exports.
required = {
    "items/s": r"rate\(newswatch_items_consumed_total",
    "alerts by rule and severity": r"by \(rule, severity\) \(rate\(newswatch_alerts_total",
    "lag per partition": r"by \(topic, partition\) \(newswatch_consumer_lag",
    "deliveries by outcome": r"by \(sink, outcome\) \(rate\(newswatch_sink_deliveries_total",
    "reload status": r"by \(outcome\) \(increase\(newswatch_watchlist_reloads_total",
    "produce-to-alert latency": r"histogram_quantile\(0\.99, sum by \(le\) \(rate\(newswatch_end_to_end_latency_seconds_bucket",
    "match duration": r"histogram_quantile\([0-9.]+, sum by \(le\) \(rate\(newswatch_match_duration_seconds_bucket",
    "consumer errors": r"by \(kind\) \(increase\(newswatch_consumer_errors_total",
    "stalled partitions": r"newswatch_partitions_stalled",
}
for what, pattern in required.items():
    if any(re.search(pattern, expr) for _, _, expr, _ in exprs):
        ok(f"{DASHBOARD} shows {what}")
    else:
        fail(f"{DASHBOARD}: no panel shows {what} (no query matches {pattern!r})")
shown = {re.sub(r"_(bucket|sum|count)$", "", n) if n.endswith(("_bucket", "_sum", "_count")) and
         re.sub(r"_(bucket|sum|count)$", "", n) in declared else n for n in used}
for name in sorted(declared - shown):
    fail(f"{DASHBOARD}: no panel shows {name}, which /metrics exports")
ok(f"{DASHBOARD}: {len(panels)} panels, {len(exprs)} queries")

finish()
