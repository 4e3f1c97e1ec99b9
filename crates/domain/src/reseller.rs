//! Resellers (integration partners) and their credentials.

use crate::scope::Scope;
use crate::{tenant::is_code_name_prefix, DomainError, Environment};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Partoo's default: 300 calls per minute.
pub const DEFAULT_RATE_LIMIT_PER_MINUTE: i64 = 300;

/// A reseller as the operator creates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reseller {
    pub id: Uuid,
    /// The `X-Reseller` value.
    pub code: String,
    pub name: String,
    /// What a tenant's codeName starts with.
    pub code_name_prefix: String,
    /// The capabilities the reseller may grant its tenants as `options` (Calipsa).
    pub capabilities: Vec<String>,
    pub rate_limit_per_minute: i64,
    /// Whether the operator lets it offer integrations to every tenant on the server
    /// (`visibility: "all"`), not only its own.
    pub public_integrations: bool,
    pub created_at: DateTime<Utc>,
}

/// A person or system that signs in to the Reseller API with login and password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResellerUser {
    pub id: Uuid,
    pub reseller_id: Uuid,
    pub login: String,
    pub password_hash: String,
    pub environment: Environment,
    pub created_at: DateTime<Utc>,
}

/// A reseller API key (Calipsa's partner-scoped token, Partoo's `x-APIKey`). Only its hash
/// is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResellerKey {
    pub id: Uuid,
    pub reseller_id: Uuid,
    pub name: String,
    pub environment: Environment,
    /// The last characters of the token, so a person can tell keys apart.
    pub hint: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// What the key may do.
    pub scopes: Vec<Scope>,
    /// When a rotated key stops working (the end of its overlap with its successor).
    pub expires_at: Option<DateTime<Utc>>,
}

impl ResellerKey {
    /// Whether the key still opens the API at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| now < at)
    }
}

/// What a reseller sets for its tenants' portal (in one environment): where the portal's
/// "Back to {reseller}" link leads, and which of its own origins may show the portal in a
/// frame (`Content-Security-Policy: frame-ancestors`; none by default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortalSettings {
    pub return_url: Option<String>,
    pub frame_ancestors: Vec<String>,
}

/// The most frame ancestors a reseller may name.
pub const MAX_FRAME_ANCESTORS: usize = 10;

impl PortalSettings {
    /// Checks the settings: an https return URL with a host, at most 2,000 characters; each
    /// frame ancestor an https origin (`https://app.example.com`, a port allowed, no path).
    pub fn check(self) -> Result<Self, DomainError> {
        let mut errors = Vec::new();
        if let Some(url) = &self.return_url {
            if let Err(why) = https_url(url, false) {
                errors.push(crate::FieldError::new("returnUrl", "https_url", why));
            }
        }
        if self.frame_ancestors.len() > MAX_FRAME_ANCESTORS {
            errors.push(crate::FieldError::new(
                "frameAncestors",
                "too_many",
                format!("at most {MAX_FRAME_ANCESTORS} origins"),
            ));
        }
        for (i, origin) in self.frame_ancestors.iter().enumerate() {
            if let Err(why) = https_url(origin, true) {
                errors.push(crate::FieldError::new(
                    format!("frameAncestors[{i}]"),
                    "https_origin",
                    why,
                ));
            }
        }
        crate::error::into_result(errors)?;
        Ok(self)
    }
}

/// Whether `text` is an https URL with a host (with `origin_only`, nothing after the host and
/// port), written as a browser would write it back, so it can go into a header as it is.
fn https_url(text: &str, origin_only: bool) -> Result<(), String> {
    if text.len() > 2000 || text.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("must be at most 2,000 characters without spaces".into());
    }
    let url = url::Url::parse(text).map_err(|e| format!("must be an absolute https URL ({e})"))?;
    if url.scheme() != "https" || url.host_str().is_none_or(str::is_empty) {
        return Err("must be an https URL with a host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials".into());
    }
    if origin_only {
        let origin = url.origin().ascii_serialization();
        if origin != text {
            return Err(format!("must be an origin only, such as `{origin}`"));
        }
    }
    Ok(())
}

/// Checks a new reseller's code (the `X-Reseller` header value) and codeName prefix.
pub fn check_new(code: &str, name: &str, code_name_prefix: &str) -> Result<(), DomainError> {
    if !(2..=64).contains(&code.len())
        || !code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(DomainError::invalid(
            "code",
            "reseller_code",
            "must be 2 to 64 letters, digits, `-` or `_`",
        ));
    }
    if name.trim().is_empty() || name.len() > 200 {
        return Err(DomainError::invalid(
            "name",
            "length",
            "must be 1 to 200 characters",
        ));
    }
    if !is_code_name_prefix(code_name_prefix) {
        return Err(DomainError::invalid(
            "codeNamePrefix",
            "code_name_prefix",
            "must be at most 16 lowercase letters or digits",
        ));
    }
    Ok(())
}

/// Checks a capability name: what a tenant's `options` may then contain.
pub fn check_capability(name: &str) -> Result<(), DomainError> {
    if !(1..=64).contains(&name.len())
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.:".contains(&b))
    {
        return Err(DomainError::invalid(
            "capability",
            "capability_name",
            "must be 1 to 64 lowercase letters, digits, `-`, `_`, `.` or `:`",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portal_settings_take_https_urls_and_origins_only() {
        let ok = PortalSettings {
            return_url: Some("https://app.example.com/customers?back=1".into()),
            frame_ancestors: vec![
                "https://app.example.com".into(),
                "https://admin.example.com:8443".into(),
            ],
        };
        assert_eq!(ok.clone().check().unwrap(), ok);
        for (url, ancestors, field) in [
            (Some("http://app.example.com"), vec![], "returnUrl"),
            (Some("javascript:alert(1)"), vec![], "returnUrl"),
            (Some("https://user:pw@app.example.com"), vec![], "returnUrl"),
            (
                None,
                vec!["https://app.example.com/path"],
                "frameAncestors[0]",
            ),
            (
                None,
                vec!["https://ok.example.com", "*"],
                "frameAncestors[1]",
            ),
            (
                None,
                vec!["https://a.example.com 'unsafe-inline'"],
                "frameAncestors[0]",
            ),
        ] {
            let settings = PortalSettings {
                return_url: url.map(str::to_owned),
                frame_ancestors: ancestors.into_iter().map(str::to_owned).collect(),
            };
            let DomainError::Invalid(errors) = settings.check().unwrap_err();
            assert_eq!(errors[0].field, field, "{errors:?}");
        }
    }

    #[test]
    fn reseller_codes_are_header_safe() {
        assert!(check_new("acme-partner", "Acme", "ac").is_ok());
        assert!(check_new("a", "Acme", "").is_err());
        assert!(check_new("acme partner", "Acme", "").is_err());
        assert!(check_new("acme", "", "").is_err());
        assert!(check_new("acme", "Acme", "A-").is_err());
    }

    #[test]
    fn capability_names_are_plain() {
        assert!(check_capability("analytics").is_ok());
        assert!(check_capability("video:4k").is_ok());
        assert!(check_capability("").is_err());
        assert!(check_capability("Has Space").is_err());
    }
}
