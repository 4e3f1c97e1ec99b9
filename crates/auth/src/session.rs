//! Portal sessions: the browser session a login URL starts, resolved from its cookie to the
//! tenant user it signs in, and the CSRF token bound to it.

use crate::token;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tenantry_domain::login_url::{SessionEnd, SessionPolicy};
use tenantry_storage::login::{self, SignedIn};
use tenantry_storage::{DbConnection, StorageError};

/// What a session cookie resolves to.
#[derive(Debug, Clone, PartialEq)]
pub enum Resumed {
    /// A live session of a usable tenant: `touch` says its last request is worth recording.
    Live {
        signed_in: Box<SignedIn>,
        touch: bool,
    },
    /// No session has this cookie (never, signed out, ended by the reseller, or its user or
    /// tenant deleted).
    Unknown,
    /// The session has ended by time; the caller deletes it.
    Ended(Box<SignedIn>, SessionEnd),
    /// The tenant is deactivated or cancelled: its sessions stop working at once.
    TenantNotUsable(Box<SignedIn>),
}

/// Resolves the session cookie `secret` at `now`: one indexed lookup of its hash, joined to
/// the tenant and user, then the policy's idle and absolute timeouts and the tenant's status.
pub fn resume(
    conn: &mut DbConnection,
    secret: &str,
    policy: &SessionPolicy,
    now: DateTime<Utc>,
) -> Result<Resumed, StorageError> {
    let Some(signed_in) = login::find_session(conn, &token::hash(secret))? else {
        return Ok(Resumed::Unknown);
    };
    let session = &signed_in.session;
    if let Err(end) = policy.check(session.expires_at, session.last_seen_at, now) {
        return Ok(Resumed::Ended(Box::new(signed_in), end));
    }
    if !signed_in.tenant.status.is_usable() {
        return Ok(Resumed::TenantNotUsable(Box::new(signed_in)));
    }
    let touch = policy.needs_touch(session.last_seen_at, now);
    Ok(Resumed::Live {
        signed_in: Box::new(signed_in),
        touch,
    })
}

/// The CSRF token of the session whose cookie is `secret`: an HMAC of the secret, so it is
/// bound to that session, needs no storage, and cannot be made without the cookie.
pub fn csrf_token(secret: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(b"tenantry portal csrf v1");
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Whether `sent` is the CSRF token of the session whose cookie is `secret`, compared in
/// constant time.
pub fn csrf_matches(secret: &str, sent: &str) -> bool {
    token::hashes_equal(&csrf_token(secret), sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csrf_token_belongs_to_one_session() {
        let a = token::one_time().secret;
        let b = token::one_time().secret;
        assert_eq!(csrf_token(&a), csrf_token(&a));
        assert_ne!(csrf_token(&a), csrf_token(&b));
        assert!(csrf_matches(&a, &csrf_token(&a)));
        assert!(!csrf_matches(&a, &csrf_token(&b)));
        assert!(!csrf_matches(&a, ""));
        assert!(!csrf_matches(&a, &csrf_token(&a)[..42]));
    }
}
