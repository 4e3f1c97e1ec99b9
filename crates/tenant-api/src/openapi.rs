//! The Tenant API's OpenAPI 3.1 document, generated from the handlers' annotations.

use actix_web::HttpResponse;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tenantry Tenant API",
        description = "Read and write one tenant's orders and products, with gap-free incremental order sync.\n\nAuthenticate with `X-Tenant` + `X-ConnectionId` + `Authorization: Basic` (a tenant user with a password), with a tenant token as `Authorization: Bearer` or `x-APIKey`, or with reseller credentials plus `X-Tenant-ID`. Errors are RFC 9457 problem+json.",
        version = "1"
    ),
    components(schemas(tenantry_http::Problem, tenantry_http::ProblemFieldError)),
    modifiers(&Security),
    security(("basic" = [], "tenant" = [], "connection" = []), ("bearer" = []), ("apiKey" = []), ("bearer" = [], "tenantId" = [])),
    tags(
        (name = "tenant", description = "The calling tenant"),
        (name = "order", description = "Orders and incremental sync"),
        (name = "product", description = "Products and stock"),
    )
)]
pub struct TenantApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        // The operations and the schemas they name, from the one table of operations.
        openapi.merge(<crate::operation::Paths as OpenApi>::openapi());
        tenantry_http::document_conventions(openapi);
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        );
        components.add_security_scheme(
            "tenant",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Tenant"))),
        );
        components.add_security_scheme(
            "connection",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-ConnectionId"))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "apiKey",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-APIKey"))),
        );
        components.add_security_scheme(
            "tenantId",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Tenant-ID"))),
        );
    }
}

/// The document as pretty JSON, exactly as `cargo xtask openapi` writes it.
pub fn document() -> String {
    tenantry_http::openapi_json(&TenantApiDoc::openapi())
}

/// `GET …/openapi.json`.
pub async fn serve() -> HttpResponse {
    tenantry_http::openapi_response(document())
}
