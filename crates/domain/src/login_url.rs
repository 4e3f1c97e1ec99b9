//! One-time login URLs: a reseller sends its customer's user into the tenant UI without a
//! password. Single use, short-lived, and only ever redirecting inside this server.

use crate::DomainError;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use uuid::Uuid;

/// How long a login URL works unless the server is configured otherwise.
pub const DEFAULT_TTL: Duration = Duration::minutes(10);

/// How long a portal session a login URL starts may live: it ends after `idle` without a
/// request, and `lifetime` after it started whatever happens (OWASP's idle and absolute
/// timeouts). Both are `serve` options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub lifetime: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle: Duration::minutes(30),
            lifetime: Duration::hours(12),
        }
    }
}

/// Why a session no longer works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// No request for longer than the idle timeout.
    Idle,
    /// Older than its lifetime.
    Lifetime,
}

/// A session's last request is recorded at most this often (or a quarter of the idle
/// timeout, if that is shorter), so that reading a page is not a database write each time;
/// the idle timeout is therefore exact to within this much.
pub const SESSION_TOUCH_EVERY: Duration = Duration::seconds(60);

impl SessionPolicy {
    /// Whether a session that ends at `expires_at` (its start plus the lifetime in force
    /// then) and was last used at `last_seen_at` still works at `now`.
    pub fn check(
        &self,
        expires_at: DateTime<Utc>,
        last_seen_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), SessionEnd> {
        if now >= expires_at {
            Err(SessionEnd::Lifetime)
        } else if now - last_seen_at >= self.idle {
            Err(SessionEnd::Idle)
        } else {
            Ok(())
        }
    }

    /// Whether a request at `now` should record itself as the session's last one.
    pub fn needs_touch(&self, last_seen_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        now - last_seen_at >= SESSION_TOUCH_EVERY.min(self.idle / 4)
    }
}

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
    fn a_session_ends_when_idle_or_old() {
        let policy = SessionPolicy::default();
        let start = Utc::now();
        let ends = start + policy.lifetime;
        assert_eq!(policy.check(ends, start, start), Ok(()));
        let later = start + Duration::minutes(29);
        assert_eq!(policy.check(ends, start, later), Ok(()));
        assert_eq!(
            policy.check(ends, start, start + Duration::minutes(30)),
            Err(SessionEnd::Idle)
        );
        // Busy all along, it still ends at its lifetime.
        let busy = ends - Duration::seconds(1);
        assert_eq!(policy.check(ends, busy, busy), Ok(()));
        assert_eq!(policy.check(ends, busy, ends), Err(SessionEnd::Lifetime));
        assert!(!policy.needs_touch(start, start + Duration::seconds(59)));
        assert!(policy.needs_touch(start, start + SESSION_TOUCH_EVERY));
        let short = SessionPolicy {
            idle: Duration::seconds(8),
            ..policy
        };
        assert!(
            short.needs_touch(start, start + Duration::seconds(2)),
            "a quarter of idle"
        );
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
