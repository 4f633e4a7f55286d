//! `/metrics` of a running daemon, parsed by the Prometheus project's own
//! Python parser rather than by code of ours.

use std::collections::BTreeMap;

use crate::http::http_get;

/// `/metrics` of the daemon at `addr`, parsed by the Prometheus project's
/// own Python parser (`prometheus_client`, run by [`crate::python`]):
/// sample name and labels to value.
pub fn scrape(addr: &str) -> Metrics {
    let (status, text) = http_get(addr, "/metrics");
    assert_eq!(status, 200, "{text}");
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
    let v = crate::python::run(
        &format!("the Prometheus parser on /metrics:\n{text}\n"),
        script,
        text.as_bytes(),
    );
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
