//! One delivery attempt's outcome and the retry policy (SPEC section 3):
//! which failures are retried, how long to wait (`Retry-After`, else
//! exponential backoff with full jitter).

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// First retry waits up to this long; each further one doubles the bound.
const BACKOFF_BASE: Duration = Duration::from_millis(250);
/// The bound stops doubling here.
const BACKOFF_CAP: Duration = Duration::from_secs(60);

/// Why one attempt failed.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The endpoint answered with a status other than 2xx.
    #[error("http {status}{}", if status.is_redirection() { " (redirects are not followed)" } else { "" })]
    Status {
        /// The HTTP status.
        status: StatusCode,
        /// The wait the `Retry-After` header asked for (seconds or an
        /// HTTP date, RFC 9110 section 10.2.3), if any.
        retry_after: Option<Duration>,
    },
    /// No answer: refused connection, timeout, reset. The text never holds
    /// the URL.
    #[error("{0}")]
    Transport(String),
}

impl DeliveryError {
    /// Connection errors, timeouts, 408, 429 and 5xx are worth another try.
    pub fn retryable(&self) -> bool {
        match self {
            DeliveryError::Status { status, .. } => {
                *status == StatusCode::REQUEST_TIMEOUT
                    || *status == StatusCode::TOO_MANY_REQUESTS
                    || status.is_server_error()
            }
            DeliveryError::Transport(_) => true,
        }
    }

    pub(super) fn retry_after(&self) -> Option<Duration> {
        match self {
            DeliveryError::Status { retry_after, .. } => *retry_after,
            DeliveryError::Transport(_) => None,
        }
    }

    pub(super) fn transport(e: reqwest::Error) -> Self {
        let kind = if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            "connection failed"
        } else {
            "request failed"
        };
        // reqwest's own text names the URL; the causes below it do not.
        let e = e.without_url();
        let mut text = kind.to_owned();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        DeliveryError::Transport(text)
    }
}

/// How long a `Retry-After` value asks to wait from `now` (RFC 9110
/// section 10.2.3): delay-seconds, or an HTTP date (zero when it is in the
/// past). `None` when the value is neither.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Exponential backoff with full jitter: a random wait below
/// `min(cap, base * 2^(attempt - 1))`.
pub(super) fn backoff(attempt: u32) -> Duration {
    let bound = BACKOFF_BASE
        .saturating_mul(1 << attempt.saturating_sub(1).min(16))
        .min(BACKOFF_CAP);
    let millis = u64::try_from(bound.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(crate::sink::random_below(millis + 1))
}

pub(super) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        let now = UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn backoff_grows_within_its_bound() {
        for attempt in 1..40 {
            let bound = BACKOFF_BASE
                .saturating_mul(1 << (attempt - 1).min(16))
                .min(BACKOFF_CAP);
            assert!(backoff(attempt) <= bound);
        }
    }

    #[test]
    fn only_transient_failures_are_retried() {
        let status = |s: u16| DeliveryError::Status {
            status: StatusCode::from_u16(s).unwrap(),
            retry_after: None,
        };
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(status(s).retryable(), "{s}");
        }
        for s in [301, 302, 400, 401, 403, 404, 410, 422] {
            assert!(!status(s).retryable(), "{s}");
        }
        assert!(DeliveryError::Transport("timed out".into()).retryable());
        assert_eq!(
            status(302).to_string(),
            "http 302 Found (redirects are not followed)"
        );
    }
}
