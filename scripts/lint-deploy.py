#!/usr/bin/env python3
"""The checks of scripts/lint-deploy.sh that need Python, run with the venv
that script makes (jsonschema, pyyaml): .dockerignore and the Dockerfile's
COPY sources, cross-references of deploy/k8s and deploy/compose.yaml, every
newswatch config in deploy/ through `newswatch check`,
schema/alert.schema.json against real `newswatch scan` output, and every
configuration and watchlist of the repository against
schema/config.schema.json and schema/watchlist.schema.json.

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
import time
import tomllib
import urllib.parse
from pathlib import Path

import jsonschema
import yaml

import lint_common
from lint_common import check_labels, check_selector, fail, finish, ok, selectors_of

BIN = sys.argv[1]


def newswatch_check(what, config_text, env=None):
    """`newswatch check` on a config (with the repository's watchlist)."""
    lint_common.newswatch_check(BIN, what, config_text, env)


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

# Every file the release build reads with include_str!/include_bytes! (test
# modules aside) is copied into the builder stage before it builds.
builder = re.split(r"^FROM ", Path("Dockerfile").read_text(), flags=re.M)[1]
copied = set()
for line in builder.splitlines():
    words = line.split()
    if words and words[0].upper() == "COPY" and not any(w.startswith("--") for w in words):
        copied.update(w.rstrip("/") for w in words[1:-1])
for src in sorted(Path("src").rglob("*.rs")):
    if "test" in src.name:
        continue
    for m in re.finditer(r'include_(?:str|bytes)!\("([^"]+)"\)', src.read_text()):
        target = os.path.normpath(os.path.join(src.parent, m.group(1)))
        if any(target == c or target.startswith(c + "/") for c in copied):
            ok(f"{src}: {target} is copied into the builder")
        else:
            fail(f"{src}: include of {target} is not copied into the Dockerfile's builder stage")
if "build.rs" not in copied:
    fail("Dockerfile: the builder stage does not copy build.rs")

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


# The monitoring objects (deploy/k8s/monitoring, its own kustomization).
monitoring = k8s / "monitoring"
monitoring_docs = []
monitoring_listed = set(yaml.safe_load((monitoring / "kustomization.yaml").read_text()).get("resources", []))
for path in sorted(monitoring.glob("*.yaml")):
    if path.name == "kustomization.yaml":
        continue
    if path.name not in monitoring_listed:
        fail(f"{path}: not listed in {monitoring}/kustomization.yaml resources")
    monitoring_docs += [(path, doc) for doc in yaml.safe_load_all(path.read_text()) if doc]
for name in sorted(monitoring_listed - {p.name for p, _ in monitoring_docs}):
    fail(f"{monitoring}/kustomization.yaml: resource {name} does not exist")
for _, doc in monitoring_docs:
    by_kind.setdefault(doc["kind"], []).append(doc)

# The recommended labels on every object and on the pods; version is the
# image tag of kustomization.yaml.
objects = [(path, doc) for path, doc in docs.values() if "metadata" in doc] + monitoring_docs
tag = next((str(i.get("newTag")) for i in kustomization.get("images", []) if i.get("name") == "newswatch"), None)
expected = {"name": "newswatch", "instance": "newswatch", "version": tag, "part-of": "newswatch",
            "managed-by": "kustomize"}
labelled = [check_labels(f"{path}: {doc['kind']} {doc['metadata']['name']}", doc["metadata"].get("labels"), expected)
            for path, doc in objects]
if all(labelled) and check_labels("deployment.yaml: the pod template", labels, expected):
    ok(f"app.kubernetes.io/* labels on all {len(labelled)} objects and the pods (version {tag})")

# Selectors: stable labels only, selecting the pods (the ServiceMonitor: the Service).
for path, doc in objects:
    for where, selector in selectors_of(doc):
        what = f"{doc['kind']} {doc['metadata']['name']} {where}"
        if doc["kind"] == "ServiceMonitor":
            for service in by_kind.get("Service", []):
                check_selector(what, selector, service["metadata"]["labels"], f"Service {service['metadata']['name']}")
        else:
            check_selector(what, selector, labels, "the newswatch pods")
for service in by_kind.get("Service", []):
    for port in service["spec"]["ports"]:
        if isinstance(port.get("targetPort"), str) and port["targetPort"] not in port_names:
            fail(f"Service {service['metadata']['name']}: targetPort {port['targetPort']} is no container port")
rules = yaml.safe_load(Path("deploy/prometheus/newswatch.rules.yml").read_text())
up_jobs = {m for g in rules["groups"] for r in g["rules"] for m in re.findall(r'\bup\{[^}]*job="([^"]+)"', r["expr"])}
for monitor in by_kind.get("ServiceMonitor", []):
    for service in by_kind.get("Service", []):
        ports = {p["name"] for p in service["spec"]["ports"]}
        for endpoint in monitor["spec"]["endpoints"]:
            if endpoint.get("port") not in ports:
                fail(f"ServiceMonitor {monitor['metadata']['name']}: port {endpoint.get('port')} is no port of "
                     f"Service {service['metadata']['name']}")
        job = service["metadata"]["labels"].get(monitor["spec"].get("jobLabel", ""), service["metadata"]["name"])
        if up_jobs == {job}:
            ok(f"ServiceMonitor {monitor['metadata']['name']}: job={job}, the job NewswatchDown watches")
        else:
            fail(f"ServiceMonitor {monitor['metadata']['name']}: job={job}; the rules' up{{job=...}} name {sorted(up_jobs)}")
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

# The hardening of deploy/k8s/deployment.yaml, as compose says it.
k8s_security = container.get("securityContext", {})
uid = str(pod["spec"].get("securityContext", {}).get("runAsUser"))
dockerfile_user = re.findall(r"^USER\s+(\S+)", Path("Dockerfile").read_text(), re.M)
user = str(newswatch.get("user", ""))
hardening = {
    "read_only: true (k8s readOnlyRootFilesystem)":
        newswatch.get("read_only") is True and k8s_security.get("readOnlyRootFilesystem") is True,
    "cap_drop: [ALL] (k8s capabilities.drop)":
        newswatch.get("cap_drop") == ["ALL"] and k8s_security.get("capabilities", {}).get("drop") == ["ALL"],
    "security_opt no-new-privileges:true (k8s allowPrivilegeEscalation: false)":
        any(o.replace("=", ":") in ("no-new-privileges:true", "no-new-privileges")
            for o in newswatch.get("security_opt", [])) and k8s_security.get("allowPrivilegeEscalation") is False,
    f"user {user!r}: the image's USER {dockerfile_user[-1:]} and k8s runAsUser {uid}, not root":
        user.split(":")[0] == uid != "0" and dockerfile_user[-1:] == [user],
}
for what, good in hardening.items():
    if good:
        ok(f"newswatch: {what}")
    else:
        fail(f"newswatch: not {what}")
for mount in newswatch.get("tmpfs", []) or []:
    if not str(mount).startswith("/"):
        fail(f"newswatch: tmpfs {mount!r} is no absolute path")

print("== deploy/config.toml (the image's)")
newswatch_check("deploy/config.toml", Path("deploy/config.toml").read_text())

# ---- logs: on stderr, and the docs say so ----------------------------------------------
print("== logs on stderr")
# `newswatch run` for a moment (no broker answers; a stdout sink): its log
# lines must be on stderr and nothing on stdout.
with tempfile.TemporaryDirectory() as tmp:
    config = Path(tmp, "config.toml")
    config.write_text(
        '[kafka]\nbrokers = "127.0.0.1:9"\ntopics = ["news"]\n'
        f'[watchlist]\npath = "{Path("config/watchlist.toml").resolve()}"\nreload = false\n'
        '[http]\nlisten = "127.0.0.1:0"\n'
        '[[sinks]]\nname = "out"\ntype = "stdout"\n'
    )
    out, err = Path(tmp, "stdout"), Path(tmp, "stderr")
    with out.open("w") as stdout, err.open("w") as stderr:
        proc = subprocess.Popen([BIN, "run", "--config", str(config)], stdout=stdout, stderr=stderr,
                                env={k: v for k, v in os.environ.items() if not k.startswith(("NEWSWATCH", "RUST_LOG"))})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None and '"newswatch running"' not in err.read_text():
            time.sleep(0.2)
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    lines = [json.loads(line) for line in err.read_text().splitlines() if line.startswith("{")]
    if not any(line.get("message") == "newswatch running" for line in lines):
        fail(f"newswatch run: no JSON log line 'newswatch running' on stderr: {err.read_text()[:500]!r}")
    elif out.read_text():
        fail(f"newswatch run wrote to stdout: {out.read_text()[:300]!r}")
    else:
        ok(f"newswatch run: {len(lines)} JSON log lines on stderr, nothing on stdout")
# No paragraph of the docs may say the logs go to stdout.
for doc in (Path("README.md"), Path("deploy/README.md")):
    for paragraph in re.split(r"\n\s*\n|\n(?=\s*- )", doc.read_text()):
        if re.search(r"\blogs?\b", paragraph, re.I) and "stdout" in paragraph:
            fail(f"{doc}: says logs and stdout in one paragraph (logs go to stderr): {paragraph.strip()[:200]!r}")
if re.search(r"^- \*\*Logs\*\* are JSON lines on stderr", Path("deploy/README.md").read_text(), re.M):
    ok("deploy/README.md: logs on stderr")
else:
    fail("deploy/README.md: the **Logs** item does not say JSON lines on stderr")

# ---- README: topics by regular expression ---------------------------------------------
print("== README.md: kafka.topics as a regular expression")
readme = Path("README.md").read_text()
paragraph = next((p for p in readme.split("\n\n") if p.startswith("**Topics by pattern.**")), "")
pattern = re.search(r"the pattern\s+`([^`]+)`", paragraph)
snippets = re.findall(r"`(topics = [^`]+)`", paragraph)
if not pattern or len(snippets) < 2:
    fail("README.md: no **Topics by pattern.** paragraph with the pattern and its TOML spellings")
else:
    for snippet in snippets:
        topics = tomllib.loads(snippet)["topics"]
        if topics == [pattern.group(1)] and topics[0].startswith("^"):
            ok(f"README.md: {snippet} is the pattern {pattern.group(1)}")
        else:
            fail(f"README.md: {snippet} reads as {topics}, not [{pattern.group(1)!r}]")
        newswatch_check(f"kafka.{snippet} (README.md)",
                        f'[kafka]\n{snippet}\n[[sinks]]\nname = "out"\ntype = "stdout"\n')

# ---- alert schema --------------------------------------------------------------
print("== schema/alert.schema.json")
schema = json.loads(Path("schema/alert.schema.json").read_text())
try:
    jsonschema.Draft202012Validator.check_schema(schema)
    ok("a valid draft 2020-12 schema")
except jsonschema.SchemaError as error:
    fail(f"schema/alert.schema.json is not a valid schema: {error.message}")
    finish()
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

# ---- configuration and watchlist schemas (for TOML editors) ---------------------
print("== schema/config.schema.json, schema/watchlist.schema.json")


def toml_schema(path):
    schema = json.loads(Path(path).read_text())
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
        ok(f"{path}: a valid draft 2020-12 schema")
    except jsonschema.SchemaError as error:
        fail(f"{path} is not a valid schema: {error.message}")
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def check_toml(validator, what, text, valid=True):
    """`text` (TOML) validates, or with valid=False, does not."""
    problems = [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
                for e in validator.iter_errors(tomllib.loads(text))]
    if valid and problems:
        for problem in problems[:5]:
            fail(f"{what}: {problem}")
    elif not valid and not problems:
        fail(f"{what}: the schema accepts it, but newswatch refuses it")
    else:
        ok(f"{what}: {'valid' if valid else 'refused: ' + problems[0]}")


config_schema = toml_schema("schema/config.schema.json")
watchlist_schema = toml_schema("schema/watchlist.schema.json")
# Every configuration and watchlist of the repository, the ConfigMap's included.
configs = {p: Path(p).read_text() for p in
           ["config/newswatch.toml", "deploy/config.toml", "deploy/compose-config.toml"]}
watchlists = {p: Path(p).read_text() for p in ["config/watchlist.toml"]}
for path in sorted(Path("deploy/k8s").rglob("*.yaml")):
    for doc in yaml.safe_load_all(path.read_text()):
        if isinstance(doc, dict) and doc.get("kind") == "ConfigMap":
            for key, text in (doc.get("data") or {}).items():
                if key.endswith("config.toml"):
                    configs[f"{path} {key}"] = text
                elif key.endswith("watchlist.toml"):
                    watchlists[f"{path} {key}"] = text
for what, text in configs.items():
    check_toml(config_schema, what, text)
for what, text in watchlists.items():
    check_toml(watchlist_schema, what, text)
# What newswatch refuses, the schema refuses too (each also goes through
# `newswatch check` to prove newswatch refuses it).
for what, text in [
    ("an unknown key", '[kafka]\nbroker = "x:9092"\n'),
    ("a bad log format", '[log]\nformat = "yaml"\n'),
    ("a sink without a type", '[[sinks]]\nname = "a"\ntopic = "t"\n'),
    ("a kafka sink with a webhook key", '[[sinks]]\nname = "a"\ntype = "kafka"\ntopic = "t"\nurl = "http://x"\n'),
    ("a zero max_in_flight", "[pipeline]\nmax_in_flight = 0\n"),
]:
    check_toml(config_schema, f"config with {what}", text, valid=False)
    with tempfile.NamedTemporaryFile("w", suffix=".toml") as f:
        f.write(text)
        f.flush()
        run = subprocess.run([BIN, "check", "--config", f.name, "--watchlist", "config/watchlist.toml"],
                             capture_output=True, text=True)
        if run.returncode != 78:
            fail(f"config with {what}: newswatch check exited {run.returncode}, not 78")
for what, text in [
    ("an unknown rule key", '[[rules]]\nid = "r"\nwhen = "a"\nlevel = "high"\n'),
    ("a bad severity", '[[rules]]\nid = "r"\nwhen = "a"\nseverity = "urgent"\n'),
    ("an empty set", '[sets.a]\nterms = []\n[[rules]]\nid = "r"\nwhen = "a"\n'),
]:
    check_toml(watchlist_schema, f"watchlist with {what}", text, valid=False)

finish()
