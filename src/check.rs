//! The `check` command's summary: what the configuration and the watchlist
//! amount to, without secrets (each sink describes itself; webhook URLs are
//! shown up to their host, as chat webhook URLs carry their token in the
//! path).
//!
//! Every line is escaped whole ([`crate::escape::human`]): rule ids, `when`
//! expressions, file names and configuration values show their control and
//! bidirectional characters as `\u{1b}`, and a line feed in a value cannot
//! start a line of its own.

use std::fmt;

use crate::engine::Engine;
use crate::escape;
use crate::settings::{Guarantee, Settings};

/// Rule ids are padded to a column at most this wide, in characters; longer
/// ids are shown whole and push their line's rest to the right.
const RULE_COLUMN_MAX: usize = 40;

/// The summary being written: each line is escaped as it is added.
struct Lines(String);

impl Lines {
    fn line(&mut self, args: fmt::Arguments<'_>) {
        let text = args.to_string();
        self.0.push_str(&escape::human(&text));
        self.0.push('\n');
    }
}

/// A human-readable summary of valid settings and a built engine, one
/// line per rule and sink, control characters escaped.
pub fn summary(settings: &Settings, engine: &Engine, watchlist_path: &str) -> String {
    let w = engine.watchlist();
    let mut s = Lines(String::new());
    let cs = w.sets.iter().filter(|s| s.case_sensitive).count();
    let cf = w.sets.iter().filter(|s| s.confusables).count();
    s.line(format_args!(
        "watchlist {watchlist_path}: ok: {} sets ({cs} case-sensitive, {cf} with confusables), {} terms, {} patterns, {} rules; automata {:.1} MiB",
        w.sets.len(),
        w.term_count(),
        engine.pattern_count(),
        w.rules.len(),
        engine.memory_usage() as f64 / (1024.0 * 1024.0),
    ));
    // Padded by hand to the width of the ids as shown (escaped), at most
    // RULE_COLUMN_MAX: a format width is capped at u16::MAX and panics past
    // it, and an id may be as long as the watchlist file allows.
    let shown = |id: &str| escape::human(id).chars().count();
    let width = w
        .rules
        .iter()
        .map(|r| shown(&r.id).min(RULE_COLUMN_MAX))
        .max()
        .unwrap_or(0);
    for r in &w.rules {
        let sinks = match &r.sinks {
            None => "all sinks".to_owned(),
            Some(v) => v.join(", "),
        };
        let pad = " ".repeat(width.saturating_sub(shown(&r.id)));
        s.line(format_args!(
            "  rule {}{pad}  {:<8}  -> {sinks}: {}",
            r.id,
            r.severity.as_str(),
            r.when
        ));
    }
    let k = &settings.kafka;
    s.line(format_args!(
        "kafka: brokers {}, group {}, topics {}{}",
        k.brokers,
        k.group_id,
        k.topics.join(", "),
        if k.consumer.is_empty() && k.producer.is_empty() {
            String::new()
        } else {
            format!(
                "; extra properties (values hidden): {}",
                k.consumer
                    .keys()
                    .chain(k.producer.keys())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    ));
    s.line(format_args!(
        "input: {}, fields {}, max {} bytes",
        match settings.input.format {
            crate::item::Format::Json => "json",
            crate::item::Format::Text => "text",
        },
        settings.input.fields.join(", "),
        settings.input.max_bytes
    ));
    if settings.sinks.is_empty() {
        s.line(format_args!("sinks: none configured"));
    }
    for sink in &settings.sinks {
        s.line(format_args!("{}", sink.describe()));
    }
    s.line(format_args!(
        "dead letter: {}",
        settings
            .dead_letter
            .as_ref()
            .map_or("none (rejected items are logged and skipped)", |d| d
                .topic
                .as_str())
    ));
    let p = &settings.pipeline;
    let guarantee = match p.guarantee {
        Guarantee::AtLeastOnce => "at-least-once".to_owned(),
        Guarantee::ExactlyOnce => format!(
            "exactly-once (transactional.id {}, a transaction every {})",
            k.transactional_id,
            config_duration(p.transaction_interval)
        ),
    };
    s.line(format_args!(
        "pipeline: {guarantee}, max in flight {} items, shutdown timeout {}",
        p.max_in_flight,
        config_duration(p.shutdown_timeout)
    ));
    let a = &settings.alerts;
    s.line(format_args!(
        "stories: similarity {}, window {}, at most {} stories, {}",
        a.stories.similarity(),
        config_duration(a.stories.window()),
        a.stories.capacity(),
        a.stories_topic.as_deref().map_or_else(
            || "kept per instance".to_owned(),
            |t| format!("shared through topic {t}")
        )
    ));
    s.line(format_args!("http: {}", settings.http.listen));
    s.0
}

/// A duration as the configuration writes one (`100ms`, `30s`, `10m`,
/// `24h`): the largest of those units that divides it.
fn config_duration(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    if d.subsec_nanos() != 0 || secs == 0 {
        return format!("{}ms", d.as_millis());
    }
    match secs {
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::config_duration;
    use std::time::Duration;

    #[test]
    fn durations_are_written_as_the_configuration_writes_them() {
        for (d, want) in [
            (Duration::from_millis(100), "100ms"),
            (Duration::from_millis(1500), "1500ms"),
            (Duration::from_secs(30), "30s"),
            (Duration::from_secs(600), "10m"),
            (Duration::from_secs(90), "90s"),
            (Duration::from_secs(86_400), "24h"),
            (Duration::ZERO, "0ms"),
        ] {
            assert_eq!(config_duration(d), want);
            // And the configuration reads it back as the same duration.
            assert_eq!(humantime::parse_duration(want).ok(), Some(d), "{want}");
        }
    }
}
