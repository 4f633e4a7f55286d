//! Alerts read from Kafka, parsed by the CloudEvents Python SDK
//! (`cloudevents`, pinned in `scripts/lint-deploy.sh`) rather than by code
//! of ours: its Kafka protocol binding, both the current API
//! (`cloudevents.core.bindings.kafka`) and the one of the 1.x releases
//! (`cloudevents.kafka` then, `cloudevents.v1.kafka` now).

use std::collections::BTreeMap;

use crate::python;
use crate::subscriber::Received;

/// A content mode of the CloudEvents Kafka protocol binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The event JSON is the value.
    Structured,
    /// The value is `data`; the attributes are headers.
    Binary,
}

/// One event as a reader made it of a message: its attributes (times as
/// RFC 3339 with milliseconds and `Z`, as newswatch writes them) and its
/// data.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub attributes: BTreeMap<String, String>,
    pub data: serde_json::Value,
}

/// What the SDK made of one message.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// `cloudevents.core.bindings.kafka.from_binary` or `from_structured`,
    /// as `mode` says.
    pub core: Event,
    /// `cloudevents.core.bindings.kafka.from_kafka`, which tells the mode
    /// from the headers itself.
    pub detected: Event,
    /// `cloudevents.v1.kafka.from_binary` or `from_structured` (the 1.x
    /// API).
    pub v1: Event,
}

const SCRIPT: &str = r#"
import json, sys
from datetime import datetime, timezone
from cloudevents.core.bindings import kafka as core
from cloudevents.core.formats.json import JSONFormat
from cloudevents.v1 import kafka as v1


def text(value):
    if isinstance(value, datetime):
        utc = value.astimezone(timezone.utc)
        return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, bytes):
        return value.decode()
    return str(value)


def plain(event):
    return {
        "attributes": {k: text(v) for k, v in event.get_attributes().items()},
        "data": event.get_data(),
    }


out = []
for m in json.load(sys.stdin):
    headers = {k: bytes.fromhex(v) for k, v in m["headers"].items()}
    key, value = bytes.fromhex(m["key"]), bytes.fromhex(m["value"])
    message = core.KafkaMessage(headers=headers, key=key, value=value)
    legacy = v1.KafkaMessage(headers, key, value)
    if m["mode"] == "binary":
        parsed = core.from_binary(message, JSONFormat())
        old = v1.from_binary(legacy)
    else:
        parsed = core.from_structured(message, JSONFormat())
        old = v1.from_structured(legacy)
    detected = core.from_kafka(message, JSONFormat())
    out.append({"core": plain(parsed), "detected": plain(detected), "v1": plain(old)})
print(json.dumps(out))
"#;

/// The messages `received`, each parsed by the SDK in `mode`, in order.
/// Panics with the SDK's error when it refuses one.
pub fn parse(received: &[Received], mode: Mode) -> Vec<Parsed> {
    let mode = match mode {
        Mode::Structured => "structured",
        Mode::Binary => "binary",
    };
    let messages: Vec<serde_json::Value> = received
        .iter()
        .map(|r| {
            let headers: serde_json::Map<String, serde_json::Value> = r
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), python::hex(v.as_bytes()).into()))
                .collect();
            serde_json::json!({
                "mode": mode,
                "key": python::hex(r.key.as_bytes()),
                "headers": headers,
                "value": python::hex(&r.payload),
            })
        })
        .collect();
    let input = serde_json::to_vec(&messages).expect("messages as JSON");
    let out = python::run(
        &format!("the CloudEvents SDK ({mode} mode)"),
        SCRIPT,
        &input,
    );
    let event = |v: &serde_json::Value| Event {
        attributes: v["attributes"]
            .as_object()
            .expect("attributes")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
            .collect(),
        data: v["data"].clone(),
    };
    let parsed: Vec<Parsed> = out
        .as_array()
        .expect("a list of parsed events")
        .iter()
        .map(|p| Parsed {
            core: event(&p["core"]),
            detected: event(&p["detected"]),
            v1: event(&p["v1"]),
        })
        .collect();
    assert_eq!(parsed.len(), received.len(), "one event per message");
    parsed
}
