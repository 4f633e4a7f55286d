use std::io::Write;

use super::*;
use crate::item::Format;
use crate::sink::SinkKind;
use crate::sink::kafka::ContentMode;
use crate::sink::webhook::{SigningKey, WebhookFormat};

/// A webhook secret of 24 bytes: "a signing key of 24 byte".
const OLD_SECRET: &str = "whsec_YSBzaWduaW5nIGtleSBvZiAyNCBieXRl";
/// Another, of 32 bytes: 0 to 31.
const NEW_SECRET: &str = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// One of 23 bytes: too short.
const SHORT_SECRET: &str = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRY=";

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn file(toml: &str) -> tempfile_lite::TempFile {
    tempfile_lite::TempFile::with(toml)
}

/// A tiny temp file helper, enough for these tests.
mod tempfile_lite {
    use std::path::PathBuf;

    pub struct TempFile(pub PathBuf);

    impl TempFile {
        pub fn with(content: &str) -> Self {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static N: AtomicUsize = AtomicUsize::new(0);
            let path = std::env::temp_dir().join(format!(
                "newswatch-settings-{}-{}.toml",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            let mut f = std::fs::File::create(&path).expect("create temp file");
            super::Write::write_all(&mut f, content.as_bytes()).expect("write temp file");
            TempFile(path)
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

fn invalid_keys(toml: &str, vars: &[(&str, &str)]) -> Vec<String> {
    match Settings::parse(toml, env(vars)) {
        Err(Error::Invalid(v)) => v.into_iter().map(|i| i.key).collect(),
        Err(Error::Load(m)) => vec![format!("load: {m}")],
        Err(e @ Error::FileTooLarge(_)) => vec![format!("file: {e}")],
        Ok(_) => vec![],
    }
}

#[test]
fn defaults_match_the_spec() {
    let s = Settings::load(None, env(&[])).unwrap();
    assert_eq!(s.kafka.brokers, "localhost:9092");
    assert_eq!(s.kafka.group_id, "newswatch");
    assert_eq!(s.kafka.topics, ["news"]);
    assert_eq!(s.input.format, Format::Json);
    assert_eq!(s.input.fields, ["title", "summary", "body"]);
    assert_eq!(s.input.metadata_fields, ["lang", "source", "url"]);
    assert_eq!(s.input.max_bytes, 1_048_576);
    assert_eq!(s.watchlist.path, PathBuf::from("config/watchlist.toml"));
    assert!(s.watchlist.reload);
    assert_eq!(s.alerts.options.source, "/newswatch");
    assert_eq!(s.alerts.dedup_window, Duration::from_secs(600));
    assert_eq!(s.alerts.options.snippet_chars, 160);
    assert_eq!(s.alerts.options.max_matches, 50);
    assert_eq!(s.alerts.stories.similarity(), 0.6);
    assert_eq!(s.alerts.stories.window(), Duration::from_secs(24 * 3600));
    assert_eq!(s.alerts.stories.capacity(), 1_000_000);
    assert_eq!(s.alerts.stories_topic, None);
    assert_eq!(s.pipeline.max_in_flight, 10_000);
    assert_eq!(s.pipeline.shutdown_timeout, Duration::from_secs(30));
    assert!(s.sinks.is_empty());
    assert!(s.dead_letter.is_none());
    assert_eq!(s.http.listen.to_string(), "127.0.0.1:9464");
    assert_eq!(s.http.external_url, None);
    assert_eq!(s.log.format, LogFormat::Json);
    assert_eq!(s.log.level, "info");
}

#[test]
fn environment_wins_over_the_file() {
    let f = file(
        r#"
[kafka]
brokers = "file:9092"
topics = ["a"]
[kafka.consumer]
"security.protocol" = "SASL_SSL"
"session.timeout.ms" = 45000
sasl.username = "reader"
[alerts]
dedup_window = "5m"
[[sinks]]
name = "alerts-topic"
type = "kafka"
topic = "news.alerts"
[[sinks]]
name = "ops"
type = "webhook"
url = "https://hooks.example.org/x"
secret_env = "HOOK_SECRET"
format = "slack"
"#,
    );
    let s = Settings::load(
        Some(&f.0),
        env(&[
            ("NEWSWATCH__KAFKA__BROKERS", "kafka:9092"),
            ("NEWSWATCH__KAFKA__TOPICS", "news,wires"),
            ("NEWSWATCH__ALERTS__SNIPPET_CHARS", "80"),
            ("HOOK_SECRET", OLD_SECRET),
            ("NEWSWATCH__KAFKA__CONSUMER__SASL_PASSWORD", "from-env"),
            ("NEWSWATCH__KAFKA__PRODUCER__SSL__CA__LOCATION", "/ca.pem"),
            ("UNRELATED", "x"),
        ]),
    )
    .unwrap();
    assert_eq!(s.kafka.brokers, "kafka:9092");
    assert_eq!(s.kafka.topics, ["news", "wires"]);
    assert_eq!(s.alerts.options.snippet_chars, 80);
    assert_eq!(s.alerts.dedup_window, Duration::from_secs(300));
    assert_eq!(s.kafka.consumer["security.protocol"].expose(), "SASL_SSL");
    assert_eq!(s.kafka.consumer["session.timeout.ms"].expose(), "45000");
    // Dotted TOML keys and the environment reach librdkafka property names.
    assert_eq!(s.kafka.consumer["sasl.username"].expose(), "reader");
    assert_eq!(s.kafka.consumer["sasl.password"].expose(), "from-env");
    assert_eq!(s.kafka.producer["ssl.ca.location"].expose(), "/ca.pem");
    assert_eq!(s.sink_names(), ["alerts-topic", "ops"]);
    let SinkKind::Webhook(w) = &s.sinks[1].kind else {
        panic!("webhook expected")
    };
    assert_eq!(w.format, WebhookFormat::Slack);
    assert_eq!(
        w.secrets.iter().map(SigningKey::expose).collect::<Vec<_>>(),
        [&b"a signing key of 24 bytes"[..24]]
    );
    assert_eq!(w.max_in_flight, 16);
    // Standard Webhooks recommends 15 seconds.
    assert_eq!(w.timeout, Duration::from_secs(15));
    // Secrets never print, not even in Debug output of the whole settings.
    let debug = format!("{s:?}");
    assert!(
        !debug.contains("YSBzaWdua") && !debug.contains("SASL_SSL"),
        "{debug}"
    );
}

#[test]
fn story_keys_are_read_from_the_file_and_the_environment() {
    let s = Settings::parse(
        "[alerts]\nstory_similarity = 0.75\nstory_window = \"6h\"\nstories_topic = \" news.stories \"\n",
        env(&[("NEWSWATCH__ALERTS__STORY_CAPACITY", "5000")]),
    )
    .unwrap();
    assert_eq!(s.alerts.stories.similarity(), 0.75);
    assert_eq!(s.alerts.stories.window(), Duration::from_secs(6 * 3600));
    assert_eq!(s.alerts.stories.capacity(), 5000);
    assert_eq!(s.alerts.stories_topic.as_deref(), Some("news.stories"));
    let blank = Settings::parse("[alerts]\nstories_topic = \"  \"\n", env(&[])).unwrap();
    assert_eq!(blank.alerts.stories_topic, None);
}

#[test]
fn sinks_take_repeat_and_group_and_refuse_other_values() {
    use crate::sink::{Group, Repeat, SinkPolicy};
    let s = Settings::parse(
        "[[sinks]]\nname = \"a\"\ntype = \"stdout\"\n\
         [[sinks]]\nname = \"b\"\ntype = \"stdout\"\nrepeat = \"first-per-story\"\ngroup = \"item\"\n",
        env(&[]),
    )
    .unwrap();
    assert_eq!(s.sinks[0].policy, SinkPolicy::default());
    assert_eq!(
        s.sinks[1].policy,
        SinkPolicy {
            repeat: Repeat::FirstPerStory,
            group: Group::Item
        }
    );
    assert!(
        s.sinks[1]
            .describe()
            .ends_with("(repeat = first-per-story, group = item)")
    );
    let Err(Error::Invalid(bad)) = Settings::parse(
        "[[sinks]]\nname = \"a\"\ntype = \"stdout\"\nrepeat = \"once\"\ngroup = 3\n",
        env(&[]),
    ) else {
        panic!("bad repeat and group must be refused");
    };
    let keys: Vec<&str> = bad.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(keys, ["sinks[0].repeat", "sinks[0].group"], "{bad:?}");
    assert!(
        bad[0].message.contains("first-per-story"),
        "{}",
        bad[0].message
    );
}

#[test]
fn every_bad_story_key_is_reported_at_once() {
    let Err(Error::Invalid(bad)) = Settings::parse(
        "[alerts]\nstory_similarity = 2.0\nstory_window = \"0s\"\nstory_capacity = 0\n",
        env(&[]),
    ) else {
        panic!("three bad story keys must be refused");
    };
    let keys: Vec<&str> = bad.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "alerts.story_similarity",
            "alerts.story_window",
            "alerts.story_capacity"
        ]
    );
    assert!(bad[0].message.contains('2'), "{}", bad[0].message);
}

#[test]
fn each_bad_key_is_named() {
    /// (config file, environment, the key the error must name)
    type Case = (
        &'static str,
        &'static [(&'static str, &'static str)],
        &'static str,
    );
    let cases: &[Case] = &[
        (
            "[alerts]\ndedup_window = \"ten minutes\"",
            &[],
            "alerts.dedup_window",
        ),
        ("[alerts]\nsnippet_chars = 0", &[], "alerts.snippet_chars"),
        (
            "[alerts]\nstory_similarity = 0.0",
            &[],
            "alerts.story_similarity",
        ),
        (
            "[alerts]\nstory_similarity = 1.5",
            &[],
            "alerts.story_similarity",
        ),
        (
            "[alerts]\nstory_similarity = nan",
            &[],
            "alerts.story_similarity",
        ),
        (
            "",
            &[("NEWSWATCH__ALERTS__STORY_SIMILARITY", "-0.1")],
            "alerts.story_similarity",
        ),
        (
            "[alerts]\nstory_window = \"0s\"",
            &[],
            "alerts.story_window",
        ),
        (
            "[alerts]\nstory_window = \"a day\"",
            &[],
            "alerts.story_window",
        ),
        ("[alerts]\nstory_capacity = 0", &[], "alerts.story_capacity"),
        (
            "[alerts]\nstory_capacity = 4294967296",
            &[],
            "alerts.story_capacity",
        ),
        (
            "[kafka]\ntopics = [\"news\"]\n[alerts]\nstories_topic = \"news\"",
            &[],
            "alerts.stories_topic",
        ),
        ("[alerts]\nmax_matches = 0", &[], "alerts.max_matches"),
        (
            "[pipeline]\nshutdown_timeout = \"-1s\"",
            &[],
            "pipeline.shutdown_timeout",
        ),
        (
            "[pipeline]\nmax_in_flight = 0",
            &[],
            "pipeline.max_in_flight",
        ),
        ("[input]\nformat = \"xml\"", &[], "input.format"),
        ("[input]\nfields = []", &[], "input.fields"),
        (
            "[input]\nmetadata_fields = [\"lang\", \"title\"]",
            &[],
            "input.metadata_fields[1]",
        ),
        (
            "",
            &[("NEWSWATCH__INPUT__METADATA_FIELDS", "lang,")],
            "input.metadata_fields[1]",
        ),
        ("[input]\nmax_bytes = 0", &[], "input.max_bytes"),
        ("[kafka]\nbrokers = \"\"", &[], "kafka.brokers"),
        ("[kafka]\ntopics = []", &[], "kafka.topics"),
        (
            "[kafka.producer]\n\"sasl.mechanisms\" = [\"PLAIN\"]",
            &[],
            "kafka.producer.sasl.mechanisms",
        ),
        ("[http]\nlisten = \"localhost\"", &[], "http.listen"),
        (
            "[http]\nexternal_url = \"newswatch.example.org\"",
            &[],
            "http.external_url",
        ),
        (
            "",
            &[("NEWSWATCH__HTTP__EXTERNAL_URL", "http://exa mple.org")],
            "http.external_url",
        ),
        ("[log]\nformat = \"xml\"", &[], "log.format"),
        ("[log]\nlevel = \"newswatch=loud\"", &[], "log.level"),
        ("[dead_letter]\ntopic = \"\"", &[], "dead_letter.topic"),
        (
            "[[sinks]]\nname = \"a\"\ntype = \"carrier-pigeon\"",
            &[],
            "sinks[0].type",
        ),
        (
            "[[sinks]]\nname = \"a\"\ntype = \"kafka\"",
            &[],
            "sinks[0].topic",
        ),
        (
            "[[sinks]]\nname = \"a\"\ntype = \"kafka\"\ntopic = \"t\"\nurl = \"http://x\"",
            &[],
            "sinks[0].url",
        ),
        (
            "[[sinks]]\nname = \"a\"\ntype = \"kafka\"\ntopic = \"t\"\nmode = \"json\"",
            &[],
            "sinks[0].mode",
        ),
        ("[[sinks]]\ntype = \"stdout\"", &[], "sinks[0].name"),
        (
            "[[sinks]]\nname = \"a\"\ntype = \"stdout\"\n[[sinks]]\nname = \"a\"\ntype = \"stdout\"",
            &[],
            "sinks[1].name",
        ),
        (
            "[[sinks]]\nname = \"w\"\ntype = \"webhook\"\nurl = \"ftp://x\"",
            &[],
            "sinks[0].url",
        ),
        (
            "[[sinks]]\nname = \"w\"\ntype = \"webhook\"\nurl = \"http://x\"\nsecret_env = \"NOPE\"",
            &[],
            "sinks[0].secret_env",
        ),
        (
            "[[sinks]]\nname = \"w\"\ntype = \"webhook\"\nurl = \"http://x\"\nsecret = \"hunter2\"",
            &[],
            "sinks[0].secret",
        ),
        (
            "[[sinks]]\nname = \"w\"\ntype = \"webhook\"\nurl = \"http://x\"\nsecret = \"whsec_not base64!\"",
            &[],
            "sinks[0].secret",
        ),
        (
            "[[sinks]]\nname = \"w\"\ntype = \"webhook\"\nurl = \"http://x\"\nmax_in_flight = 0",
            &[],
            "sinks[0].max_in_flight",
        ),
        (
            "[[sinks]]\nname = \"k\"\ntype = \"kafka\"\ntopic = \"t\"\nmax_in_flight = 4",
            &[],
            "sinks[0].max_in_flight",
        ),
        (
            "[[sinks]]\nname = \"w\"\ntype = \"webhook\"\nurl = \"http://x\"\ntimeout = \"soon\"",
            &[],
            "sinks[0].timeout",
        ),
        (
            "[[sinks]]\nname = \"w\"\ntype = \"webhook\"\nurl = \"http://x\"\nformat = \"teams\"",
            &[],
            "sinks[0].format",
        ),
        (
            "",
            &[("NEWSWATCH__ALERTS__MAX_MATCHES", "0")],
            "alerts.max_matches",
        ),
    ];
    for (toml, vars, key) in cases {
        assert_eq!(
            invalid_keys(toml, vars),
            [key.to_string()],
            "case {toml:?} {vars:?}"
        );
    }
}

#[test]
fn load_errors_name_the_key() {
    for (toml, vars, key) in [
        (
            "[alerts]\nsnippet_chars = \"many\"",
            vec![],
            "alerts.snippet_chars",
        ),
        ("[alerts]\nsnipet_chars = 5", vec![], "snipet_chars"),
        ("[kafka]\nbroker = \"x\"", vec![], "broker"),
        (
            "",
            vec![("NEWSWATCH__ALERTS__SNIPPET_CHARS", "many")],
            "alerts.snippet_chars",
        ),
        ("[alerts\n", vec![], "line 1"),
    ] {
        let got = invalid_keys(toml, &vars);
        assert_eq!(got.len(), 1, "{toml:?}: {got:?}");
        assert!(
            got[0].starts_with("load: ") && got[0].contains(key),
            "{toml:?}: {got:?}"
        );
    }
}

#[test]
fn several_problems_are_reported_together() {
    let keys = invalid_keys("[alerts]\nmax_matches = 0\n[log]\nformat = \"xml\"\n", &[]);
    assert_eq!(keys, ["alerts.max_matches", "log.format"]);
}

#[test]
fn a_missing_config_file_is_an_error() {
    let e = Settings::load(Some(Path::new("/nonexistent/newswatch.toml")), env(&[])).unwrap_err();
    assert!(e.to_string().contains("/nonexistent/newswatch.toml"), "{e}");
}

#[test]
fn delivery_settings_cannot_be_weakened_by_user_properties() {
    for (toml, vars, key) in [
        (
            "[kafka.consumer]\n\"enable.auto.commit\" = true",
            vec![],
            "kafka.consumer.enable.auto.commit",
        ),
        (
            "[kafka.consumer]\nenable.auto.offset.store = true",
            vec![],
            "kafka.consumer.enable.auto.offset.store",
        ),
        (
            "[kafka.producer]\n\"enable.idempotence\" = false",
            vec![],
            "kafka.producer.enable.idempotence",
        ),
        ("[kafka.producer]\nacks = 1", vec![], "kafka.producer.acks"),
        (
            "",
            vec![("NEWSWATCH__KAFKA__PRODUCER__ACKS", "0")],
            "kafka.producer.acks",
        ),
        (
            "[kafka.consumer]\n\"group.id\" = \"other\"",
            vec![],
            "kafka.consumer.group.id",
        ),
    ] {
        let Err(Error::Invalid(v)) = Settings::parse(toml, env(&vars)) else {
            panic!("{toml:?} {vars:?} must be refused");
        };
        assert_eq!(v.len(), 1, "{toml:?}: {v:?}");
        assert_eq!(v[0].key, key);
        assert!(
            v[0].message.contains("SPEC") || v[0].message.contains("kafka."),
            "{v:?}"
        );
    }
    // Repeating what newswatch sets is fine.
    let s = Settings::parse(
        "[kafka.producer]\nacks = \"all\"\n\"enable.idempotence\" = true\n[kafka.consumer]\n\"enable.auto.commit\" = false",
        env(&[]),
    )
    .unwrap();
    assert_eq!(s.kafka.producer["acks"].expose(), "all");
}

#[test]
fn alerts_source_must_be_a_uri_reference() {
    let keys = invalid_keys("", &[("NEWSWATCH__ALERTS__SOURCE", "not a uri ^ {}")]);
    assert_eq!(keys, ["alerts.source"]);
    for ok in [
        "/newswatch",
        "https://example.org/newswatch",
        "urn:newswatch:eu-1",
    ] {
        let s = Settings::parse("", env(&[("NEWSWATCH__ALERTS__SOURCE", ok)])).unwrap();
        assert_eq!(s.alerts.options.source, ok);
    }
}

#[test]
fn a_webhook_url_is_parsed_once_as_run_parses_it() {
    // Passes a prefix check, but is no URL: refused here, not at `run`.
    let keys = invalid_keys(
        "[[sinks]]\nname = \"w\"\ntype = \"webhook\"\nurl = \"http://exa mple.org/hook\"",
        &[],
    );
    assert_eq!(keys, ["sinks[0].url"]);
    let s = Settings::parse(
        "[[sinks]]\nname = \"w\"\ntype = \"webhook\"\nurl = \"https://hooks.example.org/T0/x?y=1\"",
        env(&[]),
    )
    .unwrap();
    let SinkKind::Webhook(w) = &s.sinks[0].kind else {
        panic!("webhook expected")
    };
    assert_eq!(w.url.as_str(), "https://hooks.example.org/T0/x?y=1");
}

#[test]
fn http_external_url_is_an_http_url() {
    let s = Settings::parse(
        "[http]\nexternal_url = \"https://newswatch.example.org/nw/\"",
        env(&[]),
    )
    .unwrap();
    assert_eq!(
        s.http.external_url.map(String::from).as_deref(),
        Some("https://newswatch.example.org/nw/")
    );
    for bad in ["ftp://x", "/relative", "https://", "http://exa mple.org"] {
        assert_eq!(
            invalid_keys("", &[("NEWSWATCH__HTTP__EXTERNAL_URL", bad)]),
            ["http.external_url"],
            "{bad}"
        );
    }
}

#[test]
fn a_kafka_sink_is_structured_unless_it_says_binary() {
    let s = Settings::parse(
        "[[sinks]]\nname = \"s\"\ntype = \"kafka\"\ntopic = \"t\"\n\
         [[sinks]]\nname = \"s2\"\ntype = \"kafka\"\ntopic = \"t\"\nmode = \"structured\"\n\
         [[sinks]]\nname = \"b\"\ntype = \"kafka\"\ntopic = \"t\"\nmode = \"binary\"",
        env(&[]),
    )
    .unwrap();
    let modes: Vec<ContentMode> = s
        .sinks
        .iter()
        .map(|sink| match &sink.kind {
            SinkKind::Kafka(k) => k.mode,
            other => panic!("kafka expected, got {other:?}"),
        })
        .collect();
    assert_eq!(
        modes,
        [
            ContentMode::Structured,
            ContentMode::Structured,
            ContentMode::Binary
        ]
    );
    assert_eq!(
        invalid(
            "[[sinks]]\nname = \"b\"\ntype = \"kafka\"\ntopic = \"t\"\nmode = 1",
            &[]
        ),
        ["`sinks[0].mode`: expected a string, found an integer"]
    );
}

/// The signing keys of the one webhook sink of `toml` with `vars`.
fn webhook_keys(toml: &str, vars: &[(&str, &str)]) -> Vec<Vec<u8>> {
    let s = Settings::parse(
        &format!("[[sinks]]\nname = \"w\"\ntype = \"webhook\"\nurl = \"http://x\"\n{toml}"),
        env(vars),
    )
    .unwrap_or_else(|e| panic!("{toml}: {e}"));
    let SinkKind::Webhook(w) = &s.sinks[0].kind else {
        panic!("webhook expected")
    };
    w.secrets.iter().map(|k| k.expose().to_vec()).collect()
}

#[test]
fn webhook_secrets_rotate_as_a_list_or_a_variable_of_several() {
    let old = SigningKey::parse(OLD_SECRET).unwrap().expose().to_vec();
    let new = SigningKey::parse(NEW_SECRET).unwrap().expose().to_vec();
    assert_eq!(webhook_keys("", &[]), Vec::<Vec<u8>>::new());
    assert_eq!(
        webhook_keys(&format!("secret = \"{OLD_SECRET}\""), &[]),
        std::slice::from_ref(&old)
    );
    assert_eq!(
        webhook_keys(
            &format!("secrets = [\"{OLD_SECRET}\", \"{NEW_SECRET}\"]"),
            &[]
        ),
        [old.clone(), new.clone()]
    );
    let both = format!("{OLD_SECRET} {NEW_SECRET}");
    assert_eq!(
        webhook_keys("secret_env = \"HOOK\"", &[("HOOK", &both)]),
        [old.clone(), new.clone()]
    );
    let spaced = format!("  {NEW_SECRET}\n\t{OLD_SECRET} ");
    assert_eq!(
        webhook_keys("secret_env = \"HOOK\"", &[("HOOK", &spaced)]),
        [new, old]
    );
}

#[test]
fn webhook_secrets_are_refused_naming_the_key_never_the_value() {
    let hook = |extra: &str, vars: &[(&str, &str)]| {
        invalid(
            &format!("[[sinks]]\nname = \"w\"\ntype = \"webhook\"\nurl = \"http://x\"\n{extra}"),
            vars,
        )
    };
    let short = "a webhook secret must encode at least 24 bytes (Standard Webhooks); this one \
                 encodes 23: make one with `echo whsec_$(head -c 32 /dev/urandom | base64)`";
    let form = "a webhook secret must be whsec_ followed by base64 (Standard Webhooks)";
    assert_eq!(
        hook(&format!("secret = \"{SHORT_SECRET}\""), &[]),
        [format!("`sinks[0].secret`: {short}")]
    );
    assert_eq!(
        hook(
            &format!("secrets = [\"{OLD_SECRET}\", \"{SHORT_SECRET}\", \"hunter2\", 7]"),
            &[]
        ),
        ["`sinks[0].secrets[3]`: expected a string, found an integer".to_owned(),]
    );
    assert_eq!(
        hook(
            &format!("secrets = [\"{OLD_SECRET}\", \"{SHORT_SECRET}\", \"hunter2\"]"),
            &[]
        ),
        [
            format!("`sinks[0].secrets[1]`: {short}"),
            format!("`sinks[0].secrets[2]`: {form}"),
        ]
    );
    assert_eq!(
        hook("secrets = []", &[]),
        ["`sinks[0].secrets`: lists no secret; leave the key out to send unsigned requests"]
    );
    assert_eq!(
        hook(&format!("secrets = \"{OLD_SECRET}\""), &[]),
        ["`sinks[0].secrets`: expected a list of strings, found a string"]
    );
    let two = format!("{OLD_SECRET} {SHORT_SECRET}");
    assert_eq!(
        hook("secret_env = \"HOOK\"", &[("HOOK", &two)]),
        [format!(
            "`sinks[0].secret_env`: environment variable HOOK, secret 2 of 2: {short}"
        )]
    );
    assert_eq!(
        hook("secret_env = \"HOOK\"", &[("HOOK", SHORT_SECRET)]),
        [format!(
            "`sinks[0].secret_env`: environment variable HOOK: {short}"
        )]
    );
    assert_eq!(
        hook("secret_env = \"HOOK\"", &[("HOOK", " \t")]),
        ["`sinks[0].secret_env`: environment variable HOOK holds no secret"]
    );
    assert_eq!(
        hook(
            &format!("secret = \"{OLD_SECRET}\"\nsecrets = [\"{NEW_SECRET}\"]"),
            &[]
        ),
        ["`sinks[0].secrets`: give one of secret, secrets or secret_env, not secret and secrets"]
    );
    // No problem shows a secret.
    for problem in hook(
        &format!("secrets = [\"{SHORT_SECRET}\"]\nsecret_env = \"HOOK\""),
        &[("HOOK", SHORT_SECRET)],
    )
    .into_iter()
    .chain(hook(&format!("secrets = [\"{SHORT_SECRET}\"]"), &[]))
    {
        assert!(!problem.contains("AAECAw"), "{problem}");
    }
}

#[test]
fn parse_needs_no_file() {
    let s = Settings::parse(
        "[kafka]\nbrokers = \"k:9092\"\n[[sinks]]\nname = \"out\"\ntype = \"stdout\"",
        env(&[("NEWSWATCH__KAFKA__GROUP_ID", "g")]),
    )
    .unwrap();
    assert_eq!(s.kafka.brokers, "k:9092");
    assert_eq!(s.kafka.group_id, "g");
    assert_eq!(s.sink_names(), ["out"]);
}

#[test]
fn a_webhook_max_in_flight_beyond_the_limit_is_refused_not_a_panic() {
    let keys = invalid_keys(
        "[[sinks]]\nname = \"w\"\ntype = \"webhook\"\nurl = \"http://x\"\nmax_in_flight = 9223372036854775807",
        &[],
    );
    assert_eq!(keys, ["sinks[0].max_in_flight"]);
}

/// Every problem of `toml` and `vars` as `key: message`.
fn invalid(toml: &str, vars: &[(&str, &str)]) -> Vec<String> {
    match Settings::parse(toml, env(vars)) {
        Err(Error::Invalid(v)) => v.iter().map(ToString::to_string).collect(),
        Err(e) => vec![format!("other: {e}")],
        Ok(_) => vec![],
    }
}

#[test]
fn counts_are_range_checked_not_wrapped() {
    // Issue 14, class 6: `NEWSWATCH__INPUT__MAX_BYTES=18446744073709551615`
    // wrapped `max + 2` and rejected every line as `not JSON`.
    for (key, max) in [
        ("input.max_bytes", "390451572"),
        ("alerts.snippet_chars", "2147483647"),
        ("alerts.max_matches", "2147483647"),
        ("pipeline.max_in_flight", "2147483647"),
    ] {
        let var = format!("NEWSWATCH__{}", key.replace('.', "__").to_uppercase());
        let over = (max.parse::<u64>().expect("a number") + 1).to_string();
        for bad in ["0", &over, "9223372036854775807", "18446744073709551615"] {
            assert_eq!(
                invalid("", &[(&var, bad)]),
                [format!(
                    "`{key}`: {bad} is out of range: must be from 1 to {max}"
                )],
            );
        }
        assert_eq!(invalid("", &[(&var, max)]), Vec::<String>::new());
    }
    let s = Settings::parse("[input]\nmax_bytes = 390451572", env(&[])).unwrap();
    assert_eq!(
        s.input.max_bytes,
        crate::text::normalize::MAX_TEXT_BYTES,
        "no item the decoder accepts is too long to normalize"
    );
}

#[test]
fn durations_are_at_most_365_days() {
    // `alerts.dedup_window = "500000000000y"` panicked in `run`: "overflow
    // when adding duration to instant".
    let sink = "[[sinks]]\nname = \"w\"\ntype = \"webhook\"\nurl = \"http://x\"\n";
    for (toml, key) in [
        ("[alerts]\ndedup_window = \"D\"", "alerts.dedup_window"),
        (
            "[pipeline]\nshutdown_timeout = \"D\"",
            "pipeline.shutdown_timeout",
        ),
        (
            &format!("{sink}timeout = \"D\"") as &str,
            "sinks[0].timeout",
        ),
        (
            &format!("{sink}max_elapsed = \"D\""),
            "sinks[0].max_elapsed",
        ),
    ] {
        assert_eq!(
            invalid(&toml.replace('D', "365d"), &[]),
            Vec::<String>::new()
        );
        for d in ["366d", "500000000000y"] {
            assert_eq!(
                invalid(&toml.replace('D', d), &[]),
                [format!(
                    "`{key}`: \"{d}\" is longer than 365 days, the most a duration may be"
                )],
                "{toml}"
            );
        }
    }
}

#[test]
fn environment_variables_nest_at_most_16_keys() {
    // Issue 14, class 7: 10,000 `__` took 24 GB; 3,000 under
    // `kafka.consumer` overflowed the stack.
    let var = |depth: usize| {
        let mut v = "NEWSWATCH__KAFKA__CONSUMER".to_owned();
        for _ in 2..depth {
            v.push_str("__A");
        }
        v
    };
    // 16 keys reach the librdkafka property `a.a.a.a.a.a.a.a.a.a.a.a.a.a`.
    let s = Settings::parse("", env(&[(&var(16), "1")])).expect("16 keys");
    assert_eq!(s.kafka.consumer.len(), 1);
    let shown = format!("NEWSWATCH__KAFKA__CONSUMER{}__…", "__A".repeat(14));
    for depth in [17, 10_000] {
        assert_eq!(
            invalid("", &[(&var(depth), "1"), ("NEWSWATCH__LOG__FORMAT", "xml")]),
            [format!(
                "`{shown}`: the environment variable nests {depth} keys (one per `__` after \
                 NEWSWATCH__), more than the 16 it may"
            )],
            "reported alone, before the variables are read"
        );
    }
}

#[test]
fn a_variable_that_is_not_utf8_is_skipped_unless_it_is_newswatchs() {
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;
    let os = |s: &[u8]| OsString::from_vec(s.to_vec());
    let env = Settings::environment([
        (os(b"JUNK"), os(b"\xff")),
        (os(b"\xffJUNK"), os(b"x")),
        (os(b"NEWSWATCH__KAFKA__BROKERS"), os(b"k:9092")),
    ])
    .expect("foreign variables are skipped");
    assert_eq!(
        env,
        [("NEWSWATCH__KAFKA__BROKERS".to_owned(), "k:9092".to_owned())]
    );
    let e = Settings::environment([
        (os(b"NEWSWATCH__LOG__LEVEL"), os(b"\xff")),
        (os(b"NEWSWATCH_WEBHOOK_SECRET\xff"), os(b"x")),
    ])
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "configuration: `NEWSWATCH__LOG__LEVEL`: the environment variable is not UTF-8\n\
         configuration: `NEWSWATCH_WEBHOOK_SECRET\u{fffd}`: the environment variable is not UTF-8"
    );
}

#[test]
fn a_config_file_over_1_mib_is_refused() {
    let at_limit = format!("#{}\n", "x".repeat(1024 * 1024 - 2));
    assert!(Settings::load(Some(&file(&at_limit).0), env(&[])).is_ok());
    let over = file(&format!("{at_limit}\n"));
    let e = Settings::load(Some(&over.0), env(&[])).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "configuration: {}: the file is larger than the 1 MiB (1048576 bytes) a \
             configuration file may have",
            over.0.display()
        )
    );
}

/// The editors' schema (schema/config.schema.json) and the loader agree on
/// the sections' keys and their defaults: a file setting every key the
/// schema gives a default to, to that default, loads to the same settings
/// as an empty file. (lint-deploy.py checks the other way: what the
/// schema refuses, `check` refuses.)
#[test]
fn the_editor_schema_names_real_keys_with_the_real_defaults() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../schema/config.schema.json")).expect("schema JSON");
    let mut toml = String::new();
    let mut keys = 0;
    for (section, body) in schema["properties"].as_object().expect("sections") {
        let Some(props) = body["properties"].as_object() else {
            continue; // sinks: an array of tables
        };
        let defaults: Vec<String> = props
            .iter()
            .filter_map(|(key, p)| Some(format!("{key} = {}\n", p.get("default")?)))
            .collect();
        if !defaults.is_empty() {
            toml.push_str(&format!("[{section}]\n{}", defaults.concat()));
            keys += defaults.len();
        }
    }
    assert!(keys >= 15, "{toml}");
    let from_schema = Settings::parse(&toml, env(&[])).unwrap_or_else(|e| panic!("{e:?}\n{toml}"));
    let built_in = Settings::parse("", env(&[])).expect("defaults");
    // `given` tells a path written in the file from the default; the rest
    // must be equal.
    let shown = |s: &Settings| format!("{s:?}").replace("given: true", "given: false");
    assert_eq!(shown(&from_schema), shown(&built_in), "{toml}");
}
