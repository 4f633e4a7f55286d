//! Request bodies by `format` (SPEC section 3): the CloudEvents JSON, a
//! Slack message, or the Prometheus Alertmanager webhook body
//! ([`super::alertmanager`]).

use serde_json::json;

use super::alertmanager;
use super::config::WebhookFormat;
use crate::alert::Alert;

/// The request body for `format`, and its content type. `receiver` (the
/// sink's name) and `external_url` (`http.external_url`) are for the
/// Alertmanager body.
pub fn body(
    format: WebhookFormat,
    alert: &Alert,
    json: &[u8],
    receiver: &str,
    external_url: &str,
) -> (Vec<u8>, &'static str) {
    match format {
        WebhookFormat::CloudEvents => (json.to_vec(), "application/cloudevents+json"),
        WebhookFormat::Slack => (
            json_bytes(&json!({ "text": slack_text(alert) })),
            "application/json",
        ),
        WebhookFormat::Alertmanager => (
            json_bytes(&alertmanager::body(alert, receiver, external_url)),
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
                item: std::sync::Arc::new(ItemRef {
                    id: "item-1".into(),
                    title: Some("Beijing approves H200 | orders".into()),
                    url: Some("https://news.example/a?x=1&y=2".into()),
                    source: None,
                    lang: None,
                    published_at: None,
                }),
                matches: vec![],
                snippet: "…weigh H200 orders if Beijing approves…".into(),
                origin: None,
                story: None,
                rules: None,
            },
        }
    }

    #[test]
    fn slack_text_reads_well_and_is_escaped() {
        let (b, ct) = body(WebhookFormat::Slack, &alert(), b"{}", "ops", "");
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
        let mut a = alert();
        a.data.rule = "chips \"H200\"\u{202e}".into();
        let (b, ct) = body(
            WebhookFormat::Alertmanager,
            &a,
            b"{}",
            "ops.eu",
            "https://newswatch.example.org",
        );
        assert_eq!(ct, "application/json");
        let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
        // Every member of Alertmanager's notify/webhook Message, no other.
        let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "alerts",
                "commonAnnotations",
                "commonLabels",
                "externalURL",
                "groupKey",
                "groupLabels",
                "notification_reason",
                "receiver",
                "routeLabels",
                "status",
                "truncatedAlerts",
                "version"
            ]
        );
        assert_eq!(v["version"], "4");
        assert_eq!(v["status"], "firing");
        assert_eq!(
            v["receiver"], r"ops\.eu",
            "regexp.QuoteMeta, as Alertmanager"
        );
        assert_eq!(v["externalURL"], "https://newswatch.example.org");
        assert_eq!(v["notification_reason"], "first notification");
        assert_eq!(v["truncatedAlerts"], 0);
        assert_eq!(v["routeLabels"], serde_json::json!({}));
        // The group key is the group labels only, quoted as Go quotes.
        assert_eq!(v["groupLabels"], serde_json::json!({"rule": a.data.rule}));
        assert_eq!(v["groupKey"], r#"{}:{rule="chips \"H200\"\u202e"}"#);
        let a = &v["alerts"][0];
        assert_eq!(a["labels"]["rule"], "chips \"H200\"\u{202e}");
        assert_eq!(a["labels"]["alertname"], a["labels"]["rule"]);
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
            let (b, _) = body(format, &a, b"{}", "ops", "");
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
        let (b, ct) = body(
            WebhookFormat::CloudEvents,
            &alert(),
            b"{\"id\":1}",
            "ops",
            "",
        );
        assert_eq!(b, b"{\"id\":1}");
        assert_eq!(ct, "application/cloudevents+json");
    }
}
