#!/usr/bin/env python3
"""The monitoring checks of scripts/lint-deploy.sh, run with its venv:

- the metrics table of README.md ("Operations") names exactly the metrics
  src/metrics/mod.rs declares (what /metrics exports);
- deploy/prometheus/newswatch.rules.yml: `promtool check rules`, its unit
  tests (`promtool test rules`), every alert tested both firing and not
  firing, only exported metrics and their labels (plus `up`), and its two
  copies (deploy/k8s/monitoring/prometheusrule.yaml, the Helm chart's
  files/newswatch.rules.yml) equal to it.

Run from the repository root: prints `FAIL: ...` lines and exits with their
count. Usage: python lint-monitoring.py PROMTOOL
"""

import re
import subprocess
import sys
from pathlib import Path

import yaml

from lint_common import check_promql, declared_names, exported_metrics, fail, finish, ok

PROMTOOL = sys.argv[1]
RULES = Path("deploy/prometheus/newswatch.rules.yml")
RULE_TESTS = Path("deploy/prometheus/newswatch.rules.test.yml")
K8S_RULE = Path("deploy/k8s/monitoring/prometheusrule.yaml")
CHART_RULES = Path("deploy/helm/newswatch/files/newswatch.rules.yml")

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

finish()
