//! Webhook signatures as the Standard Webhooks specification defines them, for the sender and
//! for receivers.
//!
//! A delivery carries `webhook-id`, `webhook-timestamp` (Unix seconds) and
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, with several
//! space-separated signatures while a secret rotates. The key is the base64 part of the
//! endpoint's `whsec_…` secret, decoded. A receiver checks a delivery like this:
//!
//! ```
//! use tenantry_auth::webhook::{sign, verify, new_secret};
//!
//! let secret = new_secret();
//! let body = br#"{"type":"tenant.created"}"#;
//! let now = 1_700_000_000;
//! // What Tenantry sends:
//! let signature = sign(&[&secret], "msg_1", now, body).unwrap();
//! // What the receiver does with the three headers and the raw body:
//! assert!(verify(&secret, "msg_1", &now.to_string(), &signature, body, now).is_ok());
//! assert!(verify(&secret, "msg_1", &now.to_string(), &signature, b"{}", now).is_err());
//! ```

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::{rngs::OsRng, TryRngCore};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The prefix of a signing secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// How far a delivery's timestamp may be from the receiver's clock: older ones are refused
/// as replays.
pub const TOLERANCE_SECONDS: i64 = 5 * 60;

/// Why a delivery's signature is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the secret is not a whsec_ secret")]
    BadSecret,
    #[error("the webhook-timestamp header is not a Unix time")]
    BadTimestamp,
    #[error("the webhook-timestamp is more than five minutes from now")]
    TooOld,
    #[error("no v1 signature matches")]
    NoMatch,
}

/// A new signing secret: `whsec_` and 32 random bytes in base64.
pub fn new_secret() -> String {
    let mut key = [0u8; 32];
    OsRng
        .try_fill_bytes(&mut key)
        .expect("the operating system's random source works");
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

fn key_of(secret: &str) -> Result<Vec<u8>, SignatureError> {
    let encoded = secret
        .strip_prefix(SECRET_PREFIX)
        .ok_or(SignatureError::BadSecret)?;
    STANDARD
        .decode(encoded)
        .map_err(|_| SignatureError::BadSecret)
}

fn signature(key: &[u8], id: &str, timestamp: &str, body: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// The `webhook-signature` header value for a delivery: one `v1,…` per secret.
pub fn sign(
    secrets: &[&str],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, SignatureError> {
    let timestamp = timestamp.to_string();
    let mut header = String::new();
    for secret in secrets {
        if !header.is_empty() {
            header.push(' ');
        }
        header.push_str("v1,");
        header.push_str(&STANDARD.encode(signature(&key_of(secret)?, id, &timestamp, body)));
    }
    Ok(header)
}

/// Checks a delivery: the headers `webhook-id`, `webhook-timestamp`, `webhook-signature`, the
/// raw body, and the receiver's clock (`now`, Unix seconds). Accepts when any `v1` signature
/// in the header matches (compared in constant time) and the timestamp is within
/// [`TOLERANCE_SECONDS`].
pub fn verify(
    secret: &str,
    id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let key = key_of(secret)?;
    let sent: i64 = timestamp
        .parse()
        .map_err(|_| SignatureError::BadTimestamp)?;
    if (now - sent).abs() > TOLERANCE_SECONDS {
        return Err(SignatureError::TooOld);
    }
    let expected = signature(&key, id, timestamp, body);
    let matches = signatures
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|s| STANDARD.decode(s).ok())
        .any(|given| bool::from(given.as_slice().ct_eq(&expected)));
    if matches {
        Ok(())
    } else {
        Err(SignatureError::NoMatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_webhooks_reference_vector() {
        // From the Standard Webhooks specification's reference libraries.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        let header = sign(&[secret], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap();
        assert_eq!(header, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn a_rotating_endpoint_is_verified_by_either_secret() {
        let (old, new) = (new_secret(), new_secret());
        let header = sign(&[&new, &old], "msg_1", 100, b"{}").unwrap();
        assert_eq!(header.matches("v1,").count(), 2);
        assert!(verify(&old, "msg_1", "100", &header, b"{}", 100).is_ok());
        assert!(verify(&new, "msg_1", "100", &header, b"{}", 100).is_ok());
        assert_eq!(
            verify(&new_secret(), "msg_1", "100", &header, b"{}", 100),
            Err(SignatureError::NoMatch)
        );
    }

    #[test]
    fn tampering_replays_and_bad_headers_are_refused() {
        let secret = new_secret();
        let header = sign(&[&secret], "msg_1", 1000, b"{\"a\":1}").unwrap();
        let check =
            |id: &str, ts: &str, body: &[u8], now: i64| verify(&secret, id, ts, &header, body, now);
        assert_eq!(check("msg_1", "1000", b"{\"a\":1}", 1000), Ok(()));
        assert_eq!(
            check("msg_1", "1000", b"{\"a\":2}", 1000),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            check("msg_2", "1000", b"{\"a\":1}", 1000),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            check("msg_1", "1001", b"{\"a\":1}", 1001),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            check("msg_1", "1000", b"{\"a\":1}", 1000 + 301),
            Err(SignatureError::TooOld)
        );
        assert_eq!(
            check("msg_1", "soon", b"{\"a\":1}", 1000),
            Err(SignatureError::BadTimestamp)
        );
        assert_eq!(
            verify("not-a-secret", "msg_1", "1000", &header, b"{}", 1000),
            Err(SignatureError::BadSecret)
        );
    }
}
