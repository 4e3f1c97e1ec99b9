//! Every Reseller API operation, declared once: method, route, handler and the scope a key
//! needs. From this one table come the actix routes ([`crate::configure`]), the OpenAPI
//! document's list of paths ([`Paths`], merged into [`crate::openapi::ResellerApiDoc`]), the
//! scope the authentication extractor enforces ([`required`]: an operation missing here is
//! refused, so no route slips through unscoped) and the scope each operation's security
//! requirement states. Adding an operation is one line here; a test holds each handler's
//! `#[utoipa::path]` method and path to its row.

use crate::{
    analytics, audit, capability, connection, event, integration, key, lifecycle, login,
    permission, portal, sandbox, session, template, tenant, user, webhook,
};
use tenantry_domain::scope::Scope::{self, *};

tenantry_http::operations! {
    prefix "/reseller", needs Scope;
    POST "/tenant" => tenant::create, TenantWrite;
    GET "/tenant" => tenant::list, TenantRead;
    GET "/tenant/{codeName}" => tenant::get, TenantRead;
    PATCH "/tenant/{codeName}" => tenant::update, TenantWrite;
    DELETE "/tenant/{codeName}" => tenant::delete, TenantWrite;
    POST "/tenant/{codeName}/user" => user::create, UserWrite;
    GET "/tenant/{codeName}/user" => user::list, TenantRead;
    GET "/tenant/{codeName}/user/{login}" => user::get, TenantRead;
    PATCH "/tenant/{codeName}/user/{login}" => user::update, UserWrite;
    DELETE "/tenant/{codeName}/user/{login}" => user::delete, UserWrite;
    POST "/tenant/{codeName}/connection" => connection::create, ConnectionWrite;
    GET "/tenant/{codeName}/connection" => connection::list, TenantRead;
    GET "/tenant/{codeName}/connection/{id}" => connection::get, TenantRead;
    PATCH "/tenant/{codeName}/connection/{id}" => connection::update, ConnectionWrite;
    DELETE "/tenant/{codeName}/connection/{id}" => connection::delete, ConnectionWrite;
    POST "/tenant/{codeName}/connection/{id}/token" => connection::create_token, ConnectionWrite;
    DELETE "/tenant/{codeName}/connection/{id}/token" => connection::revoke_tokens, ConnectionWrite;
    POST "/tenant/{codeName}/login/{login}" => login::create, LoginCreate;
    DELETE "/tenant/{codeName}/session" => session::end, TenantWrite;
    POST "/tenant/{codeName}/cancel" => lifecycle::cancel, TenantWrite;
    DELETE "/tenant/{codeName}/cancel" => lifecycle::withdraw, TenantWrite;
    POST "/tenant/{codeName}/sandbox/order" => sandbox::fill, TenantWrite;
    GET "/permission" => permission::list, TenantRead;
    GET "/capability" => capability::list, TenantRead;
    GET "/template" => template::list, TenantRead;
    GET "/portal" => portal::get, TenantRead;
    PATCH "/portal" => portal::update, TenantWrite;
    GET "/audit" => audit::list, AuditRead;
    GET "/event" => event::list, EventRead;
    GET "/analytics" => analytics::show, AnalyticsRead;
    POST "/webhook" => webhook::create, WebhookWrite;
    GET "/webhook" => webhook::list, EventRead;
    GET "/webhook/{id}" => webhook::get, EventRead;
    PATCH "/webhook/{id}" => webhook::update, WebhookWrite;
    DELETE "/webhook/{id}" => webhook::delete, WebhookWrite;
    POST "/webhook/{id}/secret/rotate" => webhook::rotate, WebhookWrite;
    GET "/webhook/{id}/attempt" => webhook::attempts, EventRead;
    POST "/webhook/{id}/event/{eventId}/resend" => webhook::resend, WebhookWrite;
    POST "/integration" => integration::create, IntegrationWrite;
    GET "/integration" => integration::list, IntegrationRead;
    GET "/integration/{id}" => integration::get, IntegrationRead;
    PATCH "/integration/{id}" => integration::update, IntegrationWrite;
    DELETE "/integration/{id}" => integration::delete, IntegrationWrite;
    POST "/integration/{id}/link" => integration::link, IntegrationWrite;
    POST "/key" => key::create, KeyWrite;
    GET "/key" => key::list, KeyRead;
    GET "/key/scope" => key::scopes, KeyRead;
    DELETE "/key/{id}" => key::revoke, KeyWrite;
    POST "/key/{id}/rotate" => key::rotate, KeyWrite;
}

/// The scope `method` on the mounted route `pattern` needs.
pub fn required(method: &str, pattern: &str) -> Option<Scope> {
    OPERATIONS
        .iter()
        .find(|(m, p, _)| *m == method && *p == pattern)
        .map(|(_, _, s)| *s)
}
