//! The Reseller API's OpenAPI 3.1 document, generated from the handlers' annotations.

use actix_web::HttpResponse;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tenantry Reseller API",
        description = "Provision and manage your customers as tenants: tenants, tenant users, API connections and one-time login URLs.\n\nAuthenticate with `Authorization: Basic` plus `X-Reseller`, `Authorization: Bearer <key>` or `x-APIKey: <key>`. Errors are RFC 9457 problem+json.",
        version = "1"
    ),
    components(schemas(tenantry_http::Problem, tenantry_http::ProblemFieldError,
        tenantry_api_types::tenant::ReadyOut, tenantry_api_types::tenant::ReadyLoginOut,
        tenantry_api_types::integration::LinkOut)),
    modifiers(&Security),
    security(("basic" = [], "reseller" = []), ("bearer" = []), ("apiKey" = [])),
    tags(
        (name = "tenant", description = "Tenants: your customers"),
        (name = "user", description = "Users of a tenant"),
        (name = "connection", description = "API connections, which open the Tenant API"),
        (name = "login", description = "One-time login URLs"),
        (name = "key", description = "Your API keys and their scopes"),
        (name = "audit", description = "The audit log of every write"),
        (name = "event", description = "Lifecycle events: the feed every state change appends to"),
        (name = "webhook", description = "Webhook endpoints: signed, at-least-once delivery of events"),
        (name = "analytics", description = "Usage of the APIs per tenant and day"),
        (name = "integration", description = "Integrations you offer as a partner, and the partner endpoint that links one to a tenant (Cloud 66's handshake)"),
    )
)]
pub struct ResellerApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        // The operations and the schemas they name, from the one table of operations.
        openapi.merge(<crate::scope::Paths as OpenApi>::openapi());
        tenantry_http::document_conventions(openapi);
        document_scopes(openapi);
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        );
        components.add_security_scheme(
            "reseller",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Reseller"))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "apiKey",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-APIKey"))),
        );
    }
}

/// States each operation's scope (from [`crate::scope::OPERATIONS`]) in its security
/// requirements: a reseller user holds every scope; a key must hold this one.
fn document_scopes(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::security::SecurityRequirement;
    for (method, path, scope) in crate::scope::OPERATIONS {
        let Some(item) = openapi.paths.paths.get_mut(*path) else {
            continue;
        };
        let operation = match *method {
            "GET" => item.get.as_mut(),
            "POST" => item.post.as_mut(),
            "PATCH" => item.patch.as_mut(),
            "DELETE" => item.delete.as_mut(),
            _ => None,
        };
        if let Some(operation) = operation {
            let scope = [scope.as_str()];
            operation.security = Some(vec![
                SecurityRequirement::new("basic", scope).add("reseller", [] as [&str; 0]),
                SecurityRequirement::new("bearer", scope),
                SecurityRequirement::new("apiKey", scope),
            ]);
        }
    }
}

/// The document as pretty JSON, exactly as `cargo xtask openapi` writes it.
pub fn document() -> String {
    tenantry_http::openapi_json(&ResellerApiDoc::openapi())
}

/// `GET …/openapi.json`.
pub async fn serve() -> HttpResponse {
    tenantry_http::openapi_response(document())
}
