//! What a reseller API key may do (Partoo's read/write role matrix). A reseller user signing in
//! with a password holds every scope; a key holds the scopes it was created with.

use crate::DomainError;

/// One scope. The wire form is `area:action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Read tenants, their users, connections, the permission and capability catalogues.
    TenantRead,
    /// Create, change, deactivate and delete tenants; fill sandbox tenants.
    TenantWrite,
    /// Create, change and delete tenant users.
    UserWrite,
    /// Create, change and delete API connections, issue and revoke their tokens.
    ConnectionWrite,
    /// Create one-time login URLs.
    LoginCreate,
    /// Read usage analytics.
    AnalyticsRead,
    /// Read the events feed.
    EventRead,
    /// Manage webhook endpoints: create, change, delete, rotate secrets, read attempts, resend.
    WebhookWrite,
    /// Read the audit log.
    AuditRead,
    /// List the reseller's API keys.
    KeyRead,
    /// Create, revoke and rotate API keys.
    KeyWrite,
    /// Read the integrations the reseller offers as a partner.
    IntegrationRead,
    /// Offer, change and withdraw integrations, and post back partner links.
    IntegrationWrite,
}

/// Every scope, in catalogue order.
pub const ALL: [Scope; 13] = [
    Scope::TenantRead,
    Scope::TenantWrite,
    Scope::UserWrite,
    Scope::ConnectionWrite,
    Scope::LoginCreate,
    Scope::AnalyticsRead,
    Scope::EventRead,
    Scope::WebhookWrite,
    Scope::AuditRead,
    Scope::KeyRead,
    Scope::KeyWrite,
    Scope::IntegrationRead,
    Scope::IntegrationWrite,
];

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::TenantRead => "tenant:read",
            Scope::TenantWrite => "tenant:write",
            Scope::UserWrite => "user:write",
            Scope::ConnectionWrite => "connection:write",
            Scope::LoginCreate => "login:create",
            Scope::AnalyticsRead => "analytics:read",
            Scope::EventRead => "event:read",
            Scope::WebhookWrite => "webhook:write",
            Scope::AuditRead => "audit:read",
            Scope::KeyRead => "key:read",
            Scope::KeyWrite => "key:write",
            Scope::IntegrationRead => "integration:read",
            Scope::IntegrationWrite => "integration:write",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Scope::TenantRead => "read tenants, their users and connections, and the catalogues",
            Scope::TenantWrite => {
                "create, change, deactivate and delete tenants; fill sandbox tenants"
            }
            Scope::UserWrite => "create, change and delete tenant users",
            Scope::ConnectionWrite => "create, change and delete API connections and their tokens",
            Scope::LoginCreate => "create one-time login URLs",
            Scope::AnalyticsRead => "read usage analytics",
            Scope::EventRead => "read the events feed",
            Scope::WebhookWrite => "manage webhook endpoints, their secrets, attempts and resends",
            Scope::AuditRead => "read the audit log",
            Scope::KeyRead => "list API keys",
            Scope::KeyWrite => "create, revoke and rotate API keys",
            Scope::IntegrationRead => "read the integrations offered as a partner",
            Scope::IntegrationWrite => {
                "offer, change and withdraw integrations; post back partner links"
            }
        }
    }

    /// The scope named `name`, if any.
    pub fn parse(name: &str) -> Option<Scope> {
        ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses a list of scope names as sent in `field`; every unknown one is named.
pub fn parse_all(field: &str, names: &[String]) -> Result<Vec<Scope>, DomainError> {
    let mut errors = Vec::new();
    let mut scopes = Vec::new();
    for (i, name) in names.iter().enumerate() {
        match Scope::parse(name) {
            Some(s) if !scopes.contains(&s) => scopes.push(s),
            Some(_) => {}
            None => errors.push(crate::FieldError::new(
                format!("{field}[{i}]"),
                "unknown_scope",
                format!(
                    "`{name}` is not a scope; the scopes are {}",
                    ALL.map(Scope::as_str).join(", ")
                ),
            )),
        }
    }
    if names.is_empty() {
        errors.push(crate::FieldError::new(
            field,
            "required",
            "a key needs at least one scope",
        ));
    }
    crate::error::into_result(errors)?;
    Ok(scopes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_and_unknown_ones_are_named() {
        for s in ALL {
            assert_eq!(Scope::parse(s.as_str()), Some(s));
        }
        let err = parse_all("scopes", &["tenant:read".into(), "fly".into()]).unwrap_err();
        assert!(format!("{err:?}").contains("scopes[1]"));
        assert!(parse_all("scopes", &[]).is_err());
        assert_eq!(
            parse_all("scopes", &["tenant:read".into(), "tenant:read".into()]).unwrap(),
            vec![Scope::TenantRead]
        );
    }
}
