//! A real HTTP server on 127.0.0.1 that plays a webhook endpoint: it answers
//! as the test scripts it (a queue of answers, then a default), records every
//! request it gets, and can be stopped and started again on the same port.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use newswatch_test_support::python;

/// How the endpoint answers one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Answer {
    Status(u16),
    /// 429 with `Retry-After: <secs>`.
    TooMany(u64),
    /// Waits this long, then 200: past the sink's timeout the client has
    /// given up by then.
    Slow(Duration),
}

/// One request the endpoint got.
#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
    pub answer: Answer,
    pub at: Instant,
}

impl Request {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }
}

#[derive(Default)]
struct Script {
    queue: VecDeque<Answer>,
    /// Requests whose body contains the key get the value as status.
    by_content: Vec<(String, u16)>,
    /// Requests to the key's path get the value as status.
    by_path: Vec<(String, u16)>,
    default: Option<Answer>,
    log: Vec<Request>,
}

/// The endpoint. Stopped when dropped.
pub struct Receiver {
    pub addr: SocketAddr,
    script: Arc<Mutex<Script>>,
    runtime: tokio::runtime::Runtime,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Receiver {
    /// A receiver on a free port, not listening yet: connections are
    /// refused until `start`.
    pub fn new() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("reserve a port");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("receiver runtime");
        Receiver {
            addr: port,
            script: Arc::default(),
            runtime,
            stop: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Listens (again) on the receiver's port.
    pub fn start(&mut self) {
        let script = Arc::clone(&self.script);
        let app = Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let script = Arc::clone(&script);
            async move { answer(&script, uri, headers, body).await }
        });
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let addr = self.addr;
        let listener = self.runtime.block_on(async move {
            // The port was just ours; a retry covers TIME_WAIT stragglers.
            for _ in 0..50 {
                if let Ok(l) = tokio::net::TcpListener::bind(addr).await {
                    return l;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            panic!("cannot listen on {addr}");
        });
        self.runtime.spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        self.stop = Some(tx);
    }

    /// Stops listening: new connections are refused.
    pub fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }

    /// Answers for the next requests, in order.
    pub fn then(&self, answers: impl IntoIterator<Item = Answer>) {
        self.script.lock().unwrap().queue.extend(answers);
    }

    /// The answer once the queue is empty (200 unless set).
    pub fn otherwise(&self, answer: Answer) {
        self.script.lock().unwrap().default = Some(answer);
    }

    /// Requests whose body contains `needle` get `status`, always.
    pub fn when_body_has(&self, needle: &str, status: u16) {
        self.script
            .lock()
            .unwrap()
            .by_content
            .push((needle.to_owned(), status));
    }

    /// Requests to `path` get `status`, always.
    pub fn on_path(&self, path: &str, status: u16) {
        self.script
            .lock()
            .unwrap()
            .by_path
            .push((path.to_owned(), status));
    }

    pub fn requests(&self) -> Vec<Request> {
        self.script.lock().unwrap().log.clone()
    }

    /// Waits until `done(&requests)` or `timeout`; returns whether done.
    pub fn until(&self, timeout: Duration, mut done: impl FnMut(&[Request]) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if done(&self.script.lock().unwrap().log) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn answer(script: &Mutex<Script>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let answer = {
        let mut s = script.lock().unwrap();
        let text = String::from_utf8_lossy(&body);
        let by_content = s
            .by_content
            .iter()
            .find(|(needle, _)| text.contains(needle.as_str()))
            .map(|&(_, status)| Answer::Status(status));
        let by_path = s
            .by_path
            .iter()
            .find(|(path, _)| uri.path() == path)
            .map(|&(_, status)| Answer::Status(status));
        let answer = by_path
            .or(by_content)
            .or_else(|| s.queue.pop_front())
            .or(s.default)
            .unwrap_or(Answer::Status(200));
        s.log.push(Request {
            path: uri.path().to_owned(),
            headers: headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: body.to_vec(),
            answer,
            at: Instant::now(),
        });
        answer
    };
    match answer {
        Answer::Status(code) => StatusCode::from_u16(code)
            .expect("valid status")
            .into_response(),
        Answer::TooMany(secs) => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", secs.to_string())],
        )
            .into_response(),
        Answer::Slow(d) => {
            tokio::time::sleep(d).await;
            StatusCode::OK.into_response()
        }
    }
}

/// Standard Webhooks verification written here from the definitions, apart
/// from the daemon's code: HMAC-SHA256 (RFC 2104) by hand over
/// `{id}.{timestamp}.{body}`, with the key that `whsec_<base64>` encodes;
/// true when any `v1,` signature of the header matches.
pub fn verify(secret: &str, id: &str, timestamp: &str, body: &[u8], header: &str) -> bool {
    use base64::Engine as _;
    use sha2::{Digest, Sha256};
    let b64 = base64::engine::general_purpose::STANDARD;
    let Some(key) = secret
        .strip_prefix("whsec_")
        .and_then(|k| b64.decode(k).ok())
    else {
        return false;
    };
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(&key));
    } else {
        block[..key.len()].copy_from_slice(&key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let mut inner = Sha256::new();
    inner.update(pad(0x36));
    inner.update(format!("{id}.{timestamp}.").as_bytes());
    inner.update(body);
    let mut outer = Sha256::new();
    outer.update(pad(0x5c));
    outer.update(inner.finalize());
    let expected = b64.encode(outer.finalize());
    header
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .any(|sig| sig == expected)
}

/// A request's signature checks out with `secret`.
pub fn signed_with(r: &Request, secret: &str) -> bool {
    verify(
        secret,
        r.header("webhook-id"),
        r.header("webhook-timestamp"),
        &r.body,
        r.header("webhook-signature"),
    )
}

/// For each request, whether the official Standard Webhooks library
/// (`standardwebhooks`, Python, pinned in `scripts/lint-deploy.sh`) verifies
/// it with each of `secrets` alone: `Webhook(secret).verify(body,
/// headers)`, which also refuses a timestamp more than 5 minutes from now.
pub fn verified_by_the_library(requests: &[Request], secrets: &[&str]) -> Vec<Vec<bool>> {
    const SCRIPT: &str = r#"
import json, sys
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
given = json.load(sys.stdin)
out = []
for r in given["requests"]:
    body = bytes.fromhex(r["body"])
    row = []
    for secret in given["secrets"]:
        try:
            Webhook(secret).verify(body, r["headers"])
            row.append(True)
        except WebhookVerificationError:
            row.append(False)
    out.append(row)
print(json.dumps(out))
"#;
    let requests: Vec<serde_json::Value> = requests
        .iter()
        .map(|r| serde_json::json!({"headers": r.headers, "body": python::hex(&r.body)}))
        .collect();
    let input = serde_json::json!({"requests": requests, "secrets": secrets});
    let out = python::run(
        "the Standard Webhooks library",
        SCRIPT,
        &serde_json::to_vec(&input).expect("JSON"),
    );
    serde_json::from_value(out).expect("a verdict per request and secret")
}
