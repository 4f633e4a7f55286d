#!/usr/bin/env python3
"""The checks of scripts/lint-deploy.sh that need Python, run with the venv
that script makes (jsonschema, pyyaml): .dockerignore and the Dockerfile's
COPY sources, cross-references of deploy/k8s and deploy/compose.yaml, every
newswatch config in deploy/ through `newswatch check`, and
schema/alert.schema.json against real `newswatch scan` output.

Run from the repository root (lint-deploy.sh does): prints `FAIL: ...`
lines and exits with their count.
Usage: python lint-deploy.py NEWSWATCH_BIN
"""

import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
import urllib.parse
from pathlib import Path

import jsonschema
import yaml

BIN = sys.argv[1]
failures = 0


def fail(message):
    global failures
    failures += 1
    print(f"FAIL: {message}")


def ok(message):
    print(f"ok: {message}")


def newswatch_check(what, config_text, env=None):
    """`newswatch check` on a config (with the repository's watchlist)."""
    with tempfile.NamedTemporaryFile("w", suffix=".toml") as f:
        f.write(config_text)
        f.flush()
        run = subprocess.run(
            [BIN, "check", "--config", f.name, "--watchlist", "config/watchlist.toml"],
            capture_output=True, text=True,
            # Only the given variables of newswatch's own: none of the caller's.
            env={**{k: v for k, v in os.environ.items() if not k.startswith("NEWSWATCH")}, **(env or {})},
        )
    if run.returncode == 0:
        ok(f"newswatch check {what}")
    else:
        fail(f"newswatch check {what} exited {run.returncode}: {run.stderr.strip()}")


# ---- Dockerfile: COPY sources -----------------------------------------------
print("== Dockerfile COPY sources and .dockerignore")
allowed = [
    line[1:].rstrip("/")
    for line in Path(".dockerignore").read_text().splitlines()
    if line.startswith("!")
]
for line in Path("Dockerfile").read_text().splitlines():
    words = line.split()
    if not words or words[0].upper() not in ("COPY", "ADD"):
        continue
    if any(w.startswith("--from") for w in words):
        continue
    for src in [w for w in words[1:-1] if not w.startswith("--")]:
        src = src.rstrip("/")
        if not Path(src).exists():
            fail(f"Dockerfile: COPY {src}: no such file")
        elif not any(src == a or src.startswith(a + "/") for a in allowed):
            fail(f"Dockerfile: COPY {src}: excluded by .dockerignore (no `!{src}` line)")
        else:
            ok(f"COPY {src}")

# ---- Kubernetes cross-references ---------------------------------------------
print("== deploy/k8s cross-references")
k8s = Path("deploy/k8s")
docs = {}
for path in sorted(k8s.glob("*.yaml")):
    for doc in yaml.safe_load_all(path.read_text()):
        if doc:
            docs[(doc["kind"], doc["metadata"]["name"] if "metadata" in doc else path.name)] = (path, doc)

kustomization = yaml.safe_load((k8s / "kustomization.yaml").read_text())
listed = set(kustomization.get("resources", []))
for name in sorted(listed):
    if not (k8s / name).is_file():
        fail(f"kustomization.yaml: resource {name} does not exist")
for path in sorted(k8s.glob("*.yaml")):
    if path.name != "kustomization.yaml" and path.name not in listed and ".example." not in path.name:
        fail(f"{path}: not listed in kustomization.yaml resources (name it *.example.yaml if deliberate)")
ok(f"kustomization.yaml resources: {', '.join(sorted(listed))}")

by_kind = {}
for (kind, name), (path, doc) in docs.items():
    by_kind.setdefault(kind, []).append(doc)
deployment = by_kind["Deployment"][0]
pod = deployment["spec"]["template"]
labels = pod["metadata"]["labels"]
container = pod["spec"]["containers"][0]
port_names = {p["name"]: p["containerPort"] for p in container.get("ports", [])}


def selects(selector, what):
    if all(labels.get(k) == v for k, v in selector.items()):
        ok(f"{what} selects the newswatch pods")
    else:
        fail(f"{what}: selector {selector} does not match the pod labels {labels}")


selects(deployment["spec"]["selector"]["matchLabels"], "Deployment")
for service in by_kind.get("Service", []):
    selects(service["spec"]["selector"], f"Service {service['metadata']['name']}")
    for port in service["spec"]["ports"]:
        if isinstance(port.get("targetPort"), str) and port["targetPort"] not in port_names:
            fail(f"Service {service['metadata']['name']}: targetPort {port['targetPort']} is no container port")
for pdb in by_kind.get("PodDisruptionBudget", []):
    selects(pdb["spec"]["selector"]["matchLabels"], f"PodDisruptionBudget {pdb['metadata']['name']}")
for probe in ("readinessProbe", "livenessProbe"):
    port = container.get(probe, {}).get("httpGet", {}).get("port")
    if port not in port_names and port not in port_names.values():
        fail(f"Deployment: {probe} port {port} is no container port")
configmaps = {c["metadata"]["name"]: c for c in by_kind.get("ConfigMap", [])}
for volume in pod["spec"].get("volumes", []):
    name = volume.get("configMap", {}).get("name")
    if name and name not in configmaps:
        fail(f"Deployment: volume {volume['name']} names ConfigMap {name}, which is not in deploy/k8s")
for cm in configmaps.values():
    data = cm["data"]
    if "watchlist.toml" in data:
        if data["watchlist.toml"] == Path("config/watchlist.toml").read_text():
            ok(f"ConfigMap {cm['metadata']['name']}: watchlist.toml equals config/watchlist.toml")
        else:
            fail(f"ConfigMap {cm['metadata']['name']}: watchlist.toml differs from config/watchlist.toml; "
                 "run deploy/k8s/sync-watchlist.sh")
    if "config.toml" in data:
        newswatch_check(f"ConfigMap {cm['metadata']['name']} config.toml", data["config.toml"])

# ---- compose -----------------------------------------------------------------
print("== deploy/compose.yaml")
compose_path = Path("deploy/compose.yaml")
compose = yaml.safe_load(compose_path.read_text())
services = compose.get("services", {})
expected = {"kafka", "kafka-init", "newswatch", "receiver"}
if set(services) == expected:
    ok(f"services: {', '.join(sorted(services))}")
else:
    fail(f"compose services are {sorted(services)}, expected {sorted(expected)}")


def interpolate(value):
    """Compose's ${VAR:-default} and $$, with the defaults (no shell environment)."""
    value = re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}", lambda m: m.group(2) or "", str(value))
    return value.replace("$$", "$")


for name, service in services.items():
    for dependency in service.get("depends_on", {}) or {}:
        if dependency not in services:
            fail(f"{name}: depends_on unknown service {dependency}")
    for volume in service.get("volumes", []):
        source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
        if source.startswith((".", "/")) and not (compose_path.parent / source).exists():
            fail(f"{name}: mounted file {source} does not exist")
    image = service.get("image", "")
    if "build" not in service and (":" not in image or image.endswith(":latest")):
        fail(f"{name}: image {image!r} has no fixed tag")

newswatch = services.get("newswatch", {})
build = newswatch.get("build", {})
context = Path(os.path.normpath(compose_path.parent / build.get("context", ".")))
if (context / build.get("dockerfile", "Dockerfile")).is_file():
    ok(f"newswatch builds {context / build.get('dockerfile', 'Dockerfile')}")
else:
    fail("newswatch: build context has no Dockerfile")
environment = {k: interpolate(v) for k, v in (newswatch.get("environment") or {}).items()}
config_mounts = [
    v.split(":")[0] for v in newswatch.get("volumes", [])
    if isinstance(v, str) and v.split(":")[1] == "/etc/newswatch/config.toml"
]
if not config_mounts:
    fail("newswatch: nothing mounted on /etc/newswatch/config.toml")
for mount in config_mounts:
    config_path = Path(os.path.normpath(compose_path.parent / mount))
    if not config_path.is_file():
        continue  # reported above
    config_text = config_path.read_text()
    config = tomllib.loads(config_text)
    secrets = {}
    for sink in config.get("sinks", []):
        if sink.get("type") != "webhook":
            continue
        host = urllib.parse.urlsplit(sink["url"]).hostname
        if host in services:
            ok(f"{config_path}: webhook sink {sink['name']} posts to service {host}")
        else:
            fail(f"{config_path}: webhook sink {sink['name']} posts to {host}, which is no compose service")
        if "secret_env" in sink:
            # One secret, or several separated by white space (rotation).
            value = environment.get(sink["secret_env"], "")
            if not value.split() or not all(v.startswith("whsec_") for v in value.split()):
                fail(f"newswatch: {sink['secret_env']} is not set to whsec_ values in the environment")
            else:
                for v in value.split():
                    try:
                        base64.b64decode(v.removeprefix("whsec_"), validate=True)
                    except ValueError:
                        fail(f"newswatch: {sink['secret_env']}: not base64 after whsec_")
                secrets[sink["secret_env"]] = value
    newswatch_check(str(config_path), config_text, secrets)

print("== deploy/config.toml (the image's)")
newswatch_check("deploy/config.toml", Path("deploy/config.toml").read_text())

# ---- alert schema --------------------------------------------------------------
print("== schema/alert.schema.json")
schema = json.loads(Path("schema/alert.schema.json").read_text())
try:
    jsonschema.Draft202012Validator.check_schema(schema)
    ok("a valid draft 2020-12 schema")
except jsonschema.SchemaError as error:
    fail(f"schema/alert.schema.json is not a valid schema: {error.message}")
    sys.exit(failures)
# Formats are checked only by the checkers whose packages are installed
# (rfc3339-validator for date-time, rfc3987 for uri-reference: pinned in
# lint-deploy.sh); without one, its format passes anything. Every format the
# schema names must have its checker here.
format_checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
validator = jsonschema.Draft202012Validator(schema, format_checker=format_checker)


def formats_of(node):
    if isinstance(node, dict):
        if isinstance(node.get("format"), str):
            yield node["format"]
        for value in node.values():
            yield from formats_of(value)
    elif isinstance(node, list):
        for value in node:
            yield from formats_of(value)


for name in sorted(set(formats_of(schema))):
    if name in format_checker.checkers:
        ok(f"format {name} is checked")
    else:
        fail(f"format {name} of the schema has no checker: its package is not installed (see lint-deploy.sh)")


def validate_scan(what, args, stdin=None):
    run = subprocess.run([BIN, "scan", *args], input=stdin, capture_output=True, text=True)
    if run.returncode != 0:
        fail(f"newswatch scan {what} exited {run.returncode}: {run.stderr.strip()}")
        return []
    alerts, bad = [], 0
    for number, line in enumerate(run.stdout.splitlines(), 1):
        alert = json.loads(line)
        alerts.append(alert)
        problems = [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
                    for e in validator.iter_errors(alert)]
        if alert.get("subject") != alert.get("data", {}).get("rule"):
            problems.append("subject differs from data.rule")
        for match in alert.get("data", {}).get("matches", []):
            if match.get("end", 0) - match.get("start", 0) != len(str(match.get("text")).encode()):
                problems.append(f"match {match}: end - start is not the UTF-8 length of text")
        for problem in problems[:5]:
            fail(f"{what}, alert {number}: {problem}")
        bad += bool(problems)
    if not alerts:
        fail(f"newswatch scan {what} printed no alert")
    elif not bad:
        ok(f"{len(alerts)} alerts of newswatch scan {what} validate")
    return alerts


samples = validate_scan("config/samples/news.jsonl",
                        ["--watchlist", "config/watchlist.toml", "config/samples/news.jsonl"])

# The schema must refuse what is wrong only in its format: a copy of a good
# alert with one bad value each, which must fail there, and nowhere else.
if samples:
    good = samples[0]
    if list(validator.iter_errors(good)):
        fail("the alert the bad events are made from does not validate")
    for path, bad in (
        (["time"], "2026-13-45T99:99:99Z"),      # fits the pattern; month 13, hour 99
        (["time"], "2026-02-30T10:00:00Z"),      # no 30 February
        (["source"], "/news watch"),             # a space: no URI-reference
        (["source"], "https://exa^mple.org/nw"),
    ):
        event = json.loads(json.dumps(good))
        event[path[0]] = bad
        errors = [(list(e.absolute_path), e.validator) for e in validator.iter_errors(event)]
        if errors == [(path, "format")]:
            ok(f"a bad {'/'.join(path)} {bad!r} fails the schema on its format")
        else:
            fail(f"a bad {'/'.join(path)} {bad!r}: expected one format error there, got {errors}")

# Edge cases the samples lack: severity info, a rule without description,
# an inline term (set null), a numeric id, no id, fields that are not strings.
with tempfile.TemporaryDirectory() as tmp:
    watchlist = Path(tmp, "watchlist.toml")
    watchlist.write_text(
        '[sets.chips]\nterms = ["H200"]\n'
        '[[rules]]\nid = "edge-info"\nwhen = "chips AND \\"china\\""\nseverity = "info"\n'
        '[[rules]]\nid = "edge-near"\nwhen = "chips NEAR/3 \\"sell\\""\n'
    )
    items = (
        '{"id": 42, "title": "Nvidia may sell H200 chips to China", "url": 5, "lang": null}\n'
        '{"summary": "H200 sales to China", "source": ["x"], "published_at": "2025-12-08T22:15:00Z"}\n'
    )
    alerts = validate_scan("(edge cases)", ["--watchlist", str(watchlist)], items)
    seen = {(a["data"]["severity"], a["data"]["item"]["id"]) for a in alerts}
    if not {("info", "42"), ("medium", "42"), ("info", "line:2")} <= seen:
        fail(f"edge cases: expected alerts (severity, item id) info/42, medium/42, info/line:2; got {sorted(seen)}")
    if not any(m["set"] is None for a in alerts for m in a["data"]["matches"]):
        fail("edge cases: no match with set null")

sys.exit(failures)
