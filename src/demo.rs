//! `newswatch demo`: the whole pipeline on an embedded broker, librdkafka's
//! mock cluster, with nothing installed. It creates the topics, produces the
//! sample news (`config/samples/news.jsonl`, built in, plus one malformed
//! item), runs the same code as `newswatch run` with the default watchlist,
//! reads the alerts topic like a subscriber, prints the alerts, the stories
//! that have copies (the samples hold the TASS article and two wire copies
//! of it), what a desk sink with `repeat = "first-per-story"` and `group =
//! "item"` got instead, and a summary, and checks that every offset was
//! committed.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, anyhow};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};

use crate::alert::{AlertOptions, alerts_for};
use crate::app::App;
use crate::engine::{Engine, Scratch};
use crate::exit::{self, Failure};
use crate::item::{DecodeOptions, Provenance, decode};
use crate::settings::Settings;
use crate::shutdown::Shutdown;
use crate::watchlist::Watchlist;

const SAMPLES: &str = include_str!("../config/samples/news.jsonl");
const NEWS: &str = "news";
const ALERTS: &str = "news.alerts";
const DEAD_LETTER: &str = "news.dead-letter";
/// The desk sink's topic: one alert per item, the first of each story.
const DESK: &str = "news.desk";
const PARTITIONS: i32 = 3;
/// How long the demo waits for the pipeline before it gives up.
const DEADLINE: Duration = Duration::from_secs(60);

fn failure(e: impl Into<anyhow::Error>) -> Failure {
    Failure::software(e)
}

/// Writing the demo's output failed: [`exit::IOERR`].
fn output_failure(e: std::io::Error) -> Failure {
    Failure::new(
        exit::IOERR,
        anyhow::Error::new(e).context("writing the demo's output"),
    )
}

/// Runs the demo, printing to `out`.
///
/// # Errors
///
/// A [`Failure`] when the embedded broker or the pipeline fails, or the
/// alerts, dead letters and commits are not those expected (status 70);
/// when `out` cannot be written to (74).
pub fn run(out: &mut impl Write) -> Result<u8, Failure> {
    // The producer owns the mock cluster: it lives until the demo ends.
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("test.mock.num.brokers", "1")
        .set("enable.idempotence", "true")
        .create()
        .context("starting the embedded Kafka (librdkafka mock cluster)")
        .map_err(failure)?;
    let mock = producer
        .client()
        .mock_cluster()
        .ok_or_else(|| failure(anyhow!("the embedded Kafka did not start")))?;
    // SAFETY: the pointer is the live client's own mock cluster handle,
    // used before the producer is dropped; the call only sets a delay.
    unsafe {
        let cluster =
            rdkafka::bindings::rd_kafka_handle_mock_cluster(producer.client().native_ptr());
        if !cluster.is_null() {
            // The mock cluster waits 3 s before a group's first rebalance.
            rdkafka::bindings::rd_kafka_mock_group_initial_rebalance_delay_ms(cluster, 0);
        }
    }
    for (topic, parts) in [(NEWS, PARTITIONS), (ALERTS, 1), (DEAD_LETTER, 1), (DESK, 1)] {
        mock.create_topic(topic, parts, 1)
            .with_context(|| format!("creating topic {topic}"))
            .map_err(failure)?;
    }
    let brokers = mock.bootstrap_servers();

    let watchlist = Watchlist::parse(crate::watchlist::BUILT_IN, None)
        .map_err(|p| failure(anyhow!("the built-in watchlist does not load: {p:?}")))?;
    let engine = Arc::new(Engine::build(Arc::new(watchlist)).map_err(failure)?);
    let w = engine.watchlist();
    let say = |out: &mut dyn Write, line: String| writeln!(out, "{line}").map_err(output_failure);
    say(
        out,
        format!("newswatch demo: embedded Kafka (librdkafka mock cluster) at {brokers}"),
    )?;
    say(
        out,
        format!(
            "  watchlist: the built-in default (a copy of config/watchlist.toml): {} sets, {} terms, {} rules",
            w.sets.len(),
            w.term_count(),
            w.rules.len()
        ),
    )?;

    // The sample news plus one malformed line, keyed, over 3 partitions.
    let mut items: Vec<&[u8]> = SAMPLES
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::as_bytes)
        .collect();
    items.push(b"{\"id\": \"broken\", \"title\": \"H200 export licence\"");
    // The first sample, the TASS article, goes first and alone: the
    // pipeline reads partitions side by side, and a story is the first
    // item to *arrive* (SPEC 3a), so its wire copies are sent once its
    // alerts are out, as they come later in real life.
    let produce = |wave: std::ops::Range<usize>| -> Result<(), Failure> {
        for i in wave {
            let key = format!("item-{i}");
            let mut record = BaseRecord::to(NEWS).key(&key).payload(items[i]);
            loop {
                match producer.send(record) {
                    Ok(()) => break,
                    Err((e, r)) => {
                        record = r;
                        tracing::debug!(error = %e, "demo producer queue full");
                        std::thread::sleep(Duration::from_millis(10));
                    }
                }
            }
        }
        producer
            .flush(Duration::from_secs(10))
            .context("producing the sample news")
            .map_err(failure)
    };
    produce(0..1)?;
    let (first_wave, _) = expectation(&engine, &items[..1]);
    let (expected, rejected) = expectation(&engine, &items);
    say(
        out,
        format!(
            "  producing {} news items to `{NEWS}` ({PARTITIONS} partitions), {rejected} of them malformed: the TASS article first, the rest once its alerts are out",
            items.len()
        ),
    )?;

    let settings = demo_settings(&brokers)?;
    let shutdown = Shutdown::new();
    let app = App::build(&settings, Arc::clone(&engine))?;
    let pipeline = {
        let shutdown = shutdown.clone();
        std::thread::Builder::new()
            .name("newswatch-demo-pipeline".into())
            .spawn(move || app.run_until_stopped(shutdown))
            .context("starting the pipeline")
            .map_err(failure)?
    };
    say(
        out,
        "  running the pipeline (the code of `newswatch run`)...\n".into(),
    )?;

    match read_topic(&brokers, ALERTS, first_wave, DEADLINE) {
        Ok(first) if first.len() >= first_wave => {}
        Ok(first) => {
            tracing::warn!(
                got = first.len(),
                want = first_wave,
                "the first item's alerts did not all arrive in time"
            )
        }
        Err(e) => tracing::warn!(error = %e, "reading the first item's alerts failed"),
    }
    if let Err(f) = produce(1..items.len()) {
        shutdown.trigger();
        let _ = pipeline.join();
        return Err(f);
    }
    let alerts = read_topic(&brokers, ALERTS, expected, DEADLINE);
    let dead = read_topic(&brokers, DEAD_LETTER, rejected, Duration::from_secs(10));
    // The desk's alerts were made with the others: whatever is there by now.
    let desk = read_topic(&brokers, DESK, usize::MAX, Duration::from_secs(3));
    shutdown.trigger();
    let joined = pipeline.join();
    let alerts = alerts.map_err(failure)?;
    let dead = dead.map_err(failure)?;
    let desk = desk.map_err(failure)?;
    match joined {
        Ok(Ok(())) => {}
        Ok(Err(f)) => return Err(f),
        Err(_) => return Err(failure(anyhow!("the pipeline thread panicked"))),
    }

    say(
        out,
        format!("alerts on `{ALERTS}`, as a subscriber reads them:"),
    )?;
    let mut by_severity: BTreeMap<String, usize> = BTreeMap::new();
    for (_, value, _) in &alerts {
        print_alert(out, value).map_err(output_failure)?;
        *by_severity
            .entry(value["data"]["severity"].as_str().unwrap_or("?").to_owned())
            .or_default() += 1;
    }
    let stories = print_stories(out, &alerts).map_err(output_failure)?;
    say(
        out,
        format!(
            "sink `desk` (repeat = \"first-per-story\", group = \"item\") got {} alerts where `alerts-topic` got {}:",
            desk.len(),
            alerts.len()
        ),
    )?;
    for (_, value, _) in &desk {
        let d = &value["data"];
        let s = |v: &serde_json::Value| crate::escape::human(v.as_str().unwrap_or("")).into_owned();
        let rules: Vec<String> = d["rules"].as_array().into_iter().flatten().map(s).collect();
        say(
            out,
            format!(
                "  {:<8} item {}: {}",
                s(&d["severity"]).to_uppercase(),
                s(&d["item"]["id"]),
                rules.join(", ")
            ),
        )?;
    }
    say(out, String::new())?;
    for (key, _, headers) in &dead {
        say(
            out,
            format!(
                "dead letter on `{DEAD_LETTER}`: key {key}: {}",
                headers.get("newswatch-error").map_or("", String::as_str)
            ),
        )?;
    }
    let committed = committed_offsets(&brokers, &settings.kafka.group_id).map_err(failure)?;
    let ends = end_offsets(&brokers).map_err(failure)?;
    let all_committed = committed == ends;
    let severities: Vec<String> = ["critical", "high", "medium", "low", "info"]
        .iter()
        .filter_map(|s| by_severity.get(*s).map(|n| format!("{n} {s}")))
        .collect();
    say(
        out,
        format!(
            "\nsummary: {} items, {} alerts ({}) in {stories} stories, {} rejected to the dead-letter topic; offsets committed {:?} of {:?}{}",
            items.len(),
            alerts.len(),
            severities.join(", "),
            dead.len(),
            committed,
            ends,
            if all_committed {
                " (all)"
            } else {
                " (NOT all)"
            }
        ),
    )?;
    drop(mock);
    if alerts.len() != expected || dead.len() != rejected || !all_committed {
        return Err(failure(anyhow!(
            "the demo expected {expected} alerts, {rejected} dead letters and every offset committed"
        )));
    }
    Ok(exit::OK)
}

fn demo_settings(brokers: &str) -> Result<Settings, Failure> {
    let env = [
        ("NEWSWATCH__KAFKA__BROKERS", brokers),
        ("NEWSWATCH__KAFKA__GROUP_ID", "newswatch-demo"),
        ("NEWSWATCH__KAFKA__TOPICS", NEWS),
        ("NEWSWATCH__DEAD_LETTER__TOPIC", DEAD_LETTER),
        ("NEWSWATCH__PIPELINE__SHUTDOWN_TIMEOUT", "10s"),
        // The demo's watchlist is built in, and its endpoints need no fixed
        // port.
        ("NEWSWATCH__WATCHLIST__RELOAD", "false"),
        ("NEWSWATCH__HTTP__LISTEN", "127.0.0.1:0"),
    ];
    let config = format!(
        "[[sinks]]\nname = \"alerts-topic\"\ntype = \"kafka\"\ntopic = \"{ALERTS}\"\n\
         [[sinks]]\nname = \"desk\"\ntype = \"kafka\"\ntopic = \"{DESK}\"\n\
         repeat = \"first-per-story\"\ngroup = \"item\"\n"
    );
    Settings::parse(
        &config,
        env.iter().map(|(k, v)| (k.to_string(), v.to_string())),
    )
    .map_err(|e| failure(anyhow!(e)))
}

/// How many alerts and dead letters the items must give, by the engine.
fn expectation(engine: &Engine, items: &[&[u8]]) -> (usize, usize) {
    let mut scratch = Scratch::new();
    let decode_options = DecodeOptions::default();
    let alert_options = AlertOptions::default();
    let (mut alerts, mut rejected) = (0, 0);
    for (i, raw) in items.iter().enumerate() {
        match decode(raw, &decode_options) {
            Ok(item) => {
                let from = Provenance::Line(i + 1);
                let now = SystemTime::now();
                alerts += alerts_for(engine, &item, &from, &alert_options, now, &mut scratch).len();
            }
            Err(_) => rejected += 1,
        }
    }
    (alerts, rejected)
}

type Received = (String, serde_json::Value, BTreeMap<String, String>);

/// Reads `want` messages of `topic` from the start, like a subscriber.
fn read_topic(
    brokers: &str,
    topic: &str,
    want: usize,
    timeout: Duration,
) -> anyhow::Result<Vec<Received>> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("demo-subscriber-{topic}"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()?;
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Beginning)?;
    consumer.assign(&tpl)?;
    let deadline = Instant::now() + timeout;
    let mut got = Vec::new();
    while got.len() < want && Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                let mut headers = BTreeMap::new();
                if let Some(h) = m.headers() {
                    for h in h.iter() {
                        headers.insert(
                            h.key.to_owned(),
                            String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned(),
                        );
                    }
                }
                let value = serde_json::from_slice(m.payload().unwrap_or_default())
                    .unwrap_or(serde_json::Value::Null);
                let key = String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned();
                got.push((key, value, headers));
            }
            Some(Err(e)) => tracing::debug!(error = %e, "demo subscriber"),
            None => {}
        }
    }
    Ok(got)
}

fn print_alert(out: &mut impl Write, a: &serde_json::Value) -> std::io::Result<()> {
    let d = &a["data"];
    // Read back from the topic: shown escaped, as all text from outside.
    let s = |v: &serde_json::Value| crate::escape::human(v.as_str().unwrap_or("")).into_owned();
    let mut terms: Vec<String> = Vec::new();
    for m in d["matches"].as_array().into_iter().flatten() {
        let t = s(&m["text"]);
        if !terms.contains(&t) {
            terms.push(t);
        }
    }
    let title: String = s(&d["item"]["title"]).chars().take(90).collect();
    let snippet = s(&d["snippet"]);
    writeln!(
        out,
        "  {:<8} {:<30} item {}\n           {title}\n           matched: {}",
        s(&d["severity"]).to_uppercase(),
        s(&d["rule"]),
        s(&d["item"]["id"]),
        terms.into_iter().take(10).collect::<Vec<_>>().join(", "),
    )?;
    if !title.starts_with(&snippet) {
        writeln!(out, "           {snippet}")?;
    }
    let story = &d["story"];
    if story["copies"].as_i64().is_some_and(|n| n > 1) {
        writeln!(
            out,
            "           story {} (item {} of it)",
            s(&story["id"]),
            story["copies"]
        )?;
    }
    writeln!(out)
}

/// Prints each story with more than one item, its items in the order they
/// joined it; returns how many stories the alerts name.
fn print_stories(out: &mut impl Write, alerts: &[Received]) -> std::io::Result<usize> {
    // story id -> (copies, item id, title), one entry per item.
    let mut stories: BTreeMap<String, Vec<(i64, String, String)>> = BTreeMap::new();
    for (_, a, _) in alerts {
        let d = &a["data"];
        let s = |v: &serde_json::Value| crate::escape::human(v.as_str().unwrap_or("")).into_owned();
        let items = stories.entry(s(&d["story"]["id"])).or_default();
        let item = s(&d["item"]["id"]);
        if !items.iter().any(|(_, i, _)| *i == item) {
            let title: String = s(&d["item"]["title"]).chars().take(70).collect();
            items.push((d["story"]["copies"].as_i64().unwrap_or(0), item, title));
        }
    }
    for (id, items) in &mut stories {
        if items.len() < 2 {
            continue;
        }
        items.sort();
        writeln!(
            out,
            "story {id}: {} items whose text is near-identical (alerts.story_similarity 0.6):",
            items.len()
        )?;
        for (copies, item, title) in items.iter() {
            let role = if item == id {
                "first".to_owned()
            } else {
                format!("copy {copies}")
            };
            writeln!(out, "  {role:<7} {item:<22} {title}")?;
        }
        writeln!(out)?;
    }
    Ok(stories.len())
}

fn offsets_reader(brokers: &str, group: &str) -> anyhow::Result<BaseConsumer> {
    Ok(ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()?)
}

fn committed_offsets(brokers: &str, group: &str) -> anyhow::Result<Vec<i64>> {
    let consumer = offsets_reader(brokers, group)?;
    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition(NEWS, p);
    }
    let c = consumer.committed_offsets(tpl, Duration::from_secs(10))?;
    Ok((0..PARTITIONS)
        .map(|p| match c.find_partition(NEWS, p).map(|e| e.offset()) {
            Some(Offset::Offset(o)) => o,
            _ => 0,
        })
        .collect())
}

fn end_offsets(brokers: &str) -> anyhow::Result<Vec<i64>> {
    let consumer = offsets_reader(brokers, "demo-watermarks")?;
    (0..PARTITIONS)
        .map(|p| {
            Ok(consumer
                .fetch_watermarks(NEWS, p, Duration::from_secs(10))?
                .1)
        })
        .collect()
}
