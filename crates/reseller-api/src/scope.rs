//! Which scope each Reseller API operation needs. One table serves three readers: the
//! authentication extractor enforces it (an operation missing from it is refused, so a new
//! route cannot slip through unscoped), the OpenAPI document states it on every operation's
//! security requirement, and the scope tests are generated from that document.

use tenantry_domain::scope::Scope;

/// (method, route as mounted, scope).
pub const OPERATIONS: &[(&str, &str, Scope)] = &[
    ("POST", "/reseller/tenant", Scope::TenantWrite),
    ("GET", "/reseller/tenant", Scope::TenantRead),
    ("GET", "/reseller/tenant/{codeName}", Scope::TenantRead),
    ("PATCH", "/reseller/tenant/{codeName}", Scope::TenantWrite),
    ("DELETE", "/reseller/tenant/{codeName}", Scope::TenantWrite),
    ("POST", "/reseller/tenant/{codeName}/user", Scope::UserWrite),
    ("GET", "/reseller/tenant/{codeName}/user", Scope::TenantRead),
    (
        "GET",
        "/reseller/tenant/{codeName}/user/{login}",
        Scope::TenantRead,
    ),
    (
        "PATCH",
        "/reseller/tenant/{codeName}/user/{login}",
        Scope::UserWrite,
    ),
    (
        "DELETE",
        "/reseller/tenant/{codeName}/user/{login}",
        Scope::UserWrite,
    ),
    (
        "POST",
        "/reseller/tenant/{codeName}/connection",
        Scope::ConnectionWrite,
    ),
    (
        "GET",
        "/reseller/tenant/{codeName}/connection",
        Scope::TenantRead,
    ),
    (
        "GET",
        "/reseller/tenant/{codeName}/connection/{id}",
        Scope::TenantRead,
    ),
    (
        "PATCH",
        "/reseller/tenant/{codeName}/connection/{id}",
        Scope::ConnectionWrite,
    ),
    (
        "DELETE",
        "/reseller/tenant/{codeName}/connection/{id}",
        Scope::ConnectionWrite,
    ),
    (
        "POST",
        "/reseller/tenant/{codeName}/connection/{id}/token",
        Scope::ConnectionWrite,
    ),
    (
        "DELETE",
        "/reseller/tenant/{codeName}/connection/{id}/token",
        Scope::ConnectionWrite,
    ),
    (
        "POST",
        "/reseller/tenant/{codeName}/login/{login}",
        Scope::LoginCreate,
    ),
    (
        "POST",
        "/reseller/tenant/{codeName}/sandbox/order",
        Scope::TenantWrite,
    ),
    (
        "POST",
        "/reseller/tenant/{codeName}/cancel",
        Scope::TenantWrite,
    ),
    (
        "DELETE",
        "/reseller/tenant/{codeName}/cancel",
        Scope::TenantWrite,
    ),
    ("GET", "/reseller/permission", Scope::TenantRead),
    ("GET", "/reseller/capability", Scope::TenantRead),
    ("GET", "/reseller/template", Scope::TenantRead),
    ("GET", "/reseller/audit", Scope::AuditRead),
    ("GET", "/reseller/event", Scope::EventRead),
    ("GET", "/reseller/analytics", Scope::AnalyticsRead),
    ("POST", "/reseller/webhook", Scope::WebhookWrite),
    ("GET", "/reseller/webhook", Scope::EventRead),
    ("GET", "/reseller/webhook/{id}", Scope::EventRead),
    ("PATCH", "/reseller/webhook/{id}", Scope::WebhookWrite),
    ("DELETE", "/reseller/webhook/{id}", Scope::WebhookWrite),
    (
        "POST",
        "/reseller/webhook/{id}/secret/rotate",
        Scope::WebhookWrite,
    ),
    ("GET", "/reseller/webhook/{id}/attempt", Scope::EventRead),
    (
        "POST",
        "/reseller/webhook/{id}/event/{eventId}/resend",
        Scope::WebhookWrite,
    ),
    ("POST", "/reseller/key", Scope::KeyWrite),
    ("GET", "/reseller/key", Scope::KeyRead),
    ("GET", "/reseller/key/scope", Scope::KeyRead),
    ("DELETE", "/reseller/key/{id}", Scope::KeyWrite),
    ("POST", "/reseller/key/{id}/rotate", Scope::KeyWrite),
];

/// The scope `method` on the mounted route `pattern` needs.
pub fn required(method: &str, pattern: &str) -> Option<Scope> {
    OPERATIONS
        .iter()
        .find(|(m, p, _)| *m == method && *p == pattern)
        .map(|(_, _, s)| *s)
}
