"""What the checks of scripts/lint-deploy.sh share (imported by
lint-deploy.py, lint-monitoring.py and lint-helm.py, which run from the
repository root): the failure count, the recommended Kubernetes labels,
the metrics /metrics exports (read from src/metrics/mod.rs, where they are
declared), the metric and label names a PromQL expression uses, and
`newswatch check` on a config text.
"""

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

failures = 0


def fail(message):
    global failures
    failures += 1
    print(f"FAIL: {message}")


def ok(message):
    print(f"ok: {message}")


def finish():
    """Exits with the number of failures (lint-deploy.sh adds them up)."""
    sys.exit(failures)


# ---- newswatch check ----------------------------------------------------------

def newswatch_check(binary, what, config_text, env=None):
    """`newswatch check` on a config (with the repository's watchlist)."""
    with tempfile.NamedTemporaryFile("w", suffix=".toml") as f:
        f.write(config_text)
        f.flush()
        run = subprocess.run(
            [binary, "check", "--config", f.name, "--watchlist", "config/watchlist.toml"],
            capture_output=True, text=True,
            # Only the given variables of newswatch's own: none of the caller's.
            env={**{k: v for k, v in os.environ.items() if not k.startswith("NEWSWATCH")}, **(env or {})},
        )
    if run.returncode == 0:
        ok(f"newswatch check {what}")
    else:
        fail(f"newswatch check {what} exited {run.returncode}: {run.stderr.strip()}")


# ---- Kubernetes labels ----------------------------------------------------------

RECOMMENDED = ("name", "instance", "version", "component", "part-of", "managed-by")
# Selectors may only use labels that never change for an installation: a
# Deployment's selector is immutable, and a selector on version or
# managed-by would lose the pods at the next upgrade.
STABLE = {"app.kubernetes.io/name", "app.kubernetes.io/instance"}


def check_labels(what, labels, expected):
    """Every recommended app.kubernetes.io/* label is on `labels`, with the
    value `expected` gives for it (a key missing from `expected`: any value)."""
    labels = labels or {}
    missing = [k for k in RECOMMENDED if f"app.kubernetes.io/{k}" not in labels]
    if missing:
        fail(f"{what}: no label {', '.join('app.kubernetes.io/' + k for k in missing)}")
        return False
    wrong = [f"app.kubernetes.io/{k}={labels[f'app.kubernetes.io/{k}']!r} (expected {v!r})"
             for k, v in expected.items() if labels[f"app.kubernetes.io/{k}"] != v]
    if wrong:
        fail(f"{what}: {', '.join(wrong)}")
        return False
    return True


def check_selector(what, selector, target_labels, target):
    """A selector uses stable labels only and selects `target_labels`."""
    unstable = sorted(set(selector) - STABLE)
    if unstable:
        fail(f"{what}: selector uses {', '.join(unstable)}, which can change; keep to {sorted(STABLE)}")
    elif not selector:
        fail(f"{what}: empty selector")
    elif all((target_labels or {}).get(k) == v for k, v in selector.items()):
        ok(f"{what} selects {target}")
    else:
        fail(f"{what}: selector {selector} does not match the labels of {target}: {target_labels}")


def selectors_of(doc):
    """(where, matchLabels) of every label selector of a workload object."""
    kind, spec = doc.get("kind"), doc.get("spec") or {}
    found = []
    if kind == "Deployment":
        found.append(("spec.selector", spec["selector"].get("matchLabels", {})))
        pod = spec["template"]["spec"]
        for i, constraint in enumerate(pod.get("topologySpreadConstraints", [])):
            found.append((f"topologySpreadConstraints[{i}]", constraint["labelSelector"].get("matchLabels", {})))
    elif kind == "Service":
        found.append(("spec.selector", spec.get("selector", {})))
    elif kind == "PodDisruptionBudget":
        found.append(("spec.selector", spec["selector"].get("matchLabels", {})))
    elif kind == "ServiceMonitor":
        found.append(("spec.selector", spec["selector"].get("matchLabels", {})))
    return found


# ---- metrics ----------------------------------------------------------------------

# Labels that Prometheus or the Kubernetes service discovery attach to every
# scraped series, which queries may group or filter by.
TARGET_LABELS = {"job", "instance", "namespace", "pod", "service", "endpoint", "container"}


def exported_metrics(source="src/metrics/mod.rs"):
    """{series name: label names} of what /metrics exports, read from the
    `declare_metrics!` block: a histogram exports _bucket (with le), _sum and
    _count."""
    text = Path(source).read_text()
    declared = re.findall(
        r"\w+:\s*(Scalar|Family<\d+>|Histogram)\s*=\s*\w+::new\(\s*\"(newswatch_\w+)\",(.*?)\);",
        text, re.S)
    if len(declared) < 10:
        raise SystemExit(f"{source}: found only {len(declared)} metric declarations; has declare_metrics! changed?")
    series = {}
    for kind, name, rest in declared:
        labels = set(re.findall(r'"(\w+)"', rest.split("[", 1)[1])) if kind.startswith("Family") else set()
        if kind == "Histogram":
            series[f"{name}_bucket"] = labels | {"le"}
            series[f"{name}_sum"] = labels
            series[f"{name}_count"] = labels
        else:
            series[name] = labels
    return series


def declared_names(source="src/metrics/mod.rs"):
    """The metric names as declared (histograms without their suffixes)."""
    return set(re.findall(r'::new\(\s*"(newswatch_\w+)"', Path(source).read_text()))


PROMQL_KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
    "offset", "bool", "inf", "nan", "atan2", "start", "end",
    # Aggregation operators, which a by/without clause may part from their "(".
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
    "bottomk", "topk", "quantile", "limitk", "limit_ratio",
}


def promql_references(expr):
    """([(metric, {label names of its matchers})], {labels named in by/without/
    on/ignoring/group_*}) of a PromQL expression: enough to check the names,
    not a parser (promtool parses)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)
    grouping = set()
    for group in re.findall(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)", text):
        grouping |= {g.strip() for g in group.split(",") if g.strip()}
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", r" \1 ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges and subqueries
    references = []
    for match in re.finditer(r"([A-Za-z_:][A-Za-z0-9_:]*)?\s*\{([^}]*)\}", text):
        name = match.group(1)
        matchers = {m.strip().split()[0] for m in re.findall(r"([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)", match.group(2))}
        if name and name not in PROMQL_KEYWORDS:
            references.append((name, matchers))
        elif "__name__" not in matchers:
            references.append((None, matchers))
    text = re.sub(r"([A-Za-z_:][A-Za-z0-9_:]*)?\s*\{[^}]*\}", " ", text)
    for match in re.finditer(r"(?<![\w.])([A-Za-z_:][A-Za-z0-9_:]*)\b(\s*\()?", text):
        word, call = match.group(1), match.group(2)
        if call or word.lower() in PROMQL_KEYWORDS or re.fullmatch(r"\d.*", word):
            continue
        references.append((word, set()))
    return references, grouping


def check_promql(what, expr, series, extra_metrics=()):
    """Every metric `expr` names is exported (or in extra_metrics, e.g. `up`),
    and every label it filters or groups by is one of theirs or a target
    label. Returns the metric names."""
    references, grouping = promql_references(expr)
    names, known_labels, good = set(), set(TARGET_LABELS), True
    for name, matchers in references:
        if name is None:
            continue
        names.add(name)
        if name in series:
            known_labels |= series[name]
            unknown = matchers - series[name] - TARGET_LABELS
            if unknown:
                fail(f"{what}: {name} has no label {', '.join(sorted(unknown))} (it has {sorted(series[name]) or 'none'})")
                good = False
        elif name not in extra_metrics:
            fail(f"{what}: {name} is not a metric /metrics exports (src/metrics/mod.rs)")
            good = False
    if not names:
        fail(f"{what}: names no metric")
        good = False
    unknown = grouping - known_labels
    if unknown:
        fail(f"{what}: groups by {', '.join(sorted(unknown))}, a label of none of {sorted(names)}")
        good = False
    return names
