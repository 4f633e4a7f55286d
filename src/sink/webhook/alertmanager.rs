//! The Prometheus Alertmanager webhook body (`format = "alertmanager"`,
//! SPEC section 3): what Alertmanager itself posts to a webhook receiver,
//! so that receivers built for it work unchanged. One firing alert per
//! request, in a group of its own keyed by the rule.
//!
//! Follows Alertmanager v0.34.0:
//!
//! - the body is `notify/webhook/webhook.go` `Message`: `template.Data`
//!   (`template/template.go`: `receiver`, `status`, `alerts`,
//!   `notification_reason`, `groupLabels`, `commonLabels`,
//!   `commonAnnotations`, `routeLabels`, `externalURL`) and `version`,
//!   `groupKey`, `truncatedAlerts`;
//! - `receiver` is the receiver's name through `regexp.QuoteMeta`, as
//!   `template.(*Template).Data` writes it;
//! - `groupKey` is `dispatch/dispatch.go` `aggrGroup.GroupKey()`:
//!   `routeKey:labels`, the route key of the root route (`{}`, its
//!   matchers, none) and the group labels as `model.LabelSet.String()`
//!   writes them (prometheus/common `model/labelset_string.go`): names
//!   sorted, `name="value"` with the value quoted by Go's
//!   `strconv.Quote`, joined by `", "`, in braces;
//! - `externalURL` is the URL the sender is reached at
//!   (`http.external_url`; Alertmanager's `--web.external-url`).

use std::collections::BTreeMap;

use icu_properties::CodePointMapData;
use icu_properties::props::{GeneralCategory, GeneralCategoryGroup};
use reqwest::Url;
use serde_json::json;
use url::Position;

use crate::alert::Alert;

/// The route key of Alertmanager's root route: its matchers, none.
const ROOT_ROUTE_KEY: &str = "{}";

/// Each alert is the first notification of its own group
/// (`notify.ReasonFirstNotification.String()`).
const FIRST_NOTIFICATION: &str = "first notification";

/// The body for `alert`, sent by the receiver named `receiver` of a
/// sender reached at `external_url` (empty when unknown).
pub fn body(a: &Alert, receiver: &str, external_url: &str) -> serde_json::Value {
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
    let group_labels = BTreeMap::from([("rule", d.rule.as_str())]);
    json!({
        "version": "4",
        "groupKey": group_key(ROOT_ROUTE_KEY, &group_labels),
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": quote_meta(receiver),
        "notification_reason": FIRST_NOTIFICATION,
        "groupLabels": group_labels,
        "commonLabels": labels,
        "commonAnnotations": annotations,
        "routeLabels": {},
        "externalURL": external_url,
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

/// `url` as Alertmanager writes its external URL (`app/url.go` `extURL`):
/// the path without trailing slashes, so `https://host/` is
/// `https://host` and `https://host/nw/` is `https://host/nw`.
pub fn external_url(url: &Url) -> String {
    let path = url.path().trim_end_matches('/');
    format!(
        "{}{path}{}",
        &url[..Position::BeforePath],
        &url[Position::AfterPath..]
    )
}

/// Alertmanager's group key (`aggrGroup.GroupKey()`): the route key, a
/// colon, and the group labels as `model.LabelSet.String()` writes them:
/// `{a="1", b="2"}`, names in byte order (a `BTreeMap`'s order is Go's
/// `slices.Sort` of strings), values quoted by [`go_quote`].
pub fn group_key(route_key: &str, labels: &BTreeMap<&str, &str>) -> String {
    let pairs: Vec<String> = labels
        .iter()
        .map(|(name, value)| format!("{name}={}", go_quote(value)))
        .collect();
    format!("{route_key}:{{{}}}", pairs.join(", "))
}

/// `s` as Go's `strconv.Quote` writes it (`strconv/quote.go`,
/// `appendEscapedRune`): in double quotes, `"` and `\` backslashed, the
/// printable characters as they are, `\a \b \f \n \r \t \v`, other
/// characters below U+0020 and DEL as `\xhh`, the rest of the
/// non-printable ones as `\uhhhh` or `\Uhhhhhhhh` (lowercase hex).
/// Printable is Go's `strconv.IsPrint`: a letter, mark, number,
/// punctuation or symbol (Unicode general categories L, M, N, P, S), or
/// U+0020; the categories are this build's Unicode version, which may be
/// newer than the Go that built an Alertmanager.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if is_go_print(c) => out.push(c),
            '\u{7}' => out.push_str(r"\a"),
            '\u{8}' => out.push_str(r"\b"),
            '\u{c}' => out.push_str(r"\f"),
            '\n' => out.push_str(r"\n"),
            '\r' => out.push_str(r"\r"),
            '\t' => out.push_str(r"\t"),
            '\u{b}' => out.push_str(r"\v"),
            c if c < ' ' || c == '\u{7f}' => out.push_str(&format!(r"\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!(r"\u{:04x}", c as u32)),
            c => out.push_str(&format!(r"\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Go's `strconv.IsPrint`: U+0020, or a letter, mark, number, punctuation
/// or symbol.
fn is_go_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    let gc = CodePointMapData::<GeneralCategory>::new().get(c);
    [
        GeneralCategoryGroup::Letter,
        GeneralCategoryGroup::Mark,
        GeneralCategoryGroup::Number,
        GeneralCategoryGroup::Punctuation,
        GeneralCategoryGroup::Symbol,
    ]
    .iter()
    .any(|g| g.contains(gc))
}

/// Go's `regexp.QuoteMeta`: a backslash before each of `\.+*?()|[]{}^$`.
pub fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if r"\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_quote_escapes_as_strconv_quote() {
        // Each expected value is what Go's strconv.Quote returned for the
        // input (go1.26.8), and the group keys and QuoteMeta results below
        // what the same Go printed for prometheus/common's LabelSet.String()
        // and regexp.QuoteMeta.
        let cases = [
            ("chip-export-approval", r#""chip-export-approval""#),
            (r#"say "hi" \o/"#, r#""say \"hi\" \\o/""#),
            ("a\u{7}\u{8}\u{c}\n\r\t\u{b}z", r#""a\a\b\f\n\r\t\vz""#),
            ("\u{0}\u{1b}\u{7f}", r#""\x00\x1b\x7f""#),
            ("\u{85}\u{a0}\u{ad}", r#""\u0085\u00a0\u00ad""#),
            (
                "\u{202e}H200\u{2028}\u{200b}",
                r#""\u202eH200\u2028\u200b""#,
            ),
            (
                "\u{e000}\u{1d173}\u{e0001}",
                r#""\ue000\U0001d173\U000e0001""#,
            ),
            ("é é 芯片 ИИ-чип ™ 🇨🇳 ©", "\"é é 芯片 ИИ-чип ™ 🇨🇳 ©\""),
            (
                "tab\u{3000}ideographic space",
                r#""tab\u3000ideographic space""#,
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(go_quote(input), expected, "{input:?}");
        }
    }

    #[test]
    fn group_key_is_the_sorted_label_set_after_the_route_key() {
        let labels = BTreeMap::from([("severity", "high"), ("alertname", "x\"y"), ("b", "")]);
        assert_eq!(
            group_key("{}", &labels),
            r#"{}:{alertname="x\"y", b="", severity="high"}"#
        );
        assert_eq!(group_key("{}", &BTreeMap::new()), "{}:{}");
        // Byte order: upper case before lower case, as Go sorts strings.
        let labels = BTreeMap::from([("a", "1"), ("B", "2"), ("_c", "3")]);
        assert_eq!(group_key("{}", &labels), r#"{}:{B="2", _c="3", a="1"}"#);
    }

    #[test]
    fn external_url_has_no_trailing_slash() {
        let ext = |s: &str| external_url(&Url::parse(s).unwrap());
        assert_eq!(ext("https://nw.example.org"), "https://nw.example.org");
        assert_eq!(ext("https://nw.example.org/"), "https://nw.example.org");
        assert_eq!(ext("http://h:9464/nw//"), "http://h:9464/nw");
        assert_eq!(ext("http://h/nw/?a=1#f"), "http://h/nw?a=1#f");
    }

    #[test]
    fn quote_meta_escapes_regexp_metacharacters() {
        assert_eq!(quote_meta("ops"), "ops");
        assert_eq!(quote_meta("alerts-topic"), "alerts-topic");
        assert_eq!(
            quote_meta(r"a.b+c*d?e(f)g|h[i]j{k}l^m$n\o"),
            r"a\.b\+c\*d\?e\(f\)g\|h\[i\]j\{k\}l\^m\$n\\o"
        );
    }
}
