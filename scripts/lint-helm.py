#!/usr/bin/env python3
"""The Helm chart checks of scripts/lint-deploy.sh, run with its venv:
`helm lint --strict`, then `helm template` with three sets of values
(defaults; monitoring, secrets and Kafka overrides; config.toml from a
Secret), each rendering

- validated by kubernetes-validate --strict (the core kinds), with the
  ServiceMonitor and PrometheusRule, which it has no schema for, written to
  CRDS_OUT for scripts/lint-deploy.sh's separate check (crd-check);
- checked like deploy/k8s: the recommended labels on every object and pod,
  selectors on stable labels that select the pods, the same pod as
  deploy/k8s/deployment.yaml (probes, hardening, resources, grace period),
  no Secret, config.toml through `newswatch check`, the watchlist equal to
  config/watchlist.toml, the PrometheusRule's spec equal to
  deploy/prometheus/newswatch.rules.yml, the ServiceMonitor on the metrics
  port with the job the alerts expect, scrape annotations only without it.

Run from the repository root: prints `FAIL: ...` lines and exits with their
count. Usage:
  python lint-helm.py HELM KUBERNETES_VALIDATE NEWSWATCH_BIN K8S_VERSION CRDS_OUT
"""

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from lint_common import check_labels, check_selector, fail, finish, newswatch_check, ok, selectors_of

HELM, KUBERNETES_VALIDATE, BIN, K8S_VERSION, CRDS_OUT = sys.argv[1:6]
CHART = Path("deploy/helm/newswatch")
CRD_KINDS = {"ServiceMonitor", "PrometheusRule"}
chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
rules = yaml.safe_load(Path("deploy/prometheus/newswatch.rules.yml").read_text())
watchlist = Path("config/watchlist.toml").read_text()
k8s_deployment = yaml.safe_load(Path("deploy/k8s/deployment.yaml").read_text())
k8s_pod = k8s_deployment["spec"]["template"]["spec"]

# The job NewswatchDown expects: the ServiceMonitor must produce it.
up_jobs = {m for g in rules["groups"] for r in g["rules"]
           for m in re.findall(r'\bup\{[^}]*job="([^"]+)"', r["expr"])}

CASES = [
    ("defaults", "newswatch", []),
    ("monitoring, secrets, Kafka overrides", "nw-prod", [
        "--set", "serviceMonitor.enabled=true,prometheusRule.enabled=true",
        "--set", "serviceMonitor.labels.release=kube-prometheus-stack",
        "--set", "prometheusRule.labels.release=kube-prometheus-stack",
        "--set", "webhookSecret.existingSecret=newswatch-webhook",
        "--set", "kafkaPassword.existingSecret=newswatch-kafka",
        "--set", "kafka.brokers=my-cluster-kafka-bootstrap.kafka:9092,kafka.groupId=newswatch-prod",
        "--set-json", 'kafka.topics=["^news\\\\.in\\\\..*","wires"]',
        "--set-json", 'extraEnv=[{"name":"RUST_LOG","value":"info,newswatch=debug"}]',
        "--set", "image.repository=registry.example.org/newswatch,image.tag=0.1.1",
    ]),
    ("config.toml from a Secret", "newswatch", ["--set", "configSecret=newswatch-config"]),
]

print(f"== helm lint --strict {CHART}")
for name, release, args in CASES:
    run = subprocess.run([HELM, "lint", "--strict", "--kube-version", K8S_VERSION, str(CHART), *args],
                         capture_output=True, text=True)
    if run.returncode == 0:
        ok(f"helm lint --strict ({name})")
    else:
        fail(f"helm lint --strict ({name}) exited {run.returncode}:\n{(run.stdout + run.stderr).strip()}")

if (CHART / "files/watchlist.toml").read_text() == watchlist:
    ok(f"{CHART}/files/watchlist.toml equals config/watchlist.toml")
else:
    fail(f"{CHART}/files/watchlist.toml differs from config/watchlist.toml; run deploy/k8s/sync-watchlist.sh")
if chart.get("appVersion") != chart.get("version"):
    print(f"note: chart version {chart.get('version')}, appVersion {chart.get('appVersion')}")

crds = []
for name, release, args in CASES:
    print(f"== helm template ({name})")
    run = subprocess.run(
        [HELM, "template", release, str(CHART), "--namespace", "alerts", "--kube-version", K8S_VERSION, *args],
        capture_output=True, text=True)
    if run.returncode != 0:
        fail(f"helm template ({name}) exited {run.returncode}: {run.stderr.strip()}")
        continue
    docs = [d for d in yaml.safe_load_all(run.stdout) if d]
    core = [d for d in docs if d["kind"] not in CRD_KINDS]
    crds += [d for d in docs if d["kind"] in CRD_KINDS]
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        yaml.safe_dump_all(core, f)
        f.flush()
        check = subprocess.run([KUBERNETES_VALIDATE, "--kubernetes-version", K8S_VERSION, "--strict", "--quiet", f.name],
                               capture_output=True, text=True)
    if check.returncode == 0 and "WARN" not in check.stdout:
        ok(f"kubernetes-validate --strict: {', '.join(sorted(d['kind'] for d in core))}")
    else:
        fail(f"kubernetes-validate --strict ({name}):\n{check.stdout.strip()}{check.stderr.strip()}")

    by_kind = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], []).append(doc)
    if "Secret" in by_kind:
        fail(f"({name}) the chart renders a Secret: secrets come from existing ones only")
    expected = {"name": "newswatch", "instance": release, "version": str(chart["appVersion"]), "managed-by": "Helm"}
    if "image.tag=0.1.1" in " ".join(args):
        expected["version"] = "0.1.1"
    labelled = all([check_labels(f"({name}) {d['kind']} {d['metadata']['name']}", d["metadata"].get("labels"), expected)
                    for d in docs])
    deployment = by_kind["Deployment"][0]
    pod_template = deployment["spec"]["template"]
    if check_labels(f"({name}) Deployment pod template", pod_template["metadata"].get("labels"), expected) and labelled:
        ok(f"({name}) the recommended labels on every object and the pods")
    pod_labels = pod_template["metadata"]["labels"]
    for doc in docs:
        for where, selector in selectors_of(doc):
            if doc["kind"] == "ServiceMonitor":
                service = by_kind["Service"][0]
                check_selector(f"({name}) ServiceMonitor {where}", selector, service["metadata"]["labels"],
                               f"Service {service['metadata']['name']}")
            else:
                check_selector(f"({name}) {doc['kind']} {where}", selector, pod_labels, "the pods")

    # The same pod as deploy/k8s/deployment.yaml.
    pod = pod_template["spec"]
    container, k8s_container = pod["containers"][0], k8s_pod["containers"][0]
    differences = [f"pod {key}: {pod.get(key)} against {k8s_pod.get(key)}"
                   for key in ("securityContext", "automountServiceAccountToken", "enableServiceLinks",
                               "terminationGracePeriodSeconds")
                   if pod.get(key) != k8s_pod.get(key)]
    differences += [f"container {key}: {container.get(key)} against {k8s_container.get(key)}"
                    for key in ("securityContext", "readinessProbe", "livenessProbe", "resources", "volumeMounts",
                                "ports", "args")
                    if container.get(key) != k8s_container.get(key)]
    if deployment["spec"].get("strategy") != k8s_deployment["spec"].get("strategy"):
        differences.append("Deployment strategy")
    for difference in differences:
        fail(f"({name}) differs from deploy/k8s/deployment.yaml: {difference}")
    if not differences:
        ok(f"({name}) the pod of deploy/k8s/deployment.yaml: probes, hardening, resources, grace period")
    ports = {p["name"] for p in container["ports"]}
    for service in by_kind.get("Service", []):
        for port in service["spec"]["ports"]:
            if port.get("targetPort") not in ports:
                fail(f"({name}) Service {service['metadata']['name']}: targetPort {port.get('targetPort')} is no container port")
    annotations = pod_template["metadata"].get("annotations", {})
    if "checksum/config" not in annotations:
        fail(f"({name}) no checksum/config annotation on the pods: a config change would not roll them")

    # Config and watchlist.
    configmap = by_kind["ConfigMap"][0]
    env = {e["name"]: e["value"] for e in container.get("env", []) if "value" in e and e["name"].startswith("NEWSWATCH")}
    volume = pod["volumes"][0]
    if "--set" in args and any(a.startswith("configSecret=") for a in args):
        if "config.toml" in configmap["data"]:
            fail(f"({name}) config.toml is still in the ConfigMap")
        secrets = [s["secret"]["name"] for s in volume.get("projected", {}).get("sources", []) if "secret" in s]
        if secrets != ["newswatch-config"]:
            fail(f"({name}) the config volume does not project the Secret newswatch-config")
        else:
            ok(f"({name}) config.toml from the Secret, the watchlist from the ConfigMap")
    else:
        newswatch_check(BIN, f"({name}) ConfigMap config.toml with the Deployment's environment",
                        configmap["data"]["config.toml"], env)
    if configmap["data"].get("watchlist.toml") == watchlist:
        ok(f"({name}) ConfigMap watchlist.toml equals config/watchlist.toml")
    else:
        fail(f"({name}) ConfigMap watchlist.toml differs from config/watchlist.toml")
    secret_refs = {e["name"]: e["valueFrom"]["secretKeyRef"]["name"] for e in container.get("env", [])
                   if "secretKeyRef" in e.get("valueFrom", {})}
    if name.startswith("monitoring"):
        wanted = {"NEWSWATCH_WEBHOOK_SECRET": "newswatch-webhook",
                  "NEWSWATCH__KAFKA__CONSUMER__SASL_PASSWORD": "newswatch-kafka",
                  "NEWSWATCH__KAFKA__PRODUCER__SASL_PASSWORD": "newswatch-kafka"}
        if secret_refs == wanted:
            ok(f"({name}) secrets referenced by name: {', '.join(sorted(secret_refs))}")
        else:
            fail(f"({name}) secret references {secret_refs}, expected {wanted}")
        if env.get("NEWSWATCH__KAFKA__TOPICS") != r"^news\.in\..*,wires":
            fail(f"({name}) NEWSWATCH__KAFKA__TOPICS is {env.get('NEWSWATCH__KAFKA__TOPICS')!r}")
    elif secret_refs:
        fail(f"({name}) secret references {secret_refs} without existingSecret values")

    # Monitoring.
    monitors, prometheus_rules = by_kind.get("ServiceMonitor", []), by_kind.get("PrometheusRule", [])
    if name.startswith("monitoring"):
        if any(k.startswith("prometheus.io/") for k in annotations):
            fail(f"({name}) prometheus.io/* annotations on the pods besides the ServiceMonitor: double scrapes")
        if len(monitors) != 1 or len(prometheus_rules) != 1:
            fail(f"({name}) expected one ServiceMonitor and one PrometheusRule, got {len(monitors)} and {len(prometheus_rules)}")
            continue
        monitor, service = monitors[0], by_kind["Service"][0]
        service_ports = {p["name"] for p in service["spec"]["ports"]}
        for endpoint in monitor["spec"]["endpoints"]:
            if endpoint.get("port") not in service_ports:
                fail(f"({name}) ServiceMonitor port {endpoint.get('port')} is no port of the Service")
        job = service["metadata"]["labels"].get(monitor["spec"].get("jobLabel", ""), service["metadata"]["name"])
        if up_jobs == {job}:
            ok(f"({name}) ServiceMonitor sets job={job}, the job NewswatchDown watches")
        else:
            fail(f"({name}) ServiceMonitor sets job={job}; the rules' up{{job=...}} name {sorted(up_jobs)}")
        if prometheus_rules[0]["spec"] == rules:
            ok(f"({name}) PrometheusRule spec equals deploy/prometheus/newswatch.rules.yml")
        else:
            fail(f"({name}) PrometheusRule spec differs from deploy/prometheus/newswatch.rules.yml")
        for doc in (monitor, prometheus_rules[0]):
            if doc["metadata"]["labels"].get("release") != "kube-prometheus-stack":
                fail(f"({name}) {doc['kind']}: the labels value is not applied")
    else:
        if monitors or prometheus_rules:
            fail(f"({name}) ServiceMonitor or PrometheusRule rendered while disabled")
        if annotations.get("prometheus.io/scrape") != "true":
            fail(f"({name}) no prometheus.io/scrape annotation on the pods without a ServiceMonitor")

# For the separate validation of the custom resources (crd-check).
with open(CRDS_OUT, "w") as f:
    yaml.safe_dump_all(crds, f)
finish()
