//! The daemon over SASL_SSL (SCRAM-SHA-512 over TLS) against the secured
//! listener of the real broker (SPEC sections 5 and 9): the librdkafka
//! properties in the configuration file, the password only from the
//! environment, and never in a log line or in `check`'s output. A wrong
//! password or a CA that did not sign the broker's certificate ends the
//! daemon with status 77 (EX_NOPERM) and a message saying why, instead of
//! retrying in silence.
//!
//! The broker is `scripts/kafka.sh start` with `NEWSWATCH_KAFKA_SECURED=1`,
//! as `scripts/test.sh` starts it; its listener, CA, user and password come
//! in the `NEWSWATCH_TEST_SECURED_*` variables, and every test fails loudly
//! without them. Topics are created, items produced and alerts read over
//! the plain listener of the same broker (`NEWSWATCH_TEST_BROKERS`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use newswatch_test_support::broker::{Msg, produce, unique};
use newswatch_test_support::daemon::{Daemon, newswatch_bin};
use newswatch_test_support::expected::expected_ids;
use newswatch_test_support::fixtures::fixture_items;
use newswatch_test_support::setup::{Setup, assert_all_committed};
use newswatch_test_support::subscriber::Subscriber;

use super::ALERT_TIMEOUT;

/// How long a daemon that cannot authenticate may take to exit.
const GIVE_UP_WITHIN: Duration = Duration::from_secs(60);

/// EX_NOPERM: the broker refused who the daemon says it is, or the daemon
/// refused the broker's certificate.
const EXIT_NOPERM: i32 = 77;

/// The secured listener of the broker under test.
struct Secured {
    brokers: String,
    ca: PathBuf,
    user: String,
    password: String,
}

/// The `NEWSWATCH_TEST_SECURED_*` variables; panics naming every missing
/// one and how to get a secured broker.
fn secured() -> Secured {
    let names = [
        "NEWSWATCH_TEST_SECURED_BROKERS",
        "NEWSWATCH_TEST_SECURED_CA",
        "NEWSWATCH_TEST_SECURED_USER",
        "NEWSWATCH_TEST_SECURED_PASSWORD",
    ];
    let values: Vec<Option<String>> = names
        .iter()
        .map(|n| std::env::var(n).ok().filter(|v| !v.is_empty()))
        .collect();
    let missing: Vec<&str> = names
        .iter()
        .zip(&values)
        .filter(|(_, v)| v.is_none())
        .map(|(n, _)| *n)
        .collect();
    assert!(
        missing.is_empty(),
        "{} not set: the secured tests need a broker's SASL_SSL listener. Run them \
         through scripts/test.sh, which starts its broker in secured mode; or start one \
         with `NEWSWATCH_KAFKA_SECURED=1 scripts/kafka.sh start` and \
         `eval \"$(scripts/kafka.sh secured-env)\"`; with a broker of your own \
         (NEWSWATCH_TEST_BROKERS), set all four to a SASL_SSL listener of it with \
         SCRAM-SHA-512, the CA that signed its certificate, a user and its password",
        missing.join(", ")
    );
    let [brokers, ca, user, password] = <[Option<String>; 4]>::try_from(values)
        .expect("four values")
        .map(|v| v.expect("checked above"));
    let ca = PathBuf::from(ca);
    assert!(
        ca.is_file(),
        "NEWSWATCH_TEST_SECURED_CA: {} is not a file",
        ca.display()
    );
    Secured {
        brokers,
        ca,
        user,
        password,
    }
}

impl Secured {
    /// The librdkafka properties of both clients, with `ca` as the trusted
    /// CA; no password: that comes from the environment ([`password_env`]).
    fn properties(&self, ca: &Path) -> String {
        format!(
            "\"security.protocol\" = \"SASL_SSL\"\n\
             \"sasl.mechanism\" = \"SCRAM-SHA-512\"\n\
             \"sasl.username\" = \"{}\"\n\
             \"ssl.ca.location\" = \"{}\"",
            self.user,
            ca.display()
        )
    }
}

/// The password of both clients, as a deployment passes it.
fn password_env(password: &str) -> [(&'static str, &str); 2] {
    [
        ("NEWSWATCH__KAFKA__CONSUMER__SASL_PASSWORD", password),
        ("NEWSWATCH__KAFKA__PRODUCER__SASL_PASSWORD", password),
    ]
}

/// Asserts no line of `text` (`what`) shows any of `secrets`.
fn assert_hidden(text: &str, what: &str, secrets: &[&str]) {
    for secret in secrets {
        let shown: Vec<&str> = text.lines().filter(|l| l.contains(secret)).collect();
        assert!(
            shown.is_empty(),
            "a password appears in {what}:\n{}",
            shown.join("\n")
        );
    }
}

/// The last `n` lines of `text`: a daemon that retries may log hundreds.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let from = lines.len().saturating_sub(n);
    format!(
        "({} lines; the last {}:)\n{}",
        lines.len(),
        lines.len() - from,
        lines[from..].join("\n")
    )
}

/// Waits for a daemon that cannot get in to exit, and checks how: status
/// 77, and the message `main` prints (`newswatch: …`) names `why` (any of
/// the words, case-insensitive). None of `secrets` is logged meanwhile.
fn assert_exits_refused(daemon: &mut Daemon, secrets: &[&str], why: &[&str]) {
    let status = daemon.wait(GIVE_UP_WITHIN);
    let text = daemon.log_text();
    assert_hidden(&text, "the daemon's log", secrets);
    let log = tail(&text, 30);
    assert_eq!(
        status,
        Some(EXIT_NOPERM),
        "the daemon must give up within {GIVE_UP_WITHIN:?} with status {EXIT_NOPERM} \
         (EX_NOPERM), not retry in silence (None: still running); log:\n{log}"
    );
    let message: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("newswatch: "))
        .collect();
    let named = message.iter().any(|l| {
        let l = l.to_lowercase();
        why.iter().any(|w| l.contains(w))
    });
    assert!(
        named,
        "the exit message names {why:?}: {message:?}; log:\n{log}"
    );
}

#[test]
fn alerts_over_sasl_ssl_with_the_password_from_the_environment() {
    let sec = secured();
    let s = Setup::new("secured", 2);
    let items = fixture_items();
    let expected = expected_ids(&items);
    assert!(!expected.is_empty(), "the fixtures alert");
    let mut messages: Vec<Msg> = items
        .iter()
        .enumerate()
        .map(|(i, v)| (None, Some(format!("k{i}").into_bytes()), v.clone()))
        .collect();
    // Dead-lettered: the dead-letter producer goes over SASL_SSL too.
    messages.push((Some(0), Some(b"bad".to_vec()), b"not json at all".to_vec()));
    produce(&s.brokers, &s.news, &messages);

    let config = s.config_for_client(&sec.brokers, &sec.properties(&sec.ca), "");
    let file = std::fs::read_to_string(&config).expect("read the config back");
    assert_hidden(&file, "the configuration file", &[&sec.password]);
    let env = password_env(&sec.password);
    let check = Command::new(newswatch_bin())
        .args(["check", "--config"])
        .arg(&config)
        .envs(env)
        .output()
        .expect("run newswatch check");
    let shown = format!(
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    assert_eq!(check.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains("sasl.username"),
        "check lists the properties: {shown}"
    );
    assert_hidden(&shown, "`newswatch check`", &[&sec.password]);

    let mut daemon = s.spawn_env(&config, "daemon", &env);
    let mut alerts = Subscriber::new(&s.brokers, &s.alerts);
    assert!(
        alerts.until_all(&expected, ALERT_TIMEOUT),
        "{} over SASL_SSL; log:\n{}",
        alerts.progress(&expected),
        daemon.log_text()
    );
    assert_eq!(alerts.ids(), expected, "exactly the expected alert ids");
    let mut dead = Subscriber::new(&s.brokers, &s.dead_letter);
    assert!(
        dead.until(Duration::from_secs(60), |r| !r.is_empty()),
        "the bad item reaches the dead-letter topic; log:\n{}",
        daemon.log_text()
    );
    assert_eq!(dead.received[0].key, "bad");
    assert_all_committed(&s);
    daemon.terminate();
    assert_hidden(&daemon.log_text(), "the daemon's log", &[&sec.password]);
}

#[test]
fn a_wrong_password_ends_the_daemon_with_77() {
    let sec = secured();
    let s = Setup::new("secured-password", 1);
    let wrong = unique("wrong-password");
    let config = s.config_for_client(&sec.brokers, &sec.properties(&sec.ca), "");
    let mut daemon = s.spawn_env(&config, "daemon", &password_env(&wrong));
    assert_exits_refused(&mut daemon, &[&wrong, &sec.password], &["authentication"]);
}

#[test]
fn a_ca_that_did_not_sign_the_broker_ends_the_daemon_with_77() {
    let sec = secured();
    let s = Setup::new("secured-ca", 1);
    let other_ca = s.dir.join("other-ca.pem");
    let out = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=not the broker's CA", "-keyout"])
        .arg(s.dir.join("other-ca.key"))
        .arg("-out")
        .arg(&other_ca)
        .output()
        .expect("run openssl (it makes secured mode's certificates too)");
    assert!(
        out.status.success(),
        "openssl req: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config = s.config_for_client(&sec.brokers, &sec.properties(&other_ca), "");
    let mut daemon = s.spawn_env(&config, "daemon", &password_env(&sec.password));
    assert_exits_refused(&mut daemon, &[&sec.password], &["ssl", "certificate"]);
}
