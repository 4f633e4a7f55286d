//! The `check` command's summary: what the configuration and the watchlist
//! amount to, without secrets (each sink describes itself; webhook URLs are
//! shown up to their host, as chat webhook URLs carry their token in the
//! path).

use std::fmt::Write;

use crate::engine::Engine;
use crate::settings::Settings;

/// A human-readable summary of valid settings and a built engine, one
/// line per rule and sink.
pub fn summary(settings: &Settings, engine: &Engine, watchlist_path: &str) -> String {
    let w = engine.watchlist();
    let mut s = String::new();
    let cs = w.sets.iter().filter(|s| s.case_sensitive).count();
    let cf = w.sets.iter().filter(|s| s.confusables).count();
    let _ = writeln!(
        s,
        "watchlist {watchlist_path}: ok: {} sets ({cs} case-sensitive, {cf} with confusables), {} terms, {} patterns, {} rules; automata {:.1} MiB",
        w.sets.len(),
        w.term_count(),
        engine.pattern_count(),
        w.rules.len(),
        engine.memory_usage() as f64 / (1024.0 * 1024.0),
    );
    let width = w.rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
    for r in &w.rules {
        let sinks = match &r.sinks {
            None => "all sinks".to_owned(),
            Some(v) => v.join(", "),
        };
        let _ = writeln!(
            s,
            "  rule {:<width$}  {:<8}  -> {sinks}: {}",
            r.id,
            r.severity.as_str(),
            r.when
        );
    }
    let k = &settings.kafka;
    let _ = writeln!(
        s,
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
    );
    let _ = writeln!(
        s,
        "input: {}, fields {}, max {} bytes",
        match settings.input.format {
            crate::item::Format::Json => "json",
            crate::item::Format::Text => "text",
        },
        settings.input.fields.join(", "),
        settings.input.max_bytes
    );
    if settings.sinks.is_empty() {
        let _ = writeln!(s, "sinks: none configured");
    }
    for sink in &settings.sinks {
        let _ = writeln!(s, "{}", sink.describe());
    }
    let _ = writeln!(
        s,
        "dead letter: {}",
        settings
            .dead_letter
            .as_ref()
            .map_or("none (rejected items are logged and skipped)", |d| d
                .topic
                .as_str())
    );
    let _ = writeln!(s, "http: {}", settings.http.listen);
    s
}
