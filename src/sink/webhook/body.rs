//! Request bodies by `format` (SPEC section 3): the CloudEvents JSON, a
//! Slack message, or the Prometheus Alertmanager webhook body.

use serde_json::json;

use super::config::WebhookFormat;
use crate::alert::Alert;

/// The request body for `format`, and its content type.
pub fn body(
    format: WebhookFormat,
    alert: &Alert,
    json: &[u8],
    receiver: &str,
) -> (Vec<u8>, &'static str) {
    match format {
        WebhookFormat::CloudEvents => (json.to_vec(), "application/cloudevents+json"),
        WebhookFormat::Slack => (
            json_bytes(&json!({ "text": slack_text(alert) })),
            "application/json",
        ),
        WebhookFormat::Alertmanager => (
            json_bytes(&alertmanager(alert, receiver)),
            "application/json",
        ),
    }
}

/// `value` as JSON with control, line-separator and bidirectional
/// characters escaped, as the event JSON is ([`crate::escape`]).
fn json_bytes(value: &serde_json::Value) -> Vec<u8> {
    // A `Value` always serializes: its map keys are strings.
    crate::escape::to_json(value).unwrap_or_default()
}

/// A chat message: severity and rule, the linked title, the snippet.
fn slack_text(a: &Alert) -> String {
    // Slack's mrkdwn needs these three escaped, and nothing else.
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let d = &a.data;
    let mut text = format!(
        "*[{}]* newswatch rule `{}`",
        d.severity.as_str().to_uppercase(),
        esc(&d.rule)
    );
    if let Some(desc) = &d.description {
        text.push_str(&format!(": {}", esc(desc)));
    }
    let title = d.item.title.as_deref().unwrap_or(&d.item.id);
    match &d.item.url {
        Some(url) => text.push_str(&format!(
            "\n<{}|{}>",
            esc(url),
            esc(title).replace('|', "¦")
        )),
        None => text.push_str(&format!("\n*{}*", esc(title))),
    }
    if !d.snippet.is_empty() {
        text.push_str(&format!("\n> {}", esc(&d.snippet)));
    }
    text
}

/// The body Prometheus Alertmanager posts to its webhook receivers
/// (`version: "4"`), one firing alert in its own group.
fn alertmanager(a: &Alert, receiver: &str) -> serde_json::Value {
    let d = &a.data;
    let labels = json!({
        "alertname": d.rule,
        "rule": d.rule,
        "severity": d.severity.as_str(),
        "item": d.item.id,
    });
    let mut annotations = json!({
        "title": d.item.title.as_deref().unwrap_or(""),
        "url": d.item.url.as_deref().unwrap_or(""),
        "snippet": d.snippet,
    });
    if let Some(desc) = &d.description {
        annotations["description"] = json!(desc);
    }
    json!({
        "version": "4",
        "groupKey": format!("{{}}:{{rule=\"{}\", item=\"{}\"}}", d.rule, d.item.id),
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": receiver,
        "groupLabels": { "rule": d.rule },
        "commonLabels": labels,
        "commonAnnotations": annotations,
        "externalURL": "",
        "alerts": [{
            "status": "firing",
            "labels": labels,
            "annotations": annotations,
            "startsAt": a.time,
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": d.item.url.as_deref().unwrap_or(""),
            "fingerprint": a.id,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{AlertData, ItemRef};
    use crate::watchlist::Severity;

    fn alert() -> Alert {
        Alert {
            specversion: "1.0",
            kind: "newswatch.alert",
            source: "/newswatch".into(),
            id: "abc123".into(),
            time: "2026-11-28T10:00:00.000Z".into(),
            subject: "chip-export-approval".into(),
            datacontenttype: "application/json",
            data: AlertData {
                rule: "chip-export-approval".into(),
                severity: Severity::High,
                description: Some("AI chips <and> approvals".into()),
                item: ItemRef {
                    id: "item-1".into(),
                    title: Some("Beijing approves H200 | orders".into()),
                    url: Some("https://news.example/a?x=1&y=2".into()),
                    source: None,
                    lang: None,
                    published_at: None,
                },
                matches: vec![],
                snippet: "…weigh H200 orders if Beijing approves…".into(),
                origin: None,
            },
        }
    }

    #[test]
    fn slack_text_reads_well_and_is_escaped() {
        let (b, ct) = body(WebhookFormat::Slack, &alert(), b"{}", "ops");
        assert_eq!(ct, "application/json");
        let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(
            v["text"],
            "*[HIGH]* newswatch rule `chip-export-approval`: AI chips &lt;and&gt; approvals\n\
             <https://news.example/a?x=1&amp;y=2|Beijing approves H200 ¦ orders>\n\
             > …weigh H200 orders if Beijing approves…"
        );
        assert_eq!(v.as_object().unwrap().len(), 1);
    }

    #[test]
    fn alertmanager_body_has_the_webhook_shape() {
        let (b, _) = body(WebhookFormat::Alertmanager, &alert(), b"{}", "ops");
        let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(v["version"], "4");
        assert_eq!(v["status"], "firing");
        assert_eq!(v["receiver"], "ops");
        let a = &v["alerts"][0];
        assert_eq!(a["labels"]["rule"], "chip-export-approval");
        assert_eq!(a["labels"]["severity"], "high");
        assert_eq!(a["labels"]["item"], "item-1");
        assert_eq!(a["annotations"]["title"], "Beijing approves H200 | orders");
        assert_eq!(a["annotations"]["url"], "https://news.example/a?x=1&y=2");
        assert_eq!(a["fingerprint"], "abc123");
        assert_eq!(a["startsAt"], "2026-11-28T10:00:00.000Z");
    }

    #[test]
    fn chat_and_alertmanager_bodies_escape_controls_and_bidi() {
        let mut a = alert();
        a.data.snippet = "\u{202e}H200\u{2028}\u{85}".into();
        for format in [WebhookFormat::Slack, WebhookFormat::Alertmanager] {
            let (b, _) = body(format, &a, b"{}", "ops");
            let text = std::str::from_utf8(&b).unwrap();
            assert!(text.contains(r"\u202eH200\u2028\u0085"), "{text}");
            assert!(!text.contains('\u{202e}'), "{text}");
            let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
            let shown = v["text"]
                .as_str()
                .or(v["alerts"][0]["annotations"]["snippet"].as_str())
                .unwrap();
            assert!(shown.contains("\u{202e}H200\u{2028}\u{85}"), "{shown}");
        }
    }

    #[test]
    fn cloudevents_body_is_the_event_json() {
        let (b, ct) = body(WebhookFormat::CloudEvents, &alert(), b"{\"id\":1}", "ops");
        assert_eq!(b, b"{\"id\":1}");
        assert_eq!(ct, "application/cloudevents+json");
    }
}
