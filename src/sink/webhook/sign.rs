//! Standard Webhooks signing (SPEC section 3): the `whsec_` keys and the
//! `webhook-signature` header value, one signature per key so that keys
//! can be rotated.

use std::fmt;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The fewest bytes a key may have: 24 (192 bits), the least the Standard
/// Webhooks specification allows a secret.
pub const MIN_KEY_BYTES: usize = 24;

/// A Standard Webhooks signing key: the bytes that `whsec_<base64>` encodes.
/// Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey(Vec<u8>);

/// Why a text is no signing key. Names no part of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not `whsec_` followed by standard base64.
    #[error("a webhook secret must be whsec_ followed by base64 (Standard Webhooks)")]
    Form,
    /// Fewer than [`MIN_KEY_BYTES`] bytes once decoded.
    #[error(
        "a webhook secret must encode at least {MIN_KEY_BYTES} bytes (Standard Webhooks); \
         this one encodes {0}: make one with `echo whsec_$(head -c 32 /dev/urandom | base64)`"
    )]
    Short(usize),
}

impl SigningKey {
    /// Decodes `whsec_<base64>` (standard alphabet, padded) into a key of
    /// at least [`MIN_KEY_BYTES`] bytes.
    ///
    /// # Errors
    ///
    /// [`KeyError::Form`] when `s` is not of that form,
    /// [`KeyError::Short`] when it encodes fewer bytes.
    pub fn parse(s: &str) -> Result<Self, KeyError> {
        let b64 = s.strip_prefix("whsec_").ok_or(KeyError::Form)?;
        let key = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| KeyError::Form)?;
        if key.len() < MIN_KEY_BYTES {
            return Err(KeyError::Short(key.len()));
        }
        Ok(SigningKey(key))
    }

    /// The key itself, for the one place that signs with it.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// One signature: `v1,` and the base64 HMAC-SHA256 of
/// `{id}.{timestamp}.{body}` (Standard Webhooks); `timestamp` is the
/// `webhook-timestamp` value, in seconds since the Unix epoch.
pub fn sign(key: &SigningKey, id: &str, timestamp: u64, body: &[u8]) -> String {
    // HMAC accepts keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(key.expose()).expect("HMAC takes any key length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let tag = mac.finalize().into_bytes();
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(tag)
    )
}

/// The `webhook-signature` value: one [`sign`]ature per key, in the order
/// of `keys`, separated by spaces, as Standard Webhooks writes several
/// (a receiver accepts the request when any one verifies with its key, so
/// during a rotation both the old key and the new one verify).
pub fn signature_header(keys: &[SigningKey], id: &str, timestamp: u64, body: &[u8]) -> String {
    keys.iter()
        .map(|k| sign(k, id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The key of the specification's test vector: 24 bytes.
    const VECTOR_KEY: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    #[test]
    fn signs_the_standard_webhooks_test_vector() {
        let key = SigningKey::parse(VECTOR_KEY).unwrap();
        assert_eq!(key.expose().len(), MIN_KEY_BYTES);
        assert_eq!(
            sign(
                &key,
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn several_keys_give_one_signature_each_in_order() {
        let old = SigningKey::parse(VECTOR_KEY).unwrap();
        let new = SigningKey::parse("whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap();
        let (id, ts, body) = ("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b"{}");
        let header = signature_header(&[old.clone(), new.clone()], id, ts, body);
        assert_eq!(
            header,
            format!("{} {}", sign(&old, id, ts, body), sign(&new, id, ts, body))
        );
        assert_ne!(sign(&old, id, ts, body), sign(&new, id, ts, body));
        assert_eq!(signature_header(&[], id, ts, body), "");
    }

    #[test]
    fn keys_are_whsec_base64_of_at_least_24_bytes() {
        // 23 and 24 bytes.
        let b23 = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRY=";
        let b24 = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX";
        assert_eq!(SigningKey::parse(b23), Err(KeyError::Short(23)));
        assert_eq!(SigningKey::parse(b24).unwrap().expose().len(), 24);
        for bad in [
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_not base64!",
            "WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ] {
            assert_eq!(SigningKey::parse(bad), Err(KeyError::Form), "{bad}");
        }
        assert_eq!(SigningKey::parse("whsec_c2VjcmV0"), Err(KeyError::Short(6)));
        assert_eq!(SigningKey::parse("whsec_"), Err(KeyError::Short(0)));
    }
}
