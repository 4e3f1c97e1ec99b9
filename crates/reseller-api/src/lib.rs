//! The Reseller API: `/reseller/**`, for integration partners provisioning their customers as
//! tenants (Sharespine's Reseller API, with Calipsa's and Partoo's ways to authenticate).
//!
//! Handlers parse and authorize, the domain decides, storage persists: each handler that
//! writes makes one `Database::write` call, which is one transaction.

pub mod analytics;
pub mod audit;
pub mod capability;
pub mod connection;
pub mod event;
pub mod integration;
pub mod key;
pub mod lifecycle;
pub mod login;
pub mod openapi;
pub mod permission;
pub mod portal;
pub mod sandbox;
pub mod scope;
pub mod session;
pub mod template;
pub mod tenant;
pub mod user;
pub mod webhook;

use actix_web::web;
use tenantry_auth::ResellerPrincipal;
use tenantry_domain::tenant::Tenant;
use tenantry_http::{ApiError, AppState};
use tenantry_storage::{tenant as tenants, DbConnection};

pub(crate) type State = web::Data<AppState>;
pub(crate) use tenantry_http::ok_json;
pub(crate) use tenantry_http::AuthenticatedReseller as Principal;

/// The principal's tenant with this codeName; another reseller's or environment's answers 404.
pub(crate) fn owned_tenant(
    conn: &mut DbConnection,
    principal: &ResellerPrincipal,
    code_name: &str,
) -> Result<Tenant, ApiError> {
    Ok(tenants::find_by_code_name(
        conn,
        &principal.owner(),
        code_name,
    )?)
}

/// Mounts the Reseller API (and its OpenAPI document) on an actix `App`: the operations of
/// [`scope::OPERATIONS`].
pub fn configure(cfg: &mut web::ServiceConfig) {
    let mut api = web::scope("/reseller")
        .app_data(tenantry_http::RequiredScopes(scope::required))
        .route("/openapi.json", web::get().to(openapi::serve));
    for resource in scope::resources() {
        api = api.service(resource);
    }
    tenantry_http::docs::mount(cfg, "/reseller");
    cfg.service(api);
}
