//! `/metrics` of a running daemon, parsed by the Prometheus project's own
//! Python parser rather than by code of ours.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};

use crate::http::http_get;

/// `/metrics` of the daemon at `addr`, parsed by the Prometheus project's
/// own Python parser (`prometheus_client`, in the venv `scripts/test.sh`
/// names in `NEWSWATCH_TEST_PYTHON`): sample name and labels to value.
pub fn scrape(addr: &str) -> Metrics {
    let (status, text) = http_get(addr, "/metrics");
    assert_eq!(status, 200, "{text}");
    let python = std::env::var("NEWSWATCH_TEST_PYTHON").expect(
        "NEWSWATCH_TEST_PYTHON must name a python with prometheus_client; scripts/test.sh sets it",
    );
    let script = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {"types": {}, "samples": []}
for f in text_string_to_metric_families(sys.stdin.read()):
    out["types"][f.name] = f.type
    for s in f.samples:
        out["samples"].append([s.name, s.labels, s.value])
print(json.dumps(out))
"#;
    let mut child = Command::new(&python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running {python}: {e}"));
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(text.as_bytes()).expect("feed the parser");
    }
    let out = child.wait_with_output().expect("parser output");
    assert!(
        out.status.success(),
        "the Prometheus parser rejected /metrics: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("parser JSON");
    let types = v["types"]
        .as_object()
        .expect("types")
        .iter()
        .map(|(k, t)| (k.clone(), t.as_str().unwrap_or("").to_owned()))
        .collect();
    let samples = v["samples"]
        .as_array()
        .expect("samples")
        .iter()
        .map(|s| {
            let labels = s[1]
                .as_object()
                .expect("labels")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned()))
                .collect();
            (
                s[0].as_str().expect("name").to_owned(),
                labels,
                s[2].as_f64().expect("value"),
            )
        })
        .collect();
    Metrics { types, samples }
}

/// Parsed `/metrics`.
#[derive(Debug)]
pub struct Metrics {
    pub types: BTreeMap<String, String>,
    pub samples: Vec<(String, BTreeMap<String, String>, f64)>,
}

impl Metrics {
    /// The sum of the samples named `name` whose labels include `labels`.
    pub fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .filter(|(n, l, _)| {
                n == name
                    && labels
                        .iter()
                        .all(|(k, v)| l.get(*k).is_some_and(|x| x == v))
            })
            .map(|(_, _, v)| v)
            .sum()
    }

    pub fn has(&self, name: &str) -> bool {
        self.samples.iter().any(|(n, _, _)| n == name)
    }
}
