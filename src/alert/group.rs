//! One alert per item (SPEC 3a, a sink's `group = "item"`): the alerts of
//! the rules that held on one item, made into one for chat and pager sinks.

use super::{Alert, alert_id};

/// The alert of one item that stands for `alerts`, the alerts of rules that
/// held on it (each for the same item; at least one), in watchlist order:
///
/// - `data.rules`: every rule's id, in the order given;
/// - `subject`, `data.rule`, `data.severity`, `data.description`,
///   `data.snippet`: those of the first alert of the highest severity;
/// - `data.matches`: every alert's, each once, in the order of `fields`
///   (the item's field names, in `input.fields` order) then start, at most
///   `max_matches`;
/// - `id`: [`alert_id`] of an empty rule id (which no rule has) and the
///   item id, so that it is deterministic and differs from every alert of
///   one rule;
/// - `time`, `source`, `data.item`, `data.origin`, `data.story`: the first
///   alert's.
///
/// `None` when `alerts` is empty.
pub fn per_item(alerts: &[&Alert], fields: &[&str], max_matches: usize) -> Option<Alert> {
    let first = alerts.first()?;
    let mut top = *first;
    for a in &alerts[1..] {
        if a.data.severity > top.data.severity {
            top = a;
        }
    }
    let field_rank = |name: &str| fields.iter().position(|f| *f == name).unwrap_or(usize::MAX);
    let mut matches: Vec<_> = alerts
        .iter()
        .flat_map(|a| a.data.matches.iter().cloned())
        .collect();
    matches.sort_by(|a, b| {
        (field_rank(&a.field), a.start, a.end, &a.set, &a.term).cmp(&(
            field_rank(&b.field),
            b.start,
            b.end,
            &b.set,
            &b.term,
        ))
    });
    matches.dedup();
    matches.truncate(max_matches);
    let mut alert = (*first).clone();
    alert.id = alert_id("", &first.data.item.id);
    alert.subject = top.subject.clone();
    alert.data.rule = top.data.rule.clone();
    alert.data.severity = top.data.severity;
    alert.data.description = top.data.description.clone();
    alert.data.snippet = top.data.snippet.clone();
    alert.data.matches = matches;
    alert.data.rules = Some(alerts.iter().map(|a| a.data.rule.clone()).collect());
    Some(alert)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{AlertData, AlertMatch, ItemRef};
    use crate::watchlist::Severity;

    fn m(field: &str, start: usize, term: &str) -> AlertMatch {
        AlertMatch {
            set: Some("s".into()),
            term: term.into(),
            field: field.to_owned().into(),
            start,
            end: start + term.len(),
            text: term.into(),
        }
    }

    fn alert(rule: &str, severity: Severity, matches: Vec<AlertMatch>) -> Alert {
        Alert {
            specversion: "1.0",
            kind: "newswatch.alert",
            source: "/newswatch".into(),
            id: alert_id(rule, "item-1"),
            time: "2026-12-01T10:00:00.000Z".into(),
            subject: rule.into(),
            datacontenttype: "application/json",
            data: AlertData {
                rule: rule.into(),
                severity,
                description: Some(format!("about {rule}")),
                item: std::sync::Arc::new(ItemRef {
                    id: "item-1".into(),
                    title: Some("t".into()),
                    url: None,
                    source: None,
                    lang: None,
                    published_at: None,
                }),
                matches,
                snippet: format!("snippet of {rule}"),
                origin: None,
                story: None,
                rules: None,
            },
        }
    }

    #[test]
    fn the_item_alert_lists_every_rule_and_takes_the_highest_severity() {
        let a = alert("chips", Severity::Medium, vec![m("body", 40, "H200")]);
        let b = alert(
            "export",
            Severity::High,
            vec![m("title", 0, "export"), m("body", 40, "H200")],
        );
        let c = alert("critical-late", Severity::High, vec![m("body", 2, "ban")]);
        let item = per_item(&[&a, &b, &c], &["title", "summary", "body"], 50).unwrap();
        assert_eq!(
            item.data.rules.as_deref(),
            Some(&["chips".to_owned(), "export".into(), "critical-late".into()][..])
        );
        // The first of the highest severity: `export`, not the later tie.
        assert_eq!(item.data.rule, "export");
        assert_eq!(item.subject, "export");
        assert_eq!(item.data.severity, Severity::High);
        assert_eq!(item.data.snippet, "snippet of export");
        assert_eq!(item.data.description.as_deref(), Some("about export"));
        // Each match once, by field order then start.
        let at: Vec<(&str, usize)> = item
            .data
            .matches
            .iter()
            .map(|m| (&*m.field, m.start))
            .collect();
        assert_eq!(at, [("title", 0), ("body", 2), ("body", 40)]);
        assert_eq!(item.id, alert_id("", "item-1"));
        assert_ne!(item.id, a.id);
        assert_eq!(item.id.len(), 64);
    }

    #[test]
    fn matches_are_capped_and_no_alerts_make_no_item_alert() {
        let a = alert(
            "r",
            Severity::Low,
            (0..10).map(|i| m("body", i * 10, "x")).collect(),
        );
        let item = per_item(&[&a], &["body"], 3).unwrap();
        assert_eq!(item.data.matches.len(), 3);
        assert_eq!(item.data.rules.as_deref(), Some(&["r".to_owned()][..]));
        assert!(per_item(&[], &["body"], 3).is_none());
    }
}
