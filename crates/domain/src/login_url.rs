//! One-time login URLs: a reseller sends its customer's user into the tenant UI without a
//! password. Single use, short-lived, and only ever redirecting inside this server.

use crate::DomainError;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use uuid::Uuid;

/// How long a login URL works unless the server is configured otherwise.
pub const DEFAULT_TTL: Duration = Duration::minutes(10);

/// How long a session started by a login URL lasts.
pub const SESSION_TTL: Duration = Duration::hours(12);

/// A login URL's token as stored (its hash only; the token itself is shown once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginToken {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub user_id: Uuid,
    pub path: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub consumed_at: Option<DateTime<Utc>>,
}

/// Partoo's connection-token states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LoginTokenStatus {
    Valid,
    Consumed,
    Expired,
}

impl LoginToken {
    pub fn status(&self, now: DateTime<Utc>) -> LoginTokenStatus {
        if self.consumed_at.is_some() {
            LoginTokenStatus::Consumed
        } else if now >= self.expires_at {
            LoginTokenStatus::Expired
        } else {
            LoginTokenStatus::Valid
        }
    }
}

/// Checks the `path` a login URL redirects to: it must be a path on this server (`/`,
/// `/orders?tab=new`), never an absolute URL (`https://evil.example`), a protocol-relative
/// one (`//evil.example`) or anything a browser could read as either (`/\evil.example`).
pub fn check_path(path: &str) -> Result<(), DomainError> {
    let refuse = |why: &str| Err(DomainError::invalid("path", "path_not_relative", why));
    if !(1..=2000).contains(&path.chars().count()) {
        return refuse("must be 1 to 2000 characters");
    }
    if !path.starts_with('/') {
        return refuse("must be a path on this server, starting with `/`");
    }
    if path.starts_with("//") || path.contains('\\') {
        return refuse("must not start with `//` or contain `\\`: it would leave this server");
    }
    if path.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return refuse("must not contain white space or control characters");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_on_this_server_are_accepted() {
        for ok in ["/", "/orders", "/orders?tab=new#top", "/a/b%2Fc"] {
            assert!(check_path(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "evil",
            "/\t/evil",
            "/a b",
            "javascript:alert(1)",
        ] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn status_follows_use_and_time() {
        let now = Utc::now();
        let mut t = LoginToken {
            tenant_id: Uuid::new_v4(),
            id: Uuid::new_v4(),
            user_id: Uuid::new_v4(),
            path: "/".into(),
            created_at: now,
            expires_at: now + DEFAULT_TTL,
            consumed_at: None,
        };
        assert_eq!(t.status(now), LoginTokenStatus::Valid);
        assert_eq!(t.status(now + DEFAULT_TTL), LoginTokenStatus::Expired);
        t.consumed_at = Some(now);
        assert_eq!(t.status(now), LoginTokenStatus::Consumed);
    }
}
